"""Keras 3's ``compile(weighted_metrics=[...])``: metrics weighed by the examples' weights.

A metric in ``weighted_metrics`` counts example i w_i times, w_i being the weight that reaches
the loss from ``sample_weight`` or ``class_weight`` (not compile's ``loss_weights``, which
scales the loss alone, as in Keras)::

    weighted mean (mae, accuracy, ...):   sum_i w_i v_i / sum_i w_i      (0 when sum_i w_i = 0)
    weighted count (TruePositives, ...):  sum_i w_i [example i's outputs counted]

in ``fit`` (over the epoch's examples, batch by batch, and on the validation data with its
weights), ``evaluate``, ``train_on_batch`` and ``test_on_batch``. Without weights a weighted
metric equals its unweighted twin. Each one is a metric object (glassnet/metric_means.py,
metric_objects.py, metric_auc.py), updated with ``update_state(y, a, sample_weight=w)``.

History keys, as Keras 3.15.1 names them (measured): the metric's own name ("mae", "auc"), or
``"weighted_" + name`` when ``metrics=`` already reports that name, so
``metrics=["mae"], weighted_metrics=["mae"]`` gives "mae" and "weighted_mae" (and "val_mae",
"val_weighted_mae"). Keras also takes a name twice within one list ("mae", "weighted_mae",
"weighted_mae_1" for the same numbers); glassnet refuses that, as it refuses
``metrics=["mae", "mae"]``.

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Input((1,)), gn.layers.Dense(1, kernel_initializer="ones")])
>>> model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae"])
>>> x, y = np.array([[1.0], [2.0]]), np.array([[2.0], [2.0]])  # errors 1 and 0
>>> model.evaluate(x, y, sample_weight=np.array([3.0, 1.0]), return_dict=True)["weighted_mae"]
0.75
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet import metrics as metrics_module
from glassnet._validation import metric_list
from glassnet.callbacks import Logs
from glassnet.metric_objects import BinaryAccuracy, MetricObject

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]
#: one compiled weighted metric: (history key, the name as given or the metric object)
Weighted = tuple[str, str | MetricObject]


def check_weighted(given: Any, names: list[str], objects: list[MetricObject]) -> list[Weighted]:
    """compile's ``weighted_metrics`` (None, a list or a tuple) as (history key, metric) pairs,
    each checked: a known name or a metric object that takes ``sample_weight``; ``names`` and
    ``objects`` are compile's ``metrics=``, whose keys a weighted twin's key is prefixed past."""
    taken = {name.lower() for name in names} | {m.name for m in objects}
    chosen: list[Weighted] = []
    keys: set[str] = set()  # sets: a list of many objects is checked in linear time
    held = {id(m) for m in objects}  # the objects so far, by identity (all alive here)
    for metric in metric_list(given, "weighted_metrics"):
        if isinstance(metric, type) and issubclass(metric, MetricObject):
            metric = metric()  # the class itself, as Keras takes it: its default settings
        if isinstance(metric, MetricObject):
            _check_object(metric, held)
            held.add(id(metric))
            name = metric.name
        elif isinstance(metric, str) and (
            metric.lower() in metrics_module.STATEFUL or metric.lower() in metrics_module.METRICS
        ):
            lower = metric.lower()
            stateful = metrics_module.STATEFUL.get(lower)
            name = lower if stateful is None else stateful.name  # "AUC": "auc"
        else:
            raise metrics_module.unknown_metric(metric, "weighted_metrics")
        key = f"weighted_{name}" if name in taken else name  # Keras's prefix
        if key in keys or key in taken:
            raise ValueError(
                f"weighted_metrics would report two metrics as {key!r} (a name given twice). "
                f"Give each weighted metric once; the same metric in metrics=[...] and "
                f"weighted_metrics=[...] is fine (its weighted one is 'weighted_{name}'), and "
                f"two of one kind need their own names, e.g. MeanAbsoluteError(name='mae_2')."
            )
        chosen.append((key, metric))
        keys.add(key)
    return chosen


def _check_object(metric: MetricObject, held: set[int]) -> None:
    """A metric object for weighted_metrics: one that takes targets and sample_weight, and not
    one already given (``held``: the ids of compile's objects so far)."""
    kind = type(metric).__name__
    if not metric.takes_targets:
        raise TypeError(
            f"{kind} keeps the numbers you give to update_state(values): it has no y_true and "
            f"y_pred, so it cannot go in compile(weighted_metrics=[...]). Use a metric that "
            f"compares targets, e.g. MeanAbsoluteError()."
        )
    if id(metric) in held:
        raise ValueError(
            f"The same {kind} object is given twice to compile (metrics= and weighted_metrics=, "
            f"or twice in one list); its counts would take every batch twice. Pass a second "
            f"object: weighted_metrics=[{kind}()]."
        )
    parameters = inspect.signature(metric.update_state).parameters
    if "sample_weight" not in parameters and not any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    ):
        raise TypeError(
            f"{kind}.update_state takes no sample_weight, so it cannot be weighed in "
            f"compile(weighted_metrics=[...]). Give it the parameter: def update_state(self, "
            f"y_true, y_pred, sample_weight=None), or put it in metrics=[...]."
        )


def metric_object(name: str, units: int) -> MetricObject:
    """A fresh metric object for a weighted metric's name, for an output of ``units`` units
    ("accuracy": binary for one unit, else categorical, as ``metrics.resolve`` picks it; the
    targets are prepared rows by then, one-hot for the sparse losses)."""
    lower = name.lower()
    if lower in metrics_module.STATEFUL:
        return metrics_module.STATEFUL[lower]()
    if lower in ("accuracy", "acc"):
        return BinaryAccuracy() if units == 1 else metrics_module.CategoricalAccuracy()
    return metrics_module.get(lower)


def weighted_objects(model: Sequential, units: int) -> list[tuple[str, MetricObject]]:
    """The model's weighted metrics as (history key, metric object) for ``units`` outputs: a
    named one made afresh, an object of the user's as it is (fit resets it per epoch)."""
    return [
        (key, metric if isinstance(metric, MetricObject) else metric_object(metric, units))
        for key, metric in model.weighted_metrics
    ]


def weighted_logs(model: Sequential, y: Array, a: Array, weights: Array | None) -> Logs:
    """Each weighted metric of targets ``y`` (n, k) and outputs ``a`` (n, k), weighed by the
    examples' weights (n,) (None: unweighted), by its history key; the objects' running
    counts are left as they were (``MetricObject.value``)."""
    return {key: metric.value(y, a, weights) for key, metric in weighted_objects(model, a.shape[1])}


def saved(model: Sequential) -> list[str | dict[str, Any]]:
    """The weighted metrics as a model file records them: a name as given, an object as its
    ``get_config()`` (``metric_objects.from_config`` rebuilds it)."""
    return [
        metric if isinstance(metric, str) else metric.get_config()
        for _, metric in model.weighted_metrics
    ]
