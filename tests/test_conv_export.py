"""Image models beyond the engine: to_torch and export_onnx give glassnet's outputs, for nets with
every image layer, "same" padding that is asymmetric (TensorFlow's extra bottom/right row and
column), average pooling that leaves the padding out of its counts, and Flatten's channels-last
order; the exported module takes the same NHWC images as model.predict."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

import glassnet as gn
from glassnet.layers import (
    AveragePooling2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
    Rescaling,
    Reshape,
)


def every_image_layer_network(dtype: str) -> gn.Sequential:
    """(8, 7, 2) images through every image layer. Sizes, by output_size:
    8x7 -conv 3x3 s2 same-> 4x4x3 (pads top 0, bottom 1, left 1, right 1)
    -max 2 s1 same-> 4x4x3 (pads 0, 1, 0, 1) -conv 2x3 same-> 4x4x4 (pads 0, 1, 1, 1)
    -average 3 s2 same-> 2x2x4 (pads 0, 1, 0, 1: the corner windows count 4 of 9 real inputs)
    -conv 1x1 softmax-> 2x2x5 -Reshape-> (4, 5) -Reshape->
    (4, 1, 5) -average (2, 1) valid-> 2x1x5 -Flatten-> 10 -Dense-> 6 -Reshape-> (1, 2, 3)
    -global average-> 3 -Dense softmax-> 3."""
    bias = gn.RandomUniform(-1, 1)
    stack = [
        gn.Input((8, 7, 2)),
        Rescaling(0.5, offset=-0.25),
        Conv2D(3, 3, strides=2, padding="same", activation="tanh", bias_initializer=bias),
        MaxPooling2D(2, strides=1, padding="same"),  # after tanh: negative maxima, -inf pads
        Conv2D(4, (2, 3), padding="same", use_bias=False, activation="leaky_relu"),
        AveragePooling2D(3, strides=2, padding="same"),
        Dropout(0.3),
        Conv2D(5, 1, activation="softmax"),  # over the channels, the last axis
        Reshape((-1, 5)),
        Reshape((4, 1, 5)),
        AveragePooling2D((2, 1)),
        Flatten(),
        Dense(6, "relu", bias_initializer=bias),
        Reshape((1, 2, 3)),
        GlobalAveragePooling2D(),
        Dense(3, "softmax"),
    ]
    model = gn.Sequential(stack, dtype=dtype, seed=3)
    # what the test is about: the "same" paddings here are uneven, the extra at bottom/right
    assert model.layers[1].pads == (0, 1, 1, 1)
    assert model.layers[4].pads == (0, 1, 0, 1)  # the average pooling's
    return model


def images(n: int = 13, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 8, 7, 2)) * 2.0


@pytest.mark.parametrize(("dtype", "tolerance"), [("float64", 1e-12), ("float32", 1e-6)])
def test_to_torch_gives_the_same_outputs_for_every_image_layer(dtype, tolerance) -> None:
    model = every_image_layer_network(dtype)
    x = images().astype(dtype)
    net = model.to_torch()
    with torch.no_grad():
        theirs = net(torch.from_numpy(x)).numpy()  # NHWC in, as model.predict
    assert theirs.dtype == np.dtype(dtype)
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=tolerance)


def test_to_torch_matches_layer_by_layer_in_glassnet_layout() -> None:
    """Every tensor between two exported layers is glassnet's (NHWC, Keras's Flatten order)."""
    model = every_image_layer_network("float64")
    x = images(5, seed=1)
    net = model.to_torch()
    ours, theirs = x, torch.from_numpy(x)
    with torch.no_grad():
        for layer in model.layers:
            ours = layer.forward(ours)
            theirs = net.get_submodule(layer.name)(theirs)
            if f"{layer.name}_activation" in dict(net.named_children()):
                theirs = net.get_submodule(f"{layer.name}_activation")(theirs)
            assert tuple(theirs.shape) == ours.shape, layer.name
            np.testing.assert_allclose(theirs.numpy(), ours, rtol=0, atol=1e-12)


def test_the_torch_conv_holds_the_kernel_as_torch_lays_it_out_and_copies_it() -> None:
    model = every_image_layer_network("float64")
    net = model.to_torch()
    conv = net.get_submodule("conv2d_1").inner[1]
    assert isinstance(conv, torch.nn.Conv2d)
    kernel = model.layers[3].kernel  # (kh, kw, in, out) = (2, 3, 3, 4)
    assert tuple(conv.weight.shape) == (4, 3, 2, 3)  # (out, in, kh, kw)
    np.testing.assert_array_equal(conv.weight.detach().numpy(), kernel.transpose(3, 2, 0, 1))
    assert conv.bias is None  # use_bias=False kept
    with torch.no_grad():
        conv.weight.zero_()
    assert np.abs(kernel).max() > 0  # a copy, not a shared buffer


def test_the_exported_module_trains_further_in_torch() -> None:
    model = every_image_layer_network("float64")
    net = model.to_torch().train()
    out = net(torch.from_numpy(images(4)))
    out[:, 0].sum().backward()
    grad = net.get_submodule("conv2d").inner[1].weight.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().max() > 0


def test_onnx_export_runs_in_onnxruntime_with_the_same_outputs(tmp_path) -> None:
    model = every_image_layer_network("float64")
    path = model.export_onnx(tmp_path / "cnn.onnx")
    graph = onnx.load(str(path)).graph
    declared = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert declared == ["batch", 8, 7, 2]  # NHWC, as model.predict takes
    operators = {node.op_type for node in graph.node}
    assert {"Conv", "MaxPool", "AveragePool", "ReduceMean", "Flatten", "Reshape"} <= operators
    x = images(17, seed=2)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {"x": x.astype(np.float32)})
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=1e-5)


def test_a_float64_onnx_file_of_a_cnn_is_valid_and_holds_double_weights(tmp_path) -> None:
    """onnxruntime's CPU provider has no float64 Conv (NOT_IMPLEMENTED), so the float64 file is
    checked as ONNX only; export_onnx's docstring says so."""
    model = every_image_layer_network("float64")
    proto = onnx.load(str(model.export_onnx(tmp_path / "cnn64.onnx", dtype="float64")))
    onnx.checker.check_model(proto, full_check=True)
    kernel = next(t for t in proto.graph.initializer if t.name == "conv2d.kernel")
    assert kernel.data_type == onnx.TensorProto.DOUBLE
    np.testing.assert_array_equal(
        onnx.numpy_helper.to_array(kernel), model.layers[1].kernel.transpose(3, 2, 0, 1)
    )


def test_a_small_cnn_on_the_digits_exports_with_its_trained_weights(tmp_path) -> None:
    """The README's kind of model: conv -> pool -> flatten -> dense, trained a little."""
    x, y = gn.datasets.digits()
    x = x[:300].reshape(-1, 8, 8, 1) / 16.0
    y = y[:300]
    model = gn.Sequential(
        [
            gn.Input((8, 8, 1)),
            Conv2D(4, 3, activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, "softmax"),
        ],
        seed=0,
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    with torch.no_grad():
        theirs = model.to_torch()(torch.from_numpy(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=1e-6)
    session = onnxruntime.InferenceSession(str(model.export_onnx(tmp_path / "digits.onnx")))
    (onnx_out,) = session.run(None, {"x": x.astype(np.float32)})
    np.testing.assert_allclose(onnx_out, model.predict(x), rtol=0, atol=1e-5)
    assert (onnx_out.argmax(1) == model.predict(x).argmax(1)).all()
