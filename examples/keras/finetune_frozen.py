"""A Keras fine-tuning script: train, freeze the first layer, recompile, train the rest.

The same file as keras_versions/finetune_frozen.py except for the import line
(tests/test_keras_examples.py checks it). The data: three Gaussian blobs in 4 dimensions; the
second fit sees a shifted copy of them, which only the unfrozen layers may adapt to.

Run: python examples/keras/finetune_frozen.py
"""

import numpy as np

import glassnet as keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
centers = rng.normal(0.0, 2.0, size=(3, 4))
labels = rng.integers(0, 3, size=900)
x = (centers[labels] + rng.normal(0.0, 1.0, size=(900, 4))).astype("float32")
y = keras.utils.to_categorical(labels, 3)
x_shifted = x + np.float32(0.5)
x_train, y_train, x_new, y_new = x[:600], y[:600], x_shifted[600:], y[600:]

model = keras.models.Sequential(
    [
        keras.Input(shape=(4,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
_, base_accuracy = model.evaluate(x_new[150:], y_new[150:], verbose=0)
print(f"before fine-tuning, accuracy on the shifted data {base_accuracy:.4f}")

model.layers[0].trainable = False
frozen = [w.copy() for w in model.layers[0].get_weights()]
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_new[:150], y_new[:150], epochs=10, batch_size=32, verbose=0)
unchanged = all(
    np.array_equal(a, b) for a, b in zip(frozen, model.layers[0].get_weights(), strict=True)
)
print(f"first layer unchanged: {unchanged}")
print(f"trainable weights: {len(model.trainable_weights)} of {len(model.weights)}")
_, accuracy = model.evaluate(x_new[150:], y_new[150:], verbose=0)
print(f"after fine-tuning, accuracy on the shifted data {accuracy:.4f}")
