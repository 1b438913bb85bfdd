"""The kid's level: plain words and small numbers, one example followed through the network."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.explain import words
from glassnet.explain.chain import path_factors
from glassnet.explain.common import (
    dense_layers,
    frozen_sentence,
    kid_number,
    loss_words,
    preprocessing_how,
    regularizer_words,
)
from glassnet.explain.document import Document
from glassnet.explain.image_short import kid_backward, kid_forward
from glassnet.explain.images import IMAGE_KINDS, Focus
from glassnet.explain.rates import kid_rates
from glassnet.explain.weights import kid_weights
from glassnet.trace import Trace

MAX_ITEMS = 8  # examples or knobs listed one by one; the rest are summed up in words


def _values(array: Any) -> str:
    flat = np.ravel(array)
    shown = ", ".join(kid_number(v) for v in flat[:MAX_ITEMS])
    return f"[{shown}{', ...' if flat.size > MAX_ITEMS else ''}]"


def _one(array: Any) -> str:
    flat = np.ravel(array)
    return kid_number(flat[0]) if flat.size == 1 else _values(flat)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def _input_words(shape: tuple[int, ...]) -> str:
    """One example's input in plain words: "3 numbers", or for an image (height, width,
    channels) "an 8x8 picture with 1 channel (64 numbers)"."""
    if len(shape) != 3:
        return _count(int(np.prod(shape)), "number")
    height, width, channels = shape
    article = "an" if str(height).startswith("8") or height in (11, 18) else "a"
    return (
        f"{article} {height}x{width} picture with {_count(channels, 'channel')} "
        f"({_count(height * width * channels, 'number')})"
    )


def narrate_kid(
    trace: Trace, example: int | None, first: int = 0, focus: Focus | None = None
) -> Document:
    """``example`` is a row of the trace's batch; the words call batch row k "example first + k".
    ``focus`` (an image network's example, channel, position) adds the image layers' numbers."""
    info = trace.info
    spot = focus
    focus = 0 if example is None else example
    name = first + focus  # the followed example's number in the reader's data
    layers = info["layers"]
    count = len(layers)
    out = f"a{count}"
    knobs = sum(  # every layer's weights: W (Dense) or K (Conv2D), and b
        trace[symbol].value.size
        for i in range(1, count + 1)
        for symbol in (f"W{i}", f"K{i}", f"b{i}")
        if symbol in trace
    )
    doc = Document(f"Training step {trace.step}, told simply")
    doc.paragraph(
        f"This network is a machine with {_count(knobs, 'knob')} (its weights). In one training "
        f"step it looks at {_count(info['batch'], 'example')}, makes a guess for each, checks "
        f"how wrong the guesses were, works out how much each knob is to blame, and turns every "
        f"knob a little so that the next guesses are less wrong."
    )

    doc.heading("1. " + words.PHASE_WORDS["forward"]["kid"])
    x = trace["a0"].value
    doc.paragraph(
        f"Let us follow example {name} (examples are numbered from 0, the way Python counts "
        f"rows). It goes in as {_values(x[focus])}: {_input_words(x.shape[1:])}."
    )
    if ones := _constant_one(x, layers[0]["use_bias"]):
        doc.paragraph(ones)
    for index, layer in enumerate(layers, start=1):
        activation = words.ACTIVATION_WORDS.get(layer["activation"] or "", {}).get("kid", "")
        table = words.LAYER_WORDS[layer["kind"]]
        bias = table.get("bias_kid", "") if layer["use_bias"] else ""
        units = layer["units"] or 0
        calculators = (
            "1 little calculator (a neuron)"
            if units == 1
            else (f"{units} little calculators (neurons)")
        )
        what = table["kid"].format(
            units=calculators,
            each="it" if units == 1 else "each",
            bias=bias,
            activation=activation,
            how=preprocessing_how(layer),
        )
        value = trace[f"a{index}"].value[focus]
        said = _input_words(value.shape) if value.ndim == 3 else _one(value)
        doc.paragraph(f"Layer {index} {what}. For example {name} it gives {said}.")
        if spot is not None and layer["kind"] in IMAGE_KINDS:
            doc.paragraph(kid_forward(trace, index, spot))
        penalty = regularizer_words(layer, "kid")
        if penalty:
            doc.paragraph(penalty)
    guess = trace[out].value
    logits = "p" in trace
    if logits:
        doc.paragraph(
            f"The last layer gives a raw score ({_one(guess[focus])}); the network turns it into a "
            f"chance between 0 and 1 before checking it."
        )
        guess = trace["p"].value
    doc.paragraph(f"So the network's guess for example {name} is {_one(guess[focus])}.")

    doc.heading("2. " + words.PHASE_WORDS["loss"]["kid"])
    y = trace["y"].value
    miss = trace["p - y" if logits else f"{out} - y"].value
    items = []
    classes = (
        miss.shape[1] > 1 and bool(np.all((y == 0) | (y == 1))) and bool(np.all(y.sum(axis=1) == 1))
    )
    if classes:
        doc.paragraph(
            f"The network shares its belief between {miss.shape[1]} classes (0 to "
            f"{miss.shape[1] - 1}); its guess is the class with the biggest share."
        )
    for k in range(min(len(y), MAX_ITEMS)):
        line = (
            f"Example {first + k}: the network guessed {_one(guess[k])} but the answer was "
            f"{_one(y[k])}"
        )
        if classes:
            picked, answer = int(np.argmax(guess[k])), int(np.argmax(y[k]))
            line = (
                f"Example {first + k}: the biggest share, {kid_number(guess[k][picked])}, went to "
                f"class {picked}; the answer was class {answer}, which got "
                f"{kid_number(guess[k][answer])}: " + ("right." if picked == answer else "wrong.")
            )
        elif miss.shape[1] == 1:
            value = float(miss[k, 0])
            side = "too high" if value > 0 else "too low" if value < 0 else "exactly right"
            line += f"; it was {kid_number(abs(value))} {side}." if value else "; exactly right."
        else:
            line += "."
        items.append(line)
    if len(y) > MAX_ITEMS:
        items.append(f"... and {len(y) - MAX_ITEMS} more examples.")
    doc.bullets(items)
    loss = loss_words(info)
    doc.paragraph(
        f"All the misses together make one score, the cost C = {kid_number(trace['C'].value)}: "
        f"{loss['kid']}. Training tries to make this score small."
    )
    if weighted := kid_weights(trace):  # a step with sample_weight or class_weight
        doc.paragraph(weighted)
    fines = [e for e in trace.phase("loss") if e.symbol.startswith("penalty")]
    if fines:
        listed = ", ".join(f"layer {e.layer}'s fine {kid_number(e.value)}" for e in fines)
        doc.paragraph(f"The score includes the fines for big knobs: {listed}.")

    doc.heading("3. " + words.PHASE_WORDS["backward"]["kid"])
    doc.paragraph(
        "Going backwards from the misses, every knob gets its share of blame: how much the "
        "score would go up if that knob were turned up a tiny bit. A positive blame means "
        "'turn me down', a negative blame 'turn me up'. Layer by layer, from the last back to "
        "the first (knobs are counted weights first, then the extra knobs):"
    )
    weighted = _weighted_layers(trace)
    doc.bullets(
        [_blame_line(trace, i) for i in reversed(weighted) if f"dC/d{_kernel(trace, i)}" in trace]
    )
    if spot is not None:
        doc.bullets(
            [
                kid_backward(trace, index, spot)
                for index in range(count, 0, -1)
                if layers[index - 1]["kind"] in IMAGE_KINDS
            ]
        )
    if len(weighted) > 1:
        doc.paragraph(
            "The blame of an earlier layer's knobs is passed back through the layers after it: "
            "each blame is a chain of small 'how much does this change that' steps multiplied "
            "together (the chain rule)."
        )
    if dense_layers(trace):
        _kid_chain(doc, trace, dense_layers(trace)[0], focus, name)

    doc.heading("4. " + words.PHASE_WORDS["update"]["kid"])
    optimizer = info["optimizer"]
    table = words.OPTIMIZER_WORDS[optimizer["name"]]
    text = f"The optimizer ({optimizer['class_name']}) {table['kid']}"
    if optimizer.get("momentum"):
        text += f"; {table.get('kid_momentum', '')}"
    for key in words.optimizer_extras(optimizer):
        text += f"; {words.OPTIMIZER_EXTRA_WORDS[key]['kid']}"
    doc.paragraph(text + f". Here the learning rate is {kid_number(optimizer['learning_rate'])}.")
    if frozen := frozen_sentence(trace, "kid"):
        doc.paragraph(frozen)
    doc.bullets([line for index in reversed(weighted) if (line := _turn_line(trace, index))])
    kid_rates(doc, trace)

    doc.heading("After the step")
    after = trace["p_new" if logits else f"{out}_new"].value
    doc.paragraph(
        f"With the turned knobs, example {name} now gets {_one(after[focus])} instead of "
        f"{_one(guess[focus])}: {_verdict(guess[focus], after[focus], y[focus])} One step is "
        f"a small nudge; training repeats it many times."
    )
    doc.paragraph(f"All the guesses now: {_values(after)} (before: {_values(guess)}).")
    return doc


def _weighted_layers(trace: Trace) -> list[int]:
    """The layers with knobs (a Dense's W, a Conv2D's K), first to last."""
    return [
        i for i in range(1, len(trace.info["layers"]) + 1) if f"W{i}" in trace or f"K{i}" in trace
    ]


def _kernel(trace: Trace, index: int) -> str:
    return f"W{index}" if f"W{index}" in trace else f"K{index}"


def _knobs(trace: Trace, index: int, suffix: str, prefix: str = "") -> np.ndarray:
    """Layer ``index``'s knobs in the kid's order: its weights row by row, then its biases
    (``prefix`` "dC/d" gives their blames, ``suffix`` "_new" their values after the step)."""
    names = [f"{prefix}{kind}{index}{suffix}" for kind in ("W", "K", "b")]
    return np.concatenate([np.ravel(trace[n].value) for n in names if n in trace])


def _knob_words(trace: Trace, index: int, knob: int) -> str:
    """What knob ``knob`` (counted from 0) of layer ``index`` connects, in plain words."""
    weights = trace[f"W{index}"] if f"W{index}" in trace else trace[f"K{index}"]
    shape = weights.value.shape
    if knob >= weights.value.size:
        owner = "calculator" if len(shape) == 2 else "stamp"
        return f"the extra knob of {owner} {knob - weights.value.size + 1}"
    where = np.unravel_index(knob, shape)
    if len(shape) == 2:
        into = f"to calculator {where[1] + 1}"
        if index > 1 and trace.info["layers"][index - 2]["kind"] == "Dense":
            return f"from layer {index - 1}'s calculator {where[0] + 1} {into}"
        return f"from input {where[0] + 1} {into}"
    row, column, channel, stamp = where  # counted from 0, as the picture's rows are
    return f"stamp {stamp}'s number at row {row}, column {column}, channel {channel}"


def _others(values: np.ndarray, biggest: int) -> tuple[float, float] | None:
    rest = np.delete(values, biggest)
    return None if rest.size == 0 else (float(rest.min()), float(rest.max()))


def _blame_line(trace: Trace, index: int) -> str:
    """Layer ``index``'s blames in one bullet: the biggest (in size) named with its knob, the
    others as the range they lie in. 'Layer 2, knob 4: blame 0.139, ...'."""
    blame = _knobs(trace, index, "", prefix="dC/d")
    top = int(np.argmax(np.abs(blame)))
    line = (
        f"Layer {index}, knob {top + 1}: blame {kid_number(blame[top])}, the biggest of its "
        f"{_count(blame.size, 'knob')} ({_knob_words(trace, index, top)})"
    )
    others = _others(blame, top)
    if others is None:
        return line + "."
    low, high = others
    if kid_number(low) == kid_number(high):
        verb = "is" if blame.size == 2 else "are"
        return f"{line}; the other {_count(blame.size - 1, 'blame')} {verb} {kid_number(low)}."
    return (
        f"{line}; the other {_count(blame.size - 1, 'blame')} are between {kid_number(low)} "
        f"and {kid_number(high)}."
    )


def _turn_line(trace: Trace, index: int) -> str:
    """Layer ``index``'s knob turns in one bullet: the biggest turn with its old and new value,
    the others as the range of their sizes. Empty for a layer without new values."""
    names = [f"{kind}{index}_new" for kind in ("W", "K")]
    if not any(name in trace for name in names):
        return ""
    old, new = _knobs(trace, index, ""), _knobs(trace, index, "_new")
    turn = new - old
    top = int(np.argmax(np.abs(turn)))
    if turn[top] == 0:
        return f"Layer {index}: no knob turned."
    way = "down" if turn[top] < 0 else "up"
    line = (
        f"Layer {index}, knob {top + 1}: {kid_number(old[top])} -> {kid_number(new[top])} "
        f"({way} by {kid_number(abs(turn[top]))}), the biggest turn of its "
        f"{_count(old.size, 'knob')}"
    )
    others = _others(np.abs(turn), top)
    if others is None:
        return line + "."
    low, high = others
    if kid_number(low) == kid_number(high):
        return f"{line}; the other {_count(old.size - 1, 'knob')} turned by {kid_number(low)}."
    return (
        f"{line}; the other {_count(old.size - 1, 'knob')} turned by between "
        f"{kid_number(low)} and {kid_number(high)}."
    )


def _constant_one(x: np.ndarray, bias: bool) -> str:
    """The kid's words for an input column that is 1 in every example (the seed's third input):
    the notebook's stand-in for a bias. Empty when there is none (or one example only)."""
    if x.ndim != 2 or len(x) < 2:
        return ""
    columns = [j for j in range(x.shape[1]) if np.all(x[:, j] == 1.0)]
    if not columns:
        return ""
    column = columns[0]
    place = "last" if column == x.shape[1] - 1 else "first" if column == 0 else f"{column + 1}th"
    stand_in = "" if bias else " (the seed notebook's stand-in for a bias)"
    return (
        f"The {place} input number is 1 in every example: it carries no news about the example. "
        f"It is there so that each calculator has a knob of its own that always counts, whatever "
        f"the other inputs are (knob x 1 is just the knob): a starting push up or down{stand_in}."
    )


def _verdict(before: np.ndarray, after: np.ndarray, answer: np.ndarray) -> str:
    """Which way the followed example's guess moved, honestly: closer, or away and why."""
    before_miss = np.abs(before - answer).sum()
    after_miss = np.abs(after - answer).sum()
    if after_miss < before_miss:
        return f"closer to the answer {_one(answer)}."
    if _one(after) == _one(before):
        return f"about as far from the answer {_one(answer)} as before."
    if np.size(after) == 1:
        way = "up" if float(np.ravel(after)[0]) > float(np.ravel(before)[0]) else "down"
        moved = f"it moved {way}, away from the answer {_one(answer)}"
    else:
        moved = f"further from the answer {_one(answer)}"
    return (
        f"{moved}. A single step can do that: the knobs are turned to make the score of all "
        f"the examples together smaller, and the same knobs serve every example, so what helps "
        f"the others can push this one the wrong way (and a step that is too big can overshoot)."
    )


def _factor_words(name: str, index: int) -> str:
    """What one factor of a chain is, in plain words (name is like 'da2/dz2[0,0]')."""
    symbol = name.split("[")[0]
    if symbol.startswith(("dC/da", "dC/dz")):
        return "how much the score changes with the guess"
    if symbol.startswith("W"):
        return f"the layer-{symbol[1:]} knob the blame passes through"
    if symbol.startswith("mask"):
        return "the dropout switch"
    if symbol.startswith("a"):
        return "the number coming in to the knob"
    if "/dz" in symbol:
        layer = symbol.split("/")[0][2:]
        return f"how steep layer {layer}'s squash was"
    layer = symbol.split("/")[0][2:]
    return f"how steep layer {layer}'s change was"


def _kid_chain(doc: Document, trace: Trace, index: int, focus: int, name: int) -> None:
    """One knob's blame from one example, as a chain of numbers multiplied together."""
    found = path_factors(trace, index, focus)
    if found is None:
        return
    names, values, (i, j), share = found
    steps = " x ".join(
        f"{kid_number(v)} ({_factor_words(n, index)})" for n, v in zip(names, values, strict=True)
    )
    blame = trace[f"dC/dW{index}"].value[i, j]
    doc.paragraph(
        f"For example, take the layer-{index} knob from input {i + 1} to calculator {j + 1}. "
        f"Example {name}'s share of its blame is a chain of numbers multiplied together: "
        f"{steps} = {kid_number(share)}. Adding up the shares of all {trace.info['batch']} "
        f"examples gives this knob's blame, {kid_number(blame)}."
    )
