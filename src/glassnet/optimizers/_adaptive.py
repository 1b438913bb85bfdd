"""The optimizers that scale each step by a running mean of g**2: RMSprop, Adam (and AMSGrad),
AdamW, Adagrad, as ``torch.optim``'s single-tensor code, step for step. Named in
``glassnet.optimizers``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet._header_bounds import bounded
from glassnet.optimizers._in_place import scratch_for
from glassnet.optimizers.base import Array, Optimizer, _check_rate, _epsilon, _flag
from glassnet.optimizers.schedules import LearningRateSchedule


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (``rho`` is PyTorch's ``alpha``).

    v <- rho * v + (1 - rho) * g**2
    (centered: m <- rho * m + (1 - rho) * g, and v - m**2 replaces v below)
    W <- W - lr * g / (sqrt(v) + epsilon)
    (momentum mu: b <- mu * b + g / (sqrt(v) + epsilon); W <- W - lr * b)
    """

    name = "rmsprop"
    state_slots = ("velocities", "averages", "momentums")
    nonnegative_slots = ("velocities",)

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.rho = _check_rate("rho", rho, 0.0, 1.0)
        self.momentum = _check_rate("momentum", momentum, 0.0, 1.0)
        self.epsilon = _epsilon(epsilon)
        self.centered = _flag(centered, "centered")

    def build(self, parameters: list[Array]) -> None:
        super().build(parameters)
        self.velocities = [np.zeros_like(p) for p in parameters]  # v: running mean of g**2
        self.averages = [np.zeros_like(p) for p in parameters] if self.centered else []
        self.momentums = [np.zeros_like(p) for p in parameters] if self.momentum else []

    def _update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        """``_readable_update``'s numbers, each operation written into one scratch array per
        parameter (``scratch_for``) instead of five to seven new arrays a step; the readable
        rule where a rate that is not a Python float or a mixed dtype would round otherwise
        (tests/test_optimizer_in_place.py: the same bits)."""
        v = self.velocities[index]
        kept = [self.averages[index]] if self.centered else []
        kept += [self.momentums[index]] if self.momentum else []
        s = scratch_for(self, index, param, grad, v, *kept) if type(rate) is float else None
        if s is None:
            self._readable_update(index, param, grad, rate)
            return
        keep = 1.0 - self.rho
        v *= self.rho
        np.multiply(grad, keep, out=s)
        s *= grad
        v += s  # v <- rho v + ((1 - rho) g) g
        if self.centered:
            m = self.averages[index]
            np.subtract(grad, m, out=s)
            s *= keep
            m += s  # m <- m + (1 - rho) (g - m)
            np.multiply(m, m, out=s)
            np.subtract(v, s, out=s)  # v - m m
            np.sqrt(s, out=s)
        else:
            np.sqrt(v, out=s)
        s += self.epsilon  # denom
        np.divide(grad, s, out=s)  # g / denom
        if self.momentum:
            buf = self.momentums[index]
            buf *= self.momentum
            buf += s
            np.multiply(buf, rate, out=s)  # lr * b
        else:
            s *= rate  # lr * (g / denom)
        param -= s

    def _readable_update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        """The rule as the class docstring writes it, one NumPy expression per line."""
        v = self.velocities[index]
        v *= self.rho
        v += (1.0 - self.rho) * grad * grad  # v <- rho v + (1 - rho) g^2
        if self.centered:
            m = self.averages[index]
            m += (1.0 - self.rho) * (grad - m)  # m <- rho m + (1 - rho) g, as torch's lerp
            denom = np.sqrt(v - m * m) + self.epsilon
        else:
            denom = np.sqrt(v) + self.epsilon
        if self.momentum:
            buf = self.momentums[index]
            buf *= self.momentum
            buf += grad / denom
            param -= rate * buf
        else:
            param -= rate * (grad / denom)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``. With t the step number (1, 2, ...):

    m <- beta_1 * m + (1 - beta_1) * g            (first moment, the mean of g)
    v <- beta_2 * v + (1 - beta_2) * g**2         (second moment, the mean of g**2)
    W <- W - (lr / (1 - beta_1**t)) * m / (sqrt(v) / sqrt(1 - beta_2**t) + epsilon)

    ``amsgrad=True`` (AMSGrad, as PyTorch and Keras): v_max <- max(v_max, v) element by element,
    and sqrt(v_max) replaces sqrt(v) in the step, so a weight's step size never grows back.
    """

    name = "adam"
    state_slots = ("first_moments", "second_moments", "max_second_moments")
    nonnegative_slots = ("second_moments", "max_second_moments")

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.beta_1 = _check_rate("beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _check_rate("beta_2", beta_2, 0.0, 1.0)
        self.epsilon = _epsilon(epsilon)
        self.amsgrad = _flag(amsgrad, "amsgrad")

    def build(self, parameters: list[Array]) -> None:
        super().build(parameters)
        self.first_moments = [np.zeros_like(p) for p in parameters]  # m
        self.second_moments = [np.zeros_like(p) for p in parameters]  # v
        # v_max, the largest v so far (AMSGrad only)
        self.max_second_moments = [np.zeros_like(p) for p in parameters] if self.amsgrad else []

    def _update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        """``_readable_update``'s numbers, each operation written into one scratch array per
        parameter (``scratch_for``) instead of nine new arrays a step; the readable rule where
        a rate that is not a Python float or a mixed dtype would round otherwise
        (tests/test_optimizer_in_place.py: the same bits)."""
        m, v = self.first_moments[index], self.second_moments[index]
        kept = [self.max_second_moments[index]] if self.amsgrad else []
        s = scratch_for(self, index, param, grad, m, v, *kept) if type(rate) is float else None
        if s is None:
            self._readable_update(index, param, grad, rate)
            return
        t = self.iterations
        np.subtract(grad, m, out=s)
        s *= 1.0 - self.beta_1
        m += s  # m <- m + (1 - beta_1) (g - m)
        v *= self.beta_2
        np.multiply(grad, 1.0 - self.beta_2, out=s)
        s *= grad
        v += s  # v <- beta_2 v + ((1 - beta_2) g) g
        if self.amsgrad:
            v_max = self.max_second_moments[index]
            np.maximum(v_max, v, out=v_max)  # v_max <- max(v_max, v)
            v = v_max
        np.sqrt(v, out=s)
        s /= math.sqrt(1.0 - self.beta_2**t)
        s += self.epsilon  # denom
        np.divide(m, s, out=s)  # m / denom
        s *= rate / (1.0 - self.beta_1**t)  # step_size * (m / denom)
        param -= s

    def _readable_update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        """The rule as the class docstring writes it, one NumPy expression per line."""
        t = self.iterations
        m, v = self.first_moments[index], self.second_moments[index]
        m += (1.0 - self.beta_1) * (grad - m)  # = beta_1 m + (1 - beta_1) g, torch's lerp form
        v *= self.beta_2
        v += (1.0 - self.beta_2) * grad * grad
        if self.amsgrad:
            v_max = self.max_second_moments[index]
            np.maximum(v_max, v, out=v_max)  # v_max <- max(v_max, v)
            v = v_max
        step_size = rate / (1.0 - self.beta_1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - self.beta_2**t) + self.epsilon
        param -= step_size * (m / denom)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
        if self.amsgrad:  # only when set, so files and reprs from before amsgrad read the same
            config["amsgrad"] = True
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW`` and Keras's ``AdamW``:

    W <- W * (1 - lr * weight_decay), then Adam's step (``Adam``) with the same lr.

    The default ``weight_decay=0.004`` is Keras's (PyTorch's is 0.01); ``epsilon=1e-7`` is
    Keras's (PyTorch's ``eps`` is 1e-8). Any optimizer takes ``weight_decay=`` the same way;
    AdamW only makes it on by default, as Keras's does.
    """

    name = "adamw"

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        if weight_decay is None:
            raise ValueError(
                "AdamW needs a weight_decay (e.g. 0.004, Keras's default); for none use Adam."
            )
        super().__init__(
            learning_rate,
            beta_1,
            beta_2,
            epsilon,
            amsgrad,
            weight_decay,
            clipnorm,
            clipvalue,
            global_clipnorm,
        )


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` with Keras's defaults:

    acc <- acc + g**2                 (every squared gradient so far; starts at
                                       ``initial_accumulator_value``, Keras's 0.1)
    W <- W - lr * g / (sqrt(acc) + epsilon)

    Keras writes the step as lr * g / sqrt(acc + epsilon); with the default start of 0.1 the two
    differ by less than float32's rounding (a relative 1.6e-7 at most for epsilon=1e-7).
    PyTorch's default ``initial_accumulator_value`` is 0 and its ``eps`` 1e-10.
    """

    name = "adagrad"
    state_slots = ("accumulators",)
    nonnegative_slots = ("accumulators",)

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        start = _check_rate("initial_accumulator_value", initial_accumulator_value)
        self.initial_accumulator_value = bounded(
            start, "initial_accumulator_value", 0.0, "initial_accumulator_value=0.1"
        )
        self.epsilon = _epsilon(epsilon)

    def build(self, parameters: list[Array]) -> None:
        super().build(parameters)
        start = self.initial_accumulator_value
        self.accumulators = [np.full_like(p, start) for p in parameters]  # acc

    def _update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        """``_readable_update``'s numbers in one scratch array per parameter (as Adam's)."""
        acc = self.accumulators[index]
        s = scratch_for(self, index, param, grad, acc) if type(rate) is float else None
        if s is None:
            self._readable_update(index, param, grad, rate)
            return
        np.multiply(grad, grad, out=s)
        acc += s  # acc <- acc + g g
        np.sqrt(acc, out=s)
        s += self.epsilon
        np.divide(grad, s, out=s)  # g / (sqrt(acc) + epsilon)
        s *= rate
        param -= s

    def _readable_update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        """The rule as the class docstring writes it."""
        acc = self.accumulators[index]
        acc += grad * grad  # acc <- acc + g^2
        param -= rate * (grad / (np.sqrt(acc) + self.epsilon))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
