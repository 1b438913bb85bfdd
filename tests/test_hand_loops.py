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


def test_hand_cnn_pool_routes_ties_to_the_first_maximum() -> None:
    """Tied positive maxima: the gradient goes to the first in row order, as MaxPooling2D's."""
    from benchmarks.hand_cnn import _pool_backward, _pool_forward

    z = np.array([[3.0, 3.0], [1.0, 3.0]]).reshape(1, 2, 2, 1)
    pooled = _pool_forward(z, np.empty((1, 1, 1, 1)))
    out = np.full_like(z, np.nan)
    _pool_backward(z, pooled, np.array([[[[2.0]]]]), out, np.empty((1, 1, 1, 1), bool))
    layer = gn.layers.MaxPooling2D(2)
    layer.build((2, 2, 1), np.float64, None)
    layer.forward(z)
    np.testing.assert_array_equal(out, layer.backward(np.array([[[[2.0]]]])))
    assert out.ravel().tolist() == [2.0, 0.0, 0.0, 0.0]
