"""Each metric's edges, names and messages, exactly (written for the mutants of `make mutate`
that the Keras comparison tests let live). Messages were produced by running the code."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import metrics


def test_binary_accuracy_needs_more_than_the_threshold() -> None:
    # Keras: a > 0.5, so an output of exactly 0.5 is class 0
    assert metrics.binary_accuracy([1, 0], [0.5, 0.2]) == 0.5


def test_sparse_labels_in_a_one_column_array_are_labels_not_one_hot_rows() -> None:
    # y (1, 1) beside a one-class output: the label 1 is read as a label (and misses class 0)
    assert metrics.sparse_categorical_accuracy([[1]], [[0.3]]) == 0.0


def test_resolve_picks_the_accuracy_by_the_output_width() -> None:
    assert metrics.resolve("accuracy", 1) == ("accuracy", metrics.binary_accuracy)
    assert metrics.resolve("acc", 1) == ("acc", metrics.binary_accuracy)
    assert metrics.resolve("ACC", 3) == ("acc", metrics.categorical_accuracy)
    assert metrics.resolve("accuracy", 2) == ("accuracy", metrics.categorical_accuracy)
    assert metrics.resolve("mse", 1) == ("mse", metrics.mean_squared_error)
    assert metrics.resolve("mae", 2) == ("mae", metrics.mean_absolute_error)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: metrics.binary_accuracy([1, 0], [[0.2, 0.8], [0.1, 0.9]]),
            ValueError,
            "binary_accuracy expects y_true and y_pred of the same shape, got (2,) and (2, 2). "
            "These look like class labels: use sparse_categorical_accuracy.",
        ),
        (
            lambda: metrics.mean_squared_error([1, 0], [[0.2, 0.8], [0.1, 0.9]]),
            ValueError,
            "mean_squared_error expects y_true and y_pred of the same shape, got (2,) and (2, 2).",
        ),
        (
            # one column each, different lengths: not class labels, no hint
            lambda: metrics.binary_accuracy([1, 0, 1], [[0.2], [0.8]]),
            ValueError,
            "binary_accuracy expects y_true and y_pred of the same shape, got (3,) and (2, 1).",
        ),
        (
            # accuracy on one-hot rows of 3 classes against 2 outputs: the categorical message
            lambda: metrics.accuracy(np.eye(3)[[0, 1]], np.full((2, 2), 0.5)),
            ValueError,
            "categorical_accuracy expects y_true and y_pred of the same shape, got (2, 3) and "
            "(2, 2).",
        ),
        (
            lambda: metrics.binary_accuracy([1, 0], ["a", "b"]),
            TypeError,
            "binary_accuracy expects numeric y_pred, got an array of dtype <U1.",
        ),
        (
            lambda: metrics.sparse_categorical_accuracy([0, 1], ["a", "b"]),
            TypeError,
            "sparse_categorical_accuracy expects numeric y_pred, got an array of dtype <U1.",
        ),
        (
            lambda: metrics.sparse_categorical_accuracy(["a", "b"], [[0.2, 0.8], [0.1, 0.9]]),
            TypeError,
            "sparse_categorical_accuracy expects numeric y_true, got an array of dtype <U1.",
        ),
        (
            lambda: metrics.sparse_categorical_accuracy([0, 1], [0.2, 0.8]),
            ValueError,
            "sparse_categorical_accuracy expects y_pred of shape (n_samples, n_classes), got (2,). "
            "For a single example use y_pred.reshape(1, -1).",
        ),
        (
            lambda: metrics.sparse_categorical_accuracy(np.zeros((0,)), [[0.2, 0.8]]),
            ValueError,
            "sparse_categorical_accuracy expects y_true of shape (n_samples,) or (n_samples, "
            "n_outputs) with at least one example, got shape (0,).",
        ),
        (
            lambda: metrics.resolve("acuracy", 1),
            ValueError,
            "Unknown metric 'acuracy'. Valid names: 'accuracy', 'acc', 'binary_accuracy', "
            "'categorical_accuracy', 'sparse_categorical_accuracy', 'top_k_categorical_accuracy', "
            "'sparse_top_k_categorical_accuracy', 'mse', 'mean_squared_error', 'mae', "
            "'mean_absolute_error', 'mape', 'mean_absolute_percentage_error', 'msle', "
            "'mean_squared_logarithmic_error', 'binary_crossentropy', 'categorical_crossentropy', "
            "'sparse_categorical_crossentropy'.",
        ),
    ],
)
def test_bad_inputs_get_their_message(call, error, message) -> None:
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
