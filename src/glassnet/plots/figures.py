"""Training curves and decision boundaries, as matplotlib figures.

``history_figure(history)`` draws the loss and every metric of a ``History`` (train solid,
validation dashed); ``decision_boundary_figure(model, x, y)`` colours the plane by the model's
output and puts the data points on it. ``decision_grid`` gives the numbers behind that picture.

>>> import numpy as np
>>> from glassnet.seed import seed_network
>>> grid = decision_grid(seed_network(), bounds=((0, 1), (0, 1)), resolution=3, fixed=(1.0,))
>>> grid.inputs.shape, grid.outputs.shape
((9, 3), (3, 3, 1))
>>> grid.inputs[:3].tolist()
[[0.0, 0.0, 1.0], [0.5, 0.0, 1.0], [1.0, 0.0, 1.0]]
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._validation import shown
from glassnet.callbacks import History
from glassnet.plots.colors import (
    BINARY_CLASS_COLOURS,
    CLASS_COLOURS,
    TRAIN_COLOUR,
    VALIDATION_COLOUR,
    class_map,
    diverging_map,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]


def history_dict(history: History | Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """The per-epoch numbers of a History (or a dict of lists) as a plain dict of lists."""
    if isinstance(history, History):
        return {key: list(values) for key, values in history.history.items()}
    if isinstance(history, Mapping):
        return {str(key): list(values) for key, values in history.items()}
    raise TypeError(
        f"Expected a glassnet History (what fit returns) or a dict of lists, got "
        f"{type(history).__name__}."
    )


def history_figure(
    history: History | Mapping[str, Sequence[float]],
    log_scale: bool | Sequence[str] = False,
    title: str | None = None,
    xlabel: str = "epoch",
) -> Any:
    """One panel per quantity (loss first, then each metric): train solid, ``val_`` dashed.

    ``log_scale``: True puts every panel's y axis on a log scale (useful for a loss falling by
    decades); a list of names (``["loss"]``) only those panels'. ``xlabel`` names the x axis
    (entry k of each list is drawn at x = k + 1).
    """
    from glassnet.plots._matplotlib import new_figure

    records = history_dict(history)
    names = [key for key in records if not key.startswith("val_")]
    names += [key[4:] for key in records if key.startswith("val_") and key[4:] not in names]
    if not names or not any(records.values()):
        raise ValueError(
            "The history has no numbers to draw; train with model.fit(...) for at least one "
            "epoch and pass the History it returns."
        )
    figure = new_figure(figsize=(4.2 * len(names), 3.2))
    axes = figure.subplots(1, len(names), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            values = records.get(key)
            if values:
                epochs = np.arange(1, len(values) + 1)
                label = "validation" if key.startswith("val_") else "train"
                colour = VALIDATION_COLOUR if key.startswith("val_") else TRAIN_COLOUR
                ax.plot(epochs, values, style, label=label, lw=1.6, color=colour)  # not a sign
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        if log_scale is True or (not isinstance(log_scale, bool) and name in log_scale):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


@dataclass
class DecisionGrid:
    """The model's output over a grid of the plane of two input features.

    ``xs`` (resolution,), ``ys`` (resolution,): the grid lines; ``inputs`` (resolution**2,
    n_features): every grid point as a model input (x varying fastest), the other features held at
    ``fixed``; ``outputs`` (resolution, resolution, units): row i is ys[i], column j is xs[j].
    """

    xs: Array
    ys: Array
    inputs: Array
    outputs: Array


def decision_grid(
    model: Sequential,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    resolution: int = 100,
    fixed: Sequence[float] = (),
) -> DecisionGrid:
    """Evaluate ``model`` on a ``resolution`` x ``resolution`` grid over ``bounds``.

    The first two input features vary over ((x_min, x_max), (y_min, y_max)); any further features
    are held at the values in ``fixed`` (for the seed's XOR net, the constant input 1).
    """
    features = _plane_features(model)
    fixed = [float(value) for value in fixed]
    if features != 2 + len(fixed):
        raise ValueError(
            f"The model takes {features} input features; a decision boundary plots two of them, "
            f"so pass the other {max(features - 2, 0)} as fixed=..., got {len(fixed)} value(s): "
            f"fixed={shown(fixed)}."
        )
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"Expected resolution to be an integer >= 2, got {resolution!r}.")
    (x_min, x_max), (y_min, y_max) = bounds
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)  # (resolution, resolution) each
    columns = [grid_x.ravel(), grid_y.ravel()] + [np.full(grid_x.size, v) for v in fixed]
    inputs = np.stack(columns, axis=1)  # (resolution**2, n_features)
    outputs = model.predict(inputs).reshape(resolution, resolution, -1)
    return DecisionGrid(xs, ys, inputs, np.asarray(outputs, dtype=np.float64))


def _plane_features(model: Sequential) -> int:
    """The model's number of input features, or ValueError when it has no plane of two features
    to colour: an image model (its inputs are (height, width, channels) pictures) or a model
    that does not know its input shape yet."""
    shape = model.example_shape
    if shape is None:
        raise ValueError(
            "The model does not know its input shape yet, so there is no plane of its inputs "
            "to colour. Build it first: gn.Input(shape=(2,)) as its first item, "
            "model.build((None, 2)), or model.fit(x, y)."
        )
    if len(shape) != 1:  # Input takes (n_features,) or images (height, width, channels)
        raise ValueError(
            f"A decision boundary colours the plane of two input features, but this model takes "
            f"images of shape {shape} (height, width, channels), which have no such plane. Draw "
            f"its training curves with history_figure(history) and look at its predictions with "
            f"model.predict(images) instead."
        )
    return shape[0]


def _labels(y: ArrayLike, n: int) -> NDArray[np.int64]:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)  # one-hot rows -> class index
    y = y.reshape(-1)
    if len(y) != n:
        raise ValueError(f"x has {n} examples but y has {len(y)} labels; give one label per row.")
    return (y > 0.5).astype(np.int64) if y.dtype.kind == "f" and y.max() <= 1 else y.astype(int)


def decision_boundary_figure(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    resolution: int = 150,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
    fixed: Sequence[float] | None = None,
    title: str | None = None,
) -> Any:
    """The model's output over the plane of the first two features, with the data on top.

    One output unit: its value as a colour from 0 (orange, class 0) through 0.5 (white) to 1
    (blue, class 1), with a colorbar, and the 0.5 contour (the boundary). Several: the winning
    class (argmax) as a colour per region (``glassnet.plots.colors.CLASS_COLOURS``: the
    playground's), with a legend of the classes. ``bounds`` defaults to the data's
    range plus a margin; ``fixed`` (the values of features beyond the first two) to their means.
    An image model (inputs of shape (height, width, channels)) has no such plane and is refused
    with a ValueError that says so.
    """
    from glassnet.plots._matplotlib import new_figure

    _plane_features(model)  # an image model is refused before its images are looked at
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(
            f"Expected x of shape (n_samples, n_features) with at least 2 features, got shape "
            f"{x.shape}."
        )
    labels = _labels(y, len(x))
    if fixed is None:
        fixed = x[:, 2:].mean(axis=0).tolist()
    if bounds is None:
        low, high = x[:, :2].min(axis=0), x[:, :2].max(axis=0)
        pad = 0.1 * np.maximum(high - low, 1e-9)
        bounds = ((low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1]))
    grid = decision_grid(model, bounds, resolution, fixed)
    figure = new_figure(figsize=(5.0, 4.2))
    ax = figure.subplots()
    extent = (grid.xs[0], grid.xs[-1], grid.ys[0], grid.ys[-1])
    if grid.outputs.shape[2] == 1:
        values = grid.outputs[:, :, 0]
        image = ax.imshow(
            values,
            origin="lower",
            extent=extent,
            cmap=diverging_map(),  # 0 orange (class 0), 0.5 white, 1 blue (class 1)
            vmin=0,
            vmax=1,
            aspect="auto",
            interpolation="bilinear",
        )
        ax.contour(grid.xs, grid.ys, values, levels=[0.5], colors="k", linewidths=1.5)
        figure.colorbar(image, ax=ax, label="output a (0: class 0, 1: class 1)")
    else:
        classes = np.argmax(grid.outputs, axis=2)
        ax.imshow(
            classes,
            origin="lower",
            extent=extent,
            cmap=class_map(),
            vmin=0,
            vmax=9,
            alpha=0.35,
            aspect="auto",
            interpolation="nearest",
        )
    palette = BINARY_CLASS_COLOURS if grid.outputs.shape[2] == 1 else CLASS_COLOURS
    ax.scatter(
        x[:, 0],
        x[:, 1],
        c=[palette[label % len(palette)] for label in labels],
        edgecolors="k",
        s=46,
        zorder=3,
    )
    if grid.outputs.shape[2] > 1:  # the regions' colours need a legend of their own
        from matplotlib.patches import Patch

        handles = [
            Patch(color=CLASS_COLOURS[k % len(CLASS_COLOURS)], alpha=0.6, label=f"class {k}")
            for k in range(grid.outputs.shape[2])
        ]
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(title or "decision surface")
    figure.tight_layout()
    return figure


#: the picture formats ``save_figure`` writes, by suffix (matplotlib's Agg, SVG and PDF backends)
FIGURE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def save_figure(figure: Any, path: str | Path, dpi: int = 100) -> Path:
    """Save a matplotlib ``figure`` to ``path`` (PNG, SVG or PDF, by its suffix) with glassnet's
    one writer and return the path: rendered in memory, then written atomically. Unlike
    ``figure.savefig(path)``, a ``path`` that is not a writable regular file (a FIFO, which would
    block savefig for ever, a device, a folder, a read-only file) or is in a missing folder is
    refused before drawing and left alone (``OutputFileError``, a ValueError)."""
    from glassnet._outputs import check_output_target, output_path, write_bytes_atomically

    name = output_path(path, "the figure", "figure.png")
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in FIGURE_FORMATS:
        raise ValueError(
            f"Cannot tell which picture format to save {name!r} in: expected a name ending in "
            f"{', '.join(FIGURE_FORMATS)}, got {suffix or 'no suffix'!r}. E.g. 'figure.png'."
        )
    check_output_target(name, "the figure", "figure.png")  # before drawing
    buffer = io.BytesIO()
    figure.savefig(buffer, format=FIGURE_FORMATS[suffix], dpi=dpi)
    return write_bytes_atomically(name, buffer.getvalue(), "the figure", "figure.png")
