"""Parity with PyTorch 2.13 in float64: same initial weights, same batches, 100 steps.

Each test trains a glassnet network and its PyTorch twin side by side with ``glassnet.compare``
(which builds the twin with ``to_torch`` and the matching ``torch.optim`` optimizer) and asserts
the weights agree to 1e-12 after 100 steps. PyTorch is installed by `make test`
(torch==2.13.0, the CPU build), so these never skip. No global torch default dtype is set: every
tensor is float64 explicitly.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from helpers import LOSS_CASES, targets_for

OPTIMIZERS = {
    "sgd": lambda: gn.SGD(0.1),
    "momentum": lambda: gn.SGD(0.05, momentum=0.9),
    "gentle_momentum": lambda: gn.SGD(0.02, momentum=0.5),
    "nesterov": lambda: gn.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: gn.RMSprop(0.01, rho=0.9, epsilon=1e-8),
    "rmsprop_centered_momentum": lambda: gn.RMSprop(
        0.005, rho=0.9, momentum=0.5, epsilon=1e-8, centered=True
    ),
    "adam": lambda: gn.Adam(0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8),
}


def network(hidden: str, loss_name: str, optimizer: str, units: int, seed: int) -> gn.Sequential:
    output, make_loss = LOSS_CASES[loss_name]
    model = gn.Sequential(
        [
            gn.Input(shape=(4,)),
            gn.layers.Dense(6, hidden, bias_initializer=gn.RandomUniform(-0.1, 0.1)),
            gn.layers.Dense(5, hidden, bias_initializer=gn.RandomUniform(-0.1, 0.1)),
            gn.layers.Dense(units, output, bias_initializer=gn.RandomUniform(-0.1, 0.1)),
        ],
        dtype="float64",
        seed=seed,
    )
    model.compile(OPTIMIZERS[optimizer](), make_loss())
    return model


def assert_parity(report: gn.parity.ParityReport) -> None:
    assert len(report.steps) == 100
    assert report.max_weight_difference <= 1e-12, report.table()
    for step in report.steps:  # the loss to 1e-12 relative, every step
        assert step.loss_difference <= 1e-12 * max(1.0, abs(step.loss)), report.table()
    assert report.passed, report.table()


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("loss_name", list(LOSS_CASES))
def test_parity_every_loss_and_optimizer(loss_name: str, optimizer: str) -> None:
    units = 1 if loss_name in ("mse", "half_sum", "bce", "bce_logits") else 3
    model = network("tanh", loss_name, optimizer, units, seed=11)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 4))
    y = targets_for(model.loss, 16, units, rng)
    assert_parity(gn.compare(model, x, y, "torch", steps=100, batch_size=4))


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "leaky_relu", "softmax"])
@pytest.mark.parametrize("batch_size", [1, 4, 32])
def test_parity_activations_and_batch_sizes(hidden: str, batch_size: int) -> None:
    # a gentle rate: at batch size 1 a bold one saturates the softmax, where the loss value
    # differs by design (glassnet clips log(p) at p = 1e-7, as Keras does)
    model = network(hidden, "cce", "gentle_momentum", 3, seed=4)
    rng = np.random.default_rng(9)
    x = rng.normal(size=(64, 4))
    y = targets_for(model.loss, 64, 3, rng)
    assert_parity(gn.compare(model, x, y, "torch", steps=100, batch_size=batch_size))


def test_parity_leaves_the_model_and_torch_defaults_alone() -> None:
    model = network("relu", "mse", "adam", 1, seed=2)
    before = model.get_weights()
    rng = np.random.default_rng(1)
    report = gn.compare(model, rng.normal(size=(8, 4)), rng.normal(size=(8, 1)), steps=5)
    assert report.passed and report.batch_size == 8  # all of the data, up to 32
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert model.optimizer.iterations == 0
    assert torch.get_default_dtype() == torch.float32


def test_the_seed_network_matches_pytorch_for_the_notebooks_1000_iterations() -> None:
    from glassnet.seed import XOR_X, XOR_Y, seed_network

    report = gn.compare(seed_network(), XOR_X, XOR_Y, "torch", steps=1000)
    assert report.passed, report.table()
    assert report.max_weight_difference <= 1e-13
    ours, theirs = report.outputs
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-14)
    # the notebook printed [0.028 0.925 0.925 0.090]; PyTorch computes the same
    assert np.round(theirs.ravel(), 3).tolist() == [0.028, 0.925, 0.925, 0.09]
