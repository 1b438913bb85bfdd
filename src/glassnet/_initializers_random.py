"""The initializers that draw: uniform (RandomUniform, GlorotUniform, HeUniform,
LecunUniform), normal (RandomNormal, and truncated at 2 deviations: TruncatedNormal, HeNormal,
GlorotNormal, LecunNormal), Orthogonal, and VarianceScaling, of which most are cases.

Each draws from the model's generator, or from a stream of its own when given a ``seed``
(``_initializer_base._Seeded``). Named and looked up in ``glassnet.initializers``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._initializer_base import (
    LARGEST_SEED,
    MAX_WEIGHT_SCALE,
    TRUNCATION_CORRECTION,
    Shape,
    _check,
    _fans,
    _normal_settings,
    _Seeded,
    _truncated,
    _uniform,
)
from glassnet._validation import finite_float, shown


class RandomUniform(_Seeded):
    """Uniform on [minval, maxval): w = minval + (maxval - minval) * u, u ~ U[0, 1).

    With a ``seed``, the draws come from NumPy's legacy ``RandomState(seed)``, the generator behind
    ``np.random.seed`` and ``np.random.random``, so ``RandomUniform(0, 1, seed=1)`` shared by
    two layers gives exactly the notebook's ``np.random.seed(1)``, ``random((3, 4))``,
    ``random((4, 1))``. Defaults are Keras's (-0.05, 0.05).
    """

    name = "random_uniform"
    _largest_seed = LARGEST_SEED  # its seed goes to NumPy's legacy RandomState

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
