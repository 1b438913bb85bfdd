"""The examples' weights in the loss, for a step taken with ``sample_weight`` or ``class_weight``.

The trace of such a step holds ``w`` (one weight per example), ``loss_i`` (each example's own
loss) and ``weighted loss`` (Keras's reduction of them: sum_i w_i loss_i / n, or the sum for a
summing loss). Each level says so in its own words; a step without weights says nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet.explain.chain import MAX_TERMS, clip, formula_number, product_term
from glassnet.explain.common import kid_number
from glassnet.explain.document import Document
from glassnet.trace import Trace


def is_weighted(trace: Trace) -> bool:
    """True when the step's loss weighed its examples."""
    return "w" in trace and "loss_i" in trace


def _summing(trace: Trace) -> bool:
    return trace.info["loss"]["reduction"] == "sum"


def student_weights(doc: Document, trace: Trace, show: Callable[[str], Any]) -> None:
    """The weighted sum written out with the batch's numbers:
    C = (w_0 * loss_0 + w_1 * loss_1 + ...) / n = value."""
    if not is_weighted(trace):
        return
    weights = np.ravel(trace["w"].value)
    losses = np.ravel(trace["loss_i"].value)
    n = len(weights)
    divided = (
        ""
        if _summing(trace)
        else (f" and divides by the batch size n = {n} (not by the weights' sum, as Keras 3)")
    )
    doc.paragraph(
        f"This step weighs its examples (sample_weight or class_weight): the loss multiplies "
        f"each example's own loss loss_i by its weight w_i{divided}. An example of weight 2 "
        f"pulls twice as hard, one of weight 0 not at all; every gradient below is weighted "
        f"the same way, row by row."
    )
    show("w")
    show("loss_i")
    entry = trace["weighted loss"]
    terms = " + ".join(clip(list(zip(weights, losses, strict=True)), MAX_TERMS, product_term))
    total = f"({terms})" if _summing(trace) else f"({terms}) / {n}"
    doc.equation(f"{entry.equation} = {total} = {formula_number(float(entry.value))}")


def expert_weights(trace: Trace) -> str | None:
    """One line: the weighted reduction and the weights' range."""
    if not is_weighted(trace):
        return None
    weights = np.ravel(trace["w"].value)
    return (
        f"weighted step: `{trace['weighted loss'].equation}` with w from "
        f"{formula_number(float(weights.min()))} to {formula_number(float(weights.max()))}; "
        f"delta_L and dC/da_L rows scaled by w"
    )


def kid_weights(trace: Trace) -> str | None:
    """A sentence: some examples count more than others in this score."""
    if not is_weighted(trace):
        return None
    weights = np.ravel(trace["w"].value)
    return (
        f"Not every example counts the same in this step: each miss is multiplied by the "
        f"example's weight (here from {kid_number(weights.min())} to "
        f"{kid_number(weights.max())}) before they are added up, so a heavy example pulls "
        f"harder."
    )
