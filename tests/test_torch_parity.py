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
    units = 3  # several outputs for every loss: one hides a sum over the outputs
    model = network("tanh", loss_name, optimizer, units, seed=11)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 4))
    y = targets_for(model.loss, 16, units, rng)
    assert_parity(gn.compare(model, x, y, "torch", steps=100, batch_size=4))


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "leaky_relu", "softmax"])
@pytest.mark.parametrize("batch_size", [1, 4, 32])
def test_parity_activations_and_batch_sizes(hidden: str, batch_size: int) -> None:
    # a gentle rate keeps the softmax off its clip; saturated outputs, where the clip is
    # active, are compared in test_parity_where_the_clip_is_active
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


#: probability losses with the output they go with, and a categorical one on a sigmoid output
#: (rows that do not sum to 1, which the loss rescales)
CLIPPED = {
    "cce": ("softmax", 3),
    "sparse_cce": ("softmax", 3),
    "bce": ("sigmoid", 2),
    "cce_on_sigmoid": ("sigmoid", 3),
}


@pytest.mark.parametrize("case", list(CLIPPED))
def test_parity_where_the_clip_is_active(case: str) -> None:
    """Outputs within 1e-7 of 0 or 1, where glassnet's documented loss is clipped: the PyTorch
    reference computed bare log(a) (or nn.BCELoss's log clamped at -100) and parity said
    MISMATCH on the loss; now it clips the same way and glassnet's fused delta is the exact
    gradient of the clipped loss, so loss, gradients and weights agree to 1e-12."""
    output, units = CLIPPED[case]
    loss = "cce" if case == "cce_on_sigmoid" else case
    model = gn.Sequential(
        [gn.Input((4,)), gn.layers.Dense(5, "tanh"), gn.layers.Dense(units, output)],
        dtype="float64",
        seed=3,
    )
    model.compile(gn.SGD(0.5), LOSS_CASES[loss][1]())
    weights = model.get_weights()
    weights[2] *= 40  # the output layer's kernel: saturated outputs
    model.set_weights(weights)
    rng = np.random.default_rng(6)
    x = rng.normal(size=(16, 4))
    y = targets_for(model.loss, 16, units, rng)
    a = model.predict(x)
    p = a / a.sum(axis=1, keepdims=True) if "cce" in loss else a
    rows = np.eye(units)[y] if loss == "sparse_cce" else y
    clipped = (p < 1e-7) | (p > 1 - 1e-7)
    assert (clipped & (rows > 0)).any()  # the clip is active where a target is
    assert_parity(gn.compare(model, x, y, "torch", steps=100, batch_size=4))
