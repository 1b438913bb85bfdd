"""How image numbers are written: the three levels' number formats, a worked sum as one line of
terms, a labelled crop, the output-size arithmetic, a rescaled number. Shared by the student's
renderer (``image_text``), the kid's and the expert's (``image_short``), and open to the other
faces: ``render_sum(conv_pixel(trace, 2, focus))`` is the worked convolution pixel as text."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from glassnet.explain.chain import formula_number, formula_term
from glassnet.explain.common import kid_number
from glassnet.explain.document import Document, matrix, number, shape_text
from glassnet.explain.image_layers import elementwise
from glassnet.explain.images import Focus, WorkedSum, crop, geometry
from glassnet.trace import Trace

Format = Callable[[float], str]
_n, _p = formula_number, formula_term


def expert_number(value: float) -> str:
    return number(value, 6)


def expert_term(value: float) -> str:
    return f"({expert_number(value)})" if float(value) < 0 else expert_number(value)


def kid_term(value: float) -> str:
    return f"({kid_number(value)})" if float(value) < 0 else kid_number(value)


def sum_terms(worked: WorkedSum, term: Format = _p, times: str = " * ") -> list[str]:
    """The written terms of a worked sum: the shown products, ``[N more products: R]``, then the
    constant (bias or penalty)."""
    terms = [f"{term(a.value)}{times}{term(b.value)}" for a, b in worked.shown]
    if worked.rest_count:
        what = "product" if worked.rest_count == 1 else "products"
        terms.append(f"[{worked.rest_count} more {what}: {term(worked.rest)}]")
    if worked.constant is not None:
        terms.append(term(worked.constant.value))
    return terms


def render_sum(worked: WorkedSum, term: Format = _p, value: Format = _n) -> str:
    """The formula in symbols, then the numbers and the engine's total on the next line."""
    return (
        f"{worked.formula}\n    = " + " + ".join(sum_terms(worked, term)) + f" = "
        f"{value(worked.target.value)}"
    )


def crop_block(doc: Document, trace: Trace, symbol: str, focus: Focus, note: str = "") -> None:
    """A crop of an image tensor (or one filter of a kernel), labelled with its index."""
    entry = trace[symbol]
    kernel = entry.value.ndim == 4 and not per_example_image(trace, symbol)
    piece, where = crop(entry.value, focus, kernel=kernel)
    what = note or ("one filter" if kernel else "a crop")
    doc.matrix(f"{symbol}{where}  ({what} of {shape_text(entry.shape)})", matrix(piece, 4))


def per_example_image(trace: Trace, symbol: str) -> bool:
    """True for a (batch, h, w, c) tensor of the step (a, z, delta, dC/da), False for a kernel
    and what has its shape (dC/dK, m_K, K_new, change_K, dpenalty/dK)."""
    kernel = re.search(r"(?:^|_|/d)K\d+(?:_new|_old)?$", symbol) or symbol.startswith("dpenalty")
    return trace[symbol].value.ndim == 4 and not kernel


def size_lines(trace: Trace, index: int) -> list[str]:
    """(W - F + 2P) / S + 1 with the layer's numbers, for rows and columns, and where "same"
    put its padding."""
    g = geometry(trace, index)
    lines: list[str] = []
    names = (("rows", "on top", "at the bottom"), ("columns", "on the left", "on the right"))
    for axis, (name, before_side, after_side) in enumerate(names):
        size, window, stride = g.size[axis], g.window[axis], g.strides[axis]
        before, after = g.pads[2 * axis], g.pads[2 * axis + 1]
        inner = f"({size} - {window} + {before + after}) / {stride}"
        if (size - window + before + after) % stride:
            inner = f"floor{inner}"
        lines.append(
            f"{name}: (W - F + 2P) / S + 1 = {inner} + 1 = {g.out[axis]}"
            + (
                f"  (2P = {before} {before_side} + {after} {after_side})"
                if g.padding == "same"
                else ""
            )
        )
    if g.padding == "valid":
        lines = ["; ".join(lines)]
    if g.padding == "same":
        top, bottom, left, right = g.pads
        lopsided = top != bottom or left != right
        lines.append(
            f"padding 'same': out = ceil(W / S), so the zeros added are {top} row(s) on top, "
            f"{bottom} at the bottom, {left} column(s) on the left, {right} on the right"
            + ("; the odd one goes to the bottom/right, as TensorFlow" if lopsided else "")
        )
    return lines


def scaling_line(trace: Trace, index: int, focus: Focus, term: Format, value: Format) -> str:
    layer = trace.info["layers"][index - 1]
    config = layer["config"]
    before, after = elementwise(trace, index, focus)
    if layer["kind"] == "Rescaling":
        return (
            f"{after.label} = {before.label} * scale + offset = {term(before.value)} * "
            f"{config['scale']:.9g} + {term(config['offset'])} = {value(after.value)}"
        )
    mean, variance = normalization_stats(config, before.index[-1])
    return (
        f"{after.label} = ({before.label} - mean) / sqrt(variance) = ({term(before.value)} - "
        f"{term(mean)}) / sqrt({value(variance)}) = {value(after.value)}"
    )


def normalization_stats(config: dict, channel: int) -> tuple[float, float]:
    mean = np.ravel(np.asarray(config["mean"], dtype=float))
    variance = np.ravel(np.asarray(config["variance"], dtype=float))
    pick = channel if mean.size > 1 else 0
    return float(mean[pick]), float(variance[pick])
