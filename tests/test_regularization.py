"""Regularizers and Dropout: penalties in the cost, hand-written gradients checked, configs."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import layers, regularizers
from glassnet.layers import Dense, Dropout


def regularized_model(regularizer, dropout: float = 0.0) -> gn.Sequential:
    hidden = [Dense(4, "tanh", kernel_regularizer=regularizer)]
    if dropout:
        hidden.append(Dropout(dropout, seed=1))
    model = gn.Sequential(
        [gn.Input((3,)), *hidden, Dense(2, kernel_regularizer=regularizer)], dtype="float64", seed=0
    )
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize(
    "regularizer", [regularizers.L2(0.3), regularizers.L1(0.2), regularizers.L1L2(0.1, 0.2)]
)
def test_penalty_gradient_matches_central_differences(regularizer, rng) -> None:
    model = regularized_model(regularizer)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    report = gn.check_gradients(model, x, y)
    assert report.passed, report.table()
    plain = regularized_model(None)
    plain.set_weights(model.get_weights())
    penalty = sum(regularizer(layer.kernel) for layer in model.layers)
    assert penalty > 0
    np.testing.assert_allclose(
        model.evaluate(x, y), plain.evaluate(x, y) + penalty, rtol=1e-12, atol=0
    )


def test_l2_worked_by_hand() -> None:
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert regularizers.L2(0.1)(w) == pytest.approx(0.1 * (1 + 4 + 0.25), rel=1e-15)
    np.testing.assert_array_equal(regularizers.L2(0.5).gradient(w), w)


def test_dropout_gradient_check_and_predict_is_identity(rng) -> None:
    model = regularized_model(regularizers.L2(0.01), dropout=0.5)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    report = gn.check_gradients(model, x, y)
    assert report.passed, report.table()
    dropout = model.layers[1]
    a = model.layers[0].forward(x)
    np.testing.assert_array_equal(dropout.forward(a, training=False), a)
    out = dropout.forward(a, training=True)
    dropped = out == 0
    assert dropped.any() and not dropped.all()
    np.testing.assert_allclose(out[~dropped], 2.0 * a[~dropped], rtol=1e-15)
    grad = rng.normal(size=a.shape)
    np.testing.assert_array_equal(dropout.backward(grad), grad * dropout.mask)


def test_configs_round_trip_and_bad_rate() -> None:
    dense = Dense(3, kernel_regularizer=regularizers.L1L2(0.1, 0.2))
    again = layers.from_config(dense.get_config())
    assert again.get_config() == dense.get_config()
    drop = Dropout(0.3, seed=7)
    assert layers.from_config(drop.get_config()).get_config() == drop.get_config()
    assert regularizers.get("l2").l2 == 0.01
    with pytest.raises(
        ValueError,
        match=r"Dropout expects rate, the fraction of inputs to drop, in \[0, 1\), got 1.0",
    ):
        Dropout(1.0)
    with pytest.raises(ValueError, match="Expected l2 to be a finite number >= 0, got -1"):
        regularizers.L2(-1)
