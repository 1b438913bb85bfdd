"""Keras's metric objects: BinaryAccuracy(threshold), Precision, Recall, AUC, TopK.

Every expected number is computed here by Keras 3.15.1 (torch backend) on the same batches, fed
through ``update_state`` in the same order (float32 against glassnet's float64 counts: 1e-6),
including the cases of Keras's docstrings; then compile/fit/evaluate/model files and bad input.
"""

from __future__ import annotations

import math
import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet import metrics


def _batches(seed: int, k: int = 1, n: int = 3):
    rng = np.random.default_rng(seed)
    out = []
    for size in (5, 8, 3)[:n]:
        y = rng.integers(0, 2, size=(size, k)).astype(np.float32)
        p = rng.uniform(size=(size, k)).astype(np.float32)
        p[0, 0] = 0.5  # a prediction exactly at the default threshold
        out.append((y, p))
    return out


CASES = {
    "binary_accuracy": (lambda: metrics.BinaryAccuracy(), lambda: keras.metrics.BinaryAccuracy()),
    "binary_accuracy_0.7": (
        lambda: metrics.BinaryAccuracy(threshold=0.7),
        lambda: keras.metrics.BinaryAccuracy(threshold=0.7),
    ),
    "precision": (lambda: metrics.Precision(), lambda: keras.metrics.Precision()),
    "precision_0.3": (
        lambda: metrics.Precision(thresholds=0.3),
        lambda: keras.metrics.Precision(thresholds=0.3),
    ),
    "recall": (lambda: metrics.Recall(), lambda: keras.metrics.Recall()),
    "recall_0.8": (
        lambda: metrics.Recall(thresholds=0.8),
        lambda: keras.metrics.Recall(thresholds=0.8),
    ),
    "auc": (lambda: metrics.AUC(), lambda: keras.metrics.AUC()),
    "auc_7": (lambda: metrics.AUC(num_thresholds=7), lambda: keras.metrics.AUC(num_thresholds=7)),
    "auc_pr": (lambda: metrics.AUC(curve="PR"), lambda: keras.metrics.AUC(curve="PR")),
    "auc_pr_11": (
        lambda: metrics.AUC(num_thresholds=11, curve="PR"),
        lambda: keras.metrics.AUC(num_thresholds=11, curve="PR"),
    ),
    # before: AUC(multi_label=True) raised a bare "unexpected keyword argument" TypeError
    "auc_multi_label": (
        lambda: metrics.AUC(multi_label=True),
        lambda: keras.metrics.AUC(multi_label=True),
    ),
    "auc_multi_label_pr_9": (
        lambda: metrics.AUC(num_thresholds=9, curve="PR", multi_label=True, num_labels=None),
        lambda: keras.metrics.AUC(num_thresholds=9, curve="PR", multi_label=True),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("k", [1, 3])
def test_running_results_match_keras(case: str, k: int) -> None:
    ours, theirs = CASES[case][0](), CASES[case][1]()
    for y, p in _batches(seed=len(case) + k, k=k):
        ours.update_state(y, p)
        theirs.update_state(y, p)
        assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6, abs=1e-7)
    ours.reset_state()
    theirs.reset_state()
    assert ours.result() == float(theirs.result()) == 0.0


def test_keras_docstring_cases() -> None:
    # keras/src/metrics/confusion_metrics.py and accuracy_metrics.py docstrings
    cases = [
        (metrics.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], 2 / 3),
        (metrics.Recall(), [0, 1, 1, 1], [1, 0, 1, 1], 2 / 3),
        (metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], 0.75),
        (metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], 0.75),
    ]
    for metric, y, p, expected in cases:
        metric.update_state(y, p)
        assert metric.result() == pytest.approx(expected, rel=1e-7)
    top = metrics.TopKCategoricalAccuracy(k=1)
    top.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert top.result() == 0.5


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_matches_keras_with_ties(k: int) -> None:
    rng = np.random.default_rng(k)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, size=40)]
    p = rng.integers(0, 4, size=(40, 5)).astype(np.float32) / 4  # many ties
    ours = metrics.TopKCategoricalAccuracy(k=k)
    theirs = keras.metrics.TopKCategoricalAccuracy(k=k)
    for part in (slice(0, 15), slice(15, 40)):
        ours.update_state(y[part], p[part])
        theirs.update_state(y[part], p[part])
    assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-7)


def test_top_k_with_k_beyond_the_classes_counts_every_example() -> None:
    # Keras's torch backend raises "selected index k out of range" here; every class is in the
    # top 7 of 5, so glassnet counts each example a hit
    top = metrics.TopKCategoricalAccuracy(k=7)
    top.update_state(np.eye(5)[[0, 3]], np.full((2, 5), 0.2))
    assert top.result() == 1.0


def test_fit_reports_the_epochs_counts_not_the_average_of_batches() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(48, 3)), (rng.normal(size=48) > 0).astype(float)
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1, "sigmoid")], seed=1, dtype="float64")
    # a learning rate of float32's smallest: the weights stay put, so every batch sees one model
    model.compile(gn.SGD(1.2e-38), "binary_crossentropy", metrics=[metrics.Precision(), "acc"])
    history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    p = model.predict(x)
    whole = metrics.Precision().value(y, p)
    assert history.history["precision"][0] == pytest.approx(whole, rel=1e-12)
    mean_of_batches = np.mean(
        [metrics.Precision().value(y[i : i + 16], p[i : i + 16]) for i in (0, 16, 32)]
    )
    assert abs(mean_of_batches - whole) > 1e-3  # the two differ here, so the test tells them apart
    logs = model.evaluate(x, y, return_dict=True)
    assert logs["precision"] == pytest.approx(whole, rel=1e-12)
    assert set(logs) == {"loss", "precision", "acc"}


def test_model_files_keep_the_metric_objects(tmp_path) -> None:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(4, "softmax")], seed=0)
    chosen = [metrics.AUC(num_thresholds=50, curve="PR"), metrics.TopKCategoricalAccuracy(k=2)]
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy", *chosen])
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet")
    assert again.metric_names == ["accuracy"]
    assert [m.get_config() for m in again.metric_objects] == [m.get_config() for m in chosen]


def test_a_hostile_metric_object_in_a_model_file_is_refused(tmp_path) -> None:
    from helpers import header_of, read_members
    from test_model_file_bounds import forged

    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile("adam", "binary_crossentropy", metrics=[metrics.AUC()])
    model.save(tmp_path / "m.glassnet")
    arrays = read_members(tmp_path / "m.glassnet")
    for value, message in [
        ([{"name": "auc", "num_thresholds": 10**9}], r"num_thresholds between 2 and 1000000"),
        ([{"name": "f1"}], r"Unknown metric 'f1'"),
        ([{"name": "precision", "thresholds": "<b>"}], r"thresholds to be a number"),
        ([{"name": "recall"}] * 101, r"at most 100 metric configs"),
        ("auc", r"metric_objects must be a list"),
    ]:
        header = header_of(arrays)
        header["compile"]["metric_objects"] = value
        with pytest.raises(gn.ModelFileError, match=message):
            gn.load_model(forged(tmp_path, arrays, header))


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: metrics.BinaryAccuracy(threshold=1.5), ValueError, r"threshold in \[0, 1\]"),
        (lambda: metrics.BinaryAccuracy(threshold="0.5"), TypeError, r"threshold to be a number"),
        (lambda: metrics.Precision(thresholds=math.nan), ValueError, r"finite number"),
        (lambda: metrics.Recall(thresholds=[0.3, 0.5]), TypeError, r"takes one threshold"),
        (lambda: metrics.AUC(num_thresholds=1), ValueError, r"num_thresholds between 2"),
        (lambda: metrics.AUC(num_thresholds=True), TypeError, r"num_thresholds to be a whole"),
        (lambda: metrics.AUC(curve="roc2"), ValueError, r"curve to be 'ROC' or 'PR'"),
        (lambda: metrics.TopKCategoricalAccuracy(k=0), ValueError, r"k between 1"),
        (lambda: metrics.AUC().update_state([1, 0], [1.5, 0.2]), ValueError, r"in \[0, 1\]"),
        (lambda: metrics.Precision().update_state([1, 0], [0.5]), ValueError, r"same shape"),
        (lambda: metrics.Precision().update_state([1], [math.nan]), ValueError, r"NaN"),
        (lambda: metrics.Precision().update_state(["a"], [0.5]), TypeError, r"numeric y_true"),
        (
            lambda: gn.Sequential([gn.layers.Dense(1)]).compile(
                "sgd", "mse", metrics=[metrics.Precision(), metrics.Precision(0.3)]
            ),
            ValueError,
            r"Two metrics would be reported as 'precision'",
        ),
    ],
)
def test_bad_input_gets_clear_errors(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_a_capitalised_metric_name_trains_under_its_lowercase_key() -> None:
    # fit keyed its totals by the name as given and the batch values by resolve's lowercase key:
    # metrics=["Accuracy"] raised KeyError: 'accuracy' at the first batch
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", "binary_crossentropy", metrics=["Accuracy"])
    history = model.fit(np.ones((4, 2)), np.ones(4), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


@pytest.mark.parametrize("multi_label", [False, True])
def test_auc_from_logits_matches_keras(multi_label: bool) -> None:
    ours = metrics.AUC(
        from_logits=True, multi_label=multi_label, num_labels=3 if multi_label else None
    )
    theirs = keras.metrics.AUC(
        from_logits=True, multi_label=multi_label, num_labels=3 if multi_label else None
    )
    rng = np.random.default_rng(7)
    for size in (6, 9):
        y = rng.integers(0, 2, size=(size, 3)).astype(np.float32)
        z = rng.normal(scale=3.0, size=(size, 3)).astype(np.float32)
        ours.update_state(y, z)
        theirs.update_state(y, z)
        assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6)


def test_auc_multi_label_in_fit_and_model_files(tmp_path) -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(40, 3)), rng.integers(0, 2, size=(40, 2)).astype(float)
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(2, "sigmoid")], seed=0)
    chosen = metrics.AUC(multi_label=True, name="auc_by_label")
    model.compile("adam", "binary_crossentropy", metrics=[chosen])
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    p = model.predict(x)
    each = [metrics.AUC().value(y[:, j], p[:, j]) for j in range(2)]
    assert model.evaluate(x, y, return_dict=True)["auc_by_label"] == pytest.approx(np.mean(each))
    assert len(history.history["auc_by_label"]) == 2
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet").metric_objects[0]
    assert again.get_config() == {
        "name": "auc_by_label",
        "class_name": "AUC",
        "num_thresholds": 200,
        "curve": "ROC",
        "multi_label": True,
        "num_labels": None,
    }


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: metrics.AUC(multi_label="yes"), TypeError, r"multi_label to be True or False"),
        (lambda: metrics.AUC(num_labels=3), ValueError, r"num_labels goes with multi_label=True"),
        (lambda: metrics.AUC(summation_method="minoring"), ValueError, r"'minoring' and"),
        (lambda: metrics.AUC(from_logits=1), TypeError, r"from_logits to be True or False"),
        (
            lambda: metrics.AUC(multi_label=True, num_labels=2).update_state(
                np.zeros((2, 3)), np.zeros((2, 3))
            ),
            ValueError,
            r"counts 2 labels, got y_pred with 3 columns",
        ),
        (lambda: metrics.AUC().update_state([1, 0], [2.0, 0.5]), ValueError, r"from_logits=True"),
        (
            lambda: metrics.AUC(num_thresholds=10**6, multi_label=True, num_labels=11),
            ValueError,
            r"would keep 11,000,000 counts of each kind, more than 10,000,000",
        ),
        (
            lambda: metrics.AUC(num_thresholds=1000, multi_label=True).update_state(
                np.zeros((1, 100_000)), np.zeros((1, 100_000))
            ),
            ValueError,
            r"1000 thresholds and 100000 labels would keep",
        ),
        (
            lambda: metrics.AUC().update_state([1], [0.5], sample_weight=[math.nan]),
            ValueError,
            r"^AUC\.update_state's sample_weight\[0\] is nan: weights must be finite numbers",
        ),
        (
            lambda: metrics.Precision()([1], [0.5], sample_weight="heavy"),
            TypeError,
            r"^Expected Precision\.update_state's sample_weight to be an array of numbers",
        ),
    ],
)
def test_auc_settings_are_checked(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_a_metric_class_without_its_methods_says_which_one() -> None:
    """A subclass of glassnet.metrics.Metric that forgot a method (or the base class itself in
    compile(metrics=[...])) failed with an empty NotImplementedError."""

    class Counted(gn.metrics.Metric):
        def reset_state(self) -> None:
            self.n = 0

    model = gn.Sequential([gn.Input(shape=(3,)), gn.layers.Dense(1, "sigmoid")])
    model.compile("sgd", "mse", metrics=[Counted()])
    with pytest.raises(NotImplementedError) as caught:
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert str(caught.value) == (
        "Counted has no update_state: a metric subclassing glassnet.metrics.Metric writes "
        "reset_state, update_state and result; def update_state(self, y_true, y_pred, "
        "sample_weight=None) should add a batch to its totals. (The base class itself is no metric: use e.g. "
        "glassnet.metrics.AUC().)"
    )
    with pytest.raises(NotImplementedError, match=r"^MetricObject has no reset_state: "):
        gn.metrics.Metric()


@pytest.mark.parametrize(
    "name", ["Precision", "AUC", "MeanSquaredError", "SparseCategoricalAccuracy"]
)
def test_ragged_targets_get_the_metrics_own_error(name: str) -> None:
    """Every metric object met ragged rows with NumPy's bare 'setting an array element with a
    sequence ... inhomogeneous shape'; the shared converter now says it in the metric's words."""
    metric = getattr(gn.metrics, name)()
    with pytest.raises(TypeError) as caught:
        metric.update_state([[1], [0, 1]], [[0.5, 0.5], [0.5, 0.5]])
    assert str(caught.value) == (
        f"{name} expects numeric y_true of shape (n_samples,) or (n_samples, n_outputs), got "
        f"list [[1], [0, 1]] (rows of different lengths?)."
    )


def test_the_accuracy_function_meets_ragged_rows_in_words() -> None:
    """metrics.accuracy sniffed the shapes with np.asarray first: NumPy's bare ValueError."""
    with pytest.raises(TypeError) as caught:
        metrics.accuracy([[1], [0, 1]], [[0.5], [0.5]])
    assert str(caught.value) == (
        "accuracy expects numeric y_true of shape (n_samples,) or (n_samples, n_outputs), got "
        "list [[1], [0, 1]] (rows of different lengths?)."
    )
    with pytest.raises(TypeError, match=r"^accuracy expects numeric y_pred of shape"):
        metrics.accuracy([1, 0], [[0.5], [0.5, 1.0]])
