"""Keras's ``AUC``: the area under the ROC (or precision-recall) curve from the counts of true
and false positives and negatives at ``num_thresholds`` thresholds -1e-7, 1/(T-1), ...,
(T-2)/(T-1), 1 + 1e-7. ROC: the trapezoid sum over (false positive rate, recall); PR: Keras's
interpolation (Davis & Goadrich) over (recall, precision). With ``multi_label=True`` each output
column has its own counts and the result is the mean of the columns' areas.

>>> m = AUC(num_thresholds=3)
>>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])  # Keras's docstring case
>>> m.result()
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._validation import shown, whole_number
from glassnet.metric_objects import EPSILON, MetricObject, _pair, _ratio, example_weights

#: the most thresholds x labels one AUC keeps (4 arrays of float64: 320 MB at the most)
MAX_COUNTS = 10**7


class AUC(MetricObject):
    """Area under the ROC (or precision-recall) curve, from counts at ``num_thresholds``
    thresholds, Keras's ``AUC`` (``summation_method="interpolation"``). Every output counts
    together; with ``multi_label=True`` each output column (label) has its own counts and the
    result is the mean of the labels' areas, as Keras's. ``from_logits=True`` applies the
    sigmoid to y_pred first."""

    name = "auc"

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        multi_label: bool = False,
        num_labels: int | None = None,
        from_logits: bool = False,
        summation_method: str = "interpolation",
        name: str | None = None,
    ) -> None:
        self.num_thresholds = whole_number(num_thresholds, "AUC's num_thresholds", 2, 10**6)
        if not isinstance(curve, str) or curve.upper() not in ("ROC", "PR"):
            raise ValueError(f"Expected AUC's curve to be 'ROC' or 'PR', got {shown(curve, 20)}.")
        if summation_method != "interpolation":
            raise ValueError(
                f"AUC takes summation_method='interpolation' (Keras's default) only; "
                f"'minoring' and 'majoring' are not offered. Got {shown(summation_method, 20)}."
            )
        self.curve = curve.upper()
        self.multi_label = _flag(multi_label, "AUC's multi_label")
        self.from_logits = _flag(from_logits, "AUC's from_logits")
        self.num_labels = None
        if num_labels is not None:
            if not self.multi_label:
                raise ValueError(
                    "AUC's num_labels goes with multi_label=True (one area per label, "
                    "averaged); without it every output counts together. Drop num_labels or "
                    "pass multi_label=True."
                )
            self.num_labels = whole_number(num_labels, "AUC's num_labels", 1, 10**5)
            self._check_size(self.num_labels)
        self._labels = self.num_labels  # known at the first batch when not given
        n = self.num_thresholds
        inner = [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)]
        self.threshold_values = np.array([0.0 - EPSILON, *inner, 1.0 + EPSILON])  # (T,)
        super().__init__(name)

    def reset_state(self) -> None:
        # (T,), or (T, labels) with multi_label
        shape = (
            (self.num_thresholds, self._labels or 0) if self.multi_label else self.num_thresholds
        )
        self.true_positives = np.zeros(shape)
        self.false_positives = np.zeros(shape)
        self.true_negatives = np.zeros(shape)
        self.false_negatives = np.zeros(shape)

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        y, p = _pair(y_true, y_pred, "AUC")
        w = example_weights(sample_weight, len(y), self)  # (n,): each output of row i, w_i
        if self.from_logits:
            with np.errstate(over="ignore"):
                p = 1.0 / (1.0 + np.exp(-p))  # a huge negative z: exp overflows to inf, p = 0
        if p.min() < 0 or p.max() > 1:
            raise ValueError(
                f"AUC expects predictions in [0, 1] (probabilities), got values from "
                f"{p.min():g} to {p.max():g}. Give the output a sigmoid or softmax, or pass "
                f"from_logits=True."
            )
        if not self.multi_label:
            every = None if w is None else np.repeat(w, y.shape[1])  # row-major, as ravel
            counts = [self._counts(y.ravel() != 0, p.ravel(), every)]  # every output together
        else:
            if self._labels is None:
                self._check_size(p.shape[1])
                self._labels = p.shape[1]
                self.reset_state()
            if p.shape[1] != self._labels:
                raise ValueError(
                    f"AUC(multi_label=True) counts {self._labels} labels, got y_pred with "
                    f"{p.shape[1]} columns. Give every batch the same outputs."
                )
            counts = [self._counts(y[:, j] != 0, p[:, j], w) for j in range(p.shape[1])]
        tp, fp, tn, fn = (np.stack(c, axis=-1) for c in zip(*counts, strict=True))
        if not self.multi_label:
            tp, fp, tn, fn = tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _check_size(self, labels: int) -> None:
        """Refuse counts beyond MAX_COUNTS before making them (four float64 arrays each)."""
        if self.num_thresholds * labels > MAX_COUNTS:
            raise ValueError(
                f"AUC(multi_label=True) with {self.num_thresholds} thresholds and {labels} labels "
                f"would keep {self.num_thresholds * labels:,} counts of each kind, more than "
                f"{MAX_COUNTS:,}. Use fewer thresholds (num_thresholds=200 is Keras's default) "
                f"or multi_label=False."
            )

    def _counts(
        self, truth: NDArray[np.bool_], p: NDArray[Any], w: NDArray[Any] | None = None
    ) -> tuple[NDArray[Any], ...]:
        """TP, FP, TN, FN at each threshold (T,) for one set of predictions (m,), each
        counting 1, or its weight w (m,) (Keras's weighted counts)."""
        # each prediction's count of thresholds it exceeds: sorted, one search for all
        above = np.searchsorted(self.threshold_values, p, side="left")  # (m,)
        size = self.num_thresholds + 1
        if w is None:
            positives = np.bincount(above[truth], minlength=size)
            negatives = np.bincount(above[~truth], minlength=size)
            all_pos, all_neg = truth.sum(), (~truth).sum()
        else:
            positives = np.bincount(above[truth], weights=w[truth], minlength=size)
            negatives = np.bincount(above[~truth], weights=w[~truth], minlength=size)
            all_pos, all_neg = w[truth].sum(), w[~truth].sum()
        # at threshold j, a prediction is "positive" when it exceeds t_j: above > j
        pos_over = np.cumsum(positives[::-1])[::-1][1:]  # (T,): predictions with above > j
        neg_over = np.cumsum(negatives[::-1])[::-1][1:]
        return pos_over, neg_over, all_neg - neg_over, all_pos - pos_over

    def result(self) -> float:
        """The area (the mean of the labels' areas with multi_label; 0 before any batch)."""
        if self.true_positives.size == 0:
            return 0.0
        areas = self._interpolated_pr() if self.curve == "PR" else self._roc()
        return float(np.mean(areas))

    def _roc(self) -> Any:
        """The trapezoid sum over (false positive rate, recall), per label."""
        tp, fp, tn, fn = (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        )
        recall = _ratio(tp, tp + fn)
        fp_rate = _ratio(fp, fp + tn)
        heights = (recall[:-1] + recall[1:]) / 2.0
        return np.sum((fp_rate[:-1] - fp_rate[1:]) * heights, axis=0)

    def _interpolated_pr(self) -> Any:
        """Keras's ``interpolate_pr_auc`` (Davis & Goadrich's interpolation, closed form)."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            logs = np.log(np.where(ratio > 0, ratio, 1.0))
        increment = _ratio(slope * (dtp + intercept * logs), np.maximum(tp[1:] + fn[1:], 0))
        return np.sum(increment, axis=0)

    def get_config(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"num_thresholds": self.num_thresholds, "curve": self.curve}
        if self.multi_label:  # only when set: configs and files from before read the same
            settings.update(multi_label=True, num_labels=self.num_labels)
        if self.from_logits:
            settings["from_logits"] = True
        return {**super().get_config(), **settings}


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"Expected {what} to be True or False, got {shown(value, 20)}.")
    return bool(value)
