"""A Keras script for an imbalanced classification: class_weight, ReduceLROnPlateau, CSVLogger.

The same file as keras_versions/imbalanced_class_weight.py except for the import line
(tests/test_keras_examples.py checks it). The task: "is this 8x8 digit a 9?", from scikit-learn's
digits, with most of the training 9s left out, so that about 3% of the training examples are
positive. A model trained as usual learns to say "no" and misses many 9s; ``class_weight``
weighs each positive example as much as the negatives' total, and finds more of them. Each run
logs its epochs to a CSV file and halves the learning rate when the validation loss stalls.

Run: python examples/keras/imbalanced_class_weight.py   (writes imbalanced_*.csv here)
"""

import csv
import itertools

import numpy as np
from sklearn.datasets import load_digits

import keras

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data / 16.0).astype("float32")  # (1797, 64), pixels in [0, 1]
y = (digits.target == 9).astype("float32")  # 1 for a 9
rng = np.random.default_rng(0)
order = rng.permutation(len(x))
x, y = x[order], y[order]
x_train, y_train, x_test, y_test = x[:1200], y[:1200], x[1200:], y[1200:]
keep = (y_train == 0) | (rng.random(len(y_train)) < 0.25)  # drop three in four training 9s
x_train, y_train = x_train[keep], y_train[keep]
positives = int(y_train.sum())
print(f"training 9s {positives} of {len(y_train)}")


def train(class_weight, log_name):
    model = keras.models.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    callbacks = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
        keras.callbacks.CSVLogger(log_name),
    ]
    model.fit(
        x_train,
        y_train,
        epochs=20,
        batch_size=64,
        validation_split=0.2,
        class_weight=class_weight,
        callbacks=callbacks,
        verbose=0,
    )
    found = model.predict(x_test, verbose=0)[:, 0] > 0.5
    recall = float(found[y_test == 1].mean())
    precision = float(y_test[found].mean()) if found.any() else 0.0
    with open(log_name, newline="") as log:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(log)]
    return recall, precision, rates


weights = {0: 1.0, 1: (len(y_train) - positives) / positives}
for label, class_weight in (("unweighted", None), ("class_weight", weights)):
    recall, precision, rates = train(class_weight, f"imbalanced_{label.replace('_', '')}.csv")
    print(f"{label} recall {recall:.4f}")
    print(f"{label} precision {precision:.4f}")
    cuts = sum(later < earlier for earlier, later in itertools.pairwise(rates))
    print(f"{label} logged epochs {len(rates)}")
    print(f"{label} learning rate cuts {cuts}, from {rates[0]:.4g} to {rates[-1]:.4g}")
