"""Keras's mean metric objects: each example gets one value, and ``result()`` is the mean of the
values of every example seen since ``reset_state()`` (Keras's ``MeanMetricWrapper``), so the
number over an epoch is the mean over the epoch's examples, not a mean of batch means. With
predictions p and targets y of shape (n, k), and eps = 1e-7 (Keras's epsilon), each example's
value is its mean over the k outputs of:

==================================  ===============================================  ==========
class (history key)                 value                                            direction
==================================  ===============================================  ==========
MeanAbsoluteError                   |p - y|                                          down
MeanSquaredError                    (p - y)**2                                       down
RootMeanSquaredError                sqrt of the mean of (p - y)**2 over everything   down
MeanAbsolutePercentageError         100 |y - p| / max(|y|, eps)                      down
MeanSquaredLogarithmicError         (log(max(p,eps) + 1) - log(max(y,eps) + 1))**2   down
Accuracy                            y == p (exactly equal)                           up
CategoricalAccuracy                 argmax p == argmax y (one value per example)     up
SparseCategoricalAccuracy           argmax p == the label y                          up
SparseTopKCategoricalAccuracy(k)    the label's score is among the k largest         up
BinaryCrossentropy                  the binary cross-entropy (the loss's terms)      down
CategoricalCrossentropy             the categorical cross-entropy of the row         down
SparseCategoricalCrossentropy       the same, with y a class label                   down
==================================  ===============================================  ==========

The cross-entropies are glassnet's losses (``from_logits=``, ``label_smoothing=``, the clip to
[eps, 1 - eps]) computed in the dtype of p, as Keras computes them in float32. The sparse ones
take labels of shape (n,) or (n, 1), or the one-hot rows ``fit`` hands a metric once the sparse
loss has encoded the labels. ``Mean`` and ``Sum`` keep the mean and the sum of numbers you give
them (``update_state(values)``); they take no targets, so they do not go in ``compile``.

>>> m = RootMeanSquaredError()
>>> m.update_state([2, 4, 6], [1, 3, 2])  # errors 1, 1, 4: sqrt(18 / 3)
>>> round(m.result(), 6)
2.44949
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet import losses
from glassnet._validation import shown, whole_number
from glassnet.metric_objects import (
    EPSILON,
    MetricObject,
    _pair,
    _ratio,
    example_weights,
    numeric_array,
)
from glassnet.metric_objects import TopKCategoricalAccuracy as _TopK


def labels_of(y_true: ArrayLike, y_pred: ArrayLike, who: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """(labels (n,), y_pred (n, k)) as float64, finite, from labels (n,) or (n, 1), or from
    one-hot rows (n, k), read by their argmax: what ``fit`` hands a metric once the sparse loss
    has encoded the labels."""
    a = numeric_array(y_pred, "y_pred", who)
    if a.ndim != 2:
        raise ValueError(
            f"{who} expects y_pred of shape (n_samples, n_classes), got {a.shape}. For a single "
            f"example use y_pred.reshape(1, -1)."
        )
    y = numeric_array(y_true, "y_true", who)
    if y.ndim == 2 and y.shape[1] == a.shape[1] > 1:
        labels = y.argmax(axis=1)  # one-hot rows, as fit prepares them
    elif y.ndim == 1 or y.shape[1] == 1:
        labels = y.reshape(-1)
    else:
        raise ValueError(
            f"{who} expects class labels of shape (n_samples,) or (n_samples, 1), got "
            f"{y.shape} for y_pred of shape {a.shape}."
        )
    if len(labels) != len(a):
        raise ValueError(f"{who} got {len(labels)} labels for {len(a)} rows of y_pred.")
    labels, a = labels.astype(np.float64), a.astype(np.float64)
    if not (np.isfinite(labels).all() and np.isfinite(a).all()):
        raise ValueError(f"{who} got NaN or infinite values in y_true or y_pred.")
    return labels, a


class _MeanOfExamples(MetricObject):
    """total / count: the sum of every example's value over the number of examples seen."""

    maximized = False

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Add a batch: total += sum_i v_i, count += n; with ``sample_weight`` w (n,),
        total += sum_i w_i v_i and count += sum_i w_i, as Keras's weighted mean."""
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, in words
            values = self._per_example(y_true, y_pred)  # (n,)
            w = example_weights(sample_weight, len(values), self)
            if w is not None:
                values = w * values
            total = float(np.sum(values, dtype=np.float64))
        if not math.isfinite(total):
            raise ValueError(
                f"{type(self).__name__} overflowed float64 on these values (largest |y_pred| "
                f"{float(np.abs(np.asarray(y_pred, dtype=np.float64)).max()):g}). Scale the "
                f"targets and outputs."
            )
        self.total += total
        self.count += len(values) if w is None else float(w.sum())

    def result(self) -> float:
        return float(_ratio(self.total, self.count))

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        raise NotImplementedError


class MeanAbsoluteError(_MeanOfExamples):
    """mean of |p - y| (Keras's "mae" as an object)."""

    name = "mean_absolute_error"

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        y, p = _pair(y_true, y_pred, type(self).__name__)
        return np.mean(np.abs(p - y), axis=1)


class MeanSquaredError(_MeanOfExamples):
    """mean of (p - y)**2 (Keras's "mse" as an object)."""

    name = "mean_squared_error"

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        y, p = _pair(y_true, y_pred, type(self).__name__)
        return np.mean((p - y) ** 2, axis=1)


class RootMeanSquaredError(MeanSquaredError):
    """sqrt(sum of (p - y)**2 / count): the root of the epoch's mean square, which is not the
    mean of the batches' roots (so it is an object, not a name, in Keras and here)."""

    name = "root_mean_squared_error"

    def result(self) -> float:
        return float(np.sqrt(_ratio(self.total, self.count)))


class MeanAbsolutePercentageError(_MeanOfExamples):
    """mean of 100 |y - p| / max(|y|, 1e-7): a target of 0 gives a huge value, as in Keras."""

    name = "mean_absolute_percentage_error"

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        y, p = _pair(y_true, y_pred, type(self).__name__)
        return 100.0 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), EPSILON), axis=1)


class MeanSquaredLogarithmicError(_MeanOfExamples):
    """mean of (log(max(p, eps) + 1) - log(max(y, eps) + 1))**2."""

    name = "mean_squared_logarithmic_error"

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        y, p = _pair(y_true, y_pred, type(self).__name__)
        gap = np.log1p(np.maximum(p, EPSILON)) - np.log1p(np.maximum(y, EPSILON))
        return np.mean(gap**2, axis=1)


class Accuracy(_MeanOfExamples):
    """mean of (y == p): how often the prediction equals the target exactly (Keras's
    ``Accuracy`` object; the string "accuracy" in compile picks binary or categorical)."""

    name = "accuracy"
    maximized = True

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        y, p = _pair(y_true, y_pred, "Accuracy")
        return np.mean(y == p, axis=1)


class CategoricalAccuracy(_MeanOfExamples):
    """mean of (argmax p == argmax y), one-hot (or probability) target rows (n, k)."""

    name = "categorical_accuracy"
    maximized = True

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        y, p = _pair(y_true, y_pred, "CategoricalAccuracy")
        return p.argmax(axis=1) == y.argmax(axis=1)


class SparseCategoricalAccuracy(_MeanOfExamples):
    """mean of (argmax p == y), y class labels (n,) or (n, 1) (or fit's one-hot rows)."""

    name = "sparse_categorical_accuracy"
    maximized = True

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        labels, p = labels_of(y_true, y_pred, "SparseCategoricalAccuracy")
        return p.argmax(axis=1) == labels


class SparseTopKCategoricalAccuracy(_MeanOfExamples):
    """The share of examples whose label scores at least the k-th largest output (ties
    count, as ``TopKCategoricalAccuracy``), y class labels (n,) or (n, 1)."""

    name = "sparse_top_k_categorical_accuracy"
    maximized = True

    def __init__(self, k: int = 5, name: str | None = None) -> None:
        self.k = whole_number(k, "SparseTopKCategoricalAccuracy's k", 1, 10**6)
        super().__init__(name)

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        labels, p = labels_of(y_true, y_pred, "SparseTopKCategoricalAccuracy")
        bad = labels[(labels != np.round(labels)) | (labels < 0) | (labels >= p.shape[1])]
        if bad.size:
            raise ValueError(
                f"SparseTopKCategoricalAccuracy expects whole class labels from 0 to "
                f"{p.shape[1] - 1} (y_pred has {p.shape[1]} classes), got the label {bad[0]:g}."
            )
        return _TopK.top_k(labels.astype(np.intp), p, self.k)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "k": self.k}


class _Crossentropy(_MeanOfExamples):
    """The loss's per-example values, in the dtype of y_pred (float32 as Keras computes)."""

    loss_class: type[losses.Loss] = losses.Loss
    smooths = True

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        name: str | None = None,
    ) -> None:
        who = type(self).__name__
        if not isinstance(from_logits, bool | np.bool_):
            raise TypeError(
                f"Expected {who}'s from_logits to be True or False, got {shown(from_logits, 20)}."
            )
        # the sparse loss takes no smoothing (as Keras's sparse metric)
        smoothing = {"label_smoothing": label_smoothing} if self.smooths else {}
        self.loss = self.loss_class(from_logits=bool(from_logits), **smoothing)  # checks it
        self.from_logits, self.label_smoothing = self.loss.from_logits, self.loss.label_smoothing
        super().__init__(name)

    def _per_example(self, y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[Any]:
        dtype = np.asarray(y_pred).dtype
        y, p = self._checked(y_true, y_pred)  # numeric, finite, float64
        p = p.astype(dtype if dtype in (np.float32, np.float64) else np.float64)
        y, p = self.loss.prepare(y, p)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            values = self.loss.per_example(y, p)  # (n,)
        if not np.isfinite(values).all():
            raise ValueError(self.loss._overflow_message("metric", p))
        return values

    def _checked(self, y_true: ArrayLike, y_pred: ArrayLike) -> tuple[Any, NDArray[Any]]:
        return _pair(y_true, y_pred, type(self).__name__)

    def get_config(self) -> dict[str, Any]:
        settings = {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}
        return {**super().get_config(), **settings}


class BinaryCrossentropy(_Crossentropy):
    """-mean of y log p + (1 - y) log(1 - p) over each example's outputs."""

    name = "binary_crossentropy"
    loss_class = losses.BinaryCrossEntropy


class CategoricalCrossentropy(_Crossentropy):
    """-sum of y log(p / sum p) over each example's row."""

    name = "categorical_crossentropy"
    loss_class = losses.CategoricalCrossEntropy


class SparseCategoricalCrossentropy(_Crossentropy):
    """-log(p_label / sum p) for each example, y class labels (or fit's one-hot rows)."""

    name = "sparse_categorical_crossentropy"
    loss_class = losses.SparseCategoricalCrossEntropy
    smooths = False

    def __init__(self, from_logits: bool = False, name: str | None = None) -> None:
        super().__init__(from_logits=from_logits, name=name)

    def _checked(self, y_true: ArrayLike, y_pred: ArrayLike) -> tuple[Any, NDArray[Any]]:
        return labels_of(y_true, y_pred, type(self).__name__)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["label_smoothing"]
        return config


# -- Mean and Sum: numbers you give them, not (y_true, y_pred) ------------------------------------
class Mean(MetricObject):
    """The mean of every number given to ``update_state(values)`` since ``reset_state()``; a
    2-d (or deeper) array counts one value per row, its mean, as Keras's ``Mean``."""

    name = "mean"
    maximized = False
    #: takes ``update_state(values)``, not (y_true, y_pred): not a compile metric
    takes_targets = False

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(  # type: ignore[override]
        self, values: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Add the values (one per row); with ``sample_weight`` w, one weight per value (row),
        total += sum_i w_i v_i and count += sum_i w_i, as Keras's."""
        array = _values_array(values, self)
        if array.dtype.kind not in "biuf" or array.size == 0:
            raise TypeError(
                f"{type(self).__name__}.update_state expects numbers (a number or an array), got "
                f"{array.dtype} of shape {array.shape}."
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{type(self).__name__}.update_state got NaN or infinite values.")
        with np.errstate(over="ignore", invalid="ignore"):  # said below, in words
            if array.ndim >= 2:  # one value per example (row): its mean, as Keras's Mean
                array = array.reshape(len(array), -1).mean(axis=1, dtype=np.float64)
            w = None
            if sample_weight is not None:
                w = example_weights(sample_weight, array.size, self)
                array = w * array.reshape(-1)
            total = self.total + float(np.sum(array, dtype=np.float64))
        if not np.isfinite(total):  # inf with a RuntimeWarning before, kept as the result
            raise ValueError(
                f"{type(self).__name__}.update_state: the running total passed the largest "
                f"float64 (about 1.8e308), so the result would be inf. Scale the values down."
            )
        self.total = total
        self.count += array.size if w is None else float(w.sum())

    def result(self) -> float:
        return float(_ratio(self.total, self.count))

    def __call__(  # type: ignore[override]
        self, values: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        self.update_state(values, sample_weight)
        return self.result()


def _values_array(values: ArrayLike, metric: MetricObject) -> np.ndarray:
    """``values`` as an array; ragged lists get the metric's own TypeError (NumPy's bare
    'setting an array element with a sequence' before)."""
    try:
        return np.asarray(values)
    except (ValueError, TypeError):
        raise TypeError(
            f"{type(metric).__name__}.update_state expects numbers (a number or an array), got "
            f"{type(values).__name__} {shown(values, 40)} (rows of different lengths?)."
        ) from None


class Sum(Mean):
    """The sum of every number given to ``update_state(values)`` since ``reset_state()``."""

    def update_state(  # type: ignore[override]
        self, values: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        array = _values_array(values, self)
        super().update_state(np.ravel(array) if array.ndim >= 2 else array, sample_weight)

    name = "sum"

    def result(self) -> float:
        return float(self.total)


#: every class here by its history key (``metric_objects.all_metric_objects`` adds the others)
METRIC_MEANS: dict[str, type[MetricObject]] = {
    cls.name: cls
    for cls in (
        MeanAbsoluteError,
        MeanSquaredError,
        RootMeanSquaredError,
        MeanAbsolutePercentageError,
        MeanSquaredLogarithmicError,
        Accuracy,
        CategoricalAccuracy,
        SparseCategoricalAccuracy,
        SparseTopKCategoricalAccuracy,
        BinaryCrossentropy,
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        Mean,
        Sum,
    )
}
