"""Each activation's value and derivative: by hand, by central differences, and at the kinks."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import activations

NAMES = list(activations.ACTIVATIONS)


def numeric_vjp(f, z: np.ndarray, g: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d/dz of sum(f(z) * g), by central differences (llm.c's fakeloss trick)."""
    out = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[index] += eps
        zm[index] -= eps
        out[index] = (np.sum(f(zp) * g) - np.sum(f(zm) * g)) / (2 * eps)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_central_differences(name: str, rng: np.random.Generator) -> None:
    f = activations.get(name)
    z = rng.normal(size=(5, 4))
    z[np.abs(z) < 0.05] = 0.5  # keep away from the kink at 0 (tested on its own below)
    g = rng.normal(size=z.shape)
    analytic = f.backward(z, f(z), g)
    numeric = numeric_vjp(f, z, g)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if activations.ACTIVATIONS[n].elementwise])
def test_elementwise_backward_is_grad_times_derivative(name: str, rng: np.random.Generator) -> None:
    f = activations.get(name)
    z = rng.normal(size=(3, 4))
    g = rng.normal(size=z.shape)
    np.testing.assert_allclose(f.backward(z, f(z), g), g * f.derivative(z, f(z)), rtol=1e-15)


def test_values_by_hand() -> None:
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(
        activations.get("sigmoid")(z), [[1 / (1 + np.e**2), 0.5, 1 / (1 + np.e**-3)]]
    )
    np.testing.assert_array_equal(activations.get("relu")(z), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(activations.get("leaky_relu")(z), [[-0.02, 0.0, 3.0]])
    np.testing.assert_array_equal(activations.get("linear")(z), z)
    np.testing.assert_allclose(activations.get("tanh")(z), np.tanh(z))
    soft = activations.get("softmax")(z)
    np.testing.assert_allclose(soft, np.exp(z) / np.exp(z).sum(), rtol=1e-15)
    assert soft.sum() == pytest.approx(1.0, abs=1e-15)


def test_sigmoid_derivative_is_written_with_the_output() -> None:
    sig = activations.get("sigmoid")
    # f'(z) = a (1 - a): at z = 0, a = 0.5 and f' = 0.25; derivative() reads a, not z
    assert sig.derivative(np.array([123.0]), np.array([0.5]))[0] == 0.25


def test_kink_rule_at_zero() -> None:
    z = np.zeros((1, 2))
    g = np.ones((1, 2))
    relu = activations.get("relu")
    np.testing.assert_array_equal(relu.backward(z, relu(z), g), [[0.0, 0.0]])  # as PyTorch
    leaky = activations.LeakyReLU(0.1)
    np.testing.assert_array_equal(leaky.backward(z, leaky(z), g), [[0.1, 0.1]])


def test_extreme_inputs_stay_finite() -> None:
    z = np.array([[-1000.0, 1000.0]])
    for name in NAMES:
        f = activations.get(name)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            a = f(z)
        assert np.isfinite(a).all(), name
    np.testing.assert_array_equal(activations.get("sigmoid")(z), [[0.0, 1.0]])
    np.testing.assert_array_equal(activations.get("softmax")(z), [[0.0, 1.0]])


def test_float32_stays_float32() -> None:
    z = np.ones((2, 3), dtype=np.float32)
    for name in NAMES:
        f = activations.get(name)
        a = f(z)
        assert a.dtype == np.float32, name
        assert f.backward(z, a, z).dtype == np.float32, name


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(
        ValueError,
        match=r"Unknown activation 'sigmoud'\. Valid names: 'linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'softmax', 'elu', 'selu', 'gelu', 'silu', 'softplus', 'softsign', 'hard_sigmoid'\.",
    ):
        activations.get("sigmoud")


def test_config_round_trip() -> None:
    leaky = activations.from_config(activations.LeakyReLU(0.2).get_config())
    assert isinstance(leaky, activations.LeakyReLU) and leaky.negative_slope == 0.2
