"""glassnet: a neural-network library you can see through.

The public face: re-exports only. Start with ``glassnet.Sequential`` and ``glassnet.layers.Dense``.
The pieces a training script may never touch (data sets, model files, gradient checks, parity,
traces) are imported on first use, so that ``import glassnet`` stays fast (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from glassnet import (
    activations,
    callbacks,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    regularizers,
)
from glassnet.callbacks import (
    Callback,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
)
from glassnet.initializers import Constant, GlorotUniform, HeNormal, RandomUniform, Zeros
from glassnet.layers import Input
from glassnet.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    HalfSumSquaredError,
    Huber,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossEntropy,
)
from glassnet.model import Sequential, TrainingDivergedError
from glassnet.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop

if TYPE_CHECKING:
    from glassnet import datasets, models, utils
    from glassnet.gradcheck import check_gradients
    from glassnet.io import ModelFileError, load_model
    from glassnet.parity import compare
    from glassnet.trace import Trace, TraceCallback, trace_step

#: name -> (module, attribute or None for the module itself), imported on first access
_LAZY: dict[str, tuple[str, str | None]] = {
    "datasets": ("glassnet.datasets", None),
    "check_gradients": ("glassnet.gradcheck", "check_gradients"),
    "ModelFileError": ("glassnet.io", "ModelFileError"),
    "load_model": ("glassnet.io", "load_model"),
    "compare": ("glassnet.parity", "compare"),
    "Trace": ("glassnet.trace", "Trace"),
    "TraceCallback": ("glassnet.trace", "TraceCallback"),
    "trace_step": ("glassnet.trace", "trace_step"),
    "models": ("glassnet.models", None),  # Keras's namespaces: keras.models, keras.utils
    "utils": ("glassnet.utils", None),
    # Keras's base classes at the top level (keras.Layer is keras.layers.Layer)
    "Layer": ("glassnet.layers", "Layer"),
    "Loss": ("glassnet.losses", "Loss"),
    "Metric": ("glassnet.metrics", "Metric"),
    "Optimizer": ("glassnet.optimizers", "Optimizer"),
    "Initializer": ("glassnet.initializers", "Initializer"),
    "Regularizer": ("glassnet.regularizers", "Regularizer"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        from glassnet._not_here import missing  # Model, mixed_precision...: the reason why

        raise missing("glassnet", name)
    module, attribute = _LAZY[name]
    value = importlib.import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"


def version() -> str:
    """glassnet's version, as a string (Keras's ``keras.version()``)."""
    return __version__


__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "BinaryCrossEntropy",
    "Callback",
    "CategoricalCrossEntropy",
    "Constant",
    "EarlyStopping",
    "GlorotUniform",
    "HalfSumSquaredError",
    "HeNormal",
    "History",
    "Huber",
    "Input",
    "LearningRateScheduler",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "ModelCheckpoint",
    "ModelFileError",
    "RMSprop",
    "RandomUniform",
    "Sequential",
    "SparseCategoricalCrossEntropy",
    "TerminateOnNaN",
    "Trace",
    "TraceCallback",
    "TrainingDivergedError",
    "Zeros",
    "activations",
    "callbacks",
    "check_gradients",
    "compare",
    "datasets",
    "initializers",
    "layers",
    "load_model",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "trace_step",
    "utils",
]
