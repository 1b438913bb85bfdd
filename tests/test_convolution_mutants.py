"""Conv2D's edges that mutation testing found untested (issue 21, `make mutate`'s convolution).

Each test pins what a caller sees: a refusal's whole message (with a value one step past the
edge it checks), a saved config, a repr, a parameter count against the built layer's, the
dtype the readable loops keep. ``tests/MUTANTS.md`` lists the mutants each one kills and the
ones left as equivalent.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers
from glassnet.layers import Conv2D, Reshape
from glassnet.layers.convolution import (
    conv_backward_loop,
    conv_forward_loop,
    output_size,
    pad_images,
)

INT64_MAX = 2**63 - 1


def message(make) -> str:
    with pytest.raises((TypeError, ValueError, AttributeError)) as caught:
        make()
    return str(caught.value)


def test_the_readable_loops_keep_float32() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 4, 2)).astype(np.float32)
    layer = Conv2D(3, (2, 3), strides=(2, 1), padding="same", activation="linear")
    layer.build((5, 4, 2), np.float32, rng)
    layer.bias[...] = rng.normal(size=3)
    z = conv_forward_loop(x, layer.kernel, layer.bias, (2, 1), "same")
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, layer.forward(x), rtol=1e-5, atol=1e-6)
    delta = rng.normal(size=z.shape).astype(np.float32)
    grads = conv_backward_loop(x, layer.kernel, delta, (2, 1), "same")
    assert [g.dtype for g in grads] == [np.float32] * 3
    layer.backward(delta)
    np.testing.assert_allclose(grads[1], layer.bias_gradient, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("filters", "shown"),
    [
        (0, "0"),
        (-1, "-1"),
        (INT64_MAX + 1, "9223372036854775808"),
        (True, "True"),
        (2.0, "2.0"),
        ("8", "'8'"),
        ("x" * 30, "'xxxxxxxxxxxxxxxxxxx... (30 characters)"),
    ],
)
def test_filters_that_are_not_a_positive_integer_are_refused_in_full(filters, shown) -> None:
    assert message(lambda: Conv2D(filters, 3)) == (
        f"Conv2D expects filters, the number of output channels, to be a positive integer, got "
        f"{shown}. Example: Conv2D(8, 3, activation='relu')."
    )


def test_the_largest_sizes_int64_holds_are_taken() -> None:
    layer = Conv2D(INT64_MAX, INT64_MAX, strides=(1, INT64_MAX))
    assert layer.filters == INT64_MAX and layer.kernel_size == (INT64_MAX, INT64_MAX)
    assert layer.strides == (1, INT64_MAX) and type(layer.strides[1]) is int
    layer = Conv2D(np.int64(4), (np.int32(3), np.int64(2)), strides=np.int8(2))
    assert layer.filters == 4 and type(layer.filters) is int
    assert layer.kernel_size == (3, 2) and {type(v) for v in layer.kernel_size} == {int}
    assert layer.strides == (2, 2) and {type(v) for v in layer.strides} == {int}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (INT64_MAX + 1, "9223372036854775808"),
        ((3, INT64_MAX + 1), "(3, 9223372036854775... (24 characters)"),
        ((True, 3), "(True, 3)"),
        ((3, 0), "(3, 0)"),
        ((0, 3), "(0, 3)"),
        ((3,), "(3,)"),
        ((3, 3, 3), "(3, 3, 3)"),
        ([3, 2.0], "[3, 2.0]"),
        ("3", "'3'"),
        (None, "None"),
    ],
)
def test_a_kernel_size_or_strides_that_is_not_one_or_two_positive_integers_is_refused_in_full(
    value, shown
) -> None:
    assert message(lambda: Conv2D(4, value)) == (
        f"Conv2D expects kernel_size to be a positive integer or a pair of them (rows, columns), "
        f"got {shown}. Example: Conv2D(8, kernel_size=3)."
    )
    assert message(lambda: Conv2D(4, 3, strides=value)) == (
        f"Conv2D expects strides to be a positive integer or a pair of them (rows, columns), "
        f"got {shown}. Example: Conv2D(8, 3, strides=2)."
    )


@pytest.mark.parametrize(
    ("padding", "shown"),
    [("full", "'full'"), ("x" * 40, "'xxxxxxxxxxxxxxxxxxx... (40 characters)"), (None, "None")],
)
def test_a_padding_that_is_not_valid_or_same_is_refused_in_full(padding, shown) -> None:
    assert message(lambda: Conv2D(4, 3, padding=padding)) == (
        f"Conv2D expects padding 'valid' (no padding: the output shrinks) or 'same' (pad so that "
        f"out = ceil(in / stride)), got {shown}."
    )
    assert Conv2D(4, 3, padding="Valid").padding == "valid"


def test_input_that_is_not_images_into_a_conv_layer_is_refused_in_full() -> None:
    for before, shown in [([gn.Input((4,))], "4"), ([gn.Input((16,)), Reshape((2, 8))], "2, 8")]:
        assert message(lambda before=before: gn.Sequential([*before, Conv2D(2, 1)])) == (
            f"Layer 'conv2d' (Conv2D) expects images of shape (batch, height, width, channels), "
            f"but it would receive (None, {shown}). Give the model Input(shape=(height, width, "
            f"channels)) and x of that shape, e.g. x.reshape(-1, 8, 8, 1) for 8x8 grey images, or "
            f"add Reshape((h, w, c)) before it."
        )


@pytest.mark.parametrize("window", [(3, 5), (5, 3)])
def test_a_window_larger_than_the_input_names_its_rows_and_columns(window) -> None:
    assert message(lambda: gn.Sequential([gn.Input((4, 4, 1)), Conv2D(2, window)])) == (
        f"Layer 'conv2d' (Conv2D) has a {window[0]}x{window[1]} window, larger than its input "
        f"(None, 4, 4, 1) with padding='valid': no output position fits. Use a smaller window, "
        f"padding='same', or larger images."
    )
    # a window exactly as large as the input fits once
    model = gn.Sequential([gn.Input((*window, 1)), Conv2D(2, window)])
    assert model._shape_after(1) == (1, 1, 2)


def test_a_missing_attribute_is_the_usual_attribute_error() -> None:
    layer = Conv2D(2, 3)
    assert message(lambda: layer.kernel) == "'Conv2D' object has no attribute 'kernel'"
    assert message(lambda: layer.no_such_thing) == (
        "'Conv2D' object has no attribute 'no_such_thing'"
    )


@pytest.mark.parametrize("use_bias", [True, False])
def test_the_parameter_count_before_building_is_the_built_layers(use_bias: bool) -> None:
    # kh * kw * channels * filters (+ filters): 3 * 2 * 5 * 4 (+ 4)
    layer = Conv2D(4, (3, 2), use_bias=use_bias)
    assert layer.parameter_count_for((6, 7, 5)) == 120 + (4 if use_bias else 0)
    layer.build((6, 7, 5), np.float64, np.random.default_rng(0))
    assert layer.count_params() == 120 + (4 if use_bias else 0)
    assert message(lambda: Conv2D(4, 5, name="c").parameter_count_for((4, 9, 1))) == (
        "Layer 'c' (Conv2D) has a 5x5 window, larger than its input (None, 4, 9, 1) with "
        "padding='valid': no output position fits. Use a smaller window, padding='same', or "
        "larger images."
    )


def test_no_regularizer_or_no_weights_yet_is_no_penalty() -> None:
    assert Conv2D(2, 3, kernel_regularizer="l2").regularization_penalty() == 0.0
    layer = Conv2D(2, 3)
    layer.build((4, 4, 1), np.float64, np.random.default_rng(0))
    assert layer.regularization_penalty() == 0.0
    layer = Conv2D(2, 3, kernel_regularizer=gn.regularizers.L2(0.5))
    layer.build((4, 4, 1), np.float64, np.random.default_rng(0))
    assert layer.regularization_penalty() == pytest.approx(0.5 * np.sum(layer.kernel**2))


def test_the_config_and_repr_say_every_setting() -> None:
    layer = Conv2D(
        8,
        (3, 2),
        strides=2,
        padding="SAME",
        activation="relu",
        use_bias=False,
        kernel_initializer="he_normal",
        bias_initializer=gn.initializers.Constant(0.5),
        kernel_regularizer=gn.regularizers.L2(0.25),
        name="edges",
    )
    assert layer.get_config() == {
        "class_name": "Conv2D",
        "name": "edges",
        "trainable": True,
        "filters": 8,
        "kernel_size": [3, 2],
        "strides": [2, 2],
        "padding": "same",
        "activation": {"name": "relu"},
        "use_bias": False,
        "kernel_initializer": {"name": "he_normal", "seed": None},
        "bias_initializer": {"name": "constant", "value": 0.5},
        "kernel_regularizer": {"name": "l2", "l2": 0.25},
    }
    assert repr(layer) == "Conv2D(8, (3, 2), strides=(2, 2), padding='same', activation='relu')"
    assert layer.parameter_names == ("kernel",)
    assert Conv2D(8, 3).parameter_names == ("kernel", "bias")


def test_the_defaults_are_kerass() -> None:
    layer = Conv2D(8, 3)
    assert layer.get_config() == {
        "class_name": "Conv2D",
        "name": None,
        "trainable": True,
        "filters": 8,
        "kernel_size": [3, 3],
        "strides": [1, 1],
        "padding": "valid",
        "activation": {"name": "linear"},
        "use_bias": True,
        "kernel_initializer": {"name": "glorot_uniform", "seed": None},
        "bias_initializer": {"name": "zeros"},
        "kernel_regularizer": None,
    }
    assert repr(layer) == "Conv2D(8, (3, 3), strides=(1, 1), padding='valid', activation='linear')"


def test_same_padding_that_needs_no_rows_adds_none() -> None:
    # out = ceil(W / S); 2P = max((out - 1) * S + F - W, 0), split with the odd one after
    assert output_size(6, 2, 2, "same") == (3, 0, 0)  # (3 - 1) * 2 + 2 - 6 = 0
    assert output_size(7, 1, 3, "same") == (3, 0, 0)  # a negative total is no padding
    assert output_size(7, 4, 3, "same") == (3, 1, 2)  # (3 - 1) * 3 + 4 - 7 = 3: 1, then 2
    assert output_size(1, 1, 1, "same") == (1, 0, 0)
    assert output_size(9, 9, 1, "valid") == (1, 0, 0)
    assert output_size(10, 3, 4, "valid") == (2, 0, 0)


def test_the_padding_added_to_images() -> None:
    x = np.arange(1.0, 7.0).reshape(1, 2, 3, 1)
    assert pad_images(x, (0, 0, 0, 0)) is x  # nothing to add: x itself, not a copy
    padded = pad_images(x, (1, 0, 0, 2), value=-np.inf)
    assert padded[0, :, :, 0].tolist() == [
        [-np.inf] * 5,
        [1.0, 2.0, 3.0, -np.inf, -np.inf],
        [4.0, 5.0, 6.0, -np.inf, -np.inf],
    ]
    assert pad_images(x, (0, 1, 1, 0))[0, :, :, 0].tolist() == [
        [0.0, 1.0, 2.0, 3.0],
        [0.0, 4.0, 5.0, 6.0],
        [0.0, 0.0, 0.0, 0.0],
    ]


def test_the_windows_memory_estimate_is_their_exact_bytes(monkeypatch) -> None:
    # 2 examples x 4 x 3 positions x (3 x 2 window) x 3 channels x 4 bytes = 1728 bytes
    layer = Conv2D(2, (3, 2), name="c")
    layer.build((6, 4, 3), np.float32, np.random.default_rng(0))
    x = np.zeros((2, 6, 4, 3), np.float32)
    monkeypatch.setattr(initializers, "MAX_ALLOCATION_BYTES", 1728)
    assert layer.forward(x).shape == (2, 4, 3, 2)
    monkeypatch.setattr(initializers, "MAX_ALLOCATION_BYTES", 1727)
    assert message(lambda: layer.forward(x)) == (
        "Layer 'c' (Conv2D) windows for a batch of 2 would take about 0.0 GiB (1,728 bytes), "
        "more than glassnet allows: 0.0 GiB (glassnet.initializers.MAX_ALLOCATION_BYTES, or half "
        "this machine's memory if less). Use fewer units, inputs or examples; if the memory is "
        "there, raise glassnet.initializers.MAX_ALLOCATION_BYTES."
    )


def _built(dtype) -> tuple[Conv2D, np.ndarray]:
    rng = np.random.default_rng(0)
    layer = Conv2D(3, (2, 3), strides=(2, 1), padding="same", activation="linear")
    layer.build((5, 4, 2), dtype, rng)
    layer.bias[...] = rng.normal(size=3)
    return layer, rng.normal(size=(2, 5, 4, 2)).astype(dtype)


def test_backward_delta_returns_the_input_gradient_unless_told_not_to() -> None:
    layer, x = _built(np.float64)
    delta = np.random.default_rng(1).normal(size=layer.forward(x).shape)
    expected = conv_backward_loop(x, layer.kernel, delta, (2, 1), "same")
    np.testing.assert_allclose(layer.backward_delta(delta), expected[2], rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.kernel_gradient, expected[0], rtol=0, atol=1e-12)
    assert layer.backward_delta(delta, need_input_gradient=False) is None


def test_a_float32_layers_input_gradient_is_float32() -> None:
    layer, x = _built(np.float32)
    delta = np.random.default_rng(1).normal(size=layer.forward(x).shape).astype(np.float32)
    grad = layer.backward(delta)
    assert grad.dtype == np.float32
    expected = conv_backward_loop(x, layer.kernel, delta, (2, 1), "same")[2]
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)


def test_a_float64_delta_into_a_float32_layer_is_not_rounded_to_float32() -> None:
    # NumPy's promotion: float64 dC/dz times float32 K gives float64 dC/da_prev, computed in
    # float64 (the readable loop's numbers to 1e-12, where float32 products are off by 1e-7)
    layer, x = _built(np.float32)
    delta = np.random.default_rng(1).normal(size=layer.forward(x).shape)
    grad = layer.backward(delta)
    assert grad.dtype == np.float64
    kernel = layer.kernel.astype(np.float64)
    expected = conv_backward_loop(x.astype(np.float64), kernel, delta, (2, 1), "same")[2]
    np.testing.assert_allclose(grad, expected, rtol=0, atol=1e-12)


def test_backward_without_the_input_gradient_returns_none_as_the_first_layer_asks() -> None:
    layer, x = _built(np.float64)
    delta = np.random.default_rng(1).normal(size=layer.forward(x).shape)
    assert layer.backward(delta, need_input_gradient=False) is None
    expected = conv_backward_loop(x, layer.kernel, delta, (2, 1), "same")
    np.testing.assert_allclose(layer.kernel_gradient, expected[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.backward(delta), expected[2], rtol=0, atol=1e-12)


def test_a_float32_layers_weights_and_gradients_are_float32() -> None:
    layer, x = _built(np.float32)
    assert layer.kernel.dtype == np.float32 and layer.bias.dtype == np.float32
    layer.backward(np.ones(layer.forward(x).shape, np.float32))
    assert layer.kernel_gradient.dtype == np.float32
    assert layer.bias_gradient.dtype == np.float32
    assert layer.bias_gradient.tolist() == [24.0, 24.0, 24.0]  # 2 examples x 3 x 4 positions


def test_the_same_seed_gives_the_same_weights_and_another_seed_another() -> None:
    def weights(seed: int) -> bytes:
        conv = Conv2D(3, 2, bias_initializer="random_normal")
        gn.Sequential([gn.Input((5, 5, 2)), conv], seed=seed)
        return conv.kernel.tobytes() + conv.bias.tobytes()

    assert weights(3) == weights(3)
    assert weights(3) != weights(4)


def test_a_batch_of_another_dtype_gets_work_arrays_of_its_own() -> None:
    # the windows are kept across calls; a float32 batch into a float64 layer, then the same
    # batch in float64, must compute as a fresh layer does, not in the float32 array kept
    layer, x = _built(np.float64)
    x64 = x + 1e-9  # not representable in float32
    layer.forward(x.astype(np.float32))
    z = layer.forward(x64)
    fresh, _ = _built(np.float64)
    assert z.tobytes() == fresh.forward(x64).tobytes()
    delta = np.random.default_rng(1).normal(size=z.shape)
    layer.backward(delta.astype(np.float32))
    fresh.backward(delta)
    assert layer.backward(delta).tobytes() == fresh.backward(delta).tobytes()
    assert layer.bias_gradient.tobytes() == fresh.bias_gradient.tobytes()


def test_the_readable_forward_keeps_its_tiled_bias_and_asks_the_memory_limit_once(
    monkeypatch,
) -> None:
    """Conv2D's own forward (issue 20, round four): b tiled into a kept (out_w, filters) array
    of the layer's dtype, the same one at the next call; the windows' memory check asks the
    limit once per window size and MAX_ALLOCATION_BYTES, lets a batch of exactly the limit
    pass and refuses one byte over it."""
    from glassnet.layers import convolution

    conv = convolution.Conv2D(3, 2)
    conv.build((6, 6, 2), np.float32, np.random.default_rng(0))
    conv.bias[...] = [1.0, 2.0, 3.0]
    asked = []
    limit = convolution.memory_limit
    monkeypatch.setattr(convolution, "memory_limit", lambda: asked.append(1) or limit())
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 2)).astype(np.float32)
    conv.forward(x)
    tiled = conv._buffers["tiled_bias"]
    assert tiled.dtype == np.float32
    assert tiled.tobytes() == np.tile(conv.bias, (5, 1)).tobytes()
    conv.forward(x)
    assert conv._buffers["tiled_bias"] is tiled and len(asked) == 1
    windows = 2 * 5 * 5 * 2 * 2 * 2 * 4  # batch x positions x kernel x channels x 4 bytes
    monkeypatch.setattr("glassnet.initializers.MAX_ALLOCATION_BYTES", windows)
    conv.forward(x)  # exactly the limit: allowed
    assert len(asked) == 2
    monkeypatch.setattr("glassnet.initializers.MAX_ALLOCATION_BYTES", windows - 1)
    with pytest.raises(ValueError, match="windows for a batch of 2 would take"):
        conv.forward(x)
