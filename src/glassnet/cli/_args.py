"""What the ``glassnet`` commands share about their arguments and errors: argparse types for
numbers, and the one line an error a user can fix is reported with."""

from __future__ import annotations

import argparse
import math


def cli_message(error: BaseException) -> str:
    """One line for the ``glassnet`` command to print for an error a user can fix."""
    if isinstance(error, IsADirectoryError):
        return (
            f"{error.filename} is a directory; expected a file. Give a file path, e.g. "
            f"{error.filename}/out.txt."
        )
    if isinstance(error, FileNotFoundError) and error.filename:
        return (
            f"No such file or folder: {error.filename}. Check the path; a folder to write into "
            f"must exist first."
        )
    if isinstance(error, PermissionError) and error.filename:
        return f"Permission denied: {error.filename}. Choose a path you may read or write."
    return " ".join(str(error).split()) or type(error).__name__


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
    return value


def cli_non_negative_int(text: str) -> int:
    """An argparse type: a whole number >= 0."""
    return _whole_number(text, 0)


def cli_positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    return _whole_number(text, 1)


def cli_positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value
