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
- ``AUC(num_thresholds=200, curve="ROC"|"PR", multi_label=False, from_logits=False)``: in
  ``glassnet.metric_auc``
- ``TopKCategoricalAccuracy(k=5)``: the fraction of examples whose target class (argmax of the
  one-hot row) scores at least the k-th largest output (ties count, as Keras's ``in_top_k``)

A ratio whose denominator is 0 is 0 (Keras's divide_no_nan). ``update_state(y_true, y_pred,
sample_weight=w)`` weighs example i by w_i (shape (n,) or (n, 1), finite, >= 0), as Keras's: a
count adds w_i for each of the example's outputs, an accuracy is sum_i w_i hit_i / sum_i w_i.

>>> import numpy as np
>>> m = Precision()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> round(m.result(), 4)
0.6667
"""

from __future__ import annotations

import copy
import re
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


def numeric_array(values: Any, what: str, who: str) -> NDArray[Any]:
    """``values`` as an array of numbers of shape (n,) or (n, k), n >= 1, or a clear error."""
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):  # ragged rows: NumPy's bare 'inhomogeneous shape' before
        raise TypeError(
            f"{who} expects numeric {what} of shape (n_samples,) or (n_samples, n_outputs), got "
            f"{type(values).__name__} {shown(values, 40)} (rows of different lengths?)."
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{who} expects numeric {what}, got an array of dtype {array.dtype}.")
    if array.ndim not in (1, 2) or array.shape[0] == 0:
        raise ValueError(
            f"{who} expects {what} of shape (n_samples,) or (n_samples, n_outputs) with at least "
            f"one example, got shape {array.shape}."
        )
    return array


def _pair(y_true: ArrayLike, y_pred: ArrayLike, who: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """Both as float64 (n, k) arrays of one shape ((n,) read as (n, 1)), finite."""
    y, p = numeric_array(y_true, "y_true", who), numeric_array(y_pred, "y_pred", who)
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
    """Base class (Keras's ``keras.metrics.Metric``): ``update_state``, ``result``,
    ``reset_state``; ``value(y, p)`` is the result over (y, p) alone (what evaluate reports),
    leaving the running state as it was. ``name=`` sets the history key (Keras's
    ``name="my_auc"``). A metric of your own subclasses it and writes those three methods."""

    name = "metric"
    #: bigger is better (Keras's direction "up"), as for the counting metric objects here
    maximized = True
    #: update_state takes (y_true, y_pred), so the object goes in compile(metrics=[...])
    takes_targets = True

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = metric_name(name, type(self).__name__)
        self.reset_state()

    def reset_state(self) -> None:
        raise _unwritten(self, "reset_state(self)", "set its running totals back to zero")

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        raise _unwritten(
            self,
            "update_state(self, y_true, y_pred, sample_weight=None)",
            "add a batch to its totals",
        )

    def result(self) -> float:
        raise _unwritten(self, "result(self)", "return the metric from its totals")

    def value(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        fresh = copy.deepcopy(self)  # a subclass of your own too, with its settings
        fresh.reset_state()
        if sample_weight is None:  # a metric of your own may take no sample_weight
            fresh.update_state(y_true, y_pred)
        else:
            fresh.update_state(y_true, y_pred, sample_weight=sample_weight)
        return fresh.result()

    def __call__(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """As Keras's: update the state with this batch (each example weighed by
        ``sample_weight``, when given), then return ``result()``."""
        if sample_weight is None:
            self.update_state(y_true, y_pred)
        else:
            self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """The settings; with a ``name=`` of its own, ``class_name`` says which metric it is."""
        default = type(self).name
        return (
            {"name": self.name}
            if self.name == default
            else {"name": self.name, "class_name": type(self).__name__}
        )

    def __repr__(self) -> str:
        config = self.get_config()
        if "class_name" not in config:
            return config_repr(self)
        args = ", ".join(f"{k}={v!r}" for k, v in config.items() if k != "class_name")
        return f"{type(self).__name__}({args})"


def _unwritten(metric: object, method: str, does: str) -> NotImplementedError:
    """The error for a metric class that lacks one of the three methods (a bare, empty
    NotImplementedError before, from the base class itself or a subclass of your own)."""
    kind = type(metric).__name__
    return NotImplementedError(
        f"{kind} has no {method.split('(')[0]}: a metric subclassing glassnet.metrics.Metric "
        f"writes reset_state, update_state and result; def {method} should {does}. (The base "
        f"class itself is no metric: use e.g. glassnet.metrics.AUC().)"
    )


def example_weights(sample_weight: object, n: int, metric: object) -> NDArray[Any] | None:
    """Keras's ``update_state(..., sample_weight=w)``: None, or (n,) float64 weights, one per
    example (shape (n,) or (n, 1)), finite and >= 0 (glassnet/_sample_weights.py's checks and
    messages). Example i then counts w_i times: a mean is sum_i w_i v_i / sum_i w_i, a count
    (TP, FP, ...) adds w_i for each of the example's outputs, as Keras's metrics weigh."""
    if sample_weight is None:
        return None
    from glassnet._sample_weights import sample_weights

    what = f"{type(metric).__name__}.update_state's sample_weight"
    return sample_weights(sample_weight, n, np.dtype(np.float64), what)


#: history keys that a metric's name= may not take (fit reports the loss and val_ keys itself)
_RESERVED = ("loss",)


def metric_name(name: object, who: str) -> str:
    """A metric's ``name=``: it becomes a history key, a CSV column and a label in pictures."""
    if not isinstance(name, str):
        raise TypeError(
            f"Expected {who}'s name to be a string, got {type(name).__name__} {shown(name, 20)}."
        )
    if (
        not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", name)
        or name in _RESERVED
        or name.startswith("val_")
    ):
        raise ValueError(
            f"Expected {who}'s name to be 1 to 64 letters, digits, '_', '-' or '.', not 'loss' "
            f"and not starting with 'val_' (fit reports those keys itself), e.g. name='my_auc'; "
            f"got {shown(name, 20)}."
        )
    return name


class BinaryAccuracy(MetricObject):
    """mean of ((p > threshold) == y) over every output of every example seen."""

    name = "binary_accuracy"

    def __init__(self, threshold: float = 0.5, name: str | None = None) -> None:
        self.threshold = _threshold(threshold, "BinaryAccuracy")
        super().__init__(name)

    def reset_state(self) -> None:
        self.matches, self.count = 0.0, 0.0  # counted in examples (each its outputs' mean)

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        y, p = _pair(y_true, y_pred, "BinaryAccuracy")
        w = example_weights(sample_weight, len(y), self)
        hits = (p > self.threshold) == y  # (n, k)
        if w is None:
            self.matches += float(np.sum(hits)) / y.shape[1]
            self.count += len(y)
        else:  # Keras: each example's mean over its outputs, times w_i; count sum_i w_i
            self.matches += float(np.dot(w, hits.mean(axis=1)))
            self.count += float(w.sum())

    def result(self) -> float:
        return float(_ratio(self.matches, self.count))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "threshold": self.threshold}


class _Confusion(MetricObject):
    """True/false positive/negative counts at one threshold (p > threshold is positive)."""

    def __init__(self, thresholds: float | None = None, name: str | None = None) -> None:
        who = type(self).__name__
        if thresholds is not None and isinstance(thresholds, list | tuple):
            raise TypeError(
                f"{who} takes one threshold (a number in [0, 1], or None for 0.5); Keras's list "
                f"of thresholds, which returns a list, is not offered."
            )
        self.thresholds = 0.5 if thresholds is None else _threshold(thresholds, who, "thresholds")
        super().__init__(name)

    def reset_state(self) -> None:
        self.true_positives = self.false_positives = 0.0
        self.true_negatives = self.false_negatives = 0.0

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        y, p = _pair(y_true, y_pred, type(self).__name__)
        w = example_weights(sample_weight, len(y), self)
        truth, guess = y != 0, p > self.thresholds
        self.true_positives += _weighed(truth & guess, w)
        self.false_positives += _weighed(~truth & guess, w)
        self.false_negatives += _weighed(truth & ~guess, w)
        self.true_negatives += _weighed(~truth & ~guess, w)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.thresholds}


def _weighed(cells: NDArray[np.bool_], w: NDArray[Any] | None) -> float:
    """How many of the (n, k) cells are set, each output of example i counting 1, or w_i
    (Keras broadcasts an example's weight to its outputs)."""
    return float(np.sum(cells) if w is None else np.dot(w, cells.sum(axis=1)))


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


class TruePositives(_Confusion):
    """TP: how many outputs are positive targets predicted positive (p > threshold)."""

    name = "true_positives"

    def result(self) -> float:
        return float(self.true_positives)


class FalsePositives(_Confusion):
    """FP: how many negative targets (0) are predicted positive."""

    name = "false_positives"
    maximized = False

    def result(self) -> float:
        return float(self.false_positives)


class TrueNegatives(_Confusion):
    """TN: how many negative targets are predicted negative (p <= threshold)."""

    name = "true_negatives"

    def result(self) -> float:
        return float(self.true_negatives)


class FalseNegatives(_Confusion):
    """FN: how many positive targets are predicted negative."""

    name = "false_negatives"
    maximized = False

    def result(self) -> float:
        return float(self.false_negatives)


class TopKCategoricalAccuracy(MetricObject):
    """The share of examples whose target class scores at least the k-th largest output."""

    name = "top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name: str | None = None) -> None:
        self.k = whole_number(k, "TopKCategoricalAccuracy's k", 1, 10**6)
        super().__init__(name)

    def reset_state(self) -> None:
        self.hits, self.count = 0.0, 0.0

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        y, p = _pair(y_true, y_pred, "TopKCategoricalAccuracy")
        w = example_weights(sample_weight, len(y), self)
        hits = self.top_k(y.argmax(axis=1), p, self.k)  # (n,)
        self.hits += float(np.sum(hits) if w is None else np.dot(w, hits))
        self.count += len(p) if w is None else float(w.sum())

    @staticmethod
    def top_k(labels: NDArray[np.intp], p: NDArray[Any], k: int) -> NDArray[np.bool_]:
        """(n,): whether each example's label scores at least its row's k-th largest."""
        k = min(k, p.shape[1])  # k >= the classes: every example is a hit
        target = p[np.arange(len(p)), labels]  # (n,): the target class's score
        kth = np.partition(p, -k, axis=1)[:, -k]  # (n,): the k-th largest score
        return target >= kth

    def result(self) -> float:
        return float(_ratio(self.hits, self.count))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "k": self.k}


METRIC_OBJECTS: dict[str, type[MetricObject]] = {
    cls.name: cls
    for cls in (
        BinaryAccuracy,
        Precision,
        Recall,
        TopKCategoricalAccuracy,
        TruePositives,
        FalsePositives,
        TrueNegatives,
        FalseNegatives,
    )
}
#: the most metric objects a model file's header may hold
MAX_METRIC_OBJECTS = 100


def all_metric_objects() -> dict[str, type[MetricObject]]:
    """Every metric object glassnet has, by its history key: these, AUC and ``metric_means``'s."""
    from glassnet.metric_auc import AUC  # they build on this module's base class
    from glassnet.metric_means import METRIC_MEANS

    return {**METRIC_OBJECTS, AUC.name: AUC, **METRIC_MEANS}


def from_config(config: dict[str, Any]) -> MetricObject:
    """Rebuild a metric object from ``get_config()``: its ``name`` says which metric it is,
    or, for one named by ``name=``, its ``class_name``."""
    kinds = all_metric_objects()
    if isinstance(config, dict) and "class_name" in config:
        by_class = {kind.__name__.lower(): kind for kind in kinds.values()}
        return from_config_of("metric", config, by_class, key="class_name")
    return from_config_of("metric", config, kinds)


def get(identifier: str | MetricObject) -> MetricObject:
    """A metric object from its history key (e.g. "auc") or the object itself."""
    if isinstance(identifier, MetricObject):
        return identifier
    return lookup("metric", identifier, all_metric_objects())()
