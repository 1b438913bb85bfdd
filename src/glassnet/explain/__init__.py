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

from glassnet.explain.common import check_example, is_seed
from glassnet.explain.document import Document, print_rich, to_html, to_markdown, to_text
from glassnet.explain.expert import narrate_expert
from glassnet.explain.kid import narrate_kid
from glassnet.explain.student import narrate_student
from glassnet.trace import Trace

LEVELS = ("kid", "student", "expert")
FORMATS = ("text", "md", "html")

__all__ = ["FORMATS", "LEVELS", "document", "narrate", "print_rich"]


def document(trace: Trace, level: str = "kid", example: int | None = None) -> Document:
    """The narration as blocks (what ``narrate`` renders); ``example`` is a row of the batch,
    numbered from 0 as NumPy numbers rows, and the narration calls it by that number."""
    if not isinstance(trace, Trace):
        raise TypeError(
            f"Expected a glassnet.trace.Trace, got {type(trace).__name__}. Make one with "
            f"model.trace_step(x, y)."
        )
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; expected one of {', '.join(LEVELS)}.")
    check_example(trace, example)
    if level == "kid":
        return narrate_kid(trace, example)
    if level == "student":
        return narrate_student(trace, example, notebook=is_seed(trace))
    return narrate_expert(trace, example, notebook=is_seed(trace))


def narrate(
    trace: Trace,
    level: str = "kid",
    format: str = "text",
    example: int | None = None,
    standalone: bool = True,
) -> str:
    """One training step in words.

    ``level``: "kid", "student" or "expert". ``format``: "text", "md" or "html" (``standalone``
    False gives an HTML fragment, a <section> with its own scoped style). ``example``: the row of
    the batch to follow, numbered from 0 as NumPy numbers rows; the narration calls it "example
    K" with the same K (the kid's level follows example 0 when none is given).
    """
    if format not in FORMATS:
        raise ValueError(f"Unknown format {format!r}; expected one of {', '.join(FORMATS)}.")
    doc = document(trace, level, example)
    if format == "md":
        return to_markdown(doc)
    if format == "html":
        return to_html(doc, standalone=standalone)
    return to_text(doc)
