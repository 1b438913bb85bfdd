"""Handwritten digits as images: a small convolutional network, the way a Keras user writes it.

Loads scikit-learn's 8x8 digits as images, ``(1797, 8, 8, 1)`` (``pip install
'glassnet[datasets]'``), holds a quarter out for testing with the very split of
``examples/digits.py`` (``train_test_split(..., test_size=0.25, seed=0)``: 1347 to train, 450 to
test), trains two convolution + max-pooling blocks and a softmax (its first layer divides the raw
pixels by 16, so the saved model takes raw pixels too), reports the test accuracy (99.3% with
seed 0), then saves the model, loads it back and checks that it predicts the same.

    python examples/digits_cnn.py
"""

import os
import tempfile

import numpy as np

import glassnet as gn
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D, Rescaling

x, y = gn.datasets.digits(images=True)  # (1797, 8, 8, 1): raw pixels 0..16, channels last
x_train, x_test, y_train, y_test = gn.datasets.train_test_split(x, y, test_size=0.25, seed=0)

model = gn.Sequential(
    [
        gn.Input(shape=(8, 8, 1)),
        Rescaling(1 / 16),  # pixels 0..16 -> 0..1, inside the model: it takes raw pixels
        Conv2D(16, 3, activation="relu", padding="same"),  # (None, 8, 8, 16)
        MaxPooling2D(),  # (None, 4, 4, 16)
        Conv2D(32, 3, activation="relu", padding="same"),  # (None, 4, 4, 32)
        MaxPooling2D(),  # (None, 2, 2, 32)
        Flatten(),  # (None, 128)
        Dense(10, activation="softmax"),
    ],
    seed=0,
)
model.compile(gn.Adam(0.005), "sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()
model.fit(x_train, y_train, epochs=20, batch_size=32, verbose=0)
loss, accuracy = model.evaluate(x_test, y_test)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")

path = os.path.join(tempfile.mkdtemp(), "digits_cnn.glassnet")
model.save(path)
again = gn.load_model(path)
same = bool(np.array_equal(again.predict(x_test), model.predict(x_test)))
print(f"saved to {path}; loaded back, predicts the same: {same}")
print("first five test digits:", again.predict(x_test[:5]).argmax(axis=1), "true:", y_test[:5])
