"""Keras's ``sample_weight`` and ``class_weight``: checked, and turned into one weight per example.

With per-example losses loss_i and weights w_i over a batch of n examples, Keras 3 reduces

    "sum_over_batch_size" (the default):  C = sum_i w_i * loss_i / n     (n, not sum_i w_i)
    "sum":                                C = sum_i w_i * loss_i

and the gradient is weighted the same way, row by row: dC/da_i = w_i * (the unweighted row).
A ``class_weight`` dict {class index: weight} becomes w_i = class_weight[class of example i], the
class being the argmax of a one-hot (or probability) row, or the rounded target of a one-unit
output (0 or 1); a class the dict leaves out weighs 1, as in Keras.

Measured on Keras 3.15.1 (torch backend): an all-zero ``sample_weight`` gives loss 0; a negative
weight gives a negative loss; NaN and inf give NaN and inf; ``metrics=`` ignore the weights
(only ``weighted_metrics=`` use them). glassnet refuses negative, NaN, inf and beyond-dtype weights
(each would train on a meaningless number), and an all-zero set of weights in ``fit`` (nothing
would be learnt); ``evaluate`` and ``train_on_batch`` give 0 for all-zero weights, as Keras.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._validation import pandas_values, shown

Array = NDArray[np.floating[Any]]
SHAPE_FIX = "Give one non-negative number per example, e.g. sample_weight=np.ones(len(x))."


def sample_weights(
    sample_weight: Any, n: int, dtype: np.dtype[Any], what: str = "sample_weight"
) -> Array | None:
    """``sample_weight`` as an (n,) array of ``dtype``, or None when it is None.

    Accepted as Keras accepts it: a list or array of shape (n,) or (n, 1). Refused with a message
    naming what was expected, what came and the fix: any other shape, a length other than n,
    values that are not numbers, negative, NaN, inf, or beyond ``dtype``'s range."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Mapping | str | bytes):
        raise TypeError(
            f"Expected {what} to be an array of numbers, one per example, got "
            f"{type(sample_weight).__name__} {shown(sample_weight, 40)}. {SHAPE_FIX} (A dict "
            f"of class weights goes in class_weight=.)"
        )
    try:
        values = np.asarray(pandas_values(sample_weight, what))
    except ValueError:  # ragged rows, e.g. [[1], [1, 2]]: NumPy's words would not say the fix
        raise TypeError(
            f"Expected {what} to be an array of numbers, one per example, got ragged rows "
            f"{shown(sample_weight, 40)}. {SHAPE_FIX}"
        ) from None
    if values.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected {what} to hold numbers, got an array of {values.dtype} "
            f"({shown(values.ravel()[:3].tolist(), 40)}...). {SHAPE_FIX}"
        )
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]  # (n, 1) -> (n,), as Keras squeezes it
    if values.ndim != 1:
        raise ValueError(
            f"Expected {what} of shape ({n},) (one weight per example; Keras also takes "
            f"({n}, 1)), got shape {values.shape}. Per-output or per-time-step weights are not "
            f"supported. {SHAPE_FIX}"
        )
    if len(values) != n:
        raise ValueError(
            f"{what} has {len(values)} weights for {n} examples (rows of x); they must have "
            f"the same length. {SHAPE_FIX}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        cast = values.astype(dtype)  # (n,); a float64 beyond float32 becomes inf: said below
    return _checked(values, cast, what, dtype)


def _checked(values: NDArray[Any], cast: Array, what: str, dtype: np.dtype[Any]) -> Array:
    bad = ~np.isfinite(cast)
    if bad.any():
        row = int(np.argmax(bad))
        raw = values[row]
        if np.isfinite(raw):
            raise ValueError(
                f"{what}[{row}] is {float(raw):g}, beyond the largest {dtype.name} "
                f"({float(np.finfo(dtype).max):.3g}). Scale the weights down (only their ratios "
                f"and mean matter), or build the model with dtype='float64'."
            )
        raise ValueError(
            f"{what}[{row}] is {float(raw)}: weights must be finite numbers ({int(bad.sum())} "
            f"are not). Replace them (e.g. np.nan_to_num({what}, nan=0.0)) or drop those rows."
        )
    if cast.size and cast.min() < 0:
        row = int(np.argmax(cast < 0))
        raise ValueError(
            f"{what}[{row}] is {float(cast[row]):g}: weights must be >= 0 (a negative weight "
            f"would make training climb that example's loss; Keras silently does). Use 0 to "
            f"leave an example out."
        )
    with np.errstate(over="ignore"):
        total = cast.sum(dtype=dtype)
    if not np.isfinite(total):
        raise ValueError(
            f"{what} sums to more than the largest {dtype.name} ({float(np.finfo(dtype).max):.3g}),"
            f" so the weighted loss would be inf. Scale the weights down (only their ratios and "
            f"mean matter)."
        )
    return cast


def class_weights(class_weight: Any, y: Array, units: int, dtype: np.dtype[Any]) -> Array:
    """Keras's ``class_weight`` as (n,) per-example weights for the prepared targets ``y``
    (n, units): each example weighs its class's weight, 1 for a class the dict leaves out.

    The class of a row is its argmax for several units (one-hot, probabilities, or the sparse
    loss's labels, one-hot by then) and the rounded target for one unit (0 or 1), as Keras's
    ``class_weight_to_sample_weights`` finds it."""
    table = check_class_weight(class_weight, units)
    largest = float(np.finfo(dtype).max)
    for key, value in table.items():
        if value > largest:
            raise ValueError(
                f"class_weight[{key}] is {value:g}, beyond the largest {dtype.name} "
                f"({largest:.3g}). Scale the class weights down (only their ratios and mean "
                f"matter), or build the model with dtype='float64'."
            )
    # (n,): the argmax of each row, or one unit's rounded target (np.round as Keras: 0.5 -> 0)
    labels = y.argmax(axis=1) if y.shape[1] > 1 else np.round(y[:, 0]).astype(np.int64)
    lookup = np.ones(max(units, 2), dtype=dtype)  # every class 1, unless the dict says
    for key, value in table.items():
        lookup[key] = value
    # a regression target rounded outside the classes weighs 1, as Keras's dict.get(c, 1.0)
    inside = (labels >= 0) & (labels < len(lookup))
    return np.where(inside, lookup[np.where(inside, labels, 0)], dtype.type(1))


def check_class_weight(class_weight: Any, units: int) -> dict[int, float]:
    """{class index: weight} checked: keys are class indices the output has (0 to units - 1, or 0
    and 1 for one unit), values finite numbers >= 0."""
    if not isinstance(class_weight, Mapping):
        raise TypeError(
            f"Expected class_weight to be a dict mapping each class index to its weight, e.g. "
            f"{{0: 1.0, 1: 5.0}}, got {type(class_weight).__name__} {shown(class_weight, 40)}."
            f" (Per-example weights go in sample_weight=.)"
        )
    classes = 2 if units == 1 else units
    table: dict[int, float] = {}
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise TypeError(
                f"class_weight's keys must be class indices (ints 0 to {classes - 1}), got "
                f"{type(key).__name__} {shown(key, 40)}. Keras keys class_weight by the class's "
                f"index: map names to indices first, e.g. {{0: 1.0, 1: 5.0}}."
            )
        if not 0 <= key < classes:
            output = "one unit (classes 0 and 1)" if units == 1 else f"{units} units"
            raise ValueError(
                f"class_weight names class {shown(key, 20)}, but the model's output has "
                f"{output}, so its classes are 0 to {classes - 1}. Fix the key, or give the last "
                f"layer one unit per class."
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"class_weight[{int(key)}] must be a number, got {type(value).__name__} "
                f"{shown(value, 40)}, e.g. {{0: 1.0, 1: 5.0}}."
            )
        try:
            number = float(value)
        except OverflowError:  # an int past float64 (10**400): said as the others below
            number = math.inf if value > 0 else -math.inf
        if not np.isfinite(number) or number < 0:
            raise ValueError(
                f"class_weight[{int(key)}] is {number:g}: a class weight must be a finite number "
                f">= 0 (0 leaves the class out of the loss)."
            )
        table[int(key)] = number
    return table


def both_given(sample_weight: Any, class_weight: Any) -> None:
    """Keras's refusal of sample_weight and class_weight together."""
    if sample_weight is not None and class_weight is not None:
        raise ValueError(
            "You cannot pass sample_weight and class_weight at the same time (Keras refuses it "
            "too). Fold the class weights into the sample weights: sample_weight = "
            "np.array([class_weight[c] for c in labels]) * sample_weight."
        )


def example_weights(
    sample_weight: Any,
    class_weight: Any,
    y: Array,
    units: int,
    dtype: np.dtype[Any],
    what: str = "",
) -> Array | None:
    """The (n,) weights for prepared targets ``y`` from either argument (None: unweighted)."""
    both_given(sample_weight, class_weight)
    if class_weight is not None:
        weights = class_weights(class_weight, y, units, dtype)
        return _checked(weights, weights, "class_weight", dtype)
    return sample_weights(sample_weight, len(y), dtype, "sample_weight" + what)


def refuse_all_zero(weights: Array | None, who: str) -> None:
    """fit with every weight 0 would learn nothing (each gradient is 0): refused, with the fix."""
    if weights is not None and weights.size and not weights.any():
        raise ValueError(
            f"Every example's weight is 0 ({who}), so the loss and every gradient are 0 and "
            f"fit would learn nothing. Give some examples a positive weight."
        )


class ExampleWeights:
    """``Sequential``'s weights per example: the examples' own (``sample_weight`` or
    ``class_weight``), and the loss's (those times compile's ``loss_weights``). The weighted
    metrics weigh by the first (glassnet/_weighted_metrics.py), the loss by the second."""

    dtype: np.dtype[Any]
    #: compile's ``loss_weights`` (set by ``Sequential.compile``); None: the loss is not scaled
    loss_weights: float | None = None

    def _weights(
        self, y: Array, sample_weight: Any, class_weight: Any = None, what: str = ""
    ) -> Array | None:
        """The (n,) per-example weights from Keras's ``sample_weight`` or ``class_weight`` for
        prepared targets y, checked, times compile's ``loss_weights``; None when none of the
        three is given."""
        return self._scaled(self._example_weights(y, sample_weight, class_weight, what), len(y))

    def _example_weights(
        self, y: Array, sample_weight: Any, class_weight: Any = None, what: str = ""
    ) -> Array | None:
        """The examples' own (n,) weights from ``sample_weight`` or ``class_weight``, checked
        (``example_weights``); None when neither is given."""
        if sample_weight is None and class_weight is None:
            return None  # unweighted: what example_weights says too, without asking it
        return example_weights(sample_weight, class_weight, y, y.shape[1], self.dtype, what)

    def _scaled(self, weights: Array | None, n: int) -> Array | None:
        """The loss's (n,) weights: the examples' ``weights`` times compile's ``loss_weights``
        (a new array), all ``loss_weights`` when there are none; None when neither is set."""
        if self.loss_weights is None:
            return weights
        if weights is None:
            return np.full(n, self.loss_weights, self.dtype)  # compile's loss_weights
        return weights * self.dtype.type(self.loss_weights)
