"""What the learning rate does: this step taken at a tenth, the same and ten times the rate.

Every optimizer of glassnet moves a weight by ``learning_rate`` times a quantity the rate does
not change (the gradient, a momentum, Adam's m / sqrt(v), AdamW's decay term), so the step at k
times the rate is k times this step's change: ``W(k) = W + k * (W_new - W)``. The loss after each
step is the same batch's cost with those weights, by a forward pass over the trace's own numbers
(the user's model is never touched). Only dense networks (Dense and Activation layers) are
covered; for anything else (another layer, a regularizer's penalty, a cost this pass cannot
reproduce) ``rate_effects`` answers None.

>>> from glassnet.seed import XOR_X, XOR_Y, seed_network
>>> effects = rate_effects(seed_network().trace_step(XOR_X, XOR_Y))
>>> [round(e.factor, 1) for e in effects]
[0.1, 1.0, 10.0]
>>> effects[2].cost > effects[1].cost  # ten times the rate overshoots
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from glassnet import activations, losses
from glassnet.explain.chain import formula_number as _n
from glassnet.explain.common import kid_number
from glassnet.explain.document import Document
from glassnet.trace import Trace

#: the rates tried, as multiples of this step's rate
FACTORS = (0.1, 1.0, 10.0)


@dataclass(frozen=True)
class RateEffect:
    """One rate's step: ``rate`` = factor * learning_rate; ``weight`` the followed weight's symbol
    with its index (``"W2[3,0]"``), ``flat`` that index in the flattened matrix, ``old`` and
    ``new`` its value before and after, ``cost`` the batch's cost after the step (``before`` the
    cost before it)."""

    factor: float
    rate: float
    weight: str
    flat: int
    old: float
    new: float
    cost: float
    before: float


def rate_effects(trace: Trace) -> list[RateEffect] | None:
    """The step at 0.1, 1 and 10 times the rate, for the last Dense layer's weight that this step
    moves most and for the cost; None where the trace is not a dense network's (see the
    module's docstring)."""
    info = trace.info
    layers = info["layers"]
    rate = float(info["optimizer"]["learning_rate"])
    kinds = {layer["kind"] for layer in layers}
    if "Dense" not in kinds or not kinds <= {"Dense", "Activation"} or rate == 0.0:
        return None
    if any(entry.symbol.startswith("penalty") for entry in trace):
        return None
    config = {k: v for k, v in info["loss"].items() if k not in ("class_name", "reduction")}
    loss = losses.from_config(config)
    y = trace["y"].value
    if info["loss"]["name"] == "sparse_categorical_crossentropy" and y.ndim == 2:
        y = y.argmax(axis=1)  # the trace keeps the labels one-hot, as the backward uses them
    before = float(trace["C"].value)
    try:
        start = _cost(trace, loss, y, 0.0)
    except ValueError:  # a loss this pass cannot feed: say nothing rather than guess
        return None
    if not np.isclose(start, before, rtol=1e-6, atol=1e-12):
        return None  # this pass does not reproduce the step's cost: say nothing rather than guess
    symbol = f"W{max(i for i, layer in enumerate(layers, start=1) if layer['kind'] == 'Dense')}"
    weights = trace[symbol].value
    changes = trace[f"{symbol}_new"].value - weights
    flat = int(np.argmax(np.abs(changes)))  # the weight this step moves most: one that moves
    at = ",".join(str(int(i)) for i in np.unravel_index(flat, weights.shape))
    old, change = float(weights.flat[flat]), float(changes.flat[flat])
    effects = [
        RateEffect(
            k,
            k * rate,
            f"{symbol}[{at}]",
            flat,
            old,
            old + k * change,
            _cost(trace, loss, y, k),
            before,
        )
        for k in FACTORS
    ]
    numbers = [v for e in effects for v in (e.new, e.cost, e.before)]
    if not np.all(np.isfinite(numbers)):
        return None  # a step that overflows has no honest number to show: say nothing
    return effects


def _cost(trace: Trace, loss: losses.Loss, y: np.ndarray, factor: float) -> float:
    """The batch's cost with every weight moved ``factor`` times this step's change."""
    a = trace["a0"].value
    with np.errstate(all="ignore"):
        for index, layer in enumerate(trace.info["layers"], start=1):
            z = a
            if layer["kind"] == "Dense":
                z = a @ _moved(trace, f"W{index}", factor)
                if layer["use_bias"]:
                    z = z + _moved(trace, f"b{index}", factor)
            config = layer["activation_config"]
            a = activations.from_config(config)(z) if config else z
        return float(loss(y, a))


def _moved(trace: Trace, symbol: str, factor: float) -> np.ndarray:
    old = trace[symbol].value
    return old + factor * (trace[f"{symbol}_new"].value - old)


def _verdict(effects: list[RateEffect], show: Callable[[float], str]) -> str:
    """What ten times the rate did, in words: overshooting when the cost rose."""
    tenth, same, ten = effects
    before = same.before
    if ten.cost > before:
        return (
            f"Ten times the rate overshoots: the step jumps past the low point it was heading "
            f"for, and the cost rises to {show(ten.cost)}, above the {show(before)} it started "
            f"from. A tenth of the rate is safe but slow: the cost falls only to "
            f"{show(tenth.cost)}."
        )
    if show(ten.cost) == show(same.cost):
        return (
            f"Ten times the rate ends at about the same cost, {show(ten.cost)}, as this rate: "
            f"here the bigger step buys nothing more."
        )
    if ten.cost > same.cost:
        return (
            f"Ten times the rate still lowers the cost, to {show(ten.cost)}, but less than this "
            f"rate's {show(same.cost)}: it starts to overshoot, stepping past the low point."
        )
    return (
        f"Here ten times the rate lowers the cost further, to {show(ten.cost)}: this step is "
        f"still short of overshooting (a rate too big makes the cost rise instead)."
    )


def student_rates(doc: Document, trace: Trace) -> None:
    """The student's table of the three rates and its verdict (nothing when ``rate_effects``
    has nothing to say)."""
    effects = rate_effects(trace)
    if effects is None:
        return
    same = effects[1]
    doc.paragraph(
        f"What the learning rate does: each weight's move is learning_rate times a quantity the "
        f"rate does not change, so the rate sets how far this one step goes. The same step at a "
        f"tenth and at ten times the rate, for the weight this step moves most, {same.weight} "
        f"({_n(same.old)} before the step), and the cost C after the "
        f"step (C was {_n(same.before)} before it), from the same batch:"
    )
    rows = [
        [f"{e.rate:g}", _n(e.new - e.old), _n(e.new), _n(e.cost)]
        for e in effects  # the rate as written (0.1, 1, 10): its own number
    ]
    doc.table(
        ["learning rate", f"{same.weight} moves by", f"{same.weight} after", "C after the step"],
        rows,
    )
    doc.paragraph(_verdict(effects, _n))


def kid_rates(doc: Document, trace: Trace) -> None:
    """The kid's words for the same three steps."""
    effects = rate_effects(trace)
    if effects is None:
        return
    tenth, same, ten = effects
    layer = same.weight[1 : same.weight.index("[")]  # "W2[3,0]" is layer 2's knob 4
    doc.paragraph(
        f"The learning rate says how big the turn is. Layer {layer}'s knob {same.flat + 1} "
        f"turned from "
        f"{kid_number(same.old)} to {kid_number(same.new)}, and the score went from "
        f"{kid_number(same.before)} to {kid_number(same.cost)}. A smaller step (a tenth of the "
        f"rate) would turn it only to {kid_number(tenth.new)}: the score would go to "
        f"{kid_number(tenth.cost)}, safe but slow. A bigger step (ten times the rate) would turn "
        f"it all the way to {kid_number(ten.new)}: the score would go to "
        f"{kid_number(ten.cost)}"
        + (
            ", worse than before: it jumps past the spot it was aiming for (overshooting)."
            if ten.cost > same.before
            else "."
        )
    )
