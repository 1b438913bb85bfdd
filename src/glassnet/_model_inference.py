"""Sequential's inference: ``predict``, ``evaluate`` and the logs of outputs against targets.

A mixin of ``glassnet.model.Sequential`` (as ``ModelStructure``, ``ModelData``...): predict runs
the forward pass chunk by chunk into one preallocated output (n, units) and names the first row
whose output overflowed; evaluate measures the loss and metrics over all of (x, y) at once, or
batch by batch through ``glassnet/_inference.py`` when callbacks want the ``on_test_*`` hooks.

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)], seed=0)
>>> model.compile("sgd", "mse")
>>> model.predict(np.zeros((5, 2))).shape
(5, 1)
>>> model.evaluate(np.zeros((5, 2)), np.zeros(5))
0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._inference import (
    batch_rows,
    check_steps,
    evaluate_batches,
    first_rows,
    keras_verbose,
    predict_batches,
)
from glassnet._keras_api import check_return_dict
from glassnet._validation import (
    callback_list,
    check_quiet_verbose,
    first_non_finite,
    float64_advice,
    positive_int,
)
from glassnet._weighted_metrics import weighted_logs
from glassnet.callbacks import Callback, Logs

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]
PREDICT_CHUNK = 4096  # rows per forward pass in predict/evaluate when no batch_size is given


class ModelInference:
    """``predict``, ``evaluate`` and their parts, for ``Sequential``."""

    def predict(
        self: Sequential,
        x: ArrayLike,
        batch_size: int | None = None,
        verbose: int | str = 0,
        steps: int | None = None,
        callbacks: Sequence[Callback] | None = None,
    ) -> Array:
        """The network's outputs aL for every row of x: (n_samples, n_in) -> (n_samples, units).
        ``verbose`` is Keras's ("auto", 0, 1 or 2, or True / False as 1 / 0); predict draws no
        progress bar. As in Keras (glassnet/_inference.py): ``steps=N`` predicts the first N
        batches of ``batch_size`` rows (without a batch_size, all rows in N batches);
        ``callbacks`` get the ``on_predict_*`` hooks, batch by batch (32 rows unless said)."""
        verbose = keras_verbose(verbose)
        check_quiet_verbose(verbose, "predict")
        steps = check_steps(steps, "predict")
        hooks = callback_list(callbacks, "predict")
        x = self._features(x)
        size = batch_rows(len(x), batch_size, steps)
        x = x[: first_rows(len(x), batch_size, steps, "predict")]
        if hooks:
            return predict_batches(self, x, size, hooks, verbose)
        return self._predict(x, batch_size)

    def _predict(self: Sequential, x: Array, batch_size: int | None = None) -> Array:
        """``predict`` on an x already checked by ``_features`` (evaluate and fit's validation
        have done that once, so the NaN/inf pass over x is not repeated here)."""
        chunk = PREDICT_CHUNK if batch_size is None else positive_int(batch_size, "batch_size")
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, once, clearly
            if len(x) <= chunk:
                outputs = self.forward(x)
            else:
                outputs = self._outputs_for(len(x))
                for start in range(0, len(x), chunk):  # filled chunk by chunk, no concatenation
                    outputs[start : start + chunk] = self.forward(x[start : start + chunk])
        self._check_outputs(outputs)
        return outputs

    def _outputs_for(self: Sequential, n: int) -> Array:
        """An empty (n, *output shape) array of the model's dtype, filled batch by batch."""
        return np.empty((n, *self._shape_after(len(self.layers))), self.dtype)

    def _check_outputs(self: Sequential, outputs: Array) -> None:
        """A FloatingPointError naming the first row whose output overflowed (inf or NaN)."""
        if (bad := first_non_finite(outputs)) is not None:
            wider = float64_advice(self.dtype, ", or use Sequential(..., dtype='float64')")
            raise FloatingPointError(
                f"The network's output overflowed {self.dtype.name} (inf or NaN), first for row "
                f"{bad[0]} of x. Scale the inputs inside the model (a first "
                f"glassnet.layers.Normalization, adapted on the training data){wider}."
            )

    def evaluate(
        self: Sequential,
        x: ArrayLike,
        y: ArrayLike,
        batch_size: int | None = None,
        verbose: int | str = 0,
        sample_weight: ArrayLike | None = None,
        steps: int | None = None,
        callbacks: Sequence[Callback] | None = None,
        return_dict: bool = False,
    ) -> float | list[float] | Logs:
        """Loss and metrics over all of (x, y), without training. The loss is over the whole set
        (a mean, or a sum for a summing loss), whatever the batch size. With ``sample_weight``
        (n,), the loss is sum_i w_i loss_i / n, as Keras's batches add up to; ``metrics`` are
        not weighted, ``weighted_metrics`` are (sum_i w_i v_i / sum_i w_i, as Keras's). The
        arguments come in Keras 3's order. As in
        Keras (glassnet/_inference.py): ``steps=N`` evaluates the first N batches of
        ``batch_size`` rows (without a batch_size, all rows in N batches); ``callbacks`` get the
        ``on_test_*`` hooks, batch by batch (32 rows unless said); ``verbose`` True / False is
        1 / 0, and no value draws a bar."""
        self._check_compiled("evaluate()")
        verbose = keras_verbose(verbose)
        check_quiet_verbose(verbose, "evaluate")  # Keras's "auto", 0, 1, 2: none draws a bar
        steps = check_steps(steps, "evaluate")
        hooks = callback_list(callbacks, "evaluate")
        check_return_dict(return_dict, "evaluate")
        x, y = self._data(x, y)
        weights = self._example_weights(y, sample_weight)  # times loss_weights in _logs
        size, rows = (
            batch_rows(len(x), batch_size, steps),
            first_rows(len(x), batch_size, steps, "evaluate"),
        )
        if rows < len(x):
            x, y, weights = x[:rows], y[:rows], None if weights is None else weights[:rows]
        if hooks:
            logs = evaluate_batches(self, x, y, size, weights, hooks, verbose)
            return _result(logs, return_dict)
        return _result(self._evaluate(x, y, batch_size, weights), return_dict)

    def _evaluate(
        self: Sequential,
        x: Array,
        y: Array,
        batch_size: int | None = None,
        sample_weight: Array | None = None,
    ) -> Logs:
        a = self._predict(x, batch_size)  # x and y prepared by the caller (_data)
        return self._logs(y, a, sample_weight)

    def _logs(self: Sequential, y: Array, a: Array, sample_weight: Array | None = None) -> Logs:
        """The loss and the metrics of outputs ``a`` for targets ``y``, ``sample_weight`` the
        examples' own weights (n,) or None (``_example_weights``): the loss weighs them times
        compile's ``loss_weights`` (unweighted rows still get those), the weighted metrics
        weigh them alone, as Keras's."""
        logs = {
            "loss": self._cost(y, a, self._scaled(sample_weight, len(y))),
            **self._metrics(y, a),
        }
        if self.weighted_metrics:
            logs.update(weighted_logs(self, y, a, sample_weight))
        return logs


def _result(logs: Logs, return_dict: bool) -> float | list[float] | Logs:
    if return_dict:
        return logs
    return logs["loss"] if len(logs) == 1 else list(logs.values())
