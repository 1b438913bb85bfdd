"""Layers: each forward pass above its hand-written backward pass, one family a module.

``core`` holds the base ``Layer``, ``Input``, ``Dense``, ``Activation`` (and, for now,
``Dropout``); every public name is re-exported here, so ``glassnet.layers.Dense`` and
``glassnet.layers.from_config`` are spelled as before.
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

__all__ = [
    "LAYERS",
    "Activation",
    "Array",
    "Dense",
    "Dropout",
    "Input",
    "Layer",
    "from_config",
]
