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
CategoricalCrossEntropy     -(1/n) sum of y log p, p = a / sum_k a      (g - (g . p)) / s
SparseCategoricalCE         the same, with y as integer class labels    the same, y one-hot
==========================  ==========================================  ===================

(For the categorical pair, s is each row's sum of a and g = dC/dp = -y / (p n).)

A softmax output with a categorical cross-entropy, or a sigmoid output with a binary one, is
**fused**: the model skips dC/da and f'(z) and uses their stable product
``delta = dC/dz = (a - y) / n`` (``/ (n k)`` for the binary case), which never divides by a
probability near zero. With ``from_logits=True`` the loss takes the raw z of a linear output and
applies the softmax or sigmoid itself, the same stable way. Probabilities are clipped to
[1e-7, 1 - 1e-7] inside the logarithm (Keras's epsilon), so a confident wrong guess costs a large
finite number, not inf. The clip is part of the loss: where it holds a probability flat, C does
not change with it, so its gradient there is 0 (as in Keras, whose gradient comes from autograd).
The fused deltas say so too: they are the exact dC/dz of the clipped loss, equal to (a - y) / n
whenever no clip is active. ``from_logits=True`` never clips.

Called directly, ``loss(y_true, y_pred)`` prepares the targets exactly as ``fit`` does (one
method, ``prepare_targets``): class labels of shape (n,) or (n, 1) for the sparse loss, rows
matching y_pred's columns otherwise ((n,) is read as (n, 1) for a one-column output), and a clear
error for any other shape. ``compute(y, a)`` is the same number on targets already prepared.

>>> import numpy as np
>>> HalfSumSquaredError()(np.array([[0.0], [1.0]]), np.array([[0.5], [0.5]]))
0.25
>>> MeanSquaredError()(np.array([[0.0], [1.0]]), np.array([[0.5], [0.5]]))
0.25
>>> probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
>>> round(SparseCategoricalCrossEntropy()([0, 1, 2], probs), 4)  # -mean(log [0.8, 0.7, 0.7])
0.3122
>>> round(CategoricalCrossEntropy()([[1, 0]], [[0.9, 0.3]]), 4)  # rescaled: -log(0.9 / 1.2)
0.2877
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._names import from_config as from_config_of
from glassnet._names import lookup
from glassnet._targets import as_numeric
from glassnet._validation import SMALL
from glassnet.losses.base import (
    EPSILON,
    REDUCTIONS,
    Array,
    Loss,
    _inside,
    _log_softmax,
    _sigmoid,
    check_square_fits,
    squares_fit_as_given,
)
from glassnet.losses.regression import Huber, MeanAbsoluteError

__all__ = [
    "EPSILON",
    "REDUCTIONS",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "HalfSumSquaredError",
    "Huber",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "SparseCategoricalCrossEntropy",
    "from_config",
    "get",
]


class MeanSquaredError(Loss):
    """C = mean over the batch and the outputs of (a - y)**2; dC/da = 2 (a - y) / (n k).

    This is Keras's ``"mse"`` and PyTorch's ``nn.MSELoss()``.
    """

    name = "mean_squared_error"

    def __init__(self, reduction: str = "sum_over_batch_size") -> None:
        super().__init__(from_logits=False, reduction=reduction)

    def _compute(self, y: Array, a: Array) -> float:
        diff = a - y
        return float((diff * diff).mean())

    def _per_example(self, y: Array, a: Array) -> Array:
        diff = a - y
        return (diff * diff).mean(axis=1)  # (n,)

    def _compute_gradient(self, y: Array, a: Array) -> Array:
        return (a - y) * (2.0 / a.size)

    def prepare_targets(
        self, y: NDArray[Any], units: int, dtype: np.dtype[Any], what: str = "y"
    ) -> Array:
        if squares_fit_as_given(y, units, dtype):  # every check below passes: y as it is
            return y
        return check_square_fits(self, super().prepare_targets(y, units, dtype, what), dtype, what)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **self._keras_settings()}


class HalfSumSquaredError(Loss):
    """C = 1/2 * sum of (a - y)**2 over the batch and outputs; dC/da = a - y.

    The seed notebook's cost. The 1/2 cancels the 2 of the square's derivative, which is why the
    notebook's output error is simply ``a2 - y``. It is a sum, not a mean: the gradient grows with
    the batch, so learning rate 1 here on n examples equals "mse" with learning rate n / 2. The
    sum of squares is the error's dot product with itself, d . d, up to 4096 numbers
    (``half_sum_of_squares``).
    """

    name = "half_sum_squared_error"

    def __init__(self) -> None:
        super().__init__(from_logits=False)
        self.reduction = "sum"  # its own sum over everything, already in the formula

    def _compute(self, y: Array, a: Array) -> float:
        return half_sum_of_squares(a - y)

    def _per_example(self, y: Array, a: Array) -> Array:
        diff = a - y
        return 0.5 * (diff * diff).sum(axis=1)  # (n,): the rows' shares of the sum

    def _scaled(self, value: Any, n: int, per_row: bool = False) -> Any:
        return value  # a sum by definition: nothing to scale

    def _compute_gradient(self, y: Array, a: Array) -> Array:
        return a - y

    def value_and_gradient(
        self, y: Array, a: Array, sample_weight: Array | None = None, fused: bool = False
    ) -> tuple[float, Array]:
        """C and dC/da = a - y from one a - y (``compute``'s and ``compute_gradient``'s numbers)."""
        if sample_weight is not None or fused:
            return super().value_and_gradient(y, a, sample_weight, fused)
        return half_sum_and_error(y, a)

    def prepare_targets(
        self, y: NDArray[Any], units: int, dtype: np.dtype[Any], what: str = "y"
    ) -> Array:
        if squares_fit_as_given(y, units, dtype):  # every check below passes: y as it is
            return y
        return check_square_fits(self, super().prepare_targets(y, units, dtype, what), dtype, what)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


def half_sum_and_error(y: Array, a: Array) -> tuple[float, Array]:
    """``HalfSumSquaredError``'s C = 1/2 sum (a - y)**2 and dC/da = a - y from one a - y, for
    targets y already prepared, unweighted: its ``value_and_gradient``, and the step plan's
    (glassnet/_step_plan.py), the same numbers as ``compute`` and ``compute_gradient``."""
    diff = a - y  # (n, k): dC/da itself
    return half_sum_of_squares(diff), diff


def half_sum_of_squares(diff: Array) -> float:
    """1/2 sum of diff**2 over every entry: 1/2 (d . d) of the flat d, one BLAS dot product,
    up to ``SMALL`` numbers (the seed's 4: a third of the time of the squares' array and
    NumPy's sum); above, 1/2 NumPy's pairwise sum of the squares, as a dot product of many
    numbers may be split between BLAS threads, and its last bits would then follow their
    number."""
    if diff.size <= SMALL:
        flat = diff.reshape(-1)  # (n k,)
        return 0.5 * float(flat.dot(flat))
    return float(0.5 * np.add.reduce(diff * diff, axis=None))


class BinaryCrossEntropy(Loss):
    """C = -mean of y log a + (1 - y) log(1 - a), over the batch and the outputs.

    dC/da = (a - y) / (a (1 - a) n k); fused with a sigmoid output, delta = (a - y) / (n k),
    and 0 where the clip holds a flat (the exact dC/dz of the clipped loss, as Keras's autograd
    finds it). With ``from_logits=True``, y_pred is z and
    C = mean of max(z, 0) - z y + log(1 + exp(-|z|)), whose gradient is (sigmoid(z) - y) / (n k).
    Targets are in [0, 1].
    """

    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        reduction: str = "sum_over_batch_size",
    ) -> None:
        super().__init__(from_logits, reduction, label_smoothing)

    def _terms(self, y: Array, a: Array) -> Array:
        """Each output's term, (n, k)."""
        if self.from_logits:
            z = a
            return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        a = np.clip(a, EPSILON, 1.0 - EPSILON)
        return -(y * np.log(a) + (1.0 - y) * np.log(1.0 - a))

    def _compute(self, y: Array, a: Array) -> float:
        return float(np.mean(self._terms(y, a)))

    def _per_example(self, y: Array, a: Array) -> Array:
        return self._terms(y, a).mean(axis=1)  # (n,): Keras's mean over the outputs

    def _compute_gradient(self, y: Array, a: Array) -> Array:
        if self.from_logits:
            return (_sigmoid(a) - y) / a.size
        clipped = np.clip(a, EPSILON, 1.0 - EPSILON)
        return (clipped - y) / (clipped * (1.0 - clipped) * a.size) * _inside(a)

    def _fused_delta(self, y_true: Array, y_pred: Array) -> Array:
        """delta = dC/dz = (a - y) / (n k) where the clip is inactive, 0 where it holds a."""
        delta = y_pred - y_true  # (n, k)
        delta /= y_pred.size  # in place
        delta *= _inside(y_pred)  # the clip's derivative: 1, or 0 where it holds a flat
        return delta

    def prepare_targets(
        self, y: NDArray[Any], units: int, dtype: np.dtype[Any], what: str = "y"
    ) -> Array:
        y = super().prepare_targets(y, units, dtype, what)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(
                f"BinaryCrossEntropy expects targets between 0 and 1, got values from {y.min()} to "
                f"{y.max()}. For more than two classes use CategoricalCrossEntropy or "
                f"SparseCategoricalCrossEntropy with a softmax output."
            )
        return y


class CategoricalCrossEntropy(Loss):
    """C = -(1/n) * sum over examples and classes of y log p, with p = a / (sum of a's row).

    y is one-hot, or a probability distribution per row (non-negative, summing to 1 within
    1e-3; anything else is refused, since C would not be a cross-entropy). As in Keras, each row
    of a is first rescaled to sum to 1 (a softmax's rows already do; a sigmoid's do not), then
    clipped to [1e-7, 1 - 1e-7]. With s the row sum and g = dC/dp = -y / (p n) (0 where the clip
    is active), dC/da = (g - sum_k g p) / s.

    Fused with a softmax output (whose rows sum to 1, so the rescaling is the identity),
    delta = dC/dz = (a sum(y') - y') / n with y' = y where the clip is inactive and 0 where it
    holds p: that is (a - y) / n in the usual case, and the exact gradient of the clipped loss
    when a probability is within 1e-7 of 0 or 1 (the clip's flat part has no gradient, as in
    Keras). With ``from_logits=True``, y_pred is z, log p = log_softmax(z) (no clip) and
    dC/dz = (softmax(z) sum(y) - y) / n.
    """

    name = "categorical_crossentropy"
    fused_activation = "softmax"
    elementwise = False

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        reduction: str = "sum_over_batch_size",
    ) -> None:
        super().__init__(from_logits, reduction, label_smoothing)

    def _log_p(self, a: Array) -> Array:
        if self.from_logits:
            return _log_softmax(a)
        log_p = np.clip(self._rescaled(a), EPSILON, 1.0 - EPSILON)
        np.log(log_p, out=log_p)  # in place: log of the clipped copy
        return log_p

    def _compute(self, y: Array, a: Array) -> float:
        return float(-(y * self._log_p(a)).sum() / a.shape[0])

    def _per_example(self, y: Array, a: Array) -> Array:
        return -(y * self._log_p(a)).sum(axis=1)  # (n,): the sum over the classes

    def _choices(self, y: Array) -> int:
        return y.shape[1]  # k classes: y * (1 - s) + s / k

    def _compute_gradient(self, y: Array, a: Array) -> Array:
        n = a.shape[0]
        if self.from_logits:
            return (np.exp(_log_softmax(a)) * y.sum(axis=1, keepdims=True) - y) / n
        total = self._row_sums(a)  # (n, 1): s
        p = a / total  # (n, k)
        g = -y * _inside(p) / (np.clip(p, EPSILON, 1.0 - EPSILON) * n)  # dC/dp, (n, k)
        return (g - (g * p).sum(axis=1, keepdims=True)) / total  # dC/da through p = a / s

    def _fused_delta(self, y_true: Array, y_pred: Array) -> Array:
        """delta = dC/dz = (a sum(y') - y') / n, y' = y where p's clip is inactive."""
        p = y_pred / y_pred.sum(axis=1, keepdims=True)  # (n, k), the loss's own p
        kept = y_true * _inside(p)  # y': the targets whose log p the clip leaves alone
        delta = y_pred * kept.sum(axis=1, keepdims=True)  # (n, k)
        delta -= kept
        delta /= y_pred.shape[0]  # in place: one array, not three
        return delta

    def value_and_gradient(
        self, y: Array, a: Array, sample_weight: Array | None = None, fused: bool = False
    ) -> tuple[float, Array]:
        """C and the fused delta from one p = a / (row sum of a) and one smoothed y (the
        numbers ``compute`` and ``fused_delta`` give, each of which works them out itself)."""
        if not fused or sample_weight is not None:
            return super().value_and_gradient(y, a, sample_weight, fused)
        self._check_one_number()
        y = self._smoothed(y)
        n = a.shape[0]
        p = a / self._row_sums(a)  # (n, k); compute's p, and _fused_delta's
        log_p = np.maximum(p, EPSILON)  # np.clip(p, EPSILON, 1 - EPSILON) is min(max(p, lo), hi)
        np.minimum(log_p, 1.0 - EPSILON, out=log_p)
        inside = np.equal(log_p, p)  # _inside(p): the clip left p as it was (False for NaN)
        np.log(log_p, out=log_p)  # _log_p
        # -(y * log_p).sum() / n, _compute; np.add.reduce is what the sum method calls
        value = self._scaled(float(-np.add.reduce(np.multiply(y, log_p, out=log_p), None) / n), n)
        kept = y * inside  # _fused_delta from here
        delta = a * np.add.reduce(kept, axis=1, keepdims=True)
        delta -= kept
        delta /= n
        return value, self._scaled(delta, n)

    def _rescaled(self, a: Array) -> Array:
        """p = a / (row sum of a), Keras's rescaling."""
        return a / self._row_sums(a)

    def _row_sums(self, a: Array) -> Array:
        """Each row's sum s (n, 1), after refusing rows that are not probabilities."""
        # a.sum(axis=1, keepdims=True), a.min(), total.min(): the ufuncs those methods call
        total = np.add.reduce(a, axis=1, keepdims=True)  # (n, 1)
        if not np.minimum.reduce(a, axis=None) >= 0 or not np.minimum.reduce(total, axis=None) > 0:
            # a NaN row (an overflowed network in fit) passes: its NaN loss stops training
            bad = ((a < 0).any(axis=1) | ~(total[:, 0] > 0)) & np.isfinite(total[:, 0])
            if not bad.any():
                return total
            row = int(np.argmax(bad))
            raise ValueError(
                f"{type(self).__name__} expects probabilities (non-negative, each row with a "
                f"positive sum), but row {row} of the output is {a[row].tolist()[:10]}. Give the "
                f"last layer a softmax activation, or use from_logits=True with a linear output."
            )
        return total

    def prepare_targets(
        self, y: NDArray[Any], units: int, dtype: np.dtype[Any], what: str = "y"
    ) -> Array:
        y = super().prepare_targets(y, units, dtype, what)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(
                f"CategoricalCrossEntropy expects one-hot (or probability) targets between 0 and "
                f"1, got values from {y.min()} to {y.max()}. For integer class labels use "
                f"SparseCategoricalCrossEntropy."
            )
        sums = y.sum(axis=1, dtype=np.float64)  # (n,)
        off = np.abs(sums - 1.0) > 1e-3
        if off.any():
            row = int(np.argmax(off))
            raise ValueError(
                f"CategoricalCrossEntropy expects each target row to be a distribution over the "
                f"{units} classes (one-hot, or probabilities summing to 1), but row {row} sums to "
                f"{sums[row]:g} ({int(off.sum())} rows are off by more than 1e-3). Fix or drop "
                f"those rows; an all-zero row names no class and would train on a loss of 0."
            )
        return y


class SparseCategoricalCrossEntropy(CategoricalCrossEntropy):
    """Categorical cross-entropy with y given as integer labels (n,) in [0, k).

    The labels are one-hot encoded once, when the targets are checked, so the formulas are those
    of ``CategoricalCrossEntropy``.
    """

    name = "sparse_categorical_crossentropy"
    target_kind = "labels"

    def __init__(self, from_logits: bool = False, reduction: str = "sum_over_batch_size") -> None:
        super().__init__(from_logits, 0.0, reduction)  # no label_smoothing, as in Keras

    def prepare_targets(
        self, y: NDArray[Any], units: int, dtype: np.dtype[Any], what: str = "y"
    ) -> Array:
        y = as_numeric(y, what)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"SparseCategoricalCrossEntropy expects integer class labels of shape "
                f"(n_samples,) or (n_samples, 1), got shape {y.shape}. One-hot targets go with "
                f"CategoricalCrossEntropy, or turn them into labels with y.argmax(axis=1)."
            )
        if y.size and (y.min() < 0 or y.max() >= units):
            raise ValueError(
                f"SparseCategoricalCrossEntropy got labels from {y.min()} to {y.max()}, but the "
                f"output has {units} units, so labels must be in [0, {units - 1}]. Give the last "
                f"Dense layer one unit per class."
            )
        labels = y.astype(np.int64)
        if not np.array_equal(labels, y):
            raise ValueError(
                "SparseCategoricalCrossEntropy expects whole-number class labels, got fractional "
                "values. Use CategoricalCrossEntropy for soft targets."
            )
        onehot = np.zeros((len(labels), units), dtype=dtype)  # (n, k); not eye(k)[labels],
        onehot[np.arange(len(labels)), labels] = 1  # which would build a (k, k) matrix first
        return onehot


LOSSES: dict[str, type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "half_sum_squared_error": HalfSumSquaredError,
    "binary_crossentropy": BinaryCrossEntropy,
    "categorical_crossentropy": CategoricalCrossEntropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossEntropy,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber,
}


def get(identifier: str | Loss, training: bool = False) -> Loss:
    """A loss from its name (``"mse"``) or an instance. ``training=True`` (what ``compile``
    asks) refuses ``reduction="none"``, which gives no single number to minimise."""
    if isinstance(identifier, Loss):
        if training:
            identifier._check_one_number()
        return identifier
    return lookup("loss", identifier, LOSSES)()


def from_config(config: dict[str, Any]) -> Loss:
    """Rebuild a loss from ``get_config()``."""
    return from_config_of("loss", config, LOSSES)


# Keras's spelling of the same classes ("Crossentropy", one word), so a Keras script's
# ``keras.losses.BinaryCrossentropy()`` runs unchanged; glassnet's own names stay documented
BinaryCrossentropy = BinaryCrossEntropy
CategoricalCrossentropy = CategoricalCrossEntropy
SparseCategoricalCrossentropy = SparseCategoricalCrossEntropy


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)
