"""The worked numbers of the weightless image layers and of batch normalisation, as data: one
pooling window (its inputs, its output, where its delta goes), a global average, where Flatten or
Reshape moves a number, one rescaled number, and one batch-normalised activation with its batch
statistics and the backward's three terms. Each value is the trace's own at the index it names
(see ``images`` for the focus, the crops and the convolution's sums)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.explain.images import Factor, Focus, geometry, window_factor
from glassnet.trace import Trace


@dataclass
class PoolWindow:
    """One pooling window: its inputs (row by row), the output, the blame arriving there
    (None when the step has none) and each input's share of it."""

    kind: str
    inputs: list[Factor]
    output: Factor
    delta: Factor | None
    shares: list[float]
    winner: int | None
    count: int


def pool_window(trace: Trace, index: int, focus: Focus) -> PoolWindow:
    """The focus's window of a MaxPooling2D or AveragePooling2D layer ``index``: the max (its
    first maximum, row by row, wins the whole delta; the others get 0) or the mean (each real
    input gets delta / count; padding is not counted)."""
    kind = trace.info["layers"][index - 1]["kind"]
    g = geometry(trace, index)
    out = trace[f"a{index}"].value
    c, y, x = focus.on(out.shape)
    n = focus.example
    top, left = g.pads[0], g.pads[2]
    inputs = []
    for i in range(g.window[0]):
        for j in range(g.window[1]):
            r, q = y * g.strides[0] + i - top, x * g.strides[1] + j - left
            factor = window_factor(trace, f"a{index - 1}", (n, r, q, c))
            if not factor.padding:  # max pads with -inf, average does not count the padding
                inputs.append(factor)
    upstream = f"dC/da{index}"
    delta = None
    if upstream in trace:
        delta = Factor(upstream, (n, y, x, c), float(trace[upstream].value[n, y, x, c]))
    blame = 0.0 if delta is None else delta.value
    winner = None
    if kind == "MaxPooling2D":
        winner = int(np.argmax([factor.value for factor in inputs]))
        shares = [blame if k == winner else 0.0 for k in range(len(inputs))]
    else:
        shares = [blame / len(inputs)] * len(inputs)
    output = Factor(f"a{index}", (n, y, x, c), float(out[n, y, x, c]))
    return PoolWindow(kind, inputs, output, delta, shares, winner, len(inputs))


def global_pool(trace: Trace, index: int, focus: Focus) -> dict[str, Any]:
    """a_l[n, c] = sum of a_{l-1}[n, :, :, c] / (h * w), and each position's share of its
    delta."""
    prev = trace[f"a{index - 1}"].value
    c, _, _ = focus.on(prev.shape)
    n = focus.example
    height, width = prev.shape[1:3]
    found = {
        "total": float(np.sum(prev[n, :, :, c], dtype=float)),
        "count": height * width,
        "output": Factor(f"a{index}", (n, c), float(trace[f"a{index}"].value[n, c])),
        "delta": None,
    }
    if f"dC/da{index}" in trace:
        found["delta"] = Factor(f"dC/da{index}", (n, c), float(trace[f"dC/da{index}"].value[n, c]))
    return found


def moved(trace: Trace, index: int, focus: Focus) -> tuple[Factor, Factor]:
    """Flatten / Reshape: where the focus's number of a_{l-1} lands in a_l (same value); when
    only the output is an image, the number that lands on the focus's spot."""
    prev, out = trace[f"a{index - 1}"].value, trace[f"a{index}"].value
    if prev.ndim == 4 or out.ndim != 4:
        c, y, x = focus.on(prev.shape) if prev.ndim == 4 else (0, 0, 0)
        source = (focus.example, y, x, c) if prev.ndim == 4 else (focus.example, 0)
        flat = int(np.ravel_multi_index(source[1:], prev.shape[1:]))
        target = (focus.example, *(int(v) for v in np.unravel_index(flat, out.shape[1:])))
    else:
        c, y, x = focus.on(out.shape)
        target = (focus.example, y, x, c)
        flat = int(np.ravel_multi_index(target[1:], out.shape[1:]))
        source = (focus.example, *(int(v) for v in np.unravel_index(flat, prev.shape[1:])))
    return (
        Factor(f"a{index - 1}", source, float(prev[source])),
        Factor(f"a{index}", target, float(out[target])),
    )


def elementwise(trace: Trace, index: int, focus: Focus) -> tuple[Factor, Factor]:
    """Rescaling / Normalization: the focus's number before and after the layer."""
    prev, out = trace[f"a{index - 1}"].value, trace[f"a{index}"].value
    if prev.ndim == 4:
        c, y, x = focus.on(prev.shape)
        at: tuple[int, ...] = (focus.example, y, x, c)
    else:
        at = (focus.example, 0)
    return Factor(f"a{index - 1}", at, float(prev[at])), Factor(f"a{index}", at, float(out[at]))


def batchnorm(trace: Trace, index: int, focus: Focus) -> dict[str, Any]:
    """The focus's channel c of a BatchNormalization layer: mu and var with their sums, one
    activation normalised, and (when the step has dC/da_l) the backward's three terms."""
    prev = trace[f"a{index - 1}"].value
    if prev.ndim == 4:
        c, y, x = focus.on(prev.shape)
        at: tuple[int, ...] = (focus.example, y, x, c)
    else:
        c, at = 0, (focus.example, 0)
    column = np.asarray(prev[..., c], dtype=float)
    mu = float(trace[f"mu{index}"].value[c])
    found: dict[str, Any] = {
        "channel": c,
        "count": column.size,
        "sum": float(column.sum()),
        "squares": float(np.sum((column - mu) ** 2)),
        "mu": Factor(f"mu{index}", (c,), mu),
        "var": Factor(f"var{index}", (c,), float(trace[f"var{index}"].value[c])),
        "input": Factor(f"a{index - 1}", at, float(prev[at])),
        "x_hat": Factor(f"x_hat{index}", at, float(trace[f"x_hat{index}"].value[at])),
        "output": Factor(f"a{index}", at, float(trace[f"a{index}"].value[at])),
        "epsilon": float(trace.info["layers"][index - 1]["config"]["epsilon"]),
    }
    for name in ("gamma", "beta"):
        if f"{name}{index}" in trace:
            found[name] = Factor(f"{name}{index}", (c,), float(trace[f"{name}{index}"].value[c]))
    upstream = f"dC/da{index}"
    if upstream in trace and f"dC/da{index - 1}" in trace:
        gamma = found["gamma"].value if "gamma" in found else 1.0
        g = np.asarray(trace[upstream].value[..., c], dtype=float) * gamma
        x_hat = np.asarray(trace[f"x_hat{index}"].value[..., c], dtype=float)
        found["backward"] = {
            "upstream": Factor(upstream, at, float(trace[upstream].value[at])),
            "g": float(trace[upstream].value[at]) * gamma,
            "sum_g": float(g.sum()),
            "sum_g_x_hat": float((g * x_hat).sum()),
            "result": Factor(f"dC/da{index - 1}", at, float(trace[f"dC/da{index - 1}"].value[at])),
        }
    return found
