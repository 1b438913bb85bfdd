"""Reshaping layers: ``Flatten`` and ``Reshape``. No weights; the backward pass only puts the
gradient back into the input's shape (dC/da_prev = dC/da, reshaped).

Channels last, as Keras: an image batch is (batch, height, width, channels), and ``Flatten``
reads each example in C order, so feature ``(y * width + x) * channels + c`` is pixel (y, x),
channel c, exactly the order of ``keras.layers.Flatten`` (so Dense weights move between the two).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet._validation import shown
from glassnet.layers.core import Array, Layer, Shape, show_shape


class Flatten(Layer):
    """Each example to one row: (batch, height, width, channels) -> (batch, h * w * c).

    >>> import numpy as np
    >>> layer = Flatten()
    >>> layer.build((2, 2, 1), np.float64, None)
    >>> layer.forward(np.arange(4.0).reshape(1, 2, 2, 1))
    array([[0., 1., 2., 3.]])
    """

    kind = "Flatten"
    takes_images = True

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (math.prod(input_shape),)

    def forward(self, x: Array, training: bool = False) -> Array:
        """a = a_prev.reshape(batch, -1): (batch, *shape) -> (batch, prod(shape))."""
        self._check_input(x)
        self.batch_shape = x.shape
        self.a = x.reshape(len(x), -1)
        return self.a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/da_prev = dC/da reshaped to the input's shape (the same numbers, none mixed)."""
        self.delta = grad_output.reshape(self.batch_shape)  # dC/da_prev, as Dropout's delta
        return self.delta

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        return self.backward(delta, need_input_gradient)

    def __repr__(self) -> str:
        return "Flatten()"


class Reshape(Layer):
    """Each example to ``target_shape`` (without the batch), as ``keras.layers.Reshape``; one
    entry may be -1, meaning "whatever is left". The example's size must not change.

    >>> import numpy as np
    >>> layer = Reshape((2, 2, 1))
    >>> layer.build(4, np.float64, None)
    >>> layer.forward(np.arange(4.0).reshape(1, 4)).shape
    (1, 2, 2, 1)
    """

    kind = "Reshape"
    takes_images = True

    def __init__(self, target_shape: tuple[int, ...] | list[int], name: str | None = None) -> None:
        super().__init__(name)
        shape = tuple(target_shape) if isinstance(target_shape, tuple | list) else None
        if (
            shape is None
            or not 1 <= len(shape) <= 3
            or not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in shape)
            or not all(0 < n <= np.iinfo(np.int64).max or n == -1 for n in shape)
            or sum(n == -1 for n in shape) > 1
        ):
            raise ValueError(
                f"Reshape expects target_shape, the shape of one example without the batch, as a "
                f"tuple of 1 to 3 positive integers (at most one -1), got "
                f"{shown(target_shape, 20)}. Example: Reshape((8, 8, 1))."
            )
        self.target_shape = tuple(int(n) for n in shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        size, known = math.prod(input_shape), math.prod(n for n in self.target_shape if n != -1)
        if -1 in self.target_shape and size % known == 0:
            return tuple(size // known if n == -1 else n for n in self.target_shape)
        if size != known or -1 in self.target_shape:
            raise ValueError(
                f"Layer '{self._display_name()}' (Reshape) cannot make {show_shape(input_shape)} "
                f"({size} numbers per example) into {show_shape(self.target_shape)} ({known}"
                f"{' times something' if -1 in self.target_shape else ''} numbers). Choose a "
                f"target_shape with the same number of values."
            )
        return self.target_shape

    def build(self, input_features: int | Shape, dtype: Any, rng: Any) -> None:
        shape = (input_features,) if isinstance(input_features, int) else tuple(input_features)
        self.output_shape = self.compute_output_shape(shape)
        super().build(input_features, dtype, rng)

    def forward(self, x: Array, training: bool = False) -> Array:
        """a = a_prev.reshape(batch, *target_shape)."""
        self._check_input(x)
        self.batch_shape = x.shape
        self.a = x.reshape(len(x), *self.output_shape)
        return self.a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/da_prev = dC/da reshaped to the input's shape."""
        self.delta = grad_output.reshape(self.batch_shape)  # dC/da_prev, as Dropout's delta
        return self.delta

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        return self.backward(delta, need_input_gradient)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}

    def __repr__(self) -> str:
        return f"Reshape({self.target_shape})"
