"""Parity with Keras 3.15 on its torch backend, float32: the seed's 3-4-1 network and the
notebook's Keras 3-3-4-1 network, 100 SGD steps at batch sizes 1 and 4, weights within 1e-5.

Keras is imported once, here, with KERAS_BACKEND=torch set first (as `glassnet parity` does).
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet import seed as seed_module
from glassnet.cli import main
from test_gradcheck import broken_network

X, Y = seed_module.XOR_X, seed_module.XOR_Y


def keras_cell_network() -> gn.Sequential:
    model = seed_module.keras_network()
    model.build((None, 3))
    return model


NETWORKS = {"seed_3_4_1": seed_module.seed_network, "notebook_3_3_4_1": keras_cell_network}


def test_keras_runs_on_the_torch_backend() -> None:
    assert keras.backend.backend() == "torch"


@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("network", list(NETWORKS))
def test_keras_parity_100_sgd_steps(network: str, batch_size: int) -> None:
    model = NETWORKS[network]()
    report = gn.compare(model, X, Y, "keras", steps=100, batch_size=batch_size)
    assert report.passed, report.table()
    assert report.max_weight_difference <= 1e-5
    assert report.max_weight_difference > 0  # float32 against float64: really another engine
    ours, theirs = report.outputs
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)


def test_the_half_sum_is_translated_into_mse_with_a_scaled_learning_rate() -> None:
    report = gn.compare(seed_module.seed_network(), X, Y, "keras", steps=2, batch_size=4)
    text = report.table()
    assert "half sum of squares = (N k / 2) * Keras mse with N k = 4" in text
    assert "keras.optimizers.SGD(learning_rate=2, momentum=0.0, nesterov=False)" in text
    one = gn.compare(seed_module.seed_network(), X, Y, "keras", steps=2, batch_size=1)
    assert "keras.optimizers.SGD(learning_rate=0.5," in one.table()


def test_momentum_and_nesterov_translate_to_keras() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    for optimizer in (gn.SGD(0.05, momentum=0.9), gn.SGD(0.05, momentum=0.9, nesterov=True)):
        model = gn.Sequential(
            [gn.Input((3,)), gn.layers.Dense(4, "tanh"), gn.layers.Dense(2)], seed=1
        )
        model.compile(optimizer, "mse")
        report = gn.compare(
            model, x, y, "keras", steps=20, batch_size=4
        )  # weights ~40: float32 drifts
        assert report.passed, report.table()


def test_a_wrong_derivative_is_caught_by_keras_parity() -> None:
    rng = np.random.default_rng(0)
    report = gn.compare(
        broken_network(), rng.normal(size=(8, 2)), rng.normal(size=(8, 1)), "keras", steps=5
    )
    assert not report.passed
    assert report.first_failure.step == 1 and report.first_failure.gradient_difference > 1e-3


def test_keras_parity_refuses_adam_with_the_reason(tmp_path, capsys) -> None:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1)])  # the xor set's 3 columns
    model.compile(gn.Adam(0.01), "mse")
    # the way out is named for both callers (before: only framework='torch', on the CLI too)
    way_out = (
        "Compare those with PyTorch instead: `glassnet parity --with torch` on the command "
        "line, framework='torch' in Python."
    )
    with pytest.raises(ValueError, match=r"Keras parity supports SGD .*") as caught:
        gn.compare(model, np.ones((2, 3)), np.ones((2, 1)), "keras")
    assert str(caught.value).endswith(way_out)
    path = tmp_path / "adam.glassnet"
    model.save(path)
    assert main(["parity", "--with", "keras", "--model", str(path), "--data", "xor"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet parity: ") and "--with torch" in err and way_out in err


def test_glassnet_parity_with_keras(capsys) -> None:
    assert main(["parity", "--with", "keras", "--steps", "100"]) == 0
    out = capsys.readouterr().out
    assert "Keras 3.15.1 (torch backend) float32" in out
    assert "learning rate times 2" in out
    assert "tolerance 1e-05 (absolute, on every difference): PASS" in out


@pytest.mark.parametrize(
    ("loss", "output", "units"),
    [
        ("categorical_crossentropy", "softmax", 3),
        ("sparse_categorical_crossentropy", "softmax", 3),
        ("categorical_crossentropy", "sigmoid", 3),  # rows not summing to 1: Keras rescales
        # not binary_crossentropy: float32 has no 1 - 1e-7, so Keras clips a saturated sigmoid at
        # 0.99999988 and its log(1 - p) is log(1.19e-7), 0.18 from glassnet's float64 log(1e-7)
    ],
)
def test_keras_parity_with_saturated_outputs(loss: str, output: str, units: int) -> None:
    """Keras clips p to [1e-7, 1 - 1e-7] (after dividing each categorical row by its sum) and
    its autograd gives the clipped loss's gradient, 0 where the clip holds; glassnet's loss and
    fused deltas do the same, so the two agree where outputs saturate."""
    model = gn.Sequential(
        [gn.Input((4,)), gn.layers.Dense(5, "tanh"), gn.layers.Dense(units, output)],
        dtype="float64",
        seed=3,
    )
    model.compile(gn.SGD(0.5), loss)
    weights = model.get_weights()
    weights[2] *= 40  # the output layer's kernel: saturated outputs
    model.set_weights(weights)
    rng = np.random.default_rng(6)
    x = rng.normal(size=(16, 4))
    labels = rng.integers(0, units, size=16)
    y = labels if loss.startswith("sparse") else np.eye(units)[labels]
    a = model.predict(x)
    p = a / a.sum(axis=1, keepdims=True)
    assert (((p < 1e-7) | (p > 1 - 1e-7)) & (np.eye(units)[labels] > 0)).any()
    report = gn.compare(model, x, y, "keras", steps=20, batch_size=4)  # weights ~40: float32 drifts
    assert report.passed, report.table()
