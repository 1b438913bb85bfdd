"""A glassnet model and its Keras 3 twin with the same weights and settings, for the tests that
compare Keras's hooks and numbers (KERAS_BACKEND=torch is set before keras is imported)."""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set

import glassnet as gn


def pair() -> tuple[gn.Sequential, keras.Model]:
    """Dense(1) on 2 inputs, SGD(0.1), mse with the mae metric: glassnet's and Keras's."""
    net = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], seed=0)
    net.compile(gn.SGD(0.1), "mse", metrics=["mae"])
    twin = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    twin.set_weights(net.get_weights())
    twin.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    return net, twin
