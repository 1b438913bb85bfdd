"""The loss base class: preparing targets, Keras's reductions and label smoothing.

A loss subclass writes the batch's mean form (Keras's default reduction,
``"sum_over_batch_size"``): ``_compute(y, a)``, ``_compute_gradient(y, a)`` (dC/da),
``_fused_delta`` when it fuses with an output activation, and ``_per_example(y, a)``, one value
per example whose mean is ``_compute``'s (Keras's per-sample loss: the mean over the outputs for
the element-wise losses, the sum over the classes for the categorical ones). The base class
applies the reduction and the label smoothing around them:

- ``reduction="sum_over_batch_size"``: C = mean over the n examples of the per-example loss
- ``reduction="sum"``: C = sum over the examples = n * the mean; dC/da and delta are n times
  larger too (a learning rate means n times more)
- ``reduction="none"``: ``loss(y_true, y_pred)`` returns the n per-example values. ``fit``,
  ``evaluate`` and ``compile`` need one number, so ``compile`` refuses such a loss (Keras 3.15's
  ``fit`` on its torch backend fails on it with "grad can be implicitly created only for scalar
  outputs"); call the loss directly for per-example values.
- ``sample_weight`` w (``fit``, ``evaluate``, ``loss(y, a, sample_weight=w)``): Keras 3's
  weighted reductions, C = sum_i w_i loss_i / n for the mean (divided by the batch size n, not by
  the sum of the weights), sum_i w_i loss_i for "sum", w_i loss_i for "none"; every gradient
  (dC/da, the fused delta) has row i multiplied by w_i, the derivative of the same sum.
- ``label_smoothing=s`` (the cross-entropies, Keras's formulas): the targets become
  y * (1 - s) + s / 2 for the binary one (each output a two-way choice) and y * (1 - s) + s / k
  for the categorical one with k classes, before C, dC/da and the fused delta are computed.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._sample_weights import sample_weights
from glassnet._targets import as_numeric, label_hint, predictions
from glassnet._validation import check_cast_targets, finite_float, float64_advice, shown

Array = NDArray[np.floating[Any]]
EPSILON = 1e-7


def _sigmoid(z: Array) -> Array:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _log_softmax(z: Array) -> Array:
    shifted = z - z.max(axis=1, keepdims=True)  # (n, k); subtracting the max keeps exp finite
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


#: Keras's reductions (``keras.losses.Loss(reduction=...)``), the default first
REDUCTIONS = ("sum_over_batch_size", "sum", "none")


def check_reduction(value: object) -> str:
    """One of ``REDUCTIONS``, or a clear error."""
    if not isinstance(value, str):
        raise TypeError(
            f"Expected reduction to be one of {', '.join(map(repr, REDUCTIONS))}, got "
            f"{type(value).__name__} {shown(value, 20)}."
        )
    if value not in REDUCTIONS:
        raise ValueError(
            f"Unknown reduction {shown(value, 40)}. Valid: {', '.join(map(repr, REDUCTIONS))} "
            f"(Keras's; 'sum_over_batch_size' is the mean over the batch)."
        )
    return value


def check_label_smoothing(value: object) -> float:
    """A float in [0, 1], or a clear error."""
    smoothing = finite_float(value, "label_smoothing")
    if not 0 <= smoothing <= 1:
        raise ValueError(
            f"Expected label_smoothing in [0, 1] (e.g. 0.1: targets move 10% of the way to "
            f"uniform), got {smoothing!r}."
        )
    return smoothing


class Loss:
    """Base class. Subclasses write ``_compute``, ``_compute_gradient``, ``_per_example`` (and
    ``_fused_delta``) for the mean over the batch; the base applies the reduction and smoothing."""

    name = "loss"
    #: "sum_over_batch_size" (a mean), "sum" or "none": Keras's names
    reduction: str = "sum_over_batch_size"
    #: the target smoothing s (the cross-entropies take it); 0 is none
    label_smoothing: float = 0.0
    #: the output activation this loss fuses with (its dC/dz is computed directly), if any
    fused_activation: str | None = None
    #: what y_true must look like: "dense" (same shape as the output) or "labels" (class indices)
    target_kind: Literal["dense", "labels"] = "dense"

    def __init__(
        self,
        from_logits: bool = False,
        reduction: str = "sum_over_batch_size",
        label_smoothing: float = 0.0,
    ) -> None:
        self.from_logits = bool(from_logits)
        self.reduction = check_reduction(reduction)
        self.label_smoothing = check_label_smoothing(label_smoothing)

    #: True when the loss is a mean (or sum) of one term per output, so a 1-D y_pred is read as
    #: one column; the categorical losses need (n_samples, n_classes)
    elementwise = True

    def __call__(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Any:
        """C for targets ``y_true`` and outputs ``y_pred``, prepared as ``fit`` prepares them: a
        float, or with ``reduction="none"`` the (n,) array of per-example losses. With
        ``sample_weight`` (n,), Keras's weighted form: sum_i w_i loss_i / n (the batch size, not
        the sum of the weights), sum_i w_i loss_i for "sum", w_i loss_i for "none"."""
        y, a = self.prepare(y_true, y_pred)
        w = sample_weights(sample_weight, len(a), a.dtype)
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, in words
            if self.reduction == "none":
                value = self._per_example(self._smoothed(y), a)  # (n,)
                value = value if w is None else value * w
            else:
                value = self.compute(y, a, w)
        if not np.isfinite(value).all():
            raise ValueError(self._overflow_message("loss", a))
        return value

    def gradient(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Array:
        """dC/da (or dC/dz with ``from_logits``), shape of y_pred. With ``reduction="none"``,
        the gradient of the sum of the per-example losses (each row's own gradient). With
        ``sample_weight``, row i is w_i times the unweighted row, as C weighs loss_i."""
        shape = np.shape(y_pred)
        y, a = self.prepare(y_true, y_pred)
        w = sample_weights(sample_weight, len(a), a.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            grad = self._scaled(self._compute_gradient(self._smoothed(y), a), len(a), per_row=True)
            grad = _rows_weighted(grad, w)
        if not np.isfinite(grad).all():
            raise ValueError(self._overflow_message("gradient", a))
        return grad.reshape(shape)

    def _overflow_message(self, what: str, a: Array) -> str:
        return (
            f"{type(self).__name__}'s {what} overflowed {a.dtype.name} on these values (largest "
            f"|y_pred| {float(np.abs(a).max()):g}). Scale the targets and outputs, or pass "
            f"float64 arrays."
        )

    def prepare(self, y_true: ArrayLike, y_pred: ArrayLike) -> tuple[Array, Array]:
        """(y, a): the outputs as a 2-D float array (n, k) and the targets prepared for them by
        ``prepare_targets``, the same preparation ``fit`` makes once for all its batches."""
        a = predictions(y_pred, type(self).__name__, self.elementwise)
        y = self.prepare_targets(y_true, a.shape[1], a.dtype)
        if len(y) != len(a):
            raise ValueError(
                f"{type(self).__name__} got {len(y)} target rows for {len(a)} rows of y_pred; "
                f"give one target per example."
            )
        return y, a

    def compute(self, y: Array, a: Array, sample_weight: Array | None = None) -> float:
        """C on targets already prepared by ``prepare_targets`` (what ``fit`` calls). With
        ``sample_weight`` w (n,), already checked: C = sum_i w_i loss_i / n for the mean ("sum":
        without the / n), Keras 3's reduction, which divides by n and not by sum_i w_i."""
        self._check_one_number()
        if sample_weight is None:
            return self._scaled(self._compute(self._smoothed(y), a), len(a))
        return self.weighted(self._per_example(self._smoothed(y), a), sample_weight)

    def weighted(self, per_example: Array, sample_weight: Array) -> float:
        """sum_i w_i loss_i, divided by n unless the loss sums: the weighted C from its parts.

        Summed in float64 (a float32 dot overflowed to inf, with a RuntimeWarning, on weights
        and losses each well inside float32); a sum past float64 of finite losses is refused."""
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.dot(sample_weight.astype(np.float64), per_example.astype(np.float64)))
        if not math.isfinite(total) and np.isfinite(per_example).all():
            raise ValueError(
                f"{type(self).__name__}'s weighted loss sum_i w_i * loss_i is past the largest "
                f"float64 (largest weight {float(np.max(sample_weight)):g}, largest per-example "
                f"loss {float(np.max(per_example)):g}). Scale the weights down (only their "
                f"ratios and mean matter) or scale the targets."
            )
        return total if self.reduction == "sum" else total / len(per_example)

    def compute_gradient(self, y: Array, a: Array, sample_weight: Array | None = None) -> Array:
        """dC/da on targets already prepared by ``prepare_targets``, shape of a; with
        ``sample_weight``, row i times w_i (dC/da_i = w_i dloss_i/da_i / n)."""
        self._check_one_number()
        grad = self._scaled(self._compute_gradient(self._smoothed(y), a), len(a))
        return _rows_weighted(grad, sample_weight)

    def value_and_gradient(
        self, y: Array, a: Array, sample_weight: Array | None = None, fused: bool = False
    ) -> tuple[float, Array]:
        """(C, dC/da), or (C, delta = dC/dz) when ``fused``: ``compute`` and then
        ``compute_gradient`` (``fused_delta``), in one call for the training step. A loss whose
        two share work (a - y) overrides it with the same numbers (tests/test_step_plan.py)."""
        gradient = self.fused_delta if fused else self.compute_gradient
        return self.compute(y, a, sample_weight), gradient(y, a, sample_weight)

    def per_example(self, y: Array, a: Array) -> Array:
        """The (n,) per-example losses (Keras's values before reduction), targets prepared."""
        return self._per_example(self._smoothed(y), a)

    def _scaled(self, value: Any, n: int, per_row: bool = False) -> Any:
        """The mean form times n for "sum" (and for "none"'s gradient, whose rows are each
        example's own: the gradient of the sum of the per-example losses)."""
        if self.reduction == "sum" or (per_row and self.reduction == "none"):
            return value * n
        return value

    def _smoothed(self, y: Array) -> Array:
        """y * (1 - s) + s / k with k the choices per output (label smoothing); y when s = 0."""
        if not self.label_smoothing:
            return y
        return y * (1.0 - self.label_smoothing) + self.label_smoothing / self._choices(y)

    def _choices(self, y: Array) -> int:
        return 2  # the binary cross-entropy's two outcomes; the categorical ones override

    def _check_one_number(self) -> None:
        if self.reduction == "none":
            raise ValueError(
                f"{type(self).__name__}(reduction='none') gives one loss per example, for "
                f"calling it directly; training and evaluating need one number. Use "
                f"reduction='sum_over_batch_size' (the mean, the default) or 'sum'."
            )

    def _compute(self, y: Array, a: Array) -> float:
        raise NotImplementedError

    def _compute_gradient(self, y: Array, a: Array) -> Array:
        raise NotImplementedError

    def _per_example(self, y: Array, a: Array) -> Array:
        raise NotImplementedError

    def fuses_with(self, activation_name: str | None) -> bool:
        """True when the model may use ``fused_delta`` for an output with this activation."""
        if self.from_logits or self.fused_activation is None:
            return False
        return activation_name == self.fused_activation

    def fused_delta(
        self, y_true: Array, y_pred: Array, sample_weight: Array | None = None
    ) -> Array:
        """delta = dC/dz for the fused output activation: (a - y) / n (times n for "sum"); with
        ``sample_weight``, row i times w_i: w_i (a_i - y_i) / n."""
        self._check_one_number()
        delta = self._scaled(self._fused_delta(self._smoothed(y_true), y_pred), len(y_pred))
        return _rows_weighted(delta, sample_weight)

    def _fused_delta(self, y_true: Array, y_pred: Array) -> Array:
        raise NotImplementedError

    def prepare_targets(
        self, y: NDArray[Any], units: int, dtype: np.dtype[Any], what: str = "y"
    ) -> Array:
        """Check y against an output of ``units`` units; return it as the loss wants it."""
        y = as_numeric(y, what)
        if y.ndim == 1 and units == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != units:
            raise ValueError(
                f"{type(self).__name__} expects targets {what} of shape (n_samples, {units}) to "
                f"match the model's output, got shape {y.shape}."
                + label_hint(y, units, self.target_kind)
            )
        if y.dtype == dtype:  # astype would return y itself: nothing to cast, nothing to say
            return y
        with np.errstate(over="ignore"):  # float64 -> float32 overflow is reported below
            cast = y.astype(dtype, copy=False)
        if cast is not y:  # float64 -> float32: a number beyond its range became inf
            check_cast_targets(cast, dtype, what)
        return cast

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "from_logits": self.from_logits, **self._keras_settings()}

    def _keras_settings(self) -> dict[str, Any]:
        """The reduction and label smoothing, only when not the default (so configs and files
        from before them read the same)."""
        settings: dict[str, Any] = {}
        if self.label_smoothing:
            settings["label_smoothing"] = self.label_smoothing
        if self.reduction != "sum_over_batch_size" and "reduction" in _parameters(self):
            settings["reduction"] = self.reduction
        return settings

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _parameters(loss: Loss) -> tuple[str, ...]:
    import inspect

    return tuple(inspect.signature(type(loss)).parameters)


#: each float dtype's largest number (np.finfo's, looked up once: finfo costs a microsecond)
_LARGEST = {np.dtype(name): float(np.finfo(name).max) for name in ("float16", "float32", "float64")}


def squares_fit_as_given(y: Any, units: int, dtype: np.dtype[Any]) -> bool:
    """True when ``y`` is already what a squared-error loss's ``prepare_targets`` returns
    unchanged: a plain (n, units) array of ``dtype`` whose largest |y| is within
    ``check_square_fits``'s bound (which NaN and inf fail too, so it is finite): one pass for
    train_on_batch's targets, instead of the finiteness check and then the bound."""
    if not (
        type(y) is np.ndarray
        and y.dtype == dtype
        and y.ndim == 2
        and y.shape[1] == units
        and y.size
        and dtype in _LARGEST
    ):
        return False
    limit = _LARGEST[dtype] / y.size  # the bound on each y**2
    # y . y (BLAS: no temporary, no warning) within limit / 2 bounds every y**2 below limit with
    # room for rounding (its terms are >= 0); else (NaN, inf, or near the bound) the exact max
    if np.vdot(y, y) <= limit / 2:
        return True
    return float(np.maximum.reduce(np.abs(y), axis=None)) <= math.sqrt(limit)


def check_square_fits(loss: Loss, y: NDArray[Any], dtype: np.dtype[Any], what: str) -> NDArray[Any]:
    """Refuse targets whose squared error cannot be summed in ``dtype``: n values (a - y)**2 add
    up past its largest number when some |y| > sqrt(largest / n) (1e20 in float32, whose square
    1e40 is inf). Training would then "diverge" at the first step and blame the learning rate;
    the cause is the targets' scale. Returns ``y``."""
    if y.size and y.dtype.kind == "f":
        largest = _LARGEST.get(dtype) or float(np.finfo(dtype).max)
        limit = math.sqrt(largest / y.size)
        sizes = np.abs(y)
        value = float(np.maximum.reduce(sizes, axis=None))  # max |y| (NaN refused before)
        if value > limit:  # where, only when it is to be said
            worst = int(np.argmax(sizes))
            row = worst // max(y.shape[1], 1) if y.ndim == 2 else worst
            wider = float64_advice(dtype, " or build the model with dtype='float64'")
            raise ValueError(
                f"{type(loss).__name__}: the target {float(y.flat[worst]):.4g} (row {row} of "
                f"{what}) is too large for a squared error in {np.dtype(dtype).name}: "
                f"{y.size} squares of differences that size add up past its largest number "
                f"(about {largest:.3g}), so the loss would be inf. Scale the targets (divide "
                f"them by their largest value, or standardize them){wider}."
            )
    return y


def _rows_weighted(grad: Array, sample_weight: Array | None) -> Array:
    """Row i of a (n, k) gradient times w_i: the gradient of sum_i w_i loss_i, row by row."""
    if sample_weight is None:
        return grad
    return grad * sample_weight[:, None]  # (n, k) * (n, 1); a new array, the rows scaled


def _inside(p: Array) -> NDArray[np.bool_]:
    """Where the clip to [EPSILON, 1 - EPSILON] is inactive: its own derivative, 1 or 0."""
    return (p >= EPSILON) & (p <= 1.0 - EPSILON)
