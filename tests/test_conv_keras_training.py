"""Issue 17's Keras training parity: a conv net whose first convolution pads "same" at stride 2
(the asymmetric case: TensorFlow's extra row/column at the bottom/right) trained 50 SGD steps in
glassnet and in Keras 3.15.1 (torch backend, float32), every weight within 1e-5.

Conv2D(same, stride 2) -> relu -> Conv2D -> Flatten -> Dense softmax; glassnet's initial weights
go into Keras by get_weights/set_weights (the same layouts), both train on the same batches in
order (no shuffling). Keras is driven by its own ``fit`` here, and by ``glassnet.compare`` (which
steps Keras's optimizer by hand and compares every step).
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import AveragePooling2D, Conv2D, Dense, Flatten

STEPS, BATCH = 50, 8
SHAPE = (9, 8, 2)  # 9x8 at stride 2, kernel 3, "same": out 5x4, pads (1, 1) rows, (0, 1) columns


def glassnet_model(momentum: float) -> gn.Sequential:
    model = gn.Sequential(
        [
            gn.Input(SHAPE),
            Conv2D(4, 3, strides=2, padding="same", activation="relu", bias_initializer=bias()),
            Conv2D(3, 2, bias_initializer=bias()),
            Flatten(),
            Dense(3, activation="softmax"),
        ],
        seed=7,
    )  # float32, as Keras
    model.compile(gn.SGD(0.1, momentum=momentum), "sparse_categorical_crossentropy")
    return model


def bias() -> gn.initializers.Initializer:
    return gn.RandomUniform(-0.5, 0.5, seed=1)  # nonzero biases: their gradients are checked too


def keras_model(ours: gn.Sequential, momentum: float) -> keras.Sequential:
    model = keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(3, 2),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.set_weights(ours.get_weights())  # kernels (kh, kw, in, out) in both
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=momentum),
        loss="sparse_categorical_crossentropy",
    )
    return model


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(STEPS * BATCH, *SHAPE)).astype(np.float32)
    return x, rng.integers(0, 3, size=STEPS * BATCH)


def test_the_first_convolution_pads_unevenly() -> None:
    model = glassnet_model(0.0)
    assert model.layers[0].pads == (1, 1, 0, 1)  # top, bottom, left, right: the extra at right
    assert model.layers[0].compute_output_shape(SHAPE) == (5, 4, 4)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras's own
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_50_sgd_steps_with_kerass_fit_agree_on_every_weight(momentum: float) -> None:
    ours = glassnet_model(momentum)
    theirs = keras_model(ours, momentum)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the same start, bit for bit
    x, y = data()
    ours.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)  # 50 steps, in order
    theirs.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    moved = max(
        float(np.abs(a - b).max())
        for a, b in zip(ours.get_weights(), glassnet_model(momentum).get_weights(), strict=True)
    )
    assert moved > 0.05  # the weights really trained
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x, verbose=0), rtol=0, atol=1e-5)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras's own
def test_compare_steps_keras_and_glassnet_side_by_side() -> None:
    x, y = data()
    report = gn.compare(glassnet_model(0.9), x, y, "keras", steps=STEPS, batch_size=BATCH)
    assert report.passed, report.table()
    assert 0 < report.max_weight_difference <= 1e-5  # float32 against float64: another engine


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras's own
def test_keras_parity_refuses_an_unevenly_padded_average_pooling() -> None:
    """Keras 3.15.1's torch backend averages pool 3, stride 2, "same" on 4x4 images (pads 0 top,
    1 bottom) otherwise than TensorFlow's rule (the mean of the real inputs), which glassnet
    follows: parity would blame glassnet for Keras's difference, so it says so instead."""
    x = np.random.default_rng(0).normal(size=(1, 4, 4, 1)).astype(np.float32)
    model = gn.Sequential(
        [gn.Input((4, 4, 1)), AveragePooling2D(3, strides=2, padding="same"), Flatten(), Dense(1)]
    )
    assert model.layers[0].pads == (0, 1, 0, 1)
    theirs = keras.layers.AveragePooling2D(3, strides=2, padding="same")(x).numpy()
    assert np.abs(theirs - model.layers[0].forward(x)).max() > 0.01
    model.compile("sgd", "mse")
    with pytest.raises(
        ValueError,
        match=r"Layer 'average_pooling2d' \(AveragePooling2D\) pads unevenly \(top 0, bottom 1, left "
        r"0, right 1\); Keras 3's torch backend averages such windows differently",
    ):
        gn.compare(model, x, np.ones(1), "keras", steps=1)
    assert gn.compare(model, x, np.ones(1), "torch", steps=3).passed  # PyTorch mirrors it
