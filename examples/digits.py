"""Handwritten digits, the way a Keras user would do it, with glassnet.

Loads scikit-learn's 8x8 digits (``pip install 'glassnet[datasets]'``), holds a quarter out for
testing, trains a 64-64-10 MLP (its first layer divides the raw pixels by 16, so the saved model
takes raw pixels too) with early stopping on a validation split, reports the test
accuracy, then saves the model, loads it back and checks that it predicts the same.

    python examples/digits.py
"""

import os
import tempfile

import numpy as np

import glassnet as gn

x, y = gn.datasets.digits()  # raw pixels 0..16, as sklearn.datasets.load_digits gives them
x_train, x_test, y_train, y_test = gn.datasets.train_test_split(x, y, test_size=0.25, seed=0)

model = gn.Sequential(
    [
        gn.Input(shape=(64,)),
        gn.layers.Rescaling(1 / 16),  # pixels 0..16 -> 0..1, inside the model: it takes raw pixels
        gn.layers.Dense(64, "relu", kernel_regularizer=gn.regularizers.L2(1e-4)),
        gn.layers.Dense(10, "softmax"),
    ],
    seed=0,
)
model.compile(gn.Adam(0.005), "sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()
stop = gn.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
history = model.fit(x_train, y_train, epochs=60, validation_split=0.2, callbacks=[stop], verbose=2)
loss, accuracy = model.evaluate(x_test, y_test)
print(f"stopped after {len(history.epoch)} epochs; best val_loss at epoch {stop.best_epoch + 1}")
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")

path = os.path.join(tempfile.mkdtemp(), "digits.glassnet")
model.save(path)
again = gn.load_model(path)
same = bool(np.array_equal(again.predict(x_test), model.predict(x_test)))
print(f"saved to {path}; loaded back, predicts the same: {same}")
