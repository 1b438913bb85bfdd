"""A recorder of one training step: every named quantity, its equation, shape and value.

``trace_step(model, x, y)`` runs the engine's own training step (``Sequential._train_step``:
forward, loss, backward, optimizer) and then reads what the layers kept (``a_prev``, ``z``, ``a``,
``delta``, the gradients) and what the optimizer holds, so training without a trace pays nothing:
no hook sits in the hot path. Unless ``update=True`` the weights, gradients, layer caches, optimizer
state and random stream are put back afterwards, so the model is as it was.

The entries come in the order the data flows, with the seed notebook's symbols:

========  =========================================================================
phase     symbols (l = 1 .. L, the layer's position; parameters named W_l, b_l)
========  =========================================================================
forward   a0; per layer W_l, b_l, z_l = a_{l-1} @ W_l + b_l, a_l = f_l(z_l)
          (Dropout: mask_l, a_l = a_{l-1} * mask_l)
loss      y, a_L - y, C, dC/da_L (or delta_L directly when the loss is fused); with a kernel
          regularizer also loss(y, a_L) and penalty_l, so that C = loss + sum of penalties
backward  per layer from the last: da_l/dz_l = f_l'(z_l), delta_l, dC/dW_l, dC/db_l,
          dC/da_{l-1} = delta_l @ W_l.T (a weightless layer: da_l/da_{l-1}, dC/da_{l-1});
          with a regularizer dpenalty_l/dW_l, part of dC/dW_l
update    optimizer state before (m_W_l_old ...) and after (momentum_, m_, v_ ...),
          W_l_new, change_W_l; a_L_new
========  =========================================================================

>>> import glassnet as gn
>>> from glassnet.seed import XOR_X, XOR_Y, seed_network
>>> trace = trace_step(seed_network(), XOR_X, XOR_Y)
>>> trace["a2"].value.ravel().round(3)
array([0.758, 0.771, 0.791, 0.801])
>>> trace["dC/dW2"].equation
'dC/dW2 = a1.T @ delta2'
"""

from __future__ import annotations

import copy
import html
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet import activations as activations_module
from glassnet._trace_records import record_forward, record_loss_and_backward, record_update
from glassnet._validation import shown
from glassnet.callbacks import Callback, Logs

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[Any]
PHASES = ("forward", "loss", "backward", "update")
_CACHES = ("a_prev", "z", "a", "delta", "mask", "training", "x_hat", "mean", "variance")
_CACHES += ("inverse_std",)  # BatchNormalization's


@dataclass(frozen=True)
class TraceEntry:
    """One named quantity of a step: ``value`` is a copy, ``shape`` its shape (() for C)."""

    phase: str
    layer: int
    symbol: str
    equation: str
    value: Array
    shape: tuple[int, ...]


@dataclass
class Trace:
    """The ordered entries of one training step, plus what a narrator needs to know of the model.

    ``trace["dC/dW2"]`` finds an entry by symbol; ``trace.phase("update")`` lists one phase.
    ``info`` describes the layers, loss and optimizer (plain dicts, so a narrator is a pure
    function of the trace); ``step`` is the number of updates made before this one.
    """

    entries: list[TraceEntry] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    step: int = 0

    def add(self, phase: str, layer: int, symbol: str, equation: str, value: ArrayLike) -> None:
        array = np.array(value, copy=True)
        self.entries.append(TraceEntry(phase, layer, symbol, equation, array, array.shape))

    def __iter__(self) -> Any:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, symbol: object) -> bool:
        return self.get(symbol) is not None

    def __getitem__(self, key: int | str) -> TraceEntry:
        if isinstance(key, int):
            return self.entries[key]
        entry = self.get(key)
        if entry is None:
            raise KeyError(f"No entry {key!r} in this trace. Symbols: {', '.join(self.symbols())}.")
        return entry

    def get(self, symbol: object) -> TraceEntry | None:
        """The first entry with this symbol (e.g. "dC/dW2"), or None when there is none."""
        return next((entry for entry in self.entries if entry.symbol == symbol), None)

    def symbols(self) -> list[str]:
        return [entry.symbol for entry in self.entries]

    def phase(self, name: str) -> list[TraceEntry]:
        if name not in PHASES:
            raise ValueError(f"Unknown phase {name!r}; expected one of {', '.join(PHASES)}.")
        return [entry for entry in self.entries if entry.phase == name]

    def __repr__(self) -> str:
        return f"Trace(step={self.step}, entries={len(self.entries)}: {' '.join(self.symbols())})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(e.phase)}</td><td><code>{html.escape(e.symbol)}</code></td>"
            f"<td><code>{html.escape(e.equation)}</code></td><td>{html.escape(str(e.shape))}</td>"
            f"<td><pre>{html.escape(np.array2string(e.value, precision=4, threshold=40))}</pre>"
            f"</td></tr>"
            for e in self.entries
        )
        return (
            f"<table><caption>glassnet trace of step {self.step}</caption><tr><th>phase</th>"
            f"<th>symbol</th><th>equation</th><th>shape</th><th>value</th></tr>{rows}</table>"
        )


def trace_step(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    update: bool = False,
    sample_weight: ArrayLike | None = None,
) -> Trace:
    """Record one training step of ``model`` on the batch (x, y).

    The step is the engine's own (the numbers are those ``fit`` would compute). With
    ``update=False`` (the default) the model is left as it was; with ``update=True`` the update
    stays, exactly as ``model.train_on_batch(x, y)`` would have made it. With ``sample_weight``
    (n,) the step is weighted as ``train_on_batch``'s, and the trace keeps w and each loss_i.
    """
    model._check_compiled("tracing a step")
    x, y = model._data(x, y)
    return _trace_prepared(model, x, y, update, model._weights(y, sample_weight))


def _trace_prepared(
    model: Sequential, x: Array, y: Array, update: bool, sample_weight: Array | None = None
) -> Trace:
    """``trace_step`` on data already checked by ``model._data`` (as fit holds it)."""
    saved = _Snapshot(model)
    trace = Trace(info=_describe(model, len(x)), step=model.optimizer.iterations)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            loss, a = model._train_step(x, y, sample_weight)
        record_forward(trace, model, x, saved.parameters)
        record_loss_and_backward(trace, model, y, a, loss, saved.parameters, sample_weight)
        record_update(trace, model, saved)
        # where the updated network puts the same inputs: the step's effect, in one look
        stepped = _caches(model)
        after = model.forward(x, training=False)
        out = f"a{len(model.layers)}"
        trace.add("update", len(model.layers), f"{out}_new", f"{out} with the new weights", after)
        if "p" in trace:
            squash = model.loss.fused_activation
            probability = activations_module.get(squash)(after)
            trace.add(
                "update", len(model.layers), "p_new", f"p_new = {squash}({out}_new)", probability
            )
        _set_caches(model, stepped)
    finally:
        if not update:
            saved.restore(model)
    return trace


def _caches(model: Sequential) -> list[dict[str, Any]]:
    return [
        {key: vars(layer)[key] for key in _CACHES if key in vars(layer)} for layer in model.layers
    ]


def _set_caches(model: Sequential, caches: list[dict[str, Any]]) -> None:
    for layer, kept in zip(model.layers, caches, strict=True):
        for key in _CACHES:
            if key in kept:
                setattr(layer, key, kept[key])
            else:
                vars(layer).pop(key, None)


class _Snapshot:
    """What a traced step may change: parameters, gradients, caches, optimizer state, rng."""

    def __init__(self, model: Sequential) -> None:
        self.parameters = [[p.copy() for p in layer.parameters] for layer in model.layers]
        self.gradients = [[g.copy() for g in layer.gradients] for layer in model.layers]
        # BatchNormalization's moving statistics, which a training-mode forward pass moves
        self.states = [
            [getattr(layer, n).copy() for n in layer.state_names] for layer in model.layers
        ]
        self.optimizer = model.optimizer.get_state()  # step count and moments, as copies
        # the model's stream and any layer's own (Dropout(seed=...)): none may be advanced
        self.streams = [
            (generator, copy.deepcopy(generator.bit_generator.state))
            for generator in model._generators()
        ]
        self.caches = _caches(model)

    def restore(self, model: Sequential) -> None:
        _set_caches(model, self.caches)
        for layer, params, grads in zip(model.layers, self.parameters, self.gradients, strict=True):
            for target, value in zip(layer.parameters, params, strict=True):
                target[...] = value
            for target, value in zip(layer.gradients, grads, strict=True):
                target[...] = value
        for layer, states in zip(model.layers, self.states, strict=True):
            for name, value in zip(layer.state_names, states, strict=True):
                getattr(layer, name)[...] = value
        model.optimizer.set_state(self.optimizer, model._parameters)
        for generator, state in self.streams:
            generator.bit_generator.state = state


def _describe(model: Sequential, batch: int) -> dict[str, Any]:
    layers = []
    for layer in model.layers:
        activation = getattr(layer, "activation", None)
        layers.append(
            {
                "kind": layer.kind,
                "name": layer.name,
                "units": getattr(layer, "units", None),
                "use_bias": getattr(layer, "use_bias", False),
                "activation": activation.name if activation is not None else None,
                "activation_config": activation.get_config() if activation is not None else None,
                "config": layer.get_config(),
            }
        )
    return {
        "input_features": model.input_features,
        "batch": batch,
        "dtype": model.dtype.name,
        "layers": layers,
        "loss": {
            **model.loss.get_config(),
            "class_name": type(model.loss).__name__,
            "reduction": model.loss.reduction,
        },
        "fused": model._fused_output(),  # the engine's own rule (Sequential.backward)
        # the rate this step uses: a schedule's value at this step, not the schedule's config
        "optimizer": {
            **model.optimizer.get_config(),
            "learning_rate": model.optimizer.learning_rate,
            "class_name": type(model.optimizer).__name__,
        },
    }


class TraceCallback(Callback):
    """Records every ``every``-th training step's trace (taken before its real update).

    ``fit`` sets ``model.current_batch`` before ``on_train_batch_begin`` when a callback has batch
    hooks; the traced step leaves the model as it was, so the real step then does the same update.
    ``traces`` holds the Trace objects, each with its global ``step`` number.
    """

    def __init__(self, every: int = 1) -> None:
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= sys.maxsize:
            raise ValueError(
                f"TraceCallback expects every >= 1 (an integer), got {shown(every, 20)}."
            )
        self.every = every
        self.traces: list[Trace] = []
        self._seen = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.traces = []
        self._seen = 0

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        if self._seen % self.every == 0 and self.model is not None:
            x, y = self.model.current_batch
            weights = getattr(self.model, "current_sample_weight", None)
            # its step is the optimizer's count of updates so far, so a second fit goes on counting
            self.traces.append(_trace_prepared(self.model, x, y, False, weights))
        self._seen += 1
