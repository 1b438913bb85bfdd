"""The seed notebook's two cells, rebuilt with glassnet's own API.

The notebook ("explain a neural network as if I am a schoolkid") teaches XOR, with a constant third
input, to a 3-4-1 sigmoid network by hand-derived backpropagation in NumPy (cell 1), then models
the same task in Keras (cell 2). ``numpy_cell()`` and ``keras_cell()`` run them here; ``glassnet
seed`` prints their results in the notebook's format.

>>> result = numpy_cell()
>>> format_outputs(result.initial_output)
'[ 0.758  0.771  0.791  0.801]'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.callbacks import History
from glassnet.initializers import RandomUniform
from glassnet.layers import Dense, Input
from glassnet.losses import HalfSumSquaredError
from glassnet.metrics import binary_accuracy
from glassnet.model import Sequential
from glassnet.optimizers import SGD

Array = NDArray[np.floating[Any]]

#: The notebook's training set: XOR of the first two columns; the third is always 1.
XOR_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)
ITERATIONS = 1000
KERAS_CELL_SEED = 0  # the default seed of `glassnet seed --cell keras`; see keras_cell()


def seed_network(dtype: str = "float64") -> Sequential:
    """The notebook's 3-4-1 network with its exact initial weights, compiled as it trains.

    Sigmoid everywhere, no biases (the constant input column plays the bias), weights drawn by
    ``np.random.seed(1)``, ``np.random.random((3, 4))``, ``np.random.random((4, 1))``: one seeded
    ``RandomUniform(0, 1)`` shared by both layers hands out those draws in build order. The cost is
    ``HalfSumSquaredError`` (1/2 sum (a2 - y)^2, so the output error is a2 - y) and the update is
    plain gradient descent with learning rate 1, in ``dtype``: float64, as the notebook, unless
    asked otherwise (the benchmarks time it in float32 too).
    """
    draws = RandomUniform(0.0, 1.0, seed=1)
    model = Sequential(
        [
            Input(shape=(3,)),
            Dense(4, activation="sigmoid", use_bias=False, kernel_initializer=draws),
            Dense(1, activation="sigmoid", use_bias=False, kernel_initializer=draws),
        ],
        dtype=dtype,
    )
    model.build((None, 3))
    model.compile(optimizer=SGD(learning_rate=1.0), loss=HalfSumSquaredError())
    return model


@dataclass
class NumpyCellResult:
    """What the notebook's first cell prints, and the model that produced it."""

    initial_output: Array  # a2 at iteration 0, before any update: (4, 1)
    last_output: Array  # a2 computed in the forward pass of the last iteration: (4, 1)
    prediction: Array  # the trained network's output for [1, 0, 1]: (1, 1)
    model: Sequential = field(repr=False)
    #: per iteration, "loss" (the half sum) and "accuracy" of that iteration's forward pass
    history: dict[str, list[float]] = field(default_factory=dict, repr=False)
    weights_before: list[Array] = field(default_factory=list, repr=False)


def numpy_cell(iterations: int = ITERATIONS) -> NumpyCellResult:
    """Run cell 1: full-batch gradient descent for ``iterations`` steps on the XOR set.

    As in the notebook, "New output" is the a2 of the last iteration's forward pass (computed
    before that iteration's update), and the prediction uses the weights after every update.
    """
    model = seed_network()
    weights_before = model.get_weights()
    initial_output = model.predict(XOR_X)
    last_output = initial_output
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    for _ in range(iterations):
        history["loss"].append(float(model.train_on_batch(XOR_X, XOR_Y)))
        last_output = model.layers[-1].a.copy()  # the a2 this step's forward pass computed
        history["accuracy"].append(binary_accuracy(XOR_Y, last_output))
    prediction = model.predict(np.array([[1, 0, 1]]))
    return NumpyCellResult(initial_output, last_output, prediction, model, history, weights_before)


def keras_network(seed: int = KERAS_CELL_SEED) -> Sequential:
    """The notebook's Keras model: Dense 3, 4, 1, sigmoid, with biases (12 + 16 + 5 = 33
    parameters), SGD learning rate 1.0, mean squared error, metrics accuracy and mse.

    The notebook's ``input_shape=(4, 3)`` was a slip (Keras 3 rejects it): each example has 3
    features, so the input here is ``Input(shape=(3,))``. Initial weights are Keras's defaults
    (Glorot uniform kernels, zero biases), drawn from ``seed``.
    """
    model = Sequential(
        [
            Input(shape=(3,)),
            Dense(3, activation="sigmoid", name="layer1"),
            Dense(4, activation="sigmoid", name="layer2"),
            Dense(1, activation="sigmoid", name="layer3"),
        ],
        seed=seed,
    )
    model.compile(optimizer=SGD(learning_rate=1.0), loss="mse", metrics=["accuracy", "mse"])
    return model


@dataclass
class KerasCellResult:
    """What the notebook's second cell shows: the summary, the history and the predictions."""

    summary: str
    history: History
    predictions: Array  # (4, 1)
    model: Sequential = field(repr=False)
    weights_before: list[Array] = field(default_factory=list, repr=False)

    @property
    def learnt(self) -> bool:
        """Every prediction on the right side of 0.5: the network has learnt XOR."""
        return bool(np.all((self.predictions > 0.5) == (XOR_Y > 0.5)))


def keras_cell(seed: int = KERAS_CELL_SEED, epochs: int = ITERATIONS) -> KerasCellResult:
    """Run cell 2: ``fit(epochs=1000, batch_size=1)``, shuffled each epoch, then ``predict``.

    Whether XOR is learnt depends on the random start, in Keras as here: a small sigmoid net can
    settle on a plateau. The default ``seed`` is one with which it learns; ``tests/test_seed.py``
    checks that it does.
    """
    model = keras_network(seed)
    before = model.get_weights()
    history = model.fit(XOR_X, XOR_Y, epochs=epochs, batch_size=1, verbose=0)
    return KerasCellResult(model.summary_text(), history, model.predict(XOR_X), model, before)


def format_outputs(values: Array) -> str:
    """Values as the notebook printed them: ``np.set_printoptions(formatter={'float':
    '{: 0.3f}'.format})``, flattened to one line."""
    return np.array2string(np.ravel(values), formatter={"float": "{: 0.3f}".format})
