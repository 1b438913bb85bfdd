"""What every narrator needs: which entries are per example, the model in one line, the chain."""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np

from glassnet.explain.document import number
from glassnet.explain.words import (
    FROZEN_WORDS,
    LAYER_WORDS,
    LOGITS_WORDS,
    LOSS_SETTING_WORDS,
    LOSS_WORDS,
    REGULARIZER_WORDS,
)
from glassnet.trace import Trace, TraceEntry

#: entries with no batch axis: weights (W, K), biases, BatchNormalization's gamma, beta and
#: statistics, their gradients, the penalties' gradients, the cost
_PARAMETER_LIKE = re.compile(
    r"^((?:dC/d)?(?:[WKb]|gamma|beta)\d+|mu\d+|var\d+|dpenalty\d+/d[WK]\d+|C)$"
)


def per_example(entry: TraceEntry) -> bool:
    """True when the entry has one row per example (a, z, y, delta, dC/da ...)."""
    if _PARAMETER_LIKE.match(entry.symbol) or not entry.shape:
        return False
    return entry.phase != "update" or entry.symbol.startswith("a") or entry.symbol == "p_new"


def example_rows(entry: TraceEntry, example: int | None) -> tuple[np.ndarray, str]:
    """The entry's value, cut to the followed example's row when there is one, and the suffix
    that says so after its symbol ("[2]", or "" when the value is whole)."""
    if example is None or not per_example(entry):
        return entry.value, ""
    return entry.value[example : example + 1], f"[{example}]"


def check_example(trace: Trace, example: int | None) -> None:
    check_row(example, trace.info["batch"])


def check_row(example: object, batch: int) -> None:
    """``example`` None or a row index of a batch of ``batch`` examples."""
    if example is None:
        return
    if isinstance(example, bool) or not isinstance(example, int | np.integer):
        raise TypeError(f"Expected example to be an integer row index, got {example!r}.")
    if not 0 <= example < batch:
        raise ValueError(
            f"This step's batch has {batch} examples, so example must be in [0, {batch - 1}], "
            f"got {example}."
        )


def check_first_example(first_example: int) -> None:
    if isinstance(first_example, bool) or not isinstance(first_example, int | np.integer):
        raise TypeError(
            f"Expected first_example to be a whole number (the batch's first row number), got "
            f"{type(first_example).__name__}."
        )
    if not 0 <= first_example <= sys.maxsize:  # no array has a row beyond sys.maxsize
        shown = str(int(first_example))
        shown = shown if len(shown) <= 20 else shown[:20] + "..."
        raise ValueError(
            f"Expected first_example in [0, {sys.maxsize}] (rows are numbered from 0), got {shown}."
        )


def kid_number(value: float) -> str:
    """Whole numbers as whole numbers (the answer 0, the input 1), others with 3 decimals."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else number(value, 3, True)


def layer_title(layer: dict[str, Any]) -> str:
    """Dense(4, sigmoid, no bias) / Activation(relu) / Dropout(...)."""
    if layer["kind"] == "Dense":
        bias = "" if layer["use_bias"] else ", no bias"
        return f"Dense({layer['units']}, {layer['activation']}{bias})"
    config = layer.get("config") or {}
    if layer["kind"] == "Conv2D":
        kh, kw = config["kernel_size"]
        strides = (
            ""
            if list(config["strides"]) == [1, 1]
            else ", strides={}x{}".format(*config["strides"])
        )
        padding = "" if config["padding"] == "valid" else f", padding={config['padding']}"
        return f"Conv2D({config['filters']}, {kh}x{kw}{strides}{padding}, {layer['activation']})"
    if layer["kind"] in ("MaxPooling2D", "AveragePooling2D"):
        return "{}({}x{})".format(layer["kind"], *config["pool_size"])
    if layer["activation"]:
        return f"{layer['kind']}({layer['activation']})"
    if layer["kind"] == "Rescaling":
        config = layer.get("config") or {}
        return f"Rescaling({config.get('scale', 1.0):g}, offset={config.get('offset', 0.0):g})"
    return layer["kind"]


def preprocessing_how(layer: dict[str, Any]) -> str:
    """The kid's words for what a Rescaling or Normalization layer does, with its numbers
    ("the numbers ... are divided by 16 first"); "" for any other kind."""
    config = layer.get("config") or {}
    table = LAYER_WORDS.get(layer["kind"], {})
    if layer["kind"] == "Normalization":
        return table["how"]
    if layer["kind"] != "Rescaling":
        return ""
    scale, offset = float(config["scale"]), float(config["offset"])
    divisor = 1.0 / scale
    if abs(divisor - round(divisor)) < 1e-9 * abs(divisor) and abs(divisor) > 1:
        how = table["divide"].format(divisor=f"{round(divisor):d}")
    else:
        how = table["multiply"].format(scale=f"{scale:g}")
    return how + (table["offset"].format(offset=f"{offset:g}") if offset else "")


def optimizer_title(config: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={v}" for k, v in config.items() if k not in ("name", "class_name"))
    return f"{config['class_name']}({args})"


def model_line(trace: Trace) -> str:
    info = trace.info
    layers = ", ".join(layer_title(layer) for layer in info["layers"])
    loss = info["loss"]["class_name"]
    if info["loss"].get("from_logits"):
        loss += "(from_logits=True)"
    inputs = info["input_features"]
    if inputs is None:  # an image model: its input's shape
        inputs = "x".join(str(n) for n in trace["a0"].shape[1:])
    return (
        f"{inputs} inputs -> {layers}; loss {loss}; optimizer "
        f"{optimizer_title(info['optimizer'])}; a batch of {info['batch']} examples in "
        f"{info['dtype']}."
    )


def is_seed(trace: Trace) -> bool:
    """The seed notebook's network: 3 inputs, Dense 4 and 1, sigmoid, no bias, half sum, SGD."""
    info = trace.info
    shapes = [(d["kind"], d["units"], d["activation"], d["use_bias"]) for d in info["layers"]]
    return (
        info["input_features"] == 3
        and shapes == [("Dense", 4, "sigmoid", False), ("Dense", 1, "sigmoid", False)]
        and info["loss"]["name"] == "half_sum_squared_error"
        and info["optimizer"]["name"] == "sgd"
        and not info["optimizer"].get("momentum")
    )


def chain_links(kinds: list[str], index: int, fused: bool) -> list[tuple[str, int]]:
    """The factors of dC/dW_index (``index`` 1-based), from the cost down, as (what, layer m):
    "cost" (dC/da_L, or dC/dz_L when the top is fused with the loss), "slope" (da_m/dz_m),
    "weights" (dz_m/da_{m-1}), "input" (dz_m/dW_m) and "link" (da_m/da_{m-1}, a weightless
    layer). The fused top's own slope or link is inside dC/dz_L, so it has no factor."""
    count = len(kinds)
    links = [("cost", count)]
    for m in range(count, index - 1, -1):
        top = fused and m == count
        if kinds[m - 1] != "Dense":
            if not top:
                links.append(("link", m))
            continue
        if not top:
            links.append(("slope", m))
        links.append(("input" if m == index else "weights", m))
    return links


_LINK_SYMBOLS = {
    "slope": "da{m}/dz{m}",
    "weights": "dz{m}/da{below}",
    "input": "dz{m}/dW{m}",
    "link": "da{m}/da{below}",
}


def link_symbol(what: str, m: int, fused: bool) -> str:
    """One factor of ``chain_links`` in symbols: da2/dz2, dz2/da1 ..."""
    if what == "cost":
        return f"dC/dz{m}" if fused else f"dC/da{m}"
    return _LINK_SYMBOLS[what].format(m=m, below=m - 1)


def chain(kinds: list[str], index: int, fused: bool) -> str:
    """dC/dW_l as a chain of factors, from the cost down to Dense layer ``index`` (1-based);
    ``kinds`` are the layers' kinds, in order.

    >>> chain(["Dense", "Dense"], 1, fused=False)
    'dC/dW1 = dC/da2 * da2/dz2 * dz2/da1 * da1/dz1 * dz1/dW1'
    >>> chain(["Dense", "Activation"], 1, fused=True)
    'dC/dW1 = dC/dz2 * da1/dz1 * dz1/dW1'
    """
    factors = [link_symbol(what, m, fused) for what, m in chain_links(kinds, index, fused)]
    return f"dC/dW{index} = " + " * ".join(factors)


def dense_layers(trace: Trace) -> list[int]:
    return [i for i, d in enumerate(trace.info["layers"], start=1) if d["kind"] == "Dense"]


def regularizer_entry(layer: dict[str, Any]) -> tuple[str, dict[str, str] | None] | None:
    """The layer's kernel regularizer: (its name, its words or None when it has none), or None
    when the layer has no regularizer."""
    config = (layer.get("config") or {}).get("kernel_regularizer")
    if not config:
        return None
    name = config.get("name", "")
    return name, REGULARIZER_WORDS.get(str(name).lower())


def regularizer_words(layer: dict[str, Any], level: str) -> str | None:
    """The words for a layer's kernel regularizer (L2 ...), or None when it has none."""
    entry = regularizer_entry(layer)
    if entry is None:
        return None
    name, words = entry
    if words is None:
        return f"The kernel has a regularizer ({name}): its penalty's gradient is in dC/dW."
    if level == "kid":
        return f"This layer {words['kid']}."
    return f"{words['student']}: `{words['formula']}`, `{words['gradient']}`."


def update_rule(trace: Trace) -> list[str]:
    """The optimizer's rule as the trace wrote it for the first weight matrix, with its symbol
    made general (W1 -> W): momentum, Nesterov, centering and Adam's moments included."""
    updated = [e.layer for e in trace.phase("update") if e.layer > 0]
    first = next((i for i in updated if i not in frozen_layers(trace)), updated[0])
    general = re.compile(rf"[WK]{first}(?![0-9])")  # a Dense layer's W, a Conv2D's K
    return [
        general.sub("W", entry.equation)
        for entry in trace.phase("update")
        if entry.layer == first
        and general.search(entry.symbol)
        and not entry.symbol.endswith("_old")
        and not entry.symbol.startswith("change_")
    ]


def loss_words(info: dict[str, Any]) -> dict[str, str]:
    """The loss's words, those of its from_logits form when the model's output is a logit."""
    name = info["loss"]["name"]
    table = dict(LOSS_WORDS[name])
    if info["loss"].get("from_logits") and name in LOGITS_WORDS:
        table.update(LOGITS_WORDS[name])
    settings = []
    if info["loss"].get("label_smoothing"):
        settings.append(LOSS_SETTING_WORDS["label_smoothing"].format(**info["loss"]))
    if info["loss"].get("reduction") == "sum" and name != "half_sum_squared_error":
        settings.append(LOSS_SETTING_WORDS["reduction_sum"])
    if settings:
        table["formula"] += f" ({'; '.join(settings)})"
    return table


def frozen_layers(trace: Trace) -> list[int]:
    """The 1-based numbers of the layers frozen (``layer.trainable = False``) in this step."""
    return [
        index
        for index, layer in enumerate(trace.info["layers"], start=1)
        if (layer.get("config") or {}).get("trainable") is False
    ]


def frozen_sentence(trace: Trace, level: str) -> str | None:
    """One sentence naming the frozen layers at ``level`` ("kid" or "student"); None if none."""
    frozen = frozen_layers(trace)
    if not frozen:
        return None
    names = ("layer " if len(frozen) == 1 else "layers ") + ", ".join(map(str, frozen))
    return FROZEN_WORDS[level].format(layers=names) + "."
