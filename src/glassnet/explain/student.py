"""The student's level: every equation with its shapes, numbers plugged in, the chain rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.explain import words
from glassnet.explain.common import chain, layer_title, model_line, regularizer_words, rows
from glassnet.explain.document import Document, matrix, number, shape_text
from glassnet.trace import Trace

DECIMALS = 4
MAX_TERMS = 6  # terms written out in a plugged-in sum


def _n(value: float) -> str:
    return number(value, DECIMALS)


class _Writer:
    def __init__(self, trace: Trace, example: int | None, doc: Document, notebook: bool) -> None:
        self.trace, self.example, self.doc, self.notebook = trace, example, doc, notebook
        self.row = 0 if example is None else example

    def show(self, symbol: str, label: str | None = None) -> np.ndarray:
        entry = self.trace[symbol]
        note = words.NOTEBOOK_INLINE.get(symbol) if self.notebook else None
        if note:
            self.doc.paragraph(f"({note})")
        value = rows(self.trace, entry, self.example)
        cut = f"[{self.example}]" if value.shape != entry.shape else ""
        text = label or entry.equation
        self.doc.matrix(f"{text}{cut}  ({shape_text(entry.shape)})", matrix(value, DECIMALS))
        return value

    def value(self, symbol: str) -> np.ndarray:
        return self.trace[symbol].value

    def shape(self, symbol: str, transpose: bool = False) -> str:
        text = shape_text(self.trace[symbol].shape)
        return f"({text}).T" if transpose else f"({text})"


def narrate_student(trace: Trace, example: int | None, notebook: bool) -> Document:
    doc = Document(f"Training step {trace.step}, with equations and shapes")
    w = _Writer(trace, example, doc, notebook)
    info = trace.info
    layers = info["layers"]
    count = len(layers)
    out = f"a{count}"
    doc.paragraph(f"The network: {model_line(trace)}")
    if example is not None:
        doc.paragraph(
            f"Following row {example} of the batch (example {example + 1}): per-example quantities "
            f"show only its row; the gradients dC/dW and dC/db are sums over all "
            f"{info['batch']} examples."
        )
    row = w.row

    doc.heading(words.PHASE_WORDS["forward"]["student"])
    w.show("a0")
    for index, layer in enumerate(layers, start=1):
        prev = f"a{index - 1}"
        doc.heading(f"Layer {index}: {layer_title(layer)}", level=3)
        act = words.ACTIVATION_WORDS.get(layer["activation"] or "", {})
        if layer["kind"] == "Dense":
            w.show(f"W{index}")
            bias = f" + b{index}" if layer["use_bias"] else ""
            if layer["use_bias"]:
                w.show(f"b{index}")
            shapes = f"{w.shape(prev)} @ {w.shape(f'W{index}')}"
            shapes += f" + {w.shape(f'b{index}')}" if layer["use_bias"] else ""
            doc.equation(f"z{index} = {prev} @ W{index}{bias}: {shapes} -> {w.shape(f'z{index}')}")
            a_prev, weights = w.value(prev)[row], w.value(f"W{index}")[:, 0]
            terms = [f"{_n(a)} * {_n(b)}" for a, b in zip(a_prev, weights, strict=True)]
            terms = terms[:MAX_TERMS] + (["..."] if len(terms) > MAX_TERMS else [])
            if layer["use_bias"]:
                terms.append(_n(w.value(f"b{index}")[0]))
            z = w.value(f"z{index}")[row, 0]
            doc.equation(f"z{index}[{row},0] = " + " + ".join(terms) + f" = {_n(z)}")
            w.show(f"z{index}")
            a = w.value(f"a{index}")[row, 0]
            doc.paragraph(act.get("student", layer["kind"]))
            doc.equation(
                f"a{index} = {layer['activation']}(z{index}): {w.shape(f'z{index}')} -> "
                f"{w.shape(f'a{index}')};  a{index}[{row},0] = {layer['activation']}({_n(z)}) "
                f"= {_n(a)}"
            )
        else:
            doc.paragraph(act.get("student", words.LAYER_WORDS[layer["kind"]]["student"]))
        w.show(f"a{index}")

    doc.heading(words.PHASE_WORDS["loss"]["student"])
    loss = words.LOSS_WORDS[info["loss"]["name"]]
    w.show("y")
    w.show(f"{out} - y")
    doc.equation(loss["formula"])
    miss = np.ravel(w.value(f"{out} - y"))
    if info["loss"]["name"] == "half_sum_squared_error":
        terms = [f"({_n(v)})**2" for v in miss[:MAX_TERMS]] + (
            ["..."] if miss.size > MAX_TERMS else []
        )
        doc.equation("C = 1/2 * (" + " + ".join(terms) + f") = {_n(w.value('C'))}")
    else:
        doc.equation(f"C = {_n(w.value('C'))}")
    if info["fused"]:
        doc.paragraph(f"Fused gradient: {loss['why']}.")
    else:
        doc.paragraph(f"Its gradient, {loss['gradient']}: {loss['why']}.")
        w.show(f"dC/d{out}")

    doc.heading(words.PHASE_WORDS["backward"]["student"])
    kinds = [layer["kind"] for layer in layers]
    for index in range(count, 0, -1):
        layer = layers[index - 1]
        doc.heading(f"Layer {index}: {layer_title(layer)}", level=3)
        if layer["kind"] != "Dense":
            if f"dC/da{index - 1}" in trace:
                w.show(f"dC/da{index - 1}")
            continue
        doc.equation(chain(kinds, index, info["fused"] and index == count))
        penalty = regularizer_words(layer, "student")
        if penalty:
            doc.paragraph(penalty)
        name = f"da{index}/dz{index}"
        if name in trace:
            act = words.ACTIVATION_WORDS[layer["activation"]]
            w.show(name, f"{name} = {layer['activation']}'(z{index}) = {act['derivative']}")
            upstream = w.value(f"dC/da{index}")[row, 0]
            factor = w.value(name)[row, 0]
            delta = w.value(f"delta{index}")[row, 0]
            doc.equation(
                f"delta{index}[{row},0] = dC/da{index}[{row},0] * {name}[{row},0] = "
                f"{_n(upstream)} * {_n(factor)} = {_n(delta)}"
            )
        w.show(f"delta{index}", f"{w.trace[f'delta{index}'].equation} = dC/dz{index}")
        prev = f"a{index - 1}"
        doc.equation(
            f"dz{index}/dW{index} = {prev}, so dC/dW{index} = {prev}.T @ delta{index}: "
            f"{w.shape(prev, True)} @ {w.shape(f'delta{index}')} -> {w.shape(f'dC/dW{index}')}"
        )
        w.show(f"dC/dW{index}")
        if f"dC/db{index}" in trace:
            doc.equation(
                f"dC/db{index} = sum(delta{index}, axis=0): {w.shape(f'delta{index}')} -> "
                f"{w.shape(f'dC/db{index}')}"
            )
            w.show(f"dC/db{index}")
        if f"dC/da{index - 1}" in trace:
            doc.equation(
                f"dz{index}/da{index - 1} = W{index}, so dC/da{index - 1} = delta{index} @ "
                f"W{index}.T: {w.shape(f'delta{index}')} @ {w.shape(f'W{index}', True)} -> "
                f"{w.shape(f'dC/da{index - 1}')}"
            )
            w.show(f"dC/da{index - 1}")

    _update(w, info)
    if notebook:
        _notebook(doc)
    return doc


def _update(w: _Writer, info: dict[str, Any]) -> None:
    doc, trace = w.doc, w.trace
    doc.heading(words.PHASE_WORDS["update"]["student"])
    optimizer = info["optimizer"]
    table = words.OPTIMIZER_WORDS[optimizer["name"]]
    rule = table["momentum"] if optimizer.get("momentum") and "momentum" in table else table["rule"]
    doc.paragraph(f"{table['student']}. The rule, with {_hyper(optimizer)}:")
    doc.equation(rule.replace("; ", "\n"))
    for entry in trace.phase("update"):
        if entry.layer == 0:
            doc.equation(f"{entry.equation} = {_n(float(entry.value))}")
    plain_sgd = optimizer["name"] == "sgd" and not optimizer.get("momentum")
    for entry in trace.phase("update"):
        if entry.layer == 0 or entry.symbol.startswith("a"):
            continue
        if entry.symbol.endswith("_new") and plain_sgd:
            p = entry.symbol[: -len("_new")]
            old, grad = np.ravel(trace[p].value)[0], np.ravel(trace[f"dC/d{p}"].value)[0]
            rate = _n(optimizer["learning_rate"])
            at = ",".join("0" * len(entry.shape))
            doc.equation(
                f"{p}_new[{at}] = {_n(old)} - {rate} * {_n(grad)} = {_n(np.ravel(entry.value)[0])}"
            )
        w.show(entry.symbol)
    out = f"a{len(info['layers'])}"
    doc.paragraph(f"With the new weights, the same inputs give (compare {out} above):")
    w.show(f"{out}_new")


def _hyper(optimizer: dict[str, Any]) -> str:
    parts = []
    for key, value in optimizer.items():
        if key in ("name", "class_name") or isinstance(value, bool):
            continue
        parts.append(f"{key} = {value}")
    return ", ".join(parts)


def _notebook(doc: Document) -> None:
    doc.heading("The seed notebook's names")
    doc.paragraph(
        "The notebook writes the same step with its own names. Its Eq (A) is "
        "`dC_dw2 = delta2*derv_sigmoid(z2)*a1.T` and its Eq (B) is "
        "`dC_dw1 = derv_sigmoid(z1)*delta2*derv_sigmoid(z2)*weight2*a0.T`; beware that its "
        "`delta2` is the output error a2 - y, not dC/dz2."
    )
    doc.table(["glassnet", "notebook", "note"], [list(row) for row in words.NOTEBOOK_NAMES])
