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
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

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
    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...


class History(Callback):
    """Records the epoch logs: ``history.history["loss"][i]`` is epoch i's mean training loss.

    ``fit`` always returns one; ``history.epoch`` lists the epoch indices that ran.
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
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
            cells = [str(self.epoch[i] + 1)] + [_format_number(self.history[k][i]) for k in keys]
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        return f"<table><caption>History</caption><tr>{head}</tr>{''.join(rows)}</table>"


def format_logs(logs: Logs) -> str:
    """``loss: 0.1234 - accuracy: 1.0000``, Keras's way of printing numbers."""
    return " - ".join(f"{key}: {_format_number(value)}" for key, value in logs.items())


def _format_number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.4e}"


class EpochLogger(Callback):
    """Prints one line per epoch: ``Epoch 3/10 - loss: 0.2412 - accuracy: 0.7500``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        stream = self.stream or sys.stdout
        epochs = self.params.get("epochs", "?")
        stream.write(f"Epoch {epoch + 1}/{epochs} - {format_logs(logs or {})}\n")
        stream.flush()


class CallbackList:
    """Calls every callback's hook in order; batch hooks only when some callback has them."""

    def __init__(self, callbacks: Iterable[Callback], model: Sequential, params: dict[str, Any]):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"Expected callbacks to be glassnet.callbacks.Callback instances, got "
                    f"{type(callback).__name__}. Subclass Callback and override its hooks."
                )
            callback.set_model(model)
            callback.set_params(params)
        # Skip per-batch Python work entirely when no callback overrides a batch hook.
        self.wants_batches = any(
            type(c).on_train_batch_begin is not Callback.on_train_batch_begin
            or type(c).on_train_batch_end is not Callback.on_train_batch_end
            for c in self.callbacks
        )

    def __getattr__(self, hook: str) -> Any:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args: Any) -> None:
            for callback in self.callbacks:
                getattr(callback, hook)(*args)

        return call
