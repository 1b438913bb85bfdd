"""Bad input gets a clear error: what was expected, what was received, and the fix."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Dense


@pytest.fixture
def model():
    m = gn.Sequential([gn.Input((3,)), Dense(4, "sigmoid", name="hidden"), Dense(1, "sigmoid")])
    m.compile("sgd", "mse", metrics=["accuracy"])
    return m


X = np.zeros((4, 3))
Y = np.zeros((4, 1))


def test_wrong_feature_count_names_the_layer_and_both_shapes(model) -> None:
    with pytest.raises(
        ValueError,
        match=r"Layer 'hidden' \(Dense\) expects input of shape \(batch, 3\), but x has shape \(4, 2\)\. Give every example 3 features",
    ):
        model.fit(np.zeros((4, 2)), Y, verbose=0)
    with pytest.raises(
        ValueError,
        match=r"Layer 'hidden' \(Dense\) expects input of shape \(batch, 3\), but x has shape \(1, 5\)",
    ):
        model.predict(np.zeros((1, 5)))


def test_dense_forward_called_directly_checks_shape() -> None:
    layer = Dense(2, name="d")
    layer.build(3, np.float64, np.random.default_rng(0))
    with pytest.raises(
        ValueError,
        match=r"Layer 'd' \(Dense\) expects input of shape \(batch, 3\), but received shape \(2, 4\)",
    ):
        layer.forward(np.zeros((2, 4)))


def test_one_dimensional_input_says_how_to_reshape(model) -> None:
    with pytest.raises(
        ValueError,
        match=r"Expected 2-D array x of shape \(n_samples, n_features\), got 1-D array of shape \(3,\) instead\. Reshape your data using x\.reshape\(-1, 1\) if it has a single feature or x\.reshape\(1, -1\) if it is a single example\.",
    ):
        model.predict(np.array([1.0, 0.0, 1.0]))


def test_three_dimensional_input(model) -> None:
    with pytest.raises(
        ValueError, match=r"got 3-D array of shape \(4, 3, 1\)\. Flatten each example"
    ):
        model.predict(np.zeros((4, 3, 1)))


def test_labels_of_the_wrong_length(model) -> None:
    with pytest.raises(
        ValueError, match=r"x has 4 examples but y has 3 labels; they must have the same length"
    ):
        model.fit(X, np.zeros((3, 1)), verbose=0)


def test_targets_of_the_wrong_width(model) -> None:
    with pytest.raises(
        ValueError,
        match=r"MeanSquaredError expects targets y of shape \(n_samples, 1\) to match the model's output, got shape \(4, 2\)",
    ):
        model.fit(X, np.zeros((4, 2)), verbose=0)


def test_nan_in_x_is_found_and_located(model) -> None:
    x = X.copy()
    x[2, 1] = np.nan
    with pytest.raises(
        ValueError,
        match=r"Input x contains NaN or infinity \(first at row 2, column 1\)\. Remove or impute",
    ):
        model.fit(x, Y, verbose=0)


def test_nan_in_y(model) -> None:
    with pytest.raises(ValueError, match=r"Targets y contain NaN or infinity"):
        model.fit(X, np.full((4, 1), np.nan), verbose=0)


@pytest.mark.parametrize(
    ("factory", "pattern"),
    [
        (
            lambda: Dense(2, activation="sigmod"),
            r"Unknown activation 'sigmod'\. Valid names: 'linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'softmax', 'elu', 'selu', 'gelu', 'silu', 'softplus', 'softsign', 'hard_sigmoid'\.",
        ),
        (
            lambda: gn.layers.Activation("mish"),
            r"Unknown activation 'mish'\. Valid names: 'linear'",
        ),
        (
            lambda: Dense(2, kernel_initializer="glorot"),
            r"Unknown initializer 'glorot'\. Valid names: 'zeros', 'ones', 'constant', 'identity', 'random_uniform', 'glorot_uniform', 'he_normal', 'glorot_normal', 'he_uniform', 'lecun_normal', 'lecun_uniform', 'random_normal', 'truncated_normal', 'orthogonal', 'variance_scaling'\.",
        ),
        (
            lambda: gn.Sequential([Dense(1)]).compile("nadam", "mse"),
            r"Unknown optimizer 'nadam'\. Valid names: 'sgd', 'rmsprop', 'adam', 'adamw', 'adagrad'\.",
        ),
        (
            lambda: gn.Sequential([Dense(1)]).compile("sgd", "hinge"),
            r"Unknown loss 'hinge'\. Valid names: 'mse', 'mean_squared_error', 'half_sum_squared_error', 'binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy', 'mae', 'mean_absolute_error', 'huber'\.",
        ),
        (
            lambda: gn.Sequential([Dense(1)]).compile("sgd", "mse", metrics=["f1"]),
            r"Unknown metric 'f1'\. Valid names: 'accuracy'",
        ),
    ],
)
def test_unknown_names_list_the_valid_ones(factory, pattern) -> None:
    with pytest.raises(ValueError, match=pattern):
        factory()


def test_fit_before_compile() -> None:
    model = gn.Sequential([Dense(1)])
    with pytest.raises(
        ValueError,
        match=r"You must compile the model before fit\(\): call model\.compile\(optimizer='sgd', loss='mse'\) first\.",
    ):
        model.fit(X, Y)
    with pytest.raises(ValueError, match=r"You must compile the model before evaluate\(\)"):
        model.evaluate(X, Y)


def test_compile_without_a_loss() -> None:
    with pytest.raises(
        ValueError, match=r"compile\(\) needs a loss, e.g\. loss='mse'\. Valid names: 'mse'"
    ):
        gn.Sequential([Dense(1)]).compile("sgd")


def test_non_numeric_and_complex_inputs(model) -> None:
    with pytest.raises(
        TypeError, match=r"Expected numeric x, got an array of dtype <U1\. Convert it first"
    ):
        model.predict(np.array([["a", "b", "c"]]))
    with pytest.raises(
        TypeError, match=r"Expected real numbers in x, got complex dtype complex128"
    ):
        model.predict(np.zeros((1, 3), dtype=complex))
    with pytest.raises(ValueError, match=r"with the same number of features in every row"):
        model.predict([[1, 2, 3], [1, 2]])


def test_empty_input(model) -> None:
    with pytest.raises(
        ValueError, match=r"Expected at least one example and one feature in x, got shape \(0, 3\)"
    ):
        model.predict(np.zeros((0, 3)))


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"batch_size": 0}, ValueError, r"Expected batch_size >= 1, got 0\."),
        ({"batch_size": 2.5}, TypeError, r"Expected batch_size to be an integer, got float 2\.5\."),
        (
            {"batch_size": 5},
            ValueError,
            r"batch_size=5 is larger than the 4 training examples\. Use batch_size=4",
        ),
        ({"epochs": -1}, ValueError, r"Expected epochs >= 0, got -1\."),
        (
            {"validation_split": 1.5},
            ValueError,
            r"Expected validation_split between 0 and 1, got 1\.5\.",
        ),
        ({"validation_data": (X,)}, ValueError, r"Expected validation_data=\(x_val, y_val\)"),
        (
            {"callbacks": [print]},
            TypeError,
            r"Expected callbacks to be glassnet\.callbacks\.Callback instances",
        ),
    ],
)
def test_bad_fit_arguments(model, kwargs, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        model.fit(X, Y, verbose=0, **kwargs)


@pytest.mark.parametrize(
    ("factory", "pattern"),
    [
        (
            lambda: gn.SGD(learning_rate=-0.1),
            r"Expected learning_rate > 0 \(a finite number, e\.g\. 0\.01\), got -0\.1\.",
        ),
        (
            lambda: gn.SGD(learning_rate=float("nan")),
            r"Expected learning_rate to be a finite number, got nan\.",
        ),
        (
            lambda: gn.SGD(learning_rate=0),
            r"Expected learning_rate > 0 \(a finite number, e\.g\. 0\.01\), got 0\.0\.",
        ),
        (lambda: gn.SGD(0.1, momentum=1.5), r"Expected momentum in \[0\.0, 1\.0\), got 1\.5\."),
        (lambda: gn.SGD(0.1, nesterov=True), r"SGD\(nesterov=True\) needs momentum > 0"),
        (lambda: Dense(0), r"Dense expects units to be a positive integer, got 0\."),
        (
            lambda: gn.Input(shape=(4, 3)),
            r"Input expects the shape of one example as \(n_features,\)",
        ),
        (
            lambda: gn.Sequential(dtype="int32"),
            r"Expected dtype 'float32' or 'float64', got 'int32'\.",
        ),
    ],
)
def test_bad_hyperparameters(factory, pattern) -> None:
    with pytest.raises(ValueError, match=pattern):
        factory()


def test_learning_rate_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match=r"Expected learning_rate to be a number, got str 'fast'\."):
        gn.SGD(learning_rate="fast")


def test_set_weights_of_the_wrong_shape(model) -> None:
    weights = model.get_weights()
    with pytest.raises(
        ValueError,
        match=r"set_weights expected 4 arrays \(hidden\.kernel \(3, 4\), hidden\.bias \(4,\), dense\.kernel \(4, 1\), dense\.bias \(1,\)\), got 3\.",
    ):
        model.set_weights(weights[:3])
    weights[0] = weights[0].T
    with pytest.raises(
        ValueError,
        match=r"Layer 'hidden' kernel expects shape \(3, 4\), got \(4, 3\)\. Did you mean its transpose\?",
    ):
        model.set_weights(weights)


def test_predict_before_build_without_input_shape() -> None:
    with pytest.raises(ValueError, match=r"The model is not built yet"):
        gn.Sequential([Dense(1)]).get_weights()


def test_label_mix_ups() -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(3, "softmax")])
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(
        ValueError, match=r"These look like integer class labels: use SparseCategoricalCrossEntropy"
    ):
        model.fit(np.zeros((4, 2)), np.array([0, 1, 2, 1]), verbose=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(
        ValueError,
        match=r"labels from 0 to 3, but the output has 3 units, so labels must be in \[0, 2\]",
    ):
        model.fit(np.zeros((4, 2)), np.array([0, 1, 3, 1]), verbose=0)
    with pytest.raises(ValueError, match=r"One-hot targets go with CategoricalCrossEntropy"):
        model.fit(np.zeros((4, 2)), np.eye(3)[[0, 1, 2, 1]], verbose=0)


def test_binary_targets_out_of_range() -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(1, "sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    with pytest.raises(
        ValueError,
        match=r"BinaryCrossEntropy expects targets between 0 and 1, got values from 0\.0 to 2\.0",
    ):
        model.fit(np.zeros((3, 2)), np.array([0, 1, 2]), verbose=0)


def test_adding_a_non_layer() -> None:
    with pytest.raises(
        TypeError,
        match=r"Expected a glassnet layer \(e\.g\. glassnet\.layers\.Dense\(4\)\) or glassnet\.Input, got str\.",
    ):
        gn.Sequential(["dense"])


def test_cli_bad_arguments_exit_2(capsys) -> None:
    from glassnet import cli

    with pytest.raises(SystemExit) as info:
        cli.main(["seed", "--cell", "torch"])
    assert info.value.code == 2
    assert "invalid choice: 'torch'" in capsys.readouterr().err


def test_predict_overflow_is_reported_not_returned_as_nan() -> None:
    model = gn.Sequential([gn.Input(shape=(1,)), gn.layers.Dense(1)], seed=0)
    model.set_weights([np.array([[1e30]]), np.array([0.0])])
    with pytest.raises(
        FloatingPointError, match=r"overflowed float32 \(inf or NaN\), first for row 1"
    ):
        model.predict(np.array([[1.0], [1e10]]))
