"""Callbacks: code that ``fit`` calls at the edges of training, epochs and batches.

The hook names are Keras's. ``logs`` is a dict of the current numbers (``"loss"``, each metric,
and ``"val_"`` ones at the end of an epoch when there is validation data).

>>> class Count(Callback):
...     def __init__(self):
...         super().__init__()
...         self.epochs = 0
...     def on_epoch_end(self, epoch, logs=None):
...         self.epochs += 1
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet._validation import finite_float, shown, whole_number

if TYPE_CHECKING:
    from glassnet.model import Sequential

Logs = dict[str, float]


class Callback:
    """Base class with every hook as a no-op. ``self.model`` is set by ``fit``."""

    def __init__(self) -> None:
        self.model: Sequential | None = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Sequential) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    # Keras's older names of the train batch hooks: a subclass that overrides on_batch_begin
    # or on_batch_end (as Keras 2 code does) gets them called, as the base hooks below do
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_end(batch, logs)

    # evaluate(callbacks=[...]), fit's validation and predict(callbacks=[...]) call these, as
    # Keras's do (glassnet/_inference.py); History, EarlyStopping, CSVLogger... have none in Keras
    def on_test_begin(self, logs: Logs | None = None) -> None: ...
    def on_test_end(self, logs: Logs | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...


class History(Callback):
    """Records the epoch logs: ``history.history["loss"][i]`` is epoch i's mean training loss.

    ``fit`` always returns one; ``history.epoch`` lists the epoch indices that ran.
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}
        self._rows: list[Logs] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epoch = []
        self.history = {}
        self._rows = []  # each epoch's logs (val_ keys only on validated epochs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        self._rows.append(dict(logs or {}))
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"

    def _repr_html_(self) -> str:
        """The epoch logs as a table for Jupyter (at most the first and last 10 epochs)."""
        import html

        keys = list(self.history)
        shown = list(range(len(self.epoch)))
        if len(shown) > 20:
            shown = [*shown[:10], -1, *shown[-10:]]
        head = "".join(f"<th>{html.escape(k)}</th>" for k in ["epoch", *keys])
        rows = []
        for i in shown:
            if i == -1:
                rows.append(f"<tr><td colspan='{len(keys) + 1}'>...</td></tr>")
                continue
            row = self._rows[i] if i < len(self._rows) else {}
            cells = [str(self.epoch[i] + 1)] + [
                _format_number(row[k]) if k in row else "" for k in keys
            ]
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        return f"<table><caption>History</caption><tr>{head}</tr>{''.join(rows)}</table>"


def format_logs(logs: Logs) -> str:
    """``loss: 0.1234 - accuracy: 1.0000``, Keras's way of printing numbers."""
    return " - ".join(f"{key}: {_format_number(value)}" for key, value in logs.items())


def _format_number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.4e}"


#: each train batch hook and its older Keras name, which the base hook calls
_OLDER_NAMES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback: Callback, hook: str) -> bool:
    """True when ``callback``'s ``hook`` is not the base class's (for a train batch hook, also
    when it overrides the hook's older name, which the base hook calls)."""
    method = getattr(callback, hook)
    if getattr(method, "__func__", method) is not getattr(Callback, hook):
        return True
    older = _OLDER_NAMES.get(hook)
    return older is not None and _overrides(callback, older)


class CallbackList:
    """Calls every callback's hook in order; batch hooks only when some callback has them."""

    def __init__(self, callbacks: Iterable[Callback], model: Sequential, params: dict[str, Any]):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                name = type(callback).__name__
                fix = "Subclass Callback and override its hooks."
                if type(callback).__module__.split(".")[0] == "keras":  # a newcomer's first try
                    fix = (
                        f"It is Keras's {name}: use glassnet.callbacks.{name}, with the same "
                        f"settings."
                        if name in __all__
                        else f"It is Keras's {name}, which glassnet has not: {fix}"
                    )
                raise TypeError(
                    f"Expected callbacks to be glassnet.callbacks.Callback instances, got "
                    f"{name}. {fix}"
                )
            callback.set_model(model)
            callback.set_params(params)
        # Skip per-batch Python work entirely when no callback overrides a batch hook.
        # (an instance's own function counts: LambdaCallback sets its hooks per instance)
        self.wants_batches = any(
            _overrides(c, hook)
            for c in self.callbacks
            for hook in ("on_train_batch_begin", "on_train_batch_end")
        )

    def overrides(self, hook: str) -> bool:
        """True when some callback's own ``hook`` does something (see ``overriding``)."""
        return any(_overrides(c, hook) for c in self.callbacks)

    def overriding(self, hook: str) -> Any:
        """``self.<hook>``, calling only the callbacks whose own hook does something: the base
        ``Callback``'s hooks are empty, so leaving them out changes nothing and saves a Python
        call each (the default History and TerminateOnNaN leave most hooks alone). ``fit`` looks
        each hook up once, after ``on_train_begin``, so a hook a callback sets on itself there
        is seen."""
        methods = [getattr(c, hook) for c in self.callbacks if _overrides(c, hook)]
        if len(methods) == 1:  # (History's on_epoch_end alone, in a plain fit) itself
            return methods[0]

        def call(*args: Any) -> None:
            for method in methods:
                method(*args)

        return call

    def abort(self) -> None:
        """Training stopped on an error: let callbacks that hold resources (a live progress bar)
        release them. Hooks named ``on_train_abort``, an addition to Keras's set."""
        for callback in self.callbacks:
            abort = getattr(callback, "on_train_abort", None)
            if abort is not None:
                abort()

    def __getattr__(self, hook: str) -> Any:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args: Any) -> None:
            for callback in self.callbacks:
                getattr(callback, hook)(*args)

        return call


# -- divergence ----------------------------------------------------------------------------------
class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite: training stopped rather than go on with garbage."""


def diverged_message(loss: float, epoch: int | None, batch: int | None) -> str:
    """What went wrong, where, and what to try."""
    where = "" if epoch is None else f" at epoch {epoch + 1}, batch {batch + 1}"
    return (
        f"Training diverged{where}: the loss became {loss}. The weights are no longer usable. "
        f"Try a smaller learning_rate (e.g. a tenth of this one), scale your inputs, or check the "
        f"data for extreme values."
    )


class TerminateOnNaN(Callback):
    """Stops training at the first NaN or infinite loss. Always on: ``fit`` uses a default one.

    ``raise_error=True`` (the default) raises ``TrainingDivergedError`` naming the epoch and batch;
    pass ``TerminateOnNaN(raise_error=False)`` in ``callbacks`` to stop quietly instead (as
    Keras's callback does): the message goes to ``message`` (and is printed when ``verbose``),
    and ``fit`` returns the History, whose last loss is the NaN.
    The check itself lives in ``fit``'s batch loop (one ``math.isfinite`` per batch), so it costs
    nothing extra; this object decides what happens next.
    """

    def __init__(self, raise_error: bool = True, verbose: bool = True) -> None:
        super().__init__()
        self.raise_error = raise_error
        self.verbose = verbose
        self.message: str | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.message = None

    def diverged(self, loss: float, epoch: int, batch: int) -> None:
        """Called by ``fit`` when the loss of (epoch, batch) is not finite."""
        self.message = diverged_message(loss, epoch, batch)
        if self.raise_error:
            raise TrainingDivergedError(self.message)
        if self.model is not None:
            self.model.stop_training = True
        if self.verbose:
            sys.stdout.write(self.message + "\n")


# -- stopping early, checkpoints, schedules --------------------------------------------------------
#: words that mark a quantity as "bigger is better" when it is not one of glassnet's metrics: the
#: families Keras gives the direction "up" (accuracies, AUC, F1, precision, recall)
_RISING_WORDS = ("accuracy", "acc", "auc", "f1", "precision", "recall")


def _mode(monitor: str, mode: str, who: str = "The callback") -> str:
    """ "min" or "max" for ``monitor``; "auto" decides as Keras 3 does: ``loss`` goes down, a
    metric goes its own way (accuracies up, errors down), then names with accuracy, acc, auc,
    f1, precision or recall go up and names ending in loss or error go down. Any other name
    cannot be guessed: pass mode="min" or "max" (Keras raises there too)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"Expected mode 'auto', 'min' or 'max', got {mode!r}.")
    if mode != "auto":
        return mode
    from glassnet.metrics import MAXIMIZED, METRICS  # the table says which way each one goes

    name = monitor.lower().removeprefix("val_")
    if name in METRICS:
        return "max" if name in MAXIMIZED else "min"
    if any(word in name for word in _RISING_WORDS):
        return "max"
    if name == "loss" or name.endswith(("loss", "error")):
        return "min"
    raise ValueError(
        f"{who} cannot tell whether {monitor!r} should go up or down. Pass mode='max' to keep "
        f"its highest value, or mode='min' for its lowest."
    )


def _worst(mode: str) -> float:
    """Where the best value starts: anything beats it."""
    return math.inf if mode == "min" else -math.inf


def _better(mode: str, value: float, best: float, min_delta: float = 0.0) -> bool:
    """``value`` improves on ``best`` by more than ``min_delta``, in ``mode``'s direction."""
    return value < best - min_delta if mode == "min" else value > best + min_delta


class _Monitor(Callback):
    """What EarlyStopping and ModelCheckpoint share: reading ``monitor`` from the epoch logs.

    A key that is not in the logs (``val_loss`` without validation data, a metric not compiled)
    is skipped for that epoch with one warning per ``fit`` naming the keys there are, and
    training goes on, as in Keras. An epoch that ``validation_freq`` leaves unvalidated is
    skipped without a warning (Keras warns there, though nothing is wrong).
    """

    def __init__(self, monitor: str, mode: str) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(
                f"Expected monitor to be a log key such as 'val_loss', got {monitor!r}."
            )
        self.monitor = monitor
        self.mode = _mode(monitor, mode, type(self).__name__)
        self._warned = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._warned = False

    def _monitored(self, logs: Logs | None) -> float | None:
        """The monitored value of this epoch, or None (warned about once) when it is absent."""
        logs = logs or {}
        if self.monitor in logs:
            return float(logs[self.monitor])
        if self.monitor.startswith("val_") and self.params.get("do_validation"):
            return None  # fit validates only some epochs (validation_freq): not one of them
        if not self._warned:
            self._warned = True
            available = ", ".join(repr(k) for k in logs) or "none"
            hint = (
                " Pass validation_data (or validation_split) to fit."
                if "val_" in self.monitor
                else ""
            )
            warnings.warn(
                f"{type(self).__name__} monitors {self.monitor!r}, but the epoch logs have only: "
                f"{available}; it does nothing until that key appears.{hint}",
                UserWarning,
                stacklevel=2,
            )
        return None


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    An epoch improves when ``value < best - min_delta`` (mode "min") or ``value > best +
    min_delta`` (mode "max"); the first epoch watched always does. ``mode`` "auto" minimises
    losses and errors and maximises accuracies (see ``_mode`` for the whole rule); a ``monitor``
    missing from the logs is warned about once and skipped, so training goes on, as in Keras.

    As in Keras 3: ``min_delta`` counts by its size (a negative one is taken as ``abs``; NaN and
    infinity are refused); with a ``baseline``, an epoch resets the patience count only when it
    also beats the baseline, so training stops after ``patience`` epochs unless the model gets
    past it; epochs before ``start_from_epoch`` (counted from 0) are not watched at all (a
    warm-up). With ``restore_best_weights=True`` the weights of the best epoch watched are put
    back when training ends (whether or not it stopped early, baseline or not).
    ``stopped_epoch`` is the epoch it stopped at (0 if it never did); ``best`` the best value.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        verbose: int = 0,
        baseline: float | None = None,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode)
        patience = whole_number(patience, "EarlyStopping's patience (epochs)", 0, sys.maxsize)
        self.min_delta = abs(finite_float(min_delta, "EarlyStopping's min_delta"))
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.verbose = verbose
        self.baseline = (
            None if baseline is None else finite_float(baseline, "EarlyStopping's baseline")
        )
        self.start_from_epoch = whole_number(
            start_from_epoch, "EarlyStopping's start_from_epoch", 0, sys.maxsize
        )

    def on_train_begin(self, logs: Logs | None = None) -> None:
        super().on_train_begin(logs)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = _worst(self.mode)
        self.best_epoch = 0
        self.best_weights: list[Any] | None = None
        self._watched = False  # no epoch watched yet: the first one is the best so far

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = self._monitored(logs)
        if value is None or epoch < self.start_from_epoch:  # absent, or still warming up
            return
        self.wait += 1
        if not self._watched or _better(self.mode, value, self.best, self.min_delta):
            self._watched = True
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or _better(self.mode, value, self.baseline, self.min_delta):
                self.wait = 0  # beat both the best so far and the baseline
            return
        if self.wait >= self.patience and epoch > 0:  # Keras: `patience` epochs without gain
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        if self.verbose and self.stopped_epoch:
            print(
                f"Epoch {self.stopped_epoch + 1}: early stopping; best {self.monitor} "
                f"{_format_number(self.best)} at epoch {self.best_epoch + 1}."
            )


class ModelCheckpoint(_Monitor):
    """Save the model (``model.save``) at the end of each epoch, or only when ``monitor``
    improves (``save_best_only=True``). ``filepath`` may hold ``{epoch}`` and log keys, formatted
    as Keras does: ``"ckpt-{epoch:02d}-{val_loss:.3f}.glassnet"`` (epochs count from 1).
    With ``save_best_only``, an epoch whose logs lack ``monitor`` saves nothing (warned once),
    as in Keras. ``save_weights_only=True`` saves with ``model.save_weights`` instead, to a name
    ending in ``.weights.glassnet`` (as Keras 3 wants ``.weights.h5`` there)."""

    def __init__(
        self,
        filepath: str,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        verbose: int = 0,
        save_weights_only: bool = False,
    ) -> None:
        from glassnet._files import check_suffix
        from glassnet._weights_files import check_weights_suffix

        super().__init__(monitor, mode)
        self.filepath = str(filepath)
        for flag, value in (
            ("save_best_only", save_best_only),
            ("save_weights_only", save_weights_only),
        ):
            if not isinstance(value, bool | np.bool_):  # before: "no" was truthy, so True
                raise TypeError(
                    f"ModelCheckpoint expects {flag}=True or False, got "
                    f"{type(value).__name__} {shown(value, 20)}."
                )
        self.save_weights_only = bool(save_weights_only)
        if not self.save_weights_only and self.filepath.endswith(".weights.glassnet"):
            raise ValueError(  # Keras 3 refuses a .weights.h5 name without it, too
                f"ModelCheckpoint({shown(self.filepath, 80)}): a name ending in "
                f"'.weights.glassnet' is for weights only, but save_weights_only=False would "
                f"write a whole model there (which load_weights refuses). Pass "
                f"save_weights_only=True, or name the file e.g. 'checkpoint.glassnet'."
            )
        # .keras, .h5, ...: refused now, not after an epoch
        (check_weights_suffix if self.save_weights_only else check_suffix)(self.filepath)
        self.save_best_only = save_best_only
        self.verbose = verbose
        self.saved: list[str] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        from glassnet._files import check_save_target

        super().on_train_begin(logs)
        if "{" not in self.filepath:  # a fixed name: a FIFO, a read-only file... refused now
            check_save_target(self.filepath)
        else:
            self._check_pattern()
        self.best = _worst(self.mode)

    #: how many of a pattern's epoch names are checked before training (each is one stat)
    CHECKED_EPOCHS = 10_000

    def _check_pattern(self) -> None:
        """Before training, refuse what the first save would: each name the pattern gives for
        the epochs to come (up to ``CHECKED_EPOCHS``) when it needs only ``{epoch}``, else its
        folder, when that is fixed, must exist."""
        from glassnet._files import ModelFileError, check_save_target

        epochs = self.params.get("epochs", 1)
        for epoch in range(1, min(int(epochs or 1), self.CHECKED_EPOCHS) + 1):
            try:
                path = self.filepath.format(epoch=epoch)
            except (KeyError, IndexError, ValueError, AttributeError):  # needs a log's value
                break
            check_save_target(path)  # a FIFO at ckpt-03.glassnet: refused now, not at epoch 3
        else:
            return
        folder = os.path.dirname(self.filepath)
        if folder and "{" not in folder and not os.path.isdir(folder):
            raise ModelFileError(
                f"ModelCheckpoint cannot save to {self.filepath!r}: the folder {folder!r} does "
                f"not exist. Create it first (os.makedirs)."
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            value = self._monitored(logs)
            if value is None or not _better(self.mode, value, self.best):
                return
            self.best = value
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint could not fill in filepath {self.filepath!r} ({error!r}); "
                f"it may use {{epoch}} and these keys: {', '.join(logs)}."
            ) from None
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved the model to {path}")


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch: ``lr = schedule(epoch, lr)`` (epochs
    from 0), e.g. ``LearningRateScheduler(lambda epoch, lr: lr * 0.9)``. The rate used is logged
    as ``learning_rate`` in the History."""

    def __init__(self, schedule: Any, verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler expects a function (epoch, lr) -> lr, got "
                f"{type(schedule).__name__}."
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        rate = self.schedule(epoch, optimizer.learning_rate)
        try:
            optimizer.learning_rate = rate
        except (TypeError, ValueError) as error:
            raise ValueError(f"The schedule returned {rate!r} for epoch {epoch}: {error}") from None
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {optimizer.learning_rate}.")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


# Keras's other callbacks, kept in their own module (imported last: they build on the above)
from glassnet.callbacks_backup import BackupAndRestore, BackupError  # noqa: E402
from glassnet.callbacks_more import (  # noqa: E402
    CSVLogger,
    CSVLoggerError,
    LambdaCallback,
    ReduceLROnPlateau,
)


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # TensorBoard: the reason why

    raise missing("glassnet.callbacks", name)


__all__ = [
    "BackupAndRestore",
    "BackupError",
    "CSVLogger",
    "CSVLoggerError",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
    "TrainingDivergedError",
]
