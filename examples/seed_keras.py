"""The seed notebook's Keras cell, written with glassnet: the same lines, the same names.

Dense 3, 4, 1 with sigmoids and biases (33 parameters), SGD with learning rate 1.0, mean squared
error, one example per batch for 1000 epochs. (The notebook's input_shape=(4, 3) was a slip: each
example has 3 features.)

Run: python examples/seed_keras.py
"""

import numpy as np

import glassnet as gn
from glassnet import layers

model = gn.Sequential(seed=0)
model.add(gn.Input(shape=(3,)))
model.add(layers.Dense(3, activation="sigmoid", name="layer1"))
model.add(layers.Dense(4, activation="sigmoid", name="layer2"))
model.add(layers.Dense(1, activation="sigmoid", name="layer3"))

opt = gn.SGD(learning_rate=1.0)
model.compile(optimizer=opt, loss="mse", metrics=["accuracy", "mse"])
x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
y = np.array([[0, 1, 1, 0]]).T
model.summary()
history = model.fit(x, y, epochs=1000, batch_size=1, verbose=0)
print("accuracy, every 100 epochs:", history.history["accuracy"][::100])
pred = model.predict(x)
print("prediction", pred.ravel())
