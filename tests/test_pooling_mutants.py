"""MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D: what `scripts/mutate pooling` found no
test for (issue 21).

Each test pins a whole message, a value or a dtype that a surviving mutant changed: every refusal
word for word (the other tests match a fragment), the padded-batch limit at its edge, the config
and repr the model files and faces read, float32 kept through every pass, and the numbers against
PyTorch's ``max_pool2d`` / ``avg_pool2d`` (their gradients by autograd) or the rule as written.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
import torch
import torch.nn.functional as functional

import glassnet as gn
from glassnet.layers import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D

POSITIVE = "to be a positive integer or a pair of them (rows, columns), got"
PADDING = (
    "expects padding 'valid' (no padding: the output shrinks) or 'same' (pad so that out = "
    "ceil(in / stride)), got"
)
LIMIT_TAIL = (
    "more than glassnet allows: 0.0 GiB (glassnet.initializers.MAX_ALLOCATION_BYTES, or half this "
    "machine's memory if less). Use fewer units, inputs or examples; if the memory is there, raise "
    "glassnet.initializers.MAX_ALLOCATION_BYTES."
)


def _message(call, error=ValueError) -> str:
    with pytest.raises(error) as caught:
        call()
    return str(caught.value)


ARGUMENTS = [
    (
        lambda: MaxPooling2D(0),
        f"MaxPooling2D expects pool_size {POSITIVE} 0. Example: MaxPooling2D(pool_size=2).",
    ),
    (
        lambda: AveragePooling2D((2, 2, 2)),
        f"AveragePooling2D expects pool_size {POSITIVE} (2, 2, 2). "
        f"Example: AveragePooling2D(pool_size=2).",
    ),
    (
        lambda: MaxPooling2D(2, strides=0),
        f"MaxPooling2D expects strides {POSITIVE} 0. Example: MaxPooling2D(2, strides=2).",
    ),
    (
        lambda: AveragePooling2D(2, strides=(1, 2, 3)),
        f"AveragePooling2D expects strides {POSITIVE} (1, 2, 3). "
        f"Example: AveragePooling2D(2, strides=2).",
    ),
    (lambda: MaxPooling2D(2, padding="full"), f"MaxPooling2D {PADDING} 'full'."),
    (lambda: AveragePooling2D(2, padding=None), f"AveragePooling2D {PADDING} None."),
]


@pytest.mark.parametrize(("call", "expected"), ARGUMENTS)
def test_every_refused_argument_gets_its_whole_message(call, expected) -> None:
    assert _message(call) == expected


IN_A_MODEL = [
    (
        lambda: gn.Sequential([gn.Input((4, 4, 1)), MaxPooling2D(5, name="pool")]),
        "Layer 'pool' (MaxPooling2D) has a 5x5 window, larger than its input (None, 4, 4, 1) with "
        "padding='valid': no output position fits. Use a smaller window, padding='same', or "
        "larger images.",
    ),
    (
        lambda: gn.Sequential([gn.Input((5, 3, 2)), AveragePooling2D((2, 4), name="mean")]),
        "Layer 'mean' (AveragePooling2D) has a 2x4 window, larger than its input (None, 5, 3, 2) "
        "with padding='valid': no output position fits. Use a smaller window, padding='same', or "
        "larger images.",
    ),
    (
        lambda: gn.Sequential([gn.Input((16,)), MaxPooling2D()]),
        "Layer 'max_pooling2d' (MaxPooling2D) expects images of shape (batch, height, width, "
        "channels), but it would receive (None, 16). Give the model Input(shape=(height, width, "
        "channels)) and x of that shape, e.g. x.reshape(-1, 8, 8, 1) for 8x8 grey images, or add "
        "Reshape((h, w, c)) before it.",
    ),
    (
        lambda: gn.Sequential([gn.Input((16,)), GlobalAveragePooling2D(name="gap")]),
        "Layer 'gap' (GlobalAveragePooling2D) expects images of shape (batch, height, width, "
        "channels), but it would receive (None, 16).",
    ),
    (
        lambda: GlobalAveragePooling2D(name="g").compute_output_shape((2, 2, 2, 2)),  # no Input
        "Layer 'g' (GlobalAveragePooling2D) expects images of shape "
        "(batch, height, width, channels), but it would receive (None, 2, 2, 2, 2).",
    ),
]


@pytest.mark.parametrize(("call", "expected"), IN_A_MODEL)
def test_every_refusal_in_a_model_gets_its_whole_message(call, expected) -> None:
    assert _message(call) == expected


@pytest.mark.parametrize("pooling", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize(("dtype", "itemsize"), [("float32", 4), ("float64", 8)])
def test_the_padded_batch_limit_counts_every_row_column_channel_and_byte(
    pooling, dtype, itemsize, monkeypatch
) -> None:
    """A 5x4x3 image pooled 3x2 with strides 2, 'same': pads (1, 1, 0, 0), a padded example of
    7 x 4 x 3 = 84 numbers. A batch of 2 at exactly the limit runs; one byte less refuses it,
    in build (a batch of 1) and in forward (the batch given), with the whole message."""
    layer = pooling((3, 2), strides=2, padding="same", name="p")
    assert layer.compute_output_shape((5, 4, 3)) == (3, 2, 3)
    monkeypatch.setattr(gn.initializers, "MAX_ALLOCATION_BYTES", 2 * 84 * itemsize)
    layer.build((5, 4, 3), np.dtype(dtype), None)
    assert layer.pads == (1, 1, 0, 0)
    x = np.arange(2 * 5 * 4 * 3, dtype=dtype).reshape(2, 5, 4, 3)
    assert layer.forward(x).shape == (2, 3, 2, 3)  # exactly the limit: allowed
    monkeypatch.setattr(gn.initializers, "MAX_ALLOCATION_BYTES", 2 * 84 * itemsize - 1)
    nbytes = 2 * 84 * itemsize
    assert _message(lambda: layer.forward(x)) == (
        f"Layer 'p' ({layer.kind}) with pool_size=(3, 2) and padding='same': the padded input "
        f"(2, 7, 4, 3) of a batch of 2 would take about 0.0 GiB ({nbytes:,} bytes), {LIMIT_TAIL}"
    )
    monkeypatch.setattr(gn.initializers, "MAX_ALLOCATION_BYTES", 84 * itemsize - 1)
    fresh = pooling((3, 2), strides=2, padding="same", name="p")
    assert _message(lambda: fresh.build((5, 4, 3), np.dtype(dtype), None)) == (
        f"Layer 'p' ({layer.kind}) with pool_size=(3, 2) and padding='same': the padded input "
        f"(1, 7, 4, 3) of a batch of 1 would take about 0.0 GiB ({84 * itemsize:,} bytes), "
        f"{LIMIT_TAIL}"
    )


def test_config_and_repr_say_each_setting() -> None:
    layer = MaxPooling2D((2, 3), strides=(1, 2), padding="SAME", name="p")
    assert layer.get_config() == {
        "class_name": "MaxPooling2D",
        "name": "p",
        "trainable": True,
        "pool_size": [2, 3],
        "strides": [1, 2],
        "padding": "same",
    }
    assert repr(layer) == "MaxPooling2D(pool_size=(2, 3), strides=(1, 2), padding='same')"
    assert repr(AveragePooling2D(3)) == (
        "AveragePooling2D(pool_size=(3, 3), strides=(3, 3), padding='valid')"
    )
    assert repr(GlobalAveragePooling2D()) == "GlobalAveragePooling2D()"
    assert GlobalAveragePooling2D(name="g").get_config() == {
        "class_name": "GlobalAveragePooling2D",
        "name": "g",
        "trainable": True,
    }
    assert (MaxPooling2D().name, AveragePooling2D().name, GlobalAveragePooling2D().name) == (
        None,
        None,
        None,
    )
    model = gn.Sequential([gn.Input((4, 4, 1)), MaxPooling2D(), AveragePooling2D(1)])
    assert [layer.name for layer in model.layers] == ["max_pooling2d", "average_pooling2d"]


def _torch_pool(kind: str, x: np.ndarray, layer, delta: np.ndarray):
    """PyTorch's pooling of NHWC ``x`` (padding by hand as the layer pads: -inf for max; for
    average the sum over the real inputs divided by their count) and its input gradient."""
    top, bottom, left, right = layer.pads
    t = torch.tensor(x).permute(0, 3, 1, 2).requires_grad_(True)
    if kind == "max":
        padded = functional.pad(t, (left, right, top, bottom), value=-np.inf)
        out = functional.max_pool2d(padded, layer.pool_size, layer.strides)
    else:
        padded = functional.pad(t, (left, right, top, bottom))
        total = functional.avg_pool2d(padded, layer.pool_size, layer.strides, divisor_override=1)
        ones = functional.pad(torch.ones_like(t[:1, :1]), (left, right, top, bottom))
        count = functional.avg_pool2d(ones, layer.pool_size, layer.strides, divisor_override=1)
        out = total / count
    out.backward(torch.tensor(delta).permute(0, 3, 1, 2))
    return out.permute(0, 2, 3, 1).detach().numpy(), t.grad.permute(0, 2, 3, 1).numpy()


CASES = [
    # (pool, strides, padding, image): every window offset and stride read, rows != columns
    ((2, 3), (2, 3), "valid", (6, 9)),
    ((3, 2), (1, 2), "valid", (5, 6)),  # overlapping rows: the loop
    ((3, 3), (2, 2), "same", (5, 6)),  # pads (1, 1, 0, 1): the bottom row and right column
    ((2, 2), (3, 2), "same", (7, 5)),  # strides beyond the pool, pads at the bottom/right only
]


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
@pytest.mark.parametrize("kind", ["max", "average"])
def test_forward_and_input_gradient_are_pytorchs(case, kind) -> None:
    """float64, several examples and channels, distinct values (no ties): forward and dC/dx
    equal PyTorch's to the last bit for max, to 1e-14 for the mean."""
    pool, strides, padding, (h, w) = case
    layer = (MaxPooling2D if kind == "max" else AveragePooling2D)(pool, strides, padding)
    layer.build((h, w, 3), np.float64, None)
    rng = np.random.default_rng(3)
    x = rng.permutation(2 * h * w * 3).reshape(2, h, w, 3) / 7.0 - 10.0
    a = layer.forward(x)
    delta = rng.normal(size=a.shape)
    expected_a, expected_grad = _torch_pool(kind, x, layer, delta)
    grad = layer.backward(delta)
    assert grad.shape == x.shape and a.shape == expected_a.shape
    np.testing.assert_allclose(a, expected_a, rtol=1e-14, atol=0)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(layer.backward_delta(delta), grad)
    np.testing.assert_array_equal(layer.delta, grad)


@pytest.mark.parametrize("pooling", [MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D])
def test_float32_stays_float32_through_both_passes(pooling) -> None:
    layer = pooling() if pooling is GlobalAveragePooling2D else pooling(3, padding="same")
    layer.build((4, 5, 2), np.float32, None)
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 2)).astype(np.float32)
    a = layer.forward(x)
    grad = layer.backward(np.ones(a.shape, np.float32) / 3)
    assert a.dtype == grad.dtype == np.float32
    reference = pooling() if pooling is GlobalAveragePooling2D else pooling(3, padding="same")
    reference.build((4, 5, 2), np.float64, None)
    a64 = reference.forward(x.astype(np.float64))
    grad64 = reference.backward(np.ones(a.shape) / 3)
    np.testing.assert_allclose(a, a64, rtol=1e-6)
    np.testing.assert_allclose(grad, grad64, rtol=1e-6)


def test_average_pooling_counts_only_real_inputs_in_every_window() -> None:
    """3x3 windows, stride 1, 'same' on a 3x4 image of ones: each output is 1 (the sum over its
    real inputs divided by their count), and the counts are those of the rule as written."""
    layer = AveragePooling2D(3, strides=1, padding="same")
    layer.build((3, 4, 1), np.float32, None)
    np.testing.assert_array_equal(
        layer.counts[0, :, :, 0], [[4, 6, 6, 4], [6, 9, 9, 6], [4, 6, 6, 4]]
    )
    assert layer.counts.dtype == np.float32
    np.testing.assert_array_equal(layer.forward(np.ones((1, 3, 4, 1), np.float32)), 1.0)
    # backward: every input gets the sum of 1/count over the windows it is in
    grad = layer.backward(np.ones((1, 3, 4, 1), np.float32))[0, :, :, 0]
    c = layer.counts[0, :, :, 0].astype(np.float64)
    expected = np.zeros((3, 4))
    for y in range(3):
        for x in range(4):
            expected[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2] += 1 / c[y, x]
    np.testing.assert_allclose(grad, expected, rtol=1e-6)


def test_global_average_pooling_shares_a_float32_delta_in_float32() -> None:
    """delta / (h * w) divided by a float32 3 * 5 = 15: the same float32 bits as NumPy's."""
    layer = GlobalAveragePooling2D()
    layer.build((3, 5, 2), np.float32, None)
    layer.forward(np.zeros((2, 3, 5, 2), np.float32))
    delta = np.array([[1.0, 2.0], [3.0, -7.0]], np.float32)
    grad = layer.backward(delta)
    assert grad.dtype == np.float32 and grad.shape == (2, 3, 5, 2)
    expected = delta / np.float32(15)
    for y in range(3):
        for x in range(5):
            assert grad[:, y, x, :].tobytes() == expected.tobytes()
    grad[0, 0, 0, 0] = 99.0  # a copy: the other positions keep their share
    assert grad[0, 1, 1, 0] == expected[0, 0]
    np.testing.assert_array_equal(layer.backward_delta(delta), layer.backward(delta))


def test_max_pooling_routes_a_tie_to_the_first_maximum_as_pytorch() -> None:
    """Windows of equal values (and of a repeated maximum), tiling and overlapping: each delta
    to the first maximum reading row by row, as PyTorch's max_pool2d (its autograd)."""
    x = np.array(
        [[2.0, 2.0, 1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 3.0, 3.0, 0.0, 3.0], [1.0] * 6, [5.0] * 6]
    ).reshape(1, 4, 6, 1)
    for pool, strides in (((2, 2), (2, 2)), ((2, 3), (2, 3)), ((2, 2), (1, 1)), ((3, 2), (1, 2))):
        layer = MaxPooling2D(pool, strides)
        layer.build((4, 6, 1), np.float64, None)
        a = layer.forward(x)
        delta = np.arange(1.0, a.size + 1).reshape(a.shape)
        expected_a, expected_grad = _torch_pool("max", x, layer, delta)
        np.testing.assert_array_equal(a, expected_a)
        np.testing.assert_array_equal(layer.backward(delta), expected_grad)


def test_max_pooling_backward_of_an_inf_delta_in_tiling_windows_is_the_loops() -> None:
    """An inf delta (times 0 is NaN) goes through the loop: inf at the winner, 0 elsewhere."""
    layer = MaxPooling2D(2)
    layer.build((2, 4, 1), np.float64, None)
    layer.forward(np.array([[1.0, 0.0, 2.0, 4.0], [0.0, 0.0, 3.0, 2.0]]).reshape(1, 2, 4, 1))
    grad = layer.backward(np.array([np.inf, -2.0]).reshape(1, 1, 2, 1)).ravel()
    assert grad.tolist() == [np.inf, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.0]
    assert not np.signbit(grad[[1, 2, 4, 5, 6, 7]]).any()


@pytest.mark.parametrize("pool", [2, (3, 2)])
def test_a_delta_that_broadcasts_over_the_batch_is_routed_as_the_whole_delta(pool) -> None:
    """backward takes a delta that NumPy broadcasts to the output (one row for every example):
    the loop routes it as the delta repeated for each example (the fast path of tiling windows
    needs the output's own shape, and is not taken)."""
    layer = MaxPooling2D(pool)
    layer.build((6, 4, 2), np.float64, None)
    x = np.random.default_rng(1).normal(size=(3, 6, 4, 2))
    a = layer.forward(x)
    one = np.random.default_rng(2).normal(size=(1, *a.shape[1:]))
    expected = layer.backward(np.repeat(one, 3, axis=0)).copy()
    np.testing.assert_array_equal(layer.backward(one), expected)
