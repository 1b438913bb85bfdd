"""What ``fit`` prints: ``verbose=1`` a live bar per epoch (rich), ``verbose=2`` one line per epoch.

Both are ordinary callbacks, added by ``fit`` in front of the user's. rich is imported when a bar
is first drawn, so the core stays NumPy and the standard library until then.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

from glassnet.callbacks import Callback, Logs, format_logs

REFRESH_PER_SECOND = 8  # how often rich redraws the bar; numbers sent more often are never seen


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


class ProgressBar(Callback):
    """``fit(verbose=1)``: a live bar per epoch (rich), counting samples, with the ETA and the
    running loss and metrics; each finished epoch stays as one line with its final numbers.

    Every batch adds its loss and metrics (times its size) to the epoch's sums, but the running
    means are formatted and handed to rich at most ``REFRESH_PER_SECOND`` times a second, as
    often as rich redraws: with small, fast batches most batches skip the formatting.
    ``on_epoch_end`` always sends the final numbers, so the line that stays is exact.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream

    def on_train_begin(self, logs: Logs | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=self.stream or sys.stdout, highlight=False)
        if not console.is_terminal:  # a log file or pipe: no width to fit, keep every number
            console.width = 200
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("samples"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[numbers]}"),
            console=console,
            refresh_per_second=REFRESH_PER_SECOND,
        )
        self.progress.start()
        self.samples = self.params.get("samples", 0)
        self.batch_size = self.params.get("batch_size", 1)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.task = self.progress.add_task(
            f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}",
            total=self.samples,
            numbers="",
        )
        self.sums: dict[str, float] = {}
        self.seen = 0
        self.shown_at = -math.inf  # time.monotonic() of the last update: the first batch shows
        self.behind = False  # True while the sums hold batches the bar has not been sent

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        size = min(self.batch_size, self.samples - self.seen)
        self.seen += size
        for key, value in (logs or {}).items():
            self.sums[key] = self.sums.get(key, 0.0) + value * size
        now = time.monotonic()
        if now - self.shown_at >= 1.0 / REFRESH_PER_SECOND:
            self.shown_at = now
            self._show_running()
        else:
            self.behind = True

    def _show_running(self) -> None:
        """Send the running means, sum / samples seen so far, and the sample count to the bar."""
        running = {key: total / self.seen for key, total in self.sums.items()}
        self.progress.update(self.task, completed=self.seen, numbers=format_logs(running))
        self.behind = False

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.progress.update(self.task, completed=self.seen, numbers=format_logs(logs or {}))
        self.behind = False

    def on_train_end(self, logs: Logs | None = None) -> None:
        self.progress.stop()

    def on_train_abort(self) -> None:
        if getattr(self, "behind", False):
            self._show_running()  # the last batches were not sent yet: show where it stopped
        self.progress.stop()
