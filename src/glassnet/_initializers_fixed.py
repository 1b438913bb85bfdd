"""The initializers that draw nothing: Zeros, Ones, Constant(value), Identity(gain).

Named and looked up in ``glassnet.initializers``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._initializer_base import Initializer, Shape, _check, _scalar


class Zeros(Initializer):
    """Every entry 0 (the default for biases)."""

    name = "zeros"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        _check(shape, dtype)
        return np.zeros(shape, dtype=dtype)


class Ones(Initializer):
    """Every entry 1 (Keras's ``Ones``, ``"ones"``)."""

    name = "ones"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        _check(shape, dtype)
        return np.ones(shape, dtype=dtype)


class Constant(Initializer):
    """Every entry ``value``, one number (Keras's ``Constant``: "only scalar values are
    allowed"). ``Constant(1.0)`` is ``Ones()``, ``Constant(0.0)`` is ``Zeros()``."""

    name = "constant"

    def __init__(self, value: float = 0.0) -> None:
        self.value = _scalar(value, "Constant", "value", "Constant(value=0.1)")

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        _check(shape, dtype)
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value}


class Identity(Initializer):
    """``gain`` times the identity matrix: W[i, j] = gain where i == j, else 0 (Keras's
    ``Identity``; a rectangular kernel (n_in, units) gets ``gain * np.eye(n_in, units)``).
    Only for 2-D weights, as in Keras: a Dense kernel, not a bias or a convolution kernel."""

    name = "identity"

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = _scalar(gain, "Identity", "gain", "Identity(gain=1.0)")

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        if len(shape) != 2:
            raise ValueError(
                f"Identity makes a 2-D weight (a Dense kernel of shape (n_in, units)), as "
                f"Keras's, got shape {tuple(shape)} of rank {len(shape)}. Use it as a Dense "
                f"layer's kernel_initializer (not for a bias or a Conv2D kernel)."
            )
        _check(shape, dtype, 8)  # the product in float64: a gain beyond float32 gives inf on
        # the diagonal only (no inf * 0 = NaN), which a float32 model then refuses
        return (self.gain * np.eye(*shape)).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "gain": self.gain}
