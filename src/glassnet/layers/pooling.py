"""Pooling: ``MaxPooling2D``, ``AveragePooling2D``, ``GlobalAveragePooling2D``. No weights.

Channels last, (batch, height, width, channels); each channel is pooled on its own. Window
``pool_size`` (ph, pw), stride ``strides`` (default: the pool size, so windows tile), padding as
``Conv2D`` (``output_size``: out = (W - F + 2P) // S + 1, "same" putting the extra row/column at
the bottom/right).

Both window poolings run as a few NumPy operations on strided slices, one per window offset
(i, j): the slice ``a_prev[:, i::s, j::s]`` holds, for every output position at once, the input
at offset (i, j) of its window.

- Max: a[n, y, x, c] = max over the window. Backward: each delta goes to its window's winner,
  the others get 0. **Ties**: the first maximum in the window, reading row by row (top-left
  first), takes the whole delta, as PyTorch's ``max_pool2d`` (which Keras's torch backend uses)
  does. "same" padding pads with -inf, so padding never wins.
- Average: a = mean over the window. Backward: each input gets delta / (window size) from every
  window it is in. With "same" padding the mean is over the window's real inputs only (the
  padding is not counted), as Keras/TensorFlow do. (Keras's torch backend differs when the
  padding is asymmetric: it replicates the edge row/column and counts it.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet._validation import finite
from glassnet.initializers import check_allocation
from glassnet.layers.convolution import (
    lazy_attribute,
    pad_images,
    padding_name,
    pair,
    window_output_shape,
)
from glassnet.layers.core import Array, Layer, Shape, as_shape, show_shape


class _Pooling2D(Layer):
    """What max and average pooling share: arguments, sizes, the slice per window offset."""

    takes_images = True

    def __init__(
        self,
        pool_size: int | tuple[int, int] = 2,
        strides: int | tuple[int, int] | None = None,
        padding: str = "valid",
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        example = f"{self.kind}(pool_size=2)"
        self.pool_size = pair(pool_size, "pool_size", self.kind, example)
        self.strides = (
            self.pool_size
            if strides is None
            else pair(strides, "strides", self.kind, f"{self.kind}(2, strides=2)")
        )
        self.padding = padding_name(padding, self.kind)

    def _geometry(self, input_shape: Shape) -> tuple[int, int, tuple[int, int, int, int]]:
        return window_output_shape(
            input_shape,
            self.pool_size,
            self.strides,
            self.padding,
            self._display_name(),
            self.kind,
        )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        out_h, out_w, _ = self._geometry(input_shape)
        return (out_h, out_w, input_shape[-1])

    def build(self, input_features: Any, dtype: Any, rng: Any) -> None:
        self.out_h, self.out_w, self.pads = self._geometry(as_shape(input_features))
        super().build(input_features, dtype, rng)
        self._check_padded(1, np.dtype(dtype).itemsize)  # a huge "same" window pads hugely

    def _check_padded(self, n: int, itemsize: int) -> None:
        """Refuse, before ``np.pad`` allocates it, a padded batch beyond the memory limit (a
        window of 10**6 with "same" padding pads a 6x6 image to about 10**6 x 10**6)."""
        top, bottom, left, right = self.pads
        height, width, channels = self.input_shape
        size = (height + top + bottom) * (width + left + right) * channels
        check_allocation(
            n * size * itemsize,
            f"Layer '{self._display_name()}' ({self.kind}) with pool_size={self.pool_size} and "
            f"padding={self.padding!r}: the padded input "
            f"{(n, height + top + bottom, width + left + right, channels)} of a batch of {n}",
        )

    def _offsets(self, padded: Array) -> Any:
        """For each window offset (i, j), row by row: the slice of ``padded`` it reads for
        every output position, and the index that writes back into it."""
        s_h, s_w = self.strides
        rows, cols = self.out_h * s_h, self.out_w * s_w
        for i in range(self.pool_size[0]):
            for j in range(self.pool_size[1]):
                where = (slice(None), slice(i, i + rows, s_h), slice(j, j + cols, s_w))
                yield padded[where], where

    def _unpad(self, grad_padded: Array) -> Array:
        top, _, left, _ = self.pads
        _, height, width, _ = self.a_prev_shape
        return grad_padded[:, top : top + height, left : left + width, :]

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        return self.backward(delta, need_input_gradient)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
        }

    def __repr__(self) -> str:
        return (
            f"{self.kind}(pool_size={self.pool_size}, strides={self.strides}, "
            f"padding={self.padding!r})"
        )


class MaxPooling2D(_Pooling2D):
    """a[n, y, x, c] = max_{i, j} a_prev[n, y*s+i, x*s+j, c]; backward routes each delta to
    its window's (first) maximum.

    >>> import numpy as np
    >>> layer = MaxPooling2D(2)
    >>> layer.build((2, 2, 1), np.float64, None)
    >>> x = np.array([1.0, 4.0, 3.0, 2.0]).reshape(1, 2, 2, 1)
    >>> layer.forward(x).ravel(), layer.backward(np.ones((1, 1, 1, 1))).ravel()
    (array([4.]), array([0., 1., 0., 0.]))
    """

    kind = "MaxPooling2D"
    base_name = "max_pooling2d"  # the default layer name, as Keras spells it

    def forward(self, x: Array, training: bool = False) -> Array:
        """a = the largest input of each window: a running np.maximum over the window's offsets.
        (batch, h, w, c) -> (batch, out_h, out_w, c)."""
        self._check_input(x)
        self._check_padded(len(x), x.itemsize)
        self.__dict__.pop("_fused", None)  # this step is the readable one (layers/conv_pool.py)
        self.a_prev_shape = x.shape
        self.padded = pad_images(x, self.pads, value=-np.inf)
        offsets = self._offsets(self.padded)
        first, _ = next(offsets)
        a = first.copy()
        for values, _ in offsets:
            np.maximum(a, values, out=a)
        self.a = a
        return a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/da_prev[window's winner] += delta; every other input of the window gets 0.

        The winner is the first input equal to the window's maximum, reading the offsets row by
        row (PyTorch's rule for ties). Non-overlapping windows (the default) take a faster path
        proved equal to the loop. After a fused forward (layers/conv_pool.py) the delta goes
        through the fused step, once."""
        fused = self.__dict__.get("_fused")
        if fused is not None and fused.pending and np.shape(grad_output) == self.a.shape:
            return fused.pool_backward(grad_output)
        return self._route(grad_output)

    def __getattr__(self, name: str) -> Any:
        return lazy_attribute(self, name)  # delta, padded after a fused step (conv_pool.py)

    def _route(self, grad_output: Array) -> Array:
        """The readable routing: dC/da_prev from the pooled delta (``self.delta``)."""
        if self._windows_apart() and np.shape(grad_output) == self.a.shape:
            return self._backward_apart(grad_output)
        return self._backward_loop(grad_output)

    def _backward_loop(self, grad_output: Array) -> Array:
        """The rule as written: each window's delta added to its first maximum; ``taken`` marks
        the windows already served."""
        grad_padded = np.zeros(self.padded.shape, dtype=grad_output.dtype)
        taken = np.zeros(self.a.shape, dtype=bool)
        for values, where in self._offsets(self.padded):
            wins = (values == self.a) & ~taken
            taken |= wins
            grad_padded[where] += np.where(wins, grad_output, 0.0)
        self.delta = self._unpad(grad_padded)  # dC/da_prev (a weightless layer's delta)
        return self.delta

    def _windows_apart(self) -> bool:
        """True when no two windows share an input (strides at least the pool size: the
        default, strides = pool_size)."""
        return all(s >= p for s, p in zip(self.strides, self.pool_size, strict=True))

    def _backward_apart(self, grad_output: Array) -> Array:
        """``backward``'s routing when windows do not overlap and every delta is finite, in
        fewer passes: each input is written at most once, so ``delta * (input is the maximum)``
        is written straight into its slice, and the window's delta is then spent (multiplied by
        0), so that a later tie gets nothing. The same numbers as the loop above (a finite delta
        times 1 or 0; tests/test_pooling.py); an inf or NaN delta, which times 0 is NaN, takes
        the loop."""
        if not finite(grad_output):
            return self._backward_loop(grad_output)
        grad_padded = np.zeros(self.padded.shape, dtype=grad_output.dtype)
        left = np.array(grad_output, copy=True)  # what the windows have not handed out yet
        hit = np.empty(self.a.shape, dtype=bool)
        for values, where in self._offsets(self.padded):
            np.equal(values, self.a, out=hit)
            np.multiply(left, hit, out=grad_padded[where])  # the delta where it won, else 0
            np.logical_not(hit, out=hit)
            left *= hit  # spent where it won
        # a negative delta times 0 is -0.0 where the loop's 0.0 + ... gives 0.0: adding 0.0
        # turns -0.0 into 0.0 and leaves every other number as it is, so the bits agree
        grad_padded += 0.0
        self.delta = self._unpad(grad_padded)
        return self.delta


class AveragePooling2D(_Pooling2D):
    """a[n, y, x, c] = mean_{i, j} a_prev[n, y*s+i, x*s+j, c]; backward shares each delta
    equally among its window's inputs.

    >>> import numpy as np
    >>> layer = AveragePooling2D(2)
    >>> layer.build((2, 2, 1), np.float64, None)
    >>> x = np.array([1.0, 4.0, 3.0, 2.0]).reshape(1, 2, 2, 1)
    >>> layer.forward(x).ravel(), layer.backward(np.ones((1, 1, 1, 1))).ravel()
    (array([2.5]), array([0.25, 0.25, 0.25, 0.25]))
    """

    kind = "AveragePooling2D"
    base_name = "average_pooling2d"  # the default layer name, as Keras spells it

    def build(self, input_features: Any, dtype: Any, rng: Any) -> None:
        super().build(input_features, dtype, rng)
        # how many real (unpadded) inputs each window holds: (1, out_h, out_w, 1)
        ones = pad_images(np.ones((1, *self.input_shape[:2], 1)), self.pads)
        counts = sum(values for values, _ in self._offsets(ones))
        self.counts = np.asarray(counts, dtype=dtype)

    def forward(self, x: Array, training: bool = False) -> Array:
        """a = (sum of the window's inputs) / (how many real inputs it holds)."""
        self._check_input(x)
        self._check_padded(len(x), x.itemsize)
        self.a_prev_shape = x.shape
        padded = pad_images(x, self.pads)
        self.padded_shape = padded.shape
        offsets = self._offsets(padded)
        first, _ = next(offsets)
        total = first.copy()
        for values, _ in offsets:
            total += values
        self.a = total / self.counts
        return self.a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/da_prev[each input of a window] += delta / (the window's count)."""
        share = grad_output / self.counts  # (n, out_h, out_w, c)
        grad_padded = np.zeros(self.padded_shape, dtype=grad_output.dtype)
        for _, where in self._offsets(grad_padded):
            grad_padded[where] += share
        self.delta = self._unpad(grad_padded)  # dC/da_prev (a weightless layer's delta)
        return self.delta


class GlobalAveragePooling2D(Layer):
    """a[n, c] = mean over every position (y, x) of a_prev[n, y, x, c]: one number a channel.
    Backward: every position gets delta[n, c] / (h * w).
    Shapes: (batch, h, w, c) -> (batch, c).

    >>> import numpy as np
    >>> layer = GlobalAveragePooling2D()
    >>> layer.build((2, 2, 1), np.float64, None)
    >>> layer.forward(np.array([1.0, 4.0, 3.0, 2.0]).reshape(1, 2, 2, 1))
    array([[2.5]])
    """

    kind = "GlobalAveragePooling2D"
    base_name = "global_average_pooling2d"  # the default layer name, as Keras spells it
    takes_images = True

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"Layer '{self._display_name()}' (GlobalAveragePooling2D) expects images of "
                f"shape (batch, height, width, channels), but it would receive "
                f"{show_shape(input_shape)}."
            )
        return (input_shape[-1],)

    def forward(self, x: Array, training: bool = False) -> Array:
        """a = mean of a_prev over axes 1 and 2 (height and width)."""
        self._check_input(x)
        self.a_prev_shape = x.shape
        self.a = x.mean(axis=(1, 2))
        return self.a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/da_prev[n, y, x, c] = delta[n, c] / (h * w)."""
        _, height, width, _ = self.a_prev_shape
        share = grad_output / grad_output.dtype.type(height * width)
        self.delta = np.broadcast_to(share[:, None, None, :], self.a_prev_shape).copy()
        return self.delta  # dC/da_prev (a weightless layer's delta)

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        return self.backward(delta, need_input_gradient)

    def __repr__(self) -> str:
        return "GlobalAveragePooling2D()"
