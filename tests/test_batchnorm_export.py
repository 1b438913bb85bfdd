"""BatchNormalization leaves glassnet: to_torch gives torch.nn.BatchNorm1d/2d (momentum
1 - Keras's, eps, running statistics copied, eval mode) and export_onnx the ONNX
BatchNormalization operator, with glassnet's predict outputs, in nets with every image layer,
both paddings and stride 2, after Conv2D (channels last), after Dense, and on another axis."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

import glassnet as gn
from glassnet.layers import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
    Normalization,
    Reshape,
)


def images(n: int = 12, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 8, 7, 2)) * 3.0 + 1.0


def network(dtype: str = "float64") -> gn.Sequential:
    """(8, 7, 2) images through every image layer and four BatchNormalizations:
    8x7 -normalize (per channel)-> -conv 3x3 s2 same-> 4x4x4 -BN-> -max 2 s1 same-> 4x4x4
    -conv 2x2 valid-> 3x3x3 -BN(no scale)-> -average 2 s2 same-> 2x2x3 -Reshape (4, 3)-> -BN
    axis=1 (one per row)-> -Reshape (2, 2, 3)-> -global average-> 3 -Dense-> 5 -BN-> ... and
    Flatten, Dense softmax."""
    normalize = Normalization()
    normalize.adapt(images(40, seed=9))
    stack = [
        gn.Input((8, 7, 2)),
        normalize,
        Conv2D(4, 3, strides=2, padding="same", activation="relu"),
        BatchNormalization(momentum=0.9, epsilon=1e-2),
        MaxPooling2D(2, strides=1, padding="same"),
        Conv2D(3, 2, padding="valid", use_bias=False),
        BatchNormalization(scale=False),
        AveragePooling2D(2, strides=2, padding="same"),
        Reshape((4, 3)),
        BatchNormalization(axis=1, center=False),  # per row of the (4, 3): 4 channels
        Reshape((2, 2, 3)),
        Dropout(0.2),
        GlobalAveragePooling2D(),
        Dense(5, "tanh"),
        BatchNormalization(),  # after Dense: BatchNorm1d
        Flatten(),
        Dense(3, "softmax"),
    ]
    model = gn.Sequential(stack, dtype=dtype, seed=4)
    assert model.layers[1].pads == (0, 1, 1, 1)  # "same" at stride 2: the extra row at bottom
    model.compile(gn.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy")
    x = images(24, seed=1).astype(dtype)
    model.fit(x, np.arange(24) % 3, epochs=3, batch_size=8, verbose=0)  # moving stats move
    moving = model.layers[2].moving_mean
    assert np.abs(moving).max() > 0.01 and model.layers[2].gamma.min() != 1.0
    return model


def test_to_torch_gives_batchnorm_modules_with_the_moving_statistics() -> None:
    model = network()
    net = model.to_torch()
    first = net.get_submodule("batch_normalization").inner
    assert isinstance(first, torch.nn.BatchNorm2d) and not first.training
    layer = model.layers[2]
    assert first.eps == 1e-2 and first.momentum == pytest.approx(0.1, abs=1e-15)
    for theirs, ours in [
        (first.weight, layer.gamma),
        (first.bias, layer.beta),
        (first.running_mean, layer.moving_mean),
        (first.running_var, layer.moving_variance),
    ]:
        np.testing.assert_array_equal(theirs.detach().numpy(), ours)
    with torch.no_grad():
        first.running_mean.zero_()
    assert np.abs(layer.moving_mean).max() > 0  # copies, not shared buffers
    after_dense = net.get_submodule("batch_normalization_3")
    assert isinstance(after_dense, torch.nn.BatchNorm1d)  # (batch, 5): no permutation
    assert after_dense.momentum == pytest.approx(0.01, abs=1e-15)
    no_scale = net.get_submodule("batch_normalization_1").inner
    np.testing.assert_array_equal(no_scale.weight.detach().numpy(), np.ones(3))
    assert not no_scale.weight.requires_grad and no_scale.bias.requires_grad


@pytest.mark.parametrize(("dtype", "tolerance"), [("float64", 1e-12), ("float32", 1e-5)])
def test_to_torch_outputs_equal_predict(dtype: str, tolerance: float) -> None:
    model = network(dtype)
    x = images(11, seed=2).astype(dtype)
    with torch.no_grad():
        theirs = model.to_torch()(torch.from_numpy(x)).numpy()
    assert theirs.dtype == np.dtype(dtype)
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=tolerance)


def test_to_torch_matches_layer_by_layer() -> None:
    model = network()
    net = model.to_torch()
    ours, theirs = images(5, seed=3), torch.from_numpy(images(5, seed=3))
    with torch.no_grad():
        for layer in model.layers:
            ours = layer.forward(ours)
            theirs = net.get_submodule(layer.name)(theirs)
            if f"{layer.name}_activation" in dict(net.named_children()):
                theirs = net.get_submodule(f"{layer.name}_activation")(theirs)
            np.testing.assert_allclose(theirs.numpy(), ours, rtol=0, atol=1e-12, err_msg=layer.name)


def test_a_training_step_in_torch_moves_the_running_mean_as_glassnet_moves_its_own() -> None:
    """PyTorch's momentum is 1 - Keras's: one training-mode batch moves both means alike."""
    model = network()
    net = model.to_torch().train()
    net.get_submodule("dropout").eval()  # its mask is random: the identity in both
    x = images(8, seed=4)
    before = net.get_submodule("batch_normalization_3").running_mean.clone()
    net(torch.from_numpy(x))
    ours = x
    for layer in model.layers:  # glassnet's training-mode forward moves moving_mean
        ours = layer.forward(ours, training=layer.kind == "BatchNormalization")
    after = net.get_submodule("batch_normalization_3").running_mean.detach().numpy()
    assert np.abs(after - before.numpy()).max() > 1e-4
    np.testing.assert_allclose(after, model.layers[-3].moving_mean, rtol=0, atol=1e-12)


def test_onnx_uses_the_batchnormalization_operator_and_matches_in_onnxruntime(tmp_path) -> None:
    model = network()
    path = model.export_onnx(tmp_path / "bn.onnx")
    graph = onnx.load(str(path)).graph
    norms = [node for node in graph.node if node.op_type == "BatchNormalization"]
    assert len(norms) == 4  # not folded: one node a layer
    attributes = {a.name: onnx.helper.get_attribute_value(a) for a in norms[0].attribute}
    assert attributes == {"epsilon": pytest.approx(1e-2), "momentum": pytest.approx(0.9)}
    x = images(13, seed=5)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {"x": x.astype(np.float32)})
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=1e-5)


def test_a_dense_batchnorm_net_exports_to_float64_onnx_exactly(tmp_path) -> None:
    """onnxruntime runs a float64 BatchNormalization (it has no float64 Conv): 1e-12."""
    model = gn.Sequential(
        [gn.Input((4,)), Dense(6, "relu"), BatchNormalization(momentum=0.5), Dense(2)],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(20, 4))
    model.fit(x, x[:, :2], epochs=2, verbose=0)
    path = model.export_onnx(tmp_path / "bn64.onnx", dtype="float64")
    (theirs,) = onnxruntime.InferenceSession(str(path)).run(None, {"x": x})
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=1e-12)
    with torch.no_grad():
        net_out = model.to_torch()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net_out, model.predict(x), rtol=0, atol=1e-12)
