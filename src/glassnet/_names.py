"""Looking things up by name, with an error that lists the names that exist."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def lookup(kind: str, name: object, table: Mapping[str, T]) -> T:
    """``table[name]``, or a ValueError naming the ``kind`` and listing every valid name.

    >>> lookup("activation", "relu", {"relu": 1})
    1
    >>> lookup("activation", "rleu", {"relu": 1, "tanh": 2})
    Traceback (most recent call last):
    ...
    ValueError: Unknown activation 'rleu'. Valid names: 'relu', 'tanh'.
    """
    if not isinstance(name, str):
        raise TypeError(
            f"Expected a {kind} name (a string) or a {kind} object, got {type(name).__name__} "
            f"{name!r}."
        )
    key = name.lower()
    if key not in table:
        valid = ", ".join(repr(k) for k in table)
        raise ValueError(f"Unknown {kind} {name!r}. Valid names: {valid}.")
    return table[key]
