"""Export of the image layers (see ``glassnet.export`` for the table and the layout rule).

glassnet is channels last, (batch, height, width, channels), kernels (kh, kw, in, out); PyTorch's
``Conv2d``/``MaxPool2d``/``AvgPool2d`` and ONNX's ``Conv``/``MaxPool``/``AveragePool`` are
channels first, weights (out, in, kh, kw). Each exported image layer turns its NHWC input to NCHW,
runs the channels-first operator, and turns the result back, so every tensor between two exported
layers is laid out as glassnet's and Flatten keeps Keras's order.

Padding is always explicit, (top, bottom, left, right) from the layer's own ``pads``: "same"
with an even total pads as much before as after, an odd total puts the extra row/column at the
bottom/right (TensorFlow's rule), which ``torch.nn.Conv2d(padding=...)`` cannot say.

BatchNormalization, in inference (what ``predict`` computes), is
a = gamma * (a_prev - moving_mean) / sqrt(moving_variance + epsilon) + beta per channel. It becomes
``torch.nn.BatchNorm1d`` (a 2-D or 3-D input) or ``BatchNorm2d`` (images) with
``eps=epsilon``, ``momentum=1 - momentum`` (PyTorch weighs the new batch by its momentum, Keras
the old average), ``running_mean``/``running_var`` the moving statistics, ``weight``/``bias``
gamma/beta (ones/zeros, frozen, where the layer has no scale/center); its channel axis is moved
to PyTorch's axis 1 and back. In ONNX it is the ``BatchNormalization`` operator (not folded into
a neighbouring Conv, so the graph keeps one node a layer), in inference mode, ONNX's
``momentum`` being Keras's; as ONNX's ``epsilon`` attribute is a float32, the variance
initializer holds moving_variance + (epsilon - float32(epsilon)), so float64 graphs stay exact.
Trained further in PyTorch, ``running_var`` moves by the unbiased batch variance, where glassnet
and Keras take the biased one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


def channels_first(layer: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(perm, inverse): a BatchNormalization's input with its channel axis moved to axis 1,
    where PyTorch and ONNX keep channels, and back; e.g. (0, 3, 1, 2) for NHWC images."""
    rank = len(layer.input_shape) + 1  # with the batch
    channel = layer.axis % rank
    perm = (0, channel, *(i for i in range(1, rank) if i != channel))
    return perm, tuple(int(i) for i in np.argsort(perm))


def batchnorm_constants(layer: Any) -> tuple[np.ndarray, ...]:
    """(gamma, beta, moving_mean, moving_variance), each (channels,); gamma ones without
    ``scale``, beta zeros without ``center`` (what the layer's forward pass then computes)."""
    ones, zeros = np.ones_like(layer.moving_mean), np.zeros_like(layer.moving_mean)
    gamma = layer.gamma if layer.scale else ones
    beta = layer.beta if layer.center else zeros
    return gamma, beta, layer.moving_mean, layer.moving_variance


def torch_image_layer(layer: Any, torch_dtype: Any) -> Any:
    """The ``torch.nn.Module`` computing an image layer's forward pass on NHWC tensors (Conv2D
    without its activation, which the caller appends)."""
    from glassnet.export import require

    torch = require("torch", "torch")

    top, bottom, left, right = getattr(layer, "pads", (0, 0, 0, 0))
    pads = (left, right, top, bottom)  # torch's padding order: last axis first

    class ChannelsLast(torch.nn.Module):
        """NHWC -> NCHW, ``inner`` (a channels-first module), NCHW -> NHWC."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: Any) -> Any:
            return self.inner(x.permute(*NHWC_TO_NCHW)).permute(*NCHW_TO_NHWC)

    class AveragePool(torch.nn.Module):
        """a = (sum of the window's inputs) / (how many real inputs it holds), NCHW."""

        def __init__(self, counts: Any) -> None:
            super().__init__()
            self.sum = torch.nn.AvgPool2d(layer.pool_size, layer.strides, divisor_override=1)
            self.register_buffer("counts", counts)  # (1, 1, out_h, out_w)

        def forward(self, x: Any) -> Any:
            return self.sum(torch.nn.functional.pad(x, pads)) / self.counts

        def extra_repr(self) -> str:
            return f"zero padding (left, right, top, bottom)={pads}, divided by the real counts"

    class GlobalAveragePool(torch.nn.Module):
        """a[n, c] = mean over (y, x) of a_prev[n, y, x, c]."""

        def forward(self, x: Any) -> Any:
            return x.mean(dim=(1, 2))

    class Permuted(torch.nn.Module):
        """The input permuted by ``perm`` (channels to axis 1), ``inner``, permuted back."""

        def __init__(self, inner: Any, perm: tuple[int, ...], inverse: tuple[int, ...]) -> None:
            super().__init__()
            self.inner, self.perm, self.inverse = inner, perm, inverse

        def forward(self, x: Any) -> Any:
            return self.inner(x.permute(*self.perm)).permute(*self.inverse)

        def extra_repr(self) -> str:
            return f"perm={self.perm}"

    class Reshape(torch.nn.Module):
        """a = a_prev.reshape(batch, *shape)."""

        def __init__(self, shape: tuple[int, ...]) -> None:
            super().__init__()
            self.shape = tuple(shape)

        def forward(self, x: Any) -> Any:
            return x.reshape(len(x), *self.shape)

        def extra_repr(self) -> str:
            return f"shape={self.shape}"

    if layer.kind == "Conv2D":
        conv = torch.nn.Conv2d(
            layer.kernel.shape[2],
            layer.filters,
            layer.kernel_size,
            stride=layer.strides,
            bias=layer.use_bias,
            dtype=torch_dtype,
        )
        with torch.no_grad():  # (kh, kw, in, out) -> (out, in, kh, kw), a copy
            conv.weight.copy_(torch.from_numpy(layer.kernel.transpose(3, 2, 0, 1).copy()))
            if layer.use_bias:
                conv.bias.copy_(torch.from_numpy(layer.bias.copy()))
        if not any(pads):
            return ChannelsLast(conv)
        return ChannelsLast(torch.nn.Sequential(torch.nn.ZeroPad2d(pads), conv))
    if layer.kind == "MaxPooling2D":
        pool = torch.nn.MaxPool2d(layer.pool_size, layer.strides)
        if not any(pads):
            return ChannelsLast(pool)
        return ChannelsLast(torch.nn.Sequential(torch.nn.ConstantPad2d(pads, -np.inf), pool))
    if layer.kind == "AveragePooling2D":  # counts (1, out_h, out_w, 1) -> (1, 1, out_h, out_w)
        counts = torch.from_numpy(np.ascontiguousarray(layer.counts.transpose(*NHWC_TO_NCHW)))
        return ChannelsLast(AveragePool(counts.to(torch_dtype)))
    if layer.kind == "GlobalAveragePooling2D":
        return GlobalAveragePool()
    if layer.kind == "BatchNormalization":
        return _torch_batchnorm(torch, layer, torch_dtype, Permuted)
    if layer.kind == "Flatten":
        return torch.nn.Flatten()  # on the NHWC tensor: Keras's order
    return Reshape(layer.output_shape)


def _torch_batchnorm(torch: Any, layer: Any, torch_dtype: Any, permuted: Any) -> Any:
    """``BatchNorm1d``/``BatchNorm2d`` holding the layer's weights and moving statistics (copies),
    in eval mode, wrapped so that it takes the layer's own layout."""
    perm, inverse = channels_first(layer)
    norm_class = torch.nn.BatchNorm2d if len(perm) == 4 else torch.nn.BatchNorm1d
    norm = norm_class(
        layer.moving_mean.size,
        eps=layer.epsilon,
        momentum=1.0 - layer.momentum,  # PyTorch's weight of the new batch: Keras's 1 - momentum
        affine=layer.scale or layer.center,
        dtype=torch_dtype,
    )
    gamma, beta, mean, variance = (
        torch.from_numpy(np.array(v, dtype=np.float64)).to(torch_dtype)
        for v in batchnorm_constants(layer)
    )
    with torch.no_grad():
        norm.running_mean.copy_(mean)
        norm.running_var.copy_(variance)
        if norm.affine:
            norm.weight.copy_(gamma)
            norm.bias.copy_(beta)
            norm.weight.requires_grad_(layer.scale)  # ones the layer does not have: frozen
            norm.bias.requires_grad_(layer.center)
    if len(perm) == 2:  # (batch, channels): PyTorch's layout already
        return norm
    return permuted(norm, perm, inverse)


def onnx_image_nodes(layer: Any, source: str, dtype: str) -> tuple[list[Any], list[Any], str]:
    """(nodes, initializers, output name) of an image layer's forward pass on NHWC tensors
    (Conv2D without its activation, which the caller appends)."""
    from glassnet.export import require

    onnx = require("onnx", "onnx")
    helper, numpy_helper = onnx.helper, onnx.numpy_helper

    prefix = layer.name
    nodes: list[Any] = []
    initializers: list[Any] = []
    if layer.kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
        top, bottom, left, right = layer.pads
        window = layer.kernel_size if layer.kind == "Conv2D" else layer.pool_size
        geometry = {
            "kernel_shape": list(window),
            "strides": list(layer.strides),
            "pads": [top, left, bottom, right],  # ONNX: all the starts, then all the ends
        }
        nchw, result = f"{prefix}.nchw", f"{prefix}.nchw_out"
        nodes.append(helper.make_node("Transpose", [source], [nchw], perm=list(NHWC_TO_NCHW)))
        if layer.kind == "Conv2D":
            inputs = [nchw, f"{prefix}.kernel"]
            kernel = layer.kernel.transpose(3, 2, 0, 1).astype(dtype)  # (out, in, kh, kw)
            initializers.append(numpy_helper.from_array(kernel, inputs[1]))
            if layer.use_bias:
                inputs.append(f"{prefix}.bias")
                initializers.append(numpy_helper.from_array(layer.bias.astype(dtype), inputs[2]))
            nodes.append(helper.make_node("Conv", inputs, [result], **geometry))
        elif layer.kind == "MaxPooling2D":
            nodes.append(helper.make_node("MaxPool", [nchw], [result], **geometry))
        else:  # the mean over the window's real inputs, as glassnet's counts
            nodes.append(
                helper.make_node("AveragePool", [nchw], [result], count_include_pad=0, **geometry)
            )
        output = f"{prefix}.z" if layer.kind == "Conv2D" else f"{prefix}.a"
        nodes.append(helper.make_node("Transpose", [result], [output], perm=list(NCHW_TO_NHWC)))
        return nodes, initializers, output
    output = f"{prefix}.a"
    if layer.kind == "BatchNormalization":
        return _onnx_batchnorm(helper, numpy_helper, layer, source, dtype)
    if layer.kind == "GlobalAveragePooling2D":
        nodes.append(helper.make_node("ReduceMean", [source], [output], axes=[1, 2], keepdims=0))
    elif layer.kind == "Flatten":
        nodes.append(helper.make_node("Flatten", [source], [output], axis=1))
    else:  # Reshape: 0 keeps the batch size
        shape = f"{prefix}.shape"
        initializers.append(
            numpy_helper.from_array(np.array([0, *layer.output_shape], dtype=np.int64), shape)
        )
        nodes.append(helper.make_node("Reshape", [source, shape], [output]))
    return nodes, initializers, output


def _onnx_batchnorm(
    helper: Any, numpy_helper: Any, layer: Any, source: str, dtype: str
) -> tuple[list[Any], list[Any], str]:
    """Transpose (channels to axis 1), BatchNormalization (inference), Transpose back."""
    prefix = layer.name
    perm, inverse = channels_first(layer)
    names = [f"{prefix}.{n}" for n in ("gamma", "beta", "moving_mean", "moving_variance")]
    gamma, beta, mean, variance = batchnorm_constants(layer)
    # ONNX attributes are float32: epsilon 1e-3 is read as 0.0010000000474974513, which moves a
    # float64 output by ~1e-10. The variance given carries the difference, so that
    # variance + float32(epsilon) is moving_variance + epsilon (exactly so in float64).
    epsilon32 = float(np.float32(layer.epsilon))
    variance = variance.astype(np.float64) + (layer.epsilon - epsilon32)
    initializers = [
        numpy_helper.from_array(np.asarray(value).astype(dtype), name)
        for value, name in zip((gamma, beta, mean, variance), names, strict=True)
    ]
    moved, normed, output = f"{prefix}.channels_first", f"{prefix}.normed", f"{prefix}.a"
    nodes = []
    if len(perm) == 2:
        moved, normed = source, output
    else:
        nodes.append(helper.make_node("Transpose", [source], [moved], perm=list(perm)))
    nodes.append(
        helper.make_node(
            "BatchNormalization",
            [moved, *names],
            [normed],
            epsilon=epsilon32,
            momentum=layer.momentum,  # ONNX's running average weighs the old value, as Keras
        )
    )
    if len(perm) > 2:
        nodes.append(helper.make_node("Transpose", [normed], [output], perm=list(inverse)))
    return nodes, initializers, output
