"""Metrics: numbers reported during training that are not optimised.

A metric is a function ``(y_true, y_pred) -> float`` averaged over the examples of a batch; over
an epoch the batch values are averaged weighted by batch size, as Keras does. Called directly,
each takes the shapes Keras's functions take and gives Keras's number: targets of shape (n,) and
(n, 1) are the same column for a one-unit output, and class labels may be (n,) or (n, 1). A shape
Keras would silently broadcast (labels against several units for ``categorical_accuracy``,
columns against rows) is refused with a message instead.

``"accuracy"`` resolves as in Keras's ``compile``: for one output unit it is binary accuracy (the
output is read as "1" when it is above 0.5); for several units it is sparse categorical accuracy
when the targets are class labels and categorical accuracy (the largest output is the guess,
compared with the argmax of one-hot targets) when they are rows.

Keras's metric objects (``BinaryAccuracy(threshold=)``, ``Precision``, ``Recall``, ``AUC``,
``TopKCategoricalAccuracy(k=)``, from ``glassnet.metric_objects``) go in
``compile(metrics=[...])`` beside the names; they keep counts over an epoch (see there).
``compile(weighted_metrics=[...])`` takes the same names and objects and weighs each example by
its ``sample_weight`` (glassnet/_weighted_metrics.py).

>>> import numpy as np
>>> binary_accuracy(np.array([[0.0], [1.0]]), np.array([[0.2], [0.4]]))
0.5
>>> sparse_categorical_accuracy(np.array([[1], [0]]), np.array([[0.1, 0.9], [0.3, 0.7]]))
0.5
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._names import lookup
from glassnet._validation import shown
from glassnet.metric_auc import AUC
from glassnet.metric_means import (
    Accuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    Mean,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    Sum,
    labels_of,
)
from glassnet.metric_objects import (
    BinaryAccuracy,
    FalseNegatives,
    FalsePositives,
    MetricObject,
    Precision,
    Recall,
    TopKCategoricalAccuracy,
    TrueNegatives,
    TruePositives,
    all_metric_objects,
    numeric_array,
)

__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "FalseNegatives",
    "FalsePositives",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "MetricObject",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "get",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "resolve",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]

Array = NDArray[np.floating[Any]]
MetricFunction = Callable[[Array, Array], float]
#: Keras's base class for metrics of your own (``keras.metrics.Metric``): glassnet's MetricObject
Metric = MetricObject


def _same_shape(y_true: ArrayLike, y_pred: ArrayLike, who: str) -> tuple[Array, Array]:
    """Both as (n, k) arrays of one shape; (n,) is read as the column (n, 1), as Keras does."""
    y = numeric_array(y_true, "y_true", who)
    a = numeric_array(y_pred, "y_pred", who)
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    a = a.reshape(-1, 1) if a.ndim == 1 else a
    if y.shape != a.shape:
        hint = (
            " These look like class labels: use sparse_categorical_accuracy."
            if y.shape[1] == 1 and a.shape[1] > 1 and "accuracy" in who
            else ""
        )
        raise ValueError(
            f"{who} expects y_true and y_pred of the same shape, got {np.shape(y_true)} and "
            f"{np.shape(y_pred)}.{hint}"
        )
    return y, a


def binary_accuracy(y_true: ArrayLike, y_pred: ArrayLike, threshold: float = 0.5) -> float:
    """Fraction of outputs on the right side of ``threshold``: mean of (a > 0.5) == y.

    As in Keras, the target is compared as it is: a soft target such as 0.8 matches nothing.
    """
    y, a = _same_shape(y_true, y_pred, "binary_accuracy")
    return float(np.mean((a > threshold) == y))


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of examples whose largest output is the target's class: argmax a == argmax y,
    with one-hot (or probability) target rows (n, k)."""
    y, a = _same_shape(y_true, y_pred, "categorical_accuracy")
    return float(np.mean(a.argmax(axis=1) == y.argmax(axis=1)))


def sparse_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of examples whose largest output is the label: argmax a == y, labels (n,) or
    (n, 1). One-hot rows (n, k) are read by their argmax too: that is what ``fit`` hands a
    metric once the sparse loss has encoded the labels."""
    labels, a = labels_of(y_true, y_pred, "sparse_categorical_accuracy")
    return float(np.mean(a.argmax(axis=1) == labels))


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Keras's ``"accuracy"``: binary for one output unit, sparse categorical for class labels,
    categorical for one-hot rows."""
    try:
        a = np.asarray(y_pred)
        y = np.asarray(y_true)
    except (ValueError, TypeError):  # ragged rows: the converter's words, not NumPy's
        numeric_array(y_true, "y_true", "accuracy")
        numeric_array(y_pred, "y_pred", "accuracy")
        raise
    if a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1):
        return binary_accuracy(y, a)
    if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
        return sparse_categorical_accuracy(y, a)
    return categorical_accuracy(y, a)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean over examples and outputs of (a - y)**2."""
    y, a = _same_shape(y_true, y_pred, "mean_squared_error")
    diff = a.astype(np.float64) - y  # float64: a float32 error of 1e20 squares to 1e40, not inf
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, in words
        return _finite(np.mean(diff * diff), "mean_squared_error")


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean over examples and outputs of |a - y|."""
    y, a = _same_shape(y_true, y_pred, "mean_absolute_error")
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(np.mean(np.abs(a.astype(np.float64) - y)), "mean_absolute_error")


def _finite(value: Any, who: str) -> float:
    """``value`` as a float, or a ValueError when it is NaN or infinite (never a silent inf)."""
    if not np.isfinite(value):
        raise ValueError(
            f"{who} got NaN or infinite values in y_true or y_pred, or overflowed float64 on "
            f"them (errors beyond 1e154). Check the data for NaN, or scale it."
        )
    return float(value)


def _batch_value(kind: type[MetricObject], **settings: Any) -> MetricFunction:
    """The metric object's value over one batch, as a function (y_true, y_pred) -> float."""

    def function(y_true: ArrayLike, y_pred: ArrayLike) -> float:
        return kind(**settings).value(y_true, y_pred)

    function.__name__ = kind.name
    function.__doc__ = f"The batch mean of {kind.__name__}: {(kind.__doc__ or '').strip()}"
    return function


mean_absolute_percentage_error = _batch_value(MeanAbsolutePercentageError)
mean_squared_logarithmic_error = _batch_value(MeanSquaredLogarithmicError)
binary_crossentropy = _batch_value(BinaryCrossentropy)
categorical_crossentropy = _batch_value(CategoricalCrossentropy)
sparse_categorical_crossentropy = _batch_value(SparseCategoricalCrossentropy)


def top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5) -> float:
    """Fraction of examples whose target class (argmax of the one-hot row) is in the top k."""
    return TopKCategoricalAccuracy(k=k).value(y_true, y_pred)


def sparse_top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5) -> float:
    """Fraction of examples whose label (n,) or (n, 1) is in the top k outputs."""
    return SparseTopKCategoricalAccuracy(k=k).value(y_true, y_pred)


#: the names compile takes whose epoch value is the mean of the examples' values: a function
#: of one batch, averaged over the batches weighted by their size (Keras's number)
METRICS: dict[str, MetricFunction] = {
    "accuracy": accuracy,  # resolve() picks binary or categorical by the output width
    "acc": accuracy,
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error,
    "mape": mean_absolute_percentage_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
}

#: the names compile takes whose epoch value is not a mean of batch values (a ratio of the
#: epoch's counts, a root): each becomes its metric object, reported under the same key
STATEFUL: dict[str, type[MetricObject]] = {
    cls.name: cls
    for cls in (
        AUC,
        Precision,
        Recall,
        RootMeanSquaredError,
        TruePositives,
        FalsePositives,
        TrueNegatives,
        FalseNegatives,
    )
}

#: the metrics whose bigger values are better (Keras's direction "up"); the others go "down"
MAXIMIZED = frozenset(
    {
        "accuracy",
        "acc",
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
    }
)


def get(identifier: str | MetricObject) -> MetricObject:
    """A metric object from its name (Keras's ``metrics.get``: "mae", "auc",
    "root_mean_squared_error", ...) or the object itself."""
    if isinstance(identifier, MetricObject):
        return identifier
    kinds = all_metric_objects()
    kinds.update({"mae": MeanAbsoluteError, "mse": MeanSquaredError})
    kinds.update({"mape": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError})
    kinds = {key: kind for key, kind in kinds.items() if kind.takes_targets}
    return lookup("metric", identifier, kinds)()


def split(given: list[Any]) -> tuple[list[str], list[MetricObject]]:
    """compile's metrics as (names, objects): each name checked, a name of ``STATEFUL`` made
    its object, a metric class made an object with its defaults (as Keras does), and every
    object one that takes (y_true, y_pred)."""
    names: list[str] = []
    objects: list[MetricObject] = []
    for metric in given:
        if isinstance(metric, type) and issubclass(metric, MetricObject):
            metric = metric()  # the class itself, as Keras takes it: its default settings
        if isinstance(metric, MetricObject):
            if not metric.takes_targets:
                raise TypeError(
                    f"{type(metric).__name__} keeps the numbers you give to update_state(values): "
                    f"it has no y_true and y_pred, so it cannot go in compile(metrics=[...]). Use "
                    f"it on its own, or a metric that compares targets, e.g. MeanAbsoluteError()."
                )
            objects.append(metric)
        elif isinstance(metric, str) and metric.lower() in STATEFUL:
            objects.append(STATEFUL[metric.lower()]())
        elif isinstance(metric, str) and metric.lower() in METRICS:
            names.append(metric)
        else:
            raise unknown_metric(metric)
    return names, objects


def unknown_metric(metric: object, what: str = "metrics") -> Exception:
    """compile's error for a metric it does not know in ``metrics`` (or ``weighted_metrics``:
    ``what``); a few names: the whole list is long."""
    listed = what != "metrics"  # the weighted list says which list the entry is in
    if not isinstance(metric, str):
        expected = f"each of {what} to be a metric name" if listed else "a metric name"
        return TypeError(
            f"Expected {expected} (a string) or a metric object, got "
            f"{type(metric).__name__} {shown(metric, 40)}. Example: {what}=['accuracy'] or "
            f"{what}=[glassnet.metrics.AUC()]."
        )
    return ValueError(
        f"Unknown metric {shown(metric)}{f' in {what}' if listed else ''}. Valid names: "
        f"'accuracy', 'mse', 'mae', 'mape', 'auc', 'precision', 'recall', "
        f"'root_mean_squared_error', 'binary_crossentropy' and more (glassnet.metrics.METRICS "
        f"and STATEFUL list them all)."
    )


def resolve(name: str, output_units: int) -> tuple[str, MetricFunction]:
    """The (history key, function) of a metric name for an output of ``output_units`` units."""
    function = lookup("metric", name, METRICS)
    key = name.lower()
    if key in ("accuracy", "acc"):
        # fit's targets are prepared rows (labels are one-hot by then): no need to look each time
        function = binary_accuracy if output_units == 1 else categorical_accuracy
    return key, function


def check_distinct(names: list[Any], objects: list[MetricObject]) -> None:
    """Refuse two metrics that would report under one history key (Keras 3.15.1 takes them,
    logging the second as "mae_1": the same number twice, under a key nobody asked for)."""
    keys = Counter([str(name).lower() for name in names] + [m.name for m in objects])
    repeated = sorted(key for key, count in keys.items() if count > 1)  # linear, not n**2
    if repeated:
        raise ValueError(
            f"Two metrics would be reported as {repeated[0]!r}; give each metric once (a "
            f"metric object reports under its name, e.g. Precision() as 'precision')."
        )


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)
