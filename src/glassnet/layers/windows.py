"""The windows a convolution reads, copied into one matrix (im2col), fast; and the bias add.

``window_matrix`` is the readable form (every window of the padded images, flattened in
(i, j, c) order, one row per output position); ``copy_windows`` and ``copy_pooled_windows``
write the same numbers into a buffer kept across steps, choosing the copy whose inner loop is
longest (tests/test_conv_fast_paths.py proves them equal, bit for bit). Used by Conv2D
(convolution.py) and by the fused Conv2D -> MaxPooling2D step (conv_pool.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from glassnet.layers.core import Array

#: below this many channels, ``copy_windows`` copies one kernel offset at a time (measured: 3.5x
#: faster for 1 channel, 3x slower for 8, whose windows copy in one go)
FEW_CHANNELS = 4


def window_matrix(padded: Array, window: tuple[int, int], strides: tuple[int, int]) -> Array:
    """The readable im2col: every s-th window of ``padded`` (n, H, W, c), each flattened in
    (i, j, c) order, one row per output position: (n, out_h, out_w, kh, kw, c), a copy."""
    kh, kw = window
    s_h, s_w = strides
    out_h, out_w = (padded.shape[1] - kh) // s_h + 1, (padded.shape[2] - kw) // s_w + 1
    # (n, H', W', c, kh, kw) -> every s-th window -> (n, out_h, out_w, kh, kw, c)
    windows = sliding_window_view(padded, (kh, kw), axis=(1, 2))
    windows = windows[:, : out_h * s_h : s_h, : out_w * s_w : s_w]
    return np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3))


def copy_windows(
    padded: Array, window: tuple[int, int], strides: tuple[int, int], out: Array
) -> Array:
    """``window_matrix`` written into ``out`` (n, out_h, out_w, kh, kw, c): the same copies.

    With few channels, one strided slice per kernel offset (i, j): ``out[..., i, j, :]`` gets
    ``padded[:, i::s, j::s]``, a copy whose inner loop runs along a row; with many, the window
    view in one go (its inner loop runs along the channels)."""
    _, out_h, out_w, kh, kw, channels = out.shape
    s_h, s_w = strides
    if channels >= FEW_CHANNELS:
        windows = sliding_window_view(padded, (kh, kw), axis=(1, 2))
        windows = windows[:, : out_h * s_h : s_h, : out_w * s_w : s_w]
        np.copyto(out, windows.transpose(0, 1, 2, 4, 5, 3))
        return out
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j, :] = padded[:, i : i + out_h * s_h : s_h, j : j + out_w * s_w : s_w]
    return out


def copy_pooled_windows(
    padded: Array,
    window: tuple[int, int],
    strides: tuple[int, int],
    pool: tuple[int, int],
    out: Array,
) -> Array:
    """The windows of the output positions a ``pool`` (ph, pw) max pooling reads, written into
    ``out`` (ph, pw, n, pooled_h, pooled_w, kh, kw, c) grouped by pooling offset, the offsets
    outermost: out[i, j, :, y, x] is ``window_matrix``'s row for output position (y*ph + i,
    x*pw + j). Positions no pooling window reads (the odd last row of 11 pooled by 2) are left
    out. Each offset's block out[i, j] is then one contiguous run, so the pooling that follows
    runs on long rows."""
    ph, pw, _, pooled_h, pooled_w, kh, kw, channels = out.shape
    s_h, s_w = strides
    step_h, step_w = ph * s_h, pw * s_w  # input rows between two pooled rows
    if channels >= FEW_CHANNELS:
        # one copy of a strided view of ``padded``: out[i, j, n, y, x, a, b, c] reads
        # padded[n, (y*ph + i)*s_h + a, (x*pw + j)*s_w + b, c], every index inside ``padded``
        # (a window of an output position); the inner run is a kernel row, kw*c numbers
        r_n, r_h, r_w, r_c = padded.strides
        view = (s_h * r_h, s_w * r_w, r_n, step_h * r_h, step_w * r_w, r_h, r_w, r_c)
        np.copyto(out, strided_view(padded, out.shape, view))
        return out
    for i, j, a, b, rows, cols in _pooled_offsets(
        (kh, kw), strides, (ph, pw), (pooled_h, pooled_w)
    ):
        out[i, j, :, :, :, a, b, :] = padded[:, rows, cols]
    return out


def copy_pooled_windows_transposed(
    padded: Array,
    window: tuple[int, int],
    strides: tuple[int, int],
    pool: tuple[int, int],
    out: Array,
) -> Array:
    """``copy_pooled_windows``'s numbers, transposed, for few channels: ``out`` (kh, kw, c, ph,
    pw, n, pooled_h, pooled_w), out[a, b, c, i, j, :, y, x] == copy_pooled_windows's
    out[i, j, :, y, x, a, b, c]. Each kernel offset's copy then writes rows of pooled_w
    contiguous numbers (not numbers kh*kw*c apart), and out.reshape(kh*kw*c, -1) is the
    window matrix's transpose: its ``.T`` (a view) is the window matrix for the products.

    Entry (a, b) of pooling offset (i, j) reads the input rows from i*s_h + a on, 1 in ph*s_h
    (and the columns likewise): so entry (a, b) of offset (i, j) holds the numbers of entry
    (a + s_h, b) of offset (i - 1, j), and of (a, b + s_w) of (i, j - 1), where those exist
    (with strides 1 and pool 2, 20 of a 3x3 kernel's 36 entries). Those are copied from the
    copy already made, whose (c, n, pooled_h, pooled_w) blocks are contiguous (one run each),
    and only the rest (16 of 36) from the input (rows of pooled_w numbers read 1 in step_w):
    at most three copies per pooling offset (``_transposed_plan``)."""
    kh, kw, channels, ph, pw, n, pooled_h, pooled_w = out.shape
    s_h, s_w = strides
    step_h, step_w = ph * s_h, pw * s_w
    # reads[t, u, c, n, y, x] = padded[n, t + y*step_h, u + x*step_w, c]: every input row t
    # and column u an entry of some offset starts from, each inside ``padded``
    r_n, r_h, r_w, r_c = padded.strides
    shape = ((ph - 1) * s_h + kh, (pw - 1) * s_w + kw, channels, n, pooled_h, pooled_w)
    view = (r_h, r_w, r_c, r_n, step_h * r_h, step_w * r_w)
    reads = strided_view(padded, shape, view)
    key = (out.shape[:2], strides, pool)
    plan = _PLANS.get(key)
    if plan is None:  # made once per geometry
        plan = _PLANS[key] = _transposed_plan(*key)
    for target, from_out, source in plan:
        out[target] = out[source] if from_out else reads[source]
    return out


#: ``_transposed_plan`` per (window, strides, pool), as made
_PLANS: dict[tuple[Any, ...], tuple[tuple[tuple[Any, ...], bool, tuple[Any, ...]], ...]] = {}


def _transposed_plan(
    window: tuple[int, ...], strides: tuple[int, int], pool: tuple[int, ...]
) -> tuple[tuple[tuple[Any, ...], bool, tuple[Any, ...]], ...]:
    """``copy_pooled_windows_transposed``'s copies, (target in ``out``, whether the source is
    ``out`` or the input's ``reads``, source): per pooling offset (i, j), the kernel rows a <
    kh - s_h from offset (i - 1, j)'s rows a + s_h; of the other rows, the columns b < kw - s_w
    from offset (i, j - 1)'s columns b + s_w; the rest from the input."""
    (kh, kw), (s_h, s_w), (ph, pw) = window, strides, pool
    every = slice(None)
    plan: list[tuple[tuple[Any, ...], bool, tuple[Any, ...]]] = []
    for i in range(ph):
        for j in range(pw):
            # kernel rows the offset above has read, columns the offset left has: at most kh - 1
            # and kw - 1 (strides are >= 1), so every offset reads at least one entry anew
            rows = max(kh - s_h, 0) if i else 0
            cols = max(kw - s_w, 0) if j else 0
            if rows:
                target = (slice(0, rows), every, every, i, j)
                plan.append((target, True, (slice(s_h, kh), every, every, i - 1, j)))
            if cols:
                target = (slice(rows, kh), slice(0, cols), every, i, j)
                source = (slice(rows, kh), slice(s_w, kw), every, i, j - 1)
                plan.append((target, True, source))
            target = (slice(rows, kh), slice(cols, kw), every, i, j)
            top, left = i * s_h, j * s_w
            plan.append(
                (target, False, (slice(top + rows, top + kh), slice(left + cols, left + kw)))
            )
    return tuple(plan)


def _pooled_offsets(
    window: tuple[int, int],
    strides: tuple[int, int],
    pool: tuple[int, int],
    pooled: tuple[int, int],
) -> Iterator[tuple[int, int, int, int, slice, slice]]:
    """For each pooling offset (i, j) and kernel offset (a, b): the input rows and columns
    (strided slices of ``padded``) that the window entry (a, b) of the output positions
    (y*ph + i, x*pw + j) reads, for every pooled position (y, x)."""
    (kh, kw), (s_h, s_w), (ph, pw), (pooled_h, pooled_w) = window, strides, pool, pooled
    step_h, step_w = ph * s_h, pw * s_w  # input rows between two pooled rows
    for i in range(ph):
        for j in range(pw):
            for a in range(kh):
                for b in range(kw):
                    top, left = i * s_h + a, j * s_w + b
                    rows = slice(top, top + pooled_h * step_h, step_h)
                    cols = slice(left, left + pooled_w * step_w, step_w)
                    yield i, j, a, b, rows, cols


def add_bias(z: Array, bias: Array, repeat: int, tiled: Array | None = None) -> None:
    """z += b for z (rows, filters), rows a multiple of ``repeat``: the same additions done on
    z seen as (rows / repeat, repeat * filters) with b tiled ``repeat`` times, so that NumPy's
    inner loop runs over repeat * filters numbers instead of a few filters (3x faster for 8).
    ``tiled``: a (repeat, filters) array of bias's dtype to tile b into (kept across steps by
    the caller), else a new one."""
    rows, filters = z.shape
    by_image = z.reshape(rows // repeat, repeat * filters)  # a view (z is contiguous)
    if tiled is None:
        tiled = np.empty((repeat, filters), bias.dtype)
    np.copyto(tiled, bias)  # b in every row
    np.add(by_image, tiled.reshape(-1), out=by_image)


def strided_view(array: Array, shape: tuple[int, ...], strides: tuple[int, ...]) -> Array:
    """``as_strided(array, shape, strides, writeable=False)``: a read-only view of ``array``'s
    numbers with these strides (in bytes, from its first number). For a C-contiguous array it
    is made as ``np.ndarray`` over the array's buffer, ~6 µs faster a call (as_strided goes
    through ``__array_interface__``), and NumPy then also refuses a view reaching past the
    buffer's end. The callers' views stay inside ``array`` either way."""
    if not array.flags.c_contiguous:
        return as_strided(array, shape, strides, writeable=False)
    view = np.ndarray(shape, array.dtype, array, 0, strides)
    view.flags.writeable = False
    return view
