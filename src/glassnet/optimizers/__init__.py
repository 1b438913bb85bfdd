"""Optimizers: turn each gradient g = dC/dW into a change of the parameter W.

The update rules are those of ``torch.optim`` (single-tensor code path), step for step, so that
float64 training matches PyTorch to rounding. The names and defaults are Keras's
(``learning_rate``, ``rho``, ``beta_1``, ``epsilon=1e-7``); pass PyTorch's values explicitly when
comparing with it (its ``eps`` is 1e-8 and its RMSprop ``alpha`` is 0.99).

Parameters are updated **in place**, so every reference to a weight array stays valid.

Bounds (``glassnet._header_bounds``, kept here and so by ``load_model`` too): ``learning_rate``
and ``epsilon`` in [1.2e-38, 3.4e38], ordinary nonzero float32 numbers (Adam's ``epsilon=0`` or
``1e-50``, which is 0 in float32, would divide by zero where a gradient is 0; PyTorch allows
``eps=0``, Keras checks nothing; a huge learning rate stays allowed, to watch training diverge);
``momentum``, ``rho``, ``beta_1``, ``beta_2`` in [0, 1). A config with a setting the optimizer
does not have is refused by name.

Every optimizer also takes Keras's ``weight_decay=`` (decoupled: W <- W * (1 - lr * wd) before
the rule), ``clipnorm=`` / ``clipvalue=`` / ``global_clipnorm=`` (Keras's clipping, applied to
the gradients first) and a schedule from ``glassnet.optimizers.schedules`` as
``learning_rate=`` (see ``glassnet.optimizers.base``). Where the rule differs from Keras's by
where epsilon sits (Adam: Keras adds it to sqrt(v) before the bias correction; Adagrad and
RMSprop: Keras takes sqrt(acc + eps)), the difference is below float32's rounding for the
defaults unless a running mean of g**2 falls near epsilon (a gradient that has gone to 0);
Keras's own golden numbers for Adagrad and Adam(amsgrad) hold here (the tests quote them). Its
AdamW golden run with ``epsilon=2`` does not, for the same reason.

>>> import numpy as np
>>> w, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
>>> sgd = SGD(learning_rate=0.1)
>>> sgd.build([w])
>>> sgd.apply([w], [g])
>>> w
array([0.95, 2.1 ])
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from glassnet._header_bounds import MIN_POSITIVE, bounded
from glassnet._names import from_config as from_config_of
from glassnet._names import lookup
from glassnet.optimizers import schedules
from glassnet.optimizers.base import Array, Optimizer, _check_rate
from glassnet.optimizers.schedules import LearningRateSchedule

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "LearningRateSchedule",
    "Optimizer",
    "RMSprop",
    "from_config",
    "get",
    "schedules",
]


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"Expected {name} to be True or False, got {type(value).__name__}.")
    return bool(value)


def _epsilon(value: object) -> float:
    return bounded(_check_rate("epsilon", value), "epsilon", MIN_POSITIVE, "epsilon=1e-7")


#: each optimizer's scratch arrays for ``plain_step``, one per parameter index (weakly keyed, so
#: they stay out of the optimizer's attributes, its state and its copies)
_SCRATCH: weakref.WeakKeyDictionary[Optimizer, dict[int, Array]] = weakref.WeakKeyDictionary()


def plain_step(optimizer: Optimizer, index: int, param: Array, grad: Array, rate: float) -> None:
    """``param -= rate * grad`` in place, the same numbers to the last bit, without allocating
    the product on every step: it goes into a scratch array kept per parameter (for the
    MNIST-sized MLP's first kernel, 0.8 MB a step). With ``rate == 1`` the product is ``grad``
    itself (``1.0 * g == g`` exactly), so nothing is multiplied. A rate that is not a Python
    float (a NumPy scalar would change the product's dtype) or a gradient of another dtype
    takes the plain rule."""
    if type(rate) is not float or grad.dtype != param.dtype:
        param -= rate * grad
        return
    if rate == 1.0:
        param -= grad
        return
    scratch = _SCRATCH.setdefault(optimizer, {})
    buffer = scratch.get(index)
    if buffer is None or buffer.shape != grad.shape or buffer.dtype != grad.dtype:
        buffer = scratch[index] = np.empty_like(grad)
    np.multiply(grad, rate, out=buffer)  # rate * grad
    param -= buffer


def scratch_for(optimizer: Optimizer, index: int, param: Array, *arrays: Array) -> Array | None:
    """The scratch array of parameter ``index`` (param's shape and dtype, made once and kept
    in ``_SCRATCH``) for an in-place update, or None when the update must take the readable
    rule: an array in ``arrays`` (the gradient, the state slots) of another shape or dtype,
    whose mixed arithmetic the scratch array would round differently."""
    for array in arrays:
        if array.dtype != param.dtype or array.shape != param.shape:
            return None
    scratch = _SCRATCH.setdefault(optimizer, {})
    buffer = scratch.get(index)
    if buffer is None or buffer.shape != param.shape or buffer.dtype != param.dtype:
        buffer = scratch[index] = np.empty_like(param)
    return buffer


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    Plain: W <- W - lr * g.
    Momentum mu: b <- mu * b + g (b = g at the first step); W <- W - lr * b.
    Nesterov: the same b, then W <- W - lr * (g + mu * b).
    """

    name = "sgd"
    state_slots = ("momentums",)

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.momentum = _check_rate("momentum", momentum, 0.0, 1.0)
        if nesterov and self.momentum == 0:
            raise ValueError("SGD(nesterov=True) needs momentum > 0, e.g. SGD(0.01, momentum=0.9).")
        self.nesterov = bool(nesterov)
        self.momentums: list[Array | None] = []

    def build(self, parameters: list[Array]) -> None:
        super().build(parameters)
        self.momentums = [None] * len(parameters)

    def apply(self, parameters: list[Array], gradients: list[Array]) -> None:
        """The base class's update; plain SGD (no momentum, weight decay, clipping or schedule:
        the seed's and the benchmarks') skips the steps that do nothing for it and goes straight
        to ``plain_step``, with the same numbers (tests/test_step_plan.py)."""
        if not self._plain():
            super().apply(parameters, gradients)
            return
        rate = self._learning_rate
        self.iterations += 1
        if type(rate) is float and rate == 1.0:  # plain_step's rule for lr 1, without its calls
            for param, grad in zip(parameters, gradients, strict=True):
                if grad.dtype == param.dtype:
                    param -= grad  # 1.0 * g == g exactly: nothing to multiply
                else:
                    param -= rate * grad
            return
        scratch = None if type(rate) is not float else _SCRATCH.get(self)
        if scratch is None:
            for index, (param, grad) in enumerate(zip(parameters, gradients, strict=True)):
                plain_step(self, index, param, grad, rate)  # param -= rate * grad
            return
        # plain_step's rule, its scratch dict looked up once per update instead of per parameter
        for index, (param, grad) in enumerate(zip(parameters, gradients, strict=True)):
            buffer = scratch.get(index)
            if (
                buffer is None
                or buffer.shape != grad.shape
                or buffer.dtype != grad.dtype
                or grad.dtype != param.dtype
            ):
                plain_step(self, index, param, grad, rate)
                continue
            np.multiply(grad, rate, out=buffer)  # rate * grad
            param -= buffer

    def _plain(self) -> bool:
        """No momentum, weight decay, schedule or clipping: the rule is ``plain_step``'s alone,
        W -= lr * dC/dW (what ``apply`` and ``apply_spending`` take their short ways for)."""
        return not (
            self.momentum
            or self.weight_decay
            or self.schedule is not None
            or self.clipvalue is not None
            or self.clipnorm is not None
            or self.global_clipnorm is not None
        )

    def apply_spending(self, parameters: list[Array], gradients: list[Array]) -> None:
        """``apply``'s update with each gradient scaled in place, g <- lr * g, then W -= g: the
        rule's two roundings, fl(W - fl(lr * g)), so the same weights to the last bit, without
        the scratch array (one array of the kernel's size less through the cache: the MNIST
        MLP's six updates alone, in a loop, 36 µs against 47; the update phase of a fit step,
        ``python -m benchmarks.profile`` at 1 thread, 61 -> 40 µs at batch 32, 100 -> 58 at
        128, with the rate handed over as below). The gradients then hold lr * dC/dW, which
        only a caller that overwrites them before anything reads them may allow
        (``Optimizer.apply_spending``).
        Anything but plain SGD with a Python float rate takes ``apply``; a gradient that is not a
        writable array of its parameter's dtype is left as it is, its parameter updated by
        ``plain_step`` as ``apply`` does (tests/test_mlp_fit_spending.py)."""
        if (
            not self._plain()  # (first: with a schedule there is no _learning_rate)
            or type(self._learning_rate) is not float
            or self._learning_rate == 1.0  # apply subtracts g itself: nothing to scale
        ):
            self.apply(parameters, gradients)
            return
        rate = self._learning_rate
        self.iterations += 1
        # the rate as a 0-d array of the gradients' float dtype: the number the Python float
        # becomes in rate * g (NumPy 2 casts a Python scalar to the array's dtype), ~1 µs less
        # per multiplication than handing NumPy the Python float to convert each time
        dtype, factor = None, rate
        for index, (param, grad) in enumerate(zip(parameters, gradients, strict=True)):
            if type(grad) is np.ndarray and grad.dtype == param.dtype and grad.flags.writeable:
                if grad.dtype is not dtype:
                    dtype = grad.dtype
                    factor = np.array(rate, dtype) if dtype.kind == "f" else rate
                np.multiply(grad, factor, out=grad)  # rate * grad, as plain_step's scratch has it
                param -= grad
            else:  # each parameter's update is its own: this one as apply makes it
                plain_step(self, index, param, grad, rate)

    def _update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        """``_readable_update``'s numbers; with momentum, the step written into one scratch
        array per parameter (tests/test_optimizer_in_place.py)."""
        if self.momentum == 0:
            plain_step(self, index, param, grad, rate)  # param -= rate * grad, no temporary
            return
        buf = self.momentums[index]
        s = scratch_for(self, index, param, grad) if type(rate) is float else None
        if s is None or (buf is not None and buf.dtype != param.dtype):
            self._readable_update(index, param, grad, rate)
            return
        if buf is None:
            buf = self.momentums[index] = grad.copy()  # b = g at the first step
        else:
            buf *= self.momentum
            buf += grad  # b <- mu * b + g
        if self.nesterov:
            np.multiply(buf, self.momentum, out=s)
            np.add(grad, s, out=s)  # g + mu b
            s *= rate
        else:
            np.multiply(buf, rate, out=s)  # lr * b
        param -= s

    def _readable_update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        """The rule as the class docstring writes it."""
        if self.momentum == 0:
            param -= rate * grad
            return
        buf = self.momentums[index]
        if buf is None:
            buf = self.momentums[index] = grad.copy()  # b = g at the first step
        else:
            buf *= self.momentum
            buf += grad  # b <- mu * b + g
        step = grad + self.momentum * buf if self.nesterov else buf
        param -= rate * step

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


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
        self.centered = bool(centered)

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


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, RMSprop, Adam, AdamW, Adagrad)
}


def get(identifier: str | Optimizer) -> Optimizer:
    """An optimizer from its name (``"adam"``, with Keras's defaults) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    return lookup("optimizer", identifier, OPTIMIZERS)()


def from_config(config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer from ``get_config()`` (a schedule's dict becomes the schedule)."""
    if isinstance(config, dict) and isinstance(config.get("learning_rate"), dict):
        config = {**config, "learning_rate": schedules.deserialize(config["learning_rate"])}
    return from_config_of("optimizer", config, OPTIMIZERS)


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)
