"""Export of the image layers (see ``glassnet.export`` for the table and the layout rule).

glassnet is channels last, (batch, height, width, channels), kernels (kh, kw, in, out); PyTorch's
``Conv2d``/``MaxPool2d``/``AvgPool2d`` and ONNX's ``Conv``/``MaxPool``/``AveragePool`` are
channels first, weights (out, in, kh, kw). Each exported image layer turns its NHWC input to NCHW,
runs the channels-first operator, and turns the result back, so every tensor between two exported
layers is laid out as glassnet's and Flatten keeps Keras's order.

Padding is always explicit, (top, bottom, left, right) from the layer's own ``pads``: "same"
with an even total pads as much before as after, an odd total puts the extra row/column at the
bottom/right (TensorFlow's rule), which ``torch.nn.Conv2d(padding=...)`` cannot say.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


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
    if layer.kind == "Flatten":
        return torch.nn.Flatten()  # on the NHWC tensor: Keras's order
    return Reshape(layer.output_shape)


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
