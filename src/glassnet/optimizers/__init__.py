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

The rules are in ``_sgd.py`` (SGD) and ``_adaptive.py`` (RMSprop, Adam, AdamW, Adagrad), their
allocation-free arithmetic in ``_in_place.py``, the base class (state, clipping, decay, the
rate) in ``base.py``; this module names them (``get``, ``from_config``).

>>> import numpy as np
>>> w, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
>>> sgd = SGD(learning_rate=0.1)
>>> sgd.build([w])
>>> sgd.apply([w], [g])
>>> w
array([0.95, 2.1 ])
"""

from __future__ import annotations

from typing import Any

from glassnet._names import from_config as from_config_of
from glassnet._names import lookup
from glassnet.optimizers import schedules
from glassnet.optimizers._adaptive import Adagrad, Adam, AdamW, RMSprop
from glassnet.optimizers._in_place import _SCRATCH, plain_step, scratch_for  # noqa: F401 (kept)
from glassnet.optimizers._sgd import SGD
from glassnet.optimizers.base import Optimizer
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
