"""The image layers against PyTorch (float64: forward and every gradient, 1e-10) and Keras
(float32 forward with the very same weights moved by set_weights, 1e-5).

Layout conversions live here only: glassnet is channels last (NHWC, kernels (kh, kw, in, out),
as Keras); PyTorch is NCHW with kernels (out, in, kh, kw). Keras 3.15.1 runs on its torch
backend (KERAS_BACKEND=torch, set before the import).
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest
import torch
import torch.nn.functional as functional

import glassnet as gn
from glassnet.layers import (
    AveragePooling2D,
    Conv2D,
    Dense,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
    Reshape,
)

ACTIVATIONS = {
    "linear": lambda t: t,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softmax": lambda t: torch.softmax(t, dim=-1),
}


def _pad(t: torch.Tensor, pads: tuple[int, int, int, int], value: float = 0.0) -> torch.Tensor:
    top, bottom, left, right = pads
    return functional.pad(t, (left, right, top, bottom), value=value)  # NCHW: last axis first


def torch_forward(model: gn.Sequential, x: torch.Tensor, params: list[torch.Tensor]):
    """The model's forward pass written with PyTorch's own operators (NCHW inside)."""
    t = x.permute(0, 3, 1, 2)  # NHWC -> NCHW
    it = iter(params)
    for layer in model.layers:
        if layer.kind == "Conv2D":
            kernel = next(it).permute(3, 2, 0, 1)  # (kh, kw, in, out) -> (out, in, kh, kw)
            bias = next(it) if layer.use_bias else None
            t = functional.conv2d(_pad(t, layer.pads), kernel, bias, stride=layer.strides)
            t = ACTIVATIONS[layer.activation.name](t.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        elif layer.kind == "MaxPooling2D":
            t = functional.max_pool2d(_pad(t, layer.pads, -np.inf), layer.pool_size, layer.strides)
        elif layer.kind == "AveragePooling2D":
            total = functional.avg_pool2d(
                _pad(t, layer.pads), layer.pool_size, layer.strides, divisor_override=1
            )
            ones = _pad(torch.ones_like(t[:1, :1]), layer.pads)
            count = functional.avg_pool2d(ones, layer.pool_size, layer.strides, divisor_override=1)
            t = total / count  # the real (unpadded) inputs only, as Keras/TensorFlow
        elif layer.kind == "GlobalAveragePooling2D":
            t = t.mean(dim=(2, 3))
        elif layer.kind == "Flatten":
            t = t.permute(0, 2, 3, 1).reshape(len(t), -1)  # channels-last order, as Keras
        elif layer.kind == "Reshape":
            t = t.reshape(len(t), *layer.output_shape).permute(0, 3, 1, 2)
        elif layer.kind == "Dense":
            kernel = next(it)
            t = t @ kernel + (next(it) if layer.use_bias else 0)
            t = ACTIVATIONS[layer.activation.name](t)
        else:
            raise AssertionError(layer.kind)
    return t.permute(0, 2, 3, 1) if t.ndim == 4 else t


def assert_torch_parity(model: gn.Sequential, x: np.ndarray, seed: int = 0) -> None:
    """Forward, dC/dparameters and dC/dx for C = sum(output * g), g random, at 1e-10."""
    out = model.forward(x, training=True)
    g = np.random.default_rng(seed).normal(size=out.shape)
    grad = g
    for layer in reversed(model.layers):
        grad = layer.backward(grad)
    tx = torch.tensor(x, requires_grad=True)
    params = [torch.tensor(w, requires_grad=True) for w in model.get_weights()]
    t_out = torch_forward(model, tx, params)
    (t_out * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=0, atol=1e-10)
    ours = [g for layer in model.layers for g in layer.gradients]
    assert len(ours) == len(params)
    for mine, theirs in zip(ours, params, strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=0, atol=1e-10)


def net(*layers, shape=(9, 8, 2), dtype="float64", seed=0) -> gn.Sequential:
    return gn.Sequential([gn.Input(shape=shape), *layers], dtype=dtype, seed=seed)


NETS = {
    "conv-relu-maxpool-conv-stride2-same-flatten-dense": lambda: [
        Conv2D(4, 3, activation="relu", bias_initializer="glorot_uniform"),
        MaxPooling2D(),
        Conv2D(3, 3, strides=2, padding="same", activation="tanh"),
        Flatten(),
        Dense(5, activation="softmax"),
    ],
    "average-pooling-overlapping-same": lambda: [
        Conv2D(3, (2, 3), padding="same", activation="sigmoid"),
        AveragePooling2D(3, strides=2, padding="same"),
        Conv2D(2, 2, strides=(2, 1), activation="relu", use_bias=False),
        GlobalAveragePooling2D(),
        Dense(3),
    ],
    "max-pooling-that-does-not-tile-and-same": lambda: [
        MaxPooling2D(3, strides=2),
        Conv2D(3, 1, activation="linear"),
        MaxPooling2D(2, padding="same"),
        AveragePooling2D((1, 2)),
        Flatten(),
        Dense(2, activation="tanh"),
    ],
    "reshape-round-trip": lambda: [
        Flatten(),
        Dense(32, activation="tanh"),
        Reshape((4, 4, 2)),
        Conv2D(2, 3, strides=2, padding="same"),
        Flatten(),
        Dense(1),
    ],
}


@pytest.mark.parametrize("name", sorted(NETS))
def test_forward_and_every_gradient_match_pytorch_in_float64(name: str) -> None:
    model = net(*NETS[name]())
    x = np.random.default_rng(1).normal(size=(3, 9, 8, 2))
    assert_torch_parity(model, x)


def test_max_pooling_ties_go_to_the_first_maximum_as_in_pytorch() -> None:
    # every window holds ties (integers 0..2); overlapping windows (stride 1) and tiling ones
    x = np.random.default_rng(2).integers(0, 3, size=(2, 5, 6, 2)).astype(np.float64)
    for pooling in (MaxPooling2D(2), MaxPooling2D(3, strides=1), MaxPooling2D(2, padding="same")):
        assert_torch_parity(net(pooling, shape=(5, 6, 2)), x)
    layer = MaxPooling2D(2)
    layer.build((2, 2, 1), np.float64, None)
    layer.forward(np.full((1, 2, 2, 1), 7.0))
    routed = layer.backward(np.ones((1, 1, 1, 1)))
    np.testing.assert_array_equal(routed[0, :, :, 0], [[1, 0], [0, 0]])  # the top-left one


# -- Keras (float32, torch backend), forward with the weights moved unchanged ----------------
def keras_layer(layer):
    """The Keras layer with the same hyperparameters."""
    if layer.kind == "Conv2D":
        return keras.layers.Conv2D(
            layer.filters,
            layer.kernel_size,
            strides=layer.strides,
            padding=layer.padding,
            activation=layer.activation.name,
            use_bias=layer.use_bias,
        )
    if layer.kind in ("MaxPooling2D", "AveragePooling2D"):
        cls = getattr(keras.layers, layer.kind)
        return cls(layer.pool_size, strides=layer.strides, padding=layer.padding)
    if layer.kind == "GlobalAveragePooling2D":
        return keras.layers.GlobalAveragePooling2D()
    if layer.kind == "Flatten":
        return keras.layers.Flatten()
    if layer.kind == "Reshape":
        return keras.layers.Reshape(layer.target_shape)
    if layer.kind == "Dense":
        return keras.layers.Dense(
            layer.units, activation=layer.activation.name, use_bias=layer.use_bias
        )
    raise AssertionError(layer.kind)


KERAS_NETS = {
    # Keras's torch backend pads an asymmetric "same" average pooling by replicating the edge
    # (keras/src/backend/torch/nn.py, _apply_same_padding, mode="replicate") and counts those
    # copies, unlike TensorFlow, which averages over the real inputs only; glassnet follows
    # TensorFlow (checked against PyTorch above), so Keras is compared on symmetric padding
    **{k: v for k, v in NETS.items() if k != "average-pooling-overlapping-same"},
    "average-pooling-same-symmetric": lambda: [
        Conv2D(3, (2, 3), padding="same", activation="sigmoid"),
        AveragePooling2D(3, strides=1, padding="same"),  # pads (1, 1, 1, 1)
        AveragePooling2D(3, strides=2, padding="valid"),
        GlobalAveragePooling2D(),
        Dense(3),
    ],
    "same-padding-stride-2-asymmetric": lambda: [
        Conv2D(3, 3, strides=2, padding="same", activation="relu"),  # 9x8 -> 5x4, pads (1,1,0,1)
        Conv2D(2, (2, 3), strides=2, padding="same"),
        Flatten(),
        Dense(4, activation="softmax"),
    ],
}


@pytest.mark.parametrize("name", sorted(KERAS_NETS))
def test_keras_gives_the_same_outputs_with_the_same_weights(name: str) -> None:
    model = net(*KERAS_NETS[name](), dtype="float32")
    theirs = keras.Sequential([keras.Input((9, 8, 2))] + [keras_layer(v) for v in model.layers])
    theirs.set_weights(model.get_weights())  # unchanged: the same layout, (kh, kw, in, out)
    # read Keras's variables and outputs as torch tensors (its get_weights/predict go through
    # np.array(tensor), which NumPy 2 warns about on the torch backend)
    kept = [v.value.detach().cpu().numpy() for v in theirs.weights]
    for mine, kept_one in zip(model.get_weights(), kept, strict=True):
        np.testing.assert_array_equal(mine, kept_one)
    x = np.random.default_rng(3).normal(size=(4, 9, 8, 2)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x), training=False).detach().cpu().numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=0, atol=1e-5)
    # Keras's own output shapes and parameter counts are the summary's
    for ours, keras_one in zip(model._layer_outputs(), theirs.layers, strict=True):
        assert (None, *ours[1]) == tuple(keras_one.output.shape)
        assert ours[0].count_params() == keras_one.count_params()
