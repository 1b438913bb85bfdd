"""Losses: the cost C, its gradient dC/da, and how each one reduces over the batch.

Each loss is called as Keras's are, ``loss(y_true, y_pred) -> C``, and ``gradient(y_true,
y_pred)`` gives ``dC/da`` (same shape as ``y_pred``). A loss says exactly how it reduces, because
the learning rate means something different under each: with n examples and k outputs,

==========================  ==========================================  ===================
loss                        C                                           dC/da
==========================  ==========================================  ===================
MeanSquaredError ("mse")    mean over n and k of (a - y)**2             2 (a - y) / (n k)
HalfSumSquaredError         1/2 * sum of (a - y)**2   (the seed's)      a - y
BinaryCrossEntropy          -mean of y log a + (1 - y) log(1 - a)       (a - y) / (a (1 - a) n k)
CategoricalCrossEntropy     -(1/n) sum of y log a                       -y / (a n)
SparseCategoricalCE         the same, with y as integer class labels    -onehot(y) / (a n)
==========================  ==========================================  ===================

A softmax output with a categorical cross-entropy, or a sigmoid output with a binary one, is
**fused**: the model skips dC/da and f'(z) and uses their stable product
``delta = dC/dz = (a - y) / n`` (``/ (n k)`` for the binary case), which never divides by a
probability near zero. With ``from_logits=True`` the loss takes the raw z of a linear output and
applies the softmax or sigmoid itself, the same stable way. Probabilities are clipped to
[1e-7, 1 - 1e-7] inside the logarithm (Keras's epsilon), so a confident wrong guess costs a large
finite number, not inf.

>>> import numpy as np
>>> HalfSumSquaredError()(np.array([[0.0], [1.0]]), np.array([[0.5], [0.5]]))
0.25
>>> MeanSquaredError()(np.array([[0.0], [1.0]]), np.array([[0.5], [0.5]]))
0.25
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from glassnet._names import from_config as from_config_of
from glassnet._names import lookup

Array = NDArray[np.floating[Any]]
EPSILON = 1e-7


def _sigmoid(z: Array) -> Array:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _log_softmax(z: Array) -> Array:
    shifted = z - z.max(axis=1, keepdims=True)  # (n, k); subtracting the max keeps exp finite
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class Loss:
    """Base class. Subclasses write ``__call__``, ``gradient`` and, if fused, ``fused_delta``."""

    name = "loss"
    reduction: Literal["mean", "sum"] = "mean"
    #: the output activation this loss fuses with (its dC/dz is computed directly), if any
    fused_activation: str | None = None
    #: what y_true must look like: "dense" (same shape as the output) or "labels" (class indices)
    target_kind: Literal["dense", "labels"] = "dense"

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def __call__(self, y_true: Array, y_pred: Array) -> float:
        raise NotImplementedError

    def gradient(self, y_true: Array, y_pred: Array) -> Array:
        """dC/da (or dC/dz with ``from_logits``), shape of y_pred."""
        raise NotImplementedError

    def fuses_with(self, activation_name: str | None) -> bool:
        """True when the model may use ``fused_delta`` for an output with this activation."""
        if self.from_logits or self.fused_activation is None:
            return False
        return activation_name == self.fused_activation

    def fused_delta(self, y_true: Array, y_pred: Array) -> Array:
        """delta = dC/dz for the fused output activation: (a - y) / n."""
        raise NotImplementedError

    def prepare_targets(self, y: NDArray[Any], units: int, dtype: np.dtype[Any]) -> Array:
        """Check y against an output of ``units`` units; return it as the loss wants it."""
        y = _as_numeric(y, "y")
        if y.ndim == 1 and units == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != units:
            raise ValueError(
                f"{type(self).__name__} expects targets y of shape (n_samples, {units}) to match "
                f"the model's output, got shape {y.shape}."
                + _label_hint(y, units, self.target_kind)
            )
        return y.astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "from_logits": self.from_logits}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _as_numeric(y: Any, what: str) -> NDArray[Any]:
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected numeric targets {what}, got an array of dtype {y.dtype}. "
            f"Convert them with np.asarray({what}, dtype=float), or encode text labels as "
            f"integers."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"Targets {what} contain NaN or infinity; clean or drop those rows.")
    return y


def _label_hint(y: NDArray[Any], units: int, kind: str) -> str:
    if kind == "dense" and units > 1 and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
        return (
            " These look like integer class labels: use SparseCategoricalCrossEntropy, or one-hot "
            "encode them (np.eye(n_classes)[labels])."
        )
    return ""


class MeanSquaredError(Loss):
    """C = mean over the batch and the outputs of (a - y)**2; dC/da = 2 (a - y) / (n k).

    This is Keras's ``"mse"`` and PyTorch's ``nn.MSELoss()``.
    """

    name = "mean_squared_error"

    def __init__(self) -> None:
        super().__init__(from_logits=False)

    def __call__(self, y_true: Array, y_pred: Array) -> float:
        diff = y_pred - y_true
        return float((diff * diff).mean())

    def gradient(self, y_true: Array, y_pred: Array) -> Array:
        return (y_pred - y_true) * (2.0 / y_pred.size)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


class HalfSumSquaredError(Loss):
    """C = 1/2 * sum of (a - y)**2 over the batch and outputs; dC/da = a - y.

    The seed notebook's cost. The 1/2 cancels the 2 of the square's derivative, which is why the
    notebook's output error is simply ``a2 - y``. It is a sum, not a mean: the gradient grows with
    the batch, so learning rate 1 here on n examples equals "mse" with learning rate n / 2.
    """

    name = "half_sum_squared_error"
    reduction = "sum"

    def __init__(self) -> None:
        super().__init__(from_logits=False)

    def __call__(self, y_true: Array, y_pred: Array) -> float:
        diff = y_pred - y_true
        return float(0.5 * (diff * diff).sum())

    def gradient(self, y_true: Array, y_pred: Array) -> Array:
        return y_pred - y_true

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


class BinaryCrossEntropy(Loss):
    """C = -mean of y log a + (1 - y) log(1 - a), over the batch and the outputs.

    dC/da = (a - y) / (a (1 - a) n k); fused with a sigmoid output, delta = (a - y) / (n k).
    With ``from_logits=True``, y_pred is z and C = mean of max(z, 0) - z y + log(1 + exp(-|z|)),
    whose gradient is (sigmoid(z) - y) / (n k). Targets are in [0, 1].
    """

    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def __call__(self, y_true: Array, y_pred: Array) -> float:
        if self.from_logits:
            z = y_pred
            return float(np.mean(np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))))
        a = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        return float(-np.mean(y_true * np.log(a) + (1.0 - y_true) * np.log(1.0 - a)))

    def gradient(self, y_true: Array, y_pred: Array) -> Array:
        if self.from_logits:
            return (_sigmoid(y_pred) - y_true) / y_pred.size
        a = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        inside = (y_pred >= EPSILON) & (y_pred <= 1.0 - EPSILON)  # the clip's own derivative
        return (a - y_true) / (a * (1.0 - a) * y_pred.size) * inside

    def fused_delta(self, y_true: Array, y_pred: Array) -> Array:
        return (y_pred - y_true) / y_pred.size

    def prepare_targets(self, y: NDArray[Any], units: int, dtype: np.dtype[Any]) -> Array:
        y = super().prepare_targets(y, units, dtype)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(
                f"BinaryCrossEntropy expects targets between 0 and 1, got values from {y.min()} to "
                f"{y.max()}. For more than two classes use CategoricalCrossEntropy or "
                f"SparseCategoricalCrossEntropy with a softmax output."
            )
        return y


class CategoricalCrossEntropy(Loss):
    """C = -(1/n) * sum over examples and classes of y log a, with y one-hot (n, k).

    dC/da = -y / (a n); fused with a softmax output, delta = dC/dz = (a - y) / n.
    With ``from_logits=True``, y_pred is z and log a = log_softmax(z), computed stably.
    """

    name = "categorical_crossentropy"
    fused_activation = "softmax"

    def __call__(self, y_true: Array, y_pred: Array) -> float:
        if self.from_logits:
            log_a = _log_softmax(y_pred)
        else:
            log_a = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
            np.log(log_a, out=log_a)  # in place: log of the clipped copy
        return float(-(y_true * log_a).sum() / y_pred.shape[0])

    def gradient(self, y_true: Array, y_pred: Array) -> Array:
        n = y_pred.shape[0]
        if self.from_logits:
            return (np.exp(_log_softmax(y_pred)) - y_true) / n
        inside = (y_pred >= EPSILON) & (y_pred <= 1.0 - EPSILON)
        return -y_true / (np.clip(y_pred, EPSILON, 1.0 - EPSILON) * n) * inside

    def fused_delta(self, y_true: Array, y_pred: Array) -> Array:
        delta = y_pred - y_true  # (n, k)
        delta /= y_pred.shape[0]  # in place: (a - y) / n, one array instead of two
        return delta

    def prepare_targets(self, y: NDArray[Any], units: int, dtype: np.dtype[Any]) -> Array:
        y = super().prepare_targets(y, units, dtype)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(
                f"CategoricalCrossEntropy expects one-hot (or probability) targets between 0 and "
                f"1, got values from {y.min()} to {y.max()}. For integer class labels use "
                f"SparseCategoricalCrossEntropy."
            )
        return y


class SparseCategoricalCrossEntropy(CategoricalCrossEntropy):
    """Categorical cross-entropy with y given as integer labels (n,) in [0, k).

    The labels are one-hot encoded once, when the targets are checked, so the formulas are those
    of ``CategoricalCrossEntropy``.
    """

    name = "sparse_categorical_crossentropy"
    target_kind = "labels"

    def prepare_targets(self, y: NDArray[Any], units: int, dtype: np.dtype[Any]) -> Array:
        y = _as_numeric(y, "y")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"SparseCategoricalCrossEntropy expects integer class labels of shape "
                f"(n_samples,), got shape {y.shape}. One-hot targets go with "
                f"CategoricalCrossEntropy, or turn them into labels with y.argmax(axis=1)."
            )
        labels = y.astype(np.int64)
        if not np.array_equal(labels, y):
            raise ValueError(
                "SparseCategoricalCrossEntropy expects whole-number class labels, got fractional "
                "values. Use CategoricalCrossEntropy for soft targets."
            )
        if labels.size and (labels.min() < 0 or labels.max() >= units):
            raise ValueError(
                f"SparseCategoricalCrossEntropy got labels from {labels.min()} to {labels.max()}, "
                f"but the output has {units} units, so labels must be in [0, {units - 1}]. Give "
                f"the last Dense layer one unit per class."
            )
        return np.eye(units, dtype=dtype)[labels]  # (n, k) one-hot


LOSSES: dict[str, type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "half_sum_squared_error": HalfSumSquaredError,
    "binary_crossentropy": BinaryCrossEntropy,
    "categorical_crossentropy": CategoricalCrossEntropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossEntropy,
}


def get(identifier: str | Loss) -> Loss:
    """A loss from its name (``"mse"``) or an instance."""
    if isinstance(identifier, Loss):
        return identifier
    return lookup("loss", identifier, LOSSES)()


def from_config(config: dict[str, Any]) -> Loss:
    """Rebuild a loss from ``get_config()``."""
    return from_config_of("loss", config, LOSSES)
