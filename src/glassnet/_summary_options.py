"""``summary()``'s Keras 3 arguments, checked: the table's width, where its columns end, the
"Trainable" column and which layers to show.

``summary(line_length=None, positions=None, print_fn=None, expand_nested=False,
show_trainable=False, layer_range=None)``, in Keras's order. What glassnet chose where Keras's
rich table and glassnet's plain one differ:

- ``line_length`` is the table's width in characters, 20 to 10,000; a cell too long for its
  column wraps onto the next lines (Keras's do too), so nothing is cut. Without ``positions`` the
  columns end at Keras's fractions of it, 0.45, 0.84 and 1.0 (and 11 characters more for the
  "Trainable" column, as Keras adds).
- ``positions`` are where the columns end: fractions of ``line_length`` when the last is at most
  1 (of the natural width when there is no ``line_length``), else characters, as Keras reads
  them. Each column gets at least 3 characters (one for text, two between columns).
- ``layer_range=(first, last)``: from the first layer whose name starts with ``first`` to the
  last whose name starts with ``last`` (both kept; reversed bounds are swapped, as Keras's).
  Keras matches the two as regular expressions (``re.match``); glassnet as plain text, so a
  pattern such as ``"(a+)+$"`` cannot stall it. A plain name matches the same layers in both.

>>> summary_options(80, None, None, False, True, ("dense", "dense_1")).show_trainable
True
>>> layer_bounds(["dense", "dropout", "dense_1"], ("dro", "dense_1"))
(1, 3)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet._validation import shown

#: where Keras 3 ends a Sequential summary's three columns, as fractions of the line length
KERAS_POSITIONS = (0.45, 0.84, 1.0)
TRAINABLE_WIDTH = 11  # the characters Keras adds for the "Trainable" column
MIN_LINE, MAX_LINE = 20, 10_000


@dataclass(frozen=True)
class SummaryOptions:
    line_length: int | None
    positions: tuple[float, ...] | None
    print_fn: Any
    show_trainable: bool
    layer_range: tuple[str, str] | None


def summary_options(
    line_length: Any,
    positions: Any,
    print_fn: Any,
    expand_nested: Any,
    show_trainable: Any,
    layer_range: Any,
) -> SummaryOptions:
    """Each argument checked, with an error naming what was expected, what came and the fix."""
    if line_length is not None:
        if isinstance(line_length, bool | np.bool_) or not isinstance(
            line_length, int | np.integer
        ):
            raise TypeError(
                f"Expected line_length to be a whole number of characters (or None), got "
                f"{type(line_length).__name__} {shown(line_length, 20)}. E.g. "
                f"summary(line_length=100)."
            )
        line_length = int(line_length)  # a NumPy integer too
        if not MIN_LINE <= line_length <= MAX_LINE:
            raise ValueError(
                f"Expected line_length between {MIN_LINE} and {MAX_LINE:,} characters, got "
                f"{shown(line_length, 20)}. E.g. summary(line_length=100)."
            )
    if print_fn is not None and not callable(print_fn):
        raise TypeError(
            f"Expected print_fn to be a function that takes the text, such as print, got "
            f"{type(print_fn).__name__} {shown(print_fn, 20)}. Pass print_fn=... by name "
            f"(Keras's summary takes line_length and positions first)."
        )
    for name, value in (("expand_nested", expand_nested), ("show_trainable", show_trainable)):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(
                f"Expected {name} to be True or False, got {type(value).__name__} "
                f"{shown(value, 20)}."
            )
    return SummaryOptions(
        line_length,
        _positions(positions),
        print_fn,
        bool(show_trainable),
        _layer_range(layer_range),
    )


def _positions(positions: Any) -> tuple[float, ...] | None:
    if positions is None:
        return None
    if isinstance(positions, np.ndarray) and positions.ndim == 1:
        positions = positions.tolist()  # NumPy's numbers as Python's
    if isinstance(positions, str) or not isinstance(positions, Sequence):
        raise TypeError(
            f"Expected positions to be a list of where each column ends, got "
            f"{type(positions).__name__} {shown(positions, 30)}. E.g. positions=[0.5, 0.8, 1.0] "
            f"(fractions of line_length) or [40, 65, 80] (characters)."
        )
    values = []
    for value in positions:
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating
        ):
            raise TypeError(
                f"Expected positions to hold numbers, got {type(value).__name__} "
                f"{shown(value, 20)} in {shown(positions, 40)}. E.g. positions=[0.5, 0.8, 1.0]."
            )
        if not 0 < value <= MAX_LINE:  # (False for NaN; no float() of a huge int)
            raise ValueError(
                f"Expected each position to be above 0 and at most {MAX_LINE:,}, got "
                f"{shown(value, 20)} in {shown(positions, 40)}. E.g. positions=[0.5, 0.8, 1.0]."
            )
        values.append(float(value))
    if len(values) not in (3, 4) or any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(
            f"Expected positions to be 3 increasing numbers (4 with show_trainable=True: the "
            f"Trainable column's end), one per column, got {shown(positions, 40)}. E.g. "
            f"positions=[0.5, 0.8, 1.0]."
        )
    return tuple(values)


def _layer_range(layer_range: Any) -> tuple[str, str] | None:
    if layer_range is None:
        return None
    if (
        isinstance(layer_range, str)
        or not isinstance(layer_range, Sequence)
        or len(layer_range) != 2
        or not all(isinstance(end, str) for end in layer_range)
    ):
        raise ValueError(
            f"Expected layer_range to be a list of 2 layer names, the first and the last layer "
            f"to show, got {type(layer_range).__name__} {shown(layer_range, 40)}. E.g. "
            f'layer_range=["dense", "dense_2"].'
        )
    return layer_range[0], layer_range[1]


def layer_bounds(names: Sequence[str], layer_range: tuple[str, str] | None) -> tuple[int, int]:
    """(start, stop) of the layers ``layer_range`` shows among ``names`` (all when None): Keras's
    index rule, with each name matched by its start (``str.startswith``)."""
    if layer_range is None:
        return 0, len(names)
    first, last = layer_range
    lower = [i for i, name in enumerate(names) if name.startswith(first)]
    upper = [i for i, name in enumerate(names) if name.startswith(last)]
    if not lower or not upper:
        missing = first if not lower else last
        raise ValueError(
            f"layer_range {shown(list(layer_range), 60)}: no layer's name starts with "
            f"{shown(missing, 40)}; the layers are {shown(list(names), 200)}. glassnet matches "
            f"the names as plain text from their start (Keras: as regular expressions)."
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def column_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    line_length: int | None,
    positions: tuple[float, ...] | None,
) -> list[int]:
    """Each column's width in characters (2 of them the gap before the next column)."""
    natural = [max([len(h)] + [len(r[i]) for r in rows]) + 2 for i, h in enumerate(header)]
    if line_length is None and positions is None:
        return natural
    trainable = len(header) == 4
    if positions is None:
        positions = KERAS_POSITIONS
    if positions[-1] <= 1:  # fractions of the table's width (less the Trainable column's)
        total = line_length if line_length is not None else sum(natural[:3])
        ends = [round(p * total) for p in positions]
    else:
        ends = [round(p) for p in positions]
    if trainable and len(ends) == 3:
        ends.append(ends[-1] + TRAINABLE_WIDTH)
    if len(ends) != len(header):
        raise ValueError(
            f"Expected 3 positions (the Trainable column's end comes by itself) without "
            f"show_trainable, got {len(ends)}: {positions}."
        )
    widths = [end - start for start, end in itertools.pairwise([0, *ends])]
    if min(widths) < 3:
        column = header[widths.index(min(widths))]
        raise ValueError(
            f"The summary's column {column!r} would be {min(widths)} characters wide (positions "
            f"end at {ends}); each needs at least 3. Give a longer line_length or positions "
            f"further apart."
        )
    return widths
