"""Regularization layers: ``Dropout``, as Keras's ``keras/src/layers/regularization/`` holds it.

Dropout has no weights. In training it zeroes each input with probability ``rate`` and scales the
rest by 1 / (1 - rate); in ``predict`` it is the identity. It works on any shape: a (batch, n)
batch of features or (batch, height, width, channels) images, one independent mask entry per
element.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from glassnet import initializers as initializers_module
from glassnet._validation import shown
from glassnet.layers.core import Array, Layer, Shape


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale the
    rest by 1 / (1 - rate), so the expected output equals the input; in ``predict``, identity.

    Forward (training): mask = (u >= rate) / (1 - rate), u ~ U[0, 1); a = a_prev * mask.
    Backward: dC/da_prev = dC/da * mask. Shapes: any, (batch, n) -> (batch, n) or images
    (batch, h, w, c) -> (batch, h, w, c); the mask has the input's shape, one independent draw
    per element (every pixel of every channel), as Keras's ``Dropout`` without ``noise_shape``.

    ``seed`` gives the layer a random stream of its own; without one it draws from the model's.
    ``freeze_mask = True`` keeps the mask of the last training forward pass (drawn afresh only if
    the batch shape changes), so central differences see one fixed function: set it before
    ``check_gradients`` on a float64 model.

    >>> import numpy as np
    >>> layer = Dropout(0.5, seed=0)
    >>> layer.build(4, np.float64, None)
    >>> layer.forward(np.ones((1, 4)), training=True)
    array([[2., 0., 0., 0.]])
    >>> layer.forward(np.ones((1, 4)))  # predict: identity
    array([[1., 1., 1., 1.]])
    """

    kind = "Dropout"
    takes_images = True  # elementwise: any shape

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None) -> None:
        super().__init__(name)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise TypeError(
                f"Dropout expects rate, the fraction of inputs to drop, to be a number in [0, 1), "
                f"got {type(rate).__name__} {shown(rate, 20)}. Example: Dropout(0.2)."
            )
        if not 0.0 <= rate < 1.0:  # NaN fails too; 10**400 is compared exactly, never cast
            raise ValueError(
                f"Dropout expects rate, the fraction of inputs to drop, in [0, 1), got "
                f"{shown(rate, 20)}. Example: Dropout(0.2)."
            )
        self.rate = float(rate)
        self.seed = initializers_module._seed(seed, "Dropout")
        self.freeze_mask = False
        self.mask: Array | None = None
        self.rng: np.random.Generator | None = None

    def build(
        self, input_features: int | Shape, dtype: DTypeLike, rng: np.random.Generator
    ) -> None:
        if self.rng is None:
            self.rng = np.random.default_rng(self.seed) if self.seed is not None else rng
        super().build(input_features, dtype, rng)

    def forward(self, x: Array, training: bool = False) -> Array:
        """a = a_prev * mask in training (mask 0 or 1 / (1 - rate)); a = a_prev otherwise."""
        self._check_input(x)
        self.training = training
        if not training or self.rate == 0.0:
            self.a = x
            return x
        if not (self.freeze_mask and self.mask is not None and self.mask.shape == x.shape):
            keep = self.rng.random(x.shape) >= self.rate  # booleans, x's shape
            self.mask = keep.astype(x.dtype) / x.dtype.type(1.0 - self.rate)  # x's shape
        self.a = x * self.mask
        return self.a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/da_prev = dC/da * mask (identity when the forward pass was not training)."""
        if not self.training or self.rate == 0.0:
            self.delta = grad_output
        else:
            self.delta = grad_output * self.mask  # x's shape
        return self.delta

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        return self.backward(delta, need_input_gradient)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    def __repr__(self) -> str:
        return f"Dropout({self.rate})"
