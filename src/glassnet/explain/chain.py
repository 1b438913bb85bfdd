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

from typing import Any

import numpy as np

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


def _values(value: Any) -> str:
    flat = np.ravel(np.asarray(value, dtype=float))
    shown = " ".join(_n(v) for v in flat[:MAX_VALUES])
    return f"[{shown}{' ...' if flat.size > MAX_VALUES else ''}]"


def _matrix(value: Any) -> str:
    array = np.atleast_2d(np.asarray(value, dtype=float))
    rows = [_values(row) for row in array[:MAX_VALUES]]
    return "; ".join(rows) + (" ..." if len(array) > MAX_VALUES else "")


def _fused_top(trace: Trace) -> bool:
    return bool(trace.info["fused"])


def chain_factors(trace: Trace, index: int, row: int) -> list[list[str]]:
    """[factor, value for row ``row``] for each factor of dC/dW_index, from the cost down."""
    layers = trace.info["layers"]
    count = len(layers)
    fused = _fused_top(trace)
    factors: list[list[str]] = []
    if fused:
        factors.append(
            [f"dC/dz{count} = delta{count}  (fused with the loss)", _pick(trace, count, row)]
        )
    else:
        factors.append([f"dC/da{count}", _values(trace[f"dC/da{count}"].value[row])])
    for m in range(count, index - 1, -1):
        layer = layers[m - 1]
        if layer["kind"] == "Dense":
            slope = f"da{m}/dz{m}"
            if not (fused and m == count):
                if slope in trace:
                    factors.append(
                        [f"{slope} = {layer['activation']}'(z{m})", _row(trace, slope, row)]
                    )
                else:
                    value = _values(trace[f"delta{m}"].value[row])
                    factors.append(
                        [f"{slope}: the {layer['activation']} Jacobian (gives delta{m})", value]
                    )
            if m == index:
                factors.append([f"dz{m}/dW{m} = a{m - 1}", _row(trace, f"a{m - 1}", row)])
            else:
                factors.append([f"dz{m}/da{m - 1} = W{m}", _matrix(trace[f"W{m}"].value)])
        elif not (fused and m == count):
            link = f"da{m}/da{m - 1}"
            if link in trace:
                factors.append(
                    [f"{link} = {layer['activation']}'(a{m - 1})", _row(trace, link, row)]
                )
            elif f"mask{m}" in trace:
                factors.append([f"{link} = mask{m}", _row(trace, f"mask{m}", row)])
            elif layer["activation"]:
                value = _values(trace[f"dC/da{m - 1}"].value[row])
                factors.append([f"{link}: the {layer['activation']} Jacobian", value])
            else:
                factors.append([f"{link} = 1  ({layer['kind']}, not dropping)", "1"])
    return factors


def _row(trace: Trace, symbol: str, row: int) -> str:
    return _values(trace[symbol].value[row])


def _pick(trace: Trace, count: int, row: int) -> str:
    symbol = f"delta{count}" if f"delta{count}" in trace else f"dC/da{count - 1}"
    return _values(trace[symbol].value[row])


def chain_path(trace: Trace, index: int, row: int) -> tuple[str, tuple[int, int]] | None:
    """One knob's chain as a product of numbers, or None when a layer above has several units
    (then dC/da_l is a sum over them, not one product) or a factor is a Jacobian."""
    found = path_factors(trace, index, row)
    if found is None:
        return None
    names, values, (i, j), share = found
    text = (
        f"dC/dW{index}[{i},{j}], example {row + 1}'s share = "
        + " * ".join(names)
        + "\n    = "
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
    fused = _fused_top(trace)
    if fused and layers[-1]["kind"] != "Dense":
        return None
    a_prev = trace[f"a{index - 1}"].value[row]
    i, j = int(np.argmax(np.abs(a_prev))), 0
    units = {index: j}
    for m in range(index + 1, count + 1):
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
    terms = [f"{_p(a)} * {_p(d)}" for a, d in zip(a_prev, delta, strict=True)]
    terms = terms[:MAX_TERMS] + (["..."] if len(terms) > MAX_TERMS else [])
    penalty = f"dpenalty{index}/dW{index}"
    symbols = f"sum over r of a{index - 1}[r,{i}] * delta{index}[r,{j}]"
    if penalty in trace:
        terms.append(_p(trace[penalty].value[i, j]))
        symbols += f" + {penalty}[{i},{j}]"
    total = trace[f"dC/dW{index}"].value[i, j]
    return f"dC/dW{index}[{i},{j}] = {symbols}\n    = " + " + ".join(terms) + f" = {_n(total)}"
