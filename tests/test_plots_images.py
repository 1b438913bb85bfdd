"""Pictures of image models: feature maps, kernels and kernel gradients (the numbers drawn are the
engine's), the one sign convention, the mistakes figures, and clear errors for hostile input."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb

import glassnet as gn
from glassnet import plots
from glassnet.layers import (
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    MaxPooling2D,
    Rescaling,
)
from glassnet.layers.convolution import conv_backward_loop, conv_forward_loop
from glassnet.plots import colors
from glassnet.plots.images import feature_maps
from glassnet.plots.mistakes import confusion_matrix


def small_cnn(filters: int = 3, dtype: str = "float32", batchnorm: bool = False) -> gn.Sequential:
    layers = [gn.Input(shape=(6, 6, 1)), Conv2D(filters, 3, activation="relu", name="conv")]
    layers += [BatchNormalization(name="bn")] if batchnorm else []
    layers += [MaxPooling2D(2, name="pool"), Flatten(), Dense(4, activation="softmax")]
    model = gn.Sequential(layers, dtype=dtype, seed=0)
    model.compile(gn.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def images(n: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, 6, 6, 1))


def drawn(figure) -> list:
    """Every image drawn (AxesImage) in the figure and its subfigures, in drawing order."""
    return [image for ax in figure.get_axes() for image in ax.get_images()]


def titles(figure) -> str:
    texts = [ax.get_title() for ax in figure.get_axes()]
    texts += [sub._suptitle.get_text() for sub in figure.subfigs if sub._suptitle is not None]
    texts += [figure._suptitle.get_text()] if figure._suptitle is not None else []
    return "\n".join(texts)


# -- feature maps ----------------------------------------------------------------------------------
def test_feature_maps_are_the_engines_layer_outputs() -> None:
    model = small_cnn(dtype="float64")
    x = images(1)[0]
    conv = model.layers[0]
    # the conv's output from the loop reference, relu'd; pooling by hand
    z = conv_forward_loop(x[None], conv.kernel, conv.bias, 1, "valid")
    reference = np.maximum(z, 0)[0]
    maps = dict((layer.name, values) for layer, values in feature_maps(model, x))
    np.testing.assert_allclose(maps["conv"], reference, rtol=1e-12)
    by_hand = reference.reshape(2, 2, 2, 2, 3).max(axis=(1, 3))  # 2x2 windows of the 4x4 maps
    np.testing.assert_allclose(maps["pool"], by_hand, rtol=1e-12)
    figure = plots.feature_maps_figure(model, x)
    pictures = drawn(figure)
    assert len(pictures) == 1 + 3 + 3  # the example, then every channel of both layers
    np.testing.assert_allclose(pictures[1].get_array(), maps["conv"][:, :, 0])
    np.testing.assert_allclose(pictures[6].get_array(), maps["pool"][:, :, 2])
    for picture in pictures[1:]:  # signed: the diverging map, centred on zero
        low, high = picture.get_clim()
        assert low == -high and picture.get_cmap() is colors.diverging_map()
    heading = titles(figure)
    assert "conv (Conv2D 3 3x3, relu): a1, 4x4x3" in heading
    assert "pool (MaxPooling2D 2x2): a2, 2x2x3" in heading
    labels = [ax.get_ylabel() for ax in figure.get_axes()]
    assert {"pixel value", "a1", "a2"} <= set(labels)  # each block's colorbar: its legend


def test_feature_maps_take_a_batch_of_one_a_2d_image_and_layer_names() -> None:
    model = small_cnn()
    x = images(1)
    assert len(drawn(plots.feature_maps_figure(model, x))) == 7  # (1, 6, 6, 1)
    assert len(drawn(plots.feature_maps_figure(model, x[0, :, :, 0]))) == 7  # (6, 6)
    only = plots.feature_maps_figure(model, x, layers=["pool"])
    assert len(drawn(only)) == 1 + 3 and "conv (" not in titles(only)


def test_a_thousand_channel_conv_is_capped_and_says_so() -> None:
    model = gn.Sequential([gn.Input(shape=(5, 5, 1)), Conv2D(1000, 3)], seed=0)
    figure = plots.feature_maps_figure(model, np.ones((5, 5, 1)), max_channels=16)
    assert len(drawn(figure)) == 1 + 16
    assert "3x3x1000 (the first 16 of 1000)" in titles(figure)
    kernels = plots.kernels_figure(model)
    assert len(drawn(kernels)) == 16 and "showing filters 0-15 of 1000" in titles(kernels)


@pytest.mark.parametrize(
    ("model", "x", "error", "message"),
    [
        (
            gn.Sequential([gn.Input(shape=(4,)), Dense(2)]),
            np.ones(4),
            ValueError,
            "feature_maps_figure draws image models (input (height, width, channels)",
        ),
        (small_cnn(), np.ones((6, 6, 3)), ValueError, "draws one example, of shape (6, 6, 1)"),
        (small_cnn(), images(2), ValueError, "got x of shape (2, 6, 6, 1). Pass one image"),
        (small_cnn(), np.full((6, 6, 1), np.nan), ValueError, "contains NaN or infinity"),
        (small_cnn(), np.full((6, 6, 1), np.inf), ValueError, "contains NaN or infinity"),
        (small_cnn(), np.full((6, 6, 1), 1e39), ValueError, "too large for float32"),
        (small_cnn(), [["a"] * 6] * 6, TypeError, "Expected real numbers in x"),
        ("not a model", np.ones((6, 6, 1)), TypeError, "expects a glassnet.Sequential model"),
        (
            gn.Sequential([Conv2D(2, 3)]),
            np.ones((6, 6, 1)),
            ValueError,
            "the model is not built yet",
        ),
        (
            gn.Sequential([gn.Input(shape=(6, 6, 1)), Flatten(), Dense(2)]),
            np.ones((6, 6, 1)),
            ValueError,
            "no convolution or pooling layer, so no feature maps to draw; its layers are "
            "flatten (Flatten), dense (Dense)",
        ),
    ],
)
def test_feature_maps_refuse_hostile_input_clearly(model, x, error, message) -> None:
    with pytest.raises(error) as caught:
        plots.feature_maps_figure(model, x)
    assert message in str(caught.value)


def test_feature_maps_refuse_unknown_layers_and_bad_counts() -> None:
    model, x = small_cnn(), images(1)[0]
    with pytest.raises(ValueError, match="no layer named 'nope' with feature maps; it has 'conv'"):
        plots.feature_maps_figure(model, x, layers=["nope"])
    with pytest.raises(ValueError, match="no layer named 'dense'"):  # a layer, but no images
        plots.feature_maps_figure(model, x, layers="dense")
    with pytest.raises(TypeError, match="expected layer names"):
        plots.feature_maps_figure(model, x, layers=[3])
    with pytest.raises(ValueError, match="expected at least one layer name"):
        plots.feature_maps_figure(model, x, layers=[])
    for bad in (0, -1, True, 2.5, "8"):
        with pytest.raises(ValueError, match="expected max_channels to be a positive integer"):
            plots.feature_maps_figure(model, x, max_channels=bad)


def test_feature_maps_report_an_overflow_by_layer() -> None:
    model = gn.Sequential([gn.Input(shape=(4, 4, 1)), Conv2D(1, 3, use_bias=False)], seed=0)
    model.layers[0].kernel[...] = 3e38  # x near float32's top times 9 such weights: inf
    with pytest.raises(FloatingPointError, match="layer 'conv2d' \\(Conv2D\\) gave inf or NaN"):
        plots.feature_maps_figure(model, np.full((4, 4, 1), 1e3))


# -- kernels and their gradients ---------------------------------------------------------------
def test_kernels_are_drawn_cell_by_cell_before_and_after() -> None:
    model = small_cnn()
    before = model.get_weights()
    model.fit(images(20), np.arange(20) % 4, epochs=2, verbose=0)
    figure = plots.kernels_figure(model, before=before)
    pictures = drawn(figure)
    assert len(pictures) == 2 * 3  # 3 filters of one input channel, before and after
    np.testing.assert_allclose(pictures[1].get_array(), before[0][:, :, 0, 1])
    np.testing.assert_allclose(pictures[4].get_array(), model.layers[0].kernel[:, :, 0, 1])
    limits = {picture.get_clim() for picture in pictures}
    assert len(limits) == 1  # before and after on one scale ...
    ((low, high),) = limits
    assert low == -high == -np.abs(np.concatenate([before[0], model.layers[0].kernel])).max()
    # the narration's name (K1: layer 1's kernel), the layer's own in brackets
    assert "K1 before training (conv, 3x3x1x3: 3 filters of 3x3x1)" in titles(figure)
    assert "filter 2" in titles(figure)


def test_kernel_gradients_are_the_engines_and_change_nothing() -> None:
    model = small_cnn(dtype="float64", batchnorm=True)
    x, y = images(8), np.arange(8) % 4
    state = model.get_weights()
    figure = plots.kernel_gradients_figure(model, x, y)
    after = model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(state, after, strict=True))  # BN's too
    # dC/dK again, independently: forward by the engine, the loop reference for the kernel
    conv = model.layers[0]
    twin = small_cnn(dtype="float64", batchnorm=True)
    twin.set_weights(state)
    twin.compute_gradients(x, y)
    delta = twin.layers[0].delta  # dC/dz of the conv layer, (8, 4, 4, 3)
    expected, _, _ = conv_backward_loop(x, conv.kernel, delta, 1, "valid")
    pictures = drawn(figure)
    assert len(pictures) == 2 * 3  # K, then dC/dK, for each of the 3 filters
    (label,) = [ax.get_ylabel() for ax in figure.get_axes() if "dC/dK" in ax.get_ylabel()]
    power = int(label.split("x 1e")[1].rstrip(")")) if "x 1e" in label else 0  # "dC/dK (x 1e-3)"
    drawn_gradient = pictures[3].get_array() * 10.0**power
    np.testing.assert_allclose(drawn_gradient, expected[:, :, 0, 0], rtol=1e-9)
    assert "dC/dK1 (conv, 3x3x1x3" in titles(
        figure
    ) and "One training step on 8 examples" in titles(figure)


def test_kernel_figures_refuse_what_they_cannot_draw() -> None:
    model = small_cnn()
    dense = gn.Sequential([gn.Input(shape=(3,)), Dense(1)])
    pool_only = gn.Sequential([gn.Input(shape=(4, 4, 1)), MaxPooling2D()])
    cases = [
        (lambda: plots.kernels_figure(dense), "draws image models"),
        (lambda: plots.kernels_figure(pool_only), "no Conv2D layer, so no kernels"),
        (lambda: plots.kernels_figure(model, layer="pool"), "no layer named 'pool' with kernels"),
        (lambda: plots.kernels_figure(model, layer=3), "Conv2D index 3 is out of range"),
        (lambda: plots.kernels_figure(model, before=[np.ones(2)]), "a list of 4 arrays; got 1"),
        (
            lambda: plots.kernels_figure(model, before=[np.ones(2)] * 4),
            "before[0] should be layer 'conv''s kernel of shape (3, 3, 1, 3)",
        ),
    ]
    for draw, message in cases:
        with pytest.raises(ValueError) as caught:
            draw()
        assert message in str(caught.value)
    with pytest.raises(TypeError, match="expected a layer name or index, got float"):
        plots.kernels_figure(model, layer=0.5)
    uncompiled = gn.Sequential([gn.Input(shape=(6, 6, 1)), Conv2D(2, 3), Flatten(), Dense(2)])
    with pytest.raises(ValueError, match="compile the model before drawing kernel gradients"):
        plots.kernel_gradients_figure(uncompiled, images(2), [0, 1])
    with pytest.raises(ValueError, match="contains NaN"):
        plots.kernel_gradients_figure(model, np.full((2, 6, 6, 1), np.nan), [0, 1])


def test_kernel_figures_refuse_overflow_and_bad_before_by_name() -> None:
    # before: an input that overflowed float32 drew inf/NaN gradients silently (with NumPy's
    # RuntimeWarnings from inside the conv), NaN "before" kernels were drawn, and before="x"
    # was reported as "got 1" (its length)
    model = small_cnn()
    model.layers[0].set_weights([np.ones((3, 3, 1, 3)), np.zeros(3)])
    with pytest.raises(FloatingPointError, match="layer 'conv''s dC/dK is inf or NaN"):
        plots.kernel_gradients_figure(model, np.full((2, 6, 6, 1), 3e38), [0, 1])
    before = model.get_weights()
    cases = [
        ([np.full_like(w, np.nan) for w in before], "before[0], layer 'conv''s kernel before"),
        ([np.full_like(w, np.inf) for w in before], "holds NaN, infinity or something not"),
        (["abc"] * 4, "holds NaN, infinity or something not a number"),
        ("x", "a list of 4 arrays; got str 'x'"),
        (5, "a list of 4 arrays; got int 5"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError) as caught:
            plots.kernels_figure(model, before=bad)
        assert message in str(caught.value)


def test_weights_change_figure_refuses_nan_or_misshapen_before() -> None:
    # the cousin of kernels_figure's before: NaN was drawn silently, a wrong shape raised from
    # inside np.vstack, and before="x" was "got 1"
    model = gn.Sequential([gn.Input(shape=(3,)), Dense(2)], seed=0)
    cases = [
        ([np.full((3, 2), np.nan), np.zeros(2)], r"before\[0\] to be finite numbers of shape"),
        ([np.zeros((3, 2)), np.zeros(3)], r"before\[1\] .*shape \(2,\).*got shape \(3,\)\."),
        ([np.zeros((3, 2)), ["a", "b"]], r"holding NaN, infinity or non-numbers"),
        ("xy", r"hold 2 arrays \(model\.get_weights\(\) taken before training\), got str"),
    ]
    for before, message in cases:
        with pytest.raises(ValueError, match=message):
            plots.weights_change_figure(model, before)


# -- one colour convention -------------------------------------------------------------------------
def test_one_sign_convention_everywhere() -> None:
    cmap = colors.diverging_map()
    assert np.allclose(cmap(1.0)[:3], to_rgb(colors.POSITIVE), atol=0.01)  # blue: positive
    assert np.allclose(cmap(0.0)[:3], to_rgb(colors.NEGATIVE), atol=0.01)  # orange: negative
    assert np.allclose(cmap(0.5)[:3], (1, 1, 1), atol=0.01)  # white: zero
    # the playground's colours, so that the browser and the pictures agree
    from importlib.resources import files

    css = (files("glassnet.playground") / "static" / "style.css").read_text()
    assert f"--pos: {colors.POSITIVE}" in css and f"--neg: {colors.NEGATIVE}" in css
    # the weight heatmap (before: RdBu_r, which drew positive weights red) uses the same map
    model = gn.Sequential([gn.Input(shape=(2,)), Dense(2)], seed=0)
    (image,) = drawn(plots.weight_heatmap_figure(model))
    assert image.get_cmap() is cmap and image.get_clim()[0] == -image.get_clim()[1]
    # the diagram's edges: a negative weight is orange (before: red)
    model.layers[0].kernel[...] = [[-1.0, 2.0], [0.5, -0.5]]
    svg = plots.network_svg(model)
    assert f"stroke='{colors.NEGATIVE}' stroke-width" in svg and "#dc2626" not in svg
    # curves have no sign: neither blue nor orange (before: matplotlib's blue and orange)
    curves = plots.history_figure({"loss": [1.0, 0.5], "val_loss": [1.2, 0.7]})
    lines = [line.get_color() for line in curves.get_axes()[0].get_lines()]
    assert lines == [colors.TRAIN_COLOUR, colors.VALIDATION_COLOUR]


# -- the mistakes ----------------------------------------------------------------------------------
def test_confusion_matrix_and_the_surest_mistakes() -> None:
    assert confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3).tolist() == [
        [1, 1, 0],
        [0, 1, 0],
        [1, 0, 1],
    ]
    model = small_cnn()
    x, y = images(30), np.arange(30) % 4
    probabilities = model.predict(x)
    figure = plots.confusion_matrix_figure(model, x, y)
    (image,) = drawn(figure)
    counts = confusion_matrix(y, probabilities.argmax(1), 4)
    np.testing.assert_array_equal(image.get_array(), counts)
    right = int(np.trace(counts))
    assert f"{right} of 30 right" in titles(figure)
    worst = plots.worst_predictions_figure(model, x, y, count=4)
    wrong = np.flatnonzero(probabilities.argmax(1) != y)
    order = wrong[np.argsort(probabilities[wrong, y[wrong]], kind="stable")][:4]
    shown = [ax.get_title() for ax in worst.get_axes() if ax.get_visible()]
    assert shown == [f"#{i}: true {y[i]}" for i in order]
    said = [t.get_text() for ax in worst.get_axes() for t in ax.texts]
    first = order[0]
    guess = probabilities[first].argmax()
    assert said[0] == f"said {guess}, P = {probabilities[first, guess]:.2f}"
    assert all(t.get_color() == colors.HIGHLIGHT for ax in worst.get_axes() for t in ax.texts)


def test_mistakes_figures_refuse_non_classifiers_and_bad_labels() -> None:
    model = small_cnn()
    regressor = gn.Sequential([gn.Input(shape=(6, 6, 1)), Conv2D(2, 3), Flatten(), Dense(1)])
    x = images(4)
    cases = [
        (lambda: plots.confusion_matrix_figure(regressor, x, [0, 1, 0, 1]), "needs a classifier"),
        (lambda: plots.confusion_matrix_figure(model, x, [0, 1]), "one class label per example"),
        (lambda: plots.confusion_matrix_figure(model, x, [0, 1, 2, 9]), "0 .. 3, got values"),
        (lambda: plots.confusion_matrix_figure(model, x, [0, 1, 2, 0.5]), "whole class labels"),
        (lambda: plots.confusion_matrix_figure(model, x, [0, 1, 2, np.nan]), "(numbers)"),
        (lambda: plots.worst_predictions_figure(model, x, [0] * 4, count=0), "count between 1"),
        (lambda: plots.worst_predictions_figure(model, x, [0] * 4, count=10**6), "and 60"),
    ]
    for draw, message in cases:
        with pytest.raises(ValueError) as caught:
            draw()
        assert message in str(caught.value)


def test_no_mistakes_says_so() -> None:
    model = gn.Sequential([gn.Input(shape=(2, 2, 1)), Flatten(), Dense(2, "softmax")], seed=0)
    x = np.ones((3, 2, 2, 1))
    y = model.predict(x).argmax(1)
    figure = plots.worst_predictions_figure(model, x, y)
    assert figure.texts[0].get_text() == "No mistakes among these 3 examples."


def test_a_rescaling_layer_is_captioned_readably() -> None:
    model = gn.Sequential([gn.Input(shape=(4, 4, 1)), Rescaling(1 / 255), Conv2D(2, 3)])
    assert ">Rescaling x 1/255<" in plots.network_svg(model)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_overflow_in_a_figure_suggests_float64_only_to_a_float32_model(dtype) -> None:
    """Before: a float64 model whose numbers overflowed was told to build itself in float64."""
    model = small_cnn(dtype=dtype)
    huge = 1e30 if dtype == "float32" else 1e300
    model.layers[0].set_weights([np.full((3, 3, 1, 3), huge), np.zeros(3)])
    x = np.full((2, 6, 6, 1), huge)
    advice = ", or build the model with dtype='float64'." if dtype == "float32" else "."
    with pytest.raises(FloatingPointError) as caught:
        feature_maps(model, x[:1])
    assert str(caught.value).endswith(f"overflowed {dtype}). Scale the input{advice}")
    with pytest.raises(FloatingPointError) as caught:
        plots.kernel_gradients_figure(model, x, [0, 1])
    assert str(caught.value).endswith(f"Scale the input{advice}")
