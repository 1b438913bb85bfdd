"""The training loop behind ``Sequential.fit``: epochs, shuffled mini-batches, validation, and the
callbacks' hooks around them.

One epoch, the way ``fit`` runs it::

    order = a fresh permutation of the rows (if shuffle)
    for each batch of rows:  xb, yb = x[rows], y[rows]     one index gather, (batch, n_in)
        (wb = weights[rows], when fit has sample_weight or class_weight: the same rows)
        loss, aL = model._train_step(xb, yb, wb)           forward, loss, backward, update
        stop at a NaN/inf loss (TerminateOnNaN), add loss and metrics weighted by batch size
    logs = the epoch's means (sums for a summing loss); then val_ numbers, then on_epoch_end
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._inference import validate, validation_batches
from glassnet._mlp_step import mlp_step
from glassnet._sample_weights import refuse_all_zero
from glassnet._step_plan import plan_for
from glassnet._validation import all_finite_quietly, fit_options, positive_int, shown
from glassnet._weighted_metrics import weighted_objects
from glassnet.callbacks import (
    Callback,
    CallbackList,
    History,
    Logs,
    TerminateOnNaN,
)
from glassnet.layers.convolution import Conv2D
from glassnet.layers.core import Dense
from glassnet.progress import EpochLogger, ProgressBar

if TYPE_CHECKING:
    from glassnet.metrics import MetricFunction
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class EpochPlan:
    """What every epoch of one ``fit`` reuses, worked out once before the first epoch rather
    than once per epoch (or per batch): the compiled metrics' functions by history key, Keras's
    stateful metric objects, whether the loss is a sum, and the hooks the callbacks have."""

    metrics: list[tuple[str, MetricFunction]]
    objects: list[Any]
    summed: bool
    batch_begin: Callable[..., None]
    batch_end: Callable[..., None]
    #: the epoch's log keys in order: "loss", each metric's history key, each object's name
    keys: tuple[str, ...] = ()
    #: the training step, looked up once for the whole fit when only glassnet's own callbacks,
    #: which change nothing a step plan decides, run between the steps (None: per epoch)
    step: Callable[..., tuple[float, Array]] | None = None
    #: with ``step``: its plan's check of the weights after an update (StepPlan.weights_finite)
    weights_finite: Callable[[], bool] | None = None
    #: compile's weighted_metrics as (history key, metric object), weighed by the examples'
    #: own weights (glassnet/_weighted_metrics.py); () when there are none
    weighted: tuple[tuple[str, Any], ...] = ()


#: fit's own callbacks: they record, print and stop, and never change what a step plan decides
PASSIVE = (History, TerminateOnNaN, ProgressBar, EpochLogger)


def epoch_plan(model: Sequential, units: int, hooks: CallbackList) -> EpochPlan:
    metrics = model._metric_functions(units)
    objects = list(model.metric_objects)
    weighted = tuple(weighted_objects(model, units)) if model.weighted_metrics else ()
    passive = all(type(callback) in PASSIVE for callback in hooks.callbacks)
    step_plan = plan_for(model) if passive else None
    return EpochPlan(
        step=None if step_plan is None else partial(step_plan.step, model),
        weights_finite=None if step_plan is None else step_plan.weights_finite,
        metrics=metrics,
        objects=objects,
        summed=model.loss.reduction == "sum",
        batch_begin=hooks.overriding("on_train_batch_begin"),
        batch_end=hooks.overriding("on_train_batch_end"),
        keys=(
            "loss",
            *(key for key, _ in metrics),
            *(m.name for m in objects),
            *(key for key, _ in weighted),
        ),
        weighted=weighted,
    )


def fit(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    epochs: int = 1,
    batch_size: int | None = None,
    shuffle: bool = True,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    validation_split: float = 0.0,
    callbacks: Sequence[Callback] | None = None,
    verbose: int = 1,
    trace_every: int | None = None,
    initial_epoch: int = 0,
    validation_freq: int | Sequence[int] = 1,
    sample_weight: ArrayLike | None = None,
    class_weight: dict[int, float] | None = None,
    validation_steps: int | None = None,
    validation_batch_size: int | None = None,
) -> History:
    """``model.fit(...)``: see ``Sequential.fit`` for the meaning of each argument."""
    model._check_compiled("fit()")
    epochs = positive_int(epochs, "epochs", minimum=0)
    initial_epoch = epoch_start(initial_epoch, epochs)
    should_validate = validation_schedule(validation_freq)
    callbacks = fit_options(shuffle, verbose, callbacks)
    x, y = model._data(x, y)
    # (n,) per-example weights, or None; only sample_weight is split off with validation_split
    # (Keras applies class_weight to the training rows only). ``own``: the examples' own
    # weights, which the weighted metrics and the validation take; ``weights``: the loss's,
    # times compile's loss_weights
    own = model._example_weights(y, sample_weight, class_weight)
    weights = model._scaled(own, len(y))
    if validation_split and validation_data is None:
        x, y, validation_data = split_off(x, y, validation_split)  # already prepared
        if own is not None:
            val_weights = own[len(x) :] if class_weight is None else None
            validation_data = (*validation_data, val_weights)
        if weights is not None:
            own = None if own is None else own[: len(x)]
            weights = weights[: len(x)]
    elif validation_data is not None:
        validation_data = weighted_validation(model, validation_data)
    if weights is not None:
        refuse_all_zero(weights, "sample_weight" if class_weight is None else "class_weight")
    n = len(x)
    given_batch_size = batch_size  # the validation's, as Keras's: this, or 32 when not given
    if batch_size is None:
        batch_size = min(32, n)
    batch_size = positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(
            f"batch_size={shown(batch_size, 20)} is larger than the {n} training examples. Use "
            f"batch_size={n} for full-batch training, or leave batch_size unset."
        )
    # the validation's batches and how many of them (glassnet/_inference.py)
    validation_data, val_batch_size = validation_batches(
        validation_data, validation_batch_size, given_batch_size, validation_steps
    )
    history = History()
    params = {
        "epochs": epochs,
        "steps": math.ceil(n / batch_size),
        "samples": n,
        "batch_size": batch_size,
        "verbose": verbose,
        "do_validation": validation_data is not None,  # (with validation_freq, not every epoch)
    }
    printer: list[Callback] = {0: [], 1: [ProgressBar()], 2: [EpochLogger()]}[verbose]
    extra: list[Callback] = []
    tracer = None
    if trace_every is not None:
        from glassnet.trace import TraceCallback

        extra.append(tracer := TraceCallback(every=trace_every))
    guard = next((c for c in callbacks if isinstance(c, TerminateOnNaN)), None)
    if guard is None:
        extra.append(guard := TerminateOnNaN())
    # Keras's order: the printer first, the user's callbacks, then the History, so that what a
    # callback adds to the logs (LearningRateScheduler's rate) is recorded.
    hooks = CallbackList([*printer, *callbacks, *extra, history], model, params)
    model.stop_training = False
    model.history = history
    hooks.on_train_begin({})  # Keras's CallbackList gives {} where there are no logs
    # BackupAndRestore's resumed epoch, as Keras's fit reads model._initial_epoch
    resumed = model.__dict__.pop("_initial_epoch", None)
    if resumed is not None:
        initial_epoch = min(max(resumed, initial_epoch), epochs)
    plan = epoch_plan(model, y.shape[1], hooks)
    epoch_begin = hooks.overriding("on_epoch_begin")
    epoch_end = hooks.overriding("on_epoch_end")
    # Overflow becomes inf/NaN in the loss, which stops training with a clear message: each
    # epoch runs in np.errstate(over="ignore", invalid="ignore"). With only fit's own callbacks
    # and no validation, nothing but glassnet's code runs between the epochs, so the state is
    # entered once for them all (the same answers; ~1 µs less per epoch, which is per step in a
    # full-batch fit); else once per epoch, so a user's callback keeps NumPy's warnings.
    quiet_throughout = plan.step is not None and validation_data is None
    # the seed toy's fit: one unshuffled full batch per epoch, only the loss to log and only
    # fit's own callbacks: all its epochs in one tight loop, with run_epoch's numbers and checks
    full_batch = (
        quiet_throughout
        and weights is None
        and full_batches_only(plan, hooks, shuffle, whole=batch_size >= n)
    )
    try:
        with quiet_state() if quiet_throughout else contextlib.nullcontext():
            epoch_range = range(initial_epoch, epochs)
            if full_batch:
                full_batch_epochs(model, x, y, epoch_range, plan, guard, hooks)
                epoch_range = range(0)  # every epoch ran (or stopped) there
            for epoch in epoch_range:
                epoch_begin(epoch, {})
                if quiet_throughout:
                    logs = run_epoch(
                        model, x, y, batch_size, shuffle, epoch, hooks, guard, weights, plan, own
                    )
                else:
                    with quiet_state():
                        logs = run_epoch(
                            model,
                            x,
                            y,
                            batch_size,
                            shuffle,
                            epoch,
                            hooks,
                            guard,
                            weights,
                            plan,
                            own,
                        )
                if (
                    validation_data is not None
                    and should_validate(epoch)
                    and math.isfinite(logs["loss"])
                ):
                    # prepared once above (_data), not checked again; the callbacks' test
                    # hooks called as Keras's (glassnet/_inference.py)
                    val = validation_logs(model, validation_data, val_batch_size, hooks, epoch)
                    logs.update({f"val_{key}": value for key, value in val.items()})
                epoch_end(epoch, logs)
                if model.stop_training:
                    break
    except BaseException:
        hooks.abort()  # e.g. close the progress bar before the error is shown
        raise
    # Keras's on_train_end gets the last epoch's logs (as the History recorded them, last)
    hooks.on_train_end(dict(history._rows[-1]) if history._rows else {})
    if tracer is not None:
        model.traces = tracer.traces
    return history


def quiet_state() -> np.errstate:
    """The state fit's epochs run in: overflow and invalid operations give inf/NaN quietly,
    and the loss's (or the weights') finiteness check reports them with the epoch and batch."""
    return np.errstate(over="ignore", invalid="ignore")


#: the callbacks of a fit with verbose=0 and no callbacks of the user's
QUIET = (History, TerminateOnNaN)


def full_batches_only(plan: EpochPlan, hooks: CallbackList, shuffle: bool, whole: bool) -> bool:
    """True when ``full_batch_epochs`` may run fit's epochs: each one batch of all the rows as
    they are (``whole``: batch_size >= n, and no shuffling), nothing logged but the loss (no
    metrics), and only fit's own History and TerminateOnNaN as callbacks (so no printer and no
    hook between the steps). fit adds: no validation, no sample or class weights."""
    return (
        plan.step is not None
        and whole
        and not shuffle
        and plan.keys == ("loss",)
        and all(type(callback) in QUIET for callback in hooks.callbacks)
        and not hooks.wants_batches
    )


def full_batch_epochs(
    model: Sequential,
    x: Array,
    y: Array,
    epochs: range,
    plan: EpochPlan,
    guard: TerminateOnNaN,
    hooks: CallbackList,
) -> None:
    """Every epoch of a fit that ``run_epoch`` would run as one unshuffled full batch, nothing
    logged but the loss and only fit's own callbacks (``full_batches_only``: the seed toy's
    fit), with ``run_epoch``'s numbers and checks in its order, without its per-epoch set-up::

        on_epoch_begin(epoch)                       (only where a callback overrides it)
        loss, aL = step(x, y)                       the plan's step, looked up once per fit
        a NaN/inf loss: guard.diverged(loss, epoch, 0); else the weights checked, as run_epoch
        on_epoch_end(epoch, {"loss": (0.0 + loss * n) / n})   (0.0 + loss for a summing loss)

    Inside fit's ``np.errstate(over="ignore", invalid="ignore")``, entered once for all epochs
    (tests/test_seed_speed.py: the history, the weights and the errors are run_epoch's)."""
    step, summed, n, weights_finite = plan.step, plan.summed, len(x), plan.weights_finite
    # a hook set on a History itself (as LambdaCallback sets its own) is called all the same
    begin = hooks.overriding("on_epoch_begin") if hooks.overrides("on_epoch_begin") else None
    end = hooks.overriding("on_epoch_end")
    isfinite = math.isfinite
    for epoch in epochs:
        if begin is not None:
            begin(epoch, {})
        loss = step(x, y)[0]  # (full_batches_only: the step is never None here)
        if not isfinite(loss):
            guard.diverged(loss, epoch, 0)  # raises, unless the user asked to stop quietly
        elif not model.stop_training and not weights_finite():  # all_finite_quietly's answer
            guard.diverged(math.inf, epoch, 0)  # blew up: no later loss would show it
        # run_epoch's sum over its one batch (0.0 + ...), then its mean over the n rows
        end(epoch, {"loss": 0.0 + loss if summed else (0.0 + loss * n) / n})
        if model.stop_training:
            return


def run_epoch(
    model: Sequential,
    x: Array,
    y: Array,
    batch_size: int,
    shuffle: bool,
    epoch: int,
    hooks: CallbackList,
    guard: TerminateOnNaN,
    weights: Array | None = None,
    plan: EpochPlan | None = None,
    own: Array | None = None,
) -> Logs:
    """One epoch, inside fit's ``np.errstate(over="ignore", invalid="ignore")``; ``plan`` is
    fit's, worked out once (made here when not given). ``weights``: the loss's (n,) weights;
    ``own``: the examples' own, which the weighted metrics weigh by (the same array unless
    compile has ``loss_weights``)."""
    plan = epoch_plan(model, y.shape[1], hooks) if plan is None else plan
    n = len(x)
    wb = None  # the batch's sample weights, (batch,), gathered with its rows
    order = model.rng.permutation(n) if shuffle else None
    objects = plan.objects  # Keras's stateful metrics: counts over the whole epoch
    for metric in objects:
        metric.reset_state()
    weighted = plan.weighted  # the weighted metrics: counts over the epoch, each row w_i times
    for _, metric in weighted:
        metric.reset_state()
    summed = plan.summed
    metrics = plan.metrics  # each metric's function, looked up once per fit
    # the metrics' sums by history key ("Accuracy" reports as "accuracy", as resolve names it)
    totals = dict.fromkeys(plan.keys[1:], 0.0)
    loss_total = 0.0
    # the step: model._train_step, with its plan looked up once for the epoch when no batch hook
    # (the only code that runs between two steps) can change the model in between
    step = plan.step
    if step is None:
        step = model._train_step if hooks.wants_batches else partial(plan_for(model).step, model)
    # the plan's step may spend the gradients (use them as the update's scratch) when nothing
    # reads them before the next step overwrites them: no batch hook but fit's own, and only
    # Dense layers, whose backward writes every gradient anew; the epoch's last update leaves
    # dC/dW for whatever looks after the epoch (StepPlan.step, Optimizer.apply_spending)
    spend = (plan.step is not None or not hooks.wants_batches) and gradients_rewritten(model)
    if spend and weights is None and batch_size < n:
        # the common MLP (Dense ReLU layers, softmax + cross-entropy, plain SGD): its step
        # written out, the same numbers (glassnet/_mlp_step.py); None for any other model
        step = mlp_step(model, step, batch_size, fresh_output=bool(totals)) or step
    last = (n - 1) // batch_size * batch_size  # the last batch's first row
    xb = yb = None  # the batch before's rows (take_rows may write the next ones into them)
    first = model.layers[0]
    for batch, start in enumerate(range(0, n, batch_size)):
        if order is None and batch_size >= n:
            xb, yb, wb = x, y, weights  # full batch: all the rows, as they are
        elif order is None:
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]  # views
            if weights is not None:
                wb = weights[start : start + batch_size]
        else:
            index = order[start : start + batch_size]
            # gathered copies (batch, n_in), (batch, units), into the batch before's arrays
            # when nothing else holds them (take_rows)
            xb, yb = take_rows(x, index, xb, first), take_rows(y, index, yb, None)
            if weights is not None:
                wb = weights.take(index)  # the same rows: each weight stays with its example
        if hooks.wants_batches:
            model.current_batch = (xb, yb)  # for callbacks that look at the batch (tracing)
            model.current_sample_weight = wb
            plan.batch_begin(batch, {})
        loss, a = step(xb, yb, wb, start < last) if spend else step(xb, yb, wb)
        if not math.isfinite(loss):
            guard.diverged(loss, epoch, batch)  # raises, unless the user asked to stop quietly
        weight = len(xb)
        loss_total += loss if summed else loss * weight
        batch_metrics = {}  # model._metrics, with the functions looked up once per fit
        if totals:
            for key, function in metrics:
                batch_metrics[key] = function(yb, a)
            for metric in objects:  # the running value so far, as Keras's batch logs show it
                metric.update_state(yb, a)
                batch_metrics[metric.name] = metric.result()
            if weighted:  # the batch's own weights, the rows of ``own`` (None: unweighted)
                ob = wb if own is weights else own
                if ob is not None and ob is own and not (order is None and batch_size >= n):
                    rows = slice(start, start + batch_size)
                    ob = own[rows] if order is None else own.take(order[rows])
                for key, metric in weighted:
                    metric.update_state(yb, a, sample_weight=ob)
                    batch_metrics[key] = metric.result()
            for key, value in batch_metrics.items():
                totals[key] += value * weight
        if hooks.wants_batches:
            plan.batch_end(batch, {"loss": loss, **batch_metrics})
        if model.stop_training:
            n = start + len(xb)  # the epoch's numbers cover the batches that ran
            break
    # the last update (fit's errstate is on: the quiet form of all_finite, the same answer)
    if not model.stop_training and not all_finite_quietly(model._parameters):
        guard.diverged(math.inf, epoch, batch)  # blew up: no later loss would show it
    logs = {"loss": loss_total if summed else loss_total / n}
    for key, value in totals.items():
        logs[key] = value / n
    for metric in objects:  # the epoch's own counts, not an average of the batches' values
        logs[metric.name] = metric.result()
    for key, metric in weighted:  # sum_i w_i v_i / sum_i w_i over the epoch (or its counts)
        logs[key] = metric.result()
    return logs


def _count(array: Any) -> int:
    return sys.getrefcount(array)


def _caller_and_argument() -> int:
    """What ``sys.getrefcount`` says in ``take_rows`` of an array that only the caller's local
    name holds (3 on CPython 3.10-3.13: that name, take_rows's argument, getrefcount's), in the
    same code shape; measured once at import, as layers.core's _SOLE_HOLDER, since interpreters
    count differently and a count too low would let fit overwrite an array someone kept."""
    held = np.empty(0)
    return _count(held)


_CALLER_AND_ARGUMENT = _caller_and_argument()


def take_rows(source: Array, index: Array, last: Array | None, first: Any) -> Array:
    """``source.take(index, axis=0)``: the batch's rows (batch, n_in) or (batch, units), written
    into ``last`` (the batch before's, made here) when nothing holds it but fit's loop and, for
    x, the first layer's ``a_prev`` (a Dense, whose step sets ``a_prev`` again before reading
    it): never into an array a metric, a callback's ``model.current_batch`` or a user kept
    (``sys.getrefcount``, as ``layers.core.reusable``), nor one of another shape. ``take`` into
    ``out=`` with its default mode="raise" copies through a buffer of its own (NumPy's docs),
    so mode="clip", which changes nothing here: the index is a permutation's, every entry in
    range. The same rows, one array less made per batch (~1 µs at batch 32, ~4 at 128)."""
    if (
        last is not None
        and sys.getrefcount(last)
        <= _CALLER_AND_ARGUMENT + (type(first) is Dense and vars(first).get("a_prev") is last)
        and last.shape[0] == len(index)
        and last.dtype == source.dtype
        and last.base is None
        and last.flags.c_contiguous
        and last.flags.writeable
    ):
        return source.take(index, axis=0, out=last, mode="clip")
    return source.take(index, axis=0)


def gradients_rewritten(model: Sequential) -> bool:
    """True when every layer with parameters is a ``Dense`` or a ``Conv2D``, whose backward
    (the fused Conv2D -> MaxPooling2D step's too) writes each of its gradients anew (``out=``)
    at every step: what a step's spent gradients may count on."""
    return all(type(layer) in REWRITTEN or not layer.parameter_names for layer in model.layers)


REWRITTEN = (Dense, Conv2D)  # the layers gradients_rewritten counts on


def weighted_validation(model: Sequential, validation_data: Any) -> tuple[Any, ...]:
    """Keras's ``validation_data``: (x_val, y_val), or (x_val, y_val, sample_weight_val) whose
    weights weigh the validation loss; prepared as fit's own data."""
    if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
        raise ValueError(
            "Expected validation_data=(x_val, y_val), a pair of arrays, or (x_val, y_val, "
            "sample_weight_val) with one weight per validation example."
        )
    x_val, y_val = model._data(*validation_data[:2], what="_val")
    if len(validation_data) == 2 or validation_data[2] is None:
        return x_val, y_val
    # the examples' own weights: the loss takes them times compile's loss_weights (_logs)
    return x_val, y_val, model._example_weights(y_val, validation_data[2], what="_val")


def split_off(x: Array, y: Array, fraction: float) -> tuple[Array, Array, tuple[Array, Array]]:
    """Keras's validation_split: the last ``fraction`` of the rows (before any shuffling) is held
    out as ``(x_val, y_val)``; returns ``x_train, y_train, (x_val, y_val)``."""
    if not (isinstance(fraction, int | float) and 0.0 < fraction < 1.0):
        raise ValueError(f"Expected validation_split between 0 and 1, got {shown(fraction, 20)}.")
    n_train = int(len(x) * (1.0 - fraction))
    if n_train == 0 or n_train == len(x):
        raise ValueError(
            f"validation_split={fraction} leaves {n_train} of {len(x)} examples for training; "
            f"choose a split that leaves examples on both sides."
        )
    return x[:n_train], y[:n_train], (x[n_train:], y[n_train:])


def epoch_start(initial_epoch: object, epochs: int) -> int:
    """Keras's ``initial_epoch``: the index (from 0) of the first epoch to run, so that
    ``fit(epochs=10, initial_epoch=4)`` runs epochs 5 to 10 (six of them). Equal to ``epochs``:
    nothing runs, as in Keras; beyond it, refused (Keras silently runs nothing there, which
    usually means ``epochs`` was taken for a count of extra epochs)."""
    start = positive_int(initial_epoch, "initial_epoch", minimum=0)
    if start > epochs:
        raise ValueError(
            f"initial_epoch={shown(start, 20)} is past epochs={epochs}. As in Keras, epochs is "
            f"the index of the last epoch, not a count of more epochs: initial_epoch=2, "
            f"epochs=7 runs epochs 3 to 7, five of them."
        )
    return start


def validation_logs(
    model: Sequential, data: tuple[Any, ...], size: int, hooks: CallbackList, epoch: int
) -> Logs:
    """``validate`` after an epoch; an output overflow is named as the validation data's (the
    model's message says "row i of x", which sent the reader to the training data)."""
    try:
        return validate(model, data, size, hooks)
    except FloatingPointError as error:
        where = f" of the validation data (x_val), after epoch {epoch + 1}'s training."
        raise FloatingPointError(str(error).replace(" of x.", where, 1)) from None


def validation_schedule(validation_freq: object) -> Any:
    """Keras's ``validation_freq`` as a test on the epoch index (from 0): an int N validates
    after epochs N, 2N, 3N... (counted from 1); a list or tuple names the epochs (from 1)."""
    if isinstance(validation_freq, list | tuple):
        chosen = {positive_int(e, "each epoch in validation_freq") for e in validation_freq}
        if not chosen:
            raise ValueError(
                "validation_freq=[] would never validate. Name the epochs to validate after "
                "(counted from 1), e.g. validation_freq=[1, 5, 10], or pass an int."
            )
        return lambda epoch: epoch + 1 in chosen
    if isinstance(validation_freq, bool) or not isinstance(validation_freq, int | np.integer):
        raise TypeError(
            f"Expected validation_freq to be an int (validate every N epochs) or a list of "
            f"epochs (counted from 1), got {type(validation_freq).__name__} "
            f"{shown(validation_freq, 20)}."
        )
    every = positive_int(validation_freq, "validation_freq")
    return lambda epoch: (epoch + 1) % every == 0


def keras_only(x: object, y: object, keywords: dict[str, Any]) -> None:
    """Refuse, with the reason, what Keras's fit takes and glassnet's does not: ``y`` left out
    (a generator or dataset gives both), or any other keyword (named with the ones fit has)."""
    from glassnet._not_here import NOT_ARRAYS

    if keywords:
        import inspect

        from glassnet.model import Sequential

        known = [p for p in inspect.signature(Sequential.fit).parameters if p != "self"][:-1]
        raise TypeError(
            f"Sequential.fit() got an unexpected keyword argument {shown(next(iter(keywords)))}; "
            f"it takes {', '.join(known)}."
        )
    if isinstance(x, Iterator):  # a generator: its batches cannot be checked as arrays
        raise TypeError(NOT_ARRAYS)
    if y is None:
        if isinstance(x, np.ndarray | list | tuple):
            raise TypeError(
                "fit needs the targets too: call fit(x, y), with y one row per row of x."
            )
        raise TypeError(NOT_ARRAYS)
