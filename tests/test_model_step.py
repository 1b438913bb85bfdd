"""Sequential's step, number by number: forward's training flag, backward's input gradient, the
fused output delta, the regularized cost, and train_on_batch's refusals (`make mutate`'s `model`).

Every expected number is hand-worked from the layer equations (Dense: a = x W + b; Dropout in
training: a = x * mask, mask 0 or 1 / (1 - rate); mse: C = mean((a - y)**2)).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.callbacks import TrainingDivergedError
from glassnet.initializers import Constant
from glassnet.layers import Dense, Dropout

DIVERGED_INF = (
    "Training diverged: the loss became inf. The weights are no longer usable. Try a smaller "
    "learning_rate (e.g. a tenth of this one), scale your inputs, or check the data for extreme "
    "values."
)


def ones_model(
    width: int, dropout: float | None = None, lr: float = 0.01, **dense
) -> gn.Sequential:
    """Input(width) [-> Dropout] -> Dense(1) with W = 1, b = 0, mse, plain SGD."""
    stack: list = [gn.Input((width,))]
    if dropout is not None:
        stack.append(Dropout(dropout))
    stack.append(Dense(1, kernel_initializer=Constant(1.0), bias_initializer="zeros", **dense))
    model = gn.Sequential(stack, dtype="float64", seed=3)
    model.compile(gn.SGD(lr), "mse")
    return model


def test_forward_is_inference_unless_told_training() -> None:
    model = ones_model(200, dropout=0.5)
    x = np.ones((1, 200))
    # inference: Dropout passes x through, so a = sum(x) = 200 exactly
    np.testing.assert_array_equal(model.forward(x), [[200.0]])
    trained = model.forward(x, training=True)  # about half the units dropped, the rest doubled
    kept = int(np.count_nonzero(model.layers[0].a))
    assert 0 < kept < 200
    np.testing.assert_array_equal(trained, [[2.0 * kept]])


def test_compute_gradients_runs_the_layers_in_training_mode() -> None:
    model = ones_model(200, dropout=0.5)
    x, y = np.ones((1, 200)), np.zeros((1, 1))
    loss = model.compute_gradients(x, y)
    mask = model.layers[0].mask  # 0 or 2 per unit
    kept = int(np.count_nonzero(mask))
    assert 0 < kept < 200
    a = 2.0 * kept  # a = sum(x * mask)
    assert loss == a**2  # C = (a - 0)**2, one sample
    # dC/dW = x_dropped^T 2 (a - y): 0 where dropped, 2 * 2a where kept
    np.testing.assert_array_equal(model.layers[1].kernel_gradient[:, 0], mask[0] * 2.0 * a)


def test_train_on_batch_steps_with_the_dropout_mask() -> None:
    model = ones_model(200, dropout=0.5, lr=1e-6)
    loss = model.train_on_batch(np.ones((1, 200)), np.zeros((1, 1)))
    mask = model.layers[0].mask
    a = float(mask.sum())
    assert 0 < a < 400
    assert loss == a**2  # measured before the update, in training mode
    w = model.layers[1].kernel[:, 0]
    np.testing.assert_allclose(w, 1.0 - 1e-6 * mask[0] * 2.0 * a, rtol=0, atol=1e-15)
    assert np.all(w[mask[0] == 0] == 1.0)  # a dropped unit's weight does not move


def test_backward_returns_the_input_gradient_only_when_asked() -> None:
    model = gn.Sequential(
        [gn.Input((3,)), Dense(4, "tanh"), Dense(2, "sigmoid")], dtype="float64", seed=1
    )
    model.compile("sgd", "mse")
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(5, 3)), rng.random((5, 2))
    assert model.backward(y, model.forward(x)) is None
    # a first layer that passes its gradient through still gives None unless asked
    passing = gn.Sequential([gn.Input((3,)), Dropout(0.5), Dense(2)], dtype="float64", seed=1)
    passing.compile("sgd", "mse")
    assert passing.backward(y, passing.forward(x, training=True)) is None
    through = passing.backward(y, passing.forward(x, training=True), input_gradient=True)
    assert through is not None and through.shape == (5, 3)
    grad = model.backward(y, model.forward(x), input_gradient=True)
    assert grad is not None and grad.shape == (5, 3)

    def cost(xs: np.ndarray) -> float:
        return float(np.mean((model.forward(xs) - y) ** 2))

    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numeric[index] = (cost(x + step) - cost(x - step)) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_three_layers_pass_the_gradient_down_to_the_first() -> None:
    model = gn.Sequential(
        [gn.Input((2,)), Dense(3, "tanh"), Dense(3, "tanh"), Dense(1)], dtype="float64", seed=2
    )
    model.compile("sgd", "mse")
    x, y = np.array([[0.5, -1.0], [1.5, 0.25]]), np.array([[1.0], [-0.5]])
    model.compute_gradients(x, y)
    first = model.layers[0]
    analytic = first.kernel_gradient.copy()
    numeric = np.zeros_like(analytic)
    for index in np.ndindex(analytic.shape):
        saved = first.kernel[index]
        costs = []
        for sign in (1.0, -1.0):
            first.kernel[index] = saved + sign * 1e-6
            costs.append(float(np.mean((model.forward(x) - y) ** 2)))
        first.kernel[index] = saved
        numeric[index] = (costs[0] - costs[1]) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("activation", "loss", "units"),
    [("softmax", "categorical_crossentropy", 4), ("sigmoid", "binary_crossentropy", 3)],
)
def test_a_fused_output_takes_delta_as_a_minus_y_over_n(activation, loss, units) -> None:
    # softmax + cross-entropy and sigmoid + binary cross-entropy skip dC/da and f'(z): the last
    # layer's delta is (a - y) / size, bit for bit; through dC/da and f'(z) it is the same number
    # only up to rounding (float32 differs in the last bits for these data)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    if activation == "softmax":
        y = np.eye(units, dtype=np.float32)[rng.integers(0, units, 64)]
    else:
        y = (rng.random((64, units)) > 0.5).astype(np.float32)
    model = gn.Sequential([gn.Input((3,)), Dense(units, activation=activation)])
    model.compile("sgd", loss)
    kernel = np.full((3, units), 0.25, dtype=np.float32) * np.arange(1, units + 1)
    model.set_weights([kernel, np.zeros(units, np.float32)])
    model.compute_gradients(x, y)
    a = model.forward(x)
    delta = (a - y) / np.float32(a.size if activation == "sigmoid" else len(a))
    np.testing.assert_array_equal(model.layers[0].kernel_gradient, np.matmul(x.T, delta))
    np.testing.assert_array_equal(model.layers[0].bias_gradient, np.add.reduce(delta, axis=0))


def test_a_last_layer_without_an_activation_trains() -> None:
    # Dropout (no `activation` attribute) as the last layer, as Keras allows
    model = gn.Sequential([gn.Input((2,)), Dense(2), Dropout(0.0)], dtype="float64", seed=0)
    model.compile("sgd", "mse")
    x, y = np.array([[1.0, 2.0]]), np.array([[0.0, 1.0]])
    a = model.forward(x)
    loss = model.compute_gradients(x, y)
    assert loss == pytest.approx(float(np.mean((a - y) ** 2)), rel=1e-12)
    np.testing.assert_allclose(model.layers[0].bias_gradient, (a - y)[0], rtol=1e-12)


def test_the_cost_adds_the_regularization_penalty() -> None:
    model = ones_model(2, kernel_regularizer=gn.regularizers.L2(0.1))
    x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    # a = 3, mse = (3 - 1)**2 = 4; penalty = 0.1 * (1 + 1) = 0.2
    assert model.compute_gradients(x, y) == pytest.approx(4.2, rel=1e-12)
    assert model.train_on_batch(x, y) == pytest.approx(4.2, rel=1e-12)


def test_the_step_asks_for_compile_by_name() -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(1)])
    x, y = np.ones((1, 2)), np.ones((1, 1))
    with pytest.raises(ValueError) as caught:
        model.train_on_batch(x, y)
    assert str(caught.value) == (
        "You must compile the model before training: call "
        "model.compile(optimizer='sgd', loss='mse') first."
    )
    with pytest.raises(ValueError) as caught:
        model.compute_gradients(x, y)
    assert str(caught.value) == (
        "You must compile the model before computing gradients: call "
        "model.compile(optimizer='sgd', loss='mse') first."
    )


def test_train_on_batch_return_dict() -> None:
    model, twin = ones_model(2), ones_model(2)
    x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    assert twin.train_on_batch(x, y) == 4.0  # a = 3, (3 - 1)**2
    assert model.train_on_batch(x, y, return_dict=True) == {"loss": 4.0}
    with pytest.raises(TypeError) as caught:
        model.train_on_batch(x, y, return_dict="no")
    assert str(caught.value) == "train_on_batch: expected return_dict=True or False, got str 'no'."


@pytest.mark.parametrize(
    ("learning_rate", "row"),
    [
        (1e38, [1e15]),  # the loss 1e30 is finite; the update overflows the weights to -inf
        (0.1, [3e38, 3e38, 0.0]),  # the loss overflows; 0 * inf makes a NaN gradient
    ],
)
def test_a_step_that_overflows_says_so_without_warnings(learning_rate, row) -> None:
    model = gn.Sequential(
        [
            gn.Input((len(row),)),
            Dense(1, kernel_initializer=Constant(1.0), bias_initializer="zeros"),
        ]
    )
    model.compile(gn.SGD(learning_rate), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from NumPy's overflow or invalid
        with pytest.raises(TrainingDivergedError) as caught:
            model.train_on_batch(np.array([row]), np.zeros((1, 1)))
    assert str(caught.value) == DIVERGED_INF
