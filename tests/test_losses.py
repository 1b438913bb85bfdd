"""Losses called directly: one preparation of targets with fit, refusals with a message, the
gradients (row rescaling and the clip included) against central differences in float64."""

from __future__ import annotations

import re

import numpy as np
import pytest

import glassnet as gn
from glassnet import metrics
from helpers import LOSS_CASES, targets_for


def _central_differences(loss, y, a, h=1e-6):
    grad = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (loss(y, up) - loss(y, down)) / (2 * h)
    return grad


@pytest.mark.parametrize(
    "a",
    [
        np.array([[0.9, 0.5, 0.2], [0.3, 0.8, 0.4], [0.05, 0.1, 0.6]]),  # a sigmoid's rows
        np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]]),  # rows summing to 1
        np.array([[1e-4, 2000.0, 0.5], [0.3, 0.8, 0.4], [0.2, 0.3, 0.6]]),  # p = 5e-8: clipped
    ],
)
def test_cce_gradient_through_the_row_rescaling_matches_central_differences(a) -> None:
    """dC/da = (g - sum g p) / s with p = a / s: checked in float64 at 1e-7 relative."""
    loss = gn.CategoricalCrossEntropy()
    y = np.array([[1.0, 0, 0], [0, 0.25, 0.75], [0, 0, 1]])
    expected = _central_differences(loss, y, a)
    np.testing.assert_allclose(loss.gradient(y, a), expected, rtol=1e-7, atol=1e-9)


def _confident_softmax_model(loss="categorical_crossentropy"):
    """A float64 softmax model whose first example's right class has a probability below the
    clip (1e-7): the loss is flat there, so its exact gradient is 0 for that example."""
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(3, "softmax")], dtype="float64", seed=0)
    model.compile("sgd", loss)
    model.set_weights([np.array([[30.0, 0.0, 0.0], [0.0, 1.0, 0.5]]), np.zeros(3)])
    x = np.array([[1.0, 0.0], [0.0, 1.0], [0.2, 0.3]])
    return model, x


def test_the_fused_softmax_delta_is_the_exact_gradient_of_the_clipped_loss() -> None:
    """(a - y) / n moved the weights where the clipped loss is flat (row 0's right class has
    p = 9e-14 < 1e-7); the fused delta now zeroes the clipped target, as central differences
    and Keras's autograd do, and stays (a - y) / n elsewhere."""
    model, x = _confident_softmax_model()
    y = np.eye(3)[[1, 0, 2]]
    assert model.predict(x)[0, 1] < 1e-7
    report = gn.check_gradients(model, x, y)
    assert report.passed, report.table()
    for sparse in ([1, 0, 2], np.array([[1], [0], [2]])):
        model, x = _confident_softmax_model("sparse_categorical_crossentropy")
        assert gn.check_gradients(model, x, sparse).passed


def test_the_fused_delta_is_a_minus_y_over_n_when_no_clip_is_active() -> None:
    rng = np.random.default_rng(0)
    a = np.exp(rng.normal(size=(5, 4)))
    a /= a.sum(axis=1, keepdims=True)
    y = np.eye(4)[rng.integers(0, 4, size=5)]
    np.testing.assert_array_equal(gn.CategoricalCrossEntropy().fused_delta(y, a), (a - y) / 5)
    bits = rng.integers(0, 2, size=(5, 4)).astype(float)
    np.testing.assert_array_equal(gn.BinaryCrossEntropy().fused_delta(bits, a), (a - bits) / 20)


def test_the_fused_sigmoid_delta_is_exact_where_the_clip_holds() -> None:
    model = gn.Sequential([gn.Input((1,)), gn.layers.Dense(1, "sigmoid")], dtype="float64", seed=0)
    model.compile("sgd", "binary_crossentropy")
    model.set_weights([np.array([[40.0]]), np.zeros(1)])
    x, y = np.array([[1.0], [-0.05], [0.02]]), np.array([0.0, 1.0, 1.0])
    assert model.predict(x)[0, 0] > 1 - 1e-7  # a confident wrong guess: the clip holds
    report = gn.check_gradients(model, x, y)
    assert report.passed, report.table()


# -- one preparation of targets --------------------------------------------------------------
def _model_for(name, units, seed=0):
    output, make_loss = LOSS_CASES[name]
    model = gn.Sequential(
        [gn.Input((3,)), gn.layers.Dense(4, "tanh"), gn.layers.Dense(units, output)],
        dtype="float64",
        seed=seed,
    )
    model.compile(gn.SGD(0.1), make_loss(), metrics=["accuracy", "mse", "mae"])
    return model


#: every loss with several output units, and the one-unit ones with one (a one-class softmax is
#: not a classifier)
SHAPES = [(name, 3) for name in LOSS_CASES] + [
    (name, 1) for name in LOSS_CASES if "cce" not in name
]


@pytest.mark.parametrize(("name", "units"), SHAPES)
@pytest.mark.parametrize("column", [False, True])
def test_direct_call_evaluate_and_fit_agree(name, units, column) -> None:
    """The loss and every metric, called directly on predict's outputs, equal evaluate()'s and
    fit's logged first-epoch numbers (one full batch, logged before its update)."""
    rng = np.random.default_rng(units)
    model = _model_for(name, units)
    x = rng.normal(size=(units + 2 if name.startswith("sparse") else 6, 3))
    y = targets_for(model.loss, len(x), units, rng)
    if column and y.ndim == 1:
        y = y[:, None]  # labels as (n, 1)
    elif column and units == 1:
        y = y[:, 0]  # one-unit targets as (n,)
    a = model.predict(x)
    direct = {"loss": model.loss(y, a)}
    rows = np.eye(units)[np.ravel(y).astype(int)] if name.startswith("sparse") else y
    for key in model.metric_names:
        # mse and mae compare rows: fit hands them the one-hot rows the sparse loss made (called
        # directly on labels against several units, they refuse; Keras would broadcast)
        direct[key] = metrics.METRICS[key](rows if key in ("mse", "mae") else y, a)
    evaluated = model.evaluate(x, y, return_dict=True)
    history = model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
    logged = {key: values[0] for key, values in history.history.items()}
    for key, value in direct.items():
        assert evaluated[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
        assert logged[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key


@pytest.mark.parametrize(
    ("loss", "y", "a", "message"),
    [
        (gn.SparseCategoricalCrossEntropy(), np.zeros((3, 2)), np.full((3, 3), 1 / 3),
         "SparseCategoricalCrossEntropy expects integer class labels of shape (n_samples,) or "
         "(n_samples, 1), got shape (3, 2). One-hot targets go with CategoricalCrossEntropy"),
        (gn.SparseCategoricalCrossEntropy(), np.array([0, 1]), np.full((3, 3), 1 / 3),
         "SparseCategoricalCrossEntropy got 2 target rows for 3 rows of y_pred; give one target "
         "per example."),
        (gn.SparseCategoricalCrossEntropy(), np.array([0, 1, 3]), np.full((3, 3), 1 / 3),
         "SparseCategoricalCrossEntropy got labels from 0 to 3, but the output has 3 units, so "
         "labels must be in [0, 2]."),
        (gn.SparseCategoricalCrossEntropy(), np.array([0, 1, 1e30]), np.full((3, 3), 1 / 3),
         "SparseCategoricalCrossEntropy got labels from 0.0 to 1e+30, but the output has 3 units"),
        (gn.SparseCategoricalCrossEntropy(), np.array([0, 1.5, 1]), np.full((3, 3), 1 / 3),
         "SparseCategoricalCrossEntropy expects whole-number class labels, got fractional"),
        (gn.SparseCategoricalCrossEntropy(), np.array([0, 1, 2]), np.full(3, 1 / 3),
         "SparseCategoricalCrossEntropy expects predictions y_pred of shape (n_samples, "
         "n_outputs) with at least one of each, got shape (3,). For a single example use "
         "y_pred.reshape(1, -1)."),
        (gn.CategoricalCrossEntropy(), np.array([0, 1, 2]), np.full((3, 3), 1 / 3),
         "CategoricalCrossEntropy expects targets y of shape (n_samples, 3) to match the model's "
         "output, got shape (3,). These look like integer class labels"),
        (gn.CategoricalCrossEntropy(), np.eye(3)[[0, 1]], np.full((3, 3), 1 / 3),
         "CategoricalCrossEntropy got 2 target rows for 3 rows of y_pred"),
        (gn.MeanSquaredError(), np.zeros((4, 2)), np.zeros((4, 3)),
         "MeanSquaredError expects targets y of shape (n_samples, 3) to match the model's output, "
         "got shape (4, 2)."),
        (gn.MeanSquaredError(), np.zeros((0, 1)), np.zeros((0, 1)),
         "MeanSquaredError expects predictions y_pred of shape (n_samples, n_outputs) with at "
         "least one of each, got shape (0, 1)."),
        (gn.BinaryCrossEntropy(), np.zeros(2), np.array([0.5, np.nan]),
         "BinaryCrossEntropy got NaN or infinity in y_pred; the loss of those is undefined."),
        (gn.BinaryCrossEntropy(), np.array([0.0, np.inf]), np.array([0.5, 0.5]),
         "Targets y contain NaN or infinity; clean or drop those rows."),
        (gn.CategoricalCrossEntropy(), np.eye(2), np.array([[0.5, 0.5], [0.0, 0.0]]),
         "CategoricalCrossEntropy expects probabilities (non-negative, each row with a positive "
         "sum), but row 1 of the output is [0.0, 0.0]. Give the last layer a softmax activation, "
         "or use from_logits=True with a linear output."),
        (gn.CategoricalCrossEntropy(), np.eye(2), np.array([[0.5, 0.5], [-1.0, 3.0]]),
         "but row 1 of the output is [-1.0, 3.0]."),
    ],
)  # fmt: skip
def test_wrong_shapes_and_values_get_a_message_not_a_broadcast(loss, y, a, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        loss(y, a)
    with pytest.raises(ValueError, match=re.escape(message)):
        loss.gradient(y, a)


def test_text_predictions_are_refused() -> None:
    with pytest.raises(TypeError, match="MeanSquaredError expects numeric predictions y_pred"):
        gn.MeanSquaredError()(np.zeros(2), np.array(["<script>", "1"]))


@pytest.mark.parametrize(
    ("y", "row", "total"),
    [
        (np.array([[1.0, 0, 0], [0, 0, 0], [0, 1, 0]]), 1, "0"),  # all zeros: no class at all
        (np.array([[1.0, 0, 0], [0.5, 0.4, 0], [0, 1, 0]]), 1, "0.9"),  # off by 0.1
        (np.array([[1.0, 0, 0], [0, 1, 0], [0.6, 0.6, 0]]), 2, "1.2"),
    ],
)
def test_cce_targets_that_are_not_distributions_are_refused(y, row, total) -> None:
    """An all-zero target row trained on a loss of 0.0 while (a - y)/n moved the weights."""
    message = (
        f"CategoricalCrossEntropy expects each target row to be a distribution over the 3 "
        f"classes (one-hot, or probabilities summing to 1), but row {row} sums to {total} (1 "
        f"rows are off by more than 1e-3)."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        gn.CategoricalCrossEntropy()(y, np.full((3, 3), 1 / 3))
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(3, "softmax")], seed=0)
    model.compile("sgd", "categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match=re.escape(message)):
        model.fit(np.ones((3, 2)), y, epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # nothing trained


def test_negative_cce_targets_are_refused_and_near_distributions_pass() -> None:
    with pytest.raises(ValueError, match=re.escape("got values from -0.5 to 1.5")):
        gn.CategoricalCrossEntropy()(np.array([[1.5, -0.5]]), np.array([[0.5, 0.5]]))
    soft = np.array([[0.7, 0.2995]])  # sums to 0.9995: within 1e-3
    expected = -(0.7 * np.log(0.5) + 0.2995 * np.log(0.5))
    assert gn.CategoricalCrossEntropy()(soft, np.array([[0.5, 0.5]])) == pytest.approx(expected)


def test_from_logits_gradient_is_exact_for_soft_targets_off_by_less_than_1e3() -> None:
    """dC/dz = (softmax(z) sum(y) - y) / n: (softmax - y) / n is off when y sums to 0.9995."""
    loss = gn.CategoricalCrossEntropy(from_logits=True)
    y, z = np.array([[0.7, 0.2995, 0.0]]), np.array([[0.3, -1.2, 2.0]])
    np.testing.assert_allclose(
        loss.gradient(y, z), _central_differences(loss, y, z), rtol=1e-7, atol=1e-10
    )


def test_values_beyond_the_float_range_get_a_message_not_inf() -> None:
    """(1e200)**2 is inf in float64; 1e39 is inf in float32: both used to come back silently."""
    big = np.array([[1e200], [0.0]])
    with pytest.raises(ValueError, match=re.escape("MeanSquaredError's loss overflowed float64")):
        gn.MeanSquaredError()(np.zeros(2), big)
    assert gn.MeanSquaredError().gradient(np.zeros(2), big)[0, 0] == 1e200
    huge = np.array([[3e38], [-3e38]], dtype=np.float32)
    # targets that large are refused before a - y overflows: their squared error cannot be
    # summed in float32 (this was "HalfSumSquaredError's gradient overflowed float32")
    with pytest.raises(ValueError, match="the target -3e\\+38 \\(row 0 of y\\) is too large"):
        gn.HalfSumSquaredError().gradient(-huge, huge)
    message = "Targets y have a value too large for float32 (first at row 0)"
    with pytest.raises(ValueError, match=re.escape(message)):
        gn.MeanSquaredError()(np.array([1e39, 0.0]), np.zeros(2, dtype=np.float32))
    model = gn.Sequential([gn.Input((1,)), gn.layers.Dense(1)], seed=0)  # float32
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=re.escape(message)):  # fit: the same preparation
        model.fit(np.ones((2, 1)), np.array([1e39, 0.0]), verbose=0)


def test_a_hundred_thousand_classes_and_a_big_batch() -> None:
    """Sparse labels were one-hot encoded as np.eye(k)[labels]: a (k, k) matrix, 40 GB here."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 100_000, size=8)
    a = np.full((8, 100_000), 1e-5)
    expected = -np.log(1e-5)
    assert gn.SparseCategoricalCrossEntropy()(labels, a) == pytest.approx(expected, rel=1e-12)
    onehot = np.zeros_like(a)
    onehot[np.arange(8), labels] = 1
    assert gn.CategoricalCrossEntropy()(onehot, a) == pytest.approx(expected)
    y, a = rng.integers(0, 2, size=200_000), rng.random(200_000)
    assert 0 < gn.BinaryCrossEntropy()(y, a) < 20


def test_an_overflowing_network_with_cce_is_reported_as_diverged() -> None:
    """A NaN output row in fit is divergence (TerminateOnNaN's message), not "expects
    probabilities": the row check leaves non-finite rows to the NaN loss."""
    l2 = gn.regularizers.L2(1.0)
    hidden = [gn.layers.Dense(8, kernel_regularizer=l2) for _ in range(6)]
    model = gn.Sequential(
        [gn.Input((2,)), *hidden, gn.layers.Dense(3, "softmax")],
        dtype="float64",
        seed=0,
    )
    model.compile(gn.SGD(10.0), "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(40, 2))
    with pytest.raises(gn.callbacks.TrainingDivergedError, match="Training diverged at epoch"):
        model.fit(x, np.arange(40) % 3, epochs=200, batch_size=40, verbose=0)
    assert np.isnan(gn.CategoricalCrossEntropy().compute(np.eye(2), np.full((2, 2), np.nan)))
