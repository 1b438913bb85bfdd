"""Pooling layers (issue 17, first step): cases worked by hand, the tie rule, central
differences, sizes, model files and hostile arguments. PyTorch/Keras parity: test_conv_parity.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import check_gradients
from glassnet.layers import (
    AveragePooling2D,
    Conv2D,
    Dense,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
)

X = np.array(  # one 4x4 image, one channel
    [[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0], [0.0, 9.0, 2.0, 2.0]]
).reshape(1, 4, 4, 1)


def built(layer, shape=(4, 4, 1)):
    layer.build(shape, np.float64, None)
    return layer


def test_max_pooling_worked_by_hand() -> None:
    layer = built(MaxPooling2D())
    # windows [[1 2] [3 4]] -> 4, [[5 0] [1 1]] -> 5, [[0 0] [0 9]] -> 9, [[2 2] [2 2]] -> 2
    np.testing.assert_array_equal(layer.forward(X)[0, :, :, 0], [[4, 5], [9, 2]])
    grad = layer.backward(np.array([10.0, 20.0, 30.0, 40.0]).reshape(1, 2, 2, 1))
    # each delta to its window's winner; the all-2 window's tie goes to its top-left entry
    np.testing.assert_array_equal(
        grad[0, :, :, 0],
        [[0, 0, 20, 0], [0, 10, 0, 0], [0, 0, 40, 0], [0, 30, 0, 0]],
    )


def test_average_pooling_worked_by_hand() -> None:
    layer = built(AveragePooling2D())
    np.testing.assert_array_equal(layer.forward(X)[0, :, :, 0], [[2.5, 1.75], [2.25, 2.0]])
    grad = layer.backward(np.array([4.0, 8.0, 12.0, 16.0]).reshape(1, 2, 2, 1))
    np.testing.assert_array_equal(
        grad[0, :, :, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    )


def test_same_average_pooling_counts_only_real_inputs() -> None:
    # 3x3 windows, stride 2, "same" on 4x4: out 2x2, pads (0, 1, 0, 1) bottom/right;
    # the bottom-right window holds x[2:4, 2:4] only: (2 + 2 + 2 + 2) / 4 = 2
    layer = built(AveragePooling2D(3, strides=2, padding="same"))
    out = layer.forward(X)[0, :, :, 0]
    assert out[1, 1] == 2.0
    assert out[0, 0] == pytest.approx(X[0, :3, :3, 0].mean())
    assert out[0, 1] == pytest.approx(X[0, :3, 2:, 0].mean())


def test_same_max_pooling_never_picks_the_padding() -> None:
    layer = built(MaxPooling2D(3, strides=2, padding="same"))
    negative = -np.ones((1, 4, 4, 1)) - np.arange(16.0).reshape(1, 4, 4, 1)
    out = layer.forward(negative)
    assert np.all(out < 0)  # zero padding would have given 0


def test_global_average_pooling_worked_by_hand() -> None:
    layer = built(GlobalAveragePooling2D(), (2, 2, 2))
    x = np.arange(8.0).reshape(1, 2, 2, 2)  # channel 0: 0 2 4 6, channel 1: 1 3 5 7
    np.testing.assert_array_equal(layer.forward(x), [[3.0, 4.0]])
    grad = layer.backward(np.array([[4.0, 8.0]]))
    np.testing.assert_array_equal(grad[0, :, :, 0], np.ones((2, 2)))
    np.testing.assert_array_equal(grad[0, :, :, 1], 2 * np.ones((2, 2)))


@pytest.mark.parametrize(
    "pooling",
    [
        lambda: MaxPooling2D(),
        lambda: MaxPooling2D(3, strides=2),  # does not tile the 7x6 input
        lambda: MaxPooling2D((2, 3), strides=1, padding="same"),
        lambda: AveragePooling2D(),
        lambda: AveragePooling2D(3, strides=2, padding="same"),
        lambda: AveragePooling2D((3, 2), strides=(1, 2)),
    ],
)
def test_central_differences_agree_through_pooling(pooling) -> None:
    model = gn.Sequential(
        [
            gn.Input(shape=(7, 6, 2)),
            Conv2D(3, 2, padding="same", activation="tanh"),
            pooling(),
            Flatten(),
            Dense(2),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(3, 7, 6, 2))
    report = check_gradients(model, x, np.zeros((3, 2)), check_input=True)
    assert report.passed, report.table()


def test_central_differences_agree_through_global_average_pooling() -> None:
    model = gn.Sequential(
        [
            gn.Input(shape=(5, 4, 3)),
            Conv2D(4, 3, activation="sigmoid"),
            GlobalAveragePooling2D(),
            Dense(2, activation="softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(3, 5, 4, 3))
    report = check_gradients(model, x, np.eye(2)[[0, 1, 1]], check_input=True)
    assert report.passed, report.table()


def test_pooling_sizes_strides_default_to_the_pool_and_save_and_load(tmp_path) -> None:
    layer = MaxPooling2D(3)
    assert layer.strides == (3, 3)
    model = gn.Sequential(
        [
            gn.Input(shape=(9, 9, 1)),
            layer,
            AveragePooling2D((2, 1), strides=1, padding="same"),
            GlobalAveragePooling2D(),
        ]
    )
    assert [shape for _, shape in model._layer_outputs()] == [(3, 3, 1), (3, 3, 1), (1,)]
    model.save(tmp_path / "p.glassnet")
    loaded = gn.load_model(tmp_path / "p.glassnet")
    assert repr(loaded) == repr(model)
    x = np.random.default_rng(0).normal(size=(2, 9, 9, 1))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pool_size": 0}, r"expects pool_size to be a positive integer or a pair .* got 0"),
        ({"pool_size": -2}, r"expects pool_size .* got -2"),
        ({"pool_size": (2, 2, 2)}, r"expects pool_size .* got \(2, 2, 2\)"),
        ({"pool_size": 1.5}, r"expects pool_size .* got 1.5"),
        ({"strides": 0}, r"expects strides to be a positive integer .* got 0"),
        ({"padding": "foo"}, r"expects padding 'valid' .* or 'same' .* got 'foo'"),
    ],
)
def test_bad_pooling_arguments_get_clear_messages(cls, kwargs, message) -> None:
    with pytest.raises(ValueError, match=f"{cls.kind} {message}"):
        cls(**kwargs)


def test_a_pool_larger_than_the_input_and_flat_input_are_refused() -> None:
    with pytest.raises(ValueError, match=r"'max_pooling2d' \(MaxPooling2D\) has a 5x5 window"):
        gn.Sequential([gn.Input(shape=(4, 4, 1)), MaxPooling2D(5)])
    with pytest.raises(
        ValueError, match=r"'average_pooling2d' \(AveragePooling2D\) expects images"
    ):
        gn.Sequential([gn.Input(shape=(16,)), AveragePooling2D()])
    with pytest.raises(ValueError, match=r"\(GlobalAveragePooling2D\) expects images of shape"):
        gn.Sequential([gn.Input(shape=(16,)), GlobalAveragePooling2D()])


@pytest.mark.parametrize(
    ("size", "pool", "strides", "padding"),
    [
        ((6, 6), 2, None, "valid"),
        ((5, 7), 2, None, "valid"),  # the odd last row and column are dropped
        ((7, 7), 3, None, "same"),  # -inf padding at the bottom/right
        ((8, 9), (3, 2), None, "valid"),
        ((9, 9), 2, 3, "valid"),  # strides beyond the pool: inputs no window reads
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("finite_deltas", [True, False])
def test_max_pooling_backward_fast_path_is_the_loop(
    size, pool, strides, padding, dtype, finite_deltas
) -> None:
    """Windows that do not overlap take ``_backward_apart``: the same gradient as the loop that
    adds each window's delta to its first maximum, ties (many, from small integers) and NaN
    inputs included; inf/NaN deltas (inf * 0 is NaN) go to the loop."""
    rng = np.random.default_rng(7)
    x = rng.integers(-2, 3, size=(3, *size, 2)).astype(dtype)
    x[0, 0, 0, 0] = np.nan  # no input equals a NaN maximum: that window's delta goes nowhere
    x[1, 1, 1, 1] = -np.inf
    layer = MaxPooling2D(pool, strides=strides, padding=padding)
    layer.build((*size, 2), np.dtype(dtype), None)
    a = layer.forward(x)
    grad = rng.normal(size=a.shape).astype(dtype)
    if not finite_deltas:
        grad.flat[:3] = [np.inf, -np.inf, np.nan]
    assert layer._windows_apart()
    fast = layer.backward(grad).copy()
    layer._windows_apart = lambda: False  # the loop, as written above the fast path
    loop = layer.backward(grad)
    assert fast.dtype == loop.dtype and fast.shape == x.shape
    np.testing.assert_array_equal(fast, loop)
    assert np.array_equal(np.signbit(fast), np.signbit(loop))  # no -0.0 where the loop has 0.0


def test_max_pooling_fast_path_gives_no_negative_zeros() -> None:
    """A negative delta times 0 is -0.0: the fast path once left -0.0 at every input that
    lost to a window with a negative delta (and at a winner of a -0.0 delta) where the loop
    writes 0.0 + ..., so the two differed in their bits (and a -0 printed)."""
    layer = MaxPooling2D(2)
    layer.build((2, 4, 1), np.float64, None)
    layer.forward(np.array([[1.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0]]).reshape(1, 2, 4, 1))
    fast = layer.backward(np.array([-3.0, -0.0]).reshape(1, 1, 2, 1)).ravel()
    assert fast.tolist() == [-3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert np.signbit(fast).tolist() == [True] + [False] * 7


def test_max_pooling_overlapping_windows_keep_the_loop() -> None:
    layer = MaxPooling2D(3, strides=2)
    layer.build((7, 7, 1), np.float64, None)
    assert not layer._windows_apart()
    x = np.zeros((1, 7, 7, 1))
    x[0, 2, 2, 0] = 1.0  # the shared corner of four windows: it gets all four deltas
    layer.forward(x)
    assert layer.backward(np.ones((1, 3, 3, 1)))[0, 2, 2, 0] == 4.0
