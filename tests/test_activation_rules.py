"""Each activation's config, lookup, bounds and exact values at the edges (written for the
mutants of `make mutate` that tests/test_activations.py let live). Messages were produced by
running the code and are compared whole."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from glassnet import activations
from glassnet.activations import LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh


def test_configs_reprs_and_lookups() -> None:
    for name, cls in activations.ACTIVATIONS.items():
        made = activations.get(name)
        assert type(made) is cls and made.name == name
        again = activations.from_config(made.get_config())
        assert type(again) is cls and again.get_config() == made.get_config()
    assert Sigmoid().get_config() == {"name": "sigmoid"}
    assert repr(Tanh()) == "Tanh()"
    assert LeakyReLU().get_config() == {"name": "leaky_relu", "negative_slope": 0.01}
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert type(activations.get(None)) is Linear
    same = ReLU()
    assert activations.get(same) is same
    # every activation works entry by entry except softmax, which mixes an example's units
    elementwise = {name: cls.elementwise for name, cls in activations.ACTIVATIONS.items()}
    assert elementwise == {name: name != "softmax" for name in activations.ACTIVATIONS}
    assert len(elementwise) == 13


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: LeakyReLU(-0.1),
            ValueError,
            "LeakyReLU expects a finite negative_slope >= 0, got -0.1.",
        ),
        (
            lambda: LeakyReLU(float("nan")),
            ValueError,
            "Expected LeakyReLU's negative_slope to be a finite number, got nan.",
        ),
        (
            lambda: LeakyReLU(1e39),
            ValueError,
            "Expected LeakyReLU's negative_slope between 0 and 3.4e+38 (an ordinary number in "
            "float32, the default dtype), got 1e+39. Use e.g. negative_slope=0.01.",
        ),
        (
            lambda: LeakyReLU("a"),
            TypeError,
            "Expected LeakyReLU's negative_slope to be a number, got str 'a'.",
        ),
        (
            lambda: activations.get("relu6"),
            ValueError,
            "Unknown activation 'relu6'. Valid names: 'linear', 'sigmoid', 'tanh', 'relu', "
            "'leaky_relu', 'softmax', 'elu', 'selu', 'gelu', 'silu', 'softplus', 'softsign', "
            "'hard_sigmoid'.",
        ),
        (
            lambda: activations.from_config({"name": "relu6"}),
            ValueError,
            "Unknown activation 'relu6'. Valid names: 'linear', 'sigmoid', 'tanh', 'relu', "
            "'leaky_relu', 'softmax', 'elu', 'selu', 'gelu', 'silu', 'softplus', 'softsign', "
            "'hard_sigmoid'.",
        ),
    ],
)
def test_bad_settings_and_names_get_their_message(make, error, message) -> None:
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value) == message


def test_a_zero_slope_is_a_relu() -> None:
    z = np.array([[-2.0, 0.0, 3.0]])
    leaky = LeakyReLU(0)
    np.testing.assert_array_equal(leaky(z), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(leaky.derivative(z, leaky(z)), [[0.0, 0.0, 1.0]])


def test_values_and_derivatives_at_the_kink_and_the_default_slope() -> None:
    z = np.array([[-2.0, 0.0, 0.5]])
    np.testing.assert_array_equal(ReLU()(z), [[0.0, 0.0, 0.5]])
    np.testing.assert_array_equal(ReLU().derivative(z, ReLU()(z)), [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(ReLU().backward(z, ReLU()(z), np.full((1, 3), 4.0)), [[0, 0, 4]])
    leaky = LeakyReLU()  # PyTorch's default slope, 0.01
    np.testing.assert_array_equal(leaky(z), [[-0.02, 0.0, 0.5]])
    np.testing.assert_array_equal(leaky.derivative(z, leaky(z)), [[0.01, 0.01, 1.0]])
    np.testing.assert_array_equal(Linear().derivative(z, z), np.ones((1, 3)))
    np.testing.assert_array_equal(Linear().backward(z, z, z), z)


def test_derivatives_keep_float32() -> None:
    z = np.array([[-1.0, 2.0]], dtype=np.float32)
    for activation in (Linear(), ReLU(), LeakyReLU(0.5), Sigmoid(), Tanh()):
        assert activation.derivative(z, activation(z)).dtype == np.float32, activation


def test_sigmoid_saturates_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(1000) overflows: silenced, the limit is exact
        np.testing.assert_array_equal(Sigmoid()(np.array([[-1000.0, 1000.0]])), [[0.0, 1.0]])


def test_softmax_normalises_each_row_over_the_last_axis() -> None:
    # large z: the max is subtracted first; an image-shaped input is normalised per pixel
    z = np.array([[[1000.0, 1000.0], [0.0, np.log(3.0)]], [[1.0, 1.0], [-5.0, -5.0]]])
    a = Softmax()(z.copy())
    np.testing.assert_allclose(
        a, [[[0.5, 0.5], [0.25, 0.75]], [[0.5, 0.5], [0.5, 0.5]]], rtol=1e-15, atol=1e-16
    )
    g = np.array([[1.0, 0.0], [0.0, 2.0]])
    two = Softmax()(np.array([[0.0, 0.0], [0.0, np.log(3.0)]]))
    # dC/dz = a * (g - sum(g * a)): row 0: 0.5 * (1 - 0.5) = 0.25 and 0.5 * (0 - 0.5) = -0.25
    np.testing.assert_allclose(
        Softmax().backward(None, two, g), [[0.25, -0.25], [-0.375, 0.375]], rtol=1e-15
    )


def test_softmax_backward_sums_over_the_last_axis_of_an_image() -> None:
    # (1, 2, 2) channels last: each pixel's two channels are one softmax
    a = np.array([[[0.5, 0.5], [0.25, 0.75]]])
    g = np.array([[[1.0, 0.0], [0.0, 2.0]]])
    np.testing.assert_allclose(
        Softmax().backward(None, a, g), [[[0.25, -0.25], [-0.375, 0.375]]], rtol=1e-15
    )
