"""Every loss against PyTorch 2.13 autograd, in float64, with several output units.

The loss and its gradient are compared two ways: called directly (``loss(y, a)`` and
``loss.gradient(y, a)`` against the PyTorch formula and ``torch.autograd``), and through a one-layer
model's step (``compute_gradients``: the fused softmax / sigmoid deltas, the from_logits paths),
whose kernel and bias gradients must equal PyTorch's. Every case has k = 3 outputs (never 1), so a
loss that sums over the outputs before it averages (k times too large), or averages over the
batch only, is caught: one output unit hides exactly that bug. Tolerance 1e-13 relative, 1e-15
absolute.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from helpers import LOSS_CASES, targets_for

EPS = 1e-7  # glassnet's (Keras's) clip, documented in glassnet.losses


def torch_loss(name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The PyTorch formula of each loss, on the layer's output (its z for the logits cases)."""
    n = out.shape[0]
    if name == "mse":
        return torch.nn.functional.mse_loss(out, y)  # mean over n and k
    if name == "half_sum":
        return 0.5 * ((out - y) ** 2).sum()
    if name == "bce":
        a = out.clamp(EPS, 1 - EPS)
        return -(y * a.log() + (1 - y) * (1 - a).log()).mean()
    if name == "bce_logits":
        return torch.nn.functional.binary_cross_entropy_with_logits(out, y)
    if name in ("cce", "sparse_cce"):
        p = (out / out.sum(dim=1, keepdim=True)).clamp(EPS, 1 - EPS)
        return -(y * p.log()).sum() / n
    if name in ("cce_logits", "sparse_cce_logits"):
        return -(y * torch.log_softmax(out, dim=1)).sum() / n
    raise AssertionError(name)


def dense_targets(name: str, y: np.ndarray, units: int) -> np.ndarray:
    return np.eye(units)[y] if name.startswith("sparse") else y


def close(ours, theirs) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_each_loss_and_its_gradient_called_directly_match_pytorch(name: str) -> None:
    output, make = LOSS_CASES[name]
    loss = make()
    rng = np.random.default_rng(len(name))
    n, k = 5, 3
    y = targets_for(loss, n, k, rng)
    if output == "linear":
        a = rng.normal(size=(n, k)) * 2
    elif output == "softmax":
        a = rng.uniform(0.05, 0.9, size=(n, k))  # rows that do not sum to 1: the rescaling
    else:
        a = rng.uniform(0.05, 0.95, size=(n, k))
    if name == "bce":
        a[0, 0], a[1, 2] = 1e-9, 1 - 1e-9  # two entries where the clip holds: gradient 0
    theirs_a = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    theirs_y = torch.tensor(dense_targets(name, y, k), dtype=torch.float64)
    value = torch_loss(name, theirs_a, theirs_y)
    value.backward()
    close(loss(y, a), value.item())
    close(loss.gradient(y, a), theirs_a.grad.numpy())


@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_each_loss_through_a_model_step_matches_pytorch(name: str) -> None:
    """The model's own step: fused deltas where the loss fuses with the output activation."""
    output, make = LOSS_CASES[name]
    n, k = 6, 3
    model = gn.Sequential([gn.Input((4,)), gn.layers.Dense(k, output)], dtype="float64", seed=7)
    model.compile(gn.SGD(0.1), make())
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 4))
    y = targets_for(model.loss, n, k, rng)
    kernel, bias = (torch.tensor(w, requires_grad=True) for w in model.get_weights())
    z = torch.tensor(x) @ kernel + bias
    out = {"linear": z, "sigmoid": torch.sigmoid(z), "softmax": torch.softmax(z, dim=1)}[output]
    value = torch_loss(name, out, torch.tensor(dense_targets(name, y, k), dtype=torch.float64))
    value.backward()
    close(model.compute_gradients(x, y), value.item())
    layer = model.layers[0]
    close(layer.kernel_gradient, kernel.grad.numpy())
    close(layer.bias_gradient, bias.grad.numpy())


def test_soft_targets_that_sum_to_almost_one_keep_their_sum_in_the_logits_gradient() -> None:
    # rows summing to 1 +- 5e-4 pass the 1e-3 check; dC/dz = (softmax(z) sum(y) - y) / n keeps
    # the sum, as PyTorch's autograd of -(y * log_softmax(z)).sum() / n does
    y = np.array([[0.3, 0.3, 0.4005], [0.5, 0.2, 0.2995]])
    z = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
    loss = gn.CategoricalCrossEntropy(from_logits=True)
    theirs = torch.tensor(z, requires_grad=True)
    torch_loss("cce_logits", theirs, torch.tensor(y)).backward()
    close(loss.gradient(y, z), theirs.grad.numpy())
