"""Initializers: where a layer's first weights come from.

An initializer is called as ``init(shape, dtype, rng)`` and returns a new array. ``rng`` is the
model's ``numpy.random.Generator`` (from ``Sequential(seed=...)``); an initializer given its own
``seed`` ignores it and draws from a stream of its own instead. That stream lives as long as the
initializer, so one seeded initializer shared by several layers hands out consecutive draws in
build order. This is how the seed notebook's weights are reproduced:

>>> import numpy as np
>>> init = RandomUniform(0.0, 1.0, seed=1)     # the notebook's np.random.seed(1)
>>> w1 = init((3, 4), np.float64, None)       # then np.random.random((3, 4))
>>> w2 = init((4, 1), np.float64, None)       # then np.random.random((4, 1))
>>> np.random.seed(1)
>>> first, second = np.random.random((3, 4)), np.random.random((4, 1))
>>> bool(np.array_equal(w1, first) and np.array_equal(w2, second))
True
"""

from __future__ import annotations

import math
import os
from typing import Any

from glassnet._initializer_base import (  # noqa: F401 (glassnet.initializers' names, as before)
    _CHUNK,
    LARGEST_SEED,
    MAX_WEIGHT_SCALE,
    TRUNCATION_CORRECTION,
    Initializer,
    Shape,
    _check,
    _fans,
    _normal_settings,
    _scalar,
    _seed,
    _Seeded,
    _truncated,
    _uniform,
)
from glassnet._initializers_fixed import Constant, Identity, Ones, Zeros
from glassnet._initializers_random import (  # noqa: F401 (MODES, ...: as before)
    DISTRIBUTIONS,
    MODES,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    _choice,
)
from glassnet._names import from_config as from_config_of
from glassnet._names import lookup

#: the most bytes glassnet lets one initializer use to make a weight array (the array itself and
#: the float64 draws behind it): 4 GiB, or half the machine's memory when that is less. Raise it
#: if you have the memory; a request beyond it is refused with the estimate, not a MemoryError.
MAX_ALLOCATION_BYTES = 4 * 2**30


def memory_limit() -> int:
    """The bytes one allocation may take: ``min(MAX_ALLOCATION_BYTES, physical memory / 2)``
    (the physical memory from ``os.sysconf`` where the system has it)."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return MAX_ALLOCATION_BYTES
    return min(MAX_ALLOCATION_BYTES, physical // 2) if physical > 0 else MAX_ALLOCATION_BYTES


def check_allocation(nbytes: int, what: str) -> None:
    """Refuse, before allocating, ``what`` (e.g. "weights of shape (2, 10) in float32") when
    its estimated ``nbytes`` exceed ``memory_limit()``: a ValueError with both numbers.

    >>> try:
    ...     check_allocation(8 * 10**12, "weights of shape (10**6, 10**6)")
    ... except ValueError as error:
    ...     print(str(error).split(", more")[0])
    weights of shape (10**6, 10**6) would take about 7450.6 GiB (8,000,000,000,000 bytes)
    """
    limit = memory_limit()
    if nbytes > limit:
        raise ValueError(
            f"{what} would take about {_size(nbytes)}, more than glassnet "
            f"allows: {_gib(limit)} (glassnet.initializers.MAX_ALLOCATION_BYTES, "
            f"or half this machine's memory if less). Use fewer units, inputs or examples; if "
            f"the memory is there, raise glassnet.initializers.MAX_ALLOCATION_BYTES."
        )


def _size(nbytes: int) -> str:
    """``nbytes`` in GiB and bytes; one beyond 10**20 by its power of ten (10**400 examples:
    ``str`` of it is 403 digits, and a float cannot hold it)."""
    if nbytes < 10**20:
        return f"{_gib(nbytes)} ({nbytes:,} bytes)"
    return f"10**{int(int(nbytes).bit_length() * math.log10(2))} bytes"


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


INITIALIZERS: dict[str, type[Initializer]] = {
    cls.name: cls
    for cls in (
        Zeros,
        Ones,
        Constant,
        Identity,
        RandomUniform,
        GlorotUniform,
        HeNormal,
        GlorotNormal,
        HeUniform,
        LecunNormal,
        LecunUniform,
        RandomNormal,
        TruncatedNormal,
        Orthogonal,
        VarianceScaling,
    )
}


#: the classes by Keras's class names, which its layers also take as strings
#: (``kernel_initializer="VarianceScaling"``, ``"HeNormal"``, ``"IdentityInitializer"``)
CLASS_NAMES: dict[str, type[Initializer]] = {
    **{cls.__name__: cls for cls in INITIALIZERS.values()},
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
}


def get(identifier: str | Initializer) -> Initializer:
    """An initializer from its name (``"glorot_uniform"``) or an instance."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str) and identifier in CLASS_NAMES:  # Keras's "HeNormal" too
        return CLASS_NAMES[identifier]()
    return lookup("initializer", identifier, INITIALIZERS)()


def from_config(config: dict[str, Any]) -> Initializer:
    """Rebuild an initializer from ``get_config()``."""
    return from_config_of("initializer", config, INITIALIZERS)


#: Keras's other spellings of the same classes (``keras.initializers.glorot_uniform`` is the
#: class ``GlorotUniform``; ``OrthogonalInitializer`` is ``Orthogonal``)
KERAS_ALIASES: dict[str, type[Initializer]] = {
    **INITIALIZERS,
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
}


def __getattr__(name: str) -> Any:
    if name in KERAS_ALIASES:
        return KERAS_ALIASES[name]
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)
