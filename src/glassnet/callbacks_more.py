"""More of Keras's callbacks: ``ReduceLROnPlateau``, ``CSVLogger`` and ``LambdaCallback``.

Re-exported by ``glassnet.callbacks``; each follows Keras 3's rules, read from its source.

>>> from glassnet.callbacks import LambdaCallback
>>> seen = []
>>> hook = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from glassnet._validation import finite_float, shown, whole_number
from glassnet.callbacks import Callback, Logs, _better, _Monitor


def _verbose(value: Any, who: str) -> int:
    """0, 1 or 2 (True counts as 1, False as 0, as Keras's truthiness test does)."""
    if isinstance(value, bool):
        return int(value)
    return whole_number(value, f"{who}'s verbose", 0, 2)


# -- ReduceLROnPlateau -----------------------------------------------------------------------------
class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving (Keras 3's rule).

    At each epoch end, with ``current`` the monitored value (``learning_rate`` is first added to
    the logs, so the History records the rate that epoch used):

    1. in cooldown (``cooldown_counter > 0``): ``cooldown_counter -= 1`` and ``wait = 0``
    2. ``current`` improves on ``best`` (``current < best - min_delta`` in mode "min", ``current >
       best + min_delta`` in mode "max"; the first value watched always does): ``best = current``,
       ``wait = 0``
    3. otherwise, out of cooldown: ``wait += 1``; when ``wait >= patience`` and
       ``float32(lr) > float32(min_lr)``: ``lr = max(lr * factor, min_lr)``, then ``wait = 0`` and
       ``cooldown_counter = cooldown``.

    ``factor`` must lie in (0, 1) (Keras refuses >= 1; glassnet also refuses <= 0, which would
    make the rate 0). A rate that would fall below float32's smallest normal number stops there.
    An optimizer whose ``learning_rate`` is a schedule cannot be reduced: ``fit`` refuses it
    before the first epoch (Keras fails at the first reduction). A ``monitor`` missing from the
    logs is warned about once per ``fit`` and skipped.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode)
        factor = finite_float(factor, "ReduceLROnPlateau's factor")
        if not 0.0 < factor < 1.0:
            raise ValueError(
                f"ReduceLROnPlateau's factor multiplies the learning rate, so it must lie "
                f"between 0 and 1 (exclusive), got {factor!r}. Pass e.g. factor=0.1."
            )
        min_lr = finite_float(min_lr, "ReduceLROnPlateau's min_lr")
        if min_lr < 0.0:
            raise ValueError(f"Expected ReduceLROnPlateau's min_lr >= 0, got {min_lr!r}.")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = whole_number(patience, "ReduceLROnPlateau's patience", 0, sys.maxsize)
        self.cooldown = whole_number(cooldown, "ReduceLROnPlateau's cooldown", 0, sys.maxsize)
        self.min_delta = abs(finite_float(min_delta, "ReduceLROnPlateau's min_delta"))
        self.verbose = _verbose(verbose, "ReduceLROnPlateau")
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        super().on_train_begin(logs)
        optimizer = self.model.optimizer
        if getattr(optimizer, "schedule", None) is not None:
            raise TypeError(
                f"ReduceLROnPlateau cannot change the learning rate of this optimizer: it follows "
                f"a schedule ({optimizer.schedule!r}). Use a fixed learning_rate with "
                f"ReduceLROnPlateau, or the schedule alone."
            )
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._monitored(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.best is None or _better(self.mode, current, self.best, self.min_delta):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, optimizer: Any, epoch: int) -> bool:
        from glassnet._header_bounds import MIN_POSITIVE

        old = float(optimizer.learning_rate)
        if not np.float32(old) > np.float32(self.min_lr):  # Keras keeps the rate in float32
            return False
        new = max(old * self.factor, self.min_lr, MIN_POSITIVE)
        optimizer.learning_rate = new
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
        return True


# -- CSVLogger -------------------------------------------------------------------------------------
class CSVLoggerError(ValueError):
    """CSVLogger cannot write its file: the message names the path, why, and the fix."""


def _csv_target(filename: Any) -> str:
    """``filename`` as a str, refused now (not after an epoch) when it cannot hold a log."""
    try:
        path = os.fsdecode(os.fspath(filename))
    except TypeError:
        raise TypeError(
            f"Expected CSVLogger's filename to be a file path (a str or pathlib.Path), got "
            f"{type(filename).__name__} {shown(filename, 40)}. Pass e.g. 'training.csv'."
        ) from None
    if not path or "\0" in path:
        raise ValueError(
            f"Expected CSVLogger's filename to be a file name such as 'training.csv', got "
            f"{shown(path, 40)}."
        )
    return path


def _check_writable(path: str) -> None:
    """Refuse (``CSVLoggerError``) what cannot take a log: a folder, a FIFO or device, a
    read-only file, a missing or read-only folder (write bits honoured even for root)."""
    from glassnet._files import refuse_unwritable

    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise CSVLoggerError(
            f"Cannot write the CSV log to {shown(path)}: {error.strerror or error}. Give a plain "
            f"file name such as 'training.csv'."
        ) from None
    if info is not None:
        refuse_unwritable(path, path, info, "write the CSV log", "training.csv", CSVLoggerError)
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CSVLoggerError(
            f"Cannot write the CSV log to {shown(path)}: the folder {shown(folder)} does not "
            f"exist. Create it first (os.makedirs)."
        )
    if not os.stat(folder).st_mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
        raise CSVLoggerError(
            f"Cannot write the CSV log to {shown(path)}: the folder {shown(folder)} is "
            f"read-only. Choose a file in a folder you can write to."
        )


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file, as Keras 3's ``CSVLogger`` does.

    Columns: ``epoch`` (counted from 0, as Keras writes it), then the first epoch's log keys
    sorted; when those have no ``val_`` key, a ``val_`` column for each is added (Keras does
    this so that a ``validation_freq`` run keeps one header) and epochs without validation
    write ``NA`` there. ``append=True`` adds to an existing file (the header only if it is
    empty); otherwise the file is replaced. The file is flushed at each epoch end, so a crash
    leaves every finished epoch readable; it is closed at the end of training, or when
    training stops on an error. Key names are quoted by ``csv`` as needed (a comma, a quote,
    a newline or markup in a key is kept as text, never interpreted).

    A folder, a named pipe or device, a missing folder or a file without write permission is
    refused with ``CSVLoggerError`` when training starts, before the first epoch.
    """

    def __init__(self, filename: Any, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = _csv_target(filename)
        if not isinstance(separator, str) or len(separator) != 1 or separator in '"\r\n':
            raise ValueError(
                f"Expected CSVLogger's separator to be one character other than a quote or a "
                f"line break, such as ',' or ';', got {shown(separator, 20)}."
            )
        if not isinstance(append, bool | np.bool_):
            raise TypeError(
                f"Expected CSVLogger's append to be True or False, got {type(append).__name__} "
                f"{shown(append, 20)}."
            )
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self.csv_file: IO[str] | None = None
        self.writer: Any = None
        self.append_header = True

    def on_train_begin(self, logs: Logs | None = None) -> None:
        _check_writable(self.filename)
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8", errors="replace") as existing:
                self.append_header = not existing.readline()
        self._close()
        try:
            self.csv_file = open(  # noqa: SIM115 (open across the epochs, closed at the end)
                self.filename, "a" if self.append else "w", encoding="utf-8", newline=""
            )
        except OSError as error:
            raise CSVLoggerError(
                f"CSVLogger cannot write to {shown(self.filename)}: {error.strerror or error}. "
                f"Choose a file in a folder you can write to."
            ) from None
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend(f"val_{key}" for key in list(self.keys))
        if self.csv_file is None:
            return
        if self.writer is None:
            import csv  # only here: import glassnet stays light (issue 20)

            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], dialect=dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row: dict[str, Any] = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._close()

    def on_train_abort(self) -> None:
        """Training stopped on an error: close the file (each finished epoch is in it)."""
        self._close()


def _cell(value: Any) -> Any:
    """Keras's ``handle_value``: a string as is, a 1-d iterable as ``"[a, b]"``, else the value."""
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value
    if hasattr(value, "__iter__"):
        return f'"[{", ".join(map(str, value))}]"'
    return float(value) if isinstance(value, np.floating) else value


# -- LambdaCallback --------------------------------------------------------------------------------
#: each keyword LambdaCallback takes, and the hook it sets: Keras's Callback hooks (``on_batch_*``
#: are Keras's older names of the train batch hooks)
_HOOKS = {
    "on_epoch_begin": "on_epoch_begin",
    "on_epoch_end": "on_epoch_end",
    "on_batch_begin": "on_train_batch_begin",
    "on_batch_end": "on_train_batch_end",
    "on_train_batch_begin": "on_train_batch_begin",
    "on_train_batch_end": "on_train_batch_end",
    "on_train_begin": "on_train_begin",
    "on_train_end": "on_train_end",
    "on_test_begin": "on_test_begin",
    "on_test_end": "on_test_end",
    "on_test_batch_begin": "on_test_batch_begin",
    "on_test_batch_end": "on_test_batch_end",
    "on_predict_begin": "on_predict_begin",
    "on_predict_end": "on_predict_end",
    "on_predict_batch_begin": "on_predict_batch_begin",
    "on_predict_batch_end": "on_predict_batch_end",
}
#: the hooks called with ``logs`` alone (the others with an epoch or batch index first)
_LOGS_ONLY = {
    f"on_{part}_{edge}" for part in ("train", "test", "predict") for edge in ("begin", "end")
}


class LambdaCallback(Callback):
    """A callback made of plain functions, as Keras's, in Keras 3's positional order:
    ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``,
    ``on_train_end(logs)``, ``on_train_batch_begin(batch, logs)``,
    ``on_train_batch_end(batch, logs)`` (also spelt ``on_batch_begin``/``_end``, by keyword),
    and, by keyword as in Keras, every other
    hook of ``Callback``: ``on_test_begin(logs)``, ``on_test_end(logs)``,
    ``on_test_batch_begin(batch, logs)``, ``on_test_batch_end(batch, logs)`` (called by
    ``evaluate(callbacks=...)`` and by fit's validation), ``on_predict_begin(logs)``,
    ``on_predict_end(logs)``, ``on_predict_batch_begin(batch, logs)``,
    ``on_predict_batch_end(batch, logs)`` (``predict(callbacks=...)``; ``logs["outputs"]``).
    Hooks left as None do nothing. Any other keyword is refused, naming the hooks (Keras stores
    it as an attribute; a typo such as ``on_epoch_ends`` would then do nothing silently).
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **hooks: Callable[..., Any] | None,
    ) -> None:
        super().__init__()
        given = {  # Keras 3's positional order (Keras 2's had on_batch_begin/_end third)
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name in hooks:
            if name not in _HOOKS:
                raise TypeError(
                    f"LambdaCallback got an unknown hook {shown(name, 40)}; the hooks are "
                    f"{', '.join(_HOOKS)}."
                )
            twin = name.replace("on_batch_", "on_train_batch_")
            if twin != name and given[twin] is not None and hooks[name] is not None:
                raise TypeError(
                    f"LambdaCallback got both {name} and {twin}, two names of one hook; give one."
                )
        given.update(hooks)
        for name, function in given.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(
                    f"Expected LambdaCallback's {name} to be a function, got "
                    f"{type(function).__name__} {shown(function, 20)}."
                )
            _check_arguments(function, name, _HOOKS[name] in _LOGS_ONLY)
            setattr(self, _HOOKS[name], _with_logs(function, _HOOKS[name]))


def _check_arguments(function: Callable[..., Any], name: str, logs_only: bool) -> None:
    """Refuse, when LambdaCallback is made, a function the hook cannot call: Keras calls it
    with ``(logs)`` or ``(epoch_or_batch, logs)``; a ``lambda batch: ...`` failed only in the
    middle of fit or evaluate, with Python's "takes 1 positional argument but 2 were given"."""
    import inspect

    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature (print): it is called
        return
    arguments = ("logs",) if logs_only else ("batch" if "batch" in name else "epoch", "logs")
    try:
        signature.bind(*arguments)
    except TypeError:
        raise TypeError(
            f"LambdaCallback's {name} is called as {name}({', '.join(arguments)}), as in Keras, "
            f"but the function given takes {signature}. Write e.g. "
            f"{name}=lambda {', '.join(arguments)}: ..."
        ) from None


def _with_logs(function: Callable[..., Any], hook: str) -> Callable[..., Any]:
    """Call ``function`` as Keras does, always with ``logs`` (None when the loop has none):
    ``(epoch_or_batch, logs)`` for epoch and batch hooks, ``(logs)`` for the begin and end of
    training, testing and predicting."""
    if hook in _LOGS_ONLY:

        def logs_hook(logs: Logs | None = None) -> None:
            function(logs)

        return logs_hook

    def hook_with_index(index: int, logs: Logs | None = None) -> None:
        function(index, logs)

    return hook_with_index


__all__ = ["CSVLogger", "CSVLoggerError", "LambdaCallback", "ReduceLROnPlateau"]
