"""The expert's level: compact, every quantity of the step, six decimals."""

from __future__ import annotations

import numpy as np

from glassnet.explain import words
from glassnet.explain.chain import chain_path
from glassnet.explain.common import (
    chain,
    dense_layers,
    example_rows,
    frozen_sentence,
    loss_words,
    model_line,
    regularizer_entry,
    update_rule,
)
from glassnet.explain.document import Document, number, shape_text
from glassnet.explain.image_render import per_example_image
from glassnet.explain.image_short import expert_lines
from glassnet.explain.images import IMAGE_KINDS, Focus, crop
from glassnet.explain.weights import expert_weights
from glassnet.trace import PHASES, Trace

DECIMALS = 6
MAX_VALUES = 64  # values written per entry; the rest is "..."


def values_rows(value: np.ndarray) -> tuple[list[list[str]], bool]:
    """Row-major values as rows of cells (a vector is one row, a scalar one cell), stopping
    after MAX_VALUES; and whether some were left out."""
    array = np.asarray(value, dtype=float)
    array = np.atleast_2d(array).reshape(max(len(np.atleast_2d(array)), 1), -1)
    rows: list[list[str]] = []
    written = 0
    for row in array:
        cells = [number(cell, DECIMALS) for cell in row[: MAX_VALUES - written]]
        written += len(cells)
        if cells:
            rows.append(cells)
        if written == MAX_VALUES:
            break
    return rows, array.size > MAX_VALUES


def _quantity(doc: Document, symbol: str, equation: str, shape: str, value: np.ndarray) -> None:
    """One quantity of the step: 'a1 = sigmoid(z1)  (4x4) =' and its rows, each row on its own
    line labelled with its index (a column vector reads as a column); a scalar on one line."""
    name = symbol.split("[")[0]
    same = equation.startswith(f"{name} = ") or equation == name  # 'a1 = sigmoid(z1)', 'W1'
    label = symbol + equation[len(name) :] if same else f"{symbol}: {equation}"
    if np.ndim(value) == 0:
        doc.equation(f"{label} = {number(float(value), DECIMALS)}")
        return
    rows, more = values_rows(value)
    doc.values(f"{label}  ({shape})", rows, indexed=np.ndim(value) > 1, more=more)


def narrate_expert(
    trace: Trace, example: int | None, notebook: bool, first: int = 0, focus: Focus | None = None
) -> Document:
    """``example`` is a row of the trace's batch; the words call batch row k "example first + k"
    and the symbols' subscripts ([k]) keep the batch row. With ``focus`` (an image network),
    image tensors are cropped around it and each image layer has its worked lines."""
    info = trace.info
    doc = Document(f"Training step {trace.step}: every quantity")
    doc.paragraph(model_line(trace))
    loss = loss_words(info)
    optimizer = words.OPTIMIZER_WORDS[info["optimizer"]["name"]]
    gradient = f"fused: {loss['why']}" if info["fused"] else f"{loss['gradient']} ({loss['why']})"
    doc.bullets(
        [
            f"loss: `{loss['formula']}`; {gradient}",
            f"update ({optimizer['student']}): "
            + "; ".join(f"`{line}`" for line in update_rule(trace)),
        ]
    )
    extras = []
    for index, layer in enumerate(info["layers"], start=1):
        _, reg = regularizer_entry(layer) or ("", None)
        if reg:
            extras.append(f"layer {index} regularizer: `{reg['formula']}`; `{reg['gradient']}`")
        if layer["kind"] in ("Dropout", "Rescaling", "Normalization"):
            extras.append(f"layer {index}: {words.LAYER_WORDS[layer['kind']]['student']}")
    if frozen := frozen_sentence(trace, "student"):
        extras.append(frozen)
    if weighted := expert_weights(trace):
        extras.append(weighted)
    if extras:
        doc.bullets(extras)
    if example is not None:
        doc.paragraph(
            f"Per-example rows show example {first + example} (numbered from 0"
            + (f"; row {example} of this step's batch" if first else "")
            + ") only; gradients are batch sums."
        )
    kinds = [layer["kind"] for layer in info["layers"]]
    fused = info["fused"]
    if focus is not None:
        doc.heading("Image layers")
        y, x = focus.position
        doc.paragraph(
            f"Example {first + focus.example}, channel {focus.channel}, position (y, x) = "
            f"({y}, {x}) of layer {focus.reference}'s output, scaled to each layer's grid:"
        )
        doc.bullets(
            [
                line
                for index, kind in enumerate(kinds, start=1)
                if kind in IMAGE_KINDS
                for line in expert_lines(trace, index, focus)
            ]
        )
    doc.heading("Chain rule")
    doc.bullets([f"`{chain(kinds, i, fused)}`" for i in reversed(dense_layers(trace))])
    row = 0 if example is None else example
    paths = [
        chain_path(trace, i, row, separator=" = ", name=first + row)
        for i in reversed(dense_layers(trace))
    ]
    for path in paths:
        if path is not None:
            doc.equation(path[0])
    for phase in PHASES:
        doc.heading(phase)
        for entry in trace.phase(phase):
            value, cut = example_rows(entry, example)
            if focus is not None and entry.value.ndim == 4:
                kernel = not per_example_image(trace, entry.symbol)
                value, cut = crop(entry.value, focus, kernel=kernel)
            _quantity(doc, entry.symbol + cut, entry.equation, shape_text(entry.shape), value)
    if notebook:
        doc.heading("Seed notebook names")
        doc.table(["glassnet", "notebook", "note"], [list(row) for row in words.NOTEBOOK_NAMES])
    return doc
