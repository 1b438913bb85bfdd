"""``evaluate`` and ``predict``'s Keras arguments ``steps`` and ``callbacks``, and ``verbose``.

As in Keras 3 with NumPy input: ``steps=N`` evaluates (or predicts) the first N batches of
``batch_size`` rows, so the first ``N * batch_size`` rows; without a batch_size, the rows are
cut into N batches of ceil(n / N) (all of them are used); a larger N than there are batches
uses all the rows, as Keras does (it warns that the input ran out of data: so does glassnet).
The batches the callbacks see are of ``batch_size`` rows (Keras's 32 when neither is given).
``callbacks`` get Keras's hooks: ``on_test_begin``, ``on_test_batch_begin``,
``on_test_batch_end`` (logs: the loss and metrics over the rows so far, Keras's running
values), ``on_test_end`` (the returned logs) in evaluate; ``on_predict_begin``,
``on_predict_batch_begin``, ``on_predict_batch_end`` (logs: ``{"outputs": that batch's
outputs}``), ``on_predict_end`` in predict. ``fit``'s validation calls the same test hooks of
fit's callbacks, as Keras's fit calls ``evaluate`` with them (``validate``): after the epoch's
last training batch, before ``on_epoch_end``, in batches of fit's ``batch_size`` (32 when not
given), with fit's ``params``.
"""

from __future__ import annotations

import copy
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet._validation import first_non_finite, positive_int, shown
from glassnet._weighted_metrics import weighted_objects
from glassnet.callbacks import Callback, CallbackList, Logs

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]
#: Keras's batch size for evaluate and predict when steps or callbacks ask for batches
KERAS_BATCH_SIZE = 32


def keras_verbose(verbose: Any) -> Any:
    """Keras's ``verbose=True`` / ``False`` as 1 / 0 (a bool is an int in Python, and Keras
    takes it so); any other value unchanged, for the method's own check."""
    return int(verbose) if isinstance(verbose, bool | np.bool_) else verbose


def check_steps(steps: Any, method: str, name: str = "steps", x: str = "x") -> int | None:
    """``steps``: None (all the rows) or a whole number of batches, at least 1."""
    if steps is None:
        return None
    if isinstance(steps, bool | np.bool_) or not isinstance(steps, numbers.Integral):
        raise TypeError(
            f"{method}: expected {name} to be None (all of {x}) or a whole number of batches, "
            f"got {type(steps).__name__} {shown(steps, 20)}. Example: {name}=10 uses the first "
            f"10 batches of {'validation_' if x != 'x' else ''}batch_size rows."
        )
    if steps < 1:
        raise ValueError(
            f"{method}: expected {name} to be at least 1 batch, got {shown(steps, 20)}. Leave "
            f"{name} out (None) to use all of {x}."
        )
    return int(steps)


def batch_rows(n: int, batch_size: int | None, steps: int | None) -> int:
    """The rows in a batch, as Keras's array adapter chooses them: ``batch_size``; else, with
    ``steps``, ceil(n / steps) (so the steps cover all n rows); else 32."""
    if batch_size is not None:
        return positive_int(batch_size, "batch_size")
    return KERAS_BATCH_SIZE if steps is None else max(-(-n // steps), 1)  # ceil, in integers


def validation_batches(
    data: tuple[Any, ...] | None, size: Any, batch_size: int | None, steps: Any
) -> tuple[tuple[Any, ...] | None, int]:
    """fit's ``validation_data`` (prepared) cut to its first ``validation_steps`` batches, and
    the rows in a validation batch: ``size`` (``validation_batch_size``), else fit's
    ``batch_size`` as given (checked), else Keras's 32. Both are checked even without
    validation data, where Keras ignores them."""
    steps = check_steps(steps, "fit", "validation_steps", "the validation data")
    if size is not None:
        size = positive_int(size, "validation_batch_size")
    else:
        size = KERAS_BATCH_SIZE if batch_size is None else batch_size
    if data is None or steps is None:
        return data, size
    rows = first_rows(len(data[0]), size, steps, "fit", "validation_steps", "the validation data")
    return tuple(None if part is None else part[:rows] for part in data), size


def first_rows(
    n: int,
    batch_size: int | None,
    steps: int | None,
    method: str,
    name: str = "steps",
    x: str = "x",
) -> int:
    """How many rows ``steps`` batches of ``batch_size`` cover (all ``n`` when steps is None, or
    when there are fewer batches than steps: then a warning, as Keras's)."""
    if steps is None:
        return n
    size = batch_rows(n, batch_size, steps)
    batches = -(-n // size)  # ceil in integers: n / 10**400 would be 0.0
    if steps > batches:
        asked = f"={steps}" if steps < 10**20 else f" ({shown(steps, 20)})"  # 10**400: its size
        each = _count(min(size, n), "row")  # a batch_size of 10**400 holds the n rows
        warnings.warn(
            f"{method}: {name}{asked} is more batches than {x} has: its {_count(n, 'row')} "
            f"make{'s' if n == 1 else ''} {_count(batches, 'batch')} of {each}. "
            f"All of {x} was used, as Keras does when the input runs out of data. Leave {name} "
            f"out to use all of {x}.",
            stacklevel=3 if x == "x" else 5,  # the user's line: evaluate / fit's caller
        )
        return n
    return steps * size


def _count(number: int, noun: str) -> str:
    """``1 row``, ``3 rows``, ``2 batches``."""
    plural = noun + ("es" if noun.endswith("ch") else "s")
    return f"{number} {noun if number == 1 else plural}"


def predict_batches(
    model: Sequential, x: Array, size: int, callbacks: Sequence[Callback], verbose: int
) -> Array:
    """predict in batches of ``size`` rows, calling the callbacks' predict hooks around each.
    As Keras's predict: a callback that sets ``model.stop_predicting = True`` ends it after that
    batch, and the outputs of the rows done are returned."""
    steps = -(-len(x) // size)
    hooks = CallbackList(callbacks, model, {"verbose": verbose, "epochs": 1, "steps": steps})
    model.stop_predicting = False
    hooks.on_predict_begin({})
    outputs = model._outputs_for(len(x))
    for batch, start in enumerate(range(0, len(x), size)):
        hooks.on_predict_batch_begin(batch, {})
        with np.errstate(over="ignore", invalid="ignore"):  # reported once, after the loop
            outputs[start : start + size] = model.forward(x[start : start + size])
        hooks.on_predict_batch_end(batch, {"outputs": outputs[start : start + size]})
        if model.stop_predicting:
            outputs = outputs[: start + size]
            break
    model._check_outputs(outputs)
    hooks.on_predict_end({})
    return outputs


def evaluate_batches(
    model: Sequential,
    x: Array,
    y: Array,
    size: int,
    weights: Array | None,
    callbacks: Sequence[Callback],
    verbose: int,
) -> Logs:
    """evaluate in batches of ``size`` rows, calling the callbacks' test hooks
    (``evaluate_with_hooks``) with evaluate's own params, as Keras's evaluate makes its own
    CallbackList."""
    steps = -(-len(x) // size)
    hooks = CallbackList(callbacks, model, {"verbose": verbose, "epochs": 1, "steps": steps})
    return evaluate_with_hooks(model, x, y, size, weights, hooks)


#: the hooks Keras's evaluate calls (and so fit's validation)
TEST_HOOKS = ("on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end")


def validate(model: Sequential, data: tuple[Any, ...], size: int, hooks: CallbackList) -> Logs:
    """fit's validation on ``data`` = (x_val, y_val) or (x_val, y_val, sample_weight_val),
    prepared by fit: the loss and metrics (without the ``val_`` prefix). When some callback of
    fit's has a test hook, Keras's order (its fit calls evaluate with its own callbacks)::

        on_test_begin({})
        for each batch b of ``size`` rows: on_test_batch_begin(b, {}), on_test_batch_end(b, logs)
        on_test_end(logs)            the logs returned, which fit adds to the epoch's as val_...

    Without one, the outputs are computed in one go (``_evaluate``): the same numbers, up to
    the last bit of a float sum, and no Python work per batch."""
    x, y, weights = data[0], data[1], data[2] if len(data) > 2 else None
    if not any(hooks.overrides(hook) for hook in TEST_HOOKS):
        return model._evaluate(x, y, None, weights)
    return evaluate_with_hooks(model, x, y, size, weights, hooks)


def evaluate_with_hooks(
    model: Sequential, x: Array, y: Array, size: int, weights: Array | None, hooks: CallbackList
) -> Logs:
    """The test hooks around batches of ``size`` rows (evaluate's, and fit's validation's);
    each batch's end logs are the loss and metrics over the rows so far, Keras's running values
    (``RunningLogs``, only when some callback has ``on_test_batch_end``); the last batch's, and
    the logs returned, are measured over all the rows in one go, as without hooks, and
    ``on_test_end`` gets a copy of them. As Keras's evaluate: a callback that sets
    ``model.stop_evaluating = True`` ends it after that batch, the logs covering the rows done."""
    running = RunningLogs(model) if hooks.overrides("on_test_batch_end") else None
    model.stop_evaluating = False
    hooks.on_test_begin({})
    outputs = model._outputs_for(len(x))
    end = len(x)
    logs: Logs = {}
    for batch, start in enumerate(range(0, len(x), size)):
        end = min(start + size, len(x))
        hooks.on_test_batch_begin(batch, {})
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, once, clearly
            outputs[start:end] = model.forward(x[start:end])
        logs = {}
        if running is not None:
            if first_non_finite(outputs[start:end]) is not None:
                model._check_outputs(outputs[:end])  # its message names the row of x
            if end == len(x):  # the last batch: the returned logs, over all the rows at once
                logs = model._logs(y, outputs, weights)
            else:
                rows = slice(start, end)
                wb = None if weights is None else weights[rows]
                logs = running.add(y[rows], outputs[rows], wb)
        hooks.on_test_batch_end(batch, dict(logs))
        if model.stop_evaluating:
            break
    if running is None or end < len(x):
        model._check_outputs(outputs[:end])
        logs = model._logs(y[:end], outputs[:end], None if weights is None else weights[:end])
    hooks.on_test_end(dict(logs))
    return logs


class RunningLogs:
    """Keras's running test logs, the loss and the compiled metrics over the rows so far,
    accumulated batch by batch as fit's epoch accumulates its own (``training.run_epoch``): a
    mean over examples (the loss, "accuracy", "mae", ...) as its batch value times the batch's
    rows, summed, over the rows so far (a ``reduction="sum"`` loss: the sum of the batch sums,
    the regularization penalties counted once);
    a metric object (AUC, Precision, ...) by ``update_state`` on a copy of compile's, then
    ``result()``. Linear in the rows: measuring every batch's logs again over all the rows before
    it made an evaluate with an ``on_test_batch_end`` hook quadratic (10,000 rows in batches of
    32: 0.15 s of CPU; a million rows would have taken half an hour). Equal to the logs over
    the rows so far up to the order of the float additions."""

    def __init__(self, model: Sequential) -> None:
        self.model = model
        self.summed = model.loss.reduction == "sum"
        # the penalties are in every batch's loss once: a sum of batch sums counts them once
        self.penalty = model._cost_penalty() if self.summed else 0.0
        self.objects = [copy.deepcopy(metric) for metric in model.metric_objects]
        # the weighted metrics (glassnet/_weighted_metrics.py), each row counted w_i times
        units = model.output_units if model.weighted_metrics else 0  # (shape arithmetic)
        self.weighted = [(k, copy.deepcopy(m)) for k, m in weighted_objects(model, units)]
        for metric in [*self.objects, *(metric for _, metric in self.weighted)]:
            metric.reset_state()  # compile's own objects keep their counts (fit's epoch's)
        self.names = {metric.name for metric in self.objects} | {k for k, _ in self.weighted}
        self.totals: dict[str, float] = {}
        self.rows = 0

    def add(self, y: Array, a: Array, weights: Array | None) -> Logs:
        """Take one batch's targets ``y`` (b, k), outputs ``a`` (b, k) and the examples' own
        weights (b,) or None; return the running logs."""
        batch = self.model._logs(y, a, weights)  # this batch alone: the loss, every metric
        self.rows += len(y)
        logs: Logs = {}
        for key, value in batch.items():
            if key in self.names:
                continue  # a metric object's value over this batch alone: its counts below
            summed = key == "loss" and self.summed
            part = value - self.penalty if summed else value * len(y)
            self.totals[key] = self.totals.get(key, 0.0) + part
            logs[key] = self.totals[key] + self.penalty if summed else self.totals[key] / self.rows
        for metric in self.objects:  # counts over the rows so far, not a mean of batch values
            metric.update_state(y, a)
            logs[metric.name] = metric.result()
        for key, metric in self.weighted:  # sum_i w_i v_i / sum_i w_i over the rows so far
            metric.update_state(y, a, sample_weight=weights)
            logs[key] = metric.result()
        return logs
