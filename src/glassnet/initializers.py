"""Initializers: where a layer's first weights come from.

An initializer is called as ``init(shape, dtype, rng)`` and returns a new array. ``rng`` is the
model's ``numpy.random.Generator`` (from ``Sequential(seed=...)``); an initializer given its own
``seed`` ignores it and draws from a stream of its own instead. That stream lives as long as the
initializer, so one seeded initializer shared by several layers hands out consecutive draws in
build order. This is how the seed notebook's weights are reproduced:

>>> import numpy as np
>>> init = RandomUniform(0.0, 1.0, seed=1)     # the notebook's np.random.seed(1)
>>> w1 = init((3, 4), np.float64, None)       # then np.random.random((3, 4))
>>> w2 = init((4, 1), np.float64, None)       # then np.random.random((4, 1))
>>> np.random.seed(1)
>>> first, second = np.random.random((3, 4)), np.random.random((4, 1))
>>> bool(np.array_equal(w1, first) and np.array_equal(w2, second))
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._names import config_repr, lookup
from glassnet._names import from_config as from_config_of

Shape = tuple[int, ...]


def _fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel of shape (n_in, units)."""
    if len(shape) == 2:
        return shape[0], shape[1]
    size = math.prod(shape)
    return size, size


class Initializer:
    """Base class: ``__call__(shape, dtype, rng) -> array``."""

    name = "initializer"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return config_repr(self)


class Zeros(Initializer):
    """Every entry 0 (the default for biases)."""

    name = "zeros"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        return np.zeros(shape, dtype=dtype)


class Constant(Initializer):
    """Every entry ``value``."""

    name = "constant"

    def __init__(self, value: float = 0.0) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"Constant expects a number, got {type(value).__name__} {value!r}.")
        if not math.isfinite(value):
            raise ValueError(
                f"Constant expects a finite number, got {value!r}; a NaN or infinite weight "
                f"would make every output NaN. Use e.g. Constant(0.1)."
            )
        self.value = float(value)

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value}


class _Seeded(Initializer):
    """An initializer that draws from its own stream when given a ``seed``."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng: np.random.Generator | np.random.RandomState | None = None

    def _stream(self, rng: np.random.Generator | None) -> np.random.Generator:
        if self.seed is not None:
            if self._rng is None:
                self._rng = np.random.default_rng(self.seed)
            return self._rng  # type: ignore[return-value]
        return rng if rng is not None else np.random.default_rng()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed}


class RandomUniform(_Seeded):
    """Uniform on [minval, maxval): w = minval + (maxval - minval) * u, u ~ U[0, 1).

    With a ``seed``, the draws come from NumPy's legacy ``RandomState(seed)``, the generator behind
    ``np.random.seed`` and ``np.random.random``, so ``RandomUniform(0, 1, seed=1)`` shared by
    two layers gives exactly the notebook's ``np.random.seed(1)``, ``random((3, 4))``,
    ``random((4, 1))``. Defaults are Keras's (-0.05, 0.05).
    """

    name = "random_uniform"

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        if not (np.isfinite(minval) and np.isfinite(maxval) and minval < maxval):
            raise ValueError(
                f"RandomUniform expects finite minval < maxval, got minval={minval!r}, "
                f"maxval={maxval!r}."
            )
        super().__init__(seed)
        self.minval = float(minval)
        self.maxval = float(maxval)

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        if self.seed is not None:
            if self._rng is None:
                self._rng = np.random.RandomState(self.seed)
            values = self._rng.uniform(self.minval, self.maxval, size=shape)
        else:
            values = self._stream(rng).uniform(self.minval, self.maxval, size=shape)
        return values.astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class GlorotUniform(_Seeded):
    """Uniform on [-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)) (Keras's default)."""

    name = "glorot_uniform"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, fan_out = _fans(shape)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return self._stream(rng).uniform(-limit, limit, size=shape).astype(dtype, copy=False)


class HeNormal(_Seeded):
    """Truncated normal, mean 0, standard deviation sqrt(2 / fan_in), as Keras's ``HeNormal``.

    Draws beyond two standard deviations are drawn again; the pre-truncation deviation is
    divided by 0.8796..., so that the truncated distribution has variance 2 / fan_in.
    """

    name = "he_normal"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, _ = _fans(shape)
        stddev = math.sqrt(2.0 / fan_in) / 0.87962566103423978
        stream = self._stream(rng)
        values = stream.normal(0.0, 1.0, size=shape)
        outside = np.abs(values) > 2.0
        while outside.any():  # redraw the tails until every value is within 2 deviations
            values[outside] = stream.normal(0.0, 1.0, size=int(outside.sum()))
            outside = np.abs(values) > 2.0
        return (values * stddev).astype(dtype, copy=False)


INITIALIZERS: dict[str, type[Initializer]] = {
    cls.name: cls for cls in (Zeros, Constant, RandomUniform, GlorotUniform, HeNormal)
}


def get(identifier: str | Initializer) -> Initializer:
    """An initializer from its name (``"glorot_uniform"``) or an instance."""
    if isinstance(identifier, Initializer):
        return identifier
    return lookup("initializer", identifier, INITIALIZERS)()


def from_config(config: dict[str, Any]) -> Initializer:
    """Rebuild an initializer from ``get_config()``."""
    return from_config_of("initializer", config, INITIALIZERS)
