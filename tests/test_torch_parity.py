"""Parity with PyTorch 2.13 in float64: same initial weights, same batches, 100 steps.

PyTorch is installed by `make test` (torch==2.13.0, the CPU build), so these never skip.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from helpers import LOSS_CASES, targets_for

torch.set_default_dtype(torch.float64)

OPTIMIZERS = {
    "sgd": (lambda: gn.SGD(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "momentum": (
        lambda: gn.SGD(0.05, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    ),
    "gentle_momentum": (
        lambda: gn.SGD(0.02, momentum=0.5),
        lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.5),
    ),
    "nesterov": (
        lambda: gn.SGD(0.05, momentum=0.9, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    ),
    "rmsprop": (
        lambda: gn.RMSprop(0.01, rho=0.9, epsilon=1e-8),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8),
    ),
    "adam": (
        lambda: gn.Adam(0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
    ),
}

TORCH_ACTIVATIONS = {
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
    "softmax": lambda: torch.nn.Softmax(dim=1),
    "linear": torch.nn.Identity,
}


def torch_loss(name: str):
    """The PyTorch loss of the same reduction; for fused glassnet losses the torch side takes
    the long way (softmax, then log) so that both the value and its gradient are compared."""
    if name == "mse":
        return torch.nn.MSELoss()
    if name == "half_sum":
        return lambda a, y: 0.5 * ((a - y) ** 2).sum()
    if name == "bce":
        return torch.nn.BCELoss()
    if name == "bce_logits":
        return torch.nn.BCEWithLogitsLoss()
    if name in ("cce", "sparse_cce"):
        return lambda a, y: -(y * torch.log(a)).sum(dim=1).mean()
    return lambda z, y: -(y * torch.log_softmax(z, dim=1)).sum(dim=1).mean()


def build_pair(hidden: str, loss_name: str, optimizer: str, units: int, seed: int):
    output, make_loss = LOSS_CASES[loss_name]
    ours = gn.Sequential(
        [
            gn.Input(shape=(4,)),
            gn.layers.Dense(6, hidden, bias_initializer=gn.RandomUniform(-0.1, 0.1)),
            gn.layers.Dense(5, hidden, bias_initializer=gn.RandomUniform(-0.1, 0.1)),
            gn.layers.Dense(units, output, bias_initializer=gn.RandomUniform(-0.1, 0.1)),
        ],
        dtype="float64",
        seed=seed,
    )
    ours.compile(OPTIMIZERS[optimizer][0](), make_loss())
    modules = []
    for layer in ours.layers:
        linear = torch.nn.Linear(layer.kernel.shape[0], layer.units)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.kernel.T.copy()))  # torch stores (out, in)
            linear.bias.copy_(torch.from_numpy(layer.bias.copy()))
        modules += [linear, TORCH_ACTIVATIONS[layer.activation.name]()]
    theirs = torch.nn.Sequential(*modules)
    return ours, theirs, OPTIMIZERS[optimizer][1](theirs.parameters())


def max_weight_difference(ours, theirs) -> float:
    diffs = []
    for layer, linear in zip(ours.layers, theirs[::2], strict=True):
        diffs.append(np.abs(layer.kernel - linear.weight.detach().numpy().T).max())
        diffs.append(np.abs(layer.bias - linear.bias.detach().numpy()).max())
    return float(max(diffs))


def train_both(ours, theirs, optimizer, loss_name, x, y, batch_size, steps=100):
    loss_fn = torch_loss(loss_name)
    y_ours = ours.loss.prepare_targets(y, ours.output_units, ours.dtype)  # one-hot for sparse
    n = len(x)
    for step in range(steps):
        start = (step * batch_size) % n
        xb, yb = x[start : start + batch_size], y_ours[start : start + batch_size]
        labels = yb.argmax(1) if loss_name.startswith("sparse") else yb
        loss = ours.train_on_batch(xb, labels)
        optimizer.zero_grad()
        torch_value = loss_fn(theirs(torch.from_numpy(xb)), torch.from_numpy(yb))
        torch_value.backward()
        optimizer.step()
        assert abs(loss - torch_value.item()) <= 1e-12 * max(1.0, abs(loss)), (
            step,
            loss,
            torch_value.item(),
        )


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("loss_name", list(LOSS_CASES))
def test_parity_every_loss_and_optimizer(loss_name: str, optimizer: str) -> None:
    units = 1 if loss_name in ("mse", "half_sum", "bce", "bce_logits") else 3
    ours, theirs, opt = build_pair("tanh", loss_name, optimizer, units, seed=11)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 4))
    y = targets_for(ours.loss, 16, units, rng)
    train_both(ours, theirs, opt, loss_name, x, y, batch_size=4)
    assert max_weight_difference(ours, theirs) <= 1e-12


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "leaky_relu", "softmax"])
@pytest.mark.parametrize("batch_size", [1, 4, 32])
def test_parity_activations_and_batch_sizes(hidden: str, batch_size: int) -> None:
    # a gentle rate: at batch size 1 a bold one saturates the softmax, where the loss value
    # differs by design (glassnet clips log(p) at p = 1e-7, as Keras does)
    ours, theirs, opt = build_pair(hidden, "cce", "gentle_momentum", 3, seed=4)
    rng = np.random.default_rng(9)
    x = rng.normal(size=(64, 4))
    y = targets_for(ours.loss, 64, 3, rng)
    train_both(ours, theirs, opt, "cce", x, y, batch_size=batch_size)
    assert max_weight_difference(ours, theirs) <= 1e-12
