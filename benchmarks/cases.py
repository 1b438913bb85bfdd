"""The workloads, each written twice: once with glassnet's real API, once as PyTorch eager.

A workload is a ``Workload``: ``run()`` is what is timed (one ``fit``, one epoch, one ``predict``),
``reset()`` runs before each timed run, untimed. The PyTorch side is what a PyTorch user writes:
``nn.Sequential``, autograd, ``torch.optim``, batches gathered by a random permutation (no
``DataLoader``, which would only make it slower), and the epoch loss read back as glassnet's
``fit`` does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import glassnet as gn
from glassnet.seed import XOR_X, XOR_Y, seed_network

#: the MNIST-sized MLP and the wide one: units after the 784 inputs
MLP = (256, 128, 10)
WIDE = (1024, 1024, 10)
FEATURES, CLASSES = 784, 10
IMAGE = (28, 28, 1)  # the small CNN's input, channels last
CNN_RATE = 0.05  # the small CNN's SGD learning rate


@dataclass
class Workload:
    run: Callable[[], Any]
    reset: Callable[[], None] = field(default=lambda: None)
    flops: float = 0.0  # floating-point operations in one run (multiply-adds count 2)


def synthetic_data(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(rows, 784) float32 standard normal features and (rows,) int64 labels in [0, 10).

    Drawn straight into a float32 array, so making the data needs no float64 temporary."""
    rng = np.random.default_rng(seed)
    x = np.empty((rows, FEATURES), dtype=np.float32)
    rng.standard_normal(out=x, dtype=np.float32)
    y = rng.integers(0, CLASSES, size=rows)
    return x, y


def synthetic_images(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(rows, 28, 28, 1) float32 standard normal images and (rows,) int64 labels in [0, 10)."""
    x, y = synthetic_data(rows, seed)
    return x.reshape(rows, *IMAGE), y


def training_flops(units: tuple[int, ...], rows: int) -> float:
    """Per row and layer: forward 2 n_in n_out, dC/dW 2 n_in n_out, dC/da_prev 2 n_in n_out
    (not for the first layer, whose input gradient is never needed)."""
    sizes = (FEATURES, *units)
    total = 0.0
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        total += (4 if index == 0 else 6) * n_in * n_out
    return total * rows


def predict_flops(units: tuple[int, ...], rows: int) -> float:
    sizes = (FEATURES, *units)
    return float(sum(2 * a * b for a, b in itertools.pairwise(sizes)) * rows)


def seed_data(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """The seed notebook's XOR set (glassnet.seed), in dtype."""
    return XOR_X.astype(dtype), XOR_Y.astype(dtype)


# -- glassnet ---------------------------------------------------------------------------------
# The seed toy is glassnet.seed.seed_network(dtype): the notebook's 3-4-1 sigmoid net, its
# weights and its training.
def glassnet_seed_fit(dtype: str, steps: int) -> Workload:
    """``fit(epochs=steps, batch_size=4, shuffle=False)``: full batch, one step per epoch."""
    model = seed_network(dtype)
    start = model.get_weights()
    x, y = seed_data(dtype)
    return Workload(
        run=lambda: model.fit(x, y, epochs=steps, batch_size=4, shuffle=False, verbose=0),
        reset=lambda: model.set_weights(start),
    )


def glassnet_seed_steps(dtype: str, steps: int) -> Workload:
    """``train_on_batch`` called ``steps`` times (validates its input every call, as Keras's)."""
    model = seed_network(dtype)
    start = model.get_weights()
    x, y = seed_data(dtype)

    def run() -> None:
        for _ in range(steps):
            model.train_on_batch(x, y)

    return Workload(run=run, reset=lambda: model.set_weights(start))


def glassnet_mlp(units: tuple[int, ...], seed: int = 0) -> gn.Sequential:
    layers = [gn.layers.Dense(n, "relu") for n in units[:-1]]
    model = gn.Sequential(
        [gn.Input(shape=(FEATURES,)), *layers, gn.layers.Dense(units[-1], "softmax")], seed=seed
    )
    model.compile(optimizer=gn.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    return model


def glassnet_epoch(units: tuple[int, ...], x: np.ndarray, y: np.ndarray, batch: int) -> Workload:
    """One shuffled epoch of ``fit``."""
    model = glassnet_mlp(units)
    return Workload(
        run=lambda: model.fit(x, y, epochs=1, batch_size=batch, verbose=0),
        flops=training_flops(units, len(x)),
    )


def glassnet_bare_epoch(
    units: tuple[int, ...], x: np.ndarray, y: np.ndarray, batch: int
) -> Workload:
    """The same epoch as the engine alone: input checks, shuffle, then ``_train_step`` per batch,
    with no callbacks, no trace hooks and no metrics. ``fit`` minus this is what fit's machinery
    (tracing included, switched off) costs."""
    model = glassnet_mlp(units)

    def run() -> None:
        xs, ys = model._data(x, y)
        order = model.rng.permutation(len(xs))
        for start in range(0, len(xs), batch):
            index = order[start : start + batch]
            loss, _ = model._train_step(xs.take(index, axis=0), ys.take(index, axis=0))
            if not np.isfinite(loss):
                raise FloatingPointError(loss)

    return Workload(run=run, flops=training_flops(units, len(x)))


def glassnet_predict(units: tuple[int, ...], x: np.ndarray) -> Workload:
    model = glassnet_mlp(units)
    return Workload(run=lambda: model.predict(x), flops=predict_flops(units, len(x)))


def glassnet_cnn(seed: int = 0) -> gn.Sequential:
    """28x28x1 -> Conv2D 8 3x3 relu -> MaxPool 2 -> Conv2D 16 3x3 relu -> MaxPool 2 -> Flatten
    -> Dense 10 softmax; sparse categorical cross-entropy, SGD."""
    layers = gn.layers
    model = gn.Sequential(
        [
            gn.Input(shape=IMAGE),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(CLASSES, "softmax"),
        ],
        seed=seed,
    )
    model.compile(optimizer=gn.SGD(learning_rate=CNN_RATE), loss="sparse_categorical_crossentropy")
    return model


def glassnet_cnn_epoch(x: np.ndarray, y: np.ndarray, batch: int) -> Workload:
    """One shuffled epoch of the small CNN's ``fit``."""
    model = glassnet_cnn()
    return Workload(run=lambda: model.fit(x, y, epochs=1, batch_size=batch, verbose=0))


# -- the hand-written NumPy loops (benchmarks.hand, proved equal in tests/test_hand_loops.py) --
def hand_seed_fit(dtype: str, steps: int) -> Workload:
    """The seed toy's ``steps`` full-batch updates, written by hand."""
    from benchmarks.hand import HandSeed

    start = seed_network(dtype).get_weights()
    x, y = seed_data(dtype)
    loop = HandSeed(start, x, y)

    def reset() -> None:
        loop.w1[...], loop.w2[...] = start

    return Workload(run=lambda: loop.fit(steps), reset=reset)


def hand_epoch(units: tuple[int, ...], x: np.ndarray, y: np.ndarray, batch: int) -> Workload:
    """The MLP's shuffled epoch, written by hand, from glassnet's initial weights."""
    from benchmarks.hand import HandMLP

    model = glassnet_mlp(units)
    loop = HandMLP(model.get_weights(), 0.1, np.random.default_rng(1))
    return Workload(run=lambda: loop.epoch(x, y, batch), flops=training_flops(units, len(x)))


def hand_cnn_epoch(x: np.ndarray, y: np.ndarray, batch: int) -> Workload:
    """The small CNN's shuffled epoch, written by hand, from glassnet's initial weights."""
    from benchmarks.hand_cnn import HandCNN

    loop = HandCNN(glassnet_cnn().get_weights(), CNN_RATE, np.random.default_rng(1))
    return Workload(run=lambda: loop.epoch(x, y, batch))


# -- PyTorch ------------------------------------------------------------------------------------
def torch_seed_fit(dtype: str, steps: int) -> Workload:
    """The same 3-4-1 net and weights as nn.Sequential, C = 1/2 sum (a2 - y)^2, SGD lr 1."""
    import torch

    model = seed_network(dtype)
    w1, w2 = (torch.from_numpy(w.T.copy()) for w in model.get_weights())  # torch keeps W.T
    tdtype = getattr(torch, dtype)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 4, bias=False, dtype=tdtype),
        torch.nn.Sigmoid(),
        torch.nn.Linear(4, 1, bias=False, dtype=tdtype),
        torch.nn.Sigmoid(),
    )
    x, y = (torch.from_numpy(array) for array in seed_data(dtype))
    optimizer = torch.optim.SGD(net.parameters(), lr=1.0)

    def reset() -> None:
        with torch.no_grad():
            net[0].weight.copy_(w1)
            net[2].weight.copy_(w2)

    def run() -> None:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = 0.5 * ((net(x) - y) ** 2).sum()
            loss.backward()
            optimizer.step()

    return Workload(run=run, reset=reset)


def torch_mlp(units: tuple[int, ...]) -> Any:
    import torch

    torch.manual_seed(0)
    modules: list[Any] = []
    n_in = FEATURES
    for n in units[:-1]:
        modules += [torch.nn.Linear(n_in, n), torch.nn.ReLU()]
        n_in = n
    modules.append(torch.nn.Linear(n_in, units[-1]))  # logits; CrossEntropyLoss does softmax
    return torch.nn.Sequential(*modules)


def torch_training_epoch(
    net: Any, loss_fn: Any, optimizer: Any, xt: Any, yt: Any, batch: int
) -> float:
    """One epoch as a PyTorch user writes it: batches of a random permutation, autograd,
    ``optimizer.step()``; returns the epoch loss as ``fit`` reports it (mean over the rows)."""
    import torch

    order = torch.randperm(len(xt))
    total = 0.0
    for start in range(0, len(xt), batch):
        index = order[start : start + batch]
        optimizer.zero_grad()
        loss = loss_fn(net(xt[index]), yt[index])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(index)
    return total / len(xt)


def torch_epoch(units: tuple[int, ...], x: np.ndarray, y: np.ndarray, batch: int) -> Workload:
    import torch

    net = torch_mlp(units)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)  # shares NumPy's memory

    def run() -> float:
        return torch_training_epoch(net, loss_fn, optimizer, xt, yt, batch)

    return Workload(run=run, flops=training_flops(units, len(x)))


def torch_predict(units: tuple[int, ...], x: np.ndarray) -> Workload:
    import torch

    net = torch_mlp(units)
    xt = torch.from_numpy(x)

    def run() -> Any:
        with torch.inference_mode():
            return torch.softmax(net(xt), dim=1)

    return Workload(run=run, flops=predict_flops(units, len(x)))


def torch_cnn_epoch(x: np.ndarray, y: np.ndarray, batch: int) -> Workload:
    """The small CNN as nn.Sequential (NCHW: the images transposed once, before timing)."""
    import torch

    torch.manual_seed(0)
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 8, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, CLASSES),
    )
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=CNN_RATE)
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    yt = torch.from_numpy(y)

    def run() -> float:
        return torch_training_epoch(net, loss_fn, optimizer, xt, yt, batch)

    return Workload(run=run)


# -- the BLAS limit -----------------------------------------------------------------------------
def numpy_matmul(n: int) -> Workload:
    """A large float32 matmul (n, n) @ (n, n): the most GFLOP/s NumPy's BLAS gives here."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    return Workload(run=lambda: np.matmul(a, b, out=out), flops=2.0 * n**3)


def torch_matmul(n: int) -> Workload:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    return Workload(run=lambda: torch.matmul(a, b, out=out), flops=2.0 * n**3)
