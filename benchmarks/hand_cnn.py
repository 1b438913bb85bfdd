"""A careful hand-written NumPy CNN, the limit glassnet's Conv2D and MaxPooling2D are held to.

The network of the speed issue, channels last::

    (n, 28, 28, 1) -> Conv2D 8 3x3 relu -> MaxPool 2 -> Conv2D 16 3x3 relu -> MaxPool 2
                   -> Flatten (n, 400) -> Dense 10 softmax; sparse categorical cross-entropy, SGD

Where a NumPy CNN spends its time is copying (windows, pooling, the input gradient's adds), and
the cost of a copy is the count of its inner runs, not its bytes: an 8-float run costs about as
much as a 200-float one. So every layout here is chosen to make runs long:

- **Pool-major rows.** Each convolution's output positions are ordered (a, b, n, py, px), with
  y = 2 py + a, x = 2 px + b ((a, b) the place inside the 2x2 pooling window): the output is 4
  contiguous blocks, the pooling is 3 ``np.maximum`` calls on them, its backward (the first
  maximum, row by row, takes the gradient, as glassnet and PyTorch break ties) 9 contiguous ufunc
  calls, and each kernel gradient one product over all 4 blocks. The second convolution computes
  only the 10x10 of its 11x11 positions the pooling keeps.
- **Bias and ReLU after the pooling.** max(z + b) = max(z) + b and relu(max(z)) = max(relu(z)),
  so both run on a quarter of the values, the bias tiled once per step so that the add's inner
  run is a whole image. (Rounding is monotonic, so the values are the same; the gradient can
  differ only where rounding z + b makes two different z tie, which glassnet gives the first.)
- **The first convolution from parity planes.** x is split once into its 4 (row, column) parity
  planes on a flat 14x14 grid per image (13x13 pooled positions plus a column and a row of
  garbage that nothing reads back), so each of its 36 (kernel offset, pool block) rows of the
  window matrix is one contiguous slice of a plane: 36 long copies instead of one copy with an
  inner run of 3 floats. Its product is ``cols.T @ K``: (4N, 9) @ (9, 8).
- **The second convolution's input gradient as one product.** ``dz (R, 4*16) @ P (64, 128)``,
  P the kernel rearranged by the parity of the target position (zero where no kernel offset
  lands), then 4 shifted adds (one per (row, column) shift) into the gradient's space-to-depth
  form (each 2x2 block of positions contiguous: 32-float runs on both sides) and one reordering
  copy, in place of 9 products and 36 strided adds.
- Buffers per batch shape, ``out=`` everywhere, the bias gradients as products with ones, the
  learning rate folded into the output delta.

Proved equal to glassnet's ``fit`` in ``tests/test_hand_loops.py``; per-phase times and what
each trick gave are in the speed issue's notes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from benchmarks.hand import Array, hand_epoch, softmax_cross_entropy

KERNEL = 3
POOL = 2


def _route(z: Array, peak: Array, grad: Array, out: Array, hit: Array) -> None:
    """Max pooling's backward on pool-major blocks: ``out[k]`` = ``grad`` where ``z[k]`` is
    the window's maximum ``peak`` and no earlier block ``k`` was (ties to the first, in row
    order), else 0. ``z``, ``out``: (4, *peak.shape). ``grad * hit`` is ``grad`` or 0 exactly,
    so what is left after each block is an exact subtraction, and the last block takes the
    rest."""
    rest = out[3]
    np.equal(z[0], peak, out=hit)
    np.multiply(grad, hit, out=out[0])
    np.subtract(grad, out[0], out=rest)
    for k in (1, 2):
        np.equal(z[k], peak, out=hit)
        np.multiply(rest, hit, out=out[k])
        rest -= out[k]


def _pool(z: Array, out: Array) -> Array:
    """out = the max over the 4 pool-major blocks of z (4, *out.shape)."""
    np.maximum(z[0], z[1], out=out)
    np.maximum(out, z[2], out=out)
    np.maximum(out, z[3], out=out)
    return out


def _parity_kernel_index(f1: int, f2: int) -> Array:
    """Where each entry of P (the second convolution's input-gradient kernel) comes from:
    P[(a, b, f), (sy, sx, ty, tx, c)] = K2[i, j, c, f] with i = 2 sy + ty - a,
    j = 2 sx + tx - b: the input position 2 (py + sy) + ty gets, from the output position
    (py, a), the kernel offset i. Outside the kernel: index K*K*f1*f2, a zero."""
    a, b, f, sy, sx, ty, tx, c = np.ix_(*(np.arange(s) for s in (2, 2, f2, 2, 2, 2, 2, f1)))
    i, j = 2 * sy + ty - a, 2 * sx + tx - b
    inside = (i >= 0) & (i < KERNEL) & (j >= 0) & (j < KERNEL)
    flat = np.where(inside, ((i * KERNEL + j) * f1 + c) * f2 + f, KERNEL * KERNEL * f1 * f2)
    return flat.reshape(4 * f2, 16 * f1)


class _Buffers:
    """Every array and strided view one step at batch ``n`` needs, allocated once."""

    def __init__(self, n: int, side: int, f1: int, f2: int, units: int, dtype: Any) -> None:
        grid = side // POOL  # 14: the 13 pooled positions per side, and one of garbage
        q2 = (grid - 1 - KERNEL + 1) // POOL  # 5: the second pooling's output side
        self.grid, self.q2 = grid, q2
        self.positions = per_block = n * grid * grid  # N: rows per pool block, first conv
        self.rows2 = n * q2 * q2  # R: rows per pool block, second conv
        self.x = np.empty((n, side, side), dtype)
        self.labels = np.empty(n, np.int64)
        self.rows = np.arange(n)
        self.row = np.empty((n, 1), dtype)
        self.picked = np.empty(n, dtype)
        # planes[2 pa + pb, (n, u, v)] = x[n, 2u + pa, 2v + pb]; grid + 1 zeros after each,
        # which the shifted slices of the last image's garbage row read
        self.pad = pad = grid + 1
        self.planes = np.zeros((4, per_block + pad), dtype)
        s = self.x.strides
        self.x_planes = as_strided(
            self.x, (2, 2, n, grid, grid), (s[1], s[2], s[0], 2 * s[1], 2 * s[2])
        )
        self.plane_view = self.planes[:, :per_block].reshape(2, 2, n, grid, grid)
        # cols1[i, j, a, b] = x[n, 2u + a + i, 2v + b + j]: plane (r % 2, t % 2) shifted by
        # r // 2 rows and t // 2 columns (r = a + i, t = b + j), a contiguous slice
        self.cols1 = np.empty((KERNEL, KERNEL, 2, 2, per_block), dtype)
        self.starts = [
            (2 * (r % 2) + t % 2) * (per_block + pad) + (r // 2) * grid + t // 2
            for i in range(KERNEL)
            for j in range(KERNEL)
            for a in range(2)
            for b in range(2)
            for r, t in [(a + i, b + j)]
        ]
        self.z1 = np.empty((4, per_block, f1), dtype)
        self.peak1 = np.empty((per_block, f1), dtype)
        self.p1 = np.empty((n, grid, grid, f1), dtype)
        # ReLU as max(p, zeros): NumPy's SIMD loop for two arrays (max(p, 0.0) broadcasts the
        # scalar through a slower loop: (64, 13, 13, 8) float32 39 against 6 us)
        self.zeros1 = np.zeros((n, grid, grid, f1), dtype)
        self.bias1 = np.empty((grid * grid, f1), dtype)
        s = self.p1.strides  # cols2[a, b, n, py, px] = the window at (2 py + a, 2 px + b)
        self.p1_windows = as_strided(
            self.p1,
            (2, 2, n, q2, q2, KERNEL, KERNEL, f1),
            (s[1], s[2], s[0], 2 * s[1], 2 * s[2], s[1], s[2], s[3]),
        )
        self.cols2 = np.empty((2, 2, n, q2, q2, KERNEL, KERNEL, f1), dtype)
        self.z2 = np.empty((4, self.rows2, f2), dtype)
        self.peak2 = np.empty((self.rows2, f2), dtype)
        self.flat = np.empty((n, q2 * q2 * f2), dtype)
        self.zeros2 = np.zeros((n, q2 * q2 * f2), dtype)
        self.bias2 = np.empty((q2 * q2, f2), dtype)
        self.out = np.empty((n, units), dtype)
        self.dflat = np.empty((n, q2 * q2 * f2), dtype)
        self.hit2 = np.empty((n, q2 * q2 * f2), bool)
        self.dz2 = np.empty((4, self.rows2, f2), dtype)
        self.dz2_rows = np.empty((self.rows2, 4, f2), dtype)  # (n, py, px) rows, (a, b, f)
        self.dx2 = np.empty((n, q2, q2, 2, 2, 2, 2, f1), dtype)  # (.., sy, sx, ty, tx, c)
        self.dp1 = np.empty((n, grid, grid, f1), dtype)
        self.dp1_blocks = np.empty((n, grid // 2, grid // 2, 2, 2, f1), dtype)
        self.hit1 = np.empty((per_block, f1), bool)
        self.dz1 = np.empty((4, per_block, f1), dtype)
        self.ones1 = np.ones(per_block, dtype)
        self.ones2 = np.ones(self.rows2, dtype)


class HandCNN:
    """``weights``: glassnet's ``get_weights()`` for the network above, copied: K1 (3, 3, 1, 8),
    b1, K2 (3, 3, 8, 16), b2, W (400, 10), b. Square images of a side divisible by 4 (28)."""

    def __init__(
        self, weights: list[Array], learning_rate: float, rng: np.random.Generator
    ) -> None:
        self.params = [np.array(w, copy=True) for w in weights]
        self.grads = [np.empty_like(w) for w in self.params]
        self.rate = learning_rate
        self.rng = rng
        self.dtype = self.params[0].dtype
        self.buffers: dict[tuple[int, ...], _Buffers] = {}
        f1, f2 = self.params[0].shape[3], self.params[2].shape[3]
        self.parity_index = _parity_kernel_index(f1, f2)
        self.kernel2 = np.zeros(self.params[2].size + 1, self.dtype)  # K2 flat, then a 0
        self.parity_kernel = np.empty(self.parity_index.shape, self.dtype)

    def _buffers(self, shape: tuple[int, ...]) -> _Buffers:
        found = self.buffers.get(shape)
        if found is None:
            n, h, w, c = shape
            if h != w or h % 4 or c != 1:
                raise ValueError(
                    "HandCNN expects square 1-channel images of a side divisible by 4 (its "
                    f"pool-major layout), as (n, 28, 28, 1); got a batch of shape {shape}"
                )
            k1, k2, dense = self.params[0], self.params[2], self.params[4]
            f1, f2, units = k1.shape[3], k2.shape[3], dense.shape[1]
            found = self.buffers[shape] = _Buffers(n, h, f1, f2, units, self.dtype)
        return found

    def step(self, x: Array, labels: Array, index: Array | None = None) -> float:
        """One update on rows ``index`` (all when None); the batch's mean loss before it."""
        n = len(x) if index is None else len(index)
        buf = self._buffers((n, *x.shape[1:]))
        images = x.reshape(len(x), *buf.x.shape[1:])
        if index is None:
            np.copyto(buf.x, images)
            yb = labels
        else:  # into reused buffers; "clip" writes straight into out=, where take's default
            # mode="raise" copies through a buffer of its own first (the index is a permutation's)
            np.take(images, index, axis=0, out=buf.x, mode="clip")
            yb = np.take(labels, index, axis=0, out=buf.labels, mode="clip")
        k1, b1, k2, b2, w3, b3 = self.params
        g = self.grads
        f1, f2 = k1.shape[3], k2.shape[3]
        per_block, rows2 = buf.positions, buf.rows2
        # conv1: parity planes, the 36 rows of the window matrix, one product (4N, 9) @ (9, 8)
        np.copyto(buf.plane_view, buf.x_planes)
        planes = buf.planes.reshape(-1)
        for row, start in zip(buf.cols1.reshape(-1, per_block), buf.starts, strict=True):
            np.copyto(row, planes[start : start + per_block])
        cols1 = buf.cols1.reshape(KERNEL * KERNEL, -1)
        z1 = buf.z1
        np.matmul(cols1.T, k1.reshape(-1, f1), out=z1.reshape(-1, f1))
        peak1 = _pool(z1, buf.peak1)
        p1 = buf.p1  # bias and ReLU after the pool
        np.copyto(buf.bias1, b1)
        np.add(peak1.reshape(n, -1), buf.bias1.reshape(-1), out=p1.reshape(n, -1))
        np.maximum(p1, buf.zeros1, out=p1)
        # conv2 on the positions the pool keeps, pool-major: (4R, 72) @ (72, 16)
        np.copyto(buf.cols2, buf.p1_windows)
        cols2 = buf.cols2.reshape(-1, KERNEL * KERNEL * f1)
        z2 = buf.z2
        np.matmul(cols2, k2.reshape(-1, f2), out=z2.reshape(-1, f2))
        peak2 = _pool(z2, buf.peak2)
        flat = buf.flat  # (n, 400) in (y, x, channel) order, as Flatten's
        np.copyto(buf.bias2, b2)
        np.add(peak2.reshape(n, -1), buf.bias2.reshape(-1), out=flat)
        np.maximum(flat, buf.zeros2, out=flat)
        p = buf.out
        np.matmul(flat, w3, out=p)
        p += b3
        loss = softmax_cross_entropy(p, yb, buf.row, buf.picked, buf.rows)  # p: softmax, in place
        # backward: delta = (p - y) * lr / n, in place
        delta = p
        delta[buf.rows, yb] -= 1.0
        delta *= self.rate / n
        dflat = buf.dflat
        np.matmul(delta, w3.T, out=dflat)  # with W before its update
        np.matmul(flat.T, delta, out=g[4])
        np.add.reduce(delta, axis=0, out=g[5])
        np.greater(flat, 0.0, out=buf.hit2)  # the ReLU's mask, then the pool's routing
        dflat *= buf.hit2
        dp2 = dflat.reshape(-1, f2)
        np.matmul(buf.ones2, dp2, out=g[3])
        dz2 = buf.dz2
        _route(z2, peak2, dp2, dz2, buf.hit2.reshape(-1, f2))
        np.matmul(cols2.T, dz2.reshape(-1, f2), out=g[2].reshape(-1, f2))
        # conv2's input gradient: one product with the parity kernel, 4 shifted adds
        buf.dz2_rows[...] = dz2.transpose(1, 0, 2)
        self.kernel2[:-1] = k2.reshape(-1)
        np.take(self.kernel2, self.parity_index, out=self.parity_kernel, mode="clip")
        dx2 = buf.dx2
        np.matmul(buf.dz2_rows.reshape(rows2, -1), self.parity_kernel, out=dx2.reshape(rows2, -1))
        # the adds into the space-to-depth form of dp1, (n, u, w, ty, tx, c) for the position
        # (2u + ty, 2w + tx): both sides then have 32-float runs; then one reordering copy
        blocks = buf.dp1_blocks
        blocks[...] = 0.0
        q2 = buf.q2
        for sy in range(2):
            for sx in range(2):
                blocks[:, sy : sy + q2, sx : sx + q2] += dx2[:, :, :, sy, sx]
        dp1 = buf.dp1
        half = buf.grid // 2
        np.copyto(dp1.reshape(n, half, 2, half, 2, f1), blocks.transpose(0, 1, 3, 2, 4, 5))
        dp1_rows = dp1.reshape(-1, f1)
        np.greater(p1.reshape(-1, f1), 0.0, out=buf.hit1)
        dp1_rows *= buf.hit1
        np.matmul(buf.ones1, dp1_rows, out=g[1])  # garbage positions hold 0
        _route(z1, peak1, dp1_rows, buf.dz1, buf.hit1)
        np.matmul(cols1, buf.dz1.reshape(-1, f1), out=g[0].reshape(-1, f1))
        for param, grad in zip(self.params, g, strict=True):
            param -= grad
        return loss

    def epoch(self, x: Array, labels: Array, batch: int, shuffle: bool = True) -> float:
        """One epoch; returns the mean loss over the rows (as ``fit``'s history)."""
        return hand_epoch(self.step, self.rng, x, labels, batch, shuffle)

    @property
    def weights(self) -> list[Array]:
        return self.params
