"""Regression losses beside the mean squared error: mean absolute error and Huber.

With d = a - y over n examples and k outputs (Keras's ``"mae"`` and ``"huber"``, PyTorch's
``nn.L1Loss()`` and ``nn.HuberLoss(delta=...)``, all means over every number):

- ``MeanAbsoluteError`` ("mae"): C = mean of |d|; dC/da = sign(d) / (n k)
- ``Huber(delta)`` ("huber"): C = mean of (d**2 / 2 where |d| <= delta, else
  delta * |d| - delta**2 / 2); dC/da = (d where |d| <= delta, else delta * sign(d)) / (n k)

At the kinks the gradient is the one PyTorch's autograd and Keras (on its torch backend) give:
sign(0) = 0 for the absolute error, and the quadratic side (d) at |d| = delta for Huber, where
both sides agree anyway.

>>> import numpy as np
>>> MeanAbsoluteError()(np.array([[0.0], [1.0]]), np.array([[0.5], [3.0]]))  # (0.5 + 2) / 2
1.25
>>> Huber(delta=1.0)(np.array([[0.0], [1.0]]), np.array([[0.5], [3.0]]))  # (0.125 + 1.5) / 2
0.8125
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet._header_bounds import MIN_POSITIVE, bounded
from glassnet._validation import finite_float
from glassnet.losses.base import Array, Loss


class MeanAbsoluteError(Loss):
    """C = mean over the batch and the outputs of |a - y|; dC/da = sign(a - y) / (n k).

    Keras's ``"mae"`` and PyTorch's ``nn.L1Loss()``. Each step moves by the same amount however
    large the miss, so an outlier pulls no harder than any other example.
    """

    name = "mean_absolute_error"

    def __init__(self, reduction: str = "sum_over_batch_size") -> None:
        super().__init__(from_logits=False, reduction=reduction)

    def _compute(self, y: Array, a: Array) -> float:
        return float(np.abs(a - y).mean())

    def _per_example(self, y: Array, a: Array) -> Array:
        return np.abs(a - y).mean(axis=1)  # (n,)

    def _compute_gradient(self, y: Array, a: Array) -> Array:
        return np.sign(a - y) / a.size  # sign(0) = 0, as torch's autograd

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **self._keras_settings()}


class Huber(Loss):
    """Huber loss: squared near the target, absolute far from it. With d = a - y,

    C = mean over the batch and outputs of (d**2 / 2 if |d| <= delta else
    delta * |d| - delta**2 / 2); dC/da = (d if |d| <= delta else delta * sign(d)) / (n k).

    Keras's ``Huber(delta=1.0)`` (``"huber"``) and PyTorch's ``nn.HuberLoss(delta=1.0)``. For
    small misses it is half the squared error, for large ones it grows linearly, so an outlier's
    pull is capped at delta.
    """

    name = "huber"

    def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size") -> None:
        value = finite_float(delta, "delta")
        if not value > 0:
            raise ValueError(
                f"Expected Huber's delta > 0 (where the loss turns from squared to linear, "
                f"e.g. 1.0), got {value!r}."
            )
        self.delta = bounded(value, "delta", MIN_POSITIVE, "delta=1.0")
        super().__init__(from_logits=False, reduction=reduction)

    def _terms(self, y: Array, a: Array) -> Array:
        d = a - y  # (n, k)
        size = np.abs(d)
        return np.where(size <= self.delta, 0.5 * d * d, self.delta * size - 0.5 * self.delta**2)

    def _compute(self, y: Array, a: Array) -> float:
        return float(self._terms(y, a).mean())

    def _per_example(self, y: Array, a: Array) -> Array:
        return self._terms(y, a).mean(axis=1)  # (n,)

    def _compute_gradient(self, y: Array, a: Array) -> Array:
        d = a - y  # (n, k)
        return np.where(np.abs(d) <= self.delta, d, self.delta * np.sign(d)) / a.size

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "delta": self.delta, **self._keras_settings()}

    def __repr__(self) -> str:
        return f"Huber(delta={self.delta!r})"
