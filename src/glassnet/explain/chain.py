"""The chain rule of one Dense layer, factor by factor, with the value of each factor.

For Dense layer l and the followed example r, dC/dW_l is the product of the factors from the cost
down to the layer (``common.chain`` writes them in symbols). ``chain_factors`` gives each factor
with its value for row r (a slope, a mask, a weight matrix, the layer's input); ``chain_path``
follows one knob W_l[i, j] along a single path of units, when the layers above have one unit
each (as in the seed network), so the chain is a product of plain numbers; ``batch_sum`` adds
the examples' shares up to the gradient. Every number printed is a trace value, or (the one
example's share) the product a_{l-1}[r, i] * delta_l[r, j] of two of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.explain.common import chain_links, link_symbol
from glassnet.explain.document import number
from glassnet.trace import Trace

DECIMALS = 4
MAX_VALUES = 8
MAX_TERMS = 6


def formula_number(value: float) -> str:
    """A number as the formulas print it: DECIMALS places."""
    return number(value, DECIMALS)


def formula_term(value: float) -> str:
    """A number inside a formula: in parentheses when negative (for a sum of products)."""
    return f"({formula_number(value)})" if float(value) < 0 else formula_number(value)


_n, _p = formula_number, formula_term  # short names for the many formulas below


def clip(items: Sequence[Any], limit: int, show: Callable[[Any], str] = str) -> list[str]:
    """The first ``limit`` items as ``show`` writes them, then "..." when there are more."""
    return [show(item) for item in items[:limit]] + (["..."] if len(items) > limit else [])


def product_term(pair: tuple[float, float]) -> str:
    """a * b, each number as a formula term."""
    return f"{_p(pair[0])} * {_p(pair[1])}"


def flat_values(value: Any, limit: int = MAX_VALUES) -> str:
    """[v0 v1 ...]: the first ``limit`` values, flattened."""
    return "[" + " ".join(clip(np.ravel(np.asarray(value, dtype=float)), limit, _n)) + "]"


def _matrix(value: Any) -> str:
    array = np.atleast_2d(np.asarray(value, dtype=float))
    rows = [flat_values(row) for row in array[:MAX_VALUES]]
    return "; ".join(rows) + (" ..." if len(array) > MAX_VALUES else "")


def chain_factors(trace: Trace, index: int, row: int) -> list[list[str]]:
    """[factor, value for row ``row``] for each factor of dC/dW_index, from the cost down (the
    factors of ``common.chain``, each with what it is)."""
    layers = trace.info["layers"]
    fused = bool(trace.info["fused"])
    kinds = [layer["kind"] for layer in layers]
    factors: list[list[str]] = []
    for what, m in chain_links(kinds, index, fused):
        symbol = link_symbol(what, m, fused)
        layer = layers[m - 1]
        activation = layer["activation"]
        if what == "cost" and fused:
            factors.append([f"{symbol} = delta{m}  (fused with the loss)", _pick(trace, m, row)])
        elif what == "cost":
            factors.append([symbol, _row(trace, symbol, row)])
        elif what == "slope" and symbol in trace:
            factors.append([f"{symbol} = {activation}'(z{m})", _row(trace, symbol, row)])
        elif what == "slope":
            value = _row(trace, f"delta{m}", row)
            factors.append([f"{symbol}: the {activation} Jacobian (gives delta{m})", value])
        elif what == "input":
            factors.append([f"{symbol} = a{m - 1}", _row(trace, f"a{m - 1}", row)])
        elif what == "weights":
            factors.append([f"{symbol} = W{m}", _matrix(trace[f"W{m}"].value)])
        elif symbol in trace and not activation:  # Rescaling, Normalization: a fixed slope
            factors.append([trace[symbol].equation, _row(trace, symbol, row)])
        elif symbol in trace:
            factors.append([f"{symbol} = {activation}'(a{m - 1})", _row(trace, symbol, row)])
        elif f"mask{m}" in trace:
            factors.append([f"{symbol} = mask{m}", _row(trace, f"mask{m}", row)])
        elif activation:
            value = _row(trace, f"dC/da{m - 1}", row)
            factors.append([f"{symbol}: the {activation} Jacobian", value])
        else:
            factors.append([f"{symbol} = 1  ({layer['kind']}, not dropping)", "1"])
    return factors


def _row(trace: Trace, symbol: str, row: int) -> str:
    return flat_values(trace[symbol].value[row])


def _pick(trace: Trace, count: int, row: int) -> str:
    symbol = f"delta{count}" if f"delta{count}" in trace else f"dC/da{count - 1}"
    return _row(trace, symbol, row)


def chain_path(
    trace: Trace, index: int, row: int, separator: str = "\n    = ", name: int | None = None
) -> tuple[str, tuple[int, int]] | None:
    """One knob's chain as a product of numbers (the symbols, ``separator``, the numbers), or None
    when a layer above has several units (then dC/da_l is a sum over them, not one product) or a
    factor is a Jacobian. ``row`` is the batch row the subscripts index; ``name`` the example's
    number in the reader's data (default ``row``)."""
    found = path_factors(trace, index, row)
    if found is None:
        return None
    names, values, (i, j), share = found
    text = (
        f"dC/dW{index}[{i},{j}], example {row if name is None else name}'s share = "
        + " * ".join(names)
        + separator
        + " * ".join(_p(v) for v in values)
        + f" = {_n(share)}"
    )
    return text, (i, j)


def path_factors(
    trace: Trace, index: int, row: int
) -> tuple[list[str], list[float], tuple[int, int], float] | None:
    """(factor names, their values, the knob (i, j), the example's share) along the single path
    from the cost to W_index[i, j], or None when there is no single path."""
    layers = trace.info["layers"]
    count = len(layers)
    fused = bool(trace.info["fused"])
    if fused and layers[-1]["kind"] != "Dense":
        return None
    a_prev = trace[f"a{index - 1}"].value[row]
    i, j = int(np.argmax(np.abs(a_prev))), 0
    units = {index: j}
    for m in range(index + 1, count + 1):
        if np.ndim(trace[f"a{m}"].value) != 2:  # images: no single path of units (issue 17)
            return None
        if layers[m - 1]["kind"] == "Dense":
            if layers[m - 1]["units"] != 1:
                return None
            units[m] = 0
        else:
            units[m] = units[m - 1]
    names: list[str] = []
    values: list[float] = []
    top = units[count]
    if fused:
        names.append(f"dC/dz{count}[{row},{top}]")
        values.append(trace[f"delta{count}"].value[row, top])
    else:
        names.append(f"dC/da{count}[{row},{top}]")
        values.append(trace[f"dC/da{count}"].value[row, top])
    for m in range(count, index - 1, -1):
        u = units[m]
        if layers[m - 1]["kind"] == "Dense":
            if not (fused and m == count):
                slope = f"da{m}/dz{m}"
                if slope not in trace:
                    return None
                names.append(f"{slope}[{row},{u}]")
                values.append(trace[slope].value[row, u])
            if m == index:
                names.append(f"a{m - 1}[{row},{i}]")
                values.append(a_prev[i])
            else:
                below = units[m - 1]
                names.append(f"W{m}[{below},{u}]")
                values.append(trace[f"W{m}"].value[below, u])
        else:
            link = f"da{m}/da{m - 1}"
            if link in trace:
                names.append(f"{link}[{row},{u}]")
                values.append(trace[link].value[row, u])
            elif f"mask{m}" in trace:
                names.append(f"mask{m}[{row},{u}]")
                values.append(trace[f"mask{m}"].value[row, u])
            elif layers[m - 1]["activation"]:
                return None
    share = float(a_prev[i] * trace[f"delta{index}"].value[row, j])
    return names, [float(v) for v in values], (i, j), share


def batch_sum(trace: Trace, index: int, knob: tuple[int, int]) -> str:
    """dC/dW_l[i, j] = sum over the examples of a_{l-1}[r, i] * delta_l[r, j] (+ penalty)."""
    i, j = knob
    a_prev = trace[f"a{index - 1}"].value[:, i]
    delta = trace[f"delta{index}"].value[:, j]
    terms = clip(list(zip(a_prev, delta, strict=True)), MAX_TERMS, product_term)
    penalty = f"dpenalty{index}/dW{index}"
    symbols = f"sum over r of a{index - 1}[r,{i}] * delta{index}[r,{j}]"
    if penalty in trace:
        terms.append(_p(trace[penalty].value[i, j]))
        symbols += f" + {penalty}[{i},{j}]"
    total = trace[f"dC/dW{index}"].value[i, j]
    return f"dC/dW{index}[{i},{j}] = {symbols}\n    = " + " + ".join(terms) + f" = {_n(total)}"
