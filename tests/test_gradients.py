"""Every layer x activation x loss combination against central differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import activations
from helpers import LOSS_CASES, targets_for

HIDDEN = list(activations.ACTIVATIONS)


def network(hidden: str, output: str, units: int, seed: int, use_bias: bool = True):
    return gn.Sequential(
        [
            gn.Input(shape=(3,)),
            gn.layers.Dense(4, activation=hidden, use_bias=use_bias),
            gn.layers.Dense(units, activation=output, use_bias=use_bias),
        ],
        dtype="float64",
        seed=seed,
    )


def away_from_kinks(model, x) -> bool:
    """True when no pre-activation of the hidden layer is within 1e-3 of relu's kink at 0."""
    model.predict(x)
    return bool(np.all(np.abs(model.layers[0].z) > 1e-3))


@pytest.mark.parametrize("loss_name", list(LOSS_CASES))
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_gradients(loss_name: str, hidden: str, use_bias: bool) -> None:
    output, make_loss = LOSS_CASES[loss_name]
    loss = make_loss()
    rng = np.random.default_rng(7)
    units = 1 if loss_name in ("mse", "half_sum", "bce", "bce_logits") else 3
    for seed in range(20):  # first draw whose hidden z stays away from the kink
        model = network(hidden, output, units, seed, use_bias)
        x = rng.normal(size=(5, 3))
        if away_from_kinks(model, x):
            break
    model.compile("sgd", loss)
    y = targets_for(loss, 5, units, rng)
    report = gn.check_gradients(model, x, y)
    assert report.checks, "no parameter was checked"
    assert report.passed, report.table()
    assert report.max_relative_error <= 1e-7


UNFUSED = [("mse", out) for out in HIDDEN] + [("cce", "sigmoid")]  # cce needs outputs in (0, 1)


@pytest.mark.parametrize(("loss_name", "output"), UNFUSED)
def test_every_output_activation_without_fusion(loss_name: str, output: str) -> None:
    """The unfused path dC/da * f'(z) for every output activation (cce on a sigmoid output too)."""
    rng = np.random.default_rng(3)
    model = gn.Sequential(
        [gn.layers.Dense(3, "tanh"), gn.layers.Dense(3, output)], dtype="float64", seed=1
    )
    x = rng.normal(size=(4, 2))
    if loss_name == "mse":
        model.compile("sgd", "mse")
        y = rng.normal(size=(4, 3))
    else:
        model.compile("sgd", "categorical_crossentropy")
        y = np.eye(3)[[0, 1, 2, 1]]
    assert gn.check_gradients(model, x, y).passed


def test_activation_layer_and_deep_stack() -> None:
    rng = np.random.default_rng(0)
    model = gn.Sequential(
        [
            gn.layers.Dense(5),
            gn.layers.Activation("tanh"),
            gn.layers.Dense(4, "sigmoid"),
            gn.layers.Dense(3),
            gn.layers.Activation("softmax"),
        ],
        dtype="float64",
        seed=2,
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    report = gn.check_gradients(model, rng.normal(size=(6, 4)), rng.integers(0, 3, 6))
    assert report.passed, report.table()
    assert len(report.checks) == 6  # three kernels and three biases


def test_float32_model_is_checked_in_float64_and_left_unchanged() -> None:
    rng = np.random.default_rng(1)
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(3, "relu"), gn.layers.Dense(1)], seed=3)
    model.compile("sgd", "mse")
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    before = model.get_weights()
    report = gn.check_gradients(model, x + 0.01, y)
    assert report.passed, report.table()
    assert all(w.dtype == np.float32 for w in model.get_weights())
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_a_wrong_derivative_is_caught() -> None:
    class WrongTanh(activations.Tanh):
        def derivative(self, z, a):
            return 1.0 - a  # should be 1 - a**2

    rng = np.random.default_rng(0)
    model = gn.Sequential(
        [gn.layers.Dense(3, WrongTanh()), gn.layers.Dense(1)], dtype="float64", seed=0
    )
    model.compile("sgd", "mse")
    report = gn.check_gradients(model, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))
    assert not report.passed
    assert "FAIL" in report.table()
    failed = {(c.layer, c.parameter) for c in report.checks if not c.passed}
    assert ("dense", "kernel") in failed and ("dense_1", "kernel") not in failed
