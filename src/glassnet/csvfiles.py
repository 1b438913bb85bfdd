r"""Reading CSV files safely: ``load_csv`` (features and a target) and ``load_csv_features``.

Every mistake in a file is reported with the file, the line and the column, and the fix: a missing
column, a non-numeric cell, a ragged row, an empty file, a directory, a binary file, repeated
column names. Lines and columns count from 1, as a text editor or a spreadsheet shows them (line
1 is the header row when there is one); a column with a name is called by it.
``glassnet.datasets`` re-exports both readers. ``load_csv_for_model`` reads either kind of file
for a model's inputs, as ``glassnet predict`` takes them.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "fruit.csv")
>>> _ = open(path, "w").write("sweetness,size,fruit\n0.9,3,apple\n0.2,5,lemon\n")
>>> x, y = load_csv(path, target="fruit")
>>> x.tolist(), y.tolist()
([[0.9, 3.0], [0.2, 5.0]], [0, 1])
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._files import open_without_waiting
from glassnet._validation import shown, shown_path
from glassnet.initializers import check_allocation

Features = NDArray[np.float64]


def load_csv(
    path: str | Path, target: str | int = -1, header: bool | None = None
) -> tuple[Features, NDArray[Any]]:
    """Read a numeric CSV file into ``(x, y)``: ``y`` is the ``target`` column, ``x`` the rest.

    ``target`` is a column name (needs a header row) or a position (``-1``, the last, by
    default). ``header`` None guesses: the first row is a header when any cell in it is not a
    number. ``y`` is int64 when every target value is a whole number of at most 2**53 in size
    (class labels; larger ones stay float64, never wrap around), float64 otherwise; a text target
    column is encoded as 0, 1, ... in sorted order of its values (a column mixing numbers and
    text is refused: a typo, not a class).
    """
    table = _table(_file_lines(path), path, target, header)
    return table.x, table.y


@dataclass
class CsvTable:
    """A CSV read into arrays, with what a display needs besides them."""

    x: Features  # (n_rows, n_features)
    y: NDArray[Any]  # (n_rows,): int64 labels, or float64 values
    feature_names: list[str]  # from the header row; "0", "1", ... without one
    has_header: bool
    classes: list[str] | None  # a text target's values, in label order; None for numbers


def read_csv_text(
    text: str, name: str, target: str | int = -1, header: bool | None = None
) -> CsvTable:
    """``load_csv`` for CSV text already in memory (an upload): errors name it ``name``."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as error:
        raise ValueError(f"{name} is not a valid CSV file: {error}.") from None
    return _table(_numbered(rows, name), name, target, header)


def _table(
    lines: list[tuple[int, list[str]]], path: str | Path, target: str | int, header: bool | None
) -> CsvTable:
    names, numbered, has_header = _header_and_body(lines, path, header)
    index = _target_index(path, names, target)
    feature_columns = _feature_columns(path, names, index)
    x = _features(numbered, path, names, feature_columns)
    y, classes = _target_values(
        [row[index] for _, row in numbered], path, [n for n, _ in numbered], names, index
    )
    return CsvTable(x, y, [names[i] for i in feature_columns], has_header, classes)


def load_csv_features(path: str | Path, header: bool | None = None) -> Features:
    """Read a numeric CSV file whose every column is a feature (no target), e.g. the rows to give
    ``model.predict``: x of shape (n_rows, n_columns), with the same errors as ``load_csv``."""
    names, numbered, _ = _header_and_body(_file_lines(path), path, header)
    return _features(numbered, path, names, range(len(names)))


def load_csv_for_model(path: str | Path, features: int) -> tuple[Features, NDArray[Any] | None]:
    """Read the rows to give a model with ``features`` inputs: ``(x, None)`` from a CSV of
    ``features`` numeric columns, or ``(x, y)`` from one with a target column after them (as
    ``load_csv`` reads it, e.g. the file the model was trained on). The file is read once.

    x is (n_rows, features); y is (n_rows,), as ``load_csv`` gives it. When neither reading
    fits, the error is the one ``load_csv_features`` gives (or a column-count mismatch).
    """
    lines = _file_lines(path)
    names, numbered, _ = _header_and_body(lines, path, None)
    if len(names) not in (features, features + 1):  # said before reading a single number
        raise ValueError(
            f"{shown_path(path)} has {len(names)} columns, but the model takes {features} "
            f"inputs. Give "
            f"{features} feature columns (optionally followed by a target column)."
        )
    try:
        x = _features(numbered, path, names, range(len(names)))
    except ValueError as error:  # perhaps features and a text target column (e.g. "apple")
        try:
            table = _table(lines, path, -1, None)
        except ValueError as target_error:
            if len(names) == features + 1 and _readable(numbered, path, names, features):
                raise target_error from None  # the bad cell is a target: say so, not "feature"
            raise error from None
        if table.x.shape[1] != features:
            raise
        return table.x, table.y
    if len(names) == features + 1:  # features and a target column, as glassnet train reads
        index = len(names) - 1
        _feature_columns(path, names, index)  # a lone column cannot be features and a target
        # every cell is already a finite number: the target is the last column, as load_csv has it
        y, _ = _target_values(
            [row[index] for _, row in numbered], path, [n for n, _ in numbered], names, index
        )
        return x[:, :index].copy(), y
    return x, None


def _readable(
    numbered: list[tuple[int, list[str]]], path: str | Path, names: list[str], features: int
) -> bool:
    """True when the first ``features`` columns are all finite numbers."""
    try:
        _features(numbered, path, names, list(range(features)))
    except ValueError:
        return False
    return True


def _feature_columns(path: str | Path, names: list[str], index: int) -> list[int]:
    """The positions of every column but the target's (at ``index``); at least one is needed."""
    feature_columns = [i for i in range(len(names)) if i != index]
    if not feature_columns:
        raise ValueError(
            f"{shown_path(path)} has only one column ({shown(names[index])}), the target; a "
            f"CSV to learn from "
            f"needs at least one feature column besides the target."
        )
    return feature_columns


def _features(
    numbered: list[tuple[int, list[str]]],
    path: str | Path,
    names: list[str],
    columns: Sequence[int],
) -> Features:
    """x (n_rows, len(columns)) from those columns of the data rows (line number, cells), read
    row by row, so the error names the first bad cell in reading order.

    Linear in the number of cells: each row is converted in one pass, and only a row that holds
    a bad cell is read again cell by cell (with the column's label, worked out once) to name it.
    """
    x = np.empty((len(numbered), len(columns)), dtype=np.float64)
    every = isinstance(columns, range) and columns == range(len(names))
    label = _labeller(names)
    for r, (line, row) in enumerate(numbered):
        cells = row if every else [row[column] for column in columns]
        try:
            x[r] = [float(cell) for cell in cells]
        except ValueError:
            pass  # a cell is not a number: found and named below
        else:
            if np.isfinite(x[r]).all() and "_" not in "".join(cells):
                continue
        for cell, column in zip(cells, columns, strict=True):
            _number(cell, path, line, label(column))
    return x


def _labeller(names: list[str]) -> Any:
    """``column_label`` for ``names`` as a function of the index, the header check done once."""
    if names == [str(i) for i in range(len(names))]:
        return lambda index: f"column {index + 1}"
    return lambda index: f"column {shown(names[index])}"


def column_label(names: list[str], index: int) -> str:
    """How a message names column ``index`` (from 0): "column 'age'" by its header name, or
    "column 3" counted from 1 as a spreadsheet shows it when the file has no header row (its
    names are then "0", "1", ...)."""
    return _labeller(names)(index)


def _file_lines(path: str | Path) -> list[tuple[int, list[str]]]:
    """The file's non-blank rows as (line number, cells), or a clear error for a bad path."""
    if not isinstance(path, str | Path):
        raise TypeError(
            f"Expected path to be a CSV file's path (a str or pathlib.Path), got "
            f"{type(path).__name__} {shown(path)}."
        )
    file = Path(path)
    try:
        file.stat()
    except FileNotFoundError:
        pass  # said below
    except OSError as error:  # a name too long, a loop of links: said with the path cut short
        raise OSError(
            error.errno, f"Cannot read the CSV file {shown_path(path)}: {error.strerror}"
        ) from None
    if file.is_dir():
        raise ValueError(
            f"{shown_path(path)} is a directory; expected a CSV file, e.g. "
            f"{shown_path(file / 'data.csv')}."
        )
    if not file.exists():
        raise FileNotFoundError(
            f"No such CSV file: {shown_path(path)}. Check the path and the spelling."
        )

    def refuse(kind: str = "") -> None:  # a FIFO without a writer would wait for ever
        raise ValueError(
            f"{shown_path(path)} is not a regular file (a FIFO, socket or device); expected a "
            f"CSV file. "
            f"Save the data to a file first."
        )

    if not file.is_file():
        refuse()
    # the rows are held as Python strings while they are read: about 8 bytes per byte of file
    size = file.stat().st_size
    check_allocation(8 * size, f"reading {shown_path(path)} ({size:,} bytes)")
    try:
        raw = open_without_waiting(file, refuse)  # and checked again once open (a swap)
        with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as handle:
            return _numbered(csv.reader(handle), path)
    except UnicodeDecodeError:
        raise ValueError(
            f"{shown_path(path)} is not a UTF-8 text file; expected a CSV file."
        ) from None
    except csv.Error as error:
        raise ValueError(f"{shown_path(path)} is not a valid CSV file: {error}.") from None


def _numbered(rows: Iterable[list[str]], path: str | Path) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every row with a non-blank cell; NUL bytes refused."""
    lines = [(n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    for number, row in lines:
        if any("\x00" in cell for cell in row):
            raise ValueError(
                f"{shown_path(path)}, line {number} holds a NUL byte; expected a text CSV file. "
                f"Is it a "
                f"binary file (a spreadsheet, an archive)? Export it as CSV first."
            )
    return lines


def _header_and_body(
    lines: list[tuple[int, list[str]]], path: str | Path, header: bool | None
) -> tuple[list[str], list[tuple[int, list[str]]], bool]:
    """Column names, the data rows as (line number, cells), and whether row 1 was a header."""
    if not lines:
        raise ValueError(f"{shown_path(path)} is empty; expected a header row and rows of numbers.")
    if header is None:
        header = any(not is_number(cell) for cell in lines[0][1])
    names = (
        [c.strip() for c in lines[0][1]] if header else [str(i) for i in range(len(lines[0][1]))]
    )
    counts = Counter(names)  # linear: a header of 100,000 names takes milliseconds
    duplicated = sorted(name for name, count in counts.items() if count > 1)
    if header and duplicated:
        raise ValueError(
            f"{shown_path(path)} has more than one column named {_listed(duplicated)}; every "
            f"column needs its own name. Rename the repeated columns in the header row."
        )
    body = lines[1:] if header else lines
    if not body:
        _no_data_rows(path, lines[0])
    for number, row in body:
        if len(row) != len(names):
            raise ValueError(
                f"{shown_path(path)}, line {number} has {len(row)} cells but the "
                f"{'header' if header else 'first row'} has {len(names)}. Every row needs one cell "
                f"per column; check for a missing or extra comma."
            )
    return names, body, header


def _no_data_rows(path: str | Path, first: tuple[int, list[str]]) -> None:
    """The error for a file whose only row was read as a header: when some of its cells are
    numbers, it was probably data with a bad cell, so name that cell."""
    line, cells = first
    texts = [i for i, cell in enumerate(cells) if not is_number(cell)]
    if len(texts) < len(cells):  # numbers beside the text: a row of data with a bad cell?
        i = texts[0]
        text = "an empty cell" if not cells[i].strip() else shown(cells[i])
        raise ValueError(
            f"{shown_path(path)} has no data rows: its one row, line {line}, was read as a "
            f"header because "
            f"its column {i + 1} holds {text}, not a number. If it is a row of data, make "
            f"every feature a number; if it is a header, add rows of numbers below it."
        )
    raise ValueError(
        f"{shown_path(path)} has a header row but no data rows. Add rows of numbers below "
        f"the header."
    )


def is_number(cell: str) -> bool:
    """True when a CSV cell reads as a number (``float(cell)`` accepts it, without ``_``)."""
    try:
        _float(cell)
    except ValueError:
        return False
    return True


def _target_index(path: str | Path, names: list[str], target: str | int) -> int:
    if isinstance(target, bool) or not isinstance(target, str | numbers.Integral):
        raise TypeError(
            f"Expected target to be a column name or position, got {shown(target)}. Use e.g. "
            f"target='label', or target=-1 for the last column."
        )
    if isinstance(target, str):
        if target not in names:
            raise ValueError(
                f"{shown_path(path)} has no column {shown(target)}; its columns are: "
                f"{_listed(names)}. Pass target= one of those."
            )
        return names.index(target)
    if not -len(names) <= target < len(names):
        raise ValueError(
            f"target={target} is out of range: {shown_path(path)} has {len(names)} columns "
            f"(positions 0 to {len(names) - 1}, or -1 for the last)."
        )
    return int(target) % len(names)


def _listed(names: Sequence[str], most: int = 10) -> str:
    """Up to ``most`` names for a message, each ``shown`` (cut and escaped), then how many more."""
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(shown(n) for n in names[:most]) + more


def _float(cell: str) -> float:
    """``float(cell)``, except that ``_`` digit separators (Python's ``1_000``) are refused: no
    spreadsheet writes them, so a cell holding one is a mistake, not a thousand."""
    if "_" in cell:
        raise ValueError(cell)
    return float(cell)


def _number(cell: str, path: str | Path, line: int, column: str) -> float:
    """``cell`` as a finite float; ``column`` is its ``column_label``."""
    try:
        value = _float(cell)
    except ValueError:
        text = "an empty cell" if not cell.strip() else shown(cell)
        raise ValueError(
            f"{shown_path(path)}, line {line}, {column}: {text} is not a number. Every feature "
            f"must be numeric; encode text as numbers or fill in missing values first"
            f"{' (write 1000, not 1_000: digit separators are not read)' if '_' in cell else ''}."
        ) from None
    if not math.isfinite(value):
        raise ValueError(
            f"{shown_path(path)}, line {line}, {column}: {shown(cell)} is not a finite number. "
            f"Remove "
            f"or impute NaN and infinite values first."
        )
    return value


#: whole-number targets up to this size are int64 labels; beyond it a float64 cannot even hold
#: every whole number exactly, so they stay float64 (1e20 must not wrap around to -2**63)
LARGEST_LABEL = 2**53


def _target_values(
    cells: list[str], path: str | Path, lines: list[int], names: list[str], index: int
) -> tuple[NDArray[Any], list[str] | None]:
    """(y, classes) from the target column's cells (one per data row, ``lines`` their line
    numbers; the column is ``names[index]``): y (n_rows,) int64 for whole numbers up to
    ``LARGEST_LABEL``, float64 otherwise, classes None; a text column's values numbered 0, 1,
    ... in sorted order, classes those values in that order."""
    column = column_label(names, index)
    try:
        values = np.array([_float(cell) for cell in cells], dtype=np.float64)
    except ValueError:
        if any(not cell.strip() for cell in cells):
            line = lines[next(i for i, cell in enumerate(cells) if not cell.strip())]
            raise ValueError(
                f"{shown_path(path)}, line {line}, {column}: the target is empty. Fill in or drop "
                f"rows without a target."
            ) from None
        numbers = [k for k, cell in enumerate(cells) if is_number(cell)]
        texts = [k for k, cell in enumerate(cells) if not is_number(cell)]
        if numbers and len(numbers) >= len(texts):  # mostly numbers: the text is a typo
            k = texts[0]
            raise ValueError(
                f"{shown_path(path)}, line {lines[k]}, {column}: the target {shown(cells[k])} is "
                f"not a number, "
                f"while {len(numbers)} of the column's {len(cells)} targets are numbers. "
                f"Correct it, or write every class as text."
            ) from None
        classes, labels = np.unique(np.array(cells), return_inverse=True)
        return labels.astype(np.int64), classes.tolist()
    if not np.all(np.isfinite(values)):
        line = lines[int(np.flatnonzero(~np.isfinite(values))[0])]
        raise ValueError(f"{shown_path(path)}, line {line}, {column}: the target is not finite.")
    if np.all(values % 1 == 0) and np.all(np.abs(values) <= LARGEST_LABEL):
        return values.astype(np.int64), None
    return values, None
