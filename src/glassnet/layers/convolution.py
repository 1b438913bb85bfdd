"""Conv2D: the readable loop reference and the fast path, proved equal in the tests.

Layout, once and loudly: images are channels last, ``(batch, height, width, channels)``, and a
kernel is ``(kh, kw, in_channels, filters)``, both as Keras's; PyTorch's NCHW and
``(out, in, kh, kw)`` appear only in the parity and export code.

Forward (stride s, the input a_prev padded first when ``padding="same"``)::

    z[n, y, x, f] = sum_{i, j, c} a_prev[n, y*s + i, x*s + j, c] * K[i, j, c, f] + b[f]
    a = activation(z)

Sizes, one helper for every layer (``output_size``): ``out = (W - F + 2P) // S + 1`` where the
two sides' padding ``2P = P_before + P_after``. "valid" pads nothing; "same" pads so that
``out = ceil(W / S)``, splitting ``(out - 1) * S + F - W`` with the extra row/column at the
bottom/right, as Keras/TensorFlow do.

``conv_forward_loop`` / ``conv_backward_loop`` are the truth a learner reads ("take each window,
flatten it, dot it with the flattened filter"); ``Conv2D`` trains with the fast path: every
window copied once into one contiguous matrix (windows.py), one matrix product; the
input gradient by one product per kernel offset, added into shifted slices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from glassnet import activations as activations_module
from glassnet import initializers as initializers_module
from glassnet import regularizers as regularizers_module
from glassnet._validation import shown
from glassnet.activations import Activation as ActivationFunction
from glassnet.initializers import check_allocation, memory_limit
from glassnet.layers.core import Array, Layer, Shape, as_shape, show_shape
from glassnet.layers.windows import add_bias, copy_windows

PADDINGS = ("valid", "same")


def output_size(size: int, window: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(out, pad_before, pad_after) along one axis: ``out = (W - F + 2P) // S + 1``.

    "valid": P = 0 (out is 0 or less when the window is larger than the input: the caller
    refuses it). "same": out = ceil(W / S) and 2P = max((out - 1) * S + F - W, 0), the odd one
    after (bottom/right), as TensorFlow.

    >>> output_size(28, 3, 1, "valid"), output_size(5, 3, 2, "same"), output_size(6, 3, 2, "same")
    ((26, 0, 0), (3, 1, 1), (3, 0, 1))
    """
    if padding == "valid":
        return (size - window) // stride + 1, 0, 0
    out = -(-size // stride)  # ceil(W / S)
    total = max((out - 1) * stride + window - size, 0)
    before = total // 2
    return (size + total - window) // stride + 1, before, total - before


INT64_MAX = np.iinfo(np.int64).max  # larger sizes are refused as absurd, not as overflow


def pair(value: Any, what: str, layer: str, example: str) -> tuple[int, int]:
    """An int or a pair of ints, each positive, as (rows, columns), or a clear error."""
    values = (value, value) if isinstance(value, int | np.integer) else value
    if (
        not isinstance(values, tuple | list)
        or len(values) != 2
        or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values)
        or not all(0 < v <= INT64_MAX for v in values)
    ):
        raise ValueError(
            f"{layer} expects {what} to be a positive integer or a pair of them (rows, columns), "
            f"got {shown(value, 20)}. Example: {example}."
        )
    return int(values[0]), int(values[1])


def padding_name(padding: Any, layer: str) -> str:
    """'valid' or 'same' (any case, as Keras), or a clear error listing both."""
    name = padding.lower() if isinstance(padding, str) else None
    if name not in PADDINGS:
        raise ValueError(
            f"{layer} expects padding 'valid' (no padding: the output shrinks) or 'same' (pad so "
            f"that out = ceil(in / stride)), got {shown(padding, 20)}."
        )
    return name


def window_output_shape(
    input_shape: Shape,
    window: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    layer: str,
    kind: str,
) -> tuple[int, int, tuple[int, int, int, int]]:
    """(out_height, out_width, (top, bottom, left, right)) for images of ``input_shape``
    (height, width, channels), refusing other ranks and windows that leave no output."""
    if len(input_shape) != 3:
        raise ValueError(
            f"Layer '{layer}' ({kind}) expects images of shape (batch, height, width, channels), "
            f"but it would receive {show_shape(input_shape)}. Give the model "
            f"Input(shape=(height, width, channels)) and x of that shape, e.g. "
            f"x.reshape(-1, 8, 8, 1) for 8x8 grey images, or add Reshape((h, w, c)) before it."
        )
    height, width, _ = input_shape
    out_h, top, bottom = output_size(height, window[0], strides[0], padding)
    out_w, left, right = output_size(width, window[1], strides[1], padding)
    if out_h <= 0 or out_w <= 0:
        raise ValueError(
            f"Layer '{layer}' ({kind}) has a {window[0]}x{window[1]} window, larger than its "
            f"input {show_shape(input_shape)} with padding='valid': no output position fits. Use "
            f"a smaller window, padding='same', or larger images."
        )
    return out_h, out_w, (top, bottom, left, right)


def pad_images(x: Array, pads: tuple[int, int, int, int], value: float = 0.0) -> Array:
    """x (n, h, w, c) with ``pads`` (top, bottom, left, right) rows/columns of ``value`` added;
    x itself when there is nothing to add."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def lazy_attribute(layer: Layer, name: str) -> Any:
    """``__getattr__`` of Conv2D and MaxPooling2D: an attribute that a fused training step
    (layers/conv_pool.py) leaves to be made when first read (``ConvPool.materialize``), set on
    the layer then; any other missing attribute is the usual AttributeError."""
    fused = layer.__dict__.get("_fused")
    if fused is None or name not in fused.LAZY.get(layer.kind, ()):
        raise AttributeError(f"'{type(layer).__name__}' object has no attribute '{name}'")
    value = fused.materialize(layer, name)
    setattr(layer, name, value)
    return value


def conv_forward_loop(
    a_prev: Array, kernel: Array, bias: Array | None, strides: int | tuple[int, int], padding: str
) -> Array:
    """The reference: z[n, y, x, f] = sum_{i, j, c} a_prev[n, y*s+i, x*s+j, c] K[i, j, c, f] + b[f].

    Loops over examples, output positions and filters: take each window (kh, kw, c), flatten it,
    dot it with the flattened filter.
    Shapes: a_prev (n, h, w, c), kernel (kh, kw, c, f) -> z (n, oh, ow, f).
    """
    s_h, s_w = (strides, strides) if isinstance(strides, int) else strides
    n, height, width, _ = a_prev.shape
    kh, kw, _, filters = kernel.shape
    out_h, top, bottom = output_size(height, kh, s_h, padding)
    out_w, left, right = output_size(width, kw, s_w, padding)
    padded = pad_images(a_prev, (top, bottom, left, right))
    z = np.zeros((n, out_h, out_w, filters), dtype=a_prev.dtype)
    for example in range(n):
        for y in range(out_h):
            for x in range(out_w):
                window = padded[example, y * s_h : y * s_h + kh, x * s_w : x * s_w + kw, :]
                for f in range(filters):
                    z[example, y, x, f] = window.ravel() @ kernel[:, :, :, f].ravel()
                    if bias is not None:
                        z[example, y, x, f] += bias[f]
    return z


def conv_backward_loop(
    a_prev: Array, kernel: Array, delta: Array, strides: int | tuple[int, int], padding: str
) -> tuple[Array, Array, Array]:
    """The reference backward, from delta = dC/dz (n, oh, ow, f): (dC/dK, dC/db, dC/da_prev).

    Every window that produced z[n, y, x, f] sends delta[n, y, x, f] back along the two
    factors it multiplied: to the kernel, the window's inputs (dC/dK += window * delta); to the
    inputs, the filter's weights (dC/da_prev[window] += K[..., f] * delta). Padding receives
    gradient too, and is cut off at the end.
    """
    s_h, s_w = (strides, strides) if isinstance(strides, int) else strides
    n, height, width, _ = a_prev.shape
    kh, kw, _, filters = kernel.shape
    _, out_h, out_w, _ = delta.shape
    _, top, bottom = output_size(height, kh, s_h, padding)
    _, left, right = output_size(width, kw, s_w, padding)
    padded = pad_images(a_prev, (top, bottom, left, right))
    grad_padded = np.zeros_like(padded)
    grad_kernel = np.zeros_like(kernel)
    grad_bias = np.zeros(filters, dtype=delta.dtype)
    for example in range(n):
        for y in range(out_h):
            for x in range(out_w):
                rows = slice(y * s_h, y * s_h + kh)
                cols = slice(x * s_w, x * s_w + kw)
                window = padded[example, rows, cols, :]
                for f in range(filters):
                    d = delta[example, y, x, f]
                    grad_kernel[:, :, :, f] += window * d
                    grad_bias[f] += d
                    grad_padded[example, rows, cols, :] += kernel[:, :, :, f] * d
    return grad_kernel, grad_bias, grad_padded[:, top : top + height, left : left + width, :]


class Conv2D(Layer):
    """A 2-D convolution (strictly, a cross-correlation, as in Keras and PyTorch), channels last.

    z[n, y, x, f] = sum_{i, j, c} a_prev[n, y*s+i, x*s+j, c] * K[i, j, c, f] + b[f]; a = f(z).
    Shapes: a_prev (batch, h, w, c), K (kh, kw, c, filters), b (filters,),
    z and a (batch, out_h, out_w, filters), out = (W - F + 2P) // S + 1 (see ``output_size``).

    >>> import numpy as np
    >>> layer = Conv2D(8, 3)
    >>> layer.build((28, 28, 1), np.float64, np.random.default_rng(0))
    >>> layer.kernel.shape, layer.compute_output_shape((28, 28, 1)), layer.count_params()
    ((3, 3, 1, 8), (26, 26, 8), 80)
    """

    kind = "Conv2D"
    takes_images = True

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int | tuple[int, int] = 1,
        padding: str = "valid",
        activation: str | ActivationFunction | None = None,
        use_bias: bool = True,
        kernel_initializer: str | initializers_module.Initializer = "glorot_uniform",
        bias_initializer: str | initializers_module.Initializer = "zeros",
        kernel_regularizer: str | regularizers_module.Regularizer | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if (
            isinstance(filters, bool)
            or not isinstance(filters, int | np.integer)
            or not 0 < filters <= INT64_MAX
        ):
            raise ValueError(
                f"Conv2D expects filters, the number of output channels, to be a positive "
                f"integer, got {shown(filters, 20)}. Example: Conv2D(8, 3, activation='relu')."
            )
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2D", "Conv2D(8, kernel_size=3)")
        self.strides = pair(strides, "strides", "Conv2D", "Conv2D(8, 3, strides=2)")
        self.padding = padding_name(padding, "Conv2D")
        self.activation = activations_module.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_module.get(kernel_initializer)
        self.bias_initializer = initializers_module.get(bias_initializer)
        self.kernel_regularizer = regularizers_module.get(kernel_regularizer)
        self.parameter_names = ("kernel", "bias") if self.use_bias else ("kernel",)

    def _geometry(self, input_shape: Shape) -> tuple[int, int, tuple[int, int, int, int]]:
        return window_output_shape(
            input_shape,
            self.kernel_size,
            self.strides,
            self.padding,
            self._display_name(),
            self.kind,
        )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        out_h, out_w, _ = self._geometry(input_shape)
        return (out_h, out_w, self.filters)

    def parameter_count_for(self, input_features: int | Shape) -> int:
        shape = as_shape(input_features)
        self._geometry(shape)
        kh, kw = self.kernel_size
        return kh * kw * shape[-1] * self.filters + (self.filters if self.use_bias else 0)

    def build(
        self, input_features: int | Shape, dtype: DTypeLike, rng: np.random.Generator
    ) -> None:
        shape = as_shape(input_features)
        self.out_h, self.out_w, self.pads = self._geometry(shape)
        kernel_shape = (*self.kernel_size, shape[-1], self.filters)  # (kh, kw, in, out)
        self.kernel = self.kernel_initializer(kernel_shape, dtype, rng)
        # dC/dK: (kh, kw, in, out), C-ordered whatever the initializer gave (backward writes
        # through its (kh*kw*in, out) reshape, which must be a view, not a copy)
        self.kernel_gradient = np.zeros(kernel_shape, dtype=self.kernel.dtype)
        if self.use_bias:
            self.bias = self.bias_initializer((self.filters,), dtype, rng)  # b: (filters,)
            self.bias_gradient = np.zeros_like(self.bias)  # dC/db: (filters,)
        super().build(shape, dtype, rng)

    def _scratch(
        self, name: str, shape: tuple[int, ...], dtype: DTypeLike, fill: float | None = None
    ) -> Array:
        """A work array kept across steps (allocated again when the batch shape or dtype
        changes). Only what no caller ever holds on to: the windows, the per-offset products,
        a vector of ones; outputs and gradients are new arrays every step."""
        kept = self.__dict__.setdefault("_buffers", {})
        found = kept.get(name)
        if found is None or found.shape != shape or found.dtype != dtype:
            found = kept[name] = np.empty(shape, dtype)
            if fill is not None:
                found[...] = fill
        return found

    # -- the two passes --------------------------------------------------------------------
    def forward(self, x: Array, training: bool = False) -> Array:
        """z = windows @ K.reshape(kh*kw*c, filters) + b; a = f(z).

        (batch, h, w, c) -> (batch, out_h, out_w, filters). The windows of the padded input,
        (batch*out_h*out_w, kh*kw*c), are copied once into one contiguous matrix and kept for
        dC/dK."""
        self._check_input(x)
        self.__dict__.pop("_fused", None)  # this step is the readable one (layers/conv_pool.py)
        self.a_prev_shape = x.shape
        self.columns, self.z = self._windows_and_z(x, self.kernel, self.bias_or_none())
        self.a = self.activation(self.z)
        return self.a

    def bias_or_none(self) -> Array | None:
        return self.bias if self.use_bias else None

    def _check_windows(self, x: Array) -> None:
        """Refuse a batch whose window matrix would pass the memory limit (``check_allocation``,
        its message made only then). The limit is min(MAX_ALLOCATION_BYTES, half the physical
        memory), which only the first can change: a size checked under the same
        MAX_ALLOCATION_BYTES as the last step's is not asked again (the physical memory is a
        system call, ~5 µs a step)."""
        kh, kw = self.kernel_size
        nbytes = len(x) * self.out_h * self.out_w * kh * kw * x.shape[-1] * x.itemsize
        passed = (nbytes, initializers_module.MAX_ALLOCATION_BYTES)
        if self.__dict__.get("_windows_passed") == passed:
            return
        if nbytes > memory_limit():
            check_allocation(
                nbytes, f"Layer '{self._display_name()}' (Conv2D) windows for a batch of {len(x)}"
            )
        self._windows_passed = passed

    def _windows_and_z(self, x: Array, kernel: Array, bias: Array | None) -> tuple[Array, Array]:
        """(windows (batch*out_h*out_w, kh*kw*c), z (batch, out_h, out_w, filters)) for x, with
        the weights given (``forward``'s own, or those a fused step kept)."""
        self._check_windows(x)
        kh, kw = self.kernel_size
        n, channels = len(x), x.shape[-1]
        padded = pad_images(x, self.pads)
        self.padded_shape = padded.shape
        # (n, out_h, out_w, kh, kw, c) -> (batch*out_h*out_w, kh*kw*c), in a buffer kept across
        # steps; the numbers of ``window_matrix``, copied faster (``copy_windows``)
        columns = self._scratch("columns", (n, self.out_h, self.out_w, kh, kw, channels), x.dtype)
        copy_windows(padded, (kh, kw), self.strides, columns)
        columns = columns.reshape(n * self.out_h * self.out_w, -1)
        z = columns @ kernel.reshape(-1, self.filters)  # (rows, filters)
        if bias is not None:  # z += b, with a longer inner loop
            tiled = self._scratch("tiled_bias", (self.out_w, self.filters), bias.dtype)
            add_bias(z, bias, self.out_w, tiled)
        return columns, z.reshape(n, self.out_h, self.out_w, self.filters)

    def __getattr__(self, name: str) -> Any:
        return lazy_attribute(self, name)  # z, a, delta after a fused step (conv_pool.py)

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """delta = dC/da * f'(z), then ``backward_delta``. (After a fused forward, the dC/dz
        that its pooling layer handed back takes the fused step's backward, conv_pool.py.)"""
        fused = self.__dict__.get("_fused")
        if fused is not None and grad_output is fused.dz:
            return fused.conv_backward(need_input_gradient)
        delta = self.activation.backward(self.z, self.a, grad_output)  # (n, oh, ow, filters)
        return self.backward_delta(delta, need_input_gradient)

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """From delta = dC/dz (n, out_h, out_w, filters), in the notebook's symbols:

        - dC/dK[i, j, c, f] = sum_{n, y, x} a_prev[n, y*s+i, x*s+j, c] * delta[n, y, x, f]
          (the windows correlated with delta: ``columns.T @ delta``), + dpenalty/dK with a
          kernel regularizer;
        - dC/db[f] = sum_{n, y, x} delta[n, y, x, f];
        - dC/da_prev = delta spread back through K (a "full" convolution with the flipped
          kernel): for each kernel offset (i, j), ``delta @ K[i, j].T`` (n, oh, ow, c) is added
          into the slice of the padded input that offset touched (rows i, i+s, ...), and the
          padding is cut off.

        Gradients are overwritten, not accumulated.
        """
        self.delta = delta
        flat = delta.reshape(-1, self.filters)  # (n*oh*ow, filters)
        # (kh*kw*c, n*oh*ow) @ (n*oh*ow, filters), written straight into dC/dK's own array
        np.matmul(self.columns.T, flat, out=self.kernel_gradient.reshape(-1, self.filters))
        if self.kernel_regularizer is not None:
            self.kernel_gradient += self.kernel_regularizer.gradient(self.kernel)
        if self.use_bias:  # ones @ delta: the sum over every position, as one product
            ones = self._scratch("ones", (len(flat),), flat.dtype, fill=1.0)
            np.matmul(ones, flat, out=self.bias_gradient)
        if not need_input_gradient:
            return None
        return self._input_gradient(delta)

    def _input_gradient(self, delta: Array) -> Array:
        """dC/da_prev (batch, h, w, c) from delta = dC/dz: one product per kernel offset, added
        into the shifted slice of the padded input it came from; kept as ``input_gradient``."""
        kh, kw = self.kernel_size
        s_h, s_w = self.strides
        grad_padded = np.zeros(self.padded_shape, dtype=delta.dtype)
        rows, cols = self.out_h * s_h, self.out_w * s_w
        sent = self._scratch(
            "sent", (*delta.shape[:3], self.kernel.shape[2]), np.result_type(delta, self.kernel)
        )
        flat, sent_flat = delta.reshape(-1, self.filters), sent.reshape(-1, sent.shape[-1])
        for i in range(kh):
            for j in range(kw):
                # (n*oh*ow, filters) @ (filters, c), one matrix product (the 4-d delta would be
                # n*oh products of (ow, filters)): what offset (i, j) sends to its inputs, into
                # one array reused for every offset
                np.matmul(flat, self.kernel[i, j].T, out=sent_flat)
                grad_padded[:, i : i + rows : s_h, j : j + cols : s_w, :] += sent
        top, _, left, _ = self.pads
        _, height, width, _ = self.a_prev_shape
        self.input_gradient = grad_padded[:, top : top + height, left : left + width, :]
        return self.input_gradient  # kept (a view) for the trace: dC/da_prev

    def regularization_penalty(self) -> float:
        """penalty(K) of the kernel regularizer, e.g. l2 * sum(K**2); 0 without one."""
        if self.kernel_regularizer is None or not self.built:
            return 0.0
        return self.kernel_regularizer(self.kernel)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "activation": self.activation.get_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer.get_config(),
            "bias_initializer": self.bias_initializer.get_config(),
            "kernel_regularizer": (
                None if self.kernel_regularizer is None else self.kernel_regularizer.get_config()
            ),
        }

    def __repr__(self) -> str:
        return (
            f"Conv2D({self.filters}, {self.kernel_size}, strides={self.strides}, "
            f"padding={self.padding!r}, activation={self.activation.name!r})"
        )


__all__ = ["Conv2D", "conv_backward_loop", "conv_forward_loop", "output_size"]
