r"""Reading CSV files safely: ``load_csv`` (features and a target) and ``load_csv_features``.

Every mistake in a file is reported with the file, the line and the column, and the fix: a missing
column, a non-numeric cell, a ragged row, an empty file, a directory, a binary file, repeated
column names. ``glassnet.datasets`` re-exports both readers.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "fruit.csv")
>>> _ = open(path, "w").write("sweetness,size,fruit\n0.9,3,apple\n0.2,5,lemon\n")
>>> x, y = load_csv(path, target="fruit")
>>> x.tolist(), y.tolist()
([[0.9, 3.0], [0.2, 5.0]], [0, 1])
"""

from __future__ import annotations

import csv
import math
import numbers
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

Features = NDArray[np.float64]


def load_csv(
    path: str | Path, target: str | int = -1, header: bool | None = None
) -> tuple[Features, NDArray[Any]]:
    """Read a numeric CSV file into ``(x, y)``: ``y`` is the ``target`` column, ``x`` the rest.

    ``target`` is a column name (needs a header row) or a position (``-1``, the last, by
    default). ``header`` None guesses: the first row is a header when any cell in it is not a
    number. ``y`` is int64 when every target value is a whole number (class labels), float64
    otherwise; a text target column is encoded as 0, 1, ... in sorted order of its values.
    """
    names, numbered = _read_table(path, header)
    lines = [number for number, _ in numbered]
    rows = [row for _, row in numbered]
    index = _target_index(path, names, target)
    feature_columns = [i for i in range(len(names)) if i != index]
    if not feature_columns:
        raise ValueError(
            f"{path} has only one column ({names[index]!r}), the target; a CSV to learn from "
            f"needs at least one feature column besides the target."
        )
    x = np.empty((len(rows), len(feature_columns)), dtype=np.float64)
    for r, row in enumerate(rows):
        for c, column in enumerate(feature_columns):
            x[r, c] = _number(row[column], path, lines[r], names[column])
    y = _target_values([row[index] for row in rows], path, lines, names[index])
    return x, y


def load_csv_features(path: str | Path, header: bool | None = None) -> Features:
    """Read a numeric CSV file whose every column is a feature (no target), e.g. the rows to give
    ``model.predict``: x of shape (n_rows, n_columns), with the same errors as ``load_csv``."""
    names, numbered = _read_table(path, header)
    x = np.empty((len(numbered), len(names)), dtype=np.float64)
    for r, (line, row) in enumerate(numbered):
        for c, cell in enumerate(row):
            x[r, c] = _number(cell, path, line, names[c])
    return x


def _read_table(
    path: str | Path, header: bool | None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Column names and the data rows as (line number in the file, cells as text)."""
    if not isinstance(path, str | Path):
        raise TypeError(
            f"Expected path to be a CSV file's path (a str or pathlib.Path), got "
            f"{type(path).__name__} {path!r}."
        )
    file = Path(path)
    if file.is_dir():
        raise ValueError(f"{path} is a directory; expected a CSV file, e.g. {file / 'data.csv'}.")
    if not file.exists():
        raise FileNotFoundError(f"No such CSV file: {path}. Check the path and the spelling.")
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            lines = [(n, row) for n, row in enumerate(csv.reader(handle), start=1) if row]
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a UTF-8 text file; expected a CSV file.") from None
    except csv.Error as error:
        raise ValueError(f"{path} is not a valid CSV file: {error}.") from None
    lines = [(n, row) for n, row in lines if any(cell.strip() for cell in row)]
    for number, row in lines:
        if any("\x00" in cell for cell in row):
            raise ValueError(
                f"{path}, line {number} holds a NUL byte; expected a text CSV file. Is it a "
                f"binary file (a spreadsheet, an archive)? Export it as CSV first."
            )
    if not lines:
        raise ValueError(f"{path} is empty; expected a header row and rows of numbers.")
    if header is None:
        header = any(not is_number(cell) for cell in lines[0][1])
    names = (
        [c.strip() for c in lines[0][1]] if header else [str(i) for i in range(len(lines[0][1]))]
    )
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if header and duplicated:
        raise ValueError(
            f"{path} has more than one column named {', '.join(map(repr, duplicated))}; every "
            f"column needs its own name. Rename the repeated columns in the header row."
        )
    body = lines[1:] if header else lines
    if not body:
        raise ValueError(f"{path} has a header row but no data rows.")
    for number, row in body:
        if len(row) != len(names):
            raise ValueError(
                f"{path}, line {number} has {len(row)} cells but the "
                f"{'header' if header else 'first row'} has {len(names)}. Every row needs one cell "
                f"per column; check for a missing or extra comma."
            )
    return names, body


def is_number(cell: str) -> bool:
    """True when a CSV cell reads as a number (``float(cell)`` accepts it)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _target_index(path: str | Path, names: list[str], target: str | int) -> int:
    if isinstance(target, bool) or not isinstance(target, str | numbers.Integral):
        raise TypeError(
            f"Expected target to be a column name or position, got {target!r}. Use e.g. "
            f"target='label', or target=-1 for the last column."
        )
    if isinstance(target, str):
        if target not in names:
            raise ValueError(
                f"{path} has no column {target!r}; its columns are: "
                f"{', '.join(repr(n) for n in names)}. Pass target= one of those."
            )
        return names.index(target)
    if not -len(names) <= target < len(names):
        raise ValueError(
            f"target={target} is out of range: {path} has {len(names)} columns "
            f"(positions 0 to {len(names) - 1}, or -1 for the last)."
        )
    return int(target) % len(names)


def _number(cell: str, path: str | Path, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        shown = "an empty cell" if not cell.strip() else f"{cell!r}"
        raise ValueError(
            f"{path}, line {line}, column {column!r}: {shown} is not a number. Every feature "
            f"must be numeric; encode text as numbers or fill in missing values first."
        ) from None
    if not math.isfinite(value):
        raise ValueError(
            f"{path}, line {line}, column {column!r}: {cell!r} is not a finite number. Remove "
            f"or impute NaN and infinite values first."
        )
    return value


def _target_values(cells: list[str], path: str | Path, lines: list[int], column: str) -> Any:
    try:
        values = np.array([float(cell) for cell in cells], dtype=np.float64)
    except ValueError:
        if any(not cell.strip() for cell in cells):
            line = lines[next(i for i, cell in enumerate(cells) if not cell.strip())]
            raise ValueError(
                f"{path}, line {line}, column {column!r}: the target is empty. Fill in or drop "
                f"rows without a target."
            ) from None
        return np.unique(np.array(cells), return_inverse=True)[1].astype(np.int64)
    if not np.all(np.isfinite(values)):
        line = lines[int(np.flatnonzero(~np.isfinite(values))[0])]
        raise ValueError(f"{path}, line {line}, column {column!r}: the target is not finite.")
    if np.all(values % 1 == 0):
        return values.astype(np.int64)
    return values
