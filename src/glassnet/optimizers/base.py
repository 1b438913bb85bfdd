"""The optimizer base class: state, the learning rate (a number or a schedule), clipping and
decoupled weight decay, which every optimizer shares with Keras's base optimizer.

One update, in Keras's order (``keras.optimizers.Optimizer.apply``), with t the step count before
it (``iterations``, 0 at the first update):

1. lr = learning_rate, or schedule(t) when ``learning_rate`` is a schedule
2. clip the gradients (at most one of):
   ``clipnorm=c``:        g <- g * c / max(||g||, c), each weight's gradient on its own
   ``global_clipnorm=c``: g <- g * c / max(sqrt(sum over all weights of ||g||**2), c)
   ``clipvalue=c``:       g <- min(max(g, -c), c), element by element
3. ``weight_decay=wd`` (decoupled, as ``torch.optim.AdamW`` and Keras):  W <- W * (1 - lr * wd)
4. the optimizer's own rule with the clipped g, then t <- t + 1

The clipped gradients are copies: the layers' dC/dW (what the trace shows) stay as computed. A
non-finite gradient stays non-finite after clipping, as in Keras, so ``TerminateOnNaN`` sees it.
Keras's ``exclude_from_weight_decay`` is not offered: the decay, when set, applies to every
weight the optimizer trains (biases too, as Keras does by default).
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._header_bounds import MAX_HYPERPARAMETER, MIN_POSITIVE, bounded
from glassnet._names import config_repr
from glassnet._validation import finite_float, shown
from glassnet.optimizers.schedules import SCHEDULES, LearningRateSchedule, serialize

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


def _keras_schedule(value: object) -> str:
    """learning_rate's error for a Keras object (a schedule, say): glassnet's schedule of the
    same class name, or the ones glassnet has."""
    cls = type(value).__name__
    ours = {schedule.__name__: schedule for schedule in SCHEDULES.values()}
    fix = (
        f"use glassnet.optimizers.schedules.{cls}(...) with the same settings"
        if cls in ours
        else f"glassnet has no {cls}; its schedules are {', '.join(ours)} "
        f"(glassnet.optimizers.schedules), or pass a number"
    )
    return (
        f"Expected learning_rate to be a number or a glassnet schedule, got Keras's {cls}; "
        f"glassnet computes with its own objects: {fix}."
    )


class Optimizer:
    """Base class: ``build(parameters)`` makes the state, ``apply(parameters, gradients)`` steps."""

    name = "optimizer"

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        self.schedule: LearningRateSchedule | None = None
        self.learning_rate = learning_rate
        self.iterations = 0  # number of updates applied so far (Keras's name)
        self.weight_decay = _weight_decay(weight_decay)
        self.clipnorm = _optional_positive("clipnorm", clipnorm, "clipnorm=1.0")
        self.clipvalue = _optional_positive("clipvalue", clipvalue, "clipvalue=0.5")
        self.global_clipnorm = _optional_positive(
            "global_clipnorm", global_clipnorm, "global_clipnorm=1.0"
        )
        chosen = [n for n in ("clipnorm", "clipvalue", "global_clipnorm") if getattr(self, n)]
        if len(chosen) > 1:
            raise ValueError(
                f"Only one of clipnorm, clipvalue and global_clipnorm can be set (as in Keras), "
                f"got {' and '.join(chosen)}. Keep the one you mean."
            )

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
        """The rate the next update uses: the number given, or ``schedule(iterations)``."""
        if self.schedule is not None:
            return self.schedule(self.iterations)
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float | LearningRateSchedule) -> None:
        if isinstance(value, LearningRateSchedule):
            self.schedule = value
            return
        if self.schedule is not None:
            raise TypeError(
                f"This optimizer's learning rate follows a schedule ({self.schedule!r}), so it "
                f"cannot be set to a number (Keras refuses the same). Build the optimizer with "
                f"learning_rate={value!r}, or without the LearningRateScheduler callback."
            )
        if isinstance(value, dict):
            raise TypeError(
                "Expected learning_rate to be a number or a schedule object, got a dict; "
                "glassnet.optimizers.from_config reads a saved schedule's dict."
            )
        if type(value).__module__.split(".")[0] in ("keras", "tf_keras", "tensorflow"):
            raise TypeError(_keras_schedule(value))
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
        """One update of every parameter, in place: clip, decay, the rule (module docstring)."""
        rate = self.learning_rate  # lr(t), t = the updates before this one (Keras's order)
        gradients = self.clip(gradients)
        self.iterations += 1
        for index, (param, grad) in enumerate(zip(parameters, gradients, strict=True)):
            if self.weight_decay:
                param *= 1.0 - rate * self.weight_decay  # W <- W * (1 - lr * wd), decoupled
            self._update(index, param, grad, rate)

    def apply_spending(self, parameters: list[Array], gradients: list[Array]) -> None:
        """``apply``'s update, free to use the gradient arrays as its scratch space: afterwards
        they may hold something else than dC/dW (plain SGD leaves lr * dC/dW there). Only for a
        caller that overwrites every gradient before anything reads them again (fit's epoch
        between two steps with no batch hook, ``training.run_epoch``). The weights and the
        optimizer's state are ``apply``'s to the last bit; here it is ``apply`` itself."""
        self.apply(parameters, gradients)

    def clip(self, gradients: list[Array]) -> list[Array]:
        """The gradients after ``clipnorm``/``global_clipnorm``/``clipvalue`` (copies), or the
        same list when none is set."""
        if self.clipvalue is not None:
            c = self.clipvalue
            return [np.clip(g, -c, c) for g in gradients]  # min(max(g, -c), c)
        if self.clipnorm is not None:
            c = self.clipnorm
            return [g * (c / max(_norm(g), c)) for g in gradients]  # each weight on its own
        if self.global_clipnorm is not None:
            c = self.global_clipnorm
            total = math.sqrt(sum(_norm(g) ** 2 for g in gradients))
            scale = c / max(total, c) if math.isfinite(total) else math.nan  # NaN stays NaN
            return [g * scale for g in gradients]
        return gradients

    def _update(self, index: int, param: Array, grad: Array, rate: float) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Keras's settings: the optional ones (weight decay, clipping) only when set."""
        rate: Any = serialize(self.schedule) if self.schedule is not None else self.learning_rate
        config: dict[str, Any] = {"name": self.name, "learning_rate": rate}
        for key in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    def __repr__(self) -> str:
        text = config_repr(self)
        if self.schedule is not None:  # the schedule as its own repr, not its saved dict
            saved = f"learning_rate={serialize(self.schedule)!r}"
            text = text.replace(saved, f"learning_rate={self.schedule!r}")
        return text


def _norm(gradient: Array) -> float:
    """||g||, the L2 norm over every element, in float64 (inf when it overflows)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(np.sum(np.square(gradient, dtype=np.float64))))


def _optional_positive(name: str, value: object, example: str) -> float | None:
    """None (off), or a finite float in (0, 3.4e38]: a clip threshold."""
    if value is None:
        return None
    number = finite_float(value, name)
    if not 0 < number <= MAX_HYPERPARAMETER:
        raise ValueError(
            f"Expected {name} > 0 (an ordinary float32 number) or None for no clipping, got "
            f"{number!r}. Use e.g. {example}."
        )
    return number


def _weight_decay(value: object) -> float | None:
    """None (off), or a finite float in [0, 3.4e38]."""
    if value is None:
        return None
    number = finite_float(value, "weight_decay")
    if not 0 <= number <= MAX_HYPERPARAMETER:
        raise ValueError(
            f"Expected weight_decay >= 0 (e.g. 0.004, Keras's AdamW default) or None, got "
            f"{number!r}."
        )
    return number


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"Expected {name} to be True or False, got {type(value).__name__}.")
    return bool(value)


def _epsilon(value: object) -> float:
    return bounded(_check_rate("epsilon", value), "epsilon", MIN_POSITIVE, "epsilon=1e-7")
