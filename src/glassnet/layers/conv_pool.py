"""A Conv2D with ReLU straight into a MaxPooling2D, run as one fused step in training (issue 20).

The readable path, the two layers alone (shapes for 28x28x1 images, 8 filters, pool 2)::

    z = windows(a_prev) @ K + b        (n, 26, 26, 8)      a = relu(z)
    pooled = max over each 2x2 window of a                  (n, 13, 13, 8)
    backward: each window's delta to its first maximum, then times relu'(z)

The fused step (``Sequential.forward(x, training=True)`` takes it for every such pair, through
``training_steps``) computes the same numbers with less copying:

1. The windows are copied grouped by pooling offset (``copy_pooled_windows``): the products of
   the four positions of every 2x2 pooling window land in four contiguous blocks, so the max of
   each window is three ``np.maximum`` calls on long rows instead of on strided slices, and the
   positions no pooling window reads (the odd last row of 11 pooled by 2) are never computed.
2. ReLU after the pooling, on the 4x smaller array: relu(max(z)) == max(relu(z)), bit for bit
   (relu is non-decreasing, and np.maximum(m, 0.0) gives +0.0 for every m <= 0, as relu gives
   for each z <= 0). relu'(z) is 0 wherever the window's maximum is <= 0, so masking the pooled
   delta by (pooled > 0) before routing it gives the dC/dz of routing first and masking after.
   Ties go to the first maximum, row by row, as MaxPooling2D's rule.
3. dC/dK = grouped windows.T @ dC/dz; dC/db = the sum of the masked pooled deltas (dC/dz is 0
   but at each window's winner, where it is that delta), on a quarter of the rows; dC/da_prev
   by one product with the kernel spread over (shift, place) blocks (``input_gradient``): the
   same terms as the readable sums, added in another order (equal to ~1e-6 in float32, not bit
   for bit).

The bias is added to every z before the max, not after it as benchmarks/hand_cnn.py does:
max(z) + b is the same number (rounding is monotonic), but rounding z + b can make two
different z tie, and the readable rule then routes the delta to the first of them. Routing
exactly on the bias-free z would need z + b again in the backward: as many adds as the
forward saves (the adds are ~2% of a step).

Afterwards the layers show what the readable path shows: ``z``, ``a``, ``delta`` of both layers,
the pool's ``padded`` input and the convolution's ``columns`` are made only when first read,
by the readable formulas, from what the step kept (its input, the weights it used, the pool's
incoming delta). So a trace or a lesson reads the readable path's numbers, and training pays
for none of them. Called alone, each layer runs its readable path.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

import numpy as np

from glassnet._validation import finite
from glassnet.activations import ReLU
from glassnet.layers.convolution import Conv2D, pad_images
from glassnet.layers.core import Array, Layer
from glassnet.layers.pooling import MaxPooling2D
from glassnet.layers.windows import (
    FEW_CHANNELS,
    add_bias,
    copy_pooled_windows,
    copy_pooled_windows_transposed,
)


def fusable(conv: Layer, pool: Layer) -> bool:
    """True for a built Conv2D with ReLU followed by a built MaxPooling2D whose windows tile
    (strides = pool size, "valid" padding): the pair ``ConvPool`` runs fused."""
    return (
        type(conv) is Conv2D
        and type(pool) is MaxPooling2D
        and type(conv.activation) is ReLU
        and conv.built
        and pool.built
        and pool.padding == "valid"
        and pool.strides == pool.pool_size
    )


def training_steps(layers: list[Layer]) -> list[Any]:
    """``layers`` with each fusable (Conv2D, MaxPooling2D) pair replaced by its ``ConvPool``
    step; ``layers`` itself when there is none (a network without pooling pays one scan)."""
    if MaxPooling2D not in map(type, layers):
        return layers
    steps: list[Any] = []
    for layer in layers:  # (a pair ends with its pool: only a pool's pair is asked about)
        if type(layer) is MaxPooling2D and steps and fusable(steps[-1], layer):
            step = layer.__dict__.get("_step")
            if step is None or step.conv is not steps[-1]:
                step = layer.__dict__["_step"] = ConvPool(steps[-1], layer)
            steps[-1] = step
        else:
            steps.append(layer)
    return steps


class ConvPool:
    """One training step's fused forward and backward through ``conv`` then ``pool``, and what
    it kept for the two layers' lazily made attributes (``materialize``)."""

    #: what each layer makes only when it is read, after a fused step
    LAZY = MappingProxyType(
        {
            "Conv2D": frozenset({"z", "a", "delta", "columns"}),
            "MaxPooling2D": frozenset({"delta", "padded"}),
        }
    )
    #: what a forward drops from each layer: the lazy attributes, the input gradient
    STALE = MappingProxyType({kind: names | {"input_gradient"} for kind, names in LAZY.items()})

    def __init__(self, conv: Conv2D, pool: MaxPooling2D) -> None:
        self.conv, self.pool = conv, pool
        self.pending = False  # a forward done whose backward has not run yet
        self.dz: Array = np.empty(0)  # what pool_backward handed to conv.backward
        self.grad: Array | None = None
        self.dz_finite = True  # every number of dz is finite (pool_backward knows)
        self.bias_gradient: Array | None = None  # dC/db, when pool_backward summed it

    # -- forward ---------------------------------------------------------------------------
    def forward(self, x: Array, training: bool = True) -> Array:
        """pooled = relu(max over each window of z), z = windows @ K + b, the windows grouped by
        pooling offset. (batch, h, w, c) -> (batch, pooled_h, pooled_w, filters)."""
        conv, pool = self.conv, self.pool
        conv._check_input(x)
        conv._check_windows(x)
        (kh, kw), (ph, pw) = conv.kernel_size, pool.pool_size
        n, filters, offsets = len(x), conv.filters, ph * pw
        padded = pad_images(x, conv.pads)
        channels, windows = x.shape[-1], (conv.kernel_size, conv.strides, pool.pool_size)
        if channels < FEW_CHANNELS:  # the window matrix's transpose, copied in a few blocks
            shape = (kh, kw, channels, ph, pw, n, pool.out_h, pool.out_w)
            by_offset = conv._scratch("pooled_columns_t", shape, x.dtype)
            copy_pooled_windows_transposed(padded, *windows, by_offset)
            columns = by_offset.reshape(kh * kw * channels, -1).T  # (rows, kh*kw*c), a view
        else:
            shape = (ph, pw, n, pool.out_h, pool.out_w, kh, kw, channels)
            grouped = conv._scratch("pooled_columns", shape, x.dtype)
            copy_pooled_windows(padded, *windows, grouped)
            columns = grouped.reshape(-1, kh * kw * channels)  # (rows, kh*kw*c)
        dtype = x.dtype if x.dtype == conv.kernel.dtype else np.result_type(x, conv.kernel)
        rows = conv._scratch("pooled_z", (len(columns), filters), dtype)  # backward: dC/dz here
        np.matmul(columns, conv.kernel.reshape(-1, filters), out=rows)  # (rows, filters)
        if conv.use_bias:
            repeat = pool.out_h * pool.out_w  # z += b, b tiled once per pooled image
            tiled = conv._scratch("pooled_bias", (repeat, filters), conv.bias.dtype)
            add_bias(rows, conv.bias, repeat, tiled)
        z = rows.reshape(offsets, n, -1)  # (offset, n, pooled_h*pooled_w*filters): z[k] one run
        # the running max over the offsets, row by row as MaxPooling2D.forward, then relu on
        # it, all in the (new) output array
        top = np.empty(z[0].shape, z.dtype)
        if offsets > 1:
            np.maximum(z[0], z[1], out=top)
        else:
            np.copyto(top, z[0])
        for k in range(2, offsets):
            np.maximum(top, z[k], out=top)
        np.maximum(top, 0.0, out=top)  # relu after the pooling
        pooled = top.reshape(n, pool.out_h, pool.out_w, filters)
        # what the lazy attributes and the backward need
        self.x, self.columns, self.z, self.pooled = x, columns, z, pooled
        self.kernel = conv.kernel.copy()  # the weights z was made with (the update comes next)
        self.bias = conv.bias.copy() if conv.use_bias else None
        self.pending, self.dz, self.grad = True, np.empty(0), None
        for layer in (conv, pool):  # the last step's numbers, where a reader made them
            kept = layer.__dict__
            if not kept.keys().isdisjoint(self.STALE[layer.kind]):
                for name in self.STALE[layer.kind]:
                    kept.pop(name, None)
            layer._fused = self
        conv.a_prev_shape, conv.padded_shape = x.shape, padded.shape
        pool.a_prev_shape = (n, conv.out_h, conv.out_w, filters)
        pool.a = pooled
        return pooled

    def forward_in_step(self, x: Array) -> Array:
        """``forward`` in the model's training step (glassnet/_step_plan.py)."""
        return self.forward(x)

    # -- backward --------------------------------------------------------------------------
    def pool_backward(self, grad: Array) -> Array:
        """dC/dz grouped as z (offset, n, pooled_h*pooled_w*filters): the pooled delta times
        relu'(pooled), routed to each window's first maximum of z. What the model then hands to
        ``conv.backward``, which knows it (``conv_backward``)."""
        self.pending = False
        self.pool.__dict__.pop("delta", None)
        self.grad = grad  # the pool's incoming dC/da, for its lazily made delta
        conv, z, pooled = self.conv, self.z, self.pooled
        offsets, n, size = z.shape
        # relu'(pooled), and the delta times it, in pooled's shape: ``grad`` (the next conv's
        # input gradient, cropped) may be a view, read where it is rather than copied first
        hit = conv._scratch("pooled_hit", pooled.shape, bool)
        np.greater(pooled, 0, out=hit)
        left = conv._scratch("pooled_left", pooled.shape, np.result_type(grad, hit))
        np.multiply(grad, hit, out=left)
        # dC/db = the sum of dC/dz, whose only non-zeros are these deltas, one per window: summed
        # here, on a quarter of the rows. b . b is finite only if every term of b is, which is
        # only if every delta is, so it also tells that the deltas are (an overflow: the exact
        # check decides)
        self.bias_gradient = None
        if conv.use_bias:
            ones = conv._scratch("pooled_ones", (left.size // conv.filters,), left.dtype, fill=1.0)
            self.bias_gradient = ones @ left.reshape(-1, conv.filters)
        bias = self.bias_gradient
        fine = bias is not None and math.isfinite(bias.dot(bias))
        top, hit, left = pooled.reshape(n, size), hit.reshape(n, size), left.reshape(n, size)
        # dC/dz is written over z, block by block, each block once it has been compared
        dz = z if left.dtype == z.dtype else np.empty(z.shape, left.dtype)
        self.dz_finite = fine or finite(left)  # dz is finite exactly when the deltas are
        if self.dz_finite:
            # each window's delta goes to the first offset equal to its max and is then spent
            # (left - left * 1 is exactly 0); the last offset gets what is left, which is the
            # whole delta exactly when no offset before it won, so it is the max. A window whose
            # max is <= 0 (pooled 0) or NaN has 0 left (relu' is 0 there): wherever it goes, 0.
            # What is left is kept in the last offset's block from the first subtraction on (z
            # there is never compared), so no copy at the end.
            rest = dz[offsets - 1]
            if offsets == 1:
                np.copyto(rest, left)
            for k in range(offsets - 1):
                np.equal(z[k], top, out=hit)
                np.multiply(rest if k else left, hit, out=dz[k])
                np.subtract(rest if k else left, dz[k], out=rest)
        else:  # inf * 0 is NaN: the first winner takes it, the others get exact zeros
            # (the winner by the readable rule, relu(z) == pooled: in a window whose max is
            # <= 0 that is its first position, where relu' then turns inf into NaN; a window
            # whose max is NaN has none, so dC/db is summed from dz, as the readable sum)
            self.bias_gradient = None
            taken = np.zeros((n, size), dtype=bool)
            for k in range(offsets):
                np.equal(np.maximum(z[k], 0.0), top, out=hit)
                hit &= ~taken
                taken |= hit
                dz[k] = np.where(hit, left, 0.0)
        self.dz = dz
        return dz

    def conv_backward(self, need_input_gradient: bool) -> Array | None:
        """dC/dK, dC/db from the grouped windows and dC/dz; dC/da_prev when needed
        (``input_gradient``)."""
        conv, dz = self.conv, self.dz
        conv.__dict__.pop("delta", None)
        flat = dz.reshape(-1, conv.filters)  # the rows of ``columns``
        np.matmul(self.columns.T, flat, out=conv.kernel_gradient.reshape(-1, conv.filters))
        if conv.kernel_regularizer is not None:
            conv.kernel_gradient += conv.kernel_regularizer.gradient(conv.kernel)
        if self.bias_gradient is not None:  # summed from the pooled deltas (pool_backward)
            conv.bias_gradient[...] = self.bias_gradient
        elif conv.use_bias:
            ones = conv._scratch("ones", (len(flat),), flat.dtype, fill=1.0)
            np.matmul(ones, flat, out=conv.bias_gradient)
        if not need_input_gradient:
            return None
        return self.input_gradient()

    def input_gradient(self) -> Array:
        """dC/da_prev (batch, h, w, c) from the grouped dC/dz: one product, a few shifted adds.

        A window's input row is Y = (y*ph + i)*s + a = (y + sy)*step + ty with step = ph*s and
        i*s + a = sy*step + ty (0 <= ty < step): pooled position y, shifted by sy, at place ty of
        a step x step block of the padded input. So block (y + sy, x + sx) receives, at (ty, tx,
        c), the sum over (i, j, f) of dz[i, j, n, y, x, f] * K[a, b, c, f] with a = sy*step + ty
        - i*s (nothing where a is not a kernel row). ``spread`` holds those K entries, 0
        elsewhere: (ph*pw*f, sy*sx*step_h*step_w*c). dz by pooled position @ spread gives every
        block's share in one product; each (sy, sx) is then one add into the blocks, whose inner
        run is a whole block (step_h*step_w*c numbers), and one copy puts the blocks back in
        rows. The readable code's terms (``Conv2D._input_gradient``), added in another order."""
        conv, pool, dz = self.conv, self.pool, self.dz
        if not self.dz_finite:  # inf times the spread's zeros would be NaN outside every window:
            return conv._input_gradient(conv.delta)  # the readable sums keep inf an inf
        offsets, n = dz.shape[:2]
        pooled_h, pooled_w, filters = pool.out_h, pool.out_w, conv.filters
        index, (shift_h, shift_w), (step_h, step_w) = self.spread_index()
        kernel = conv._scratch("kernel_and_0", (conv.kernel.size + 1,), conv.kernel.dtype, 0)
        kernel[:-1] = conv.kernel.reshape(-1)  # K.ravel(), then the 0 the index reads outside K
        # the work arrays are kept across steps (conv._scratch), as the hand-written loop's:
        # new ones of this size (about a megabyte at batch 128) cost page faults at each step
        spread = conv._scratch("spread", index.shape, kernel.dtype)
        np.take(kernel, index, out=spread, mode="clip")  # (every index is inside: clip, which
        # writes straight into out=, changes nothing)
        # dz by pooled position: (n*pooled_h*pooled_w, offsets*filters)
        by_position = dz.reshape(offsets, n, pooled_h * pooled_w, filters).transpose(1, 2, 0, 3)
        rows = conv._scratch("dz_rows", by_position.shape, dz.dtype)
        np.copyto(rows, by_position)
        rows = rows.reshape(n * pooled_h * pooled_w, -1)
        dtype = dz.dtype if dz.dtype == kernel.dtype else np.result_type(dz, kernel)
        shares = conv._scratch("shares", (len(rows), spread.shape[1]), dtype)
        np.matmul(rows, spread, out=shares)  # (rows, shift_h*shift_w*step_h*step_w*c)
        channels = conv.kernel.shape[2]
        block = step_h * step_w * channels
        shares = shares.reshape(n, pooled_h, pooled_w, shift_h, shift_w, block)
        _, height, width, _ = conv.a_prev_shape
        _, padded_h, padded_w, _ = conv.padded_shape
        blocks_h = max(-(-padded_h // step_h), pooled_h + shift_h - 1)
        blocks_w = max(-(-padded_w // step_w), pooled_w + shift_w - 1)
        blocks = conv._scratch("blocks", (n, blocks_h, blocks_w, block), dtype)
        blocks[...] = 0.0
        for sy in range(shift_h):
            for sx in range(shift_w):
                blocks[:, sy : sy + pooled_h, sx : sx + pooled_w] += shares[:, :, :, sy, sx]
        grad = np.empty((n, blocks_h * step_h, blocks_w * step_w, channels), shares.dtype)
        by_block = blocks.reshape(n, blocks_h, blocks_w, step_h, step_w, channels)
        np.copyto(
            grad.reshape(n, blocks_h, step_h, blocks_w, step_w, channels),
            by_block.transpose(0, 1, 3, 2, 4, 5),
        )
        top, _, left, _ = conv.pads
        conv.input_gradient = grad[:, top : top + height, left : left + width, :]
        return conv.input_gradient  # kept (a view) for the trace: dC/da_prev

    def spread_index(self) -> tuple[Array, tuple[int, int], tuple[int, int]]:
        """Where each entry of ``spread`` comes from in K.ravel() (K.size: the appended 0),
        with the number of shifts (sy, sx) and the block size (step_h, step_w); made once."""
        conv, pool = self.conv, self.pool
        key = (conv.kernel.shape, conv.strides, pool.pool_size)
        if getattr(self, "_spread_key", None) == key:
            return self._spread
        (kh, kw, channels, filters), (s_h, s_w), (ph, pw) = key
        step_h, step_w = ph * s_h, pw * s_w
        shift_h = ((ph - 1) * s_h + kh - 1) // step_h + 1
        shift_w = ((pw - 1) * s_w + kw - 1) // step_w + 1
        sizes = (ph, pw, filters, shift_h, shift_w, step_h, step_w, channels)
        i, j, f, sy, sx, ty, tx, c = np.ix_(*(np.arange(size) for size in sizes))
        a, b = sy * step_h + ty - i * s_h, sx * step_w + tx - j * s_w
        inside = (a >= 0) & (a < kh) & (b >= 0) & (b < kw)
        size = kh * kw * channels * filters  # the index of the appended 0
        index = np.where(inside, ((a * kw + b) * channels + c) * filters + f, size)
        self._spread_key = key
        self._spread = (index.reshape(ph * pw * filters, -1), (shift_h, shift_w), (step_h, step_w))
        return self._spread

    # -- what the layers show --------------------------------------------------------------
    def materialize(self, layer: Layer, name: str) -> Any:
        """The readable path's ``name`` of ``layer`` for this step, made now (set on the layer
        by the caller)."""
        conv, pool = self.conv, self.pool
        if conv.__dict__.get("_fused") is not self or pool.__dict__.get("_fused") is not self:
            # one of the two ran on its own since: this step's numbers are no longer theirs
            raise AttributeError(f"'{type(layer).__name__}' object has no attribute '{name}'")
        if layer is conv and name in ("z", "columns"):
            columns, z = conv._windows_and_z(self.x, self.kernel, self.bias)
            conv.columns, conv.z = columns, z
            return getattr(conv, name)
        if layer is conv and name == "a":
            return conv.activation(conv.z)
        if layer is pool and name == "padded":
            return pad_images(conv.a, pool.pads, value=-np.inf)
        if self.grad is None:  # the deltas exist once the step's backward has run
            raise AttributeError(f"'{type(layer).__name__}' object has no attribute '{name}'")
        if layer is pool:  # name == "delta": the readable routing of the pool's delta
            return pool._route(self.grad)
        return conv.activation.backward(conv.z, conv.a, pool.delta)  # the conv's delta
