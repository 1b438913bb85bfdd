"""elu, selu, gelu (exact and tanh), silu/swish, softplus, softsign, hard_sigmoid.

Values and derivatives against PyTorch 2.13 in float64 (``torch.nn.functional`` and autograd,
1e-12), values against Keras 3.15.1's ``keras.activations`` in float32 (torch backend, 1e-6
relative), all computed here; hand-worked values and the kinks; model files and ``compare``.
"""

from __future__ import annotations

import math
import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import activations

F = torch.nn.functional
TORCH = {
    "elu": (activations.ELU(), lambda t: F.elu(t)),
    "elu_alpha_0.4": (activations.ELU(0.4), lambda t: F.elu(t, alpha=0.4)),
    "selu": (activations.SELU(), F.selu),
    "gelu": (activations.GELU(), lambda t: F.gelu(t)),
    "gelu_tanh": (activations.GELU(approximate="tanh"), lambda t: F.gelu(t, approximate="tanh")),
    "silu": (activations.SiLU(), F.silu),
    "softplus": (activations.Softplus(), F.softplus),
    "softsign": (activations.Softsign(), F.softsign),
    "hard_sigmoid": (activations.HardSigmoid(), F.hardsigmoid),
}


def _inputs() -> np.ndarray:
    rng = np.random.default_rng(8)
    z = np.concatenate([rng.normal(size=40) * 3, np.linspace(-19, 19, 41) + 0.013])
    return z.reshape(9, 9)  # away from the kinks 0, -3 and 3


@pytest.mark.parametrize("case", list(TORCH))
def test_value_and_gradient_match_pytorch_in_float64(case: str) -> None:
    ours, theirs = TORCH[case]
    z = _inputs()
    g = np.random.default_rng(1).normal(size=z.shape)
    tensor = torch.tensor(z, requires_grad=True)
    value = theirs(tensor)
    (value * torch.tensor(g)).sum().backward()
    a = ours(z)
    # PyTorch's float64 hardsigmoid multiplies by float32's 1/6 (0.16666667163...), 3e-8 off
    rtol = 5e-8 if case == "hard_sigmoid" else 1e-12
    np.testing.assert_allclose(a, value.detach().numpy(), rtol=rtol, atol=1e-14)
    np.testing.assert_allclose(ours.backward(z, a, g), tensor.grad.numpy(), rtol=rtol, atol=1e-14)


KERAS = {
    "elu": (activations.ELU(), lambda x: keras.activations.elu(x)),
    "elu_alpha_0.4": (activations.ELU(0.4), lambda x: keras.activations.elu(x, alpha=0.4)),
    "selu": (activations.SELU(), keras.activations.selu),
    "gelu": (activations.GELU(), keras.activations.gelu),
    "gelu_approximate": (
        activations.GELU(approximate=True),
        lambda x: keras.activations.gelu(x, approximate=True),
    ),
    "silu": (activations.get("swish"), keras.activations.silu),
    "softplus": (activations.Softplus(), keras.activations.softplus),
    "softsign": (activations.Softsign(), keras.activations.softsign),
    "hard_sigmoid": (activations.HardSigmoid(), keras.activations.hard_sigmoid),
}


@pytest.mark.parametrize("case", list(KERAS))
def test_values_match_keras_in_float32(case: str) -> None:
    ours, theirs = KERAS[case]
    z = _inputs().astype(np.float32)
    expected = np.asarray(keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(z))))
    found = ours(z)
    assert found.dtype == np.float32
    # float32 against float32: where a value is a small difference (gelu far left of 0),
    # Keras's float32 erf is off by up to 7e-7 absolute (glassnet's is exact: next test)
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-6)


def test_float32_gelu_is_the_exact_value_rounded() -> None:
    z = _inputs().astype(np.float32)
    exact = z.astype(np.float64) * activations._normal_cdf(z)  # float64
    np.testing.assert_array_equal(activations.GELU()(z), exact.astype(np.float32))


def test_hand_worked_values_and_kinks() -> None:
    z = np.array([[-3.0, 0.0, 3.0, 1.0]])
    hard = activations.HardSigmoid()
    np.testing.assert_array_equal(hard(z), [[0.0, 0.5, 1.0, 4 / 6]])
    np.testing.assert_array_equal(hard.derivative(z, hard(z)), [[0.0, 1 / 6, 0.0, 1 / 6]])
    gelu = activations.GELU()
    assert gelu(np.array([1.0]))[0] == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))))
    assert activations.Softsign()(np.array([1.0, -3.0])).tolist() == [0.5, -0.75]
    assert activations.Softplus()(np.array([0.0]))[0] == math.log(2)
    elu = activations.ELU(0.5)
    # at the kink z = 0: alpha * exp(0) = alpha, from the output: a + alpha = 0 + 0.5
    assert elu.derivative(np.array([0.0]), elu(np.array([0.0])))[0] == 0.5
    assert elu(np.array([-1.0]))[0] == pytest.approx(0.5 * (math.exp(-1) - 1), rel=1e-15)
    selu = activations.SELU()
    assert selu(np.array([1.0]))[0] == selu.scale
    # a huge z overflows nothing
    big = np.array([1e5, -1e5])
    with np.errstate(over="raise", invalid="raise"):
        for f in (
            activations.ELU(),
            activations.SELU(),
            activations.Softplus(),
            activations.SiLU(),
        ):
            assert np.isfinite(f(big)).all()


def test_gelu_approximate_takes_keras_and_pytorch_spellings() -> None:
    assert activations.GELU(True).approximate and activations.GELU("tanh").approximate
    assert not activations.GELU(False).approximate and not activations.GELU("none").approximate
    assert activations.get("gelu").approximate is False  # Keras 3's and PyTorch's default
    for bad in ("yes", None, 1, "TANH", "<script>"):
        with pytest.raises(ValueError, match=r"GELU's approximate to be False or True \(Keras\)"):
            activations.GELU(bad)


def test_swish_is_silu_and_names_are_listed() -> None:
    assert isinstance(activations.get("swish"), activations.SiLU)
    assert isinstance(activations.get("Swish"), activations.SiLU)
    layer = gn.layers.Dense(2, activation="swish")
    assert layer.activation.name == "silu"
    with pytest.raises(TypeError, match=r"Expected a activation name|Expected an? activation"):
        activations.get(["swish"])


@pytest.mark.parametrize(
    "activation",
    [activations.ELU(0.3), activations.GELU(approximate=True), "selu", "hard_sigmoid", "swish"],
    ids=["elu", "gelu", "selu", "hard_sigmoid", "swish"],
)
def test_model_files_and_torch_compare(activation, tmp_path) -> None:
    model = gn.Sequential(
        [gn.Input((3,)), gn.layers.Dense(4, activation), gn.layers.Dense(1)], seed=0
    )
    model.compile(gn.SGD(0.05), "mse")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    # torch's float64 hardsigmoid uses float32's 1/6 (a relative 3e-8), hence its tolerance
    tolerance = 1e-6 if activation == "hard_sigmoid" else None
    report = gn.compare(model, x, y, "torch", steps=20, tolerance=tolerance)
    assert report.passed, report.table()
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet")
    assert again.layers[0].activation.get_config() == model.layers[0].activation.get_config()
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_leaky_relu_layer_takes_any_slope_with_keras_default(tmp_path) -> None:
    layer = gn.layers.LeakyReLU()
    assert layer.activation.negative_slope == 0.3  # Keras 3's layer default
    assert activations.get("leaky_relu").negative_slope == 0.01  # glassnet's documented name
    z = _inputs()
    g = np.random.default_rng(2).normal(size=z.shape)
    for slope in (0.3, 0.05, 2.5):
        act = gn.layers.LeakyReLU(negative_slope=slope).activation
        tensor = torch.tensor(z, requires_grad=True)
        value = F.leaky_relu(tensor, negative_slope=slope)
        (value * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(act(z), value.detach().numpy(), rtol=1e-15)
        np.testing.assert_allclose(act.backward(z, act(z), g), tensor.grad.numpy(), rtol=1e-15)
    keras_layer = keras.layers.LeakyReLU()
    expected = keras.ops.convert_to_numpy(keras_layer(z.astype(np.float32)))
    np.testing.assert_allclose(layer.activation(z.astype(np.float32)), expected, rtol=1e-6)
    model = gn.Sequential(
        [gn.Input((3,)), gn.layers.Dense(4), gn.layers.LeakyReLU(0.2), gn.layers.Dense(1)],
        seed=0,
        dtype="float64",
    )
    model.compile("sgd", "mse")
    x, y = np.random.default_rng(4).normal(size=(6, 3)), np.ones((6, 1))
    assert gn.check_gradients(model, x, y, check_input=True).passed
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet")
    assert again.layers[1].activation.negative_slope == 0.2
    with pytest.raises(ValueError, match=r"negative_slope >= 0"):
        gn.layers.LeakyReLU(negative_slope=-0.1)
