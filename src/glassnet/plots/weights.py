"""Views of the weights: a heatmap of one layer's matrix, the weights before and after training,
and (from a ``WeightRecorder``) per-layer histograms and norms of weights and gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from glassnet.plots.colors import (
    TRAIN_COLOUR,
    VALIDATION_COLOUR,
    signed_image_options,
    symmetric_limit,
)
from glassnet.plots.recorder import WeightRecorder

if TYPE_CHECKING:
    from glassnet.layers import Layer
    from glassnet.model import Sequential

ANNOTATE_LIMIT = 64  # matrices with at most this many entries get their values written in
#: the histograms' series: neither is a sign, so neither is blue or orange (glassnet.plots.colors)
WEIGHT_COLOUR = TRAIN_COLOUR  # slate: the weights
GRADIENT_COLOUR = VALIDATION_COLOUR  # teal: the gradients


def _weighted_layers(model: Sequential) -> list[Layer]:
    model._ensure_built()
    return [layer for layer in model.layers if layer.parameter_names]


def weight_symbol(model: Sequential, layer: Layer) -> str:
    """A layer's kernel as the narration names it: "W1" for ``model.layers[0]`` (the layers are
    counted from 1, weightless ones included), "K2" for a Conv2D's."""
    position = next(n for n, item in enumerate(model.layers, start=1) if item is layer)
    return f"{'K' if layer.kind == 'Conv2D' else 'W'}{position}"


def find_layer(model: Sequential, layer: int | str) -> Layer:
    """A layer with weights, by its name or by its index among the layers with weights."""
    layers = _weighted_layers(model)
    names = ", ".join(repr(item.name) for item in layers)
    if isinstance(layer, str):
        for item in layers:
            if item.name == layer:
                return item
        raise ValueError(f"The model has no layer with weights named {layer!r}; it has {names}.")
    if isinstance(layer, bool) or not isinstance(layer, int | np.integer):
        raise TypeError(f"Expected a layer name or index, got {type(layer).__name__}.")
    if not -len(layers) <= layer < len(layers):
        raise ValueError(
            f"Layer index {layer} is out of range: the model has {len(layers)} layers with "
            f"weights ({names}); use 0 to {len(layers) - 1}, or a name."
        )
    return layers[layer]


def _heatmap(ax: Any, matrix: np.ndarray, title: str, limit: float) -> Any:
    image = ax.imshow(matrix, aspect="auto", **signed_image_options(limit))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("unit j")
    ax.set_ylabel("input i")
    if matrix.size <= ANNOTATE_LIMIT:
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(
                j,
                i,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(value) > 0.6 * limit else "black",
            )
    ax.set_xticks(range(matrix.shape[1]) if matrix.shape[1] <= 16 else [])
    ax.set_yticks(range(matrix.shape[0]) if matrix.shape[0] <= 16 else [])
    return image


def weight_heatmap_figure(model: Sequential, layer: int | str = 0) -> Any:
    """The kernel W (n_in, units) of one layer as a heatmap, titled with the narration's name
    ("W1 (3x4)"): row i is input i, column j unit j;
    blue positive, orange negative, white zero (``glassnet.plots.colors``), with a colorbar;
    values written in for small matrices."""
    from glassnet.plots._matplotlib import new_figure

    target = find_layer(model, layer)
    kernel = np.asarray(target.kernel, dtype=np.float64)  # (n_in, units)
    figure = new_figure(figsize=(max(3.5, 0.55 * kernel.shape[1] + 2.2), 3.4))
    ax = figure.subplots()
    rows, columns = kernel.shape
    title = f"{weight_symbol(model, target)} ({rows}x{columns})"  # the narration's name
    image = _heatmap(ax, kernel, title, symmetric_limit(kernel))
    figure.colorbar(image, ax=ax)
    figure.tight_layout()
    return figure


def weights_change_figure(
    model: Sequential, before: Sequence[ArrayLike], title: str | None = None
) -> Any:
    """Every kernel before training (``before``: ``get_weights()`` taken then) and now, side by
    side, on one colour scale per layer. Biases are drawn as one more row, labelled b."""
    from glassnet.plots._matplotlib import new_figure

    after = model.get_weights()
    if not isinstance(before, list | tuple) or len(before) != len(after):
        got = len(before) if isinstance(before, list | tuple) else type(before).__name__
        raise ValueError(
            f"Expected before to hold {len(after)} arrays (model.get_weights() taken before "
            f"training), got {got}."
        )
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        try:  # before: NaN was drawn as blank cells, a wrong shape failed inside np.vstack
            old = np.asarray(old, dtype=np.float64)
        except (TypeError, ValueError):
            old = np.asarray(np.nan)
        if old.shape != new.shape or not np.isfinite(old).all():
            raise ValueError(
                f"Expected before[{index}] to be finite numbers of shape {new.shape}, as "
                f"model.get_weights() gives them; got shape {old.shape}"
                f"{'' if np.isfinite(old).all() else ' holding NaN, infinity or non-numbers'}."
            )
    pairs = []
    index = 0
    for layer in _weighted_layers(model):
        count = len(layer.parameter_names)
        old = [np.asarray(a, dtype=np.float64) for a in before[index : index + count]]
        new = [np.asarray(a, dtype=np.float64) for a in after[index : index + count]]
        index += count
        # kernel (n_in, units), with the bias (units,) as a last row when the layer has one
        name = weight_symbol(model, layer)  # the narration's names: "W1", "W1 and b1"
        if len(old) > 1:
            name += f" and b{name[1:]}"
        pairs.append((name, np.vstack(old), np.vstack(new), len(old) > 1))
    figure = new_figure(figsize=(8.0, 2.6 * len(pairs)), layout="constrained")
    axes = figure.subplots(len(pairs), 2, squeeze=False)
    for row, (name, old, new, has_bias) in enumerate(pairs):
        limit = symmetric_limit(old, new)
        for ax, matrix, when in ((axes[row, 0], old, "before"), (axes[row, 1], new, "after")):
            image = _heatmap(ax, matrix, f"{name} {when}", limit)
            if has_bias and matrix.shape[0] <= 16:
                ax.set_yticks(range(matrix.shape[0]))
                ax.set_yticklabels([str(i) for i in range(matrix.shape[0] - 1)] + ["b"])
        figure.colorbar(image, ax=axes[row].tolist())
    if title:
        figure.suptitle(title)
    return figure


def weight_histograms_figure(recorder: WeightRecorder) -> Any:
    """One row per parameter: histograms of the weights at the first and last recorded epoch,
    the histogram of the last gradient, and the norms ||W|| and ||dC/dW|| over the epochs."""
    from glassnet.plots._matplotlib import new_figure

    if not isinstance(recorder, WeightRecorder):
        raise TypeError(f"Expected a glassnet.plots.WeightRecorder, got {type(recorder).__name__}.")
    if not recorder.records or len(recorder.epochs) < 2:
        raise ValueError(
            "The recorder holds no training yet: pass it to model.fit(..., "
            "callbacks=[recorder]) and train for at least one epoch."
        )
    rows = len(recorder.records)
    figure = new_figure(figsize=(11.0, 2.3 * rows))
    axes = figure.subplots(rows, 3, squeeze=False)
    epochs = np.asarray(recorder.epochs)
    for row, record in zip(axes, recorder.records, strict=True):
        name = record.symbol  # the narration's name: W1, b1 (not the layer's "dense")
        for histogram, label, colour in (
            (record.weight_histograms[0], f"epoch {recorder.epochs[0]}", "#94a3b8"),
            (record.weight_histograms[-1], f"epoch {recorder.epochs[-1]}", WEIGHT_COLOUR),
        ):
            counts, edges = histogram
            row[0].stairs(counts, edges, fill=True, alpha=0.55, color=colour, label=label)
        row[0].set_title(f"{name} values", fontsize=10)
        row[0].legend(fontsize=7)
        counts, edges = record.gradient_histograms[-1]
        row[1].stairs(counts, edges, fill=True, color=GRADIENT_COLOUR, alpha=0.7)
        row[1].set_title(f"dC/d{record.symbol}, last batch", fontsize=10)
        gradient_norms = [np.nan if g is None else g for g in record.gradient_norms]
        row[2].plot(epochs, record.weight_norms, label=f"||{record.symbol}||", color=WEIGHT_COLOUR)
        row[2].plot(epochs, gradient_norms, label=f"||dC/d{record.symbol}||", color=GRADIENT_COLOUR)
        row[2].set_title(f"{name} norms", fontsize=10)
        row[2].set_xlabel("epoch")
        row[2].legend(fontsize=7)
        row[2].grid(alpha=0.3)
    figure.tight_layout()
    return figure
