"""Conv2D (issue 17, first step): the size helper, the loop reference against the fast path, a
case worked by hand, central differences, shapes and summary, model files, hostile arguments.

PyTorch and Keras parity live in test_conv_parity.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers
from glassnet.gradcheck import check_gradients
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
from glassnet.layers.convolution import conv_backward_loop, conv_forward_loop, output_size
from helpers import header_of, read_members, write_members


def test_output_size_follows_the_formula_and_tensorflows_same_padding() -> None:
    # out = (W - F + 2P) // S + 1; "same": out = ceil(W / S), the odd padding row bottom/right
    # (TensorFlow's rule: total = max((out - 1) * S + F - W, 0), before = total // 2)
    assert output_size(28, 3, 1, "valid") == (26, 0, 0)
    assert output_size(7, 3, 2, "valid") == (3, 0, 0)
    assert output_size(8, 3, 2, "valid") == (3, 0, 0)  # the last column is never read
    assert output_size(28, 3, 1, "same") == (28, 1, 1)
    assert output_size(6, 3, 2, "same") == (3, 0, 1)  # the asymmetric case
    assert output_size(5, 4, 1, "same") == (5, 1, 2)
    assert output_size(3, 5, 1, "same") == (3, 2, 2)
    assert output_size(2, 3, 1, "valid")[0] <= 0  # refused by the layer (below)


CASES = [
    # (h, w, c, filters, kernel, strides, padding)
    (5, 5, 1, 1, (3, 3), (1, 1), "valid"),
    (7, 6, 3, 4, (3, 2), (2, 1), "valid"),
    (6, 6, 2, 3, (3, 3), (2, 2), "same"),
    (5, 7, 3, 2, (2, 4), (2, 3), "same"),
    (4, 4, 1, 2, (4, 4), (1, 1), "valid"),
]


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_the_fast_path_equals_the_loop_reference(case) -> None:
    h, w, c, filters, kernel, strides, padding = case
    rng = np.random.default_rng(0)
    layer = Conv2D(filters, kernel, strides=strides, padding=padding, activation="linear")
    layer.build((h, w, c), np.float64, rng)
    layer.bias[...] = rng.normal(size=filters)
    x = rng.normal(size=(3, h, w, c))
    z = layer.forward(x)
    np.testing.assert_allclose(
        z, conv_forward_loop(x, layer.kernel, layer.bias, strides, padding), rtol=0, atol=1e-12
    )
    delta = rng.normal(size=z.shape)
    grad_x = layer.backward(delta)
    kernel_grad, bias_grad, x_grad = conv_backward_loop(x, layer.kernel, delta, strides, padding)
    np.testing.assert_allclose(layer.kernel_gradient, kernel_grad, rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.bias_gradient, bias_grad, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grad_x, x_grad, rtol=0, atol=1e-12)
    # gradients are overwritten, not accumulated
    layer.backward(delta)
    np.testing.assert_allclose(layer.kernel_gradient, kernel_grad, rtol=0, atol=1e-12)


def test_a_tiny_convolution_worked_by_hand() -> None:
    # x = [[1 2 3] [4 5 6] [7 8 9]], K = [[1 0] [0 -1]], b = 0.5, stride 1, valid:
    # z[y, x] = x[y, x] - x[y+1, x+1] + 0.5 = 1-5, 2-6, 4-8, 5-9 (+0.5) = -3.5 everywhere
    layer = Conv2D(1, 2, activation="linear", bias_initializer=gn.initializers.Constant(0.5))
    layer.build((3, 3, 1), np.float64, np.random.default_rng(0))
    layer.kernel[...] = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1)
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(layer.forward(x)[0, :, :, 0], [[-3.5, -3.5], [-3.5, -3.5]])
    # delta = 1 everywhere: dC/dK[i, j] = sum of the window's inputs at offset (i, j):
    # (1+2+4+5, 2+3+5+6; 4+5+7+8, 5+6+8+9) = (12, 16; 24, 28); dC/db = 4;
    # dC/dx: each x gets K[i, j] from every window that holds it at (i, j)
    grad_x = layer.backward(np.ones((1, 2, 2, 1)))
    np.testing.assert_array_equal(layer.kernel_gradient[:, :, 0, 0], [[12, 16], [24, 28]])
    np.testing.assert_array_equal(layer.bias_gradient, [4.0])
    np.testing.assert_array_equal(grad_x[0, :, :, 0], [[1, 1, 0], [1, 0, -1], [0, -1, -1]])


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_central_differences_agree_in_a_small_cnn(padding: str, strides: int) -> None:
    rng = np.random.default_rng(1)
    model = gn.Sequential(
        [
            gn.Input(shape=(7, 6, 2)),
            Conv2D(3, (3, 2), strides=strides, padding=padding, activation="tanh"),
            Conv2D(2, 2, padding="same", activation="sigmoid", kernel_regularizer="l2"),
            Flatten(),
            Dense(3, activation="softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "categorical_crossentropy")
    x = rng.normal(size=(4, 7, 6, 2))
    y = np.eye(3)[[0, 1, 2, 1]]
    report = check_gradients(model, x, y, check_input=True)
    assert report.passed, report.table()
    assert report.max_relative_error < 1e-7


def test_glorot_fans_of_a_conv_kernel_are_kerass() -> None:
    # keras.src.initializers.random_initializers.compute_fans((3, 3, 2, 8)) == (18, 72):
    # receptive field 3 * 3 times the input (fan_in) or output (fan_out) channels
    assert initializers._fans((3, 3, 2, 8)) == (18, 72)
    kernel = initializers.GlorotUniform()((3, 3, 2, 8), np.float64, np.random.default_rng(0))
    limit = np.sqrt(6.0 / (18 + 72))
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit  # drawn over the whole range, not a narrower one


def test_summary_shows_keras_output_shapes_and_parameter_counts() -> None:
    model = gn.Sequential(
        [
            gn.Input(shape=(28, 28, 1)),
            Conv2D(8, 3, activation="relu"),
            MaxPooling2D(),
            Conv2D(16, 3, strides=2, padding="same"),
            Flatten(),
            Dense(10, activation="softmax"),
        ]
    )
    text = model.summary_text()
    # Keras 3.15.1 prints these shapes and counts for the same layers (keras.Sequential(...)
    # .summary(); counts: 3*3*1*8+8 = 80, 3*3*8*16+16 = 1168, 7*7*16*10+10 = 7850)
    for shape, count in [
        ("(None, 26, 26, 8)", "80"),
        ("(None, 13, 13, 8)", "0"),
        ("(None, 7, 7, 16)", "1168"),
        ("(None, 784)", "0"),
        ("(None, 10)", "7850"),
    ]:
        assert any(shape in line and line.rstrip().endswith(count) for line in text.splitlines())
    assert "Total params: 9098" in text
    assert "conv2d_1 (Conv2D)" in text and "max_pooling2d (MaxPooling2D)" in text
    assert "(None, 7, 7, 16)" in model._repr_html_()


def test_build_takes_keras_shapes_and_checks_each_layer() -> None:
    model = gn.Sequential([Conv2D(2, 3), Flatten(), Dense(1)])
    model.build((None, 5, 5, 1))
    assert model.example_shape == (5, 5, 1) and model.input_features is None
    assert model.layers[0].kernel.shape == (3, 3, 1, 2)
    assert model.layers[2].kernel.shape == (18, 1)
    assert model.predict(np.zeros((2, 5, 5, 1))).shape == (2, 1)
    with pytest.raises(ValueError, match=r"For images give \(None, height, width, channels\)"):
        gn.Sequential([Conv2D(2, 3)]).build((None, 5, 5, 0))


def test_an_unbuilt_conv_model_adopts_the_image_shape_of_x() -> None:
    model = gn.Sequential([Conv2D(2, 3, activation="relu"), Flatten(), Dense(1)], seed=0)
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 6, 5, 3)), np.zeros(4), epochs=1, verbose=0)
    assert model.example_shape == (6, 5, 3)


def test_conv_models_save_and_load_bit_for_bit(tmp_path) -> None:
    model = gn.Sequential(
        [
            gn.Input(shape=(6, 6, 2)),
            Conv2D(3, 3, strides=2, padding="same", activation="relu", kernel_regularizer="l2"),
            Flatten(),
            Dense(2, activation="softmax"),
        ],
        seed=0,
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(8, 6, 6, 2))
    model.fit(x, np.arange(8) % 2, epochs=2, verbose=0)
    model.save(tmp_path / "m.glassnet")
    loaded = gn.load_model(tmp_path / "m.glassnet")
    assert loaded.example_shape == (6, 6, 2)
    assert repr(loaded) == repr(model)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))
    model.fit(x, np.arange(8) % 2, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, np.arange(8) % 2, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))  # optimizer state too


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([6, 6], "input_shape must be \\[height, width, channels\\]"),
        ([6, 6, 3], "whose product is input_features \\(72\\)"),
        ([6, -6, -2], "positive integers"),
        ("6x6x2", "input_shape must be"),
    ],
)
def test_a_forged_input_shape_is_refused(tmp_path, value, message) -> None:
    model = gn.Sequential([gn.Input(shape=(6, 6, 2)), Conv2D(3, 3), Flatten(), Dense(1)])
    model.save(tmp_path / "m.glassnet")
    arrays = read_members(tmp_path / "m.glassnet")
    header = header_of(arrays)
    assert header["input_shape"] == [6, 6, 2] and header["input_features"] == 72
    header["input_shape"] = value
    body = {k: v for k, v in arrays.items() if k != "header"}
    header["checksum"] = gn.io._checksum(header, body)
    write_members(tmp_path / "f.glassnet", arrays, header)
    with pytest.raises(gn.io.ModelFileError, match=message):
        gn.load_model(tmp_path / "f.glassnet")


def test_a_forged_huge_conv_layer_is_refused_before_allocating(tmp_path) -> None:
    model = gn.Sequential([gn.Input(shape=(6, 6, 2)), Conv2D(3, 3), Flatten(), Dense(1)])
    model.save(tmp_path / "m.glassnet")
    arrays = read_members(tmp_path / "m.glassnet")
    header = header_of(arrays)
    header["layers"][0]["filters"] = 10**8  # 3*3*2*10**8 parameters: over MAX_PARAMETERS
    body = {k: v for k, v in arrays.items() if k != "header"}
    header["checksum"] = gn.io._checksum(header, body)
    write_members(tmp_path / "f.glassnet", arrays, header)
    with pytest.raises(gn.io.ModelFileError, match=r"parameters"):
        gn.load_model(tmp_path / "f.glassnet")


# -- hostile arguments and inputs ------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Conv2D(0, 3), r"Conv2D expects filters, the number of output channels, to be"),
        (lambda: Conv2D(True, 3), r"filters.* positive integer, got True"),
        (lambda: Conv2D(4, 0), r"Conv2D expects kernel_size to be a positive integer or a pair"),
        (lambda: Conv2D(4, -3), r"kernel_size .* got -3"),
        (lambda: Conv2D(4, (3,)), r"kernel_size .* got \(3,\)"),
        (lambda: Conv2D(4, 2.5), r"kernel_size .* got 2.5"),
        (lambda: Conv2D(4, "3"), r"kernel_size .* got '3'"),
        (lambda: Conv2D(4, 3, strides=0), r"Conv2D expects strides to be a positive integer"),
        (lambda: Conv2D(4, 3, strides=(1, -1)), r"strides .* got \(1, -1\)"),
        (lambda: Conv2D(4, 3, padding="foo"), r"padding 'valid' .* or 'same' .* got 'foo'"),
        (lambda: Conv2D(4, 3, padding=None), r"got None"),
        (lambda: Conv2D(4, 3, activation="rleu"), r"relu"),
    ],
)
def test_bad_conv_arguments_get_clear_messages(make, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_padding_is_case_insensitive_as_in_keras() -> None:
    assert Conv2D(4, 3, padding="SAME").padding == "same"


def test_a_kernel_larger_than_the_input_is_refused_naming_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"Layer 'conv2d' \(Conv2D\) has a 5x5 window, larger "):
        gn.Sequential([gn.Input(shape=(4, 4, 1)), Conv2D(2, 5)])
    # with "same" padding it is allowed (as in Keras): the output keeps the input's size
    model = gn.Sequential([gn.Input(shape=(4, 4, 1)), Conv2D(2, 5, padding="same")])
    assert model._shape_after(1) == (4, 4, 2)
    # a chain that shrinks to nothing names the layer where it happens
    with pytest.raises(ValueError, match=r"'conv2d_1' \(Conv2D\) has a 3x3 window.*\(None, 2, 2, "):
        gn.Sequential([gn.Input(shape=(4, 4, 1)), Conv2D(2, 3), Conv2D(2, 3)])


def test_a_billion_filters_is_refused_by_the_memory_estimate() -> None:
    with pytest.raises(ValueError, match=r"weights of shape \(3, 3, 1, 1000000000\).*would take"):
        gn.Sequential([gn.Input(shape=(8, 8, 1)), Conv2D(10**9, 3)])


def test_a_huge_batch_of_windows_is_refused_by_the_memory_estimate() -> None:
    model = gn.Sequential([gn.Input(shape=(64, 64, 1)), Conv2D(1, 9)])
    x = np.broadcast_to(np.float32(0), (10**5, 64, 64, 1))  # no memory of its own
    with pytest.raises(ValueError, match=r"'conv2d' \(Conv2D\) windows for a batch of 100000"):
        model.layers[0].forward(x)


def test_dense_on_images_says_add_flatten() -> None:
    with pytest.raises(ValueError, match=r"'dense' \(Dense\) expects flat input .* Add Flatten"):
        gn.Sequential([gn.Input(shape=(8, 8, 1)), Dense(3)])
    with pytest.raises(ValueError, match=r"\(None, 6, 6, 2\)\. Add Flatten\(\) before it"):
        gn.Sequential([gn.Input(shape=(8, 8, 1)), Conv2D(2, 3), Dense(3)])


def test_conv_after_flat_input_says_images() -> None:
    with pytest.raises(ValueError, match=r"'conv2d' \(Conv2D\) expects images of shape \(batch, "):
        gn.Sequential([gn.Input(shape=(64,)), Conv2D(2, 3)])


def test_flat_x_into_a_conv_model_says_how_to_reshape() -> None:
    model = gn.Sequential([gn.Input(shape=(8, 8, 1)), Conv2D(2, 3), Flatten(), Dense(1)])
    with pytest.raises(ValueError, match=r"Expected 4-D array x of shape \(n_samples, 8, 8, 1\)"):
        model.predict(np.zeros((5, 64)))
    with pytest.raises(ValueError, match=r"e\.g\. x\.reshape\(-1, 8, 8, 1\)"):
        model.predict(np.zeros((5, 64)))
    with pytest.raises(ValueError, match=r"expects input of shape \(None, 8, 8, 1\), but x has"):
        model.predict(np.zeros((5, 8, 7, 1)))
    with pytest.raises(ValueError, match=r"e\.g\. x\.reshape\(-1, 8, 8, 1\)"):
        model.predict(np.zeros((5, 1, 8, 8)))  # channels first: same size, wrong layout
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"Expected 4-D array x_val"):
        model.fit(
            np.zeros((4, 8, 8, 1)),
            np.zeros(4),
            validation_data=(np.zeros((2, 64)), np.zeros(2)),
            verbose=0,
        )


def test_nan_inf_empty_and_text_images_are_refused() -> None:
    model = gn.Sequential([gn.Input(shape=(4, 4, 1)), Conv2D(2, 3), Flatten(), Dense(1)])
    x = np.zeros((3, 4, 4, 1))
    x[1, 2, 3, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinity \(first at example 1, position "):
        model.predict(x)
    with pytest.raises(ValueError, match=r"too large for float32 \(first at example 0"):
        model.predict(np.full((1, 4, 4, 1), 1e300))
    with pytest.raises(ValueError, match=r"at least one example"):
        model.predict(np.zeros((0, 4, 4, 1)))
    with pytest.raises(TypeError, match=r"Expected real numbers in x"):
        model.predict(np.full((1, 4, 4, 1), "<b>"))


def test_flat_models_keep_their_messages_for_image_x() -> None:
    model = gn.Sequential([gn.Input(shape=(3,)), Dense(1)])
    with pytest.raises(ValueError, match=r"Expected 2-D array x of shape \(n_samples, n_features"):
        model.predict(np.zeros((2, 3, 3, 1)))


def test_a_model_ending_in_images_cannot_be_trained_on_flat_targets() -> None:
    model = gn.Sequential([gn.Input(shape=(4, 4, 1)), Conv2D(2, 3)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"output has shape \(None, 2, 2, 2\).*End the model"):
        model.fit(np.zeros((2, 4, 4, 1)), np.zeros(2), verbose=0)
    assert model.predict(np.zeros((2, 4, 4, 1))).shape == (2, 2, 2, 2)  # predict still works


def test_a_conv_layer_built_elsewhere_is_refused_with_both_shapes() -> None:
    layer = Conv2D(2, 3)
    gn.Sequential([gn.Input(shape=(5, 5, 1)), layer])
    with pytest.raises(ValueError, match=r"already built for inputs of shape \(None, 5, 5, 1\), "):
        gn.Sequential([gn.Input(shape=(6, 6, 1)), layer])


def test_input_refuses_other_ranks_and_bad_sizes() -> None:
    for shape in [(4, 3), (2, 2, 2, 2), (8, 0, 1), (8, 8, True)]:
        with pytest.raises(ValueError, match=r"For images give \(height, width, channels\)"):
            gn.Input(shape=shape)


def test_softmax_normalises_over_the_channels_of_an_image_as_keras() -> None:
    # keras.activations.softmax works on the last axis; so must a Conv2D's softmax (it was
    # axis 1, the image's rows, before this step)
    z = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    a = gn.activations.get("softmax")(z.copy())
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a, np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True), atol=1e-12)


def test_dropout_and_activation_work_on_images() -> None:
    model = gn.Sequential(
        [
            gn.Input(shape=(4, 4, 2)),
            gn.layers.Dropout(0.5, seed=0),
            gn.layers.Activation("relu"),
            Conv2D(2, 3),
            Flatten(),
            Dense(1),
        ],
        seed=0,
    )
    assert model.summary_text().count("(None, 4, 4, 2)") == 2
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(3, 4, 4, 2))
    model.fit(x, np.zeros(3), verbose=0)
    assert model.layers[0].mask.shape == (3, 4, 4, 2)


def test_predict_in_chunks_keeps_the_image_output_shape() -> None:
    model = gn.Sequential([gn.Input(shape=(3, 3, 1)), Conv2D(2, 2)], seed=0)
    x = np.random.default_rng(0).normal(size=(5000, 3, 3, 1))  # more than one chunk of 4096
    out = model.predict(x)
    assert out.shape == (5000, 2, 2, 2)
    np.testing.assert_allclose(out[4500:], model.predict(x[4500:]), rtol=1e-6)


def test_the_trace_records_a_convolutions_own_numbers() -> None:
    # before, a Conv2D was traced as a weightless layer: its delta (dC/dz) was written down as
    # dC/da_prev, another shape and other numbers
    model = gn.Sequential(
        [
            gn.Input(shape=(5, 4, 2)),
            Conv2D(3, 2, strides=2, padding="same", activation="tanh"),
            Conv2D(2, 2, activation="relu"),
            Flatten(),
            Dense(1),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(3, 5, 4, 2))
    trace = model.trace_step(x, np.zeros(3))
    model.compute_gradients(x, np.zeros(3))
    second = model.layers[1]
    assert trace["z2"].value.shape == (3, 2, 1, 2) and trace["K2"].value.shape == (2, 2, 3, 2)
    np.testing.assert_array_equal(trace["dC/dK2"].value, second.kernel_gradient)
    np.testing.assert_array_equal(trace["dC/db2"].value, second.bias_gradient)
    expected = conv_backward_loop(
        trace["a1"].value, second.kernel, trace["delta2"].value, 1, "valid"
    )[2]
    np.testing.assert_allclose(trace["dC/da1"].value, expected, rtol=0, atol=1e-12)
    assert trace["dC/da1"].value.shape == (3, 3, 2, 3)


def test_set_weights_names_pytorchs_kernel_layout() -> None:
    model = gn.Sequential([gn.Input(shape=(6, 6, 2)), Conv2D(4, (3, 2)), Flatten(), Dense(1)])
    torch_layout = np.zeros((4, 2, 3, 2))  # (out, in, kh, kw)
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"expects shape \(3, 2, 2, 4\), got \(4, 2, 3, 2\)\. .*"):
        model.set_weights([torch_layout, *weights[1:]])
    with pytest.raises(ValueError, match=r"PyTorch's \(out, in, kh, kw\) layout.*transpose\(2, 3"):
        model.set_weights([torch_layout, *weights[1:]])
    model.set_weights([torch_layout.transpose(2, 3, 1, 0), *weights[1:]])  # the fix works


def test_conv_kernel_from_a_fortran_ordered_initializer_still_trains() -> None:
    """A custom Initializer may return a Fortran-ordered array; dC/dK was then made with
    zeros_like (Fortran too), backward's matmul wrote into a reshaped copy, and the kernel
    silently never moved while the rest of the net trained."""

    class FortranNormal(gn.initializers.Initializer):
        def __call__(self, shape, dtype, rng):
            values = np.random.default_rng(0).normal(0.0, 0.1, size=shape).astype(dtype)
            return np.asfortranarray(values)

    def model(initializer):
        return gn.Sequential(
            [
                gn.layers.Input((4, 4, 1)),
                gn.layers.Conv2D(2, 2, kernel_initializer=initializer),
                gn.layers.Flatten(),
                gn.layers.Dense(1, kernel_initializer=gn.initializers.Constant(1.0)),
            ]
        )

    fortran = model(FortranNormal())
    plain = model(gn.initializers.Constant(0.0))
    plain.set_weights(fortran.get_weights())  # the same numbers, C-ordered
    x = np.random.default_rng(1).normal(size=(3, 4, 4, 1))
    y = np.ones((3, 1))
    for net in (fortran, plain):
        net.compile(optimizer=gn.SGD(0.1), loss="mse")
        net.train_on_batch(x, y)
    for got, expected in zip(fortran.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    start = FortranNormal()((2, 2, 1, 2), "float32", None)
    assert not np.array_equal(fortran.get_weights()[0], start)  # the kernel moved
