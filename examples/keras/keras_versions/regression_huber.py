"""A Keras regression script: Huber loss, AdamW with a cosine learning-rate schedule.

The same file as keras_versions/regression_huber.py except for the import line
(tests/test_keras_examples.py checks it). The data: y = sin(x0) + 0.5 * x1 * x2 + noise, with
a few outliers that a squared error would chase and Huber's loss does not.

Run: python examples/keras/regression_huber.py
"""

import numpy as np

import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.uniform(-2.0, 2.0, size=(1200, 3)).astype("float32")
y = (np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]).astype("float32").reshape(-1, 1)
y_train_noise = rng.normal(0.0, 0.1, size=y.shape).astype("float32")
outliers = rng.choice(1000, size=30, replace=False)
y_train_noise[outliers] += rng.choice([-5.0, 5.0], size=(30, 1)).astype("float32")
x_train, y_train = x[:1000], y[:1000] + y_train_noise[:1000]
x_test, y_test = x[1000:], y[1000:]

model = keras.models.Sequential(
    [
        keras.Input(shape=(3,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ]
)
epochs, batch_size = 15, 100
steps = epochs * int(np.ceil(0.8 * len(x_train) / batch_size))
schedule = keras.optimizers.schedules.CosineDecay(
    initial_learning_rate=0.02, decay_steps=steps, alpha=0.01
)
model.compile(
    optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-4),
    loss=keras.losses.Huber(delta=1.0),
    metrics=["mae"],
)
history = model.fit(
    x_train, y_train, epochs=epochs, batch_size=batch_size, validation_split=0.2, verbose=0
)
print(f"final val_loss {history.history['val_loss'][-1]:.4f}")
test_loss, test_mae = model.evaluate(x_test, y_test, verbose=0)
print(f"test huber {test_loss:.4f}")
print(f"test mae {test_mae:.4f}")
