"""Keras's ``keras.utils`` names: ``to_categorical`` and ``set_random_seed``.

``set_random_seed(seed)`` seeds, as Keras's does, Python's ``random`` and NumPy's global
generator, and also glassnet's own: every model made afterwards with ``seed=None`` draws its
initial weights, shuffling and dropout masks from a stream spawned from ``seed`` (the n-th such
model gets the n-th stream), so a script run twice gives the same numbers. A model's own
``seed=`` still wins.

>>> to_categorical([0, 2, 1])
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.]])
>>> import glassnet as gn
>>> def weights():
...     set_random_seed(7)
...     model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)])
...     return model.get_weights()[0]
>>> bool((weights() == weights()).all())
True
"""

from __future__ import annotations

import numbers
import random
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._validation import seed_value, shown

#: NumPy's global generator (``np.random.seed``, which Keras's set_random_seed also seeds) takes
#: seeds 0 .. 2**32 - 1
LARGEST_SEED = 2**32 - 1

#: where models with ``seed=None`` spawn their generators from, once ``set_random_seed`` ran
_sequence: np.random.SeedSequence | None = None


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and every glassnet model made after
    this call with ``seed=None`` (Keras's ``keras.utils.set_random_seed``)."""
    global _sequence
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"set_random_seed expects a whole number in [0, 2**32 - 1], got "
            f"{type(seed).__name__} {shown(seed, 20)}. Example: set_random_seed(42)."
        )
    if not 0 <= seed <= LARGEST_SEED:
        raise ValueError(
            f"set_random_seed expects a seed in [0, 2**32 - 1] (NumPy's global generator takes "
            f"no other), got {shown(seed, 20)}. Example: set_random_seed(42)."
        )
    random.seed(int(seed))
    np.random.seed(int(seed))
    _sequence = np.random.SeedSequence(int(seed))


def model_generator(seed: Any) -> np.random.Generator:
    """A model's generator: from its own ``seed``; else, after ``set_random_seed``, the next
    stream spawned from that seed; else fresh entropy from the operating system."""
    seed = seed_value(seed)
    if seed is None and _sequence is not None:
        return np.random.default_rng(_sequence.spawn(1)[0])
    return np.random.default_rng(seed)


def to_categorical(x: ArrayLike, num_classes: int | None = None) -> NDArray[np.float64]:
    """Integer class labels (n,) -> one-hot rows (n, num_classes), float64, as Keras's
    ``to_categorical``; ``num_classes`` defaults to ``max(x) + 1``. A column (n, 1) is taken as
    (n,). Same as ``glassnet.datasets.one_hot``."""
    from glassnet.datasets import one_hot  # the data sets' module: imported on first use

    try:
        return one_hot(x, num_classes)
    except (TypeError, ValueError) as error:  # said with Keras's argument name
        raise type(error)(str(error).replace("n_classes", "num_classes")) from None


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)


__all__ = ["set_random_seed", "to_categorical"]
