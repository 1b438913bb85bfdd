"""glassnet: a neural-network library you can see through.

The public face: re-exports only. Start with ``glassnet.Sequential`` and ``glassnet.layers.Dense``.
"""

from glassnet import (
    activations,
    callbacks,
    datasets,
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
from glassnet.gradcheck import check_gradients
from glassnet.initializers import Constant, GlorotUniform, HeNormal, RandomUniform, Zeros
from glassnet.io import ModelFileError, load_model
from glassnet.layers import Input
from glassnet.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    HalfSumSquaredError,
    MeanSquaredError,
    SparseCategoricalCrossEntropy,
)
from glassnet.model import Sequential, TrainingDivergedError
from glassnet.optimizers import SGD, Adam, RMSprop
from glassnet.parity import compare
from glassnet.trace import Trace, TraceCallback, trace_step

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "BinaryCrossEntropy",
    "Callback",
    "CategoricalCrossEntropy",
    "Constant",
    "EarlyStopping",
    "GlorotUniform",
    "HalfSumSquaredError",
    "HeNormal",
    "History",
    "Input",
    "LearningRateScheduler",
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
    "optimizers",
    "regularizers",
    "trace_step",
]
