"""``WeightRecorder``: a callback that keeps, per layer, how the weights and gradients move.

At the start of training it records every parameter (weights only: no gradient exists yet), then
at the end of every ``every``-th epoch each parameter and the gradient of the epoch's last batch:
its L2 norm ||W|| = sqrt(sum W**2) and a histogram (counts over ``bins`` equal bins between the
array's minimum and maximum). It stores no copy of the arrays, so it stays small for big layers.

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(3, "tanh"),
...                        gn.layers.Dense(1, "sigmoid")], seed=0)
>>> model.compile(gn.SGD(0.1), "binary_crossentropy")
>>> recorder = WeightRecorder()
>>> _ = model.fit(np.eye(2), np.array([0, 1]), epochs=5, verbose=0, callbacks=[recorder])
>>> recorder.epochs
[0, 1, 2, 3, 4, 5]
>>> [(r.layer, r.parameter) for r in recorder.records]
[('dense', 'kernel'), ('dense', 'bias'), ('dense_1', 'kernel'), ('dense_1', 'bias')]
>>> [r.symbol for r in recorder.records]  # the narration's names
['W1', 'b1', 'W2', 'b2']
>>> len(recorder.records[0].gradient_norms), recorder.records[0].gradient_norms[0] is None
(6, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.callbacks import Callback, Logs

Histogram = tuple[NDArray[np.int64], NDArray[np.float64]]  # (counts (bins,), edges (bins + 1,))


@dataclass
class ParameterRecord:
    """The history of one parameter array (``layer.kernel`` or ``layer.bias``).

    Entry k of each list belongs to ``WeightRecorder.epochs[k]`` (0 = before training, e = after
    epoch e). Gradient entries are None where no gradient existed yet.
    """

    layer: str
    parameter: str  # "kernel" or "bias"
    weight_norms: list[float] = field(default_factory=list)
    gradient_norms: list[float | None] = field(default_factory=list)
    weight_histograms: list[Histogram] = field(default_factory=list)
    gradient_histograms: list[Histogram | None] = field(default_factory=list)
    position: int = 0  # the layer's place in model.layers, from 1 (the narration's numbering)
    kind: str = "Dense"  # the layer's kind: a Conv2D's kernel is K, a Dense layer's W

    @property
    def symbol(self) -> str:
        """The array as the narration names it: "W1", "b1", "K1" (a Conv2D's kernel), "gamma3";
        without a position, the letter alone."""
        letters = {"kernel": "K" if self.kind == "Conv2D" else "W", "bias": "b"}
        return f"{letters.get(self.parameter, self.parameter)}{self.position or ''}"


def histogram(values: NDArray[Any], bins: int) -> Histogram:
    """Counts of ``values`` in ``bins`` equal bins from their minimum to their maximum (a single
    value gets a bin of width 1 around it)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    return counts.astype(np.int64), edges


class WeightRecorder(Callback):
    """Records per-layer weight and gradient norms and histograms during ``fit``.

    ``every``: record at the end of every ``every``-th epoch (and always the last one);
    ``bins``: histogram bins. Pass it as ``model.fit(..., callbacks=[recorder])``, then draw it
    with ``glassnet.plots.weight_histograms_figure(recorder)``.
    """

    def __init__(self, every: int = 1, bins: int = 30) -> None:
        super().__init__()
        for name, value in (("every", every), ("bins", bins)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Expected {name} to be a positive integer, got {value!r}.")
        self.every = every
        self.bins = bins
        self.epochs: list[int] = []
        self.records: list[ParameterRecord] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epochs = []
        self.records = [
            ParameterRecord(layer.name, name, position=position, kind=layer.kind)
            for position, layer in enumerate(self.model.layers, start=1)
            for name in layer.parameter_names
        ]
        self._record(0, with_gradients=False)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every == 0 or last:
            self._record(epoch + 1, with_gradients=True)

    def _record(self, epoch: int, with_gradients: bool) -> None:
        self.epochs.append(epoch)
        # the model's flat lists of parameters and gradients: the records' order, updated in place
        model = self.model
        arrays = zip(self.records, model._parameters, model._gradients, strict=True)
        for record, weights, gradient in arrays:
            record.weight_norms.append(float(np.linalg.norm(weights)))
            record.weight_histograms.append(histogram(weights, self.bins))
            if with_gradients:
                record.gradient_norms.append(float(np.linalg.norm(gradient)))
                record.gradient_histograms.append(histogram(gradient, self.bins))
            else:
                record.gradient_norms.append(None)
                record.gradient_histograms.append(None)

    def __repr__(self) -> str:
        return f"WeightRecorder(epochs={len(self.epochs)}, parameters={len(self.records)})"
