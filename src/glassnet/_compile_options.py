"""Keras 3's ``compile`` arguments beyond the optimizer, the loss and the metrics.

``Sequential.compile`` takes Keras 3's arguments in Keras 3's order::

    compile(optimizer, loss, loss_weights, metrics, weighted_metrics,
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss)

so a Keras script's ``compile("sgd", "mse", None, ["mae"])`` means the same in both.

``loss_weights`` scales the loss of glassnet's one output, as Keras scales a one-output model's:
C = loss_weight * loss(y, aL) (+ the regularization penalties, which it does not scale), so its
gradient is scaled too. Keras takes a float, or a list or dict of one (keyed by the output
layer's name); so does glassnet. It must be finite and above 0: 0 would train nothing and a
negative weight climbs the loss.

The other four only steer how Keras runs a step (eagerly or compiled, several batches per
call, XLA or torch.compile, loss scaling for float16); glassnet runs every step eagerly in
NumPy, batch by batch, in one float dtype, so their values change nothing here: Keras's values
are taken, and ``steps_per_execution`` must be 1, as Keras's PyTorch backend requires.

>>> loss_weight(2.0, "dense"), loss_weight([0.5], "dense"), loss_weight({"dense": 3}, "dense")
(2.0, 0.5, 3.0)
>>> loss_weight(None, "dense") is None
True
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from glassnet._validation import shown

#: what compile says when its third positional argument looks like glassnet's old metrics list
_METRICS_THERE = (
    " Keras 3's third compile argument is loss_weights, and metrics come fourth: pass "
    "metrics=[...] by name, e.g. compile('adam', 'mse', metrics=['mae'])."
)


def loss_weight(loss_weights: Any, output: str | None) -> float | None:
    """The one float that scales the loss, from Keras's ``loss_weights`` (a number, or a list,
    tuple or dict of one number, the dict keyed by the output layer's name ``output``); None
    when not given. Anything else is refused, naming what was expected."""
    if loss_weights is None:
        return None
    value = loss_weights
    if isinstance(loss_weights, dict):
        if len(loss_weights) != 1:
            raise ValueError(
                f"Expected loss_weights as a dict of one entry, {{output layer name: weight}}, "
                f"for glassnet's one output, got {len(loss_weights)} entries. Give one weight, "
                f"e.g. loss_weights=2.0."
            )
        ((key, value),) = loss_weights.items()
        if output is not None and key != output:
            raise ValueError(
                f"loss_weights is keyed by {shown(key, 40)}, but the model's output layer is "
                f"named {output!r}. Use loss_weights={{{output!r}: ...}}, or give the number "
                f"alone, e.g. loss_weights=2.0."
            )
    elif isinstance(loss_weights, list | tuple):
        if len(loss_weights) != 1:
            there = _METRICS_THERE if any(isinstance(v, str) for v in loss_weights) else ""
            raise ValueError(
                f"Expected loss_weights as one number, or a list of one, for glassnet's one "
                f"output, got a list of {len(loss_weights)}.{there}"
            )
        (value,) = loss_weights
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        there = _METRICS_THERE if isinstance(value, str) else ""
        raise TypeError(
            f"Expected loss_weights to be a number that scales the loss (e.g. 2.0), or a list "
            f"or dict of one, got {type(value).__name__} {shown(value, 40)}.{there}"
        )
    try:
        weight = float(value)
    except OverflowError:  # an integer past float64's range
        weight = math.inf
    if not math.isfinite(weight) or weight <= 0 or weight > float(np.finfo(np.float32).max):
        raise ValueError(
            f"Expected loss_weights to be a finite number above 0, got {shown(value, 40)}: the "
            f"loss and its gradient are multiplied by it (0 would train nothing, a negative "
            f"weight climbs the loss). Use e.g. loss_weights=1.0, or scale the learning rate."
        )
    return weight


def check_run_options(
    run_eagerly: Any, steps_per_execution: Any, jit_compile: Any, auto_scale_loss: Any
) -> None:
    """Keras's run options: any value Keras means something by is taken (it changes nothing in
    glassnet, which runs each batch eagerly in NumPy); anything else is refused."""
    for name, value in (("run_eagerly", run_eagerly), ("auto_scale_loss", auto_scale_loss)):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(
                f"Expected compile's {name} to be True or False, got {type(value).__name__} "
                f"{shown(value, 20)}. glassnet always runs eagerly in one float dtype, so "
                f"either value changes nothing; leave {name} out."
            )
    auto = isinstance(jit_compile, str) and jit_compile == "auto"
    if not (auto or isinstance(jit_compile, bool | np.bool_)):
        raise ValueError(
            f"Expected compile's jit_compile to be 'auto', True or False, got "
            f"{shown(jit_compile, 20)}. glassnet compiles nothing (NumPy runs each step as "
            f"written), so any of the three changes nothing; leave jit_compile out."
        )
    if (
        isinstance(steps_per_execution, bool | np.bool_)
        or not isinstance(steps_per_execution, numbers.Integral)
        or steps_per_execution != 1
    ):
        raise ValueError(
            f"Expected compile's steps_per_execution to be 1, got "
            f"{shown(steps_per_execution, 20)}. glassnet runs one batch per step (as Keras's "
            f"PyTorch backend, which also requires 1); leave steps_per_execution out."
        )
