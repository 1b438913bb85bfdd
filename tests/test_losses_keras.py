"""Losses and metrics called directly agree with Keras 3.15.1, and with fit and evaluate.

Every golden number here is computed in the test itself by Keras 3.15.1 on its torch backend in
float32 (``keras.losses.X()(y_true, y_pred)``, ``keras.metrics.X().update_state``, and for
gradients ``torch.autograd`` through Keras's loss), on the same arrays glassnet gets; glassnet must
agree within 1e-6 relative (float32 against float32).
"""

from __future__ import annotations

import os
import re

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import metrics

RTOL = 1e-6  # float32 against float32, as the issue asks


def _probabilities(rng, n, k):
    z = rng.normal(size=(n, k)) * 2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def _sigmoid_rows(rng, n, k):
    """Each entry in (0, 1) but rows that do not sum to 1 (a sigmoid output)."""
    return (1 / (1 + np.exp(-rng.normal(size=(n, k)) * 2))).astype(np.float32)


def _cases():
    """(id, glassnet loss, Keras loss, y_true, y_pred): every loss glassnet has, several shapes."""
    rng = np.random.default_rng(20)
    cases = []
    for n, k in [(3, 3), (5, 3), (4, 2), (6, 5), (7, 1)]:
        probs, rows = _probabilities(rng, n, k), _sigmoid_rows(rng, n, k)
        logits = (rng.normal(size=(n, k)) * 3).astype(np.float32)
        labels = rng.integers(0, k, size=n)
        onehot = np.eye(k, dtype=np.float32)[labels]
        real = rng.normal(size=(n, k)).astype(np.float32)
        bits = rng.integers(0, 2, size=(n, k)).astype(np.float32)
        tag = f"n{n}_k{k}"
        cases += [
            (f"mse_{tag}", gn.MeanSquaredError(), keras.losses.MeanSquaredError(), real, rows),
            (f"bce_{tag}", gn.BinaryCrossEntropy(), keras.losses.BinaryCrossentropy(), bits, rows),
            (
                f"bce_logits_{tag}",
                gn.BinaryCrossEntropy(from_logits=True),
                keras.losses.BinaryCrossentropy(from_logits=True),
                bits,
                logits,
            ),
        ]
        if k == 1:  # a one-unit output: targets as (n,) and (n, 1), outputs as (n,) too
            for kind, glassnet_loss, keras_loss, y in [
                ("mse", gn.MeanSquaredError(), keras.losses.MeanSquaredError(), real),
                ("bce", gn.BinaryCrossEntropy(), keras.losses.BinaryCrossentropy(), bits),
            ]:
                cases += [
                    (f"{kind}_{tag}_y1d", glassnet_loss, keras_loss, y[:, 0], rows),
                    (f"{kind}_{tag}_both1d", glassnet_loss, keras_loss, y[:, 0], rows[:, 0]),
                ]
            continue
        cce, sparse = (
            keras.losses.CategoricalCrossentropy,
            keras.losses.SparseCategoricalCrossentropy,
        )
        cases += [
            (f"cce_softmax_{tag}", gn.CategoricalCrossEntropy(), cce(), onehot, probs),
            (f"cce_sigmoid_rows_{tag}", gn.CategoricalCrossEntropy(), cce(), onehot, rows),
            (
                f"cce_soft_targets_{tag}",
                gn.CategoricalCrossEntropy(),
                cce(),
                probs[::-1].copy(),
                rows,
            ),
            (
                f"cce_logits_{tag}",
                gn.CategoricalCrossEntropy(from_logits=True),
                cce(from_logits=True),
                onehot,
                logits,
            ),
            (f"sparse_labels_{tag}", gn.SparseCategoricalCrossEntropy(), sparse(), labels, probs),
            (
                f"sparse_column_{tag}",
                gn.SparseCategoricalCrossEntropy(),
                sparse(),
                labels[:, None],
                probs,
            ),
            (
                f"sparse_float_labels_{tag}",
                gn.SparseCategoricalCrossEntropy(),
                sparse(),
                labels.astype(np.float32),
                rows,
            ),
            (
                f"sparse_logits_{tag}",
                gn.SparseCategoricalCrossEntropy(from_logits=True),
                sparse(from_logits=True),
                labels,
                logits,
            ),
        ]
    return cases


CASES = _cases()


@pytest.mark.parametrize(("glassnet_loss", "keras_loss", "y", "a"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_each_loss_called_directly_matches_keras(glassnet_loss, keras_loss, y, a) -> None:
    expected = float(keras_loss(y, a))
    assert glassnet_loss(y, a) == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize(("glassnet_loss", "keras_loss", "y", "a"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_each_loss_gradient_matches_keras_autograd(glassnet_loss, keras_loss, y, a) -> None:
    """dC/da of the loss called directly, against torch.autograd through Keras's own loss."""
    tensor = torch.tensor(a, requires_grad=True)
    keras_loss(torch.tensor(y), tensor).backward()
    expected = tensor.grad.numpy()
    found = glassnet_loss.gradient(y, a)
    assert found.shape == a.shape
    np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-7)


def test_the_half_sum_is_keras_mse_times_n_k_over_2() -> None:
    """Keras has no half-sum loss: 0.5 * sum((a - y)**2) = (n k / 2) * mse, in every shape."""
    rng = np.random.default_rng(1)
    for y, a in [
        (rng.normal(size=(6, 2)), rng.normal(size=(6, 2))),
        (rng.normal(size=6), rng.normal(size=(6, 1))),
    ]:
        y, a = y.astype(np.float32), a.astype(np.float32)
        expected = float(keras.losses.MeanSquaredError()(y, a)) * a.size / 2
        assert gn.HalfSumSquaredError()(y, a) == pytest.approx(expected, rel=RTOL)


def test_sparse_labels_as_many_as_the_classes_no_longer_broadcast() -> None:
    """n labels for n classes: glassnet broadcast (n,) against (n, n) and gave a wrong number."""
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]], dtype=np.float32)
    labels = np.array([0, 1, 2])
    keras_value = float(keras.losses.SparseCategoricalCrossentropy()(labels, probs))
    for y in (labels, labels[:, None], labels.tolist()):
        assert gn.SparseCategoricalCrossEntropy()(y, probs) == pytest.approx(keras_value, rel=RTOL)
    assert keras_value == pytest.approx(-np.log([0.8, 0.7, 0.7]).mean(), rel=1e-6)


def test_cce_rescales_rows_that_do_not_sum_to_one_as_keras_does() -> None:
    """A sigmoid output with categorical cross-entropy: Keras divides each row by its sum."""
    a = np.array([[0.9, 0.5, 0.2], [0.3, 0.8, 0.4]], dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 1]]
    keras_value = float(keras.losses.CategoricalCrossentropy()(y, a))
    assert gn.CategoricalCrossEntropy()(y, a) == pytest.approx(keras_value, rel=RTOL)
    assert keras_value == pytest.approx(-np.log([0.9 / 1.6, 0.8 / 1.5]).mean(), rel=1e-6)


# -- metrics -----------------------------------------------------------------------------------
def _metric_cases():
    rng = np.random.default_rng(5)
    probs = _probabilities(rng, 6, 3)
    labels = np.array([0, 1, 2, 2, 1, 0])
    onehot = np.eye(3, dtype=np.float32)[labels]
    column = np.array([[0.2], [0.7], [0.4], [0.9], [0.6], [0.1]], dtype=np.float32)
    bits = np.array([0, 1, 1, 1, 0, 0], dtype=np.float32)
    real = rng.normal(size=(6, 3)).astype(np.float32)
    m = keras.metrics
    return [
        ("binary_n_n1", metrics.binary_accuracy, m.BinaryAccuracy, bits, column),
        ("binary_n1_n1", metrics.binary_accuracy, m.BinaryAccuracy, bits[:, None], column),
        ("binary_n_n", metrics.binary_accuracy, m.BinaryAccuracy, bits, column[:, 0]),
        ("binary_soft", metrics.binary_accuracy, m.BinaryAccuracy, column[::-1].copy(), column),
        ("binary_k3", metrics.binary_accuracy, m.BinaryAccuracy, onehot, probs),
        ("categorical", metrics.categorical_accuracy, m.CategoricalAccuracy, onehot, probs),
        (
            "sparse_n",
            metrics.sparse_categorical_accuracy,
            m.SparseCategoricalAccuracy,
            labels,
            probs,
        ),
        (
            "sparse_n1",
            metrics.sparse_categorical_accuracy,
            m.SparseCategoricalAccuracy,
            labels[:, None],
            probs,
        ),
        (
            "sparse_float_n1",
            metrics.sparse_categorical_accuracy,
            m.SparseCategoricalAccuracy,
            labels[:, None].astype(np.float32),
            probs,
        ),
        ("mse_k3", metrics.mean_squared_error, m.MeanSquaredError, real, probs),
        ("mse_n_n1", metrics.mean_squared_error, m.MeanSquaredError, bits, column),
        ("mae_k3", metrics.mean_absolute_error, m.MeanAbsoluteError, real, probs),
        (
            "mae_n1_n",
            metrics.mean_absolute_error,
            m.MeanAbsoluteError,
            bits[:, None],
            column[:, 0],
        ),
    ]


METRIC_CASES = _metric_cases()


@pytest.mark.parametrize(("ours", "theirs", "y", "a"), [c[1:] for c in METRIC_CASES],
                         ids=[c[0] for c in METRIC_CASES])  # fmt: skip
def test_each_metric_called_directly_matches_keras(ours, theirs, y, a) -> None:
    metric = theirs()
    metric.update_state(y, a)
    assert ours(y, a) == pytest.approx(float(metric.result()), rel=RTOL)


def test_sparse_categorical_accuracy_reads_a_label_column() -> None:
    """METRICS["sparse_categorical_accuracy"] on labels (n, 1) returned 0.0; Keras says 0.5."""
    a = np.array([[0.1, 0.9], [0.3, 0.7]])
    metric = keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(np.array([[1], [0]]), a)
    assert float(metric.result()) == 0.5
    assert metrics.METRICS["sparse_categorical_accuracy"](np.array([[1], [0]]), a) == 0.5
    assert metrics.METRICS["sparse_categorical_accuracy"](np.array([1, 0]), a) == 0.5
    assert metrics.METRICS["sparse_categorical_accuracy"](np.eye(2)[[1, 0]], a) == 0.5  # fit's


@pytest.mark.parametrize(
    ("y", "a", "expected"),
    [
        (np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.3]]), 2 / 3),  # binary, (n,)
        (np.array([[1], [0], [1]]), np.array([0.9, 0.2, 0.3]), 2 / 3),  # binary, (n, 1)
        (np.array([2, 0, 1]), np.eye(3)[[2, 1, 1]], 2 / 3),  # labels: sparse categorical
        (np.array([[2], [0], [1]]), np.eye(3)[[2, 1, 1]], 2 / 3),
        (np.eye(3)[[2, 0, 1]], np.eye(3)[[2, 1, 1]], 2 / 3),  # one-hot: categorical
    ],
)
def test_accuracy_resolves_as_keras_compile_does(y, a, expected) -> None:
    """ "accuracy" called directly: binary for one unit, sparse for labels, categorical for rows
    (it was binary accuracy on every shape, which reads one-hot rows element by element)."""
    assert metrics.METRICS["accuracy"](y, a) == pytest.approx(expected)
    assert metrics.METRICS["acc"](y, a) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("function", "y", "a", "message"),
    [
        (metrics.categorical_accuracy, np.array([0, 1]), np.eye(2),
         "categorical_accuracy expects y_true and y_pred of the same shape, got (2,) and (2, 2). "
         "These look like class labels: use sparse_categorical_accuracy."),
        (metrics.binary_accuracy, np.ones((3, 1)), np.ones((2, 1)),
         "binary_accuracy expects y_true and y_pred of the same shape, got (3, 1) and (2, 1)."),
        (metrics.sparse_categorical_accuracy, np.ones((2, 3)), np.ones((2, 2)),
         "sparse_categorical_accuracy expects class labels of shape (n_samples,) or "
         "(n_samples, 1), got (2, 3) for y_pred of shape (2, 2)."),
        (metrics.sparse_categorical_accuracy, np.ones(3), np.ones((2, 2)),
         "sparse_categorical_accuracy got 3 labels for 2 rows of y_pred."),
        (metrics.mean_squared_error, np.ones((2, 2, 2)), np.ones((2, 2, 2)),
         "mean_squared_error expects y_true of shape (n_samples,) or (n_samples, n_outputs) with "
         "at least one example, got shape (2, 2, 2)."),
        (metrics.mean_absolute_error, np.array([]), np.array([]),
         "mean_absolute_error expects y_true of shape (n_samples,) or (n_samples, n_outputs) "
         "with at least one example, got shape (0,)."),
    ],
)  # fmt: skip
def test_metric_shapes_keras_would_broadcast_are_refused(function, y, a, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        function(y, a)


def test_a_metric_refuses_text() -> None:
    with pytest.raises(TypeError, match="binary_accuracy expects numeric y_true, got an array"):
        metrics.binary_accuracy(np.array(["<b>1</b>", "0"]), np.array([0.9, 0.1]))


# -- the cases of Keras's own test files -------------------------------------------------------
# keras/src/losses/losses_test.py and keras/src/metrics/accuracy_metrics_test.py (Keras 3.15.1):
# their inputs, the number their test asserts (and to how many places), and Keras run live here.
_KERAS_PRED = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], np.float32)
_KERAS_LOGITS = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]], np.float32)
KERAS_TEST_FILE_CASES = {
    # CategoricalCrossentropyTest.test_unweighted: rows 2 sum to 1.99, so Keras rescales them
    "cce_unweighted": (gn.CategoricalCrossEntropy(), keras.losses.CategoricalCrossentropy(),
                       np.eye(3, dtype=np.int64), _KERAS_PRED, 0.3239, 3),
    "cce_logits": (gn.CategoricalCrossEntropy(from_logits=True),
                   keras.losses.CategoricalCrossentropy(from_logits=True),
                   np.eye(3, dtype=np.int64), _KERAS_LOGITS, 0.0573, 4),
    # SparseCategoricalCrossentropyTest.test_unweighted: 3 labels for 3 classes (the broadcast)
    "sparse_unweighted": (gn.SparseCategoricalCrossEntropy(),
                          keras.losses.SparseCategoricalCrossentropy(),
                          np.array([0, 1, 2]), _KERAS_PRED, 0.3239, 3),
    "sparse_logits": (gn.SparseCategoricalCrossEntropy(from_logits=True),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      np.array([0, 1, 2]), _KERAS_LOGITS, 0.0573, 3),
    "sparse_all_correct_column": (gn.SparseCategoricalCrossEntropy(),
                                  keras.losses.SparseCategoricalCrossentropy(),
                                  np.array([[0], [1], [2]], dtype=np.int64),
                                  np.eye(3, dtype=np.float32), 0.0, 3),
    # BinaryCrossentropyTest.test_unweighted (the second: a saturated output, clipped)
    "bce_unweighted": (gn.BinaryCrossEntropy(), keras.losses.BinaryCrossentropy(),
                       np.eye(3, dtype=np.float32),
                       np.array([[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.1, 0.2, 0.7]], np.float32),
                       0.20046903, 6),
    "bce_saturated": (gn.BinaryCrossEntropy(), keras.losses.BinaryCrossentropy(),
                      np.array([[1, 0], [1, 0]]), np.array([[1, 1], [1, 0]], np.float32),
                      3.98559, 5),
    "bce_logits": (gn.BinaryCrossEntropy(from_logits=True),
                   keras.losses.BinaryCrossentropy(from_logits=True),
                   np.array([[1, 0, 1], [0, 1, 1]]),
                   np.array([[10.0, -10.0, 10.0], [10.0, 10.0, -10.0]], np.float32), 3.3333, 4),
    # MeanSquaredErrorTest.test_unweighted
    "mse_unweighted": (gn.MeanSquaredError(), keras.losses.MeanSquaredError(),
                       np.array([[1, 9, 2], [-5, -2, 6]]),
                       np.array([[4, 8, 12], [8, 1, 3]], np.float32), 49.5, 6),
}  # fmt: skip


@pytest.mark.parametrize("case", list(KERAS_TEST_FILE_CASES))
def test_the_cases_of_keras_s_own_loss_tests(case) -> None:
    ours, theirs, y, a, in_the_file, places = KERAS_TEST_FILE_CASES[case]
    expected = float(theirs(y, a))
    assert ours(y, a) == pytest.approx(expected, rel=RTOL, abs=1e-7)
    assert abs(ours(y, a) - in_the_file) <= 10.0**-places  # as Keras's test asserts it


@pytest.mark.parametrize(
    ("ours", "theirs", "y", "a"),
    [  # accuracy_metrics_test.py: each class's test_unweighted, all asserting 0.75 or 0.5
        (metrics.binary_accuracy, keras.metrics.BinaryAccuracy,
         np.array([[1], [1], [0], [0]]), np.array([[0.98], [1], [0], [0.6]])),
        (metrics.categorical_accuracy, keras.metrics.CategoricalAccuracy,
         np.array([[0, 0, 1], [0, 1, 0]]), np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])),
        (metrics.sparse_categorical_accuracy, keras.metrics.SparseCategoricalAccuracy,
         np.array([[2], [1]]), np.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0]])),
    ],
)  # fmt: skip
def test_the_cases_of_keras_s_own_accuracy_tests(ours, theirs, y, a) -> None:
    metric = theirs()
    metric.update_state(y, a)
    assert ours(y, a) == pytest.approx(float(metric.result()), abs=1e-7)
    assert ours(y, a) in (0.75, 0.5)
