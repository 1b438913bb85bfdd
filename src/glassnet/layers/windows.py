"""The windows a convolution reads, copied into one matrix (im2col), fast; and the bias add.

``window_matrix`` is the readable form (every window of the padded images, flattened in
(i, j, c) order, one row per output position); ``copy_windows`` and ``copy_pooled_windows``
write the same numbers into a buffer kept across steps, choosing the copy whose inner loop is
longest (tests/test_conv_fast_paths.py proves them equal, bit for bit). Used by Conv2D
(convolution.py) and by the fused Conv2D -> MaxPooling2D step (conv_pool.py).
"""

from __future__ import annotations

from collections.abc import Iterator

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
    ``out`` (n, ph, pw, pooled_h, pooled_w, kh, kw, c) grouped by pooling offset: out[:, i, j,
    y, x] is ``window_matrix``'s row for output position (y*ph + i, x*pw + j). Positions no
    pooling window reads (the odd last row of 11 pooled by 2) are left out. Each offset's block
    out[:, i, j] is then contiguous, so the pooling that follows runs on long rows."""
    _, ph, pw, pooled_h, pooled_w, kh, kw, channels = out.shape
    s_h, s_w = strides
    step_h, step_w = ph * s_h, pw * s_w  # input rows between two pooled rows
    if channels >= FEW_CHANNELS:
        # one copy of a strided view of ``padded``: out[n, i, j, y, x, a, b, c] reads
        # padded[n, (y*ph + i)*s_h + a, (x*pw + j)*s_w + b, c], every index inside ``padded``
        # (a window of an output position); the inner run is a kernel row, kw*c numbers
        r_n, r_h, r_w, r_c = padded.strides
        view = (r_n, s_h * r_h, s_w * r_w, step_h * r_h, step_w * r_w, r_h, r_w, r_c)
        np.copyto(out, as_strided(padded, out.shape, view, writeable=False))
        return out
    for i, j, a, b, rows, cols in _pooled_offsets(
        (kh, kw), strides, (ph, pw), (pooled_h, pooled_w)
    ):
        out[:, i, j, :, :, a, b, :] = padded[:, rows, cols]
    return out


def copy_pooled_windows_transposed(
    padded: Array,
    window: tuple[int, int],
    strides: tuple[int, int],
    pool: tuple[int, int],
    out: Array,
) -> Array:
    """``copy_pooled_windows``'s numbers, transposed, for few channels: ``out`` (kh, kw, c, n,
    ph, pw, pooled_h, pooled_w), out[a, b, c, :, i, j, y, x] == copy_pooled_windows's
    out[:, i, j, y, x, a, b, c]. Each kernel offset's copy then writes rows of pooled_w
    contiguous numbers (not numbers kh*kw*c apart), and out.reshape(kh*kw*c, -1) is the
    window matrix's transpose: its ``.T`` (a view) is the window matrix for the products."""
    kh, kw, _, _, ph, pw, pooled_h, pooled_w = out.shape
    by_channel = padded.transpose(3, 0, 1, 2)  # (c, n, H, W)
    # Entries whose input rows and columns are the same slices hold the same numbers (with
    # strides 1 and pool 2, kernel row a of pool row 1 reads what row a + 1 of pool row 0 does:
    # 16 distinct slices of the 36 for a 3x3 kernel). Each is copied from ``padded`` once (rows
    # of pooled_w numbers, read 1 in step_w); the others from that copy, whose (pooled_h,
    # pooled_w) blocks are contiguous: inner runs of pooled_h*pooled_w numbers.
    first: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for i, j, a, b, rows, cols in _pooled_offsets(
        (kh, kw), strides, (ph, pw), (pooled_h, pooled_w)
    ):
        done = first.setdefault((rows.start, cols.start), (a, b, i, j))
        if done == (a, b, i, j):
            out[a, b, :, :, i, j] = by_channel[:, :, rows, cols]
        else:
            out[a, b, :, :, i, j] = out[done[0], done[1], :, :, done[2], done[3]]
    return out


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


def add_bias(z: Array, bias: Array, repeat: int) -> None:
    """z += b for z (rows, filters), rows a multiple of ``repeat``: the same additions done on
    z seen as (rows / repeat, repeat * filters) with b tiled ``repeat`` times, so that NumPy's
    inner loop runs over repeat * filters numbers instead of a few filters (3x faster for 8)."""
    rows, filters = z.shape
    z.reshape(rows // repeat, repeat * filters)[...] += np.tile(bias, repeat)
