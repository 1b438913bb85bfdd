"""Metric objects, Keras's stateful metrics: ``update_state(y_true, y_pred)`` adds a batch's
counts, ``result()`` reads the number, ``reset_state()`` starts again. ``fit`` resets each object
at the start of every epoch, updates it with every batch, and reports ``result()`` under the
object's ``name`` (Keras's: "binary_accuracy", "precision", "recall", "auc",
"top_k_categorical_accuracy"), so Precision, Recall and AUC over an epoch come from the epoch's
total counts, as in Keras, not from an average of the batches' values. ``evaluate`` and
``train_on_batch`` report the value over the data they are given. With n predictions p and
targets y (a target counts as positive when it is not 0):

- ``BinaryAccuracy(threshold=0.5)``: mean of ((p > threshold) == y) over every output
- ``Precision(thresholds=0.5)``: TP / (TP + FP), predicted positive when p > threshold
- ``Recall(thresholds=0.5)``: TP / (TP + FN)
- ``AUC(num_thresholds=200, curve="ROC"|"PR")``: TP, FP, TN, FN at the thresholds
  -1e-7, 1/(T-1), ..., (T-2)/(T-1), 1 + 1e-7; ROC: the trapezoid sum over (false positive rate,
  recall); PR: Keras's interpolation (Davis & Goadrich) over (recall, precision)
- ``TopKCategoricalAccuracy(k=5)``: the fraction of examples whose target class (argmax of the
  one-hot row) scores at least the k-th largest output (ties count, as Keras's ``in_top_k``)

A ratio whose denominator is 0 is 0 (Keras's divide_no_nan).

>>> import numpy as np
>>> m = Precision()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> round(m.result(), 4)
0.6667
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._names import config_repr, lookup
from glassnet._names import from_config as from_config_of
from glassnet._validation import finite_float, shown, whole_number

EPSILON = 1e-7  # Keras's backend.epsilon(): AUC's end thresholds lie just outside [0, 1]


def _ratio(top: NDArray[Any] | float, bottom: NDArray[Any] | float) -> Any:
    """top / bottom, 0 where bottom is 0 (Keras's divide_no_nan)."""
    top, bottom = np.asarray(top, np.float64), np.asarray(bottom, np.float64)
    safe = np.where(bottom == 0, 1.0, bottom)
    return np.where(bottom == 0, 0.0, top / safe)


def _pair(y_true: ArrayLike, y_pred: ArrayLike, who: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """Both as float64 (n, k) arrays of one shape ((n,) read as (n, 1)), finite."""
    y, p = np.asarray(y_true), np.asarray(y_pred)
    for what, array in (("y_true", y), ("y_pred", p)):
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{who} expects numeric {what}, got an array of dtype {array.dtype}.")
        if array.ndim not in (1, 2) or array.shape[0] == 0:
            raise ValueError(
                f"{who} expects {what} of shape (n_samples,) or (n_samples, n_outputs), got "
                f"shape {array.shape}."
            )
    y = (y.reshape(-1, 1) if y.ndim == 1 else y).astype(np.float64)
    p = (p.reshape(-1, 1) if p.ndim == 1 else p).astype(np.float64)
    if y.shape != p.shape:
        raise ValueError(
            f"{who} expects y_true and y_pred of the same shape, got {np.shape(y_true)} and "
            f"{np.shape(y_pred)}."
        )
    if not (np.isfinite(y).all() and np.isfinite(p).all()):
        raise ValueError(f"{who} got NaN or infinite values in y_true or y_pred.")
    return y, p


def _threshold(value: object, who: str, argument: str = "threshold") -> float:
    number = finite_float(value, f"{who}'s {argument}")
    if not 0 <= number <= 1:
        raise ValueError(f"Expected {who}'s {argument} in [0, 1] (e.g. 0.5), got {number!r}.")
    return number


class MetricObject:
    """Base class: ``update_state``, ``result``, ``reset_state``; ``value(y, p)`` is the result
    over (y, p) alone (what evaluate reports), leaving the running state as it was."""

    name = "metric"
    #: bigger is better (Keras's direction "up"), as for every metric object here
    maximized = True

    def reset_state(self) -> None:
        raise NotImplementedError

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def value(self, y_true: ArrayLike, y_pred: ArrayLike) -> float:
        fresh = from_config(self.get_config())
        fresh.update_state(y_true, y_pred)
        return fresh.result()

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike) -> float:
        """As Keras's: update the state with this batch, then return ``result()``."""
        self.update_state(y_true, y_pred)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return config_repr(self)


class BinaryAccuracy(MetricObject):
    """mean of ((p > threshold) == y) over every output of every example seen."""

    name = "binary_accuracy"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = _threshold(threshold, "BinaryAccuracy")
        self.reset_state()

    def reset_state(self) -> None:
        self.matches, self.count = 0.0, 0

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike) -> None:
        y, p = _pair(y_true, y_pred, "BinaryAccuracy")
        self.matches += float(np.sum((p > self.threshold) == y))
        self.count += y.size

    def result(self) -> float:
        return float(_ratio(self.matches, self.count))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "threshold": self.threshold}


class _Confusion(MetricObject):
    """True/false positive/negative counts at one threshold (p > threshold is positive)."""

    def __init__(self, thresholds: float | None = None) -> None:
        who = type(self).__name__
        if thresholds is not None and isinstance(thresholds, list | tuple):
            raise TypeError(
                f"{who} takes one threshold (a number in [0, 1], or None for 0.5); Keras's list "
                f"of thresholds, which returns a list, is not offered."
            )
        self.thresholds = 0.5 if thresholds is None else _threshold(thresholds, who, "thresholds")
        self.reset_state()

    def reset_state(self) -> None:
        self.true_positives = self.false_positives = self.false_negatives = 0.0

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike) -> None:
        y, p = _pair(y_true, y_pred, type(self).__name__)
        truth, guess = y != 0, p > self.thresholds
        self.true_positives += float(np.sum(truth & guess))
        self.false_positives += float(np.sum(~truth & guess))
        self.false_negatives += float(np.sum(truth & ~guess))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "thresholds": self.thresholds}


class Precision(_Confusion):
    """TP / (TP + FP): of the outputs predicted positive (p > threshold), the share that are."""

    name = "precision"

    def result(self) -> float:
        return float(_ratio(self.true_positives, self.true_positives + self.false_positives))


class Recall(_Confusion):
    """TP / (TP + FN): of the positive targets, the share predicted positive."""

    name = "recall"

    def result(self) -> float:
        return float(_ratio(self.true_positives, self.true_positives + self.false_negatives))


class AUC(MetricObject):
    """Area under the ROC (or precision-recall) curve, from counts at ``num_thresholds``
    thresholds, Keras's ``AUC`` (``summation_method="interpolation"``, one label)."""

    name = "auc"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC") -> None:
        self.num_thresholds = whole_number(num_thresholds, "AUC's num_thresholds", 2, 10**6)
        if not isinstance(curve, str) or curve.upper() not in ("ROC", "PR"):
            raise ValueError(f"Expected AUC's curve to be 'ROC' or 'PR', got {shown(curve, 20)}.")
        self.curve = curve.upper()
        n = self.num_thresholds
        inner = [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)]
        self.threshold_values = np.array([0.0 - EPSILON, *inner, 1.0 + EPSILON])  # (T,)
        self.reset_state()

    def reset_state(self) -> None:
        n = self.num_thresholds
        self.true_positives = np.zeros(n)
        self.false_positives = np.zeros(n)
        self.true_negatives = np.zeros(n)
        self.false_negatives = np.zeros(n)

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike) -> None:
        y, p = _pair(y_true, y_pred, "AUC")
        if p.min() < 0 or p.max() > 1:
            raise ValueError(
                f"AUC expects predictions in [0, 1] (probabilities), got values from "
                f"{p.min():g} to {p.max():g}. Give the output a sigmoid or softmax."
            )
        truth = (y != 0).ravel()
        # each prediction's count of thresholds it exceeds: sorted, one search for all
        above = np.searchsorted(self.threshold_values, p.ravel(), side="left")  # (m,)
        positives = np.bincount(above[truth], minlength=self.num_thresholds + 1)
        negatives = np.bincount(above[~truth], minlength=self.num_thresholds + 1)
        # at threshold j, a prediction is "positive" when it exceeds t_j: above > j
        pos_over = np.cumsum(positives[::-1])[::-1][1:]  # (T,): predictions with above > j
        neg_over = np.cumsum(negatives[::-1])[::-1][1:]
        self.true_positives += pos_over
        self.false_positives += neg_over
        self.false_negatives += truth.sum() - pos_over
        self.true_negatives += (~truth).sum() - neg_over

    def result(self) -> float:
        tp, fp, tn, fn = (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        )
        if self.curve == "PR":
            return self._interpolated_pr()
        recall = _ratio(tp, tp + fn)
        fp_rate = _ratio(fp, fp + tn)
        heights = (recall[:-1] + recall[1:]) / 2.0
        return float(np.sum((fp_rate[:-1] - fp_rate[1:]) * heights))

    def _interpolated_pr(self) -> float:
        """Keras's ``interpolate_pr_auc`` (Davis & Goadrich's interpolation, closed form)."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            logs = np.log(np.where(ratio > 0, ratio, 1.0))
        increment = _ratio(slope * (dtp + intercept * logs), np.maximum(tp[1:] + fn[1:], 0))
        return float(np.sum(increment))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve}


class TopKCategoricalAccuracy(MetricObject):
    """The share of examples whose target class scores at least the k-th largest output."""

    name = "top_k_categorical_accuracy"

    def __init__(self, k: int = 5) -> None:
        self.k = whole_number(k, "TopKCategoricalAccuracy's k", 1, 10**6)
        self.reset_state()

    def reset_state(self) -> None:
        self.hits, self.count = 0.0, 0

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike) -> None:
        y, p = _pair(y_true, y_pred, "TopKCategoricalAccuracy")
        k = min(self.k, p.shape[1])  # k >= the classes: every example is a hit
        target = p[np.arange(len(p)), y.argmax(axis=1)]  # (n,): the target class's score
        kth = np.partition(p, -k, axis=1)[:, -k]  # (n,): the k-th largest score
        self.hits += float(np.sum(target >= kth))
        self.count += len(p)

    def result(self) -> float:
        return float(_ratio(self.hits, self.count))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "k": self.k}


METRIC_OBJECTS: dict[str, type[MetricObject]] = {
    cls.name: cls for cls in (BinaryAccuracy, Precision, Recall, AUC, TopKCategoricalAccuracy)
}
#: the most metric objects a model file's header may hold
MAX_METRIC_OBJECTS = 100


def from_config(config: dict[str, Any]) -> MetricObject:
    """Rebuild a metric object from ``get_config()``."""
    return from_config_of("metric", config, METRIC_OBJECTS)


def get(identifier: str | MetricObject) -> MetricObject:
    if isinstance(identifier, MetricObject):
        return identifier
    return lookup("metric", identifier, METRIC_OBJECTS)()
