"""SGD, with optional (Nesterov) momentum, as ``torch.optim.SGD``; its plain rule is the
training fast path (``_in_place.plain_step``). Named in ``glassnet.optimizers``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.optimizers._in_place import _SCRATCH, plain_step, scratch_for
from glassnet.optimizers.base import Array, Optimizer, _check_rate
from glassnet.optimizers.schedules import LearningRateSchedule


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
