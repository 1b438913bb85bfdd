"""Keras's mean metric objects (issue 19): MeanAbsoluteError, MeanSquaredError,
RootMeanSquaredError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Accuracy,
CategoricalAccuracy, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy, the
cross-entropies, Mean and Sum, and the confusion counts TruePositives... .

Every expected number is computed here by Keras 3.15.1 (torch backend, KERAS_BACKEND=torch) on
the same inputs, the cases of Keras's own tests (keras/src/metrics/regression_metrics_test.py,
accuracy_metrics_test.py, probabilistic_metrics_test.py, reduction_metrics_test.py,
confusion_metrics_test.py), and the number written in Keras's test is checked too, to its
tolerance there. Keras computes in float32 and glassnet's counts are float64: 1e-6 relative.
"""

from __future__ import annotations

import math
import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet import metric_objects, metrics

# keras/src/metrics/regression_metrics_test.py: MeanSquaredErrorTest.test_unweighted and others
Y5 = np.array([[0, 1, 0, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 0], [0, 0, 0, 0, 1]])
P5 = np.array([[0, 0, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0], [1, 1, 1, 1, 1]])
CE_LOGITS = np.array([[1, 9, 0], [1, 8, 1]], dtype=np.float32)

#: (class name, settings, y_true, y_pred, the number in Keras's test, its tolerance there)
KERAS_TEST_CASES = [
    ("MeanSquaredError", {}, Y5, P5, 0.5, 1e-5),
    ("MeanAbsoluteError", {}, Y5, P5, 0.5, 1e-5),
    ("MeanAbsolutePercentageError", {}, Y5, P5.astype("float32"), 35e7, 1e-5 * 35e7),
    ("MeanSquaredLogarithmicError", {}, Y5, P5, 0.24022, 1e-5),
    ("RootMeanSquaredError", {}, np.array([2, 4, 6]), np.array([1, 3, 2]), math.sqrt(6), 1e-3),
    ("Accuracy", {}, np.array([[1], [2], [3], [4]]), np.array([[0], [2], [3], [4]]), 0.75, 1e-3),
    (
        "CategoricalAccuracy",
        {},
        np.array([[0, 0, 1], [0, 1, 0]]),
        np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]]),
        0.5,
        1e-3,
    ),
    (
        "SparseCategoricalAccuracy",
        {},
        np.array([[2], [1]]),
        np.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0]]),
        0.5,
        1e-3,
    ),
    (
        "SparseCategoricalAccuracy",
        {},
        np.array([2, 1, 0], dtype=np.int32),
        np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
        1.0,
        1e-4,
    ),
    (
        "SparseTopKCategoricalAccuracy",
        {"k": 1},
        np.array([2, 1]),
        np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]], dtype="float32"),
        0.5,
        1e-3,
    ),
    (
        "SparseTopKCategoricalAccuracy",
        {"k": 2},
        np.array([2, 1]),
        np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]], dtype="float32"),
        1.0,
        1e-3,
    ),
    (
        "BinaryCrossentropy",
        {},
        np.array([1, 0, 1, 0]).reshape([2, 2]),
        np.array([1, 1, 1, 0], dtype=np.float32).reshape([2, 2]),
        3.9855,
        1e-3,
    ),
    (
        "BinaryCrossentropy",
        {"from_logits": True},
        np.array([[1, 0, 1], [0, 1, 1]]),
        np.array([[10.0, -10.0, 10.0], [10.0, 10.0, -10.0]]),
        3.333,
        1e-3,
    ),
    (
        "CategoricalCrossentropy",
        {},
        np.array([[0, 1, 0], [0, 0, 1]]),
        np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]),
        1.176,
        1e-3,
    ),
    (
        "CategoricalCrossentropy",
        {"from_logits": True},
        np.array([[0, 1, 0], [0, 0, 1]]),
        CE_LOGITS,
        3.5011,
        1e-3,
    ),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        np.array([[0, 1, 0], [0, 0, 1]]),
        CE_LOGITS,
        3.667,
        1e-3,
    ),
    (
        "SparseCategoricalCrossentropy",
        {},
        np.array([1, 2]),
        np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]),
        1.176,
        1e-3,
    ),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True},
        np.array([1, 2]),
        CE_LOGITS,
        3.5011,
        1e-3,
    ),
]


@pytest.mark.parametrize(
    ("name", "settings", "y", "p", "written", "tolerance"),
    KERAS_TEST_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(KERAS_TEST_CASES)],
)
def test_keras_test_cases(name, settings, y, p, written, tolerance) -> None:
    ours = getattr(metrics, name)(**settings)
    theirs = getattr(keras.metrics, name)(**settings)
    ours.update_state(y, p)
    theirs.update_state(y, p)
    assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6)
    assert abs(ours.result() - written) <= tolerance


def test_label_smoothing_binary_matches_keras() -> None:
    # probabilistic_metrics_test.py: BinaryCrossentropyTest.test_label_smoothing
    logits, y = np.array((10.0, -10.0, -10.0)), np.array((1, 0, 1))
    ours = metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    theirs = keras.metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    assert ours(y, logits) == pytest.approx(float(theirs(y, logits)), rel=1e-6)
    assert ours.result() == pytest.approx((10.0 + 5.0 * 0.1) / 3.0, abs=1e-3)  # Keras's


def _batches(seed: int, kind: str):
    rng = np.random.default_rng(seed)
    for size in (5, 8, 3):
        p = rng.uniform(0.05, 0.95, size=(size, 4)).astype(np.float32)
        if kind == "labels":
            yield rng.integers(0, 4, size=size), p / p.sum(axis=1, keepdims=True)
        elif kind == "onehot":
            yield np.eye(4)[rng.integers(0, 4, size=size)], p / p.sum(axis=1, keepdims=True)
        elif kind == "binary":
            yield rng.integers(0, 2, size=(size, 4)).astype(np.float32), p
        else:
            yield rng.normal(size=(size, 4)).astype(np.float32), p * 3 - 1


RUNNING = [
    ("MeanSquaredError", {}, "real"),
    ("MeanAbsoluteError", {}, "real"),
    ("RootMeanSquaredError", {}, "real"),
    ("MeanAbsolutePercentageError", {}, "real"),
    ("MeanSquaredLogarithmicError", {}, "binary"),
    ("Accuracy", {}, "binary"),
    ("CategoricalAccuracy", {}, "onehot"),
    ("SparseCategoricalAccuracy", {}, "labels"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "labels"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "binary"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("SparseCategoricalCrossentropy", {}, "labels"),
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {"thresholds": 0.3}, "binary"),
    ("TrueNegatives", {}, "binary"),
    ("FalseNegatives", {"thresholds": 0.7}, "binary"),
]


@pytest.mark.parametrize(("name", "settings", "kind"), RUNNING, ids=[r[0] for r in RUNNING])
def test_running_results_over_batches_match_keras(name, settings, kind) -> None:
    ours = getattr(metrics, name)(**settings)
    theirs = getattr(keras.metrics, name)(**settings)
    for y, p in _batches(len(name), kind):
        ours.update_state(y, p)
        theirs.update_state(y, p)
        assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6, abs=1e-7)
    ours.reset_state()
    theirs.reset_state()
    assert ours.result() == float(theirs.result()) == 0.0


def test_mean_and_sum_match_keras() -> None:
    # keras/src/metrics/reduction_metrics_test.py: MeanTest / SumTest, update_state(values)
    for name in ("Mean", "Sum"):
        ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
        for values in ([1, 3, 5, 7], 100, np.array([[0.5, -2.0], [4.0, 1.0]])):
            ours.update_state(values)
            theirs.update_state(values)
            assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-7)
        assert ours(2.0) == pytest.approx(float(theirs(2.0)), rel=1e-7)


def test_the_sparse_ones_read_fits_one_hot_rows_as_their_labels() -> None:
    # fit hands a metric one-hot rows once the sparse loss has encoded the labels
    labels, p = np.array([2, 0, 1, 1]), np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]] * 2)
    for name in ("SparseCategoricalAccuracy", "SparseCategoricalCrossentropy"):
        kind = getattr(metrics, name)
        assert kind().value(np.eye(3)[labels], p) == kind().value(labels, p)
    top = metrics.SparseTopKCategoricalAccuracy(k=1)
    assert top.value(np.eye(3)[labels], p) == top.value(labels, p) == 0.5


def test_root_mean_squared_error_over_an_epoch_is_the_root_of_its_mean() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1)) * 4
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1)], seed=1, dtype="float64")
    # the smallest float32 learning rate: the weights stay put, so every batch sees one model
    model.compile(gn.SGD(1.2e-38), "mse", metrics=["root_mean_squared_error", "mse"])
    history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    p = model.predict(x)
    whole = math.sqrt(np.mean((p - y) ** 2))
    assert history.history["root_mean_squared_error"][0] == pytest.approx(whole, rel=1e-12)
    assert history.history["mse"][0] == pytest.approx(whole**2, rel=1e-12)
    roots = [math.sqrt(np.mean((p[i : i + 16] - y[i : i + 16]) ** 2)) for i in (0, 16, 32)]
    batch_mean = np.average(roots, weights=[16, 16, 8])
    assert abs(batch_mean - whole) > 1e-3  # the two differ here: the test tells them apart


#: the strings compile takes (each checked against Keras's compile below)
STRINGS = [
    "mae",
    "mse",
    "mape",
    "msle",
    "mean_absolute_percentage_error",
    "root_mean_squared_error",
    "binary_crossentropy",
    "auc",
    "precision",
    "recall",
    "acc",
]


def test_compile_by_name_reports_under_keras_keys() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = (rng.normal(size=(16, 1)) > 0).astype(np.float32)
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    theirs.compile("sgd", "binary_crossentropy", metrics=STRINGS)
    keras_keys = set(theirs.fit(x, y, epochs=1, verbose=0).history)
    ours = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    ours.compile("sgd", "binary_crossentropy", metrics=STRINGS)
    history = ours.fit(x, y, epochs=1, verbose=0)
    assert set(history.history) == keras_keys
    logs = ours.evaluate(x, y, return_dict=True)
    assert set(logs) == keras_keys
    p = ours.predict(x)
    expected = {
        "mape": keras.metrics.MeanAbsolutePercentageError(),
        "msle": keras.metrics.MeanSquaredLogarithmicError(),
        "root_mean_squared_error": keras.metrics.RootMeanSquaredError(),
        "binary_crossentropy": keras.metrics.BinaryCrossentropy(),
        "auc": keras.metrics.AUC(),
    }
    for key, metric in expected.items():
        metric.update_state(y, p)
        assert logs[key] == pytest.approx(float(metric.result()), rel=1e-5), key


def test_metric_objects_in_compile_train_evaluate_and_save(tmp_path) -> None:
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    chosen = [
        metrics.SparseCategoricalAccuracy(),
        metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"),
        metrics.SparseCategoricalCrossentropy(name="ce"),
        metrics.MeanSquaredError(name="mse_of_rows"),
    ]
    model = gn.Sequential([gn.Input((4,)), gn.layers.Dense(3, "softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=chosen)
    history = model.fit(x, labels, epochs=2, batch_size=8, verbose=0, validation_split=0.2)
    keys = ["sparse_categorical_accuracy", "top2", "ce", "mse_of_rows"]
    assert list(history.history) == ["loss", *keys, "val_loss", *(f"val_{k}" for k in keys)]
    logs = model.evaluate(x, labels, return_dict=True)
    p = model.predict(x)
    assert logs["ce"] == pytest.approx(logs["loss"], rel=1e-5)
    assert logs["mse_of_rows"] == pytest.approx(np.mean((p - np.eye(3)[labels]) ** 2), rel=1e-6)
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet")
    assert [m.get_config() for m in again.metric_objects] == [m.get_config() for m in chosen]
    assert again.evaluate(x, labels, return_dict=True) == logs
    assert repr(chosen[1]) == "SparseTopKCategoricalAccuracy(name='top2', k=2)"


def test_a_metric_of_your_own_subclasses_metric() -> None:
    class LargestError(metrics.Metric):
        name = "largest_error"
        maximized = False

        def reset_state(self) -> None:
            self.largest = 0.0

        def update_state(self, y_true, y_pred) -> None:
            error = np.abs(np.asarray(y_pred) - np.asarray(y_true).reshape(np.shape(y_pred)))
            self.largest = max(self.largest, float(error.max()))

        def result(self) -> float:
            return self.largest

    x, y = np.arange(8.0).reshape(4, 2), np.array([0.0, 1.0, 2.0, 10.0])
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], seed=0, dtype="float64")
    model.compile("sgd", "mse", metrics=[LargestError()])
    logs = model.evaluate(x, y, return_dict=True)
    assert logs["largest_error"] == np.abs(model.predict(x).ravel() - y).max()
    assert metrics.Metric is metrics.MetricObject


def test_compile_takes_a_metric_class_as_keras_does() -> None:
    # Keras 3.15.1: compile(metrics=[keras.metrics.MeanAbsoluteError]) reports
    # 'mean_absolute_error'; glassnet refused the class as "not a name or an object"
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1)], seed=0)
    model.compile("sgd", "mse", metrics=[metrics.MeanAbsoluteError, metrics.AUC])
    history = model.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    assert sorted(history.history) == ["auc", "loss", "mean_absolute_error"]
    with pytest.raises(TypeError, match=r"^Mean keeps the numbers you give"):
        model.compile("sgd", "mse", metrics=[metrics.Mean])
    with pytest.raises(TypeError, match=r"^Expected a metric name \(a string\) or a metric obj"):
        model.compile("sgd", "mse", metrics=[int])


def test_keras_names_for_get() -> None:
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("root_mean_squared_error"), metrics.RootMeanSquaredError)
    assert metrics.get("mape").name == "mean_absolute_percentage_error"
    with pytest.raises(ValueError, match=r"^Unknown metric 'rmse'\. Valid names: "):
        metrics.get("rmse")  # Keras 3.15.1 refuses "rmse" too: "Could not interpret"


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: gn.Sequential([gn.layers.Dense(1)]).compile(
                "sgd", "mse", metrics=[metrics.Mean()]
            ),
            TypeError,
            r"^Mean keeps the numbers you give to update_state\(values\): it has no y_true",
        ),
        (
            lambda: gn.Sequential([gn.layers.Dense(1)]).compile("sgd", "mse", metrics=["rmse"]),
            ValueError,
            r"^Unknown metric 'rmse'\. Valid names: 'accuracy', .*'root_mean_squared_error'.* "
            r"\(glassnet\.metrics\.METRICS and STATEFUL list them all\)\.$",
        ),
        (
            lambda: gn.Sequential([gn.layers.Dense(1)]).compile(
                "sgd", "mse", metrics=["auc", metrics.AUC(num_thresholds=9)]
            ),
            ValueError,
            r"Two metrics would be reported as 'auc'",
        ),
        (lambda: metrics.MeanAbsoluteError(name="loss"), ValueError, r"not 'loss'"),
        (lambda: metrics.MeanAbsoluteError(name="val_mae"), ValueError, r"starting with 'val_'"),
        (lambda: metrics.AUC(name="<b>x</b>"), ValueError, r"1 to 64 letters.*got '<b>x</b>'"),
        (lambda: metrics.Recall(name="r" * 65), ValueError, r"1 to 64 letters"),
        (lambda: metrics.Recall(name=""), ValueError, r"1 to 64 letters"),
        (lambda: metrics.Precision(name=3), TypeError, r"Precision's name to be a string, got int"),
        (
            lambda: metrics.BinaryCrossentropy(from_logits="yes"),
            TypeError,
            r"from_logits to be True or False, got 'yes'",
        ),
        (
            lambda: metrics.CategoricalCrossentropy(label_smoothing=2.0),
            ValueError,
            r"label_smoothing in \[0, 1\]",
        ),
        (
            lambda: metrics.MeanSquaredError().update_state([1.0, math.nan], [0.0, 1.0]),
            ValueError,
            r"MeanSquaredError got NaN or infinite values",
        ),
        (
            lambda: metrics.MeanAbsoluteError().update_state(["a"], [1.0]),
            TypeError,
            r"MeanAbsoluteError expects numeric y_true",
        ),
        (
            lambda: metrics.RootMeanSquaredError().update_state([1.0, 2.0], [1.0]),
            ValueError,
            r"same shape",
        ),
        (
            lambda: metrics.Accuracy().update_state(np.zeros((0, 2)), np.zeros((0, 2))),
            ValueError,
            r"at least one example",
        ),
        (
            lambda: metrics.SparseCategoricalAccuracy().update_state([0, 1], [0.2, 0.8]),
            ValueError,
            r"expects y_pred of shape \(n_samples, n_classes\)",
        ),
        (
            lambda: metrics.SparseTopKCategoricalAccuracy().update_state([3], [[0.2, 0.8]]),
            ValueError,
            r"whole class labels from 0 to 1 \(y_pred has 2 classes\), got the label 3\.$",
        ),
        (
            lambda: metrics.SparseTopKCategoricalAccuracy().update_state([0.5], [[0.2, 0.8]]),
            ValueError,
            r"expects whole class labels from 0 to 1 .*got the label 0\.5\.$",
        ),
        (
            lambda: metrics.SparseCategoricalCrossentropy().update_state([7], [[0.2, 0.8]]),
            ValueError,
            r"class",
        ),
        (
            lambda: metrics.BinaryCrossentropy(from_logits=True).update_state(
                [[1.0]], np.array([[np.inf]], dtype=np.float32)
            ),
            ValueError,
            r"NaN or infinite",
        ),
        (lambda: metrics.Mean().update_state("a"), TypeError, r"expects numbers"),
        (lambda: metrics.Sum().update_state([math.inf]), ValueError, r"NaN or infinite"),
        (lambda: metrics.Mean().update_state([]), TypeError, r"expects numbers"),
        (
            lambda: metrics.MeanSquaredError().update_state([1.0], [0.0], sample_weight=[-2.0]),
            ValueError,
            r"^MeanSquaredError\.update_state's sample_weight\[0\] is -2: weights must be >= 0",
        ),
        (
            lambda: metrics.Sum()([1.0, 2.0], sample_weight=[2.0]),
            ValueError,
            r"^Sum\.update_state's sample_weight has 1 weights for 2 examples",
        ),
    ],
)
def test_bad_input_gets_clear_errors(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_a_hostile_class_name_in_a_model_file_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"^Unknown metric '<script>'\. Valid names: "):
        metric_objects.from_config({"name": "x", "class_name": "<script>"})
    with pytest.raises(ValueError, match=r"1 to 64 letters"):
        metric_objects.from_config({"name": "<b>", "class_name": "AUC"})
    again = metric_objects.from_config({"name": "my_auc", "class_name": "AUC"})
    assert again.name == "my_auc" and isinstance(again, metrics.AUC)


def test_the_numbers_the_big_inputs_give_stay_finite() -> None:
    # 100,000 columns: one value per example, no per-column Python loop
    y = np.zeros((2, 100_000))
    p = np.full((2, 100_000), 0.5)
    assert metrics.MeanAbsoluteError()(y, p) == 0.5
    assert metrics.BinaryCrossentropy()(y, p) == pytest.approx(math.log(2.0), rel=1e-12)
    # beyond float32: glassnet's counts are float64; beyond float64, a clear error, not an inf
    assert metrics.MeanSquaredError()([0.0], [1e100]) == pytest.approx(1e200, rel=1e-12)
    squares = metrics.MeanSquaredError()
    with pytest.raises(ValueError, match=r"^MeanSquaredError overflowed float64 on these values"):
        squares.update_state([0.0], [1e200])
    assert squares.result() == 0.0  # nothing counted
    # the functions "mse" and "mae" too: they returned inf without a word
    for function in (metrics.mean_squared_error, metrics.mean_absolute_error):
        with pytest.raises(ValueError, match=r"got NaN or infinite values .*or overflowed"):
            function([0.0, 1.0], [1e200 if function is metrics.mean_squared_error else math.inf, 0])
    big = np.array([[3e20]], dtype=np.float32)  # its square is beyond float32, not float64
    assert metrics.mean_squared_error(np.zeros((1, 1), np.float32), big) == pytest.approx(9e40)


@pytest.mark.parametrize("cls", [gn.metrics.Mean, gn.metrics.Sum])
def test_mean_and_sum_refuse_ragged_rows_and_a_total_past_float64(cls) -> None:
    """Mean()/Sum() of [[1, 2], [3]] raised NumPy's bare 'setting an array element with a
    sequence'; of [1e308, 1e308] they returned inf (with a RuntimeWarning), where the other
    metrics refuse an overflow. Nothing is added by a refused call."""
    import warnings

    metric = cls()
    metric.update_state([1.0, 2.0])
    with pytest.raises(TypeError) as caught:
        metric.update_state([[1, 2], [3]])
    assert str(caught.value) == (
        f"{cls.__name__}.update_state expects numbers (a number or an array), got list "
        f"[[1, 2], [3]] (rows of different lengths?)."
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as caught:
            metric.update_state(np.array([1e308, 1e308]))
    assert str(caught.value) == (
        f"{cls.__name__}.update_state: the running total passed the largest float64 (about "
        f"1.8e308), so the result would be inf. Scale the values down."
    )
    assert metric.result() == (1.5 if cls is gn.metrics.Mean else 3.0)
