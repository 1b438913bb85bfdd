"""Tiny cases worked by hand, with exact expected numbers.

Each expected value is derived in the comment above it from the inputs, so a reader can redo the
arithmetic on paper; all numbers are exact in binary floating point (halves and quarters). Where a
case is too big to work on paper, the formulas are written out in plain NumPy instead.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def one_dense(kernel, bias, activation="linear"):
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1, activation)], dtype="float64")
    model.set_weights([np.array(kernel, dtype=float), np.array(bias, dtype=float)])
    return model


def test_one_dense_step_by_hand() -> None:
    # x = [1, 2], W = [[0.5], [-0.25]], b = [0.25], linear: z = 0.5 - 0.5 + 0.25 = 0.25
    model = one_dense([[0.5], [-0.25]], [0.25])
    model.compile(gn.SGD(learning_rate=0.5), gn.HalfSumSquaredError())
    x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    # C = 1/2 (0.25 - 1)^2 = 0.28125
    assert model.train_on_batch(x, y) == 0.28125
    layer = model.layers[0]
    # dC/da = a - y = -0.75 = delta (linear); dC/dW = x.T @ delta = [[-0.75], [-1.5]]; dC/db = -0.75
    np.testing.assert_array_equal(layer.delta, [[-0.75]])
    np.testing.assert_array_equal(layer.kernel_gradient, [[-0.75], [-1.5]])
    np.testing.assert_array_equal(layer.bias_gradient, [-0.75])
    # W <- W - 0.5 dC/dW = [[0.875], [0.5]]; b <- 0.25 + 0.375 = 0.625
    np.testing.assert_array_equal(layer.kernel, [[0.875], [0.5]])
    np.testing.assert_array_equal(layer.bias, [0.625])


def test_mse_is_twice_over_n_the_half_sum() -> None:
    # two examples, outputs 0.5 and 1.5 against 0: mse = (0.25 + 2.25) / 2 = 1.25
    a, y = np.array([[0.5], [1.5]]), np.zeros((2, 1))
    assert gn.MeanSquaredError()(y, a) == 1.25
    np.testing.assert_array_equal(gn.MeanSquaredError().gradient(y, a), [[0.5], [1.5]])  # 2(a-y)/2
    assert gn.HalfSumSquaredError()(y, a) == 1.25  # 1/2 (0.25 + 2.25)
    np.testing.assert_array_equal(gn.HalfSumSquaredError().gradient(y, a), a)


def test_softmax_cross_entropy_fused_delta_by_hand() -> None:
    # z = [0, 0] -> a = [0.5, 0.5]; y = [1, 0]; delta = (a - y) / n = [-0.5, 0.5]
    model = gn.Sequential(
        [gn.Input((1,)), gn.layers.Dense(2, "softmax", kernel_initializer="zeros")], dtype="float64"
    )
    model.compile("sgd", "categorical_crossentropy")
    loss = model.compute_gradients(np.array([[1.0]]), np.array([[1.0, 0.0]]))
    assert loss == pytest.approx(np.log(2), abs=1e-15)  # -log(0.5)
    np.testing.assert_array_equal(model.layers[0].delta, [[-0.5, 0.5]])


def test_fused_and_in_place_paths_give_the_textbook_numbers() -> None:
    """The fast paths (fused softmax-CE delta, in-place updates) against the formulas written
    out in plain NumPy, in float64, for a few SGD steps on a small ReLU/softmax net."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 5))
    labels = rng.integers(0, 3, size=16)
    model = gn.Sequential(
        [gn.Input(shape=(5,)), gn.layers.Dense(4, "relu"), gn.layers.Dense(3, "softmax")],
        dtype="float64",
        seed=0,
    )
    model.compile(optimizer=gn.SGD(0.1), loss="sparse_categorical_crossentropy")
    w1, b1, w2, b2 = model.get_weights()
    onehot = np.eye(3)[labels]
    for _ in range(3):
        loss = model.train_on_batch(x, labels)
        z1 = x @ w1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ w2 + b2
        a2 = np.exp(z2 - z2.max(axis=1, keepdims=True))
        a2 /= a2.sum(axis=1, keepdims=True)
        expected = -np.sum(onehot * np.log(np.clip(a2, 1e-7, 1 - 1e-7))) / len(x)
        delta2 = (a2 - onehot) / len(x)
        delta1 = (delta2 @ w2.T) * (z1 > 0)
        w1, b1 = w1 - 0.1 * x.T @ delta1, b1 - 0.1 * delta1.sum(axis=0)
        w2, b2 = w2 - 0.1 * a1.T @ delta2, b2 - 0.1 * delta2.sum(axis=0)
        assert loss == pytest.approx(expected, rel=1e-12)
    for got, want in zip(model.get_weights(), (w1, b1, w2, b2), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def first_step(optimizer, grad=(0.5, -2.0), weights=(1.0, 1.0)):
    w = np.array(weights)
    optimizer.build([w])
    optimizer.apply([w], [np.array(grad)])
    return w


def test_sgd_first_step() -> None:
    # W - 0.1 g = [1 - 0.05, 1 + 0.2]
    np.testing.assert_array_equal(first_step(gn.SGD(0.1)), [0.95, 1.2])


def test_momentum_first_and_second_step() -> None:
    opt = gn.SGD(0.5, momentum=0.5)
    w = first_step(opt)  # b = g = [0.5, -2]; W = [1 - 0.25, 1 + 1]
    np.testing.assert_array_equal(w, [0.75, 2.0])
    opt.apply([w], [np.array([0.5, -2.0])])  # b = 0.5 b + g = [0.75, -3]; W -= 0.5 b
    np.testing.assert_array_equal(w, [0.375, 3.5])


def test_nesterov_first_step() -> None:
    # b = g; step = g + 0.5 b = 1.5 g = [0.75, -3]; W = [1 - 0.375, 1 + 1.5]
    np.testing.assert_array_equal(
        first_step(gn.SGD(0.5, momentum=0.5, nesterov=True)), [0.625, 2.5]
    )


def test_rmsprop_first_step() -> None:
    # v = (1 - 0.75) g^2 = [0.0625, 1]; sqrt(v) = [0.25, 1]; W = 1 - 0.5 g / sqrt(v) = [0, 2]
    np.testing.assert_array_equal(first_step(gn.RMSprop(0.5, rho=0.75, epsilon=1e-30)), [0.0, 2.0])


def test_adam_first_step_is_learning_rate_times_sign() -> None:
    # m = 0.5 g, v = g^2 / 16; m_hat = m / 0.5 = g, v_hat = v / (1/16) = g^2 -> step = lr g / |g|
    # = lr sign(g). Without the bias corrections the step would be lr 0.5 g / (|g| / 4) =
    # 2 lr sign(g): beta_2 = 0.9375 (not 0.75, where 0.5 / sqrt(0.25) = 1 hid the corrections)
    w = first_step(gn.Adam(0.125, beta_1=0.5, beta_2=0.9375, epsilon=1e-30))
    np.testing.assert_array_equal(w, [0.875, 1.125])


def test_optimizer_counts_iterations_and_build_resets_state() -> None:
    opt = gn.Adam(0.1)
    w = np.ones(2)
    opt.build([w])
    opt.apply([w], [np.ones(2)])
    opt.apply([w], [np.ones(2)])
    assert opt.iterations == 2
    opt.build([w])
    assert opt.iterations == 0 and not opt.first_moments[0].any()
