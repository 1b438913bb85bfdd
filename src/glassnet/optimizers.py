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
from numpy.typing import NDArray

from glassnet._header_bounds import MIN_POSITIVE, bounded
from glassnet._names import config_repr, lookup
from glassnet._names import from_config as from_config_of
from glassnet._validation import finite_float, shown

Array = NDArray[np.floating[Any]]

#: each optimizer's model (weakly, both ways: kept out of the optimizer's own attributes, so
#: copies and state comparisons do not carry it), set by ``Optimizer.claim``
_OWNERS: weakref.WeakKeyDictionary[Any, weakref.ref[Any]] = weakref.WeakKeyDictionary()


def _check_rate(name: str, value: float, low: float = 0.0, high: float = math.inf) -> float:
    value = finite_float(value, name)  # 10**400, NaN, inf: a ValueError that says so
    if not low <= value < high:
        wanted = f"in [{low}, {high})" if math.isfinite(high) else f">= {low}"
        raise ValueError(f"Expected {name} {wanted}, got {value!r}.")
    return value


class Optimizer:
    """Base class: ``build(parameters)`` makes the state, ``apply(parameters, gradients)`` steps."""

    name = "optimizer"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate
        self.iterations = 0  # number of updates applied so far (Keras's name)

    def claim(self, model: Any) -> None:
        """Become ``model``'s optimizer. One optimizer serves one model: its state (step count,
        moments) belongs to that model's weights, so a second live model that still trains with
        it is refused (Keras 3 refuses the same at the second model's first ``fit``)."""
        owner = _OWNERS[self]() if self in _OWNERS else None
        if owner is not None and owner is not model and owner.optimizer is self:
            raise ValueError(
                f"This {type(self).__name__} optimizer is already compiled into another model "
                f"({shown(owner.name)}); its state (step count, moments) belongs to that model's "
                f"weights. Give each model its own optimizer, e.g. "
                f"model.compile(optimizer={type(self).__name__}(...)) or a name such as "
                f"optimizer={self.name!r}."
            )
        _OWNERS[self] = weakref.ref(model)

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        rate = _check_rate("learning_rate", value, low=-math.inf)  # type check only
        if not rate > 0:
            raise ValueError(
                f"Expected learning_rate > 0 (a finite number, e.g. 0.01), got {rate!r}."
            )
        self._learning_rate = bounded(rate, "learning_rate", MIN_POSITIVE, "learning_rate=0.01")

    #: names of the per-parameter state lists (saved with the model so training resumes exactly)
    state_slots: tuple[str, ...] = ()
    #: the slots that hold means of g**2, which the rule takes the square root of: never negative
    nonnegative_slots: tuple[str, ...] = ()

    def build(self, parameters: list[Array]) -> None:
        """Make fresh state (zero moments) for these parameters; forgets any earlier state."""
        self.iterations = 0

    def get_state(self) -> dict[str, Any]:
        """``{"iterations": t, slot: [array or None per parameter], ...}``: what ``build`` made
        and the steps since filled in. Arrays are copies."""
        state: dict[str, Any] = {"iterations": self.iterations}
        for slot in self.state_slots:
            values = getattr(self, slot, [])
            state[slot] = [None if v is None else np.array(v, copy=True) for v in values]
        return state

    def set_state(self, state: dict[str, Any], parameters: list[Array]) -> None:
        """Restore ``get_state()``'s result for these parameters (after ``build``): each array must
        have its parameter's shape; it is cast to the parameter's dtype."""
        iterations = state.get("iterations")
        if (
            isinstance(iterations, bool)
            or not isinstance(iterations, int)
            or not 0 <= iterations < 2**63
        ):
            raise ValueError(
                f"Optimizer state: expected iterations, the step count, in [0, 2**63), got "
                f"{shown(iterations)}."
            )
        restored: dict[str, list[Array | None]] = {}
        for slot in self.state_slots:
            values = state.get(slot, [])
            current = getattr(self, slot, [])
            if len(values) != len(current):
                raise ValueError(
                    f"Optimizer state {slot!r}: expected {len(current)} arrays (one per "
                    f"parameter), got {len(values)}."
                )
            arrays: list[Array | None] = []
            for value, param in zip(values, parameters, strict=False):
                if value is None:
                    arrays.append(None)
                    continue
                value = np.asarray(value)
                if value.shape != param.shape:
                    raise ValueError(
                        f"Optimizer state {slot!r}: expected shape {param.shape}, got "
                        f"{value.shape}."
                    )
                if value.dtype.kind not in "biuf":
                    raise ValueError(
                        f"Optimizer state {slot!r}: expected real numbers, got dtype {value.dtype}."
                    )
                with np.errstate(over="ignore", invalid="ignore"):
                    value = value.astype(param.dtype, copy=True)
                self._check_state_values(slot, len(arrays), value)
                arrays.append(value)
            restored[slot] = arrays
        self.iterations = iterations
        for slot, arrays in restored.items():
            setattr(self, slot, arrays)

    def _check_state_values(self, slot: str, index: int, value: Array) -> None:
        if not np.isfinite(value).all():
            raise ValueError(
                f"Optimizer state {slot!r} array {index}: expected finite numbers of "
                f"{value.dtype.name}, found NaN or inf (or a value beyond its range)."
            )
        if slot in self.nonnegative_slots and value.size and value.min() < 0:
            raise ValueError(
                f"Optimizer state {slot!r} array {index}: expected values >= 0 (a running mean "
                f"of g**2, whose square root {type(self).__name__} takes), found "
                f"{float(value.min()):g}."
            )

    def apply(self, parameters: list[Array], gradients: list[Array]) -> None:
        """One update of every parameter, in place."""
        self.iterations += 1
        for index, (param, grad) in enumerate(zip(parameters, gradients, strict=True)):
            self._update(index, param, grad)

    def _update(self, index: int, param: Array, grad: Array) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "learning_rate": self.learning_rate}

    def __repr__(self) -> str:
        return config_repr(self)


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    Plain: W <- W - lr * g.
    Momentum mu: b <- mu * b + g (b = g at the first step); W <- W - lr * b.
    Nesterov: the same b, then W <- W - lr * (g + mu * b).
    """

    name = "sgd"
    state_slots = ("momentums",)

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False
    ) -> None:
        super().__init__(learning_rate)
        self.momentum = _check_rate("momentum", momentum, 0.0, 1.0)
        if nesterov and self.momentum == 0:
            raise ValueError("SGD(nesterov=True) needs momentum > 0, e.g. SGD(0.01, momentum=0.9).")
        self.nesterov = bool(nesterov)
        self.momentums: list[Array | None] = []

    def build(self, parameters: list[Array]) -> None:
        super().build(parameters)
        self.momentums = [None] * len(parameters)

    def _update(self, index: int, param: Array, grad: Array) -> None:
        if self.momentum == 0:
            param -= self.learning_rate * grad
            return
        buf = self.momentums[index]
        if buf is None:
            buf = self.momentums[index] = grad.copy()  # b = g at the first step
        else:
            buf *= self.momentum
            buf += grad  # b <- mu * b + g
        step = grad + self.momentum * buf if self.nesterov else buf
        param -= self.learning_rate * step

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
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
    ) -> None:
        super().__init__(learning_rate)
        self.rho = _check_rate("rho", rho, 0.0, 1.0)
        self.momentum = _check_rate("momentum", momentum, 0.0, 1.0)
        self.epsilon = bounded(_check_rate("epsilon", epsilon), "epsilon", MIN_POSITIVE, "1e-7")
        self.centered = bool(centered)

    def build(self, parameters: list[Array]) -> None:
        super().build(parameters)
        self.velocities = [np.zeros_like(p) for p in parameters]  # v: running mean of g**2
        self.averages = [np.zeros_like(p) for p in parameters] if self.centered else []
        self.momentums = [np.zeros_like(p) for p in parameters] if self.momentum else []

    def _update(self, index: int, param: Array, grad: Array) -> None:
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
            param -= self.learning_rate * buf
        else:
            param -= self.learning_rate * (grad / denom)

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
    """

    name = "adam"
    state_slots = ("first_moments", "second_moments")
    nonnegative_slots = ("second_moments",)

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
    ) -> None:
        super().__init__(learning_rate)
        self.beta_1 = _check_rate("beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _check_rate("beta_2", beta_2, 0.0, 1.0)
        self.epsilon = bounded(_check_rate("epsilon", epsilon), "epsilon", MIN_POSITIVE, "1e-7")

    def build(self, parameters: list[Array]) -> None:
        super().build(parameters)
        self.first_moments = [np.zeros_like(p) for p in parameters]  # m
        self.second_moments = [np.zeros_like(p) for p in parameters]  # v

    def _update(self, index: int, param: Array, grad: Array) -> None:
        t = self.iterations
        m, v = self.first_moments[index], self.second_moments[index]
        m += (1.0 - self.beta_1) * (grad - m)  # = beta_1 m + (1 - beta_1) g, torch's lerp form
        v *= self.beta_2
        v += (1.0 - self.beta_2) * grad * grad
        step_size = self.learning_rate / (1.0 - self.beta_1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - self.beta_2**t) + self.epsilon
        param -= step_size * (m / denom)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, RMSprop, Adam)}


def get(identifier: str | Optimizer) -> Optimizer:
    """An optimizer from its name (``"adam"``, with Keras's defaults) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    return lookup("optimizer", identifier, OPTIMIZERS)()


def from_config(config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer from ``get_config()``."""
    return from_config_of("optimizer", config, OPTIMIZERS)
