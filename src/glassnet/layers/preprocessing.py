"""Preprocessing layers: the model carries its own input scaling, as Keras's do.

A network trained on pixels divided by 16 must be fed pixels divided by 16 forever after; when the
division is a layer of the model, ``predict`` takes the raw pixels and the saved file remembers
the scaling. Both layers have **no trainable weights**: backward passes the gradient through (for
``check_gradients(check_input=True)`` and for a preprocessing layer in the middle of a network)
and fills no parameter gradient.

- ``Rescaling(scale, offset=0.0)``:  a = a_prev * scale + offset.
- ``Normalization(axis=-1, mean=None, variance=None)``:  a = (a_prev - mean) / sqrt(variance),
  with ``mean`` and ``variance`` given or learnt by ``adapt(x)`` (a non-trainable state, counted
  by ``summary()`` as Keras counts it).

Shapes: a_prev and a are (batch, n_features) or images (batch, height, width, channels), the
layer working elementwise (Rescaling) or per feature / per channel (Normalization).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from glassnet._validation import as_features
from glassnet.layers._preprocessing_arguments import (
    fits,
    normalization_axis,
    real_number,
    statistic,
)
from glassnet.layers.core import Array, Layer, Shape, as_shape, show_shape

#: Keras's ``backend.epsilon()``: Normalization divides by max(sqrt(variance), EPSILON)
EPSILON = 1e-7


class Rescaling(Layer):
    """Multiply every input by ``scale`` and add ``offset``: a = a_prev * scale + offset.

    As ``keras.layers.Rescaling``: pixels in [0, 255] become [0, 1] with ``scale=1/255``, and
    [-1, 1] with ``scale=1/127.5, offset=-1``. Applied in training and in ``predict`` alike, so a
    saved model takes the raw data. ``scale`` and ``offset`` are single numbers (Keras also takes
    one per channel; glassnet does not yet). A zero scale is refused: it would erase every input.

    Shapes: a_prev (batch, n) -> a (batch, n). No weights.

    >>> import numpy as np
    >>> layer = Rescaling(1 / 16)
    >>> layer.build(2, np.float64, None)
    >>> layer.forward(np.array([[16.0, 8.0]]))
    array([[1. , 0.5]])
    """

    kind = "Rescaling"

    def __init__(self, scale: float, offset: float = 0.0, name: str | None = None) -> None:
        super().__init__(name)
        self.scale = real_number(scale, "Rescaling's scale", "Rescaling(1 / 255)")
        self.offset = real_number(offset, "Rescaling's offset", "Rescaling(1 / 127.5, -1.0)")
        if self.scale == 0.0:
            raise ValueError(
                "Rescaling's scale must not be 0: every input would become the offset and the "
                "network could learn nothing from them. Example: Rescaling(1 / 255)."
            )

    def build(self, input_features: int, dtype: DTypeLike, rng: np.random.Generator) -> None:
        dtype = np.dtype(dtype)
        for what, value in (("scale", self.scale), ("offset", self.offset)):
            if not fits(value, dtype):
                raise ValueError(
                    f"Layer '{self._display_name()}' (Rescaling): {what}={value!r} is too large "
                    f"for {dtype.name}. Build the model with dtype='float64'."
                )
        self._scale = dtype.type(self.scale)  # cast once, as Keras casts to the compute dtype
        self._offset = dtype.type(self.offset)
        super().build(input_features, dtype, rng)

    def forward(self, x: Array, training: bool = False) -> Array:
        """a = a_prev * scale + offset. (batch, n) -> (batch, n)."""
        self._check_input(x)
        if self._scale.dtype != x.dtype:  # a float64 twin (gradient checks, parity)
            self._scale, self._offset = x.dtype.type(self.scale), x.dtype.type(self.offset)
        self.a = x * self._scale + self._offset  # (batch, n)
        return self.a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/da_prev = dC/da * scale. No weights, so no parameter gradient."""
        if not need_input_gradient:
            self.delta = None  # the first layer: no one needs dC/dx
            return None
        self.delta = grad_output * self._scale  # (batch, n)
        return self.delta

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        return self.backward(delta, need_input_gradient)

    @property
    def slope(self) -> Array:
        """da/da_prev, the same for every entry: scale."""
        return np.asarray(self._scale)

    def trace_equations(self, prev: str, out: str) -> tuple[str, str]:
        """The forward rule and the slope da/da_prev, with this layer's numbers (for the trace)."""
        return (
            f"{out} = {prev} * {self.scale:g} + {self.offset:g}",
            f"d{out}/d{prev} = scale = {self.scale:g}",
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}

    def __repr__(self) -> str:
        return f"Rescaling({self.scale:g}, offset={self.offset:g})"


class Normalization(Layer):
    """Shift and scale each feature to mean 0 and variance 1: a = (a_prev - mean) / sqrt(variance).

    As ``keras.layers.Normalization``: ``mean`` and ``variance`` are given, or learnt from data by
    ``adapt(x)`` (the population variance, ``np.var``), and the divisor is floored as Keras floors
    it: a = (a_prev - mean) / max(sqrt(variance), 1e-7), so a constant feature gives 0, not NaN.

    ``axis=-1`` (or 1) keeps one mean and variance per feature, shape (n,); ``axis=None`` one
    number for all. The batch axis (0) cannot be kept. On images (batch, height, width,
    channels), ``axis=-1`` keeps one mean and variance per channel, shape (channels,), taken over
    every example and position, as Keras's default does (Keras's other axes, one mean per row or
    column, are refused). ``mean`` and ``variance`` are a
    non-trainable state: the optimizer never changes them, and ``summary()`` counts an adapted
    layer's mean, variance and sample count as non-trainable parameters (2n + 1), as Keras does
    (a layer given ``mean``/``variance`` holds constants, counted 0). Unlike Keras, which quietly
    uses mean 0 and variance 1, a layer neither adapted nor given ``mean``/``variance`` refuses to
    run. ``invert`` is not supported.

    Shapes: a_prev (batch, n) -> a (batch, n), or (batch, h, w, c) -> (batch, h, w, c); mean and
    variance (n,) or (c,), or () for ``axis=None``.

    >>> import numpy as np
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0, 7.0], [2.0, 9.0]]))
    >>> layer.mean, layer.variance
    (array([1., 8.]), array([1., 1.]))
    >>> layer.build(2, np.float64, None)
    >>> layer.forward(np.array([[1.0, 10.0]]))
    array([[0., 2.]])
    """

    kind = "Normalization"
    takes_images = True  # per channel, the last axis

    def __init__(
        self,
        axis: int | tuple[int, ...] | None = -1,
        mean: ArrayLike | None = None,
        variance: ArrayLike | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.axis = normalization_axis(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                f"Normalization needs mean and variance together, or neither (then call "
                f"adapt(x)). Received: mean={mean!r} and variance={variance!r}."
            )
        self.adapted = False
        self.count = 0  # examples seen by adapt (Keras keeps a count weight too)
        self.mean: np.ndarray | None = None
        self.variance: np.ndarray | None = None
        if mean is not None:
            self._set_state(statistic(mean, "mean"), statistic(variance, "variance"))

    def _set_state(self, mean: np.ndarray, variance: np.ndarray) -> None:
        if mean.shape != variance.shape:
            raise ValueError(
                f"Normalization's mean and variance must have the same shape, got mean shape "
                f"{mean.shape} and variance shape {variance.shape}."
            )
        if self.axis is None and mean.ndim != 0:
            raise ValueError(
                f"Normalization(axis=None) uses one mean and one variance for every input, got "
                f"mean of shape {mean.shape}. Pass single numbers, or use axis=-1 for one per "
                f"feature."
            )
        if (negative := np.flatnonzero(variance < 0)).size:
            raise ValueError(
                f"Normalization's variance must be >= 0 (it is a square), got "
                f"{float(variance.flat[negative[0]])!r} at position {int(negative[0])}. Pass "
                f"the variance, not a log-variance, or call adapt(x) to compute it."
            )
        features = self.input_shape[-1] if self.built else None  # features or channels
        if features is not None and mean.ndim == 1 and mean.shape[0] != features:
            raise ValueError(_width_message(self._display_name(), mean.shape[0], features))
        cast = self._cast(mean, variance, self.dtype) if self.built else None  # may refuse
        self.mean, self.variance = mean, variance  # changed only once every check has passed
        if cast is not None:
            self._mean, self._std = cast

    # -- learning the state ----------------------------------------------------------------------
    def adapt(self, data: ArrayLike) -> None:
        """Set mean and variance from ``data`` (n_samples, n_features) or images (n_samples,
        height, width, channels): the mean and the population variance (``np.var``, ddof 0) of
        each feature, of each channel over every example and position, or of everything for
        ``axis=None``. Computed in float64 whatever the data's dtype (Keras sums float32 data in
        float32, and loses digits on a feature of small spread around a large mean); call it
        before ``fit`` or ``predict``."""
        float64 = np.dtype(np.float64)
        if self.built:
            images = len(self.input_shape) > 1
        else:  # images: (n, height, width, channels); ragged lists: as_features says so
            try:
                images = np.ndim(data) == 4
            except ValueError:
                images = False
        if images:
            shape = self.input_shape if self.built else ()
            x = as_features(data, float64, "data", images=shape)  # (n, h, w, c)
        else:
            x = as_features(data, float64, "data")  # adapt's argument, by its name: (n, n_in)
        self._check_axis(x.shape[1:])
        if self.built and x.shape[1:] != self.input_shape:
            shape = self.input_shape
            built = f"{shape[0]} features" if len(shape) == 1 else f"images {show_shape(shape)}"
            raise ValueError(
                f"Layer '{self._display_name()}' (Normalization) was built for {built}, but "
                f"adapt() received data of shape {x.shape}."
            )
        # reduce every axis but the channels' (the features' for 2-D data), or all of them
        axis = None if self.axis is None else tuple(range(x.ndim - 1))
        with np.errstate(over="ignore", invalid="ignore"):
            mean, variance = np.mean(x, axis=axis), np.var(x, axis=axis)
        if not (np.isfinite(mean).all() and np.isfinite(variance).all()):
            raise ValueError(
                "adapt() received values so large that their variance overflows float64 "
                "(above about 1e154). Divide the data by a large constant first."
            )
        self._set_state(np.asarray(mean), np.asarray(variance))
        self.adapted, self.count = True, len(x)

    # -- building ------------------------------------------------------------------------------
    def _check_axis(self, example_shape: Shape) -> None:
        """Refuse Keras's axis=1 on images (one mean per row): glassnet keeps the channels'."""
        if len(example_shape) > 1 and self.axis == 1:
            raise ValueError(
                f"Layer '{self._display_name()}' (Normalization) has axis=1, which for input of "
                f"shape {show_shape(example_shape)} would keep one mean per row. Use axis=-1 (one "
                f"mean and variance per channel, Keras's default) or axis=None (one for all)."
            )

    def build(
        self, input_features: int | Shape, dtype: DTypeLike, rng: np.random.Generator
    ) -> None:
        shape = as_shape(input_features)
        self._check_axis(shape)
        width = shape[-1]  # the features, or an image's channels
        if self.mean is not None and self.mean.ndim == 1 and self.mean.shape[0] != width:
            raise ValueError(_width_message(self._display_name(), self.mean.shape[0], width))
        dtype = np.dtype(dtype)
        if self.mean is not None:  # refused before anything changes
            self._mean, self._std = self._cast(self.mean, self.variance, dtype)
        self.dtype = dtype
        super().build(input_features, dtype, rng)

    def _cast(
        self, mean: np.ndarray, variance: np.ndarray, dtype: np.dtype[Any]
    ) -> tuple[Array, Array]:
        """(mean, std = max(sqrt(variance), 1e-7)) in ``dtype``, ready for forward."""
        std = np.maximum(np.sqrt(variance), EPSILON)  # in float64: sqrt(1e60) fits float32
        with np.errstate(over="ignore"):
            mean, std = mean.astype(dtype), std.astype(dtype)
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            raise ValueError(
                f"Layer '{self._display_name()}' (Normalization): the mean or standard deviation "
                f"is too large for {dtype.name}. Build the model with dtype='float64'."
            )
        return mean, std  # () or (n,)

    def count_params(self) -> int:
        """Keras's count: an adapted layer holds mean (n), variance (n) and count (1) as
        non-trainable weights; one given mean and variance holds constants (0)."""
        return 2 * self.mean.size + 1 if self.built and self.adapted else 0

    def non_trainable_count(self) -> int:
        return self.count_params()

    # -- the two passes ----------------------------------------------------------------------
    def forward(self, x: Array, training: bool = False) -> Array:
        """a = (a_prev - mean) / max(sqrt(variance), 1e-7), mean and std broadcast along the last
        axis. (batch, n) -> (batch, n); (batch, h, w, c) -> (batch, h, w, c)."""
        self._check_input(x)
        if self.mean is None:
            raise ValueError(
                f"Layer '{self._display_name()}' (Normalization) has no mean and variance yet. "
                f"Call layer.adapt(x_train) before fit or predict, or pass them: "
                f"Normalization(mean=..., variance=...)."
            )
        if self._mean.dtype != x.dtype:  # a float64 twin (gradient checks, parity)
            self._mean, self._std = self._cast(self.mean, self.variance, x.dtype)
            self.dtype = x.dtype
        self.a = (x - self._mean) / self._std  # (batch, n) or (batch, h, w, c)
        return self.a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/da_prev = dC/da / max(sqrt(variance), 1e-7). No trainable weights."""
        if not need_input_gradient:
            self.delta = None  # the first layer: no one needs dC/dx
            return None
        self.delta = grad_output / self._std  # (batch, n) or (batch, h, w, c)
        return self.delta

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        return self.backward(delta, need_input_gradient)

    @property
    def slope(self) -> Array:
        """da/da_prev for each feature: 1 / max(sqrt(variance), 1e-7), () or (n,)."""
        return 1 / self._std

    def trace_equations(self, prev: str, out: str) -> tuple[str, str]:
        """The forward rule and the slope da/da_prev (for the trace)."""
        return (
            f"{out} = ({prev} - mean) / sqrt(variance)",
            f"d{out}/d{prev} = 1 / sqrt(variance)",
        )

    def get_config(self) -> dict[str, Any]:
        def listed(value: np.ndarray | None) -> Any:
            return None if value is None else value.tolist()  # exact: floats print round-trip

        return {
            **super().get_config(),
            "axis": self.axis,
            "mean": listed(self.mean),
            "variance": listed(self.variance),
            "adapted": self.adapted,
            "count": self.count,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Normalization:
        """Rebuild from ``get_config()``, adapted state included."""
        config = dict(config)
        adapted, count = config.pop("adapted", False), config.pop("count", 0)
        if not isinstance(adapted, bool) or isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(
                f"Normalization's saved 'adapted' must be true/false and 'count' an integer, got "
                f"{adapted!r} and {count!r}."
            )
        layer = cls(**config)
        layer.adapted, layer.count = adapted and layer.mean is not None, max(count, 0)
        return layer

    def __repr__(self) -> str:
        state = "adapted" if self.adapted else "not adapted" if self.mean is None else "given"
        return f"Normalization(axis={self.axis}, {state})"


def _width_message(name: str, given: int, features: int) -> str:
    return (
        f"Layer '{name}' (Normalization) has a mean and variance for {given} features, but its "
        f"input has {features} (features, or an image's channels). Give one value per feature or "
        f"channel, or adapt it on the training data."
    )
