"""What a loss checks on arrival, before any arithmetic: numeric targets and predictions of the
shapes it can read. Shared by a loss called directly and by ``fit`` (through
``Loss.prepare_targets``), so both see the same data and the same messages."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._validation import finite

Array = NDArray[np.floating[Any]]


def as_numeric(y: Any, what: str) -> NDArray[Any]:
    """y as a numeric array with no NaN or infinity, or a clear TypeError or ValueError."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected numeric targets {what}, got an array of dtype {y.dtype}. "
            f"Convert them with np.asarray({what}, dtype=float), or encode text labels as "
            f"integers."
        )
    if y.dtype.kind == "f" and not finite(y):
        raise ValueError(f"Targets {what} contain NaN or infinity; clean or drop those rows.")
    return y


def predictions(y_pred: Any, who: str, elementwise: bool) -> Array:
    """y_pred as a finite 2-D float array (n, k); a 1-D one is a column for elementwise losses."""
    a = np.asarray(y_pred)
    if a.dtype.kind not in "biuf":
        raise TypeError(
            f"{who} expects numeric predictions y_pred, got an array of dtype {a.dtype}. Pass the "
            f"model's outputs, e.g. model.predict(x)."
        )
    if a.ndim == 1 and elementwise:
        a = a.reshape(-1, 1)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        one = " For a single example use y_pred.reshape(1, -1)." if a.ndim == 1 else ""
        raise ValueError(
            f"{who} expects predictions y_pred of shape (n_samples, n_outputs) with at least one "
            f"of each, got shape {a.shape}.{one}"
        )
    if a.dtype.kind != "f" or a.dtype.itemsize < 4:
        a = a.astype(np.float64 if a.dtype.kind != "f" else np.float32)
    if not np.isfinite(a).all():
        raise ValueError(f"{who} got NaN or infinity in y_pred; the loss of those is undefined.")
    return a


def label_hint(y: NDArray[Any], units: int, kind: str) -> str:
    if kind == "dense" and units > 1 and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
        return (
            " These look like integer class labels: use SparseCategoricalCrossEntropy, or one-hot "
            "encode them (np.eye(n_classes)[labels])."
        )
    return ""
