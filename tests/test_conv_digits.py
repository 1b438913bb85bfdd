"""End to end (issue 17, first step): a tiny CNN learns the 8x8 digits as images, in about a
second, and its model file gives back the very same network."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D


def test_a_tiny_cnn_learns_the_digits_as_images_and_saves_bit_for_bit(tmp_path) -> None:
    x, y = gn.datasets.digits()  # (1797, 64) in [0, 16]
    images = (x / 16.0).reshape(-1, 8, 8, 1)  # channels last: (n, height, width, channels)
    x_train, x_test, y_train, y_test = gn.datasets.train_test_split(
        images, y, test_size=0.25, seed=0, stratify=True
    )
    model = gn.Sequential(
        [
            gn.Input(shape=(8, 8, 1)),
            Conv2D(4, 3, activation="relu"),
            MaxPooling2D(),
            Flatten(),
            Dense(10, activation="softmax"),
        ],
        seed=0,
    )
    model.compile(gn.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    loss, accuracy = model.evaluate(x_test, y_test)
    assert accuracy >= 0.94  # 0.96 measured with seed 0 (this test, glassnet at this commit)
    model.save(tmp_path / "digits.glassnet")
    loaded = gn.load_model(tmp_path / "digits.glassnet")
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(model.predict(x_test), loaded.predict(x_test))
    assert loaded.evaluate(x_test, y_test) == [loss, accuracy]
