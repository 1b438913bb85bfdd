"""The worked numbers of image layers, as data: one output pixel of a convolution written out as
its sum, one kernel-gradient entry, one input-gradient pixel, and small crops of big tensors
(``image_layers`` holds the pooling window, the batch-normalised activation and the rest).

A large image network is told through one example, one channel and one position (the *focus*):
``Focus`` holds them on the grid of a reference layer's output (the first Conv2D's, else the first
image-shaped output), and ``Focus.on(shape)`` finds the same spot on any other image tensor's grid
(the position scaled to its height and width, the channel clipped to its channels). Every
function here is a pure function of a ``Trace``: the renderers (``image_text``) and the other
faces (pictures, playground) can call them and draw the numbers as they like.

Each worked sum is computed the way the readable loop reference reads (``conv_forward_loop``:
take the window, multiply it by the filter, add), index by index, and its ``total`` is the
engine's own value at the index it claims; ``shown + rest + constant`` add up to it (a test
checks this, and recomputes the sums from the weights with its own loops).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet._validation import shown
from glassnet.layers.convolution import output_size
from glassnet.trace import Trace

MAX_TERMS = 6  # products written out in a long sum; the rest are added up in one number
CROP = 5  # a crop of a big image tensor is at most CROP x CROP
IMAGE_KINDS = (
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "Flatten",
    "Reshape",
    "BatchNormalization",
    "Rescaling",
    "Normalization",
)


def is_image_trace(trace: Trace) -> bool:
    """True when a layer's input or output is an image, (batch, height, width, channels)."""
    count = len(trace.info["layers"])
    return any(trace[f"a{i}"].value.ndim == 4 for i in range(count + 1) if f"a{i}" in trace)


def reference_layer(trace: Trace) -> int | None:
    """The layer whose output grid ``--channel`` and ``--position`` count on: the first Conv2D,
    else the first layer with an image output, else 0 (an image input), else None."""
    layers = trace.info["layers"]
    for index, layer in enumerate(layers, start=1):
        if layer["kind"] == "Conv2D":
            return index
    for index in range(len(layers) + 1):
        if trace[f"a{index}"].value.ndim == 4:
            return index
    return None


@dataclass(frozen=True)
class Focus:
    """One example (a batch row), one channel and one position (y, x) on the output grid
    ``grid`` (height, width, channels) of layer ``reference``."""

    example: int
    channel: int
    position: tuple[int, int]
    grid: tuple[int, int, int]
    reference: int

    def on(self, shape: tuple[int, ...]) -> tuple[int, int, int]:
        """(channel, y, x) for an image tensor of ``shape`` (batch, h, w, c): the same spot,
        scaled to its grid.

        >>> Focus(0, 3, (20, 10), (26, 26, 8), 1).on((5, 13, 13, 8))
        (3, 10, 5)
        """
        height, width, channels = shape[-3:]
        y = min(self.position[0] * height // self.grid[0], height - 1)
        x = min(self.position[1] * width // self.grid[1], width - 1)
        return min(self.channel, channels - 1), y, x


def check_focus(trace: Trace, channel: int | None, position: Any) -> None:
    """A clear error for a channel or position outside the reference layer's output grid."""
    if channel is None and position is None:
        return
    reference = reference_layer(trace)
    grid = None if reference is None else trace[f"a{reference}"].value.shape[1:]
    _check_focus_on(reference, grid, channel, position)


def check_model_focus(model: Any, channel: int | None, position: Any) -> None:
    """``check_focus`` before any step is traced or trained (``model.explain(step=N)``, the
    CLI's ``--step N``): the same reference layer and grid, read off the built ``model``'s
    output shapes instead of a trace's arrays, so a wrong channel or position is refused before
    N training steps change the model. A model not built yet is left to ``check_focus``."""
    if (channel is None and position is None) or model.example_shape is None:
        return
    shapes = [tuple(model.example_shape)]  # (height, width, channels) or (features,) a layer
    for layer in model.layers:
        shapes.append(tuple(layer.compute_output_shape(shapes[-1])))
    kinds = [None, *(layer.kind for layer in model.layers)]
    reference = next((i for i, kind in enumerate(kinds) if kind == "Conv2D"), None)
    if reference is None:
        reference = next((i for i, shape in enumerate(shapes) if len(shape) == 3), None)
    grid = None if reference is None else shapes[reference]
    _check_focus_on(reference, grid, channel, position)


def _check_focus_on(
    reference: int | None, grid: tuple[int, ...] | None, channel: Any, position: Any
) -> None:
    """``check_focus``'s checks on layer ``reference``'s output grid (height, width, channels)."""
    if reference is None or grid is None:
        raise ValueError(
            "channel and position pick a spot of an image network; this network has no image "
            "layer (no Conv2D or pooling). Leave them out."
        )
    height, width, channels = grid
    where = f"layer {reference}'s output ({height}x{width}x{channels})"
    if channel is not None:
        if isinstance(channel, bool) or not isinstance(channel, int | np.integer):
            raise TypeError(f"Expected channel to be an integer, got {type(channel).__name__}.")
        if not 0 <= channel < channels:
            raise ValueError(
                f"channel must be in [0, {channels - 1}], the channels of {where}; got "
                f"{str(int(channel))[:20]}."
            )
    if position is not None:
        if (
            not isinstance(position, tuple | list)
            or len(position) != 2
            or not all(
                isinstance(v, int | np.integer) and not isinstance(v, bool) for v in position
            )
        ):
            raise TypeError(
                f"Expected position to be a pair of integers (y, x), got {shown(position)}."
            )
        y, x = int(position[0]), int(position[1])
        if not (0 <= y < height and 0 <= x < width):
            raise ValueError(
                f"position (y, x) must have y in [0, {height - 1}] and x in [0, {width - 1}], "
                f"the rows and columns of {where}; got ({str(y)[:20]}, {str(x)[:20]})."
            )


def make_focus(
    trace: Trace, example: int, channel: int | None = None, position: Any = None
) -> Focus | None:
    """The focus of an image trace (None for a flat one). Unless given, the channel is the one
    with the largest output of that example on the reference layer's grid, and the position is
    where that channel's output is largest (the first such, row by row): a spot the layer
    reacted to, not a blank corner."""
    reference = reference_layer(trace)
    if reference is None:
        return None
    check_focus(trace, channel, position)
    output = np.asarray(trace[f"a{reference}"].value[example], dtype=float)  # (h, w, c)
    grid = output.shape
    if channel is None:
        channel = int(np.argmax(output.max(axis=(0, 1))))
    channel = int(channel)
    if position is None:
        plane = output[:, :, channel]
        if plane.max() <= 0 and f"z{reference}" in trace:  # a dead channel: its largest |z|
            plane = np.abs(np.asarray(trace[f"z{reference}"].value[example, :, :, channel]))
        y, x = np.unravel_index(int(np.argmax(plane)), plane.shape)
        position = (int(y), int(x))
    return Focus(example, channel, (int(position[0]), int(position[1])), grid, reference)


# -- crops -----------------------------------------------------------------------------------
def _span(center: int, size: int, limit: int = CROP) -> tuple[int, int]:
    start = min(max(center - limit // 2, 0), max(size - limit, 0))
    return start, min(start + limit, size)


def crop(value: np.ndarray, focus: Focus, kernel: bool = False) -> tuple[np.ndarray, str]:
    """A small 2-D piece of an image tensor and its index, e.g. ``[0, 8:13, 10:15, 3]``: for a
    per-example (batch, h, w, c) tensor the focus's example and channel around its position;
    for a kernel (kh, kw, c_in, filters) one filter's slice ``[:, :, 0, f]`` (``kernel=True``)."""
    if kernel:
        f = min(focus.channel, value.shape[3] - 1)
        c = min(focus.channel, value.shape[2] - 1)
        rows, columns = min(value.shape[0], CROP), min(value.shape[1], CROP)
        return value[:rows, :columns, c, f], (
            f"[{_slice(0, rows, value.shape[0])}, {_slice(0, columns, value.shape[1])}, {c}, {f}]"
        )
    channel, y, x = focus.on(value.shape)
    (y0, y1), (x0, x1) = _span(y, value.shape[1]), _span(x, value.shape[2])
    piece = value[focus.example, y0:y1, x0:x1, channel]
    return piece, f"[{focus.example}, {_slice(y0, y1, value.shape[1])}, " + (
        f"{_slice(x0, x1, value.shape[2])}, {channel}]"
    )


def _slice(start: int, stop: int, size: int | None = None) -> str:
    size = stop if size is None else size
    return ":" if (start, stop) == (0, size) else f"{start}:{stop}"


# -- the worked sums ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    """A number of the step at its index: ``symbol[index] = value``; ``padding`` marks a zero
    of the padding around an image (outside it, so no entry of the trace holds it)."""

    symbol: str
    index: tuple[int, ...]
    value: float
    padding: bool = False

    @property
    def label(self) -> str:
        return f"{self.symbol}[{', '.join(str(i) for i in self.index)}]"


@dataclass
class WorkedSum:
    """``target = sum of products (+ constant)``, with ``shown`` products written out and the
    other ``rest_count`` added up in ``rest``: sum(shown) + rest + constant = target.value."""

    target: Factor
    formula: str
    shown: list[tuple[Factor, Factor]]
    rest_count: int = 0
    rest: float = 0.0
    constant: Factor | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def products(self) -> list[float]:
        return [float(a.value) * float(b.value) for a, b in self.shown]


@dataclass(frozen=True)
class Geometry:
    """A window layer's sizes on one axis pair: input (H, W), window (F), strides (S), padding,
    output, and the padding on each side (top, bottom, left, right)."""

    size: tuple[int, int]
    window: tuple[int, int]
    strides: tuple[int, int]
    padding: str
    out: tuple[int, int]
    pads: tuple[int, int, int, int]


def geometry(trace: Trace, index: int) -> Geometry:
    """Layer ``index``'s (a Conv2D's or a pooling layer's) sizes, from its config and input."""
    config = trace.info["layers"][index - 1]["config"]
    window = tuple(config.get("kernel_size") or config["pool_size"])
    strides = tuple(config["strides"])
    height, width = trace[f"a{index - 1}"].value.shape[1:3]
    out_h, top, bottom = output_size(height, window[0], strides[0], config["padding"])
    out_w, left, right = output_size(width, window[1], strides[1], config["padding"])
    return Geometry(
        (height, width),
        (int(window[0]), int(window[1])),
        (int(strides[0]), int(strides[1])),
        config["padding"],
        (out_h, out_w),
        (top, bottom, left, right),
    )


def _plus(offset: int) -> str:
    """+2, -1, or nothing for 0: an offset written after a symbol."""
    return f"{offset:+d}" if offset else ""


def window_factor(trace: Trace, symbol: str, index: tuple[int, int, int, int]) -> Factor:
    """a_prev[n, r, c, ch], or a padding zero when (r, c) falls outside the image."""
    value = trace[symbol].value
    n, r, col, ch = index
    inside = 0 <= r < value.shape[1] and 0 <= col < value.shape[2]
    return Factor(symbol, index, float(value[n, r, col, ch]) if inside else 0.0, not inside)


def conv_pixel(trace: Trace, index: int, focus: Focus) -> WorkedSum:
    """z_l[n, y, x, f] = sum_{i, j, c} a_{l-1}[n, y*s+i, x*s+j, c] * K_l[i, j, c, f] + b_l[f],
    the products in the loop reference's order (i, then j, then c)."""
    g = geometry(trace, index)
    z = trace[f"z{index}"].value
    f, y, x = focus.on(z.shape)
    n = focus.example
    kernel = trace[f"K{index}"].value
    prev = f"a{index - 1}"
    top, left = g.pads[0], g.pads[2]
    pairs = []
    for i in range(g.window[0]):
        for j in range(g.window[1]):
            for c in range(kernel.shape[2]):
                r, col = y * g.strides[0] + i - top, x * g.strides[1] + j - left
                pairs.append(
                    (
                        window_factor(trace, prev, (n, r, col, c)),
                        Factor(f"K{index}", (i, j, c, f), float(kernel[i, j, c, f])),
                    )
                )
    bias = None
    if f"b{index}" in trace:
        bias = Factor(f"b{index}", (f,), float(trace[f"b{index}"].value[f]))
    rest = pairs[MAX_TERMS:] if len(pairs) > 9 else []
    shown = pairs[:MAX_TERMS] if rest else pairs
    sy, sx = g.strides
    formula = (
        f"z{index}[{n}, {y}, {x}, {f}] = sum_(i, j, c) {prev}[{n}, {y * sy - top}+i, "
        f"{x * sx - left}+j, c] * K{index}[i, j, c, {f}]" + (f" + b{index}[{f}]" if bias else "")
    )
    return WorkedSum(
        Factor(f"z{index}", (n, y, x, f), float(z[n, y, x, f])),
        formula,
        shown,
        len(rest),
        float(sum(a.value * b.value for a, b in rest)),
        bias,
        {"row": y * sy - top, "column": x * sx - left, "filter": f, "position": (y, x)},
    )


def kernel_gradient_entry(trace: Trace, index: int, focus: Focus) -> WorkedSum:
    """dC/dK_l[i, j, c, f] = sum_{n, y, x} a_{l-1}[n, y*s+i, x*s+j, c] * delta_l[n, y, x, f]
    (+ the penalty's gradient), for the kernel's centre (i, j), c = 0 and the focus's filter.
    Shown: the followed example's largest products; the rest (every other example and
    position) is added up."""
    g = geometry(trace, index)
    delta = trace[f"delta{index}"].value  # (n, oh, ow, f)
    f = min(focus.channel, delta.shape[3] - 1)
    prev = trace[f"a{index - 1}"].value
    i, j, c = g.window[0] // 2, g.window[1] // 2, focus.on(prev.shape)[0]
    top, bottom, left, right = g.pads
    padded = np.pad(prev, ((0, 0), (top, bottom), (left, right), (0, 0)))
    sy, sx = g.strides
    oh, ow = g.out
    inputs = padded[:, i : i + oh * sy : sy, j : j + ow * sx : sx, c]  # (n, oh, ow)
    products = np.asarray(inputs, dtype=float) * np.asarray(delta[..., f], dtype=float)
    n = focus.example
    order = np.argsort(-np.abs(products[n]), axis=None, kind="stable")[: MAX_TERMS - 2]
    shown = []
    for flat in order:
        y, x = (int(v) for v in np.unravel_index(int(flat), (oh, ow)))
        a = window_factor(trace, f"a{index - 1}", (n, y * sy + i - top, x * sx + j - left, c))
        d = Factor(f"delta{index}", (n, y, x, f), float(delta[n, y, x, f]))
        shown.append((a, d))
    penalty = None
    if f"dpenalty{index}/dK{index}" in trace:
        value = trace[f"dpenalty{index}/dK{index}"].value[i, j, c, f]
        penalty = Factor(f"dpenalty{index}/dK{index}", (i, j, c, f), float(value))
    rest = float(products.sum() - sum(a.value * d.value for a, d in shown))
    total = trace[f"dC/dK{index}"].value[i, j, c, f]
    formula = (
        f"dC/dK{index}[{i}, {j}, {c}, {f}] = sum_(n, y, x) a{index - 1}[n, {sy}*y{_plus(i - top)}, "
        f"{sx}*x{_plus(j - left)}, {c}] * delta{index}[n, y, x, {f}]"
        + (f" + dpenalty{index}/dK{index}[{i}, {j}, {c}, {f}]" if penalty else "")
    )
    return WorkedSum(
        Factor(f"dC/dK{index}", (i, j, c, f), float(total)),
        formula,
        shown,
        products.size - len(shown),
        rest,
        penalty,
        {"count": int(products.size)},
    )


def input_gradient_pixel(trace: Trace, index: int, focus: Focus) -> WorkedSum | None:
    """dC/da_{l-1}[n, r, q, c] = sum over the outputs (y, x, f) whose window held that pixel
    of delta_l[n, y, x, f] * K_l[r+top - y*s, q+left - x*s, c, f]: the pixel under the kernel's
    centre at the focus, in the focus's channel (clipped to the input's). Shown: the focus
    filter's terms; the rest (other filters) is added up. None when the step did not need the
    input's gradient (a first layer)."""
    symbol = f"dC/da{index - 1}"
    if symbol not in trace:
        return None
    g = geometry(trace, index)
    delta = trace[f"delta{index}"].value
    kernel = trace[f"K{index}"].value
    f, y, x = focus.on(delta.shape)
    n, c = focus.example, focus.on(trace[f"a{index - 1}"].value.shape)[0]
    top, left = g.pads[0], g.pads[2]
    sy, sx = g.strides
    height, width = g.size
    r = min(max(y * sy + g.window[0] // 2 - top, 0), height - 1)
    q = min(max(x * sx + g.window[1] // 2 - left, 0), width - 1)
    terms: list[tuple[Factor, Factor]] = []
    for yy in range(g.out[0]):
        i = r + top - yy * sy
        if not 0 <= i < g.window[0]:
            continue
        for xx in range(g.out[1]):
            j = q + left - xx * sx
            if not 0 <= j < g.window[1]:
                continue
            for ff in range(kernel.shape[3]):
                terms.append(
                    (
                        Factor(f"delta{index}", (n, yy, xx, ff), float(delta[n, yy, xx, ff])),
                        Factor(f"K{index}", (i, j, c, ff), float(kernel[i, j, c, ff])),
                    )
                )
    mine = [t for t in terms if t[0].index[3] == f][:9]
    others = [t for t in terms if t not in mine]
    formula = (
        f"{symbol}[{n}, {r}, {q}, {c}] = sum over the outputs (y, x, f) it fed of "
        f"delta{index}[{n}, y, x, f] * K{index}[{r + top} - {sy}*y, {q + left} - {sx}*x, {c}, f]"
    )
    return WorkedSum(
        Factor(symbol, (n, r, q, c), float(trace[symbol].value[n, r, q, c])),
        formula,
        mine,
        len(others),
        float(sum(a.value * b.value for a, b in others)),
        None,
        {"filter": f, "pixel": (r, q)},
    )
