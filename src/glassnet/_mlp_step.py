"""fit's MLP step written out: Dense ReLU layers, a softmax output fused with a categorical
cross-entropy, plain SGD (issue 20).

``training.run_epoch`` steps through the step plan (``glassnet/_step_plan.py``), which calls
each layer's, the loss's and the optimizer's own methods. For the network most MLPs are (and
the benchmark's 784-256-128-10), an epoch with nothing between its steps but ``fit``'s own
callbacks (``training.run_epoch``'s ``spend``) takes ``MLPStep`` instead: the same NumPy calls
in the same order on the same operands, so the same numbers to the last bit
(tests/test_mlp_speed28.py), with the decisions those methods make at every call made once per
epoch and every array written into one made once per epoch (as the hand-written loop,
``benchmarks/hand.py``)::

    a = x                                                      forward, first layer to last
    z = a @ W + b;  a = max(z, 0) in z's array                 ReLU layers
    z = a @ W + b;  z -= max(z); z = exp(z); a = z / sum(z)    the softmax, in z's array
    p = a / sum(a); C = -sum(y log clip(p)) / n                the loss (Loss's own ops)
    delta = (a sum(y') - y') / n, y' = y where the clip is inactive
        (no p at the clip, the usual case: log p itself, and y' = y; a - y for one-hot y)
    for each layer, last to first:
        g = delta @ W.T                      dC/da_prev, with W before its update
        dC/dW = a_prev.T @ delta; dC/db = sum(delta)
        dC/dW *= lr; W -= dC/dW (and b)      SGD.apply_spending's two roundings
        delta = g * (a_prev > 0)             the ReLU below: max(z, 0) > 0 just where z > 0
                                             (NaN included), so its z is not kept

Each layer is updated as soon as its products are done, while its gradient is in the cache;
the readable step updates after the whole backward, the same numbers since a layer's update
changes nothing the other layers' products read.

What the step does not do, and when it hands the step to the plan's (``regular``):
- the epoch's last step (``spend`` False), which leaves dC/dW in the gradients and the
  layers' ``a_prev``, ``z``, ``a`` and ``delta`` as the readable step does;
- a batch of another size;
- a loss that is not finite: the forward is done again by the plan's step, which leaves
  everything to look at as the readable step (the weights were not touched yet).
In between, the layers' ``a_prev``/``z``/``a``/``delta`` keep what the last regular step left
(nothing reads them between two steps of such an epoch; a ``fit`` interrupted by Ctrl-C shows
an earlier step's, and its gradients may hold lr * dC/dW, as ``apply_spending`` says).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet.activations import ReLU, Softmax
from glassnet.layers.core import Dense
from glassnet.losses import EPSILON, CategoricalCrossEntropy, SparseCategoricalCrossEntropy
from glassnet.optimizers import SGD

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]
Step = Callable[..., tuple[float, Array]]


def mlp_step(model: Sequential, regular: Step, rows: int, fresh_output: bool) -> Step | None:
    """An ``MLPStep`` for batches of ``rows`` rows when the model is one (the module docstring),
    else None: every layer a trained ``Dense`` without a kernel regularizer, the hidden ones
    ReLU, the last softmax; its kernels and biases C-contiguous arrays of one float dtype; the
    loss (Sparse)CategoricalCrossEntropy as compiled by default (no logits, no smoothing, the
    mean); plain SGD with a Python float rate. ``regular`` is the plan's step, taken for every
    other batch. ``fresh_output``: each step returns its own output array (a metric may keep
    it), else the step's buffer."""
    layers = model.layers
    loss, optimizer = model.loss, model.optimizer
    if (
        not layers
        or type(loss) not in (CategoricalCrossEntropy, SparseCategoricalCrossEntropy)
        or loss.from_logits
        or loss.label_smoothing
        or loss.reduction != "sum_over_batch_size"
        or type(optimizer) is not SGD
        or not optimizer._plain()
        or type(vars(optimizer).get("_learning_rate")) is not float
        or model._frozen_model
    ):
        return None
    dtype = None
    for index, layer in enumerate(layers):
        last = index == len(layers) - 1
        if (
            type(layer) is not Dense
            or not layer.built
            or not model._trains(layer)
            or layer.kernel_regularizer is not None
            or type(layer.activation) is not (Softmax if last else ReLU)
        ):
            return None
        for array in layer.parameters + layer.gradients:
            if (
                type(array) is not np.ndarray
                or array.dtype.kind != "f"
                or array.dtype != (dtype := dtype or array.dtype)
                or not array.flags.c_contiguous
                or not array.flags.writeable
                or array.base is not None
            ):
                return None
    # the optimizer's lists are the layers' own arrays, in order (by identity)
    for listed, own in (
        (model._parameters, [p for layer in layers for p in layer.parameters]),
        (model._gradients, [g for layer in layers for g in layer.gradients]),
    ):
        if len(listed) != len(own) or any(a is not b for a, b in zip(listed, own, strict=True)):
            return None
    return MLPStep(model, regular, rows, fresh_output, np.dtype(dtype))


class MLPStep:
    """The step of ``mlp_step``'s MLP at ``rows`` rows a batch, with its arrays made once."""

    def __init__(
        self, model: Sequential, regular: Step, rows: int, fresh_output: bool, dtype: np.dtype
    ) -> None:
        self.model, self.regular, self.rows, self.fresh = model, regular, rows, fresh_output
        self.optimizer = model.optimizer
        self.dtype = dtype
        rate = model.optimizer._learning_rate
        # SGD.apply_spending's factor (a 0-d array of the gradients' dtype); with rate 1 the
        # rule subtracts g itself (apply's 1.0 * g == g), and nothing is multiplied
        self.factor = None if rate == 1.0 else np.array(rate, dtype)
        layers = model.layers
        empty = np.empty
        #: forward: (kernel, bias or None, z's array, zeros) per hidden layer
        self.hidden = []
        #: backward, last layer to first: (kernel, bias, dC/dW, dC/db, a_prev's array or None
        #: for x, dC/da_prev's array or None, a_prev's zeros, mask)
        self.back = []
        arrays = []
        for layer in layers[:-1]:
            z = empty((rows, layer.units), dtype)
            arrays.append(z)
            bias = layer.bias if layer.use_bias else None
            self.hidden.append((layer.kernel, bias, z, np.zeros_like(z)))
        out = layers[-1]
        self.out_kernel = out.kernel
        self.out_bias = out.bias if out.use_bias else None
        units = out.units
        self.z = empty((rows, units), dtype)  # the softmax in place: a
        self.row = empty((rows, 1), dtype)  # each row's max, then sum
        self.total = empty((rows, 1), dtype)  # a's row sums, then y's kept sums
        # the clip's bounds as the loss's np.maximum / np.minimum round them to the dtype
        self.low = np.array(EPSILON, dtype)[()]
        self.high = np.array(1.0 - EPSILON, dtype)[()]
        # the sparse loss's targets are one-hot rows (its prepare_targets): each sums to 1.0
        self.one_hot = type(model.loss) is SparseCategoricalCrossEntropy
        self.p = empty((rows, units), dtype)
        self.log_p = empty((rows, units), dtype)
        self.inside = empty((rows, units), bool)
        self.kept = empty((rows, units), dtype)
        self.delta = empty((rows, units), dtype)
        for index in range(len(layers) - 1, -1, -1):
            layer = layers[index]
            below = arrays[index - 1] if index > 0 else None
            grad = empty((rows, layer.kernel.shape[0]), dtype) if index > 0 else None
            self.back.append(
                (
                    layer.kernel,
                    layer.bias if layer.use_bias else None,
                    layer.kernel_gradient,
                    layer.bias_gradient if layer.use_bias else None,
                    below,
                    grad,
                    None if below is None else self.hidden[index - 1][3],
                    None if below is None else empty(below.shape, bool),
                )
            )

    def __call__(
        self, x: Array, y: Array, sample_weight: Array | None = None, spend: bool = False
    ) -> tuple[float, Array]:
        """``StepPlan.step``'s numbers (the module docstring); ``spend`` as there."""
        if (
            not spend
            or sample_weight is not None
            or x.shape[0] != self.rows
            or x.dtype != self.dtype
            or y.dtype != self.dtype
        ):
            return self.regular(x, y, sample_weight, spend)
        matmul, multiply, add_reduce = np.matmul, np.multiply, np.add.reduce
        a = x
        for kernel, bias, z, zeros in self.hidden:
            matmul(a, kernel, out=z)
            if bias is not None:
                z += bias
            np.maximum(z, zeros, out=z)  # ReLU.quietly's max(z, 0), in place: a
            a = z
        # the softmax (Softmax.__call__'s ops), in z's array
        z, row = self.z, self.row
        matmul(a, self.out_kernel, out=z)
        if self.out_bias is not None:
            z += self.out_bias
        np.maximum.reduce(z, axis=-1, keepdims=True, out=row)
        z -= row
        np.exp(z, out=z)
        add_reduce(z, axis=-1, keepdims=True, out=row)
        z /= row
        a = z
        # CategoricalCrossEntropy.value_and_gradient, fused (the same ops); a softmax's rows
        # are probabilities, so _row_sums's check has nothing to refuse (a NaN row passes)
        n = a.shape[0]
        total, p, log_p, inside = self.total, self.p, self.log_p, self.inside
        add_reduce(a, axis=1, keepdims=True, out=total)
        np.divide(a, total, out=p)
        # no p at the clip (the usual case): clip(p) is p itself and the clip keeps every
        # target (inside is all True, y * True is y), so the same numbers in fewer passes
        clear = self.low <= np.minimum.reduce(p, None) and np.maximum.reduce(p, None) <= self.high
        if clear:
            np.log(p, out=log_p)
        else:
            np.maximum(p, EPSILON, out=log_p)
            np.minimum(log_p, 1.0 - EPSILON, out=log_p)
            np.equal(log_p, p, out=inside)
            np.log(log_p, out=log_p)
        value = float(-add_reduce(multiply(y, log_p, out=log_p), None) / n)
        loss = value + 0.0  # StepPlan's penalty: 0 + 0.0 per Dense layer
        if not math.isfinite(loss):  # the plan's step again: the readable state to look at
            return self.regular(x, y, sample_weight, spend)
        delta = self.delta
        if clear and self.one_hot:  # a * sum(y) - y with each row's sum exactly 1: a - y
            np.subtract(a, y, out=delta)
        else:
            kept = y if clear else multiply(y, inside, out=self.kept)
            add_reduce(kept, axis=1, keepdims=True, out=total)
            multiply(a, total, out=delta)
            delta -= kept
        delta /= n
        # backward, each layer updated once its products are done (SGD.apply_spending's rule)
        factor = self.factor
        self.optimizer.iterations += 1
        for kernel, bias, kernel_grad, bias_grad, below, grad, zeros, mask in self.back:
            if below is not None:
                matmul(delta, kernel.T, out=grad)  # dC/da_prev, W before its update
            matmul((x if below is None else below).T, delta, out=kernel_grad)  # dC/dW
            if bias is not None:
                add_reduce(delta, axis=0, out=bias_grad)
            if factor is not None:
                multiply(kernel_grad, factor, out=kernel_grad)
            kernel -= kernel_grad
            if bias is not None:
                if factor is not None:
                    multiply(bias_grad, factor, out=bias_grad)
                bias -= bias_grad
            if below is not None:
                np.greater(below, zeros, out=mask)  # a_prev > 0 is z > 0 (ReLU's mask)
                delta = multiply(grad, mask, out=grad)
        out = a.copy() if self.fresh else a
        return loss, out
