"""What every initializer shares: the base class, its seeded stream, fans, checked settings,
and the draws made within the memory bound (``glassnet.initializers.check_allocation``).

The initializers themselves are in ``_initializers_fixed.py`` (Zeros, Ones, Constant,
Identity) and ``_initializers_random.py`` (uniform, normal, truncated, orthogonal, variance
scaling); ``glassnet.initializers`` is where they are named, looked up and bounded.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._names import config_repr
from glassnet._validation import finite_float, shown, whole_number

Shape = tuple[int, ...]

_CHUNK = 2**20  # float64 draws made at a time for a float32 array: 8 MB of scratch, not 2x the size


def _check(shape: Shape, dtype: DTypeLike, scratch_per_value: int = 0) -> None:
    """check_allocation for an array of ``shape`` and ``dtype``, plus ``scratch_per_value``
    bytes of working memory per value. (``check_allocation`` is imported here, when an array is
    made: glassnet.initializers, where its bound MAX_ALLOCATION_BYTES is set, imports this.)"""
    from glassnet.initializers import check_allocation

    size = math.prod(shape)
    dtype = np.dtype(dtype)
    what = f"weights of shape {tuple(shape)} in {dtype.name}"
    check_allocation(size * (dtype.itemsize + scratch_per_value), what)


def _uniform(draw: Any, low: float, high: float, shape: Shape, dtype: DTypeLike) -> NDArray:
    """``draw(low, high, size=shape).astype(dtype)`` without a float64 array of the full size
    when ``dtype`` is narrower: the draws are made in chunks, in order, so the numbers are the
    same bit for bit (a uniform draw takes one value of the stream per number)."""
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    if dtype == np.float64 or size <= _CHUNK:
        _check(shape, dtype, 0 if dtype == np.float64 else 8)
        return draw(low, high, size=shape).astype(dtype, copy=False)
    _check(shape, dtype)
    values = np.empty(size, dtype=dtype)
    for start in range(0, size, _CHUNK):
        stop = min(start + _CHUNK, size)
        values[start:stop] = draw(low, high, size=stop - start)
    return values.reshape(shape)


#: the standard deviation of a standard normal truncated to [-2, 2]: Keras's VarianceScaling
#: divides by it so the truncated draws keep the variance asked for
TRUNCATION_CORRECTION = 0.87962566103423978


def _truncated(
    stream: np.random.Generator, mean: float, stddev: float, shape: Shape, dtype: DTypeLike
) -> NDArray:
    """mean + stddev * u, u standard normal redrawn until |u| <= 2 (Keras's truncation)."""
    _check(shape, dtype, 8 + 1 + 8)  # float64 draws, the mask of tails, the scaled copy
    values = stream.normal(0.0, 1.0, size=shape)
    outside = np.abs(values) > 2.0
    while outside.any():  # redraw the tails until every value is within 2 deviations
        values[outside] = stream.normal(0.0, 1.0, size=int(outside.sum()))
        outside = np.abs(values) > 2.0
    return (values * stddev + mean).astype(dtype, copy=False)


def _fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel of shape (n_in, units), or of a convolution kernel
    (kh, kw, in, out) as Keras computes them: receptive field kh * kw times in (or out)."""
    if len(shape) == 2:
        fans = shape[0], shape[1]
    elif len(shape) > 2:
        receptive = math.prod(shape[:-2])  # kh * kw
        fans = shape[-2] * receptive, shape[-1] * receptive
    else:
        fans = (math.prod(shape),) * 2
    # at least 1, as Keras's max(1, fan): a fan of 0 is an empty array, whose limit is unused
    return max(fans[0], 1), max(fans[1], 1)


class Initializer:
    """Base class: ``__call__(shape, dtype, rng) -> array``."""

    name = "initializer"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return config_repr(self)


#: the largest seed of RandomUniform: NumPy's legacy RandomState (np.random.seed) takes 0 ..
#: 2**32 - 1; the others draw from ``np.random.default_rng(seed)``, which takes any size
LARGEST_SEED = 2**32 - 1


def _seed(seed: Any, owner: str, largest: int | None = None) -> int | None:
    """A layer's or initializer's ``seed``: None, or a whole number 0 .. ``largest`` (no bound
    when None: NumPy's ``default_rng`` takes any whole number >= 0)."""
    if seed is None:
        return None
    return whole_number(seed, f"{owner}'s seed (or None)", 0, largest)


class _Seeded(Initializer):
    """An initializer that draws from its own stream when given a ``seed``."""

    #: the largest seed it takes (None: any size); RandomUniform's is LARGEST_SEED
    _largest_seed: int | None = None

    def __init__(self, seed: int | None = None) -> None:
        self.seed = _seed(seed, type(self).__name__, self._largest_seed)
        self._rng: np.random.Generator | np.random.RandomState | None = None

    def _stream(self, rng: np.random.Generator | None) -> np.random.Generator:
        if self.seed is not None:
            if self._rng is None:
                self._rng = np.random.default_rng(self.seed)
            return self._rng  # type: ignore[return-value]
        return rng if rng is not None else np.random.default_rng()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed}


def _scalar(value: Any, owner: str, setting: str, example: str) -> float:
    """One finite real number for ``owner``'s ``setting`` (Keras's ``Constant`` and ``Identity``
    take a Python scalar): True/False, strings, arrays (even 0-d), NaN, inf and integers beyond
    float64 are refused, saying why. A value beyond float32 passes here (a float64 model holds
    it); a float32 model refuses it when the layer is built (``Sequential._build_layer``)."""
    if isinstance(value, np.ndarray | list | tuple):
        raise TypeError(
            f"{owner} expects one number for {setting} (a scalar, as Keras's), got "
            f"{type(value).__name__} {shown(value, 20)}. Use e.g. {example}; for weights of "
            f"your own, build the layer and call set_weights."
        )
    if isinstance(value, bool | np.bool_):
        raise TypeError(
            f"{owner} expects a number for {setting}, got bool {bool(value)}. Write the number: "
            f"{owner}({setting}={float(value)})."
        )
    try:
        return finite_float(value, setting)
    except TypeError:
        raise TypeError(
            f"{owner} expects a number for {setting}, got {type(value).__name__} "
            f"{shown(value, 20)}. Use e.g. {example}."
        ) from None
    except ValueError:
        raise ValueError(
            f"{owner} expects a finite number for {setting}, got {shown(value, 20)}; a NaN, "
            f"infinite or beyond-float64 weight would make every output NaN. Use e.g. {example}."
        ) from None


#: the largest mean or standard deviation a normal initializer takes: float32's largest
MAX_WEIGHT_SCALE = float(np.finfo(np.float32).max)


def _normal_settings(owner: str, mean: object, stddev: object) -> tuple[float, float]:
    center = finite_float(mean, f"{owner}'s mean")
    spread = finite_float(stddev, f"{owner}'s stddev")
    if not 0 < spread <= MAX_WEIGHT_SCALE or abs(center) > MAX_WEIGHT_SCALE:
        raise ValueError(
            f"{owner} expects stddev > 0 and |mean|, stddev at most {MAX_WEIGHT_SCALE:.3g} (an "
            f"ordinary float32 number), got mean={center!r}, stddev={spread!r}. Use e.g. "
            f"{owner}(mean=0.0, stddev=0.05)."
        )
    return center, spread
