"""The benchmark's hand-written NumPy loops (benchmarks/hand.py, hand_cnn.py) compute what glassnet
computes: a few steps of each from the same weights, in the same batch order, give the same
weights (1e-12 in float64, 1e-6 in float32) and the same losses. Their speed is the benchmark's
business (``make bench``); that they train the same network is this file's."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from benchmarks import cases
from benchmarks.hand import HandMLP, HandSeed
from benchmarks.hand_cnn import HandCNN

import glassnet as gn
from glassnet.seed import seed_network


def same_generator(model: gn.Sequential) -> np.random.Generator:
    """A generator in the state of the model's: the same permutations, drawn independently."""
    return copy.deepcopy(model.rng)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hand_seed_loop_is_glassnet_fit(dtype: str) -> None:
    model = seed_network(dtype)
    x, y = cases.seed_data(dtype)
    hand = HandSeed(model.get_weights(), x, y)
    history = model.fit(x, y, epochs=25, batch_size=4, shuffle=False, verbose=0)
    losses = hand.fit(25)
    tolerance = 1e-12 if dtype == "float64" else 1e-6
    for ours, theirs in zip(hand.weights, model.get_weights(), strict=True):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance)
    np.testing.assert_allclose(losses, history.history["loss"], rtol=tolerance)
    assert not np.array_equal(hand.weights[0], seed_network(dtype).get_weights()[0])  # it moved


def test_hand_seed_loop_with_another_rate() -> None:
    model = seed_network("float64")
    model.optimizer.learning_rate = 0.3
    x, y = cases.seed_data("float64")
    hand = HandSeed(model.get_weights(), x, y, learning_rate=0.3)
    for _ in range(5):
        model.train_on_batch(x, y)
        hand.step()
    for ours, theirs in zip(hand.weights, model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("batch", [32, 100])  # 100: a smaller last batch (its own buffers)
def test_hand_mlp_epoch_is_glassnet_fit(batch: int) -> None:
    x, labels = cases.synthetic_data(256, seed=3)
    model = cases.glassnet_mlp(cases.MLP)
    start = model.get_weights()
    hand = HandMLP(start, learning_rate=0.1, rng=same_generator(model))
    history = model.fit(x, labels, epochs=2, batch_size=batch, verbose=0)
    losses = [hand.epoch(x, labels, batch) for _ in range(2)]
    for ours, theirs, before in zip(hand.weights, model.get_weights(), start, strict=True):
        assert ours.dtype == np.float32 and not np.array_equal(theirs, before)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-5)


@pytest.mark.parametrize("batch", [64, 48])  # 48: 128 rows leave a last batch of 32
def test_hand_cnn_epoch_is_glassnet_fit(batch: int) -> None:
    x, labels = cases.synthetic_images(128, seed=4)
    model = cases.glassnet_cnn()
    start = model.get_weights()
    hand = HandCNN(start, learning_rate=cases.CNN_RATE, rng=same_generator(model))
    history = model.fit(x, labels, epochs=2, batch_size=batch, verbose=0)
    losses = [hand.epoch(x, labels, batch) for _ in range(2)]
    for ours, theirs, before in zip(hand.weights, model.get_weights(), start, strict=True):
        assert ours.dtype == np.float32 and not np.array_equal(theirs, before)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-5)


def test_hand_cnn_with_tied_maxima_is_glassnet_fit() -> None:
    """Exactly tied maxima from different windows: columns 0, 0.5, 1 repeating and a first
    kernel of equal weights make every 3x3 window's sum 4.5 / 8, so each first pooling window's
    4 values tie, and which window takes the gradient changes the kernel's gradient (the
    windows differ). The second kernel in 64ths keeps its sums exact too (in any order of
    addition, so no rounding breaks its ties either way). Both must pick the first, row by
    row: the last instead, in either pooling, moves the kernel gradients' windows by a shift
    (1 or 2 columns) the period-3 data does not repeat over."""
    x, labels = cases.synthetic_images(64, seed=5)
    x[...] = np.tile(np.array([0.0, 0.5, 1.0], np.float32), 10)[:28][None, None, :, None]
    model = cases.glassnet_cnn()
    weights = model.get_weights()
    weights[0][...] = 0.125
    weights[2][...] = np.round(weights[2] * 64) / 64
    model.set_weights(weights)
    hand = HandCNN(weights, learning_rate=cases.CNN_RATE, rng=same_generator(model))
    history = model.fit(x, labels, epochs=1, batch_size=32, verbose=0)
    losses = [hand.epoch(x, labels, 32)]
    for ours, theirs in zip(hand.weights, model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-5)


def test_hand_cnn_pool_routes_ties_to_the_first_maximum() -> None:
    """Pool-major blocks (4, ...): block k holds each window's k-th value in row order. Tied
    maxima: the gradient goes to the first, as MaxPooling2D's."""
    from benchmarks.hand_cnn import _pool, _route

    windows = np.array([[3.0, 3.0, 1.0, 3.0], [1.0, 2.0, 2.0, 0.0], [0.0, 0.0, 0.0, 5.0]])
    z = windows.T.copy()  # (4 blocks, 3 windows)
    peak = _pool(z, np.empty(3))
    out = np.full_like(z, np.nan)
    _route(z, peak, np.array([2.0, -1.0, 4.0]), out, np.empty(3, bool))
    layer = gn.layers.MaxPooling2D(2)
    layer.build((2, 2, 1), np.float64, None)
    images = windows.reshape(3, 2, 2, 1)
    np.testing.assert_array_equal(peak, layer.forward(images).ravel())
    expected = layer.backward(np.array([2.0, -1.0, 4.0]).reshape(3, 1, 1, 1))
    np.testing.assert_array_equal(out.T, expected.reshape(3, 4))
    assert out.T.tolist() == [[2.0, 0.0, 0.0, 0.0], [0.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 4.0]]


def test_hand_cnn_parity_kernel_places_every_offset_once() -> None:
    """The input-gradient kernel P: each (output block a, b; offset i, j) pair lands at exactly
    one (shift, parity) column group, and the rest of P is the appended zero."""
    from benchmarks.hand_cnn import KERNEL, _parity_kernel_index

    f1, f2 = 8, 16
    index = _parity_kernel_index(f1, f2)
    size = KERNEL * KERNEL * f1 * f2
    used = index[index < size]
    assert np.array_equal(np.bincount(used, minlength=size), np.full(size, 4))  # 4 blocks each
    assert index.shape == (4 * f2, 16 * f1) and (index == size).sum() == index.size - 4 * size


def test_hand_cnn_refuses_images_it_cannot_pool_major() -> None:
    hand = HandCNN(cases.glassnet_cnn().get_weights(), cases.CNN_RATE, np.random.default_rng(0))
    for shape in [(2, 27, 27, 1), (2, 30, 30, 1), (2, 28, 26, 1), (2, 28, 28, 3)]:
        with pytest.raises(ValueError, match=r"square 1-channel images of a side divisible by 4"):
            hand.step(np.zeros(shape, np.float32), np.zeros(2, np.int64))
