"""Layers: each forward pass above its hand-written backward pass, one family a module.

``core`` holds the base ``Layer``, ``Input``, ``Dense``, ``Activation`` (and, for now,
``Dropout``); ``preprocessing`` holds ``Rescaling`` and ``Normalization``. Every public name is
re-exported here, so ``glassnet.layers.Dense`` and ``glassnet.layers.from_config`` are spelled as
before, and ``LAYERS`` (the registry ``from_config`` reads) lists every kind.
"""

from __future__ import annotations

from glassnet.layers.core import (
    LAYERS,
    Activation,
    Array,
    Dense,
    Dropout,
    Input,
    Layer,
    from_config,
)
from glassnet.layers.preprocessing import Normalization, Rescaling

# registered here, not in core.py: preprocessing.py builds on core.py's Layer
LAYERS.update({"rescaling": Rescaling, "normalization": Normalization})

__all__ = [
    "LAYERS",
    "Activation",
    "Array",
    "Dense",
    "Dropout",
    "Input",
    "Layer",
    "Normalization",
    "Rescaling",
    "from_config",
]
