"""Argument checks of the preprocessing layers (``Rescaling``'s numbers, ``Normalization``'s axis,
mean and variance): each refuses a bad value with a message naming it and giving an example."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from glassnet._validation import shown


def real_number(value: Any, what: str, example: str) -> float:
    """``value`` as a finite Python float, or a TypeError/ValueError naming ``what`` (10**400,
    beyond float64, included; a message shows at most about 20 characters of the value)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{what} must be a real number, got {type(value).__name__} {shown(value, 20)}. "
            f"Example: {example}."
        )
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise ValueError(
            f"{what} must be a finite number, got {shown(value, 20)}. Example: {example}."
        )
    return result


def fits(value: float, dtype: np.dtype[Any]) -> bool:
    """True when ``value`` is finite once cast to ``dtype`` (1e39 is not, in float32)."""
    with np.errstate(over="ignore"):
        return bool(np.isfinite(np.asarray(value, dtype=dtype)))


def normalization_axis(axis: Any) -> int | None:
    """Keras's ``axis`` for 2-D inputs: -1 or 1 (per feature), None or () (one for all)."""
    if isinstance(axis, tuple | list):
        if len(axis) == 0:
            return None
        if len(axis) == 1:
            axis = axis[0]
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(
            f"Normalization's axis must be an integer or None, got {type(axis).__name__} "
            f"{shown(axis, 20)}. Use axis=-1 (one mean and variance per feature) or axis=None."
        )
    if not -2 <= axis < 2:
        raise ValueError(
            f"Normalization's axis must be in the range [-ndim, ndim) = [-2, 2) for inputs of "
            f"shape (batch, n_features), got axis={shown(axis, 20)}. Use axis=-1."
        )
    if axis in (0, -2):
        raise ValueError(
            f"Normalization's axis={axis} is the batch axis, whose length is not known in "
            f"advance, so it cannot keep a mean per index. Use axis=-1 (one per feature) or "
            f"axis=None (one for all)."
        )
    return int(axis)


def statistic(value: Any, what: str) -> np.ndarray:
    """A given mean or variance as a finite float64 array of shape () or (n,)."""
    if isinstance(value, str | bytes | bool | np.bool_):
        raise TypeError(f"Normalization's {what} must be numbers, got {shown(value, 20)}.")
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(
            f"Normalization's {what} must be one number or one per feature; its rows have "
            f"different lengths."
        ) from None
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"Normalization's {what} must be real numbers, got an array of dtype {array.dtype}. "
            f"Example: Normalization(mean=[0.5, 2.0], variance=[0.25, 4.0])."
        )
    if array.ndim > 1 or array.size == 0:
        raise ValueError(
            f"Normalization's {what} must be one number or one per feature (shape (n,)), got "
            f"shape {array.shape}."
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"Normalization's {what} must be finite numbers, got {shown(value, 40)}.")
    return array
