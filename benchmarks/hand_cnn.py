"""A careful hand-written NumPy CNN, the limit glassnet's Conv2D and MaxPooling2D are held to.

The network of the speed issue, channels last::

    (n, 28, 28, 1) -> Conv2D 8 3x3 relu -> MaxPool 2 -> Conv2D 16 3x3 relu -> MaxPool 2
                   -> Flatten (n, 400) -> Dense 10 softmax; sparse categorical cross-entropy, SGD

Its tricks: each convolution's windows copied once from a strided view into a reused contiguous
matrix (im2col) and one matrix product; the input gradient by one product per kernel offset,
added into shifted slices; max pooling by ``np.maximum`` over the window's strided slices; ReLU
applied after the pooling (they commute: relu(max(z)) = max(relu(z)), and the gradient reaches the
same input, except between exactly tied positive values); buffers per batch shape; the learning
rate folded into the output delta. Proved equal to glassnet's in ``tests/test_hand_loops.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks.hand import Array, hand_epoch

KERNEL = 3
POOL = 2


class _Buffers:
    def __init__(self, n: int, shapes: dict[str, tuple[int, ...]], dtype: Any) -> None:
        for name, shape in shapes.items():
            setattr(self, name, np.empty((n, *shape), dtype))
        self.labels = np.empty(n, np.int64)
        self.rows = np.arange(n)
        self.row = np.empty((n, 1), dtype)
        self.picked = np.empty(n, dtype)
        self.ones = np.ones(n * shapes["z1"][0] * shapes["z1"][1], dtype)
        self.ones2 = np.ones(n * shapes["z2"][0] * shapes["z2"][1], dtype)
        self.dz2[...] = 0  # the row and column pooling drops (11 -> 5) get no gradient, ever


def _im2col(x: Array, out: Array) -> Array:
    """(n, h, w, c) -> the (n, oh, ow, kh, kw, c) windows copied into ``out``; returns ``out``
    as the (n*oh*ow, kh*kw*c) matrix."""
    windows = sliding_window_view(x, (KERNEL, KERNEL), axis=(1, 2))  # (n, oh, ow, c, kh, kw)
    np.copyto(out, windows.transpose(0, 1, 2, 4, 5, 3))
    return out.reshape(-1, out.shape[3] * out.shape[4] * out.shape[5])


def _pool_forward(z: Array, out: Array) -> Array:
    """out = the max of each 2x2 window of z (the odd last row/column dropped)."""
    h, w = out.shape[1] * POOL, out.shape[2] * POOL
    np.maximum(z[:, 0:h:2, 0:w:2], z[:, 0:h:2, 1:w:2], out=out)
    np.maximum(out, z[:, 1:h:2, 0:w:2], out=out)
    np.maximum(out, z[:, 1:h:2, 1:w:2], out=out)
    return out


def _pool_backward(z: Array, pooled: Array, grad: Array, out: Array, hit: Array) -> None:
    """Route each window's gradient to its first input equal to ``pooled`` (row by row, as
    glassnet and PyTorch break ties), writing every window position of ``out``. ``grad`` is
    spent: zeroed where it has been routed."""
    h, w = pooled.shape[1] * POOL, pooled.shape[2] * POOL
    for i in range(POOL):
        for j in range(POOL):
            values = z[:, i:h:2, j:w:2]
            np.equal(values, pooled, out=hit)
            np.multiply(grad, hit, out=out[:, i:h:2, j:w:2])
            np.logical_not(hit, out=hit)
            grad *= hit  # served: a later tie gets nothing (a masked copyto is 5x slower)


class HandCNN:
    """``weights``: glassnet's ``get_weights()`` for the network above, copied: K1 (3, 3, 1, 8),
    b1, K2 (3, 3, 8, 16), b2, W (400, 10), b."""

    def __init__(
        self, weights: list[Array], learning_rate: float, rng: np.random.Generator
    ) -> None:
        self.params = [np.array(w, copy=True) for w in weights]
        self.grads = [np.empty_like(w) for w in self.params]
        self.rate = learning_rate
        self.rng = rng
        self.dtype = self.params[0].dtype
        self.buffers: dict[tuple[int, ...], _Buffers] = {}

    def _buffers(self, shape: tuple[int, ...]) -> _Buffers:
        found = self.buffers.get(shape)
        if found is not None:
            return found
        n, h, w, c = shape
        k1, k2, dense = self.params[0], self.params[2], self.params[4]
        f1, f2 = k1.shape[3], k2.shape[3]
        h1, w1 = h - KERNEL + 1, w - KERNEL + 1  # 26
        p1h, p1w = h1 // POOL, w1 // POOL  # 13
        h2, w2 = p1h - KERNEL + 1, p1w - KERNEL + 1  # 11
        p2h, p2w = h2 // POOL, w2 // POOL  # 5
        shapes = {
            "x": (h, w, c),
            "cols1": (h1, w1, KERNEL, KERNEL, c),
            "z1": (h1, w1, f1),
            "p1": (p1h, p1w, f1),
            "cols2": (h2, w2, KERNEL, KERNEL, f1),
            "z2": (h2, w2, f2),
            "p2": (p2h, p2w, f2),
            "out": (dense.shape[1],),
            "dflat": (dense.shape[0],),
            "dz2": (h2, w2, f2),
            "offset": (h2, w2, f1),
            "dp1": (p1h, p1w, f1),
            "dz1": (h1, w1, f1),
        }
        found = self.buffers[shape] = _Buffers(n, shapes, self.dtype)
        found.hit1 = np.empty((n, p1h, p1w, f1), bool)  # masks: the ReLU's, then the pool's
        found.hit2 = np.empty((n, p2h, p2w, f2), bool)
        return found

    def step(self, x: Array, labels: Array, index: Array | None = None) -> float:
        """One update on rows ``index`` (all when None); the batch's mean loss before it."""
        n = len(x) if index is None else len(index)
        buf = self._buffers((n, *x.shape[1:]))
        if index is None:
            xb, yb = x, labels
        else:
            xb = np.take(x, index, axis=0, out=buf.x)
            yb = np.take(labels, index, axis=0, out=buf.labels)
        k1, b1, k2, b2, w3, b3 = self.params
        g = self.grads
        f1, f2 = k1.shape[3], k2.shape[3]
        # forward: conv1 (one product), pool, ReLU after the pool
        cols1 = _im2col(xb, buf.cols1)  # (n*26*26, 9)
        z1 = buf.z1.reshape(-1, f1)
        np.matmul(cols1, k1.reshape(-1, f1), out=z1)
        z1 += b1
        p1 = _pool_forward(buf.z1, buf.p1)
        np.maximum(p1, 0.0, out=p1)
        cols2 = _im2col(p1, buf.cols2)  # (n*11*11, 72)
        z2 = buf.z2.reshape(-1, f2)
        np.matmul(cols2, k2.reshape(-1, f2), out=z2)
        z2 += b2
        p2 = _pool_forward(buf.z2, buf.p2)
        np.maximum(p2, 0.0, out=p2)
        flat = p2.reshape(n, -1)  # (n, 400)
        p = buf.out
        np.matmul(flat, w3, out=p)
        p += b3
        row = buf.row  # softmax in place
        np.max(p, axis=1, keepdims=True, out=row)
        p -= row
        np.exp(p, out=p)
        np.sum(p, axis=1, keepdims=True, out=row)
        p /= row
        picked = buf.picked
        np.copyto(picked, p[buf.rows, yb])
        np.clip(picked, 1e-7, 1.0 - 1e-7, out=picked)
        np.log(picked, out=picked)
        loss = -float(np.add.reduce(picked)) / n
        # backward: delta = (p - y) * lr / n, in place
        delta = p
        delta[buf.rows, yb] -= 1.0
        delta *= self.rate / n
        dflat = buf.dflat
        np.matmul(delta, w3.T, out=dflat)  # with W before its update
        np.matmul(flat.T, delta, out=g[4])
        np.add.reduce(delta, axis=0, out=g[5])
        # ReLU after pooling: the mask of the pooled output, then the pool's routing
        dp2 = dflat.reshape(p2.shape)
        np.greater(p2, 0.0, out=buf.hit2)
        dp2 *= buf.hit2
        _pool_backward(buf.z2, p2, dp2, buf.dz2, buf.hit2)
        dz2 = buf.dz2.reshape(-1, f2)
        np.matmul(cols2.T, dz2, out=g[2].reshape(-1, f2))
        np.matmul(buf.ones2, dz2, out=g[3])
        dp1 = buf.dp1  # the input gradient: one product per kernel offset, shifted adds
        dp1[...] = 0.0
        oh, ow = buf.z2.shape[1], buf.z2.shape[2]
        offset = buf.offset.reshape(-1, f1)
        for i in range(KERNEL):
            for j in range(KERNEL):
                np.matmul(dz2, k2[i, j].T, out=offset)
                dp1[:, i : i + oh, j : j + ow] += buf.offset
        np.greater(p1, 0.0, out=buf.hit1)
        dp1 *= buf.hit1
        _pool_backward(buf.z1, p1, dp1, buf.dz1, buf.hit1)
        dz1 = buf.dz1.reshape(-1, f1)
        np.matmul(cols1.T, dz1, out=g[0].reshape(-1, f1))
        np.matmul(buf.ones, dz1, out=g[1])
        for param, grad in zip(self.params, g, strict=True):
            param -= grad
        return loss

    def epoch(self, x: Array, labels: Array, batch: int, shuffle: bool = True) -> float:
        """One epoch; returns the mean loss over the rows (as ``fit``'s history)."""
        return hand_epoch(self.step, self.rng, x, labels, batch, shuffle)

    @property
    def weights(self) -> list[Array]:
        return self.params
