"""What ``fit`` prints: ``verbose=1`` a live bar per epoch (rich), ``verbose=2`` one line per epoch.

Both are ordinary callbacks, added by ``fit`` in front of the user's. rich is imported when a bar
is first drawn, so the core stays NumPy and the standard library until then.

In a terminal, rich's live display holds only the running epoch: a finished epoch's line is
printed once above it and its task removed, so an epoch costs the same after 1000 epochs as after
one (rich redraws every task it holds at each refresh).

In a Jupyter kernel rich's live display needs ipywidgets (without them it prints an "install
ipywidgets" warning and an empty box), so there the bar is the same line of text, rendered by rich
without a live display and shown with ``IPython.display``: one output per epoch, updated in place
(``display_id``) as the epoch runs, ending with the epoch's final numbers.
"""

from __future__ import annotations

import io
import math
import sys
import time
from typing import Any, TextIO

from glassnet.callbacks import Callback, Logs, format_logs

REFRESH_PER_SECOND = 8  # how often rich redraws the bar; numbers sent more often are never seen
NOTEBOOK_WIDTH = 10_000  # a notebook has no width to fit: rich crops nothing, keep every number


def in_jupyter() -> bool:
    """True when this runs in a Jupyter kernel and ``sys.stdout`` goes to its front end.

    The signs: ipykernel is loaded, IPython's running shell is a ``ZMQInteractiveShell`` (or a
    subclass, as Colab's is) and stdout is the kernel's stream (not redirected to a file).
    """
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    get_ipython = getattr(sys.modules["IPython"], "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    if shell is None or "ZMQInteractiveShell" not in {k.__name__ for k in type(shell).__mro__}:
        return False
    return type(sys.stdout).__module__.startswith("ipykernel")


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


def _progress(console: Any) -> Any:
    """rich's Progress with the bar's columns: ``Epoch 3/10 ━━━━ 120/120 samples 0:00:01 eta
    0:00:00 loss: 0.2412 - accuracy: 0.7500``."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
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


def _row(progress: Any, task: Any) -> list[Any]:
    """The task as a one-row list for ``make_tasks_table`` (the progress holds one task or two)."""
    return [item for item in progress.tasks if item.id == task]


class _NotebookLines:
    """The bar's lines for a Jupyter notebook: each epoch's line is one display output (plain
    text), updated in place through its ``display_id``; no live display, so no ipywidgets."""

    def __init__(self) -> None:
        from IPython.display import display
        from rich.console import Console

        self.display = display
        self.buffer = io.StringIO()
        self.console = Console(
            file=self.buffer,
            width=NOTEBOOK_WIDTH,
            force_terminal=False,
            force_jupyter=False,
            color_system=None,
            highlight=False,
        )
        self.progress = _progress(self.console)
        self.handle: Any = None

    def add_task(self, description: str, total: int, numbers: str) -> Any:
        self.handle = None  # the epoch's output appears with its first numbers (one message less)
        return self.progress.add_task(description, total=total, numbers=numbers)

    def update(self, task: Any, completed: int, numbers: str) -> None:
        self.progress.update(task, completed=completed, numbers=numbers)
        line = {"text/plain": self._line(task)}
        if self.handle is None:
            self.handle = self.display(line, raw=True, display_id=True)
        else:
            self.handle.update(line, raw=True)

    def _line(self, task: Any) -> str:
        """The task's row of the bar as text, as rich draws it without colours."""
        self.buffer.seek(0)
        self.buffer.truncate()
        self.console.print(self.progress.make_tasks_table(_row(self.progress, task)))
        return self.buffer.getvalue().rstrip()

    def finish(self, task: Any) -> None:
        """The epoch's output already shows its final numbers: forget the task."""
        self.progress.remove_task(task)

    def start(self) -> None:
        pass  # nothing live to start or stop: each update is sent as it comes

    def stop(self) -> None:
        pass


class _TerminalLines:
    """The bar in a terminal (or a file): rich's live display holds only the running epoch's
    task; a finished epoch's row is printed once above it, as static text, and its task removed.

    So each refresh redraws one row, whatever the number of epochs (rich redraws every task it
    holds: keeping the finished ones made 1000 epochs take over ten minutes).
    """

    def __init__(self, console: Any) -> None:
        self.progress = _progress(console)
        self.console = console

    def add_task(self, description: str, total: int, numbers: str) -> Any:
        return self.progress.add_task(description, total=total, numbers=numbers)

    def update(self, task: Any, completed: int, numbers: str) -> None:
        self.progress.update(task, completed=completed, numbers=numbers)

    def finish(self, task: Any) -> None:
        """Print the finished epoch's row above the live display, then drop its task."""
        row = self.progress.make_tasks_table(_row(self.progress, task))
        self.progress.remove_task(task)
        self.progress.refresh()  # the live display empty first: no stale copy of the row below it
        self.console.print(row)

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        """Stop the live display; when every epoch finished it is empty, so clear it (transient)
        rather than leave a blank line (Progress.stop would add one to a file); an epoch stopped
        part-way stays on screen as it was."""
        if self.progress.tasks:
            self.progress.stop()
        else:
            self.progress.live.transient = True
            self.progress.live.stop()


class ProgressBar(Callback):
    """``fit(verbose=1)``: a live bar per epoch (rich), counting samples, with the ETA and the
    running loss and metrics; each finished epoch stays as one line with its final numbers,
    printed once above the live bar (which holds the running epoch only).

    Every batch adds its loss and metrics (times its size) to the epoch's sums, but the running
    means are formatted and handed to rich at most ``REFRESH_PER_SECOND`` times a second, as
    often as rich redraws: with small, fast batches most batches skip the formatting.
    ``on_epoch_end`` always sends the final numbers, so the line that stays is exact.

    In a Jupyter notebook (and no ``stream`` given) the same line is a display output per epoch,
    updated in place, since rich's live bar there needs ipywidgets.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self.stream is None and in_jupyter():
            self.progress = _NotebookLines()
        else:
            from rich.console import Console

            # force_jupyter=False: a stream given (or stdout redirected) inside a notebook gets
            # the text, not a live widget that needs ipywidgets; in a terminal it changes nothing
            console = Console(file=self.stream or sys.stdout, highlight=False, force_jupyter=False)
            if not console.is_terminal:  # a log file or pipe: no width to fit, keep every number
                console.width = 200
            self.progress = _TerminalLines(console)
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
        self.progress.finish(self.task)
        self.behind = False

    def on_train_end(self, logs: Logs | None = None) -> None:
        self.progress.stop()

    def on_train_abort(self) -> None:
        if getattr(self, "behind", False):
            self._show_running()  # the last batches were not sent yet: show where it stopped
        self.progress.stop()
