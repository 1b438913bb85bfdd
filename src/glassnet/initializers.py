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
import os
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._names import config_repr, lookup
from glassnet._names import from_config as from_config_of
from glassnet._validation import finite_float, shown, whole_number

Shape = tuple[int, ...]

#: the most bytes glassnet lets one initializer use to make a weight array (the array itself and
#: the float64 draws behind it): 4 GiB, or half the machine's memory when that is less. Raise it
#: if you have the memory; a request beyond it is refused with the estimate, not a MemoryError.
MAX_ALLOCATION_BYTES = 4 * 2**30
_CHUNK = 2**20  # float64 draws made at a time for a float32 array: 8 MB of scratch, not 2x the size


def memory_limit() -> int:
    """The bytes one allocation may take: ``min(MAX_ALLOCATION_BYTES, physical memory / 2)``
    (the physical memory from ``os.sysconf`` where the system has it)."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return MAX_ALLOCATION_BYTES
    return min(MAX_ALLOCATION_BYTES, physical // 2) if physical > 0 else MAX_ALLOCATION_BYTES


def check_allocation(nbytes: int, what: str) -> None:
    """Refuse, before allocating, ``what`` (e.g. "weights of shape (2, 10) in float32") when
    its estimated ``nbytes`` exceed ``memory_limit()``: a ValueError with both numbers.

    >>> try:
    ...     check_allocation(8 * 10**12, "weights of shape (10**6, 10**6)")
    ... except ValueError as error:
    ...     print(str(error).split(", more")[0])
    weights of shape (10**6, 10**6) would take about 7450.6 GiB (8,000,000,000,000 bytes)
    """
    limit = memory_limit()
    if nbytes > limit:
        raise ValueError(
            f"{what} would take about {_size(nbytes)}, more than glassnet "
            f"allows: {_gib(limit)} (glassnet.initializers.MAX_ALLOCATION_BYTES, "
            f"or half this machine's memory if less). Use fewer units, inputs or examples; if "
            f"the memory is there, raise glassnet.initializers.MAX_ALLOCATION_BYTES."
        )


def _size(nbytes: int) -> str:
    """``nbytes`` in GiB and bytes; one beyond 10**20 by its power of ten (10**400 examples:
    ``str`` of it is 403 digits, and a float cannot hold it)."""
    if nbytes < 10**20:
        return f"{_gib(nbytes)} ({nbytes:,} bytes)"
    return f"10**{int(int(nbytes).bit_length() * math.log10(2))} bytes"


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def _check(shape: Shape, dtype: DTypeLike, scratch_per_value: int = 0) -> None:
    """check_allocation for an array of ``shape`` and ``dtype``, plus ``scratch_per_value``
    bytes of working memory per value."""
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

    def __init__(self, seed: int | None = None) -> None:
        largest = LARGEST_SEED if isinstance(self, RandomUniform) else None
        self.seed = _seed(seed, type(self).__name__, largest)
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
        low = finite_float(minval, "RandomUniform's minval")
        high = finite_float(maxval, "RandomUniform's maxval")
        if not low < high:
            raise ValueError(
                f"RandomUniform expects finite minval < maxval, got minval={low!r}, "
                f"maxval={high!r}."
            )
        super().__init__(seed)
        self.minval = low
        self.maxval = high

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        if self.seed is not None:
            if self._rng is None:
                self._rng = np.random.RandomState(self.seed)
            return _uniform(self._rng.uniform, self.minval, self.maxval, shape, dtype)
        return _uniform(self._stream(rng).uniform, self.minval, self.maxval, shape, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class GlorotUniform(_Seeded):
    """Uniform on [-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)) (Keras's default)."""

    name = "glorot_uniform"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, fan_out = _fans(shape)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return _uniform(self._stream(rng).uniform, -limit, limit, shape, dtype)


class HeNormal(_Seeded):
    """Truncated normal, mean 0, standard deviation sqrt(2 / fan_in), as Keras's ``HeNormal``.

    Draws beyond two standard deviations are drawn again; the pre-truncation deviation is
    divided by 0.8796..., so that the truncated distribution has variance 2 / fan_in.
    """

    name = "he_normal"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, _ = _fans(shape)
        stddev = math.sqrt(2.0 / fan_in) / TRUNCATION_CORRECTION
        return _truncated(self._stream(rng), 0.0, stddev, shape, dtype)


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


class GlorotNormal(_Seeded):
    """Truncated normal, mean 0, standard deviation sqrt(2 / (fan_in + fan_out)) after the
    truncation at 2 deviations (Keras's ``GlorotNormal``: VarianceScaling(1, "fan_avg",
    "truncated_normal"), the pre-truncation deviation divided by 0.8796...)."""

    name = "glorot_normal"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, fan_out = _fans(shape)
        stddev = math.sqrt(2.0 / (fan_in + fan_out)) / TRUNCATION_CORRECTION
        return _truncated(self._stream(rng), 0.0, stddev, shape, dtype)


class LecunNormal(_Seeded):
    """Truncated normal, mean 0, standard deviation sqrt(1 / fan_in) after the truncation
    (Keras's ``LecunNormal``: VarianceScaling(1, "fan_in", "truncated_normal")); SELU's match."""

    name = "lecun_normal"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, _ = _fans(shape)
        stddev = math.sqrt(1.0 / fan_in) / TRUNCATION_CORRECTION
        return _truncated(self._stream(rng), 0.0, stddev, shape, dtype)


class HeUniform(_Seeded):
    """Uniform on [-limit, limit], limit = sqrt(6 / fan_in) (Keras's ``HeUniform``:
    VarianceScaling(2, "fan_in", "uniform"), limit = sqrt(3 * scale / fan_in))."""

    name = "he_uniform"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, _ = _fans(shape)
        limit = math.sqrt(6.0 / fan_in)
        return _uniform(self._stream(rng).uniform, -limit, limit, shape, dtype)


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


#: the largest mean or standard deviation a normal initializer takes: float32's largest
MAX_WEIGHT_SCALE = float(np.finfo(np.float32).max)


class RandomNormal(_Seeded):
    """Normal with ``mean`` and ``stddev`` (Keras's defaults 0.0 and 0.05)."""

    name = "random_normal"

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean, self.stddev = _normal_settings("RandomNormal", mean, stddev)
        super().__init__(seed)

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        _check(shape, dtype, 8)
        values = self._stream(rng).normal(self.mean, self.stddev, size=shape)
        return values.astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal with ``mean`` and ``stddev``, draws beyond 2 ``stddev`` from the mean drawn again
    (Keras's ``TruncatedNormal``: ``stddev`` is the deviation before the truncation, so the
    values' own is about 0.88 of it; defaults 0.0 and 0.05)."""

    name = "truncated_normal"

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean, self.stddev = _normal_settings("TruncatedNormal", mean, stddev)
        _Seeded.__init__(self, seed)

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        return _truncated(self._stream(rng), self.mean, self.stddev, shape, dtype)


class Orthogonal(_Seeded):
    """An orthogonal matrix times ``gain`` (Keras's ``Orthogonal``): the kernel, flattened to
    (prod(shape[:-1]), shape[-1]) = (rows, cols), has orthonormal columns (rows >= cols) or rows.
    From a standard normal A of shape (max, min): Q, R = qr(A); Q *= sign(diag(R)) (so the draw
    is uniform over orthogonal matrices); Q transposed when rows < cols."""

    name = "orthogonal"

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        value = finite_float(gain, "Orthogonal's gain")
        if not 0 < value <= MAX_WEIGHT_SCALE:
            raise ValueError(f"Orthogonal expects gain > 0 (e.g. 1.0), got {value!r}.")
        self.gain = value
        super().__init__(seed)

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal needs a weight of at least 2 dimensions (a kernel), got shape "
                f"{tuple(shape)}. Use it as kernel_initializer, not for a bias."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        _check((max(rows, cols), max(rows, cols)), dtype, 8 * 3)  # A, Q, R in float64
        a = self._stream(rng).normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)  # (max, min) and (min, min)
        q *= np.sign(np.diag(r))  # each column's sign fixed by R's diagonal
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "gain": self.gain, "seed": self.seed}


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


class LecunUniform(_Seeded):
    """Uniform on [-limit, limit], limit = sqrt(3 / fan_in) (Keras's ``LecunUniform``:
    VarianceScaling(1, "fan_in", "uniform"), limit = sqrt(3 * scale / fan_in))."""

    name = "lecun_uniform"

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, _ = _fans(shape)
        limit = math.sqrt(3.0 / fan_in)
        return _uniform(self._stream(rng).uniform, -limit, limit, shape, dtype)


#: VarianceScaling's settings, as Keras 3 names them
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def _choice(value: Any, setting: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"VarianceScaling's {setting} must be one of {', '.join(map(repr, allowed))}, got "
            f"{type(value).__name__} {shown(value, 40)}."
        )
    return value


class VarianceScaling(_Seeded):
    """Keras's ``VarianceScaling(scale, mode, distribution)``, of which the named ones are cases
    (GlorotUniform is ``(1, "fan_avg", "uniform")``, HeNormal ``(2, "fan_in",
    "truncated_normal")``, LecunUniform ``(1, "fan_in", "uniform")``). With n the fan of
    ``mode`` (fan_avg: (fan_in + fan_out) / 2; a conv kernel's fans count kh * kw) and
    s = scale / max(1, n):

        truncated_normal    normal, redrawn beyond 2 deviations, stddev sqrt(s) / 0.8796...
        untruncated_normal  normal, stddev sqrt(s)
        uniform             uniform on [-limit, limit], limit = sqrt(3 s)

    ``distribution="normal"`` is taken as "truncated_normal", as Keras does. Keras 3's
    ``input_axes`` / ``output_axes`` (fans over other axes) are not offered."""

    name = "variance_scaling"

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ) -> None:
        value = finite_float(scale, "VarianceScaling's scale")
        if not value > 0:
            raise ValueError(f"VarianceScaling's scale must be > 0 (e.g. 1.0), got {value!r}.")
        self.scale = value
        self.mode = _choice(mode, "mode", MODES)
        if isinstance(distribution, str):
            distribution = distribution.lower()
            distribution = "truncated_normal" if distribution == "normal" else distribution
        self.distribution = _choice(distribution, "distribution", DISTRIBUTIONS)
        super().__init__(seed)

    def __call__(self, shape: Shape, dtype: DTypeLike, rng: np.random.Generator | None) -> NDArray:
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        stream = self._stream(rng)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / TRUNCATION_CORRECTION
            return _truncated(stream, 0.0, stddev, shape, dtype)
        if self.distribution == "untruncated_normal":
            _check(shape, dtype, 8)
            values = stream.normal(0.0, math.sqrt(scale), size=shape)
            return values.astype(dtype, copy=False)
        limit = math.sqrt(3.0 * scale)
        return _uniform(stream.uniform, -limit, limit, shape, dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


INITIALIZERS: dict[str, type[Initializer]] = {
    cls.name: cls
    for cls in (
        Zeros,
        Ones,
        Constant,
        Identity,
        RandomUniform,
        GlorotUniform,
        HeNormal,
        GlorotNormal,
        HeUniform,
        LecunNormal,
        LecunUniform,
        RandomNormal,
        TruncatedNormal,
        Orthogonal,
        VarianceScaling,
    )
}


#: the classes by Keras's class names, which its layers also take as strings
#: (``kernel_initializer="VarianceScaling"``, ``"HeNormal"``, ``"IdentityInitializer"``)
CLASS_NAMES: dict[str, type[Initializer]] = {
    **{cls.__name__: cls for cls in INITIALIZERS.values()},
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
}


def get(identifier: str | Initializer) -> Initializer:
    """An initializer from its name (``"glorot_uniform"``) or an instance."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str) and identifier in CLASS_NAMES:  # Keras's "HeNormal" too
        return CLASS_NAMES[identifier]()
    return lookup("initializer", identifier, INITIALIZERS)()


def from_config(config: dict[str, Any]) -> Initializer:
    """Rebuild an initializer from ``get_config()``."""
    return from_config_of("initializer", config, INITIALIZERS)


#: Keras's other spellings of the same classes (``keras.initializers.glorot_uniform`` is the
#: class ``GlorotUniform``; ``OrthogonalInitializer`` is ``Orthogonal``)
KERAS_ALIASES: dict[str, type[Initializer]] = {
    **INITIALIZERS,
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
}


def __getattr__(name: str) -> Any:
    if name in KERAS_ALIASES:
        return KERAS_ALIASES[name]
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)
