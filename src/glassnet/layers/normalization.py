"""``BatchNormalization``: each channel (feature) rescaled by its batch's mean and variance.

Keras 3's layer, argument for argument: ``axis=-1`` (the channel axis, counted with the batch as
axis 0, so -1 is the last), ``momentum=0.99``, ``epsilon=1e-3``, ``center=True`` (learn beta),
``scale=True`` (learn gamma). It follows ``Dense`` (batch, n) or ``Conv2D`` (batch, h, w, c);
the statistics are per index of ``axis``, taken over every other axis (batch and positions).

Forward, for each channel, over its m = batch * positions values::

    training:   mu = mean(a_prev)          var = mean((a_prev - mu)**2)   (biased: / m)
                moving_mean     <- moving_mean * momentum     + mu  * (1 - momentum)
                moving_variance <- moving_variance * momentum + var * (1 - momentum)
    inference:  mu = moving_mean           var = moving_variance
    x_hat = (a_prev - mu) / sqrt(var + epsilon) ;  a = gamma * x_hat + beta

The moving variance takes the **biased** batch variance, as Keras does (``ops.moments``);
PyTorch's ``running_var`` takes the unbiased one (m / (m - 1) times larger), and PyTorch's
``momentum`` is Keras's ``1 - momentum``. The outputs and gradients of the two agree exactly.

Weights, in Keras's order: gamma (if ``scale``), beta (if ``center``), moving_mean,
moving_variance. Only gamma and beta are trainable; the moving statistics are changed by the
training-mode forward pass alone (never by the optimizer), counted by ``summary()`` as
non-trainable parameters, returned by ``get_weights()`` and saved in model files.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from glassnet._header_bounds import MIN_POSITIVE, bounded
from glassnet._validation import float64_advice, shown
from glassnet.layers.core import Array, Layer, Shape, as_shape, show_shape

EXAMPLE = "BatchNormalization(momentum=0.99, epsilon=1e-3)"


class BatchNormalization(Layer):
    """a = gamma * (a_prev - mu) / sqrt(var + epsilon) + beta, per channel of ``axis``.

    >>> import numpy as np
    >>> layer = BatchNormalization()
    >>> layer.build(1, np.float64, None)
    >>> layer.forward(np.array([[1.0], [3.0]]), training=True).ravel()
    array([-0.99950037,  0.99950037])
    >>> layer.moving_mean, layer.moving_variance
    (array([0.02]), array([1.]))
    """

    kind = "BatchNormalization"
    base_name = "batch_normalization"  # the default layer name, as Keras spells it
    takes_images = True
    state_names = ("moving_mean", "moving_variance")  # non-trainable, after gamma and beta

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(
                f"BatchNormalization expects axis, the channel axis, to be an integer, got "
                f"{type(axis).__name__} {shown(axis, 20)}. Example: BatchNormalization(axis=-1)."
            )
        if not -4 <= axis <= 3 or axis in (0,):
            raise ValueError(
                f"BatchNormalization expects axis to be a channel axis: -1 (the last, channels "
                f"last as Keras), or 1 .. 3 counting the batch as axis 0, got {shown(axis, 20)} "
                f"(axis 0 is the batch). Example: BatchNormalization(axis=-1)."
            )
        self.axis = int(axis)
        self.momentum = _number(momentum, "momentum", 0.0, 1.0, "in [0, 1]")
        self.epsilon = _number(epsilon, "epsilon", 0.0, math.inf, "greater than 0")
        if self.epsilon <= 0.0:
            raise ValueError(
                f"BatchNormalization expects epsilon greater than 0 (it keeps sqrt(var + epsilon) "
                f"away from 0), got {shown(epsilon, 20)}. Example: {EXAMPLE}."
            )
        # an ordinary float32 number, as every epsilon in glassnet: 1e-50 is 0 there (a constant
        # channel then divides by 0), 1e39 is inf (every output becomes beta)
        bounded(self.epsilon, "BatchNormalization's epsilon", MIN_POSITIVE, "epsilon=1e-3")
        self.center = _flag(center, "center")
        self.scale = _flag(scale, "scale")
        self.parameter_names = (("gamma",) if self.scale else ()) + (
            ("beta",) if self.center else ()
        )

    # -- shapes ------------------------------------------------------------------------------
    def _channel_axis(self, input_shape: Shape) -> int:
        """The axis of the example shape (no batch) that holds the channels, or a clear error."""
        rank = len(input_shape) + 1  # with the batch
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"Layer '{self._display_name()}' (BatchNormalization) has axis={self.axis}, "
                f"which is not a channel axis of its input {show_shape(input_shape)} (rank "
                f"{rank}, batch first). Use axis=-1 (the last axis)."
            )
        return self.axis % rank - 1

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._channel_axis(input_shape)
        return input_shape

    def parameter_count_for(self, input_features: int | Shape) -> int:
        shape = as_shape(input_features)
        return len(self.parameter_names + self.state_names) * shape[self._channel_axis(shape)]

    def build(self, input_features: int | Shape, dtype: DTypeLike, rng: Any) -> None:
        shape = as_shape(input_features)
        channels = shape[self._channel_axis(shape)]
        # the axes the statistics are taken over, with the batch: every one but the channel's
        rank = len(shape) + 1
        self.reduce_axes = tuple(i for i in range(rank) if i != self.axis % rank)
        self.broadcast = tuple(channels if i == self.axis % rank else 1 for i in range(rank))
        ones, zeros = np.ones(channels, dtype=dtype), np.zeros(channels, dtype=dtype)
        if self.scale:
            self.gamma = ones.copy()  # (channels,), Keras's "ones"
            self.gamma_gradient = np.zeros_like(self.gamma)
        if self.center:
            self.beta = zeros.copy()  # (channels,), Keras's "zeros"
            self.beta_gradient = np.zeros_like(self.beta)
        self.moving_mean = zeros.copy()  # (channels,), non-trainable
        self.moving_variance = ones.copy()  # (channels,), non-trainable
        super().build(input_features, dtype, rng)

    # -- the two passes ----------------------------------------------------------------------
    def _channels(self, vector: Array) -> Array:
        return vector.reshape(self.broadcast)  # (channels,) -> broadcastable, e.g. (1, 1, 1, c)

    def forward(self, x: Array, training: bool = False) -> Array:
        """Training: mu, var of this batch (biased), and the moving statistics move towards
        them; inference: the moving statistics. x_hat = (a_prev - mu) / sqrt(var + eps);
        a = gamma * x_hat + beta. Shapes: a_prev, x_hat, a all (batch, ..., channels, ...)."""
        self._check_input(x)
        # frozen (trainable = False), it runs as in inference even in fit, as Keras 3's does: a
        # fine-tune keeps the statistics the layer learned
        self.training = training = bool(training) and self.trainable
        if training:
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
                mean = x.mean(axis=self.reduce_axes)  # mu: (channels,)
                variance = np.square(x - self._channels(mean)).mean(axis=self.reduce_axes)
            self._check_finite(x, mean, variance)  # before the moving statistics move
            self.moving_mean[...] = self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
            self.moving_variance[...] = self.moving_variance * self.momentum + variance * (
                1.0 - self.momentum
            )
        else:
            mean, variance = self.moving_mean.copy(), self.moving_variance.copy()
        self.mean, self.variance = mean, variance
        self.inverse_std = 1.0 / np.sqrt(variance + self.epsilon)  # 1 / sqrt(var + eps): (c,)
        self.x_hat = (x - self._channels(mean)) * self._channels(self.inverse_std)
        a = self.x_hat
        if self.scale:
            a = a * self._channels(self.gamma)
        if self.center:
            a = a + self._channels(self.beta)
        self.a = a
        return a

    def _check_finite(self, x: Array, mean: Array, variance: Array) -> None:
        """Refuse a batch whose mean or variance is not a number of the layer's dtype: inputs
        that hold inf or NaN, or inputs so large that their squares overflow (near 1e20 in
        float32, past 1e154 in float64): the moving variance would silently become inf."""
        dtype = self.moving_variance.dtype
        limit = np.finfo(dtype).max
        with np.errstate(invalid="ignore"):  # NaN compares False: refused with the overflows
            bad = np.flatnonzero(~((np.abs(mean) <= limit) & (variance <= limit)))
        if not bad.size:
            return
        where = f"Layer '{self._display_name()}' (BatchNormalization)"
        wider = float64_advice(dtype, " or build the model with dtype='float64'")
        not_finite = np.flatnonzero(~np.isfinite(x).all(axis=self.reduce_axes))
        if not_finite.size:
            raise ValueError(
                f"{where}: its input holds inf or NaN (channel {int(not_finite[0])}), so the "
                f"batch mean and variance are not numbers. Check the data (np.isfinite(x).all()) "
                f"and the layers before it: one may have overflowed {dtype.name} (scale the data "
                f"first{wider})."
            )
        raise ValueError(
            f"{where}: the batch mean or variance of channel {int(bad[0])} overflowed "
            f"{dtype.name} (its inputs are too large to square). Scale the data first (a "
            f"Rescaling or Normalization layer before it){wider}."
        )

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/dgamma = sum(dC/da * x_hat); dC/dbeta = sum(dC/da) (sums over all but the channel
        axis, m values each); with g = dC/da * gamma and m the count, in training:

            dC/da_prev = (1 / m) / sqrt(var + eps) * (m * g - sum(g) - x_hat * sum(g * x_hat))

        (the three terms: the direct path, through mu, through var); in inference mu and var
        are constants and dC/da_prev = g / sqrt(var + eps). Gradients are overwritten."""
        axes = self.reduce_axes
        if self.scale:
            self.gamma_gradient[...] = (grad_output * self.x_hat).sum(axis=axes)  # (channels,)
        if self.center:
            self.beta_gradient[...] = grad_output.sum(axis=axes)  # (channels,)
        if not need_input_gradient:
            return None
        g = grad_output * self._channels(self.gamma) if self.scale else grad_output  # dC/dx_hat
        inverse_std = self._channels(self.inverse_std)
        if self.training:
            m = g.size // self.inverse_std.size  # values per channel
            sum_g = self._channels(g.sum(axis=axes))
            sum_g_x_hat = self._channels((g * self.x_hat).sum(axis=axes))
            self.delta = inverse_std / m * (m * g - sum_g - self.x_hat * sum_g_x_hat)
        else:
            self.delta = g * inverse_std
        return self.delta  # dC/da_prev: (batch, ..., channels, ...)

    # -- description -------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
        }

    def __repr__(self) -> str:
        return (
            f"BatchNormalization(axis={self.axis}, momentum={self.momentum}, "
            f"epsilon={self.epsilon}, center={self.center}, scale={self.scale})"
        )


def _number(value: Any, what: str, low: float, high: float, wanted: str) -> float:
    """``value`` as a finite float in [low, high], or a clear error naming ``what``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"BatchNormalization expects {what} to be a real number {wanted}, got "
            f"{type(value).__name__} {shown(value, 20)}. Example: {EXAMPLE}."
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(
            f"BatchNormalization expects {what} to be a finite number {wanted}, got "
            f"{shown(value, 20)}. Example: {EXAMPLE}."
        )
    return number


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(
            f"BatchNormalization expects {what} to be True or False, got {type(value).__name__} "
            f"{shown(value, 20)}. Example: BatchNormalization({what}=False)."
        )
    return bool(value)
