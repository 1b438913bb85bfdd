"""Checks at the public API: bad input gets a message that says what, got what, and the fix."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray


def as_features(x: Any, dtype: np.dtype[Any], what: str = "x") -> NDArray[Any]:
    """``x`` as a finite 2-D float array (n_samples, n_features) of ``dtype``, or a clear error."""
    try:
        array = np.asarray(x)
    except ValueError as error:  # ragged nested lists
        raise ValueError(
            f"Expected {what} to be a 2-D array (n_samples, n_features) with the same number of "
            f"features in every row, but it could not be made into one ({error})."
        ) from None
    if array.dtype.kind == "c":
        raise TypeError(
            f"Expected real numbers in {what}, got complex dtype {array.dtype}. Use the real part "
            f"({what}.real) or split real and imaginary parts into separate features."
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected numeric {what}, got an array of dtype {array.dtype}. Convert it first, "
            f"e.g. np.asarray({what}, dtype=float); text columns need encoding as numbers."
        )
    if array.ndim == 1:
        raise ValueError(
            f"Expected 2-D array {what} of shape (n_samples, n_features), got 1-D array of shape "
            f"{array.shape} instead. Reshape your data using {what}.reshape(-1, 1) if it has a "
            f"single feature or {what}.reshape(1, -1) if it is a single example."
        )
    if array.ndim != 2:
        raise ValueError(
            f"Expected 2-D array {what} of shape (n_samples, n_features), got {array.ndim}-D "
            f"array of shape {array.shape}. Flatten each example, e.g. "
            f"{what}.reshape(len({what}), -1)."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"Expected at least one example and one feature in {what}, got shape {array.shape}."
        )
    array = array.astype(dtype, copy=False)
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"Input {what} contains NaN or infinity (first at row {bad[0]}, column {bad[1]}). "
            f"Remove or impute those values before training."
        )
    return array


def positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Expected {name} to be an integer, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"Expected {name} >= {minimum}, got {value}.")
    return int(value)
