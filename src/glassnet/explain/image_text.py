"""Image layers told in words, with the worked numbers of ``images``: the student's equations,
forward and backward, per layer (the kid's and the expert's are in ``image_short``).

Every number is written beside the index it belongs to (``z2[0, 3, 4, 2] = 0.4213``), or inside a
crop whose label says which slice it is (``a1[0, 3:6, 4:7, 0]``), or in a sum whose terms come in
a stated order; a long sum shows its first terms, then ``[N more products: R]`` (their sum), so
that the written arithmetic still adds up to the total (``image_render.render_sum``).
"""

from __future__ import annotations

import numpy as np

from glassnet.explain.chain import formula_number, formula_term
from glassnet.explain.document import Document, matrix, shape_text
from glassnet.explain.image_layers import batchnorm, global_pool, moved, pool_window
from glassnet.explain.image_render import (
    crop_block,
    expert_number,
    expert_term,
    render_sum,
    scaling_line,
    size_lines,
)
from glassnet.explain.image_words import IMAGE_WORDS
from glassnet.explain.images import (
    Focus,
    conv_pixel,
    geometry,
    input_gradient_pixel,
    kernel_gradient_entry,
)
from glassnet.explain.words import ACTIVATION_WORDS, LAYER_WORDS
from glassnet.trace import Trace

_n, _p = formula_number, formula_term


# -- the student -------------------------------------------------------------------------------
def student_forward(doc: Document, trace: Trace, index: int, focus: Focus) -> None:
    """The forward words and worked numbers of image layer ``index``."""
    layer = trace.info["layers"][index - 1]
    kind = layer["kind"]
    words = IMAGE_WORDS[kind]
    said = [words["student"] + ".", LAYER_WORDS[kind]["student"]]
    if layer["activation"]:
        said.append(ACTIVATION_WORDS[layer["activation"]]["student"])
    doc.paragraph(" ".join(said))
    if kind == "Conv2D":
        _conv_forward(doc, trace, index, focus, layer)
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        doc.equation("\n".join(size_lines(trace, index)))
        window = pool_window(trace, index, focus)
        values = ", ".join(_n(f.value) for f in window.inputs)
        out = window.output
        if kind == "MaxPooling2D":
            winner = window.inputs[window.winner or 0]
            doc.equation(f"{out.label} = max({values}) = {_n(out.value)}  (winner {winner.label})")
        else:
            plus = " + ".join(_p(f.value) for f in window.inputs)
            doc.equation(f"{out.label} = ({plus}) / {window.count} = {_n(out.value)}")
        first, last = window.inputs[0].index, window.inputs[-1].index
        n, c = first[0], first[3]
        rows, columns = f"{first[1]}:{last[1] + 1}", f"{first[2]}:{last[2] + 1}"
        cells = np.array([f.value for f in window.inputs]).reshape(last[1] - first[1] + 1, -1)
        doc.matrix(f"a{index - 1}[{n}, {rows}, {columns}, {c}]  (the window)", matrix(cells, 4))
    elif kind == "GlobalAveragePooling2D":
        found = global_pool(trace, index, focus)
        out = found["output"]
        channel = out.index[1]
        doc.equation(
            f"{out.label} = sum(a{index - 1}[{focus.example}, :, :, {channel}]) / {found['count']} "
            f"= {_n(found['total'])} / {found['count']} = {_n(out.value)}"
        )
    elif kind in ("Flatten", "Reshape"):
        source, target = moved(trace, index, focus)
        doc.equation(
            f"{target.label} = {source.label} = {_n(target.value)}  (the number moves, unchanged)"
        )
    elif kind in ("Rescaling", "Normalization"):
        doc.equation(scaling_line(trace, index, focus, _p, _n))
    elif kind == "BatchNormalization":
        _batchnorm_forward(doc, trace, index, focus)


def _conv_forward(doc: Document, trace: Trace, index: int, focus: Focus, layer: dict) -> None:
    kernel = trace[f"K{index}"]
    kh, kw, channels, _ = kernel.shape
    doc.equation("\n".join(size_lines(trace, index)))
    worked = conv_pixel(trace, index, focus)
    n, y, x, f = worked.target.index
    row, column = worked.notes["row"], worked.notes["column"]
    window_label = f"a{index - 1}[{n}, {row}:{row + kh}, {column}:{column + kw}, 0]" + (
        "  (zeros outside the image: padding)" if any(a.padding for a, _ in worked.shown) else ""
    )
    doc.paragraph(
        f"One output pixel, example {focus.example}'s filter {f} at (y, x) = ({y}, {x}): its "
        f"window is rows {row} to {row + kh - 1} and columns {column} to {column + kw - 1} of "
        f"a{index - 1}, {kh}x{kw}x{channels} numbers, multiplied one by one by filter {f} "
        f"({kh}x{kw}x{channels}), in the order i, j, c:"
    )
    prev = trace[f"a{index - 1}"].value
    padded = _padded_window(prev, n, row, column, kh, kw)
    doc.matrix(window_label, matrix(padded, 4))
    doc.matrix(f"K{index}[:, :, 0, {f}]", matrix(kernel.value[:, :, 0, f], 4))
    if channels > 1:
        doc.paragraph(f"(channel 0 of {channels} shown; the sum runs over all of them)")
    doc.equation(render_sum(worked))
    activation = layer["activation"] or "linear"
    a = trace[f"a{index}"].value[n, y, x, f]
    doc.equation(
        f"a{index}[{n}, {y}, {x}, {f}] = {activation}({_n(worked.target.value)}) = {_n(a)}"
    )


def _padded_window(prev: np.ndarray, n: int, row: int, column: int, kh: int, kw: int) -> np.ndarray:
    """Channel 0 of the window at (row, column), zeros where it hangs over the image's edge."""
    out = np.zeros((kh, kw))
    for i in range(kh):
        for j in range(kw):
            r, q = row + i, column + j
            if 0 <= r < prev.shape[1] and 0 <= q < prev.shape[2]:
                out[i, j] = prev[n, r, q, 0]
    return out


def _batchnorm_forward(doc: Document, trace: Trace, index: int, focus: Focus) -> None:
    found = batchnorm(trace, index, focus)
    v = expert_number  # six decimals: the three terms below subtract nearly equal numbers
    c, m = found["channel"], found["count"]
    mu, var, x_hat, inp = found["mu"], found["var"], found["x_hat"], found["input"]
    every = f"a{index - 1}[..., {c}]"
    doc.equation(
        f"{mu.label} = sum({every}) / m = {v(found['sum'])} / {m} = {v(mu.value)}\n"
        f"{var.label} = sum(({every} - {mu.label})**2) / m = {v(found['squares'])} / {m} = "
        f"{v(var.value)}\n"
        f"{x_hat.label} = ({inp.label} - {mu.label}) / sqrt({var.label} + epsilon) = "
        f"({expert_term(inp.value)} - {expert_term(mu.value)}) / sqrt({v(var.value)} + "
        f"{found['epsilon']:g}) = {v(x_hat.value)}"
    )
    out = found["output"]
    gamma, beta = found.get("gamma"), found.get("beta")
    parts = [f"{gamma.label} * {x_hat.label}" if gamma else x_hat.label]
    numbers = [
        f"{expert_term(gamma.value)} * {expert_term(x_hat.value)}" if gamma else v(x_hat.value)
    ]
    if beta:
        parts.append(beta.label)
        numbers.append(expert_term(beta.value))
    doc.equation(f"{out.label} = {' + '.join(parts)} = {' + '.join(numbers)} = {v(out.value)}")
    momentum = trace.info["layers"][index - 1]["config"]["momentum"]
    doc.paragraph(
        f"Here m = {m} values per channel. Inference mode (predict, evaluate) uses "
        f"moving_mean and moving_variance instead of {mu.symbol} and {var.symbol}; this training "
        f"step moves them: moving = moving * {momentum:g} + batch * (1 - {momentum:g})."
    )


def student_backward(doc: Document, trace: Trace, index: int, focus: Focus) -> None:
    """The backward words and worked numbers of image layer ``index``."""
    layer = trace.info["layers"][index - 1]
    kind = layer["kind"]
    doc.paragraph(IMAGE_WORDS[kind]["student_back"] + ".")
    if kind == "Conv2D":
        _conv_backward(doc, trace, index, focus)
        return
    below = f"dC/da{index - 1}"
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        window = pool_window(trace, index, focus)
        if window.delta is None:
            return
        d = window.delta
        if kind == "MaxPooling2D":
            winner = window.inputs[window.winner or 0]
            losers = len(window.inputs) - 1
            doc.equation(
                f"{d.label} = {_n(d.value)} goes to the winner {winner.label} "
                f"(= {_n(winner.value)}); the {losers} losers get 0"
            )
        else:
            doc.equation(
                f"each of the {window.count} inputs gets {d.label} / {window.count} = "
                f"{_p(d.value)} / {window.count} = {_n(window.shares[0])}"
            )
        g = geometry(trace, index)
        if g.strides == g.window and below in trace and not any(g.pads):
            crop_back = trace[below].value
            n, y, x, c = d.index
            r, q = y * g.strides[0], x * g.strides[1]
            piece = crop_back[n, r : r + g.window[0], q : q + g.window[1], c]
            label = f"{below}[{n}, {r}:{r + g.window[0]}, {q}:{q + g.window[1]}, {c}]"
            doc.matrix(f"{label}  (the window's blame)", matrix(piece, 4))
    elif kind == "GlobalAveragePooling2D":
        found = global_pool(trace, index, focus)
        d = found["delta"]
        if d is not None:
            n, c = d.index
            doc.equation(
                f"{below}[{n}, y, x, {c}] = {d.label} / {found['count']} = {_p(d.value)} / "
                f"{found['count']} = {_n(d.value / found['count'])}  for every (y, x)"
            )
    elif kind in ("Flatten", "Reshape") and below in trace:
        source, target = moved(trace, index, focus)
        back = trace[below].value[source.index]
        doc.equation(
            f"{below}[{', '.join(map(str, source.index))}] = dC/da{index}"
            f"[{', '.join(map(str, target.index))}] = {_n(back)}"
        )
    elif kind in ("Rescaling", "Normalization"):
        if below in trace:
            crop_block(doc, trace, below, focus)
    elif kind == "BatchNormalization":
        _batchnorm_backward(doc, trace, index, focus)


def _conv_backward(doc: Document, trace: Trace, index: int, focus: Focus) -> None:
    kernel = trace[f"K{index}"]
    doc.equation(trace[f"delta{index}"].equation)
    crop_block(doc, trace, f"delta{index}", focus)
    doc.paragraph(
        f"dC/dK{index} has K{index}'s shape ({shape_text(kernel.shape)}) because each kernel "
        f"number gets one blame"
        + (
            f"; dC/db{index} has one per filter ({kernel.shape[3]})."
            if f"dC/db{index}" in trace
            else "."
        )
    )
    worked = kernel_gradient_entry(trace, index, focus)
    doc.paragraph(
        f"One kernel entry, {worked.target.label}: a sum over all {worked.notes['count']} output "
        f"positions of the batch; example {focus.example}'s largest products first:"
    )
    rows = [
        [
            f"({a.index[1]}, {a.index[2]})",
            f"{a.label} = {_n(a.value)}",
            f"{d.label} = {_n(d.value)}",
            _n(a.value * d.value),
        ]
        for a, d in worked.shown
    ]
    doc.table(["input pixel", "input", "delta", "product"], rows)
    doc.equation(render_sum(worked))
    crop_block(doc, trace, f"dC/dK{index}", focus)
    if f"dC/db{index}" in trace:
        f = worked.target.index[3]
        total = trace[f"dC/db{index}"].value[f]
        doc.equation(f"dC/db{index}[{f}] = sum(delta{index}[..., {f}]) = {_n(total)}")
    pixel = input_gradient_pixel(trace, index, focus)
    if pixel is None:
        doc.paragraph(f"(Layer {index} is the first layer: the step needs no dC/da0.)")
        return
    doc.paragraph(
        f"One input pixel, {pixel.target.label}: it fed every output whose window held it; "
        f"here the outputs of filter {pixel.notes['filter']} it fed, each with the kernel "
        f"weight that joined them (the other filters' terms are added up):"
    )
    rows = [
        [
            f"({d.index[1]}, {d.index[2]})",
            f"{k.label} = {_n(k.value)}",
            f"{d.label} = {_n(d.value)}",
            _n(k.value * d.value),
        ]
        for d, k in pixel.shown
    ]
    doc.table(["output fed", "kernel weight", "its delta", "product"], rows)
    doc.equation(render_sum(pixel))
    crop_block(doc, trace, f"dC/da{index - 1}", focus)


def _batchnorm_backward(doc: Document, trace: Trace, index: int, focus: Focus) -> None:
    found = batchnorm(trace, index, focus)
    c = found["channel"]
    for name in ("gamma", "beta"):
        if f"dC/d{name}{index}" in trace:
            value = trace[f"dC/d{name}{index}"].value[c]
            doc.equation(
                f"{trace[f'dC/d{name}{index}'].equation}:  dC/d{name}{index}[{c}] = {_n(value)}"
            )
    back = found.get("backward")
    if back is None:
        return
    v, t = expert_number, expert_term
    m = found["count"]
    x_hat, var = found["x_hat"], found["var"]
    up = back["upstream"]
    gamma = found["gamma"].value if "gamma" in found else 1.0
    spread = float(np.sqrt(var.value + found["epsilon"]))
    direct = m * back["g"]
    through_var = x_hat.value * back["sum_g_x_hat"]
    doc.equation(
        f"g = {up.label} * gamma{index}[{c}] = {t(up.value)} * {t(gamma)} = {v(back['g'])}\n"
        f"direct path:     m * g = {m} * {t(back['g'])} = {v(direct)}\n"
        f"through mu:      sum(g) = {v(back['sum_g'])}\n"
        f"through var:     x_hat * sum(g * x_hat) = {t(x_hat.value)} * {t(back['sum_g_x_hat'])} = "
        f"{v(through_var)}\n"
        f"{back['result'].label} = ({t(direct)} - {t(back['sum_g'])} - {t(through_var)}) / "
        f"({m} * {v(spread)}) = {v(back['result'].value)}"
    )
