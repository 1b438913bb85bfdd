"""Narrators: a training step's trace told in words, at three levels, in three formats.

``narrate(trace, level, format)`` is a pure function of a ``glassnet.trace.Trace``: every number it
prints is one the engine computed in that step. Levels: ``"kid"`` (plain words, small numbers,
one example followed through), ``"student"`` (each equation with its shapes and numbers plugged
in, the chain rule factor by factor), ``"expert"`` (every quantity, compact). Formats: ``"text"``
(plain; ``glassnet explain`` colours it with rich in a terminal), ``"md"`` and ``"html"`` (a whole
offline page, or with ``standalone=False`` a fragment to embed).

>>> from glassnet.seed import XOR_X, XOR_Y, seed_network
>>> from glassnet.trace import trace_step
>>> text = narrate(trace_step(seed_network(), XOR_X, XOR_Y), level="kid")
>>> "the network guessed 0.758 but the answer was 0; it was 0.758 too high" in text
True
"""

from __future__ import annotations

from numbers import Integral

from glassnet.explain.common import check_example, check_first_example, is_seed
from glassnet.explain.document import WIDTH, Document, print_rich, to_html, to_markdown, to_text
from glassnet.explain.expert import narrate_expert
from glassnet.explain.images import check_focus, is_image_trace, make_focus
from glassnet.explain.kid import narrate_kid
from glassnet.explain.student import narrate_student
from glassnet.trace import Trace

LEVELS = ("kid", "student", "expert")
FORMATS = ("text", "md", "html")

__all__ = ["FORMATS", "LEVELS", "document", "narrate", "print_rich"]


def document(
    trace: Trace,
    level: str = "kid",
    example: int | None = None,
    first_example: int = 0,
    channel: int | None = None,
    position: tuple[int, int] | None = None,
) -> Document:
    """The narration as blocks (what ``narrate`` renders); ``example`` is a row of the batch,
    numbered from 0 as NumPy numbers rows, and the narration calls it "example
    first_example + example" (``first_example``, ``channel``, ``position``: see ``narrate``)."""
    if not isinstance(trace, Trace):
        raise TypeError(
            f"Expected a glassnet.trace.Trace, got {type(trace).__name__}. Make one with "
            f"model.trace_step(x, y)."
        )
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; expected one of {', '.join(LEVELS)}.")
    check_example(trace, example)
    check_first_example(first_example)
    focus = None
    if is_image_trace(trace):  # one example, one channel, one position: never a whole tensor
        example = 0 if example is None else example
        focus = make_focus(trace, example, channel, position)
    elif channel is not None or position is not None:
        check_focus(trace, channel, position)  # the error: no image layer to pick a spot of
    if level == "kid":
        return narrate_kid(trace, example, first_example, focus=focus)
    notebook = is_seed(trace)
    if level == "student":
        return narrate_student(trace, example, notebook, first=first_example, focus=focus)
    return narrate_expert(trace, example, notebook, first=first_example, focus=focus)


def narrate(
    trace: Trace,
    level: str = "kid",
    format: str = "text",
    example: int | None = None,
    standalone: bool = True,
    first_example: int = 0,
    channel: int | None = None,
    position: tuple[int, int] | None = None,
    width: int | None = WIDTH,
) -> str:
    """One training step in words.

    ``level``: "kid", "student" or "expert". ``format``: "text", "md" or "html" (``standalone``
    False gives an HTML fragment, a <section> with its own scoped style). ``example``: the row of
    the batch to follow, numbered from 0 as NumPy numbers rows; the narration calls it "example
    K" with the same K (the kid's level follows example 0 when none is given).
    ``first_example``: the number the batch's first row has in the reader's data, when the trace
    was taken on a slice of it: a step traced on ``x[5:6]`` narrated with ``first_example=5``
    calls its one row "example 5" (the playground's step-through does this); subscripts such as
    ``delta2[0,0]`` keep indexing the traced batch.

    An image network is told through one example (``example``, default 0), one ``channel`` and
    one ``position`` (y, x), both counted on the output grid of its first Conv2D (else its first
    image-shaped output); each image layer shows the same spot scaled to its own grid, its
    tensors as small crops with their shape, and its worked numbers: one convolution output as
    its sum, one kernel-gradient entry, one input-gradient pixel, one pooling window. By default
    the channel is 0 and the position is where that channel's output is largest in size.

    ``width``: text and Markdown lines wrap at this many characters (default 100): long
    sentences wrap at spaces, long equations break before an operator, wide matrix rows go on
    under their first number; None keeps each paragraph on one line (for a program to read).
    At the default every line fits; below about 70, a table's rules and a few headings, which
    cannot break, may run a little past ``width``.
    """
    check_options(level, format, width)
    doc = document(trace, level, example, first_example, channel, position)
    width = None if width is None else int(width)
    if format == "md":
        return to_markdown(doc, width)
    if format == "html":
        return to_html(doc, standalone=standalone)
    return to_text(doc, width)


def check_options(level: object, format: object, width: object) -> None:
    """``narrate``'s level, format and width checks, which ``model.explain`` also runs before
    its ``step`` training steps (so a typo never leaves the model trained and nothing told)."""
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; expected one of {', '.join(LEVELS)}.")
    if format not in FORMATS:
        raise ValueError(f"Unknown format {format!r}; expected one of {', '.join(FORMATS)}.")
    if width is not None and (isinstance(width, bool) or not isinstance(width, Integral)):
        raise TypeError(
            f"Expected width to be a whole number of characters or None, got "
            f"{type(width).__name__}. Use width=100 (the default) or width=None."
        )
    if width is not None and not 40 <= width <= 10_000:  # a NumPy integer too
        raise ValueError(
            f"Expected width to be a whole number of characters in [40, 10000] or None, got "
            f"{width!r:.40}. Use width=100 (the default) or width=None for unwrapped lines."
        )
