"""Learning-rate schedules: the learning rate as a function of the step count, Keras's formulas.

Pass one as any optimizer's ``learning_rate``; the optimizer asks it for the rate of each step
with ``schedule(step)``, where ``step`` is ``optimizer.iterations`` before that update (0 for the
first update), as Keras does. ``optimizer.learning_rate`` then reads the rate the next update
will use. With t = step:

- ``ExponentialDecay``:       lr(t) = lr0 * decay_rate ** (t / decay_steps)
  (``staircase=True``: the exponent is floor(t / decay_steps))
- ``CosineDecay``:            lr(t) = target * ((1 - alpha) * (1 + cos(pi * s / decay_steps)) / 2
  + alpha), s = min(t - warmup_steps, decay_steps), target = warmup_target or lr0; during a
  warm-up (t < warmup_steps) lr(t) = lr0 + (warmup_target - lr0) * t / warmup_steps
- ``PiecewiseConstantDecay``: lr(t) = values[i] for boundaries[i-1] < t <= boundaries[i]
  (values[0] up to and including boundaries[0]; values[-1] after boundaries[-1])

Under a schedule, SGD's and RMSprop's momentum stay torch.optim's (b <- mu * b + g;
W <- W - lr(t) * b), so the rate of each step scales the whole buffer; Keras keeps lr(t) * g in
its momentum (m <- mu * m - lr(t) * g; W <- W + m), so earlier rates stay inside it. The two
agree while the rate is constant and differ once it changes (``tests/test_optimizers_keras.py``
checks glassnet against torch.optim with torch's own ExponentialLR, and that Keras differs).

A schedule saves as ``{"class_name": "ExponentialDecay", "config": {...}}`` inside the
optimizer's config (Keras's shape, without its ``module``), so model files keep it.

>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> float(schedule(10)), float(schedule(20))
(0.05, 0.025)
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from glassnet._header_bounds import MAX_HYPERPARAMETER, MIN_POSITIVE, bounded
from glassnet._names import config_repr, lookup
from glassnet._names import from_config as from_config_of
from glassnet._validation import finite_float, shown

#: the most boundaries a PiecewiseConstantDecay holds (a model file's header carries them)
MAX_BOUNDARIES = 10_000
#: the example PiecewiseConstantDecay's messages give for its values
VALUES = "values=[0.1, 0.01, 0.001]"


def _rate(value: object, name: str, example: str) -> float:
    """A learning rate: a finite float in [1.2e-38, 3.4e38], as the optimizers' own."""
    rate = finite_float(value, name)
    return bounded(rate, name, MIN_POSITIVE, example)


def _steps(value: object, name: str, low: int) -> int:
    """A step count: an int (or an integral float, as Keras accepts 1000.0) >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"Expected {name} to be a whole number of steps, got {type(value).__name__} "
            f"{shown(value, 20)}."
        )
    number = finite_float(value, name)
    if number != int(number) or not low <= number <= 2**53:
        raise ValueError(
            f"Expected {name} to be a whole number of steps in [{low}, 2**53], got "
            f"{shown(value, 20)}."
        )
    return int(number)


class LearningRateSchedule:
    """Base class: ``schedule(step) -> learning rate``; ``get_config()`` round-trips."""

    def __call__(self, step: int) -> float:
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"Expected a step count, an int >= 0, got {shown(step, 20)}.")
        return min(self._rate(step), MAX_HYPERPARAMETER)  # never beyond float32 (as the setter)

    def _rate(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return config_repr(self)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    __hash__ = None  # type: ignore[assignment]


class ExponentialDecay(LearningRateSchedule):
    """lr(t) = initial_learning_rate * decay_rate ** (t / decay_steps), the exponent floored when
    ``staircase`` (Keras's ``keras.optimizers.schedules.ExponentialDecay``)."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
    ) -> None:
        self.initial_learning_rate = _rate(
            initial_learning_rate, "initial_learning_rate", "initial_learning_rate=0.01"
        )
        self.decay_steps = _steps(decay_steps, "decay_steps", 1)
        rate = finite_float(decay_rate, "decay_rate")
        if not 0 < rate <= MAX_HYPERPARAMETER:
            raise ValueError(
                f"Expected decay_rate > 0 (e.g. 0.96: the rate shrinks by that factor every "
                f"decay_steps steps), got {rate!r}."
            )
        self.decay_rate = rate
        if not isinstance(staircase, bool):
            raise TypeError(f"Expected staircase to be True or False, got {shown(staircase, 20)}.")
        self.staircase = staircase

    def _rate(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        try:
            return self.initial_learning_rate * self.decay_rate**p
        except OverflowError:  # a decay_rate > 1 grows: past float64 it is beyond float32 too
            return MAX_HYPERPARAMETER

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
        }


class CosineDecay(LearningRateSchedule):
    """A cosine from the start rate down to ``alpha`` times it over ``decay_steps``, after an
    optional linear warm-up from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps`` (Keras's ``keras.optimizers.schedules.CosineDecay``):

    warm-up (t < warmup_steps): lr(t) = lr0 + (warmup_target - lr0) * t / warmup_steps
    decay: s = min(t - warmup_steps, decay_steps);
           lr(t) = start * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)
    with start = warmup_target when one is given, else lr0.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        example = "initial_learning_rate=0.01"
        self.initial_learning_rate = _rate(initial_learning_rate, "initial_learning_rate", example)
        self.decay_steps = _steps(decay_steps, "decay_steps", 1)
        fraction = finite_float(alpha, "alpha")
        if not 0 <= fraction <= 1:
            raise ValueError(
                f"Expected alpha, the final rate as a fraction of the start, in [0, 1], got "
                f"{fraction!r}."
            )
        self.alpha = fraction
        self.warmup_target = (
            None
            if warmup_target is None
            else _rate(warmup_target, "warmup_target", "warmup_target=0.1")
        )
        self.warmup_steps = _steps(warmup_steps, "warmup_steps", 0)
        if self.warmup_target is None and self.warmup_steps:
            raise ValueError(
                f"CosineDecay(warmup_steps={self.warmup_steps}) needs warmup_target, the rate the "
                f"warm-up climbs to, e.g. CosineDecay(0.0001, 1000, warmup_target=0.001, "
                f"warmup_steps=100)."
            )
        if self.warmup_target is not None and not self.warmup_steps:
            raise ValueError(
                "CosineDecay(warmup_target=...) needs warmup_steps >= 1, the length of the "
                "warm-up (Keras would divide by zero)."
            )

    def _rate(self, step: int) -> float:
        if self.warmup_target is None:
            start, s = self.initial_learning_rate, min(step, self.decay_steps)
        else:
            t = min(step, self.decay_steps + self.warmup_steps)
            if t < self.warmup_steps:
                climb = self.warmup_target - self.initial_learning_rate
                return climb * (t / self.warmup_steps) + self.initial_learning_rate
            start, s = self.warmup_target, t - self.warmup_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * (s / self.decay_steps)))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """lr(t) = values[0] while t <= boundaries[0], values[i] while boundaries[i-1] < t <=
    boundaries[i], values[-1] after the last boundary (Keras's
    ``keras.optimizers.schedules.PiecewiseConstantDecay``). Boundaries are step counts, strictly
    increasing; there is one value more than boundaries."""

    def __init__(self, boundaries: list[int], values: list[float]) -> None:
        for name, given in (("boundaries", boundaries), ("values", values)):
            if not isinstance(given, list | tuple):
                raise TypeError(
                    f"Expected {name} to be a list, got {type(given).__name__} {shown(given, 20)}."
                )
        if not 1 <= len(boundaries) <= MAX_BOUNDARIES or len(values) != len(boundaries) + 1:
            raise ValueError(
                f"Expected 1 to {MAX_BOUNDARIES} boundaries and one value more than boundaries, "
                f"got {len(boundaries)} boundaries and {len(values)} values. E.g. "
                f"PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])."
            )
        steps = [_steps(b, f"boundaries[{i}]", 0) for i, b in enumerate(boundaries)]
        if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
            raise ValueError(f"Expected strictly increasing boundaries, got {shown(steps, 60)}.")
        self.boundaries = steps
        self.values = [_rate(v, f"values[{i}]", VALUES) for i, v in enumerate(values)]

    def _rate(self, step: int) -> float:
        for boundary, value in zip(self.boundaries, self.values, strict=False):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": list(self.boundaries), "values": list(self.values)}


SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__.lower(): cls for cls in (ExponentialDecay, CosineDecay, PiecewiseConstantDecay)
}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """``{"class_name": ..., "config": schedule.get_config()}``, as Keras writes a schedule."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: object) -> LearningRateSchedule:
    """The schedule ``serialize`` wrote (a setting it does not take is refused by name)."""
    if not isinstance(config, dict) or set(config) != {"class_name", "config"}:
        raise ValueError(
            f"Expected a learning-rate schedule as {{'class_name': ..., 'config': {{...}}}}, got "
            f"{shown(config)}."
        )
    inner = config["config"]
    if not isinstance(inner, dict):
        raise ValueError(f"Expected the schedule's config to be a dict, got {shown(inner)}.")
    name = config["class_name"]
    if isinstance(name, str):
        name = name.lower()
    lookup("learning-rate schedule", name, SCHEDULES)  # the valid names, on a miss
    settings = {**inner, "class_name": name}
    return from_config_of("learning-rate schedule", settings, SCHEDULES, "class_name")


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)
