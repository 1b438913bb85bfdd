"""Weight regularizers: a penalty on a layer's kernel, added to the loss (Keras's semantics).

With ``Dense(..., kernel_regularizer=L2(0.01))`` the cost being minimised is

    C = loss(y, aL) + sum over regularized layers of penalty(W)

and each regularized layer's backward adds the penalty's gradient to dC/dW:

    L2(l2):  penalty = l2 * sum(W**2)     dpenalty/dW = 2 * l2 * W
    L1(l1):  penalty = l1 * sum(|W|)      dpenalty/dW = l1 * sign(W)   (0 at W = 0)

The penalty is added as it is, whatever the loss's reduction (it is not divided by the batch).

>>> import numpy as np
>>> w = np.array([[1.0, -2.0], [0.5, 0.0]])
>>> L2(0.1)(w), L2(0.1).gradient(w).tolist()
(0.525, [[0.2, -0.4], [0.1, 0.0]])
>>> round(L1(0.1)(w), 12), L1(0.1).gradient(w).tolist()
(0.35, [[0.1, -0.1], [0.1, 0.0]])
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._header_bounds import bounded
from glassnet._names import config_repr, lookup
from glassnet._names import from_config as from_config_of
from glassnet._validation import finite_float, shown

Array = NDArray[np.floating[Any]]


def _strength(name: str, value: Any) -> float:
    """A penalty's strength as a finite float in [0, 3.4e38] (``MAX_HYPERPARAMETER``: 1e300 would
    make every penalty and gradient inf in float32; Keras checks nothing, PyTorch's weight_decay
    only its sign); a message shows at most about 20 characters of the value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"Expected {name} to be a number >= 0, got {type(value).__name__} {shown(value, 20)}."
        )
    try:
        strength = finite_float(value, name)
    except ValueError:
        strength = math.nan
    if not strength >= 0:
        raise ValueError(f"Expected {name} to be a finite number >= 0, got {shown(value, 20)}.")
    return bounded(strength, name, 0.0, f"{name}=0.01")


class Regularizer:
    """Base class: ``penalty = reg(W)`` (a float) and ``reg.gradient(W)`` (shape of W)."""

    name = "regularizer"

    def __call__(self, weights: Array) -> float:
        raise NotImplementedError

    def gradient(self, weights: Array) -> Array:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return config_repr(self)


class L2(Regularizer):
    """penalty = l2 * sum(W**2); gradient 2 * l2 * W ("weight decay")."""

    name = "l2"

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _strength("l2", l2)

    def __call__(self, weights: Array) -> float:
        return self.l2 * float(np.sum(np.square(weights)))

    def gradient(self, weights: Array) -> Array:
        return (2.0 * self.l2) * weights  # (same shape as W)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "l2": self.l2}


class L1(Regularizer):
    """penalty = l1 * sum(|W|); gradient l1 * sign(W), taking 0 at W = 0 (a subgradient)."""

    name = "l1"

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _strength("l1", l1)

    def __call__(self, weights: Array) -> float:
        return self.l1 * float(np.sum(np.abs(weights)))

    def gradient(self, weights: Array) -> Array:
        return self.l1 * np.sign(weights)  # (same shape as W)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "l1": self.l1}


class L1L2(Regularizer):
    """Both: penalty = l1 * sum(|W|) + l2 * sum(W**2)."""

    name = "l1_l2"

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _strength("l1", l1)
        self.l2 = _strength("l2", l2)

    def __call__(self, weights: Array) -> float:
        l1_part = self.l1 * float(np.sum(np.abs(weights)))
        return l1_part + self.l2 * float(np.sum(np.square(weights)))

    def gradient(self, weights: Array) -> Array:
        return self.l1 * np.sign(weights) + (2.0 * self.l2) * weights

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "l1": self.l1, "l2": self.l2}


REGULARIZERS: dict[str, type[Regularizer]] = {"l1": L1, "l2": L2, "l1_l2": L1L2}


def get(identifier: str | Regularizer | None) -> Regularizer | None:
    """A regularizer from a name (``"l2"`` with Keras's default 0.01) or an object; None stays."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    return lookup("regularizer", identifier, REGULARIZERS)()


def from_config(config: dict[str, Any] | None) -> Regularizer | None:
    """Rebuild a regularizer from ``get_config()`` (None for no regularizer)."""
    if config is None:
        return None
    return from_config_of("regularizer", config, REGULARIZERS)


# Keras's lowercase spellings of the same classes (``keras.regularizers.l2(0.01)``), with Keras's
# defaults: l1 and l2 0.01 each, l1_l2 0.0 for both
l1 = L1
l2 = L2
l1_l2 = L1L2


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)
