"""Export: carry a glassnet network to PyTorch or ONNX, the path out when you outgrow it.

Both targets compute the same forward pass, layer by layer:

    Dense:       z = a_prev @ W + b; a = f(z)    ->  torch.nn.Linear (weight = W.T) + f
                                                 ->  ONNX MatMul(a_prev, W), Add(b), f
    Activation:  a = f(z)                        ->  the same f
    Dropout:     a = a_prev at inference         ->  torch.nn.Dropout (identity in eval mode);
                                                     nothing in ONNX (an inference graph)
    Rescaling:   a = a_prev * scale + offset     ->  a small torch module with scale and offset
                                                     as buffers; ONNX Mul, Add
    Normalization: a = (a_prev - mean) / std,    ->  a small torch module with mean and std as
        std = max(sqrt(variance), 1e-7)              buffers; ONNX Sub, Div

Image layers (channels last in glassnet, channels first in PyTorch and ONNX's operators):

    Conv2D:      z = windows(a_prev) . K + b     ->  NHWC -> NCHW, zero padding (explicit, so the
                                                     "same" padding's extra bottom/right row and
                                                     column is kept), torch.nn.Conv2d with weight
                                                     K.transpose(3, 2, 0, 1) (out, in, kh, kw),
                                                     NCHW -> NHWC, then f; ONNX Transpose, Conv
                                                     (pads [top, left, bottom, right]), Transpose
    MaxPooling2D: a = max of each window         ->  -inf padding + torch.nn.MaxPool2d;
                                                     ONNX MaxPool (its pads never win)
    AveragePooling2D: a = sum / count, count =   ->  zero padding + torch.nn.AvgPool2d giving the
        the real (unpadded) inputs of the window     sum (divisor_override=1) / count buffer;
                                                     ONNX AveragePool, count_include_pad=0
    GlobalAveragePooling2D: a = mean over h, w   ->  a mean over dims (1, 2); ONNX ReduceMean
    Flatten:     a = a_prev.reshape(batch, -1)   ->  torch.nn.Flatten / ONNX Flatten on the NHWC
                                                     tensor: Keras's channels-last order is kept
    Reshape:     a = a_prev.reshape(batch, *t)   ->  the same reshape
    BatchNormalization (inference): a = gamma *  ->  torch.nn.BatchNorm1d/2d(eps=epsilon,
        (a_prev - moving_mean) / sqrt(moving_       momentum=1 - momentum), eval mode, running
        variance + epsilon) + beta, per channel     stats copied; ONNX BatchNormalization; the
                                                     channel axis moved to axis 1 and back

**Layout.** The exported torch module and ONNX graph take what ``model.predict`` takes: images
channels last, (batch, height, width, channels), and every tensor between two layers is in
glassnet's layout too; each image layer turns its input to NCHW and its output back to NHWC
inside itself (``net.get_submodule('conv2d').inner`` holds the ``torch.nn.Conv2d``). So a Dense
after Flatten gets the same weights as in glassnet and Keras, with no reordering.

with f one of sigmoid, tanh, relu, leaky_relu (its slope kept), softmax (over the last axis, the
units of each example, as Keras) or linear (nothing). PyTorch and ONNX are optional:
``pip install 'glassnet[torch]'`` or ``pip install 'glassnet[onnx]'``; they are imported only
when an export is asked for.
"""

from __future__ import annotations

import importlib
import math
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.export_images import onnx_image_nodes, torch_image_layer

if TYPE_CHECKING:
    from glassnet.model import Sequential

#: the ONNX operator set the exported graphs declare (every operator used exists since opset 13)
ONNX_OPSET = 17
#: the ONNX IR version written, old enough for every onnxruntime that knows opset 17
ONNX_IR_VERSION = 8
SUPPORTED_LAYERS = (
    "Dense",
    "Activation",
    "Dropout",
    "Rescaling",
    "Normalization",
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "Flatten",
    "Reshape",
    "BatchNormalization",
)
IMAGE_LAYERS = SUPPORTED_LAYERS[5:]


def require(module: str, extra: str) -> Any:
    """Import an optional dependency, or raise ImportError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"This needs {module}, which is not installed. Install it with: "
            f"pip install 'glassnet[{extra}]'"
        ) from error


def _check_exportable(model: Sequential) -> None:
    model._ensure_built()
    for layer in model.layers:
        if layer.kind not in SUPPORTED_LAYERS:
            raise ValueError(
                f"Layer '{layer.name}' ({layer.kind}) cannot be exported: the supported layer "
                f"kinds are {', '.join(SUPPORTED_LAYERS)}. Rebuild the network from those layers."
            )


def module_name(name: str) -> str:
    """The torch submodule name ``to_torch`` gives a glassnet layer."""
    return name.replace(".", "_")  # torch module names may not contain dots


# -- PyTorch -----------------------------------------------------------------------------------
def torch_activation(activation: Any) -> Any:
    """The ``torch.nn`` module computing the same f as a glassnet activation (None for linear)."""
    torch = require("torch", "torch")
    name = activation.name
    if name == "linear":
        return None
    if name == "leaky_relu":
        return torch.nn.LeakyReLU(activation.negative_slope)
    if name == "softmax":
        return torch.nn.Softmax(dim=-1)  # over the last axis (Keras's), rows sum to 1
    if name == "elu":
        return torch.nn.ELU(activation.alpha)
    if name == "gelu":
        return torch.nn.GELU(approximate="tanh" if activation.approximate else "none")
    modules = {
        "sigmoid": torch.nn.Sigmoid,
        "tanh": torch.nn.Tanh,
        "relu": torch.nn.ReLU,
        "selu": torch.nn.SELU,
        "silu": torch.nn.SiLU,
        "softplus": torch.nn.Softplus,  # z itself past z = 20 (a 2e-9 difference there)
        "softsign": torch.nn.Softsign,
        "hard_sigmoid": torch.nn.Hardsigmoid,
    }
    if name not in modules:
        raise ValueError(
            f"Activation {name!r} has no PyTorch counterpart here; supported: linear, "
            f"leaky_relu, softmax, {', '.join(modules)}."
        )
    return modules[name]()


def preprocessing_constants(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """(multiplier-or-mean, offset-or-std) of a Rescaling or Normalization layer in float64:
    (scale, offset) for a = a_prev * scale + offset, (mean, std) for a = (a_prev - mean) / std
    with std = max(sqrt(variance), 1e-7), the layer's own floor. Shapes () or (n,)."""
    if layer.kind == "Rescaling":
        return np.asarray(layer.scale, dtype=np.float64), np.asarray(layer.offset, np.float64)
    if layer.mean is None:
        raise ValueError(
            f"Layer '{layer.name}' (Normalization) cannot be exported before it has a mean and "
            f"variance: call its adapt(x_train) first."
        )
    from glassnet.layers.preprocessing import EPSILON

    return layer.mean.astype(np.float64), np.maximum(np.sqrt(layer.variance), EPSILON)


def _torch_preprocessing(layer: Any, torch_dtype: Any) -> Any:
    """A ``torch.nn.Module`` computing a Rescaling or Normalization layer's forward pass, its
    constants held as buffers (so ``.to()`` moves them and the state_dict saves them)."""
    torch = require("torch", "torch")
    first, second = (
        torch.from_numpy(np.array(v)).to(torch_dtype) for v in preprocessing_constants(layer)
    )

    class Rescaling(torch.nn.Module):
        """a = a_prev * scale + offset."""

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("scale", first)
            self.register_buffer("offset", second)

        def forward(self, x: Any) -> Any:
            return x * self.scale + self.offset

    class Normalization(torch.nn.Module):
        """a = (a_prev - mean) / std, std = max(sqrt(variance), 1e-7)."""

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", first)
            self.register_buffer("std", second)

        def forward(self, x: Any) -> Any:
            return (x - self.mean) / self.std

    return Rescaling() if layer.kind == "Rescaling" else Normalization()


def to_torch(model: Sequential, dtype: str | None = None) -> Any:
    """A ``torch.nn.Sequential`` computing the same outputs as ``model``, with its weights copied.

    Each Dense layer becomes a ``torch.nn.Linear`` named after it (PyTorch stores the weight as
    W.T, shape (units, n_in)), followed by its activation under the name ``'<layer>_activation'``;
    a Conv2D likewise (its ``torch.nn.Conv2d`` is ``.inner``, wrapped so that it takes and gives
    channels-last tensors: the module takes the same NHWC images as ``model.predict``).
    ``dtype`` is the model's own (float32 or float64) unless given. The returned module is in
    eval mode; call ``.train()`` on it to train it further.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(3, "tanh")], dtype="float64")
    >>> net = to_torch(model)
    >>> x = np.ones((1, 2))
    >>> bool(np.allclose(net(require("torch", "torch").from_numpy(x)).detach().numpy(),
    ...                  model.predict(x), rtol=0, atol=1e-12))
    True
    """
    torch = require("torch", "torch")
    _check_exportable(model)
    torch_dtype = {"float32": torch.float32, "float64": torch.float64}[
        np.dtype(dtype or model.dtype).name
    ]
    modules: OrderedDict[str, Any] = OrderedDict()
    for layer in model.layers:
        name = module_name(layer.name)
        if layer.kind == "Dense":
            linear = torch.nn.Linear(
                layer.kernel.shape[0], layer.units, bias=layer.use_bias, dtype=torch_dtype
            )
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.kernel.T)))
                if layer.use_bias:
                    linear.bias.copy_(torch.from_numpy(layer.bias.copy()))
            modules[name] = linear
            activation = torch_activation(layer.activation)
            if activation is not None:
                modules[f"{name}_activation"] = activation
        elif layer.kind == "Activation":
            activation = torch_activation(layer.activation)
            modules[name] = activation if activation is not None else torch.nn.Identity()
        elif layer.kind in ("Rescaling", "Normalization"):
            modules[name] = _torch_preprocessing(layer, torch_dtype)
        elif layer.kind in IMAGE_LAYERS:  # NHWC in and out, NCHW inside (export_images)
            modules[name] = torch_image_layer(layer, torch_dtype)
            if layer.kind == "Conv2D":
                activation = torch_activation(layer.activation)
                if activation is not None:
                    modules[f"{name}_activation"] = activation
        else:  # Dropout: the identity at inference, a random mask when trained further in torch
            modules[name] = torch.nn.Dropout(float(getattr(layer, "rate", 0.0)))
    return torch.nn.Sequential(modules).eval()


# -- ONNX ----------------------------------------------------------------------------------------
def _onnx_activation(helper: Any, activation: Any, source: str, target: str) -> list[Any]:
    name = activation.name
    if name == "linear":
        return [helper.make_node("Identity", [source], [target])]
    if name == "leaky_relu":
        return [helper.make_node("LeakyRelu", [source], [target], alpha=activation.negative_slope)]
    if name == "softmax":
        return [helper.make_node("Softmax", [source], [target], axis=-1)]
    if name in ("elu", "selu", "softplus", "softsign", "hard_sigmoid"):
        return _onnx_composed(helper, activation, source, target)
    if name == "silu":  # z * sigmoid(z)
        sigmoid = f"{target}.sigmoid"
        return [
            helper.make_node("Sigmoid", [source], [sigmoid]),
            helper.make_node("Mul", [source, sigmoid], [target]),
        ]
    if name == "gelu":
        return _onnx_gelu(helper, activation.approximate, source, target)
    operators = {
        "sigmoid": "Sigmoid",
        "tanh": "Tanh",
        "relu": "Relu",
    }
    if name not in operators:
        raise ValueError(
            f"Activation {name!r} has no ONNX operator here; supported: linear, leaky_relu, "
            f"softmax, {', '.join(operators)}."
        )
    return [helper.make_node(operators[name], [source], [target])]


def _onnx_constant(helper: Any, name: str, value: float, like: str) -> list[Any]:
    """A scalar ``value`` named ``name`` in the dtype of tensor ``like``: a float64 Constant
    cast with CastLike (opset 15), so a float64 graph keeps every digit."""
    import onnx

    tensor = helper.make_tensor(f"{name}.value", onnx.TensorProto.DOUBLE, [], [value])
    return [
        helper.make_node("Constant", [], [f"{name}.double"], value=tensor),
        helper.make_node("CastLike", [f"{name}.double", like], [name]),
    ]


def _onnx_composed(helper: Any, activation: Any, source: str, target: str) -> list[Any]:
    """elu, selu, softplus, softsign and hard_sigmoid from elementary operators (onnxruntime has
    no float64 kernels for Elu, Selu, Softplus, Softsign or HardSigmoid)."""
    name, t = activation.name, target
    nodes = []
    for constant, value in (("zero", 0.0), ("one", 1.0), ("three", 3.0), ("six", 6.0)):
        nodes += _onnx_constant(helper, f"{t}.{constant}", value, source)
    if name in ("elu", "selu"):  # where(z > 0, z, alpha * (exp(min(z, 0)) - 1)) [* scale]
        alpha = activation.alpha
        nodes += _onnx_constant(helper, f"{t}.alpha", alpha, source)
        nodes += [
            helper.make_node("Min", [source, f"{t}.zero"], [f"{t}.left"]),
            helper.make_node("Exp", [f"{t}.left"], [f"{t}.exp"]),
            helper.make_node("Sub", [f"{t}.exp", f"{t}.one"], [f"{t}.expm1"]),
            helper.make_node("Mul", [f"{t}.expm1", f"{t}.alpha"], [f"{t}.negative"]),
            helper.make_node("Greater", [source, f"{t}.zero"], [f"{t}.positive"]),
        ]
        out = f"{t}.elu" if name == "selu" else t
        nodes.append(helper.make_node("Where", [f"{t}.positive", source, f"{t}.negative"], [out]))
        if name == "selu":
            nodes += _onnx_constant(helper, f"{t}.scale", activation.scale, source)
            nodes.append(helper.make_node("Mul", [out, f"{t}.scale"], [t]))
        return nodes
    if name == "softplus":  # max(z, 0) + log(1 + exp(-|z|))
        return [
            *nodes,
            helper.make_node("Abs", [source], [f"{t}.abs"]),
            helper.make_node("Neg", [f"{t}.abs"], [f"{t}.neg"]),
            helper.make_node("Exp", [f"{t}.neg"], [f"{t}.exp"]),
            helper.make_node("Add", [f"{t}.exp", f"{t}.one"], [f"{t}.sum"]),
            helper.make_node("Log", [f"{t}.sum"], [f"{t}.log"]),
            helper.make_node("Max", [source, f"{t}.zero"], [f"{t}.relu"]),
            helper.make_node("Add", [f"{t}.relu", f"{t}.log"], [t]),
        ]
    if name == "softsign":  # z / (1 + |z|)
        return [
            *nodes,
            helper.make_node("Abs", [source], [f"{t}.abs"]),
            helper.make_node("Add", [f"{t}.abs", f"{t}.one"], [f"{t}.sum"]),
            helper.make_node("Div", [source, f"{t}.sum"], [t]),
        ]
    return [  # hard_sigmoid: min(max(z + 3, 0), 6) / 6
        *nodes,
        helper.make_node("Add", [source, f"{t}.three"], [f"{t}.shifted"]),
        helper.make_node("Max", [f"{t}.shifted", f"{t}.zero"], [f"{t}.low"]),
        helper.make_node("Min", [f"{t}.low", f"{t}.six"], [f"{t}.high"]),
        helper.make_node("Div", [f"{t}.high", f"{t}.six"], [t]),
    ]


def _onnx_gelu(helper: Any, approximate: bool, source: str, target: str) -> list[Any]:
    """z * Phi(z) = z * (1 + erf(z / sqrt(2))) / 2, or its tanh approximation
    z * (1 + tanh(sqrt(2/pi) (z + 0.044715 z**3))) / 2, in opset-13 operators."""
    one, half = f"{target}.one", f"{target}.half"
    nodes = _onnx_constant(helper, one, 1.0, source)
    nodes += _onnx_constant(helper, half, 0.5, source)
    if approximate:
        kappa, beta = f"{target}.kappa", f"{target}.beta"
        nodes += _onnx_constant(helper, kappa, 0.044715, source)
        nodes += _onnx_constant(helper, beta, math.sqrt(2.0 / math.pi), source)
        square, cube = f"{target}.square", f"{target}.cube"
        nodes += [
            helper.make_node("Mul", [source, source], [square]),
            helper.make_node("Mul", [square, source], [cube]),
            helper.make_node("Mul", [cube, kappa], [f"{target}.kcube"]),
            helper.make_node("Add", [source, f"{target}.kcube"], [f"{target}.inner"]),
            helper.make_node("Mul", [f"{target}.inner", beta], [f"{target}.u"]),
            helper.make_node("Tanh", [f"{target}.u"], [f"{target}.squash"]),
        ]
    else:
        root = f"{target}.rsqrt2"
        nodes += _onnx_constant(helper, root, math.sqrt(0.5), source)
        # onnxruntime's Erf has no float64 kernel: it runs in float32 (a float64 graph's exact
        # gelu is then float32-accurate, about 1e-7), cast back to the graph's dtype
        nodes += [
            helper.make_node("Mul", [source, root], [f"{target}.scaled"]),
            helper.make_node("Cast", [f"{target}.scaled"], [f"{target}.single"], to=1),
            helper.make_node("Erf", [f"{target}.single"], [f"{target}.erf"]),
            helper.make_node("CastLike", [f"{target}.erf", source], [f"{target}.squash"]),
        ]
    return [
        *nodes,
        helper.make_node("Add", [f"{target}.squash", one], [f"{target}.plus"]),
        helper.make_node("Mul", [source, f"{target}.plus"], [f"{target}.times"]),
        helper.make_node("Mul", [f"{target}.times", half], [target]),
    ]


def to_onnx(model: Sequential, dtype: str = "float32") -> Any:
    """An ``onnx.ModelProto`` of the forward pass: input ``"x"`` (batch, n_in) or, for an image
    model, (batch, height, width, channels) as ``model.predict`` takes; output ``"y"``.

    Built with ``onnx.helper`` directly: per Dense layer a MatMul with W (n_in, units), an Add of
    b (units,) and the activation's operator; the weights are initializers in ``dtype``.
    """
    onnx = require("onnx", "onnx")
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    _check_exportable(model)
    element = {"float32": onnx.TensorProto.FLOAT, "float64": onnx.TensorProto.DOUBLE}[
        np.dtype(dtype).name
    ]
    output_shape = model._shape_after(len(model.layers))
    nodes, initializers = [], []
    current = "x"
    for layer in model.layers:
        prefix = layer.name
        if layer.kind == "Dense":
            kernel = f"{prefix}.kernel"
            initializers.append(numpy_helper.from_array(layer.kernel.astype(dtype), kernel))
            z = f"{prefix}.z"
            if layer.use_bias:
                bias = f"{prefix}.bias"
                initializers.append(numpy_helper.from_array(layer.bias.astype(dtype), bias))
                nodes.append(helper.make_node("MatMul", [current, kernel], [f"{prefix}.matmul"]))
                nodes.append(helper.make_node("Add", [f"{prefix}.matmul", bias], [z]))
            else:
                nodes.append(helper.make_node("MatMul", [current, kernel], [z]))
            nodes += _onnx_activation(helper, layer.activation, z, f"{prefix}.a")
            current = f"{prefix}.a"
        elif layer.kind == "Activation":
            nodes += _onnx_activation(helper, layer.activation, current, f"{prefix}.a")
            current = f"{prefix}.a"
        elif layer.kind in ("Rescaling", "Normalization"):
            first, second = (f"{prefix}.{n}" for n in ("first", "second"))
            constants = zip(preprocessing_constants(layer), (first, second), strict=True)
            for value, constant in constants:  # (scale, offset) or (mean, std)
                initializers.append(numpy_helper.from_array(value.astype(dtype), constant))
            middle = f"{prefix}.middle"
            if layer.kind == "Rescaling":  # a = a_prev * scale + offset
                nodes.append(helper.make_node("Mul", [current, first], [middle]))
                nodes.append(helper.make_node("Add", [middle, second], [f"{prefix}.a"]))
            else:  # a = (a_prev - mean) / std
                nodes.append(helper.make_node("Sub", [current, first], [middle]))
                nodes.append(helper.make_node("Div", [middle, second], [f"{prefix}.a"]))
            current = f"{prefix}.a"
        elif layer.kind in IMAGE_LAYERS:  # NHWC in and out, NCHW inside (export_images)
            image_nodes, image_initializers, current = onnx_image_nodes(layer, current, dtype)
            nodes += image_nodes
            initializers += image_initializers
            if layer.kind == "Conv2D":
                nodes += _onnx_activation(helper, layer.activation, current, f"{prefix}.a")
                current = f"{prefix}.a"
        # Dropout is the identity at inference: no node
    nodes.append(helper.make_node("Identity", [current], ["y"]))
    graph = helper.make_graph(
        nodes,
        model.name,
        [helper.make_tensor_value_info("x", element, ["batch", *model.example_shape])],
        [helper.make_tensor_value_info("y", element, ["batch", *output_shape])],
        initializer=initializers,
    )
    proto = helper.make_model(
        graph,
        producer_name="glassnet",
        opset_imports=[helper.make_operatorsetid("", ONNX_OPSET)],
    )
    proto.ir_version = ONNX_IR_VERSION
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model: Sequential, path: str | Path, dtype: str = "float32") -> Path:
    """Write ``model`` as an ONNX file that onnxruntime (or any ONNX runtime) can run.

    Run it with ``onnxruntime.InferenceSession(str(path)).run(None, {"x": x.astype(dtype)})``;
    x is what ``model.predict`` takes (images channels last). onnxruntime's CPU provider has no
    float64 ``Conv``: export image models in float32 (the default) to run them there.
    Returns the path written.

    The file is written atomically (a crash leaves an old file whole, a replaced file keeps its
    mode). Refused before any work, and left alone (``OutputFileError``, a ValueError): a path
    that is not a regular file (a FIFO, a device, a folder, a symbolic link to one), a read-only
    file, a missing or unwritable folder, and a glassnet model file (``model.save``'s output:
    exporting over it would lose the model; other existing files are replaced, as
    ``onnx.save_model`` does).
    """
    from glassnet._outputs import check_output_target, write_bytes_atomically

    require("onnx", "onnx")
    what = "the ONNX file"
    check_output_target(path, what, "model.onnx")  # before building the graph

    data = to_onnx(model, dtype).SerializeToString()
    return write_bytes_atomically(path, data, what, "model.onnx")  # never over a model file
