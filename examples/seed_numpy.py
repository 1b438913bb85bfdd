"""The seed notebook's NumPy cell, written with glassnet.

A 3-4-1 network learns XOR of the first two inputs (the third input is always 1 and plays the
bias). The notebook derived every gradient by hand; here each Dense layer's backward pass does
it, and the numbers come out the same: 0.758 0.771 0.791 0.801 at the start, 0.925 at the end.

Run: python examples/seed_numpy.py
"""

import numpy as np

import glassnet as gn

x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
y = np.array([[0, 1, 1, 0]]).T

# np.random.seed(1); np.random.random((3, 4)); np.random.random((4, 1)): one seeded stream,
# shared by both layers, hands out the same draws in the same order.
draws = gn.RandomUniform(0.0, 1.0, seed=1)
model = gn.Sequential(
    [
        gn.Input(shape=(3,)),
        gn.layers.Dense(4, activation="sigmoid", use_bias=False, kernel_initializer=draws),
        gn.layers.Dense(1, activation="sigmoid", use_bias=False, kernel_initializer=draws),
    ],
    dtype="float64",
)
# The notebook's cost is 1/2 * sum((a2 - y)**2), so its output error is just a2 - y.
model.compile(optimizer=gn.SGD(learning_rate=1.0), loss=gn.HalfSumSquaredError())

np.set_printoptions(formatter={"float": "{: 0.3f}".format})
print("Initial output\n", model.predict(x))
model.fit(x, y, epochs=1000, batch_size=4, shuffle=False, verbose=0)  # full batch, in order
print("Output after training is\n", model.predict(np.array([[1, 0, 1]])))
