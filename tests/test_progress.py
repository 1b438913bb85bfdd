"""fit(verbose=1)'s bar costs the same per epoch however many epochs came before.

The bar kept every finished epoch as a task of rich's live display, and every refresh redrew them
all: XOR for 1000 epochs took over ten minutes in a terminal. Now a finished epoch's line is
printed once above the live display and its task removed. These tests count rows and writes, not
seconds (the timings are in the engineer's report: 1000 epochs in about 3 s under a pty).
"""

from __future__ import annotations

import io
import re

import pytest

from glassnet.callbacks import Callback
from glassnet.progress import ProgressBar
from glassnet.seed import XOR_X, XOR_Y, seed_network

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal(io.StringIO):
    """A stream rich takes for a terminal: it gets the live display's cursor moves."""

    def isatty(self) -> bool:
        return True


class LiveRows(Callback):
    """After each epoch, how many rows the bar's live display would draw now."""

    def __init__(self, bar: ProgressBar) -> None:
        super().__init__()
        self.bar = bar
        self.rows: list[int] = []

    def on_epoch_end(self, epoch, logs=None) -> None:
        progress = getattr(self.bar.progress, "progress", self.bar.progress)  # rich's Progress
        self.rows.append(len(progress.tasks))


def test_the_live_display_holds_one_epoch_however_many_have_finished() -> None:
    bar = ProgressBar(stream=Terminal())
    rows = LiveRows(bar)
    seed_network().fit(XOR_X, XOR_Y, epochs=60, verbose=0, callbacks=[bar, rows])
    assert rows.rows == [0] * 60  # the old bar held 1, 2, ..., 60 rows, each redrawn


def test_a_finished_epoch_is_written_once_and_never_redrawn() -> None:
    stream = Terminal()
    seed_network().fit(XOR_X, XOR_Y, epochs=60, verbose=0, callbacks=[ProgressBar(stream=stream)])
    text = ANSI.sub("", stream.getvalue())
    # each epoch is drawn while it runs and printed once when done, and never again once the
    # epoch after the next begins (the old live display redrew every finished epoch at each
    # refresh); this holds however often rich refreshes, so it does not depend on timing
    for k in range(1, 59):
        assert text.rindex(f"Epoch {k}/60 ") < text.index(f"Epoch {k + 2}/60 "), k
    finals = [line for line in text.replace("\r", "\n").split("\n") if "4/4 samples" in line]
    assert [line.split(" ")[1] for line in finals] == [f"{k}/60" for k in range(1, 61)]
    assert all(re.search(r"loss: \d\.\d{4}$", line.rstrip()) for line in finals)


def test_a_log_file_gets_one_line_per_epoch_and_nothing_else() -> None:
    stream = io.StringIO()
    seed_network().fit(XOR_X, XOR_Y, epochs=3, verbose=0, callbacks=[ProgressBar(stream=stream)])
    lines = stream.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) == 4  # three lines, no blank line after them
    for k, line in enumerate(lines[:3], start=1):
        assert line.startswith(f"Epoch {k}/3 ") and " 4/4 samples " in line and "loss: " in line


class Stop(Callback):
    """Ctrl-C after the first batch."""

    def on_train_batch_end(self, batch, logs=None) -> None:
        raise KeyboardInterrupt


def test_an_epoch_stopped_part_way_stays_on_screen() -> None:
    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        seed_network().fit(
            XOR_X, XOR_Y, epochs=3, batch_size=2, verbose=0, callbacks=[ProgressBar(stream), Stop()]
        )
    text = stream.getvalue()
    assert text.startswith("Epoch 1/3 ") and " 2/4 samples " in text and "loss: " in text
