"""Layers: each forward pass above its hand-written backward pass, one family a module.

``base`` holds the base ``Layer`` and ``Input``; ``core`` ``Dense``, ``Activation``;
``regularization`` ``Dropout``; ``preprocessing`` ``Rescaling`` and ``Normalization``;
``convolution`` ``Conv2D``; ``pooling`` ``MaxPooling2D``, ``AveragePooling2D``,
``GlobalAveragePooling2D``; ``reshaping`` ``Flatten`` and ``Reshape``; ``normalization``
``BatchNormalization``. Every public name is re-exported here, so ``glassnet.layers.Dense``
and ``glassnet.layers.from_config`` are spelled as before, and ``LAYERS`` (the registry
``from_config`` reads) lists every kind.
"""

from __future__ import annotations

from typing import Any

from glassnet.layers.activation_layers import LeakyReLU
from glassnet.layers.convolution import Conv2D
from glassnet.layers.core import (
    LAYERS,
    Activation,
    Array,
    Dense,
    Input,
    Layer,
    from_config,
)
from glassnet.layers.normalization import BatchNormalization
from glassnet.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D
from glassnet.layers.preprocessing import Normalization, Rescaling
from glassnet.layers.regularization import Dropout
from glassnet.layers.reshaping import Flatten, Reshape

# registered here, not in core.py: the other modules build on base.py's Layer
LAYERS.update(
    {
        "dropout": Dropout,
        "rescaling": Rescaling,
        "normalization": Normalization,
        "conv2d": Conv2D,
        "maxpooling2d": MaxPooling2D,
        "averagepooling2d": AveragePooling2D,
        "globalaveragepooling2d": GlobalAveragePooling2D,
        "flatten": Flatten,
        "reshape": Reshape,
        "batchnormalization": BatchNormalization,
    }
)

# Keras's other spellings of the same classes (keras.layers.MaxPool2D is MaxPooling2D)
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # Conv1D, LSTM...: the reason why

    raise missing("glassnet.layers", name)


__all__ = [
    "LAYERS",
    "Activation",
    "Array",
    "AveragePooling2D",
    "AvgPool2D",
    "BatchNormalization",
    "Conv2D",
    "Convolution2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAveragePooling2D",
    "GlobalAvgPool2D",
    "Input",
    "Layer",
    "LeakyReLU",
    "MaxPool2D",
    "MaxPooling2D",
    "Normalization",
    "Rescaling",
    "Reshape",
    "from_config",
]
