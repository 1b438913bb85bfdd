"""Step through one training step on one example: the engine's trace, grouped for the page.

``trace_example`` runs ``model.trace_step`` on a single example (the model is left unchanged: the
step is recorded, not applied) and returns its entries in the order the data flows, grouped into
stages the page walks through: the input, each layer forward, the loss, each layer backward (last
first), the update. With ``glassnet.explain`` present, the narration of that same trace comes too.

>>> from glassnet.playground.config import parse_config
>>> from glassnet.playground.sessions import Session
>>> session = Session("demo", parse_config({"dataset": {"name": "xor"}, "layers": [{"units": 4}]}))
>>> [stage["title"] for stage in trace_example(session, "train", 0, "kid")["stages"]]
['input', 'forward, layer 1', 'forward, layer 2', 'loss', 'backward, layer 2', \
'backward, layer 1', 'update']
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np


def _stages(entries: list[dict[str, Any]], layers: int) -> list[dict[str, Any]]:
    order = [("forward", 0, "input")]
    order += [("forward", i, f"forward, layer {i}") for i in range(1, layers + 1)]
    order.append(("loss", None, "loss"))
    order += [("backward", i, f"backward, layer {i}") for i in range(layers, 0, -1)]
    order.append(("update", None, "update"))
    stages = []
    for phase, layer, title in order:
        chosen = [
            e for e in entries if e["phase"] == phase and (layer is None or e["layer"] == layer)
        ]
        stages.append({"phase": phase, "layer": layer, "title": title, "entries": chosen})
    return stages


def trace_example(session: Any, split: str, example: int, level: str) -> dict[str, Any]:
    """One example's step as stages of entries (symbol, equation, value, shape) and narration."""
    data = session.data
    x = data.x_train if split == "train" else data.x_test
    y = session.y_train if split == "train" else session.y_test
    trace = session.model.trace_step(x[example : example + 1], y[example : example + 1])
    entries = [
        {
            "phase": entry.phase,
            "layer": entry.layer,
            "symbol": entry.symbol,
            "equation": entry.equation,
            "value": np.asarray(entry.value).tolist(),
            "shape": list(entry.shape),
        }
        for entry in trace
    ]
    from glassnet.explain import narrate

    # the trace is of row ``example`` alone: the narration follows it and calls it by its row
    narration = narrate(
        trace, level=level, format="html", standalone=False, example=0, first_example=example
    )
    # the page's style.css styles the narration; an inline <style> is what its CSP forbids
    narration = re.sub(r"<style>.*?</style>\s*", "", narration, flags=re.DOTALL)
    labels = data.y_train if split == "train" else data.y_test
    return {
        "split": split,
        "example": example,
        "x": x[example].tolist(),
        # a class for classes, the number to fit for a regression set (sine)
        "label": float(labels[example]) if data.regression else int(labels[example]),
        "regression": bool(data.regression),
        "level": level,
        "stages": _stages(entries, len(session.model.layers)),
        "narration": narration,
    }
