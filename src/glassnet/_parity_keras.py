"""The Keras side of ``glassnet.parity``: the model rebuilt in Keras 3 (torch backend, float32),
its weights copied in, trained with Keras's SGD on the same batches.

Every layer kind glassnet compares has its Keras twin with the same arguments: Dense, Activation,
Rescaling, Normalization (given its mean and variance), Conv2D (kernels (kh, kw, in, out) in both,
"same" padding's extra row/column at the bottom/right in both), MaxPooling2D, AveragePooling2D
(evenly padded only: Keras 3.15's torch backend averages an unevenly padded "same" window, such
as pool 3 at stride 2 on 4x4 images, otherwise than TensorFlow's rule), GlobalAveragePooling2D,
Flatten, Reshape and BatchNormalization (same momentum and epsilon: Keras is the rule glassnet
follows). See ``glassnet.parity`` for the loss and optimizer translations.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet.export import require

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.float64]


class KerasTwin:
    """The model in Keras 3 on its torch backend, float32, trained with Keras's SGD."""

    def __init__(self, ours: Sequential, batch_size: int) -> None:
        if "keras" not in sys.modules:  # Keras reads its backend once, when first imported
            os.environ["KERAS_BACKEND"] = "torch"
        keras = require("keras", "keras")
        if keras.backend.backend() != "torch":
            raise ValueError(
                f"Keras parity runs on the torch backend, but Keras was imported with the "
                f"{keras.backend.backend()!r} backend. Set KERAS_BACKEND=torch before importing "
                f"keras."
            )
        self.torch = require("torch", "torch")
        self.keras = keras
        optimizer = ours.optimizer
        if optimizer.name != "sgd":
            raise ValueError(
                f"Keras parity supports SGD (plain, momentum, Nesterov), got {optimizer!r}: "
                f"Keras's RMSprop and Adam place epsilon differently from PyTorch's rules, which "
                f"glassnet follows. Compare those with PyTorch instead: `glassnet parity --with "
                f"torch` on the command line, framework='torch' in Python."
            )
        self.model = keras_model(keras, ours)
        units = ours.output_units
        self.scale, self.loss_fn, loss_note = keras_loss(keras, ours.loss, batch_size, units)
        lr = optimizer.learning_rate * self.scale
        self.optimizer = keras.optimizers.SGD(
            learning_rate=lr, momentum=optimizer.momentum, nesterov=optimizer.nesterov
        )
        self.notes = [
            f"Keras {keras.__version__} (torch backend) float32: {loss_note}; "
            f"keras.optimizers.SGD(learning_rate={lr:g}, momentum={optimizer.momentum}, "
            f"nesterov={optimizer.nesterov})"
        ]

    def step(self, xb: Array, yb: Array) -> tuple[float, Array, list[Array]]:
        torch = self.torch
        a = self.model(torch.from_numpy(xb.astype(np.float32)), training=True)
        self.model.zero_grad()  # as Keras's own torch train_step does
        loss = self.loss_fn(torch.from_numpy(yb.astype(np.float32)), a)
        loss.backward()
        variables = self.model.trainable_weights
        gradients = [v.value.grad for v in variables]
        found = [g.detach().cpu().numpy().astype(np.float64) * self.scale for g in gradients]
        with torch.no_grad():
            self.optimizer.apply(gradients, variables)
        their_a = a.detach().cpu().numpy().astype(np.float64)
        return float(loss.item()) * self.scale, their_a, found

    def weights(self) -> list[Array]:
        variables = self.model.trainable_weights  # per layer: kernel, bias (or gamma, beta)
        return [v.value.detach().cpu().numpy().astype(np.float64) for v in variables]

    def predict(self, x: Array) -> Array:
        with self.torch.no_grad():
            out = self.model(self.torch.from_numpy(x.astype(np.float32)), training=False)
        return out.detach().cpu().numpy().astype(np.float64)


def keras_activation(keras: Any, activation: Any) -> Any:
    name = activation.name
    if name == "leaky_relu":
        slope = activation.negative_slope
        return lambda z: keras.activations.leaky_relu(z, negative_slope=slope)
    if name == "elu":
        alpha = activation.alpha
        return lambda z: keras.activations.elu(z, alpha=alpha)
    if name == "gelu":
        approximate = activation.approximate
        return lambda z: keras.activations.gelu(z, approximate=approximate)
    simple = ("linear", "sigmoid", "tanh", "relu", "softmax", "selu", "silu", "softplus")
    if name in (*simple, "softsign", "hard_sigmoid"):
        return name  # Keras's softmax is over the last axis: the units of each example
    raise ValueError(f"Activation {name!r} has no Keras translation in glassnet.parity.")


def keras_model(keras: Any, ours: Sequential) -> Any:
    """The same layers in Keras, glassnet's weights copied in by ``set_weights`` (both keep
    kernels as (n_in, units) and (kh, kw, in, out), BatchNormalization as gamma, beta, moving
    mean, moving variance)."""
    layers: list[Any] = [keras.Input(tuple(ours.example_shape), dtype="float32")]
    for layer in ours.layers:
        layers.append(_keras_layer(keras, layer))
    model = keras.Sequential(layers)
    model.set_weights([w.astype(np.float32) for w in ours.get_weights()])
    return model


def _keras_layer(keras: Any, layer: Any) -> Any:
    """The Keras layer computing ``layer``'s forward pass, with the same arguments."""
    kind, made = layer.kind, keras.layers
    if kind == "Rescaling":  # no weights in Keras either
        return made.Rescaling(layer.scale, offset=layer.offset)
    if kind == "Normalization":  # given mean and variance: constants, no weights
        mean, variance = layer.mean.tolist(), layer.variance.tolist()
        return made.Normalization(layer.axis, mean=mean, variance=variance)
    if kind == "AveragePooling2D" and (
        layer.pads[0] != layer.pads[1] or layer.pads[2] != layer.pads[3]
    ):
        top, bottom, left, right = layer.pads
        raise ValueError(
            f"Layer '{layer.name}' (AveragePooling2D) pads unevenly (top {top}, bottom "
            f"{bottom}, left {left}, right {right}); Keras 3's torch backend averages such "
            f"windows differently from TensorFlow's rule, which glassnet follows (e.g. pool 3, "
            f"stride 2 on 4x4 images). Compare this model with PyTorch instead (framework='torch', "
            f"or `glassnet parity --with torch`)."
        )
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        pooling = made.MaxPooling2D if kind == "MaxPooling2D" else made.AveragePooling2D
        return pooling(layer.pool_size, strides=layer.strides, padding=layer.padding)
    if kind == "GlobalAveragePooling2D":
        return made.GlobalAveragePooling2D()
    if kind == "Flatten":
        return made.Flatten()
    if kind == "Reshape":
        return made.Reshape(tuple(layer.output_shape))
    if kind == "BatchNormalization":
        return made.BatchNormalization(
            axis=layer.axis,
            momentum=layer.momentum,
            epsilon=layer.epsilon,
            center=layer.center,
            scale=layer.scale,
        )
    activation = keras_activation(keras, layer.activation)
    if kind == "Dense":
        return made.Dense(layer.units, activation=activation, use_bias=layer.use_bias)
    if kind == "Conv2D":
        return made.Conv2D(
            layer.filters,
            layer.kernel_size,
            strides=layer.strides,
            padding=layer.padding,
            activation=activation,
            use_bias=layer.use_bias,
        )
    return made.Activation(activation)


def keras_loss(keras: Any, loss: Any, batch_size: int, units: int) -> tuple[float, Any, str]:
    """(scale, Keras loss, note): glassnet's C = scale * Keras's loss."""
    name, logits = loss.name, loss.from_logits
    if name == "mean_squared_error":
        return 1.0, keras.losses.MeanSquaredError(), "mse = keras.losses.MeanSquaredError()"
    if name == "half_sum_squared_error":
        scale = batch_size * units / 2.0
        note = (
            f"the seed's half sum of squares = (N k / 2) * Keras mse with N k = "
            f"{batch_size * units}, so Keras trains mse with the learning rate times {scale:g}, "
            f"and its loss and gradients are multiplied by {scale:g} to compare"
        )
        return scale, keras.losses.MeanSquaredError(), note
    if name == "binary_crossentropy":
        return 1.0, keras.losses.BinaryCrossentropy(from_logits=logits), "BinaryCrossentropy"
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        made = keras.losses.CategoricalCrossentropy(from_logits=logits)
        return 1.0, made, "CategoricalCrossentropy (labels one-hot)"
    raise ValueError(f"Loss {name!r} has no Keras translation in glassnet.parity.")
