"""Where a classifier goes wrong: the confusion matrix and the examples it gets most wrong.

``class_probabilities(model, x)`` gives (n, classes) probabilities (a one-unit sigmoid output
counts as two classes: 1 - a and a); ``confusion_matrix(y_true, y_pred, classes)`` counts
(true, predicted) pairs; ``confusion_matrix_figure`` and ``worst_predictions_figure`` draw them.
"Most wrong" means the wrong predictions that gave the true class the least probability: the
mistakes the network was surest of.

>>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3).tolist()
[[1, 0, 0], [0, 1, 1], [0, 0, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.plots.colors import COUNT_MAP, HIGHLIGHT, UNSIGNED_MAP

if TYPE_CHECKING:
    from glassnet.model import Sequential

MAX_SHOWN = 60  # worst predictions drawn, at most


def is_classifier(model: Sequential) -> bool:
    """True when the model's last layer is a softmax, or one sigmoid unit."""
    activation = getattr(getattr(model.layers[-1], "activation", None), "name", "linear")
    return activation == "softmax" or (activation == "sigmoid" and model.output_units == 1)


def class_probabilities(model: Sequential, x: ArrayLike, who: str) -> NDArray[np.float64]:
    """The model's class probabilities for x: (n, classes); refuses a model that is not a
    classifier (its output must be a softmax, or one sigmoid unit)."""
    from glassnet.model import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"{who} expects a glassnet.Sequential model, got {type(model).__name__}.")
    model._ensure_built()
    activation = getattr(getattr(model.layers[-1], "activation", None), "name", "linear")
    units = model.output_units
    if not is_classifier(model):
        raise ValueError(
            f"{who} needs a classifier, whose last layer is a softmax (or one sigmoid unit); "
            f"this model ends in {units} {activation} unit{'s' if units != 1 else ''}."
        )
    outputs = np.asarray(model.predict(x), dtype=np.float64)  # x checked there
    if units == 1:
        return np.hstack([1 - outputs, outputs])  # (n, 2): P(class 0), P(class 1)
    return outputs


def class_labels(y: ArrayLike, n: int, classes: int, who: str) -> NDArray[np.int64]:
    """y as n class indices in 0 .. classes - 1: labels, or one-hot rows."""
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == classes and classes > 1:
        array = np.argmax(array, axis=1)  # one-hot rows -> class index
    array = array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array
    if array.ndim != 1 or len(array) != n:
        raise ValueError(
            f"{who}: expected y to hold one class label per example ({n}), got shape {array.shape}."
        )
    if array.dtype.kind not in "biuf" or not np.isfinite(array.astype(np.float64)).all():
        raise ValueError(f"{who}: expected y to be class labels 0 .. {classes - 1} (numbers).")
    labels = array.astype(np.float64)
    if (labels != np.round(labels)).any() or labels.min() < 0 or labels.max() >= classes:
        raise ValueError(
            f"{who}: expected y to be whole class labels 0 .. {classes - 1}, got values from "
            f"{labels.min():g} to {labels.max():g}."
        )
    return labels.astype(np.int64)


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, classes: int) -> NDArray[np.int64]:
    """counts[i, j] = how many examples of true class i were predicted as class j."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return counts


@dataclass
class Judged:
    """A classifier's verdict on labelled examples: probabilities (n, classes), labels (n,),
    predicted classes (n,)."""

    probabilities: NDArray[np.float64]
    labels: NDArray[np.int64]
    predicted: NDArray[np.int64]

    @property
    def classes(self) -> int:
        return self.probabilities.shape[1]

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.labels == self.predicted))

    def worst(self, count: int) -> NDArray[np.int64]:
        """The indices of up to ``count`` wrong predictions, least P(true class) first."""
        wrong = np.flatnonzero(self.labels != self.predicted)
        truth = self.probabilities[wrong, self.labels[wrong]]
        return wrong[np.argsort(truth, kind="stable")][:count]


def judge(model: Sequential, x: ArrayLike, y: ArrayLike, who: str) -> Judged:
    probabilities = class_probabilities(model, x, who)
    labels = class_labels(y, len(probabilities), probabilities.shape[1], who)
    return Judged(probabilities, labels, np.argmax(probabilities, axis=1))


def confusion_matrix_figure(
    model: Sequential, x: ArrayLike, y: ArrayLike, title: str | None = None
) -> Any:
    """The confusion matrix of ``model`` on (x, y): row i is the true class, column j the
    predicted one, each cell its count (grey: counts have no sign); the diagonal is right."""
    from glassnet.plots._matplotlib import new_figure

    judged = judge(model, x, y, "confusion_matrix_figure")
    counts = confusion_matrix(judged.labels, judged.predicted, judged.classes)
    size = max(3.4, 0.3 * judged.classes + 1.6)
    figure = new_figure(figsize=(size + 0.8, size), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(counts, cmap=COUNT_MAP, vmin=0, vmax=max(int(counts.max()), 1))
    if judged.classes <= 30:
        for (i, j), count in np.ndenumerate(counts):
            if count:
                dark = count > 0.6 * counts.max()
                ax.text(
                    j,
                    i,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
        ticks = range(judged.classes)
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    right = int(np.trace(counts))
    ax.set_title(
        title or f"{right} of {len(judged.labels)} right ({judged.accuracy:.1%})", fontsize=10
    )
    figure.colorbar(image, ax=ax, shrink=0.8, label="examples")
    return figure


def _picture(example: NDArray[Any]) -> tuple[NDArray[Any], dict[str, Any]]:
    """One example as something imshow draws: grey for one channel, colour for three (scaled
    to 0..1), the first channel otherwise; a flat example as a row."""
    if example.ndim == 1:
        return example[None, :], {"cmap": UNSIGNED_MAP}
    if example.ndim == 3 and example.shape[2] == 3:
        low, high = float(example.min()), float(example.max())
        return (example - low) / (high - low or 1.0), {}
    if example.ndim == 3:
        example = example[:, :, 0]
    return example, {"cmap": UNSIGNED_MAP}


def worst_predictions_figure(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    count: int = 12,
    columns: int = 6,
    title: str | None = None,
) -> Any:
    """The ``count`` examples of (x, y) the model gets most wrong: each image (grey, as given)
    titled "true t", and in purple (the highlight colour) "said p, P = 0.97", the probability
    the model gave its wrong answer, with P(true) below. Ordered by P(true class), lowest first."""
    from glassnet.plots._matplotlib import new_figure

    who = "worst_predictions_figure"
    for name, value in (("count", count), ("columns", columns)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SHOWN:
            raise ValueError(f"{who}: expected {name} between 1 and {MAX_SHOWN}, got {value!r}.")
    judged = judge(model, x, y, who)
    pictures = np.asarray(x, dtype=np.float64)
    worst = judged.worst(count)
    if len(worst) == 0:
        figure = new_figure(figsize=(5.0, 1.2))
        figure.text(0.5, 0.5, f"No mistakes among these {len(pictures)} examples.", ha="center")
        return figure
    rows = -(-len(worst) // columns)
    figure = new_figure(figsize=(1.55 * columns, 1.95 * rows + 0.5), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax in axes.flat[len(worst) :]:
        ax.set_visible(False)
    for ax, index in zip(axes.flat, worst, strict=False):
        picture, options = _picture(pictures[index])
        ax.imshow(picture, interpolation="nearest", **options)
        ax.set_xticks([])
        ax.set_yticks([])
        truth, said = judged.labels[index], judged.predicted[index]
        ax.set_title(f"#{index}: true {truth}", fontsize=9, pad=14)
        ax.text(
            0.5,
            1.02,
            f"said {said}, P = {judged.probabilities[index, said]:.2f}",
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=8,
            color=HIGHLIGHT,
            weight="bold",
        )
        ax.set_xlabel(f"P(true) = {judged.probabilities[index, truth]:.2f}", fontsize=8)
        for spine in ax.spines.values():
            spine.set_edgecolor(HIGHLIGHT)
    wrong = int(np.sum(judged.labels != judged.predicted))
    figure.suptitle(
        title or f"The {len(worst)} surest mistakes ({wrong} wrong of {len(pictures)})",
        fontsize=11,
    )
    return figure
