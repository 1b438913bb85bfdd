"""Pictures of an image model's insides: feature maps, kernels, and a training step's kernel
gradients, as matplotlib figures.

``feature_maps_figure(model, x)``: one example, then every channel of every convolution and
pooling layer's output as a small image, a row of images a layer. ``kernels_figure(model)``: each
Conv2D kernel K (kh, kw, in, out) as a grid of kh x kw images, one column a filter and one row an
input channel (with ``before=``, the kernels before training above the ones now).
``kernel_gradients_figure(model, x, y)``: the kernels and, below each, dC/dK of one training step
on (x, y), computed by the engine's own backward pass.

Signed numbers use glassnet's one convention (``glassnet.plots.colors``): blue positive, orange
negative, white zero, on a diverging scale centred on zero (one scale a layer: the numbers of
different layers differ by orders of magnitude), each with its colorbar. Pixels are grey.

>>> import glassnet as gn
>>> from glassnet.layers import Conv2D, Flatten, MaxPooling2D
>>> model = gn.Sequential([gn.Input(shape=(6, 6, 1)), Conv2D(2, 3), MaxPooling2D(), Flatten()])
>>> [(layer.name, a.shape) for layer, a in feature_maps(model, np.ones((6, 6, 1)))]
[('conv2d', (4, 4, 2)), ('max_pooling2d', (2, 2, 2))]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from glassnet._validation import float64_advice, shown
from glassnet.plots.blocks import cut, layer_description, shape_text
from glassnet.plots.colors import UNSIGNED_MAP, signed_image_options

if TYPE_CHECKING:
    from glassnet.layers import Layer
    from glassnet.model import Sequential

#: the layers whose outputs are drawn as feature maps (when their output is an image)
MAP_KINDS = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "BatchNormalization", "Activation")
MAX_CHANNELS = 32  # feature maps drawn per layer, at most (the rest are counted in the title)
MAX_FILTERS = 16  # kernels drawn per layer, at most ...
MAX_KERNEL_CHANNELS = 8  # ... and input channels per kernel
CELL = 0.95  # inches, one small image


def image_model(model: Sequential, what: str) -> tuple[int, ...]:
    """The example shape (height, width, channels) of a built image model, or a clear error."""
    from glassnet.model import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"{what} expects a glassnet.Sequential model, got {type(model).__name__}.")
    if not model.built:
        raise ValueError(
            f"{what}: the model is not built yet, so it has no weights; start it with "
            f"glassnet.Input(shape=(height, width, channels)) or call model.build(...)."
        )
    shape = tuple(model.example_shape)
    if len(shape) != 3:
        raise ValueError(
            f"{what} draws image models (input (height, width, channels), e.g. a first Conv2D); "
            f"this model takes rows of {shape_text(shape)} features. Draw its weights with "
            f"glassnet.plots.weight_heatmap_figure(model) instead."
        )
    return shape


def one_example(model: Sequential, x: ArrayLike, what: str) -> np.ndarray:
    """``x`` as a batch of one checked example (1, height, width, channels): it may be one
    example (h, w, c), a batch of one, or (h, w) for a one-channel model."""
    shape = image_model(model, what)
    array = np.asarray(x)
    if array.shape == shape[:2] and shape[2] == 1:
        array = array[..., None]  # (h, w) -> (h, w, 1)
    if array.shape == shape:
        array = array[None]  # (1, h, w, c)
    if array.shape != (1, *shape):
        raise ValueError(
            f"{what} draws one example, of shape {shape} (or (1, {', '.join(map(str, shape))}))"
            f", got x of shape {array.shape}. Pass one image, e.g. x[0]."
        )
    return model._features(array, "x")  # numbers checked: NaN, inf, beyond the dtype


def feature_maps(
    model: Sequential, x: ArrayLike, layers: Sequence[str] | None = None
) -> list[tuple[Layer, np.ndarray]]:
    """(layer, its output for the one example ``x``: (height, width, channels)) for every layer
    of ``MAP_KINDS`` whose output is an image, in order (or only the layers named in ``layers``).
    The forward pass runs in inference mode, as ``predict`` does."""
    what = "feature_maps_figure"
    a = one_example(model, x, what)  # (1, h, w, c) = a0
    drawable = map_layers(model)
    if not drawable:
        kinds = ", ".join(f"{layer.name} ({layer.kind})" for layer in model.layers)
        raise ValueError(
            f"{what}: the model has no convolution or pooling layer, so no feature maps to "
            f"draw; its layers are {kinds}."
        )
    wanted = {id(layer) for layer in _chosen(drawable, layers, "feature maps", what)}
    maps = []
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, by layer
        for layer in model.layers:
            a = layer.forward(a, training=False)
            if id(layer) in wanted:
                if not np.isfinite(a).all():
                    wider = float64_advice(a.dtype, ", or build the model with dtype='float64'")
                    raise FloatingPointError(
                        f"{what}: layer '{layer.name}' ({layer.kind}) gave inf or NaN for this "
                        f"example (its numbers overflowed {a.dtype.name}). Scale the input{wider}."
                    )
                maps.append((layer, np.array(a[0], dtype=np.float64)))  # (h, w, c), a copy
                if len(maps) == len(wanted):
                    break  # the layers after the last one drawn need not run
    return maps


def map_layers(model: Sequential) -> list[Layer]:
    """The layers whose outputs ``feature_maps`` draws: of ``MAP_KINDS``, giving images."""
    return [
        layer
        for layer, shape in model._layer_outputs()
        if layer.kind in MAP_KINDS and shape is not None and len(shape) == 3
    ]


def _chosen(candidates: list[Layer], names: Sequence[str] | None, what: str, who: str) -> list:
    """The candidate layers, or those named in ``names`` (each must be a candidate)."""
    listed = ", ".join(repr(layer.name) for layer in candidates) or "none"
    if names is None:
        return candidates
    if isinstance(names, str):
        names = [names]
    by_name = {layer.name: layer for layer in candidates}
    chosen = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{who}: expected layer names (str), got {type(name).__name__}.")
        if name not in by_name:
            raise ValueError(
                f"{who}: the model has no layer named {name!r} with {what}; it has {listed}."
            )
        chosen.append(by_name[name])
    if not chosen:
        raise ValueError(
            f"{who}: expected at least one layer name, got none; the model has {listed}."
        )
    return chosen


def _count(value: Any, name: str, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{who}: expected {name} to be a positive integer, got {value!r}.")
    return int(value)


def _bare(ax: Any) -> None:
    """An image's axes: no ticks, a thin grey frame (so a white, all-zero map still shows)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#94a3b8")


def feature_maps_figure(
    model: Sequential,
    x: ArrayLike,
    layers: Sequence[str] | None = None,
    max_channels: int = MAX_CHANNELS,
    columns: int = 8,
    title: str | None = None,
) -> Any:
    """Every channel of every convolution and pooling layer's output for one example ``x``.

    ``x``: one example, (height, width, channels) or a batch of one. The first row is the
    example (grey: pixels); then a block per layer titled "name (what it does): symbol, shape",
    its channels ``columns`` to a row, channel k of layer l being a_l[:, :, k]. Each layer has its
    own diverging scale centred on zero (blue positive, orange negative, white 0) and colorbar.
    A layer with more than ``max_channels`` channels shows its first ``max_channels`` and says so
    in its title. ``layers``: the names of the layers to draw (default: all of them).
    """
    from glassnet.plots._matplotlib import new_figure

    who = "feature_maps_figure"
    max_channels = _count(max_channels, "max_channels", who)
    columns = _count(columns, "columns", who)
    example = one_example(model, x, who)[0].astype(np.float64)  # (h, w, c)
    maps = feature_maps(model, example, layers)
    symbols = {layer: f"a{i}" for i, layer in enumerate(model.layers, start=1)}
    blocks = [("input", f"the example a0 = x, {shape_text(example.shape)}", example, False)]
    for layer, values in maps:
        shown = min(values.shape[2], max_channels)
        cap = "" if shown == values.shape[2] else f" (the first {shown} of {values.shape[2]})"
        heading = f"{cut(layer.name)} ({layer_description(layer)}): {symbols[layer]}, "
        blocks.append((symbols[layer], heading + shape_text(values.shape) + cap, values, True))
    rows = [math.ceil(min(v.shape[2], max_channels) / columns) for _, _, v, _ in blocks]
    width = CELL * min(columns, max(min(v.shape[2], max_channels) for _, _, v, _ in blocks))
    figure = new_figure(
        figsize=(
            max(width + 1.4, max(len(heading) for _, heading, _, _ in blocks) * 0.085, 4.6),
            sum(CELL * r + 0.55 for r in rows) + 0.4,
        ),
        layout="constrained",
    )
    subfigures = figure.subfigures(len(blocks), 1, height_ratios=[r + 0.55 for r in rows])
    for subfigure, (symbol, heading, values, signed), count in zip(
        np.atleast_1d(subfigures), blocks, rows, strict=True
    ):
        shown = min(values.shape[2], max_channels)
        axes = subfigure.subplots(count, columns, squeeze=False)
        options = signed_image_options(values[:, :, :shown]) if signed else {"cmap": UNSIGNED_MAP}
        image = None
        for k, ax in enumerate(axes.flat):
            if k >= shown:
                ax.set_visible(False)
                continue
            image = ax.imshow(values[:, :, k], interpolation="nearest", **options)
            ax.set_title(f"channel {k}", fontsize=8, pad=2)
            _bare(ax)
        label = symbol if signed else "pixel value"
        subfigure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9, label=label)
        subfigure.suptitle(heading, fontsize=10, x=0.02, ha="left")
    if title:
        figure.suptitle(title, fontsize=12, weight="bold")
    return figure


def conv_layers(model: Sequential, layer: int | str | None, who: str) -> list[Layer]:
    """The model's Conv2D layers, or the one named (or numbered among them) by ``layer``."""
    image_model(model, who)
    convs = [item for item in model.layers if item.kind == "Conv2D"]
    if not convs:
        raise ValueError(f"{who}: the model has no Conv2D layer, so no kernels to draw.")
    if layer is None:
        return convs
    if isinstance(layer, str):
        return _chosen(convs, [layer], "kernels (a Conv2D layer)", who)
    if isinstance(layer, bool) or not isinstance(layer, int | np.integer):
        raise TypeError(f"{who}: expected a layer name or index, got {type(layer).__name__}.")
    if not -len(convs) <= layer < len(convs):
        raise ValueError(
            f"{who}: Conv2D index {layer} is out of range: the model has {len(convs)} Conv2D "
            f"layers ({', '.join(repr(c.name) for c in convs)}); use 0 to {len(convs) - 1}."
        )
    return [convs[layer]]


def _kernel_panel(
    subfigure: Any, kernel: np.ndarray, heading: str, symbol: str, limit: Any
) -> None:
    """One kernel array (kh, kw, in, out) as a grid: a column per filter, a row per input
    channel, capped at MAX_FILTERS x MAX_KERNEL_CHANNELS (the heading says so)."""
    channels, filters = kernel.shape[2:]
    shown_f, shown_c = min(filters, MAX_FILTERS), min(channels, MAX_KERNEL_CHANNELS)
    caps = []
    if shown_f < filters:
        caps.append(f"filters 0-{shown_f - 1} of {filters}")
    if shown_c < channels:
        caps.append(f"input channels 0-{shown_c - 1} of {channels}")
    heading += f" (showing {' and '.join(caps)})" if caps else ""
    axes = subfigure.subplots(shown_c, shown_f, squeeze=False)
    power = _power_of_ten(limit)  # gradients of 0.005 are drawn as 5 on a "x 1e-3" scale
    options = signed_image_options(limit / 10.0**power)
    image = None
    for c in range(shown_c):
        for f in range(shown_f):
            ax = axes[c, f]
            cell = kernel[:, :, c, f] / 10.0**power
            image = ax.imshow(cell, interpolation="nearest", **options)
            _bare(ax)
            if c == 0:
                ax.set_title(f"filter {f}", fontsize=8, pad=2)
            if f == 0:
                ax.set_ylabel(f"in {c}", fontsize=8)
    label = symbol if power == 0 else f"{symbol} (x 1e{power})"
    subfigure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9, label=label)
    subfigure.suptitle(heading, fontsize=10, x=0.02, ha="left")


def _power_of_ten(limit: float) -> int:
    """0 when the scale's ticks read well as they are (0.1 to 100), else the power of ten
    that brings ``limit`` to 1 .. 10, so that every colorbar's tick labels are as wide."""
    if 0.1 <= limit < 100:
        return 0
    return int(np.floor(np.log10(limit)))


def _panels_figure(panels: list[tuple[str, str, np.ndarray, float]], title: str | None) -> Any:
    """A figure of kernel panels stacked top to bottom: (heading, symbol, kernel, limit)."""
    from glassnet.plots._matplotlib import new_figure

    rows = [min(kernel.shape[2], MAX_KERNEL_CHANNELS) for _, _, kernel, _ in panels]
    widest = max(min(kernel.shape[3], MAX_FILTERS) for _, _, kernel, _ in panels)
    headings = [heading for heading, _, _, _ in panels] + [title or ""]
    lettering = max(len(text) for text in headings) * 0.085  # inches, at 10-12 points
    figure = new_figure(
        figsize=(
            max(CELL * 0.8 * widest + 1.4, lettering, 5.4),
            sum(0.8 * CELL * r + 0.6 for r in rows) + (0.35 if title else 0.0),
        ),
        layout="constrained",
    )
    subfigures = figure.subfigures(len(panels), 1, height_ratios=[r + 0.7 for r in rows])
    for subfigure, (heading, symbol, kernel, limit) in zip(
        np.atleast_1d(subfigures), panels, strict=True
    ):
        _kernel_panel(subfigure, kernel, heading, symbol, limit)
    if title:
        figure.suptitle(title, fontsize=12, weight="bold")
    return figure


def _kernel_heading(model: Sequential, layer: Layer, kernel: np.ndarray, what: str) -> str:
    """A kernel panel's heading with the narration's name for the kernel: "K2 before training
    (conv2d, 3x3x1x8: 8 filters of 3x3x1)", "dC/dK2 (...)", counting the model's layers from 1."""
    kh, kw, channels, filters = kernel.shape
    shape = shape_text(kernel.shape)
    position = next(n for n, item in enumerate(model.layers, start=1) if item is layer)
    what = what.replace("K", f"K{position}")
    return f"{what} ({cut(layer.name)}, {shape}: {filters} filters of {kh}x{kw}x{channels})"


def kernels_figure(
    model: Sequential,
    layer: int | str | None = None,
    before: Sequence[ArrayLike] | None = None,
    title: str | None = None,
) -> Any:
    """Each Conv2D kernel K (kh, kw, in, out) as images: a column a filter, a row an input
    channel, each cell K[:, :, c, f]; blue positive, orange negative, white zero, one scale a
    layer with its colorbar. ``layer``: a Conv2D's name or index among the Conv2D layers (None:
    all). ``before``: ``model.get_weights()`` taken before training; then each layer's kernels
    before training are drawn above the ones now, on one scale, so the change shows."""
    who = "kernels_figure"
    layers = conv_layers(model, layer, who)
    old = _kernels_before(model, before, who) if before is not None else None
    panels = []
    for item in layers:
        now = np.asarray(item.kernel, dtype=np.float64)  # (kh, kw, in, out)
        if old is None:
            panels.append((_kernel_heading(model, item, now, "K"), "K", now, _limit(now)))
            continue
        first = old[item.name]
        limit = _limit(first, now)
        panels.append((_kernel_heading(model, item, first, "K before training"), "K", first, limit))
        panels.append((_kernel_heading(model, item, now, "K after training"), "K", now, limit))
    return _panels_figure(panels, title)


def _limit(*arrays: np.ndarray) -> float:
    return signed_image_options(*arrays)["vmax"]


def _kernels_before(model: Sequential, before: Sequence[ArrayLike], who: str) -> dict:
    """The kernels in ``before`` (a ``get_weights()`` list), by Conv2D layer name."""
    now = model.get_weights()
    if not isinstance(before, list | tuple) or len(before) != len(now):
        # before: a str or a number was measured with len() (a str 'x' was "got 1") or raised
        count = (
            len(before)
            if isinstance(before, list | tuple)
            else f"{type(before).__name__} {shown(before, 40)}"
        )
        raise ValueError(
            f"{who}: expected before to be model.get_weights() taken before training, a list of "
            f"{len(now)} arrays; got {count}."
        )
    kernels, index = {}, 0
    for layer in model.layers:
        if layer.kind == "Conv2D":
            try:
                kernel = np.asarray(before[index], dtype=np.float64)
            except (TypeError, ValueError):
                kernel = np.asarray(np.nan)  # not numbers: refused just below, by name
            if not np.isfinite(kernel).all():
                raise ValueError(
                    f"{who}: before[{index}], layer '{layer.name}''s kernel before training, "
                    f"holds NaN, infinity or something not a number; pass model.get_weights() "
                    f"taken before training."
                )
            if kernel.shape != layer.kernel.shape:
                raise ValueError(
                    f"{who}: before[{index}] should be layer '{layer.name}''s kernel of shape "
                    f"{layer.kernel.shape}, got shape {kernel.shape}; pass model.get_weights() "
                    f"of this model."
                )
            kernels[layer.name] = kernel
        index += len(layer.weights)
    return kernels


def kernel_gradients_figure(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    layer: int | str | None = None,
    title: str | None = None,
) -> Any:
    """The kernels K and, below them, the gradient dC/dK of one training step on (x, y):
    ``dC/dK[i, j, c, f] = sum_{n, y, x} a_prev[n, y*s+i, x*s+j, c] * delta[n, y, x, f]``, as the
    engine's backward computes it (``model.compute_gradients``; the model must be compiled).
    The step is not applied: the weights (and BatchNormalization's moving statistics) are as
    before. K and dC/dK each have their own scale (a gradient is far smaller than a weight);
    the update the optimizer would make is -learning_rate * dC/dK, so a blue gradient cell
    means that kernel entry will go down."""
    who = "kernel_gradients_figure"
    layers = conv_layers(model, layer, who)
    model._check_compiled("drawing kernel gradients")
    state = model.get_weights()
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, clearly
            loss = model.compute_gradients(x, y)
    finally:
        model.set_weights(state)  # the forward pass in training mode moves BatchNormalization
    panels = []
    for item in layers:
        kernel = np.asarray(item.kernel, dtype=np.float64)
        gradient = np.asarray(item.kernel_gradient, dtype=np.float64)  # dC/dK, K's shape
        if not (math.isfinite(loss) and np.isfinite(gradient).all()):
            wider = float64_advice(model.dtype, ", or build the model with dtype='float64'")
            raise FloatingPointError(
                f"{who}: the step's loss or layer '{item.name}''s dC/dK is inf or NaN (the "
                f"numbers overflowed {model.dtype.name}; loss C = {loss:.4g}). Scale the input"
                f"{wider}."
            )
        panels.append((_kernel_heading(model, item, kernel, "K"), "K", kernel, _limit(kernel)))
        panels.append(
            (_kernel_heading(model, item, gradient, "dC/dK"), "dC/dK", gradient, _limit(gradient))
        )
    count = len(np.asarray(x))
    title = title or f"One training step on {count} examples (loss C = {loss:.4g}): K and dC/dK"
    return _panels_figure(panels, title)
