"""Careful hand-written NumPy training loops: the real limit for a NumPy engine.

Each loop trains the same network as a glassnet workload, with the tricks the speed issue lists:
buffers allocated once per batch shape and reused (``out=`` everywhere), the learning rate folded
into the output delta for plain SGD, the softmax and its fused gradient in place, one gather per
batch, no per-step dict or list building, and no checks inside the loop beyond the loss's
finiteness (which ``fit`` reports). ``tests/test_hand_loops.py`` proves each computes what glassnet
computes: a few steps of each, the weights compared to 1e-12 (float64) or 1e-6 (float32).

- ``HandSeed``: the seed notebook's 3-4-1 sigmoid net, no biases, C = 1/2 sum (a2 - y)^2, SGD 1;
- ``HandMLP``: Dense ReLU layers, a softmax output and sparse categorical cross-entropy, SGD;
- the CNN is ``benchmarks.hand_cnn.HandCNN``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]


def _sigmoid(z: Array, out: Array) -> Array:
    """out = 1 / (1 + exp(-z)), in four in-place ufunc calls."""
    np.negative(z, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


class HandSeed:
    """The seed toy, full batch: z1 = x W1, a1 = s(z1), z2 = a1 W2, a2 = s(z2);
    delta2 = (a2 - y) a2 (1 - a2); delta1 = delta2 W2.T * a1 (1 - a1); W -= lr * a_prev.T delta.

    ``weights`` are copied: [W1 (3, 4), W2 (4, 1)]."""

    def __init__(self, weights: list[Array], x: Array, y: Array, learning_rate: float = 1.0):
        self.w1, self.w2 = (np.array(w, copy=True) for w in weights)
        self.x, self.y = x, y
        self.xt = np.ascontiguousarray(x.T)  # (3, 4): x.T, once
        self.rate = learning_rate
        n, dtype = len(x), x.dtype
        hidden, out = self.w1.shape[1], self.w2.shape[1]
        self.a1 = np.empty((n, hidden), dtype)
        self.a2 = np.empty((n, out), dtype)
        self.d1 = np.empty((n, hidden), dtype)
        self.d2 = np.empty((n, out), dtype)
        self.tmp1 = np.empty((n, hidden), dtype)
        self.tmp2 = np.empty((n, out), dtype)
        self.g1 = np.empty_like(self.w1)
        self.g2 = np.empty_like(self.w2)

    def step(self) -> float:
        """One full-batch update; returns the loss before it."""
        a1, a2, d1, d2, t1, t2 = self.a1, self.a2, self.d1, self.d2, self.tmp1, self.tmp2
        np.matmul(self.x, self.w1, out=t1)
        _sigmoid(t1, a1)  # (4, 4)
        np.matmul(a1, self.w2, out=t2)
        _sigmoid(t2, a2)  # (4, 1)
        np.subtract(a2, self.y, out=d2)  # dC/da2 = a2 - y
        loss = 0.5 * float(np.dot(d2.ravel(), d2.ravel()))
        np.subtract(1.0, a2, out=t2)
        t2 *= a2  # f'(z2) = a2 (1 - a2)
        d2 *= t2  # delta2
        np.matmul(d2, self.w2.T, out=d1)  # dC/da1, with W2 before its update
        np.subtract(1.0, a1, out=t1)
        t1 *= a1
        d1 *= t1  # delta1
        np.matmul(a1.T, d2, out=self.g2)
        np.matmul(self.xt, d1, out=self.g1)
        if self.rate != 1.0:
            self.g1 *= self.rate
            self.g2 *= self.rate
        self.w1 -= self.g1
        self.w2 -= self.g2
        return loss

    def fit(self, steps: int) -> Array:
        """``steps`` updates; the losses, one per step (as fit's history)."""
        losses = np.empty(steps)
        for i in range(steps):
            loss = self.step()
            if not math.isfinite(loss):
                raise FloatingPointError(f"loss {loss} at step {i}")
            losses[i] = loss
        return losses

    @property
    def weights(self) -> list[Array]:
        return [self.w1, self.w2]


def softmax_cross_entropy(p: Array, labels: Array, row: Array, picked: Array, rows: Array) -> float:
    """p = softmax(p) in place (exp(z - max) / sum, ``row`` (n, 1) holding each row's max, then
    sum) and the batch's mean sparse cross-entropy, -mean(log(clip(p[i, label_i]))), with
    Keras's (and glassnet's) clip to [1e-7, 1 - 1e-7]; ``picked`` (n,) and ``rows`` =
    arange(n) are reused buffers."""
    np.max(p, axis=1, keepdims=True, out=row)
    p -= row
    np.exp(p, out=p)
    np.sum(p, axis=1, keepdims=True, out=row)
    p /= row
    np.copyto(picked, p[rows, labels])
    np.clip(picked, 1e-7, 1.0 - 1e-7, out=picked)
    np.log(picked, out=picked)
    return -float(np.add.reduce(picked)) / len(picked)


def hand_epoch(
    step: Any, rng: np.random.Generator, x: Array, labels: Array, batch: int, shuffle: bool = True
) -> float:
    """One epoch of ``step(x, labels, index)`` over batches of a permutation drawn from ``rng``
    (as ``fit`` draws it); returns the mean loss over the rows, as ``fit``'s history."""
    n = len(x)
    order = rng.permutation(n) if shuffle else np.arange(n)
    total = 0.0
    for start in range(0, n, batch):
        index = order[start : start + batch]
        loss = step(x, labels, index)
        if not math.isfinite(loss):
            raise FloatingPointError(f"loss {loss} at row {start}")
        total += loss * len(index)
    return total / n


class _MLPBuffers:
    """Every array one step at batch ``n`` needs, allocated once."""

    def __init__(self, n: int, sizes: list[int], dtype: Any) -> None:
        self.x = np.empty((n, sizes[0]), dtype)
        self.labels = np.empty(n, np.int64)
        self.rows = np.arange(n)
        self.a = [np.empty((n, k), dtype) for k in sizes[1:]]  # each layer's output
        self.grad = [np.empty((n, k), dtype) for k in sizes[1:-1]]  # dC/da of hidden layers
        self.mask = [np.empty((n, k), bool) for k in sizes[1:-1]]
        # ReLU as max(z, zeros): NumPy's SIMD loop for two arrays; max(z, 0.0) broadcasts the
        # scalar through a slower loop (float32 (128, 256): 14 against 2 us)
        self.zeros = [np.zeros((n, k), dtype) for k in sizes[1:-1]]
        self.row = np.empty((n, 1), dtype)  # softmax's row max / row sum
        self.picked = np.empty(n, dtype)  # p[label] per row, for the loss


class HandMLP:
    """Dense ReLU hidden layers, a softmax output, sparse categorical cross-entropy, plain SGD.

    ``weights``: [W1, b1, W2, b2, ...] as glassnet's ``get_weights()`` (copied). ``rng``: the
    generator whose ``permutation`` orders each epoch (as ``fit``'s ``model.rng``)."""

    def __init__(
        self, weights: list[Array], learning_rate: float, rng: np.random.Generator
    ) -> None:
        weights = [np.array(w, copy=True) for w in weights]
        self.kernels, self.biases = weights[0::2], weights[1::2]
        self.kernel_grads = [np.empty_like(w) for w in self.kernels]
        self.bias_grads = [np.empty_like(b) for b in self.biases]
        self.sizes = [self.kernels[0].shape[0], *(w.shape[1] for w in self.kernels)]
        self.dtype = self.kernels[0].dtype
        self.rate = learning_rate
        self.rng = rng
        self.buffers: dict[int, _MLPBuffers] = {}

    def _buffers(self, n: int) -> _MLPBuffers:
        found = self.buffers.get(n)
        if found is None:
            found = self.buffers[n] = _MLPBuffers(n, self.sizes, self.dtype)
        return found

    def step(self, x: Array, labels: Array, index: Array | None = None) -> float:
        """One update on rows ``index`` of (x, labels) (all of them when None); returns the
        batch's mean loss before the update."""
        n = len(x) if index is None else len(index)
        buf = self._buffers(n)
        if index is None:
            xb, yb = x, labels
        else:  # one gather per batch, into reused buffers; take's default mode="raise" would
            # copy through a buffer of its own first (NumPy's docs), "clip" writes straight
            # into out= (the index is a permutation's: clip changes nothing)
            xb = np.take(x, index, axis=0, out=buf.x, mode="clip")
            yb = np.take(labels, index, axis=0, out=buf.labels, mode="clip")
        kernels, biases, last = self.kernels, self.biases, len(self.kernels) - 1
        a = xb
        for i, (w, b, out) in enumerate(zip(kernels, biases, buf.a, strict=True)):
            np.matmul(a, w, out=out)
            out += b
            if i < last:
                np.maximum(out, buf.zeros[i], out=out)  # ReLU in place
            a = out
        p = a
        loss = softmax_cross_entropy(p, yb, buf.row, buf.picked, buf.rows)
        delta = p  # delta = (p - y) * lr / n: the learning rate folded in, in place
        delta[buf.rows, yb] -= 1.0
        delta *= self.rate / n
        for i in range(last, -1, -1):
            a_prev = xb if i == 0 else buf.a[i - 1]
            if i > 0:  # dC/da_prev with W before its update, then the ReLU's mask
                grad = buf.grad[i - 1]
                np.matmul(delta, kernels[i].T, out=grad)
                np.greater(a_prev, 0.0, out=buf.mask[i - 1])
                grad *= buf.mask[i - 1]
            np.matmul(a_prev.T, delta, out=self.kernel_grads[i])
            kernels[i] -= self.kernel_grads[i]
            np.add.reduce(delta, axis=0, out=self.bias_grads[i])
            biases[i] -= self.bias_grads[i]
            if i > 0:
                delta = grad
        return loss

    def epoch(self, x: Array, labels: Array, batch: int, shuffle: bool = True) -> float:
        """One epoch; returns the mean loss over the rows (as ``fit``'s history)."""
        return hand_epoch(self.step, self.rng, x, labels, batch, shuffle)

    @property
    def weights(self) -> list[Array]:
        return [w for pair in zip(self.kernels, self.biases, strict=True) for w in pair]
