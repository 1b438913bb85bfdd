"""BatchNormalization against PyTorch (float64: outputs and every gradient, 1e-12) and Keras
3.15.1 (torch backend, float32: forward in both modes, and SGD training with fit, 1e-5).

Two conventions differ between the libraries, both checked here rather than papered over:
PyTorch's ``momentum`` is the weight of the *new* batch statistic (Keras's ``1 - momentum``), and
PyTorch's ``running_var`` takes the *unbiased* batch variance (sum / (m - 1)) where Keras (and
glassnet) take the biased one (sum / m). The normalisation in training uses the biased variance in
all three, so outputs and gradients agree exactly; the moving variance follows Keras's rule.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.layers import BatchNormalization, Conv2D, Dense, Flatten

# Keras's torch backend turns its own loss/metric tensors into NumPy inside fit with np.array(x),
# which NumPy 2 warns about (keras/src/backend/torch/core.py); nothing of glassnet's
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")


@pytest.mark.parametrize("shape", [(6, 3), (5, 4, 3, 2)], ids=["after Dense", "after Conv2D"])
@pytest.mark.parametrize(("center", "scale"), [(True, True), (False, False), (True, False)])
def test_pytorch_float64_outputs_gradients_and_moving_statistics(shape, center, scale) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(1.5, 2.0, size=shape)
    upstream = rng.normal(size=shape)  # dC/da: C = sum(a * upstream)
    gamma, beta = rng.uniform(0.5, 1.5, shape[-1]), rng.normal(size=shape[-1])
    momentum, epsilon = 0.9, 1e-3
    ours = BatchNormalization(momentum=momentum, epsilon=epsilon, center=center, scale=scale)
    ours.build(shape[1:] if len(shape) > 2 else shape[1], np.float64, None)
    if scale:
        ours.gamma[:] = gamma
    if center:
        ours.beta[:] = beta
    a = ours.forward(x, training=True)
    grad_x = ours.backward(upstream)

    cls = torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d
    theirs = cls(shape[-1], eps=epsilon, momentum=1 - momentum, affine=True).double()
    with torch.no_grad():
        theirs.weight[:] = torch.from_numpy(gamma if scale else np.ones(shape[-1]))
        theirs.bias[:] = torch.from_numpy(beta if center else np.zeros(shape[-1]))
    # NHWC -> NCHW for PyTorch, and back
    order = (0, 3, 1, 2) if len(shape) == 4 else (0, 1)
    back = (0, 2, 3, 1) if len(shape) == 4 else (0, 1)
    tx = torch.from_numpy(x.transpose(order).copy()).requires_grad_(True)
    ta = theirs.train()(tx)
    ta.backward(torch.from_numpy(upstream.transpose(order).copy()))
    np.testing.assert_allclose(a, ta.detach().numpy().transpose(back), rtol=0, atol=1e-12)
    np.testing.assert_allclose(grad_x, tx.grad.numpy().transpose(back), rtol=0, atol=1e-12)
    if scale:
        np.testing.assert_allclose(ours.gamma_gradient, theirs.weight.grad.numpy(), atol=1e-12)
    if center:
        np.testing.assert_allclose(ours.beta_gradient, theirs.bias.grad.numpy(), atol=1e-12)
    # the moving mean is the same rule; the moving variance differs by m / (m - 1) on the batch
    # term only: PyTorch's unbiased running_var, Keras's biased moving_variance
    np.testing.assert_allclose(ours.moving_mean, theirs.running_mean.numpy(), atol=1e-14)
    m = x.size // shape[-1]
    batch_variance = x.reshape(-1, shape[-1]).var(axis=0)  # biased, as Keras
    np.testing.assert_allclose(
        theirs.running_var.numpy(), momentum + (1 - momentum) * batch_variance * m / (m - 1), 1e-13
    )
    np.testing.assert_allclose(
        ours.moving_variance, momentum + (1 - momentum) * batch_variance, rtol=1e-13
    )
    # inference: copy PyTorch's running statistics in, both use them
    ours.moving_variance[:] = theirs.running_var.numpy()
    with torch.no_grad():
        expected = theirs.eval()(tx).numpy().transpose(back)
    np.testing.assert_allclose(ours.forward(x, training=False), expected, rtol=0, atol=1e-12)


def _glassnet_model() -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Input(shape=(5, 4, 2)),
            Conv2D(3, 2, activation="relu"),
            BatchNormalization(momentum=0.8),
            Flatten(),
            Dense(6, activation="tanh"),
            BatchNormalization(),
            Dense(3, activation="softmax"),
        ],
        dtype="float32",
        seed=0,
    )


def _keras_model() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input((5, 4, 2)),
            keras.layers.Conv2D(3, 2, activation="relu"),
            keras.layers.BatchNormalization(momentum=0.8),
            keras.layers.Flatten(),
            keras.layers.Dense(6, activation="tanh"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


def _keras_weights(model: keras.Sequential) -> list[np.ndarray]:
    # read the variables as torch tensors (get_weights goes through np.array(tensor))
    return [v.value.detach().cpu().numpy() for v in model.weights]


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = rng.normal(0.5, 1.5, size=(16, 5, 4, 2)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    return x, y


def test_keras_float32_forward_in_both_modes_with_the_same_weights() -> None:
    ours, theirs = _glassnet_model(), _keras_model()
    rng = np.random.default_rng(2)
    weights = [rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)  # Keras's order is glassnet's: gamma, beta, moving mean, var
    for mine, kept in zip(ours.get_weights(), _keras_weights(theirs), strict=True):
        np.testing.assert_array_equal(mine, kept)
    x, _ = _data()
    with torch.no_grad():
        inference = theirs(torch.from_numpy(x), training=False).cpu().numpy()
        training = theirs(torch.from_numpy(x), training=True).cpu().numpy()
    np.testing.assert_allclose(ours.predict(x, verbose=0), inference, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.forward(x, training=True), training, rtol=0, atol=1e-5)
    # both training passes moved the moving statistics by the same rule
    for mine, kept in zip(ours.get_weights(), _keras_weights(theirs), strict=True):
        np.testing.assert_allclose(mine, kept, rtol=0, atol=1e-5)


def test_keras_float32_sgd_fit_gives_the_same_weights_and_moving_statistics() -> None:
    ours, theirs = _glassnet_model(), _keras_model()
    theirs.set_weights(ours.get_weights())
    ours.compile(gn.optimizers.SGD(0.1), "categorical_crossentropy")
    theirs.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    x, y = _data()
    ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    theirs.fit(
        torch.from_numpy(x), torch.from_numpy(y), batch_size=4, epochs=2, shuffle=False, verbose=0
    )
    mine, kept = ours.get_weights(), _keras_weights(theirs)
    assert not np.array_equal(mine[4], np.zeros(3))  # the moving mean moved (8 steps)
    for index, (a, b) in enumerate(zip(mine, kept, strict=True)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5, err_msg=f"weight {index}")
