"""Metrics: numbers reported during training that are not optimised.

A metric is a function ``(y_true, y_pred) -> float`` averaged over the examples of a batch; over
an epoch the batch values are averaged weighted by batch size, as Keras does.

``"accuracy"`` resolves as in Keras: for one output unit it is binary accuracy (the output is
read as "1" when it is above 0.5); for several units it is categorical accuracy (the largest
output is the guess), comparing with the argmax of one-hot targets.

>>> import numpy as np
>>> binary_accuracy(np.array([[0.0], [1.0]]), np.array([[0.2], [0.4]]))
0.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._names import lookup

Array = NDArray[np.floating[Any]]
Metric = Callable[[Array, Array], float]


def binary_accuracy(y_true: Array, y_pred: Array, threshold: float = 0.5) -> float:
    """Fraction of outputs on the right side of ``threshold``: mean of (a > 0.5) == (y > 0.5)."""
    return float(np.mean((y_pred > threshold) == (y_true > threshold)))


def categorical_accuracy(y_true: Array, y_pred: Array) -> float:
    """Fraction of examples whose largest output is the target's class: argmax a == argmax y."""
    return float(np.mean(y_pred.argmax(axis=1) == y_true.argmax(axis=1)))


def mean_squared_error(y_true: Array, y_pred: Array) -> float:
    """Mean over examples and outputs of (a - y)**2."""
    diff = y_pred - y_true
    return float(np.mean(diff * diff))


def mean_absolute_error(y_true: Array, y_pred: Array) -> float:
    """Mean over examples and outputs of |a - y|."""
    return float(np.mean(np.abs(y_pred - y_true)))


METRICS: dict[str, Metric] = {
    "accuracy": binary_accuracy,  # replaced by resolve() according to the output width
    "acc": binary_accuracy,
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": categorical_accuracy,  # targets arrive one-hot encoded
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error,
}


def resolve(name: str, output_units: int) -> tuple[str, Metric]:
    """The (history key, function) of a metric name for an output of ``output_units`` units."""
    function = lookup("metric", name, METRICS)
    key = name.lower()
    if key in ("accuracy", "acc"):
        function = binary_accuracy if output_units == 1 else categorical_accuracy
    return key, function
