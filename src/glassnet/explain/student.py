"""The student's level: every equation with its shapes, numbers plugged in, the chain rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet._trace_records import CLIP_EQUATIONS, update_rule_name
from glassnet.explain import words
from glassnet.explain.chain import (
    DECIMALS,
    MAX_TERMS,
    batch_sum,
    chain_factors,
    chain_path,
    clip,
    flat_values,
    formula_number,
    formula_term,
    product_term,
)
from glassnet.explain.common import (
    chain,
    example_rows,
    frozen_sentence,
    layer_title,
    loss_words,
    model_line,
    regularizer_words,
    update_rule,
)
from glassnet.explain.document import Document, matrix, shape_text
from glassnet.explain.image_render import crop_block
from glassnet.explain.image_text import student_backward, student_forward
from glassnet.explain.images import IMAGE_KINDS, Focus
from glassnet.explain.rates import student_rates
from glassnet.explain.weights import student_weights
from glassnet.trace import Trace

_n, _p = formula_number, formula_term  # short names for the many formulas below


class _Writer:
    def __init__(
        self,
        trace: Trace,
        example: int | None,
        doc: Document,
        notebook: bool,
        focus: Focus | None = None,
    ) -> None:
        self.trace, self.example, self.doc, self.notebook = trace, example, doc, notebook
        self.row = 0 if example is None else example
        self.focus = focus

    def show(self, symbol: str, label: str | None = None) -> np.ndarray:
        entry = self.trace[symbol]
        note = words.NOTEBOOK_INLINE.get(symbol) if self.notebook else None
        if note:
            self.doc.paragraph(f"({note})")
        if self.focus is not None and entry.value.ndim == 4:  # an image: a small crop
            crop_block(self.doc, self.trace, symbol, self.focus)
            return entry.value
        value, cut = example_rows(entry, self.example)
        text = label or entry.equation
        cells = matrix(value, DECIMALS)
        if self.focus is not None and len(cells) > 4:  # an image network's big matrices: 3 rows
            cells = [*cells[:3], ["..."] * len(cells[0])]
        self.doc.matrix(f"{text}{cut}  ({shape_text(entry.shape)})", cells)
        return value

    def value(self, symbol: str) -> np.ndarray:
        return self.trace[symbol].value

    def shape(self, symbol: str, transpose: bool = False) -> str:
        text = shape_text(self.trace[symbol].shape)
        return f"({text}).T" if transpose else f"({text})"


def narrate_student(
    trace: Trace, example: int | None, notebook: bool, first: int = 0, focus: Focus | None = None
) -> Document:
    """``example`` is a row of the trace's batch; the words call batch row k "example first + k"
    and the subscripts ([k, j]) keep the batch row. ``focus`` (an image network's example,
    channel and position) turns on the image layers' worked numbers and crops."""
    doc = Document(f"Training step {trace.step}, with equations and shapes")
    w = _Writer(trace, example, doc, notebook, focus)
    info = trace.info
    layers = info["layers"]
    count = len(layers)
    out = f"a{count}"
    doc.paragraph(f"The network: {model_line(trace)}")
    if example is not None:
        doc.paragraph(
            f"Following example {first + example} (numbered from 0: row {example} of "
            + ("this step's" if first else "the")
            + " batch): "
            f"per-example quantities show only its row; the gradients dC/dW and dC/db are sums "
            f"over all {info['batch']} examples."
        )
    row = w.row
    followed = first + row  # the followed example's number in the reader's data

    doc.heading(words.PHASE_WORDS["forward"]["student"])
    w.show("a0")
    for index, layer in enumerate(layers, start=1):
        prev = f"a{index - 1}"
        doc.heading(f"Layer {index}: {layer_title(layer)}", level=3)
        act = words.ACTIVATION_WORDS.get(layer["activation"] or "", {})
        if focus is not None and layer["kind"] in IMAGE_KINDS:
            student_forward(doc, trace, index, focus)
            if trace[f"a{index}"].value.ndim == 4:  # a flat output: its number is shown above
                w.show(f"a{index}")
            continue
        if layer["kind"] == "Dense":
            w.show(f"W{index}")
            bias = f" + b{index}" if layer["use_bias"] else ""
            if layer["use_bias"]:
                w.show(f"b{index}")
            shapes = f"{w.shape(prev)} @ {w.shape(f'W{index}')}"
            shapes += f" + {w.shape(f'b{index}')}" if layer["use_bias"] else ""
            doc.equation(f"z{index} = {prev} @ W{index}{bias}: {shapes} -> {w.shape(f'z{index}')}")
            a_prev, weights = w.value(prev)[row], w.value(f"W{index}")[:, 0]
            terms = clip(list(zip(a_prev, weights, strict=True)), MAX_TERMS, product_term)
            if layer["use_bias"]:
                terms.append(_p(w.value(f"b{index}")[0]))
            z = w.value(f"z{index}")[row, 0]
            doc.equation(f"z{index}[{row},0] = " + " + ".join(terms) + f" = {_n(z)}")
            w.show(f"z{index}")
            a = w.value(f"a{index}")[row, 0]
            doc.paragraph(act.get("student", layer["kind"]))
            doc.equation(
                f"a{index} = {layer['activation']}(z{index}): {w.shape(f'z{index}')} -> "
                f"{w.shape(f'a{index}')};  a{index}[{row},0] = {_applied(layer, w, index)} "
                f"= {_n(a)}"
            )
        else:
            doc.paragraph(act.get("student", words.LAYER_WORDS[layer["kind"]]["student"]))
            if f"mask{index}" in trace:
                w.show(f"mask{index}")
        w.show(f"a{index}")

    doc.heading(words.PHASE_WORDS["loss"]["student"])
    loss = loss_words(info)
    w.show("y")
    w.show(f"{out} - y")
    if "p" in trace:
        doc.paragraph(
            "The output is a logit; the loss first turns it into a probability, "
            f"{loss['probability']}:"
        )
        w.show("p")
        w.show("p - y")
    doc.equation(loss["formula"])
    student_weights(doc, trace, w.show)  # a weighted step: sum_i w_i loss_i / n, with numbers
    miss = np.ravel(w.value(f"{out} - y"))
    data = f"{info['loss']['name']}(y, {out})"
    penalties = [e for e in trace.phase("loss") if e.symbol.startswith("penalty")]
    label, value = (data, w.value(data)) if penalties else ("C", w.value("C"))
    if info["loss"]["name"] == "half_sum_squared_error":
        terms = clip(miss, MAX_TERMS, lambda v: f"({_n(v)})**2")
        doc.equation(f"{label} = 1/2 * (" + " + ".join(terms) + f") = {_n(value)}")
    else:
        doc.equation(f"{label} = {_n(value)}")
    if penalties:
        doc.paragraph(
            "The kernel regularizers add their penalties to the cost, each on the weights the "
            "step started from:"
        )
        for entry in penalties:
            doc.equation(f"{entry.equation} = {_n(float(entry.value))}")
        parts = " + ".join(_n(float(e.value)) for e in [trace[data], *penalties])
        doc.equation(f"{trace['C'].equation} = {parts} = {_n(w.value('C'))}")
    if info["fused"]:
        doc.paragraph(f"Fused gradient: {loss['why']}.")
    else:
        doc.paragraph(f"Its gradient, {loss['gradient']}: {loss['why']}.")
        if "calculus" in loss:  # the derivative worked once, for one output
            doc.equation(loss["calculus"])
        w.show(f"dC/d{out}")

    doc.heading(words.PHASE_WORDS["backward"]["student"])
    kinds = [layer["kind"] for layer in layers]
    for index in range(count, 0, -1):
        layer = layers[index - 1]
        doc.heading(f"Layer {index}: {layer_title(layer)}", level=3)
        if focus is not None and layer["kind"] in IMAGE_KINDS:
            student_backward(doc, trace, index, focus)
            continue
        if layer["kind"] != "Dense":
            link = f"da{index}/da{index - 1}"
            if link in trace:
                w.show(link)
            if f"dC/da{index - 1}" in trace:
                w.show(f"dC/da{index - 1}")
            continue
        doc.equation(chain(kinds, index, info["fused"]))
        doc.paragraph(
            f"The factors, with their values for example {followed} (a slope or mask multiplies "
            f"element by element; a weight matrix W passes the blame back as @ W.T):"
        )
        doc.table(["factor", f"value (example {followed})"], chain_factors(trace, index, row))
        path = chain_path(trace, index, row, name=followed)
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
                f"{_p(upstream)} * {_p(factor)} = {_n(delta)}"
            )
        w.show(f"delta{index}", f"{w.trace[f'delta{index}'].equation} = dC/dz{index}")
        prev = f"a{index - 1}"
        doc.equation(
            f"dz{index}/dW{index} = {prev}, so dC/dW{index} = {prev}.T @ delta{index}: "
            f"{w.shape(prev, True)} @ {w.shape(f'delta{index}')} -> {w.shape(f'dC/dW{index}')}"
        )
        _shape_words(w, index, layer["use_bias"])
        if f"dpenalty{index}/dW{index}" in trace:
            w.show(f"dpenalty{index}/dW{index}")
        w.show(f"dC/dW{index}")
        if path is not None:
            doc.paragraph(
                "One knob's chain, as a product of plain numbers"
                + (
                    " (every layer above has one unit, so the blame takes a single path):"
                    if index < count
                    else ":"
                )
            )
            doc.equation(path[0])
        knob = path[1] if path is not None else (0, 0)
        doc.paragraph(
            f"Each example adds its share; the batch's sum is the gradient (as {prev}.T @ "
            f"delta{index} computes it):"
        )
        doc.equation(batch_sum(trace, index, knob))
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


def _shape_words(w: _Writer, index: int, bias: bool) -> None:
    """Why dC/dW{index} has W{index}'s shape (in x out), in the layer's real sizes, and what the
    shorthand dz/dW = a_prev means index by index."""
    prev = f"a{index - 1}"
    rows, cols = w.trace[f"W{index}"].shape
    batch = w.trace[prev].shape[0]
    source = "input i" if index == 1 else f"unit i of layer {index - 1}"
    w.doc.paragraph(
        f"One blame per weight, so dC/dW{index} has W{index}'s shape, {rows}x{cols}: row i, "
        f"column j is the blame of the weight from {source} to unit j. {prev}.T @ "
        f"delta{index} makes that shape: ({rows}xN) @ (Nx{cols}) = {rows}x{cols}, with N = "
        f'{batch} examples summed away in the middle. "dz{index}/dW{index} = {prev}" is '
        f"shorthand for dz{index}[n,j]/dW{index}[i,j] = {prev}[n,i] (and 0 for every other "
        f"column j): the weight from i to j multiplies {prev}[n,i] on its way into unit j"
        + (", and the bias adds 1 per example." if bias else ".")
    )


#: each state entry ("optimizer:prefix") and new value ("update rule:new", the rules of
#: ``update_rule_name``) at its first element, numbers plugged in
_PLUGGED: dict[str, str] = {
    "sgd:momentum": "{mu} * {old} + {g}",
    "rmsprop:mean": "{rho} * {old} + (1 - {rho}) * {g}",
    "rmsprop:v": "{rho} * {old} + (1 - {rho}) * {g}**2",
    "rmsprop:momentum": "{mu} * {old} + {g} / (sqrt({v}{centered}) + {eps})",
    "adam:m": "{b1} * {old} + (1 - {b1}) * {g}",
    "adam:v": "{b2} * {old} + (1 - {b2}) * {g}**2",
    "adamw:m": "{b1} * {old} + (1 - {b1}) * {g}",
    "adamw:v": "{b2} * {old} + (1 - {b2}) * {g}**2",
    "adagrad:acc": "{old} + {g}**2",
    "sgd:new": "{p} - {lr} * {g}",
    "sgd_momentum:new": "{p} - {lr} * {momentum}",
    "sgd_nesterov:new": "{p} - {lr} * ({g} + {mu} * {momentum})",
    "rmsprop:new": "{p} - {lr} * {g} / (sqrt({v}{centered}) + {eps})",
    "rmsprop_momentum:new": "{p} - {lr} * {momentum}",
    "rmsprop_centered:new": "{p} - {lr} * {g} / (sqrt({v}{centered}) + {eps})",
    "rmsprop_centered_momentum:new": "{p} - {lr} * {momentum}",
    "adam:new": "{p} - {lr} / {c1} * {m} / (sqrt({v}) / sqrt({c2}) + {eps})",
    "adamw:new": "{p} - {lr} / {c1} * {m} / (sqrt({v}) / sqrt({c2}) + {eps})",
    "adagrad:new": "{p} - {lr} * {g} / (sqrt({acc}) + {eps})",
}


#: the short names the plugged-in rules give the optimizer's settings
_HYPER_SYMBOLS = (
    ("lr", "learning_rate"),
    ("mu", "momentum"),
    ("rho", "rho"),
    ("b1", "beta_1"),
    ("b2", "beta_2"),
    ("eps", "epsilon"),
)


def _first(trace: Trace, symbol: str) -> str:
    return _p(np.ravel(trace[symbol].value)[0])


def _applied(layer: dict[str, Any], w: _Writer, index: int) -> str:
    """f(z[row,0]) for an element-wise activation; softmax(z[row])[0] for softmax (the whole
    row decides each share)."""
    name = layer["activation"]
    z = w.value(f"z{index}")[w.row]
    if name == "softmax":
        return f"softmax(z{index}[{w.row}])[0] = softmax({flat_values(z, MAX_TERMS)})[0]"
    return f"{name}({_n(z[0])})"


def _plugged(trace: Trace, optimizer: dict[str, Any], symbol: str) -> str | None:
    """``symbol``'s first element as its rule with the numbers plugged in, or None."""
    name = optimizer["name"]
    if any(optimizer.get(key) for key in CLIP_EQUATIONS):
        return None  # the rule's g is the clipped gradient, which the trace does not hold
    if symbol.endswith("_new") and optimizer.get("weight_decay"):
        return None  # the decayed W is not in the trace either; the rule says how it is made
    if symbol.endswith("_new"):
        param, key = symbol[: -len("_new")], f"{update_rule_name(optimizer)}:new"
    else:
        prefix, _, param = symbol.partition("_")
        key = f"{name}:{prefix}"
    template = _PLUGGED.get(key)
    if template is None or f"dC/d{param}" not in trace:
        return None
    known = {
        "p": param,
        "g": f"dC/d{param}",
        "momentum": f"momentum_{param}",
        "v": f"v_{param}",
        "m": f"m_{param}",
        "acc": f"acc_{param}",
        "old": f"{symbol}_old",
    }
    values = {k: _first(trace, v) for k, v in known.items() if v in trace}
    for key_name, config in _HYPER_SYMBOLS:
        if config in optimizer:
            values[key_name] = _n(optimizer[config])
    for key_name, entry in (("c1", "1 - beta_1^t"), ("c2", "1 - beta_2^t")):
        if entry in trace:
            values[key_name] = _n(float(trace[entry].value))
    values["centered"] = ""
    if optimizer.get("centered") and f"mean_{param}" in trace:
        values["centered"] = f" - ({_first(trace, f'mean_{param}')})**2"
    try:
        plugged = template.format(**values)
    except KeyError:
        return None
    at = ",".join("0" * len(trace[symbol].shape))
    return f"{symbol}[{at}] = {plugged} = {_n(np.ravel(trace[symbol].value)[0])}"


def _update(w: _Writer, info: dict[str, Any]) -> None:
    doc, trace = w.doc, w.trace
    doc.heading(words.PHASE_WORDS["update"]["student"])
    optimizer = info["optimizer"]
    table = words.OPTIMIZER_WORDS[optimizer["name"]]
    extras = "".join(
        f" Also {words.OPTIMIZER_EXTRA_WORDS[key]['student']}."
        for key in words.optimizer_extras(optimizer)
    )
    doc.paragraph(f"{table['student']}.{extras} The rule, with {_hyper(optimizer)}:")
    rule = update_rule(trace)
    doc.equation("\n".join(rule))
    if frozen := frozen_sentence(trace, "student"):
        doc.paragraph(frozen)
    for entry in trace.phase("update"):
        if entry.layer == 0:
            doc.equation(f"{entry.equation} = {_n(float(entry.value))}")
    for entry in trace.phase("update"):
        if entry.layer == 0 or entry.symbol.startswith("a") or entry.symbol.endswith("_old"):
            continue
        plugged = _plugged(trace, optimizer, entry.symbol)
        if plugged:
            doc.equation(plugged)
        w.show(entry.symbol)
    out = f"a{len(info['layers'])}"
    doc.paragraph(f"With the new weights, the same inputs give (compare {out} above):")
    w.show(f"{out}_new")
    if "p_new" in trace:
        w.show("p_new")
    student_rates(doc, trace)


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
