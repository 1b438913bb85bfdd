"""compile(weighted_metrics=[...]) against Keras 3.15.1 itself (KERAS_BACKEND=torch, float32).

What Keras was measured to do (tests below run it; glassnet/_weighted_metrics.py says it too):
a weighted metric counts example i w_i times, w_i from sample_weight or class_weight, never from
loss_weights; it is named as in metrics=, or "weighted_" + that name when metrics= has it; with no
weights it equals the unweighted metric; fit's epoch value is the weighted mean over the epoch's
examples (sum_i w_i v_i / sum_i w_i), and the batch logs show its running value.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set

import glassnet as gn

RTOL = ATOL = 1e-6  # float32 on both sides (measured: within 3e-7 relative on these cases)
#: after fit's steps, the weights themselves differ by float32 rounding: a little more room
FIT_RTOL = 1e-5


def same(ours: dict, theirs: dict, rtol: float = RTOL) -> None:
    """The same keys, and each value within float32 tolerance."""
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        np.testing.assert_allclose(ours[key], value, rtol=rtol, atol=ATOL, err_msg=key)


def data(kind: str, n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    w = rng.uniform(0.0, 2.0, size=n).astype("float32")
    if kind == "regression":
        y = (x @ rng.normal(size=(3, 2)) + rng.normal(size=(n, 2))).astype("float32")
    elif kind == "binary":
        y = (x[:, :1] + rng.normal(size=(n, 1)) > 0).astype("float32")
    elif kind == "categorical":  # 6 classes: Keras's top_k_categorical_accuracy has k=5
        y = np.eye(6, dtype="float32")[rng.integers(0, 6, size=n)]
    else:  # sparse: class labels
        y = rng.integers(0, 4, size=n).astype("float32")
    return x, y, w


#: model kind -> (units, activation, loss, metrics, weighted metrics); a metric object is a
#: class name and its settings, made in both libraries
CASES = {
    "regression": (
        2,
        "linear",
        "mse",
        ["mae"],
        ["mae", "mse", "mape", "msle", ("RootMeanSquaredError", {"name": "rmse"})],
    ),
    "binary": (
        1,
        "sigmoid",
        "binary_crossentropy",
        ["accuracy", "auc"],
        [
            "accuracy",
            "auc",
            "precision",
            "recall",
            "binary_crossentropy",
            ("AUC", {"curve": "PR", "name": "pr_auc"}),
            ("TruePositives", {"name": "tp"}),
            ("FalseNegatives", {"name": "fn"}),
            ("BinaryAccuracy", {"threshold": 0.3, "name": "ba3"}),
        ],
    ),
    "categorical": (
        6,
        "softmax",
        "categorical_crossentropy",
        ["accuracy"],
        [
            "accuracy",
            "categorical_accuracy",
            "top_k_categorical_accuracy",
            "categorical_crossentropy",
            ("TopKCategoricalAccuracy", {"k": 2, "name": "top2"}),
            ("AUC", {"multi_label": True, "name": "ml_auc"}),
            ("Precision", {"name": "precision"}),
        ],
    ),
    "sparse": (
        4,
        "softmax",
        "sparse_categorical_crossentropy",
        ["accuracy"],
        [
            "accuracy",
            "sparse_categorical_accuracy",
            "sparse_categorical_crossentropy",
            ("SparseTopKCategoricalAccuracy", {"k": 2, "name": "stop2"}),
        ],
    ),
}


def _made(module, entries):
    return [e if isinstance(e, str) else getattr(module, e[0])(**e[1]) for e in entries]


def twins(kind: str, loss_weights: float | None = None, weighted: list | None = None):
    """A glassnet model and its Keras twin: Dense on 3 inputs, SGD(0.1), the case's loss and
    metrics, the same initial weights."""
    units, activation, loss, metrics, chosen = CASES[kind]
    chosen = chosen if weighted is None else weighted
    net = gn.Sequential([gn.Input((3,)), gn.layers.Dense(units, activation)], seed=0)
    net.compile(
        gn.SGD(0.1),
        loss,
        loss_weights=loss_weights,
        metrics=_made(gn.metrics, metrics),
        weighted_metrics=_made(gn.metrics, chosen),
    )
    twin = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation=activation)])
    twin.set_weights(net.get_weights())
    twin.compile(
        keras.optimizers.SGD(0.1),
        loss,
        loss_weights=loss_weights,
        metrics=_made(keras.metrics, metrics),
        weighted_metrics=_made(keras.metrics, chosen),
    )
    return net, twin


def class_weight(kind: str) -> dict[int, float]:
    if kind == "binary":
        return {0: 0.5, 1: 3.0}
    return {0: 0.5, 1: 2.0, 2: 1.0, 3: 4.0, **({5: 0.0} if kind == "categorical" else {})}


#: the count metrics of CASES (TruePositives, FalseNegatives): see ``trained``
COUNTS = ("tp", "fn")


def trained(ours: dict, theirs: dict) -> tuple[dict, dict]:
    """fit's histories without the training values of count metrics when fit validates:
    Keras 3.15.1 records there the validation's count (its history's "tp" equals "val_tp"
    at every epoch, with or without weights, measured: the count's result() is its variable,
    which the validation's evaluate overwrites before the History reads it). glassnet records
    the training epoch's own count; the other keys are compared as they are."""
    if not any(key.startswith("val_") for key in theirs):
        return ours, theirs
    for key in COUNTS:
        if key in theirs:
            assert theirs[key] == theirs[f"val_{key}"]  # Keras's aliasing, as measured
    drop = [key for key in COUNTS if key in theirs]
    return (
        {k: v for k, v in ours.items() if k not in drop},
        {k: v for k, v in theirs.items() if k not in drop},
    )


# -- evaluate, test_on_batch, train_on_batch ------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(CASES))
def test_evaluate_and_the_batch_methods_weigh_as_keras(kind: str) -> None:
    x, y, w = data(kind)
    net, twin = twins(kind)
    ours = net.evaluate(x, y, sample_weight=w, return_dict=True)
    theirs = twin.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    same(ours, theirs)
    assert any(key.startswith("weighted_") for key in ours)  # the twin of a metrics= name
    # the weights matter: a weighted mean of these numbers is not the unweighted one
    plain = net.evaluate(x, y, return_dict=True)
    assert ours["weighted_accuracy" if kind != "regression" else "weighted_mae"] != pytest.approx(
        plain["weighted_accuracy" if kind != "regression" else "weighted_mae"]
    )
    same(plain, twin.evaluate(x, y, verbose=0, return_dict=True))
    same(
        net.test_on_batch(x, y, sample_weight=w, return_dict=True),
        twin.test_on_batch(x, y, sample_weight=w, return_dict=True),
    )
    # train_on_batch: measured before the update, reset per call in both
    same(
        net.train_on_batch(x, y, sample_weight=w, return_dict=True),
        twin.train_on_batch(x, y, sample_weight=w, return_dict=True),
    )
    if kind != "regression":
        cw = class_weight(kind)
        same(
            net.train_on_batch(x, y, class_weight=cw, return_dict=True),
            twin.train_on_batch(x, y, class_weight=cw, return_dict=True),
        )
    np.testing.assert_allclose(net.get_weights()[0], twin.get_weights()[0], rtol=1e-5, atol=1e-6)


def test_without_weights_a_weighted_metric_is_its_unweighted_twin() -> None:
    for kind in CASES:
        x, y, _ = data(kind)
        net, twin = twins(kind)
        logs = net.evaluate(x, y, return_dict=True)
        for key in [k for k in logs if k.startswith("weighted_")]:
            assert logs[key] == pytest.approx(logs[key.removeprefix("weighted_")], rel=1e-12)
        history = net.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
        their_history = twin.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
        same(history, their_history, FIT_RTOL)


def test_list_form_and_key_order() -> None:
    """evaluate's list: the loss, metrics=, then weighted_metrics=, each in the given order, as
    Keras's when no name repeats. When one does, Keras's list holds the repeated name's
    unweighted value again (5 numbers for 4 keys here, measured: it looks the keys up by the
    metric objects' own names, "mae" twice, then adds "weighted_mae"); glassnet's list is one
    number per key, the return_dict's values in order."""
    x, y, w = data("regression")
    net, twin = twins("regression", weighted=["mse", "mae"])
    ours = net.evaluate(x, y, sample_weight=w, return_dict=True)
    assert list(ours) == ["loss", "mae", "mse", "weighted_mae"]
    assert net.evaluate(x, y, sample_weight=w) == list(ours.values())
    theirs = twin.evaluate(x, y, sample_weight=w, verbose=0)
    assert len(theirs) == 5 and theirs[3] == theirs[1]  # Keras's "mae" again
    np.testing.assert_allclose(list(ours.values()), np.delete(theirs, 3), rtol=RTOL)
    net, twin = twins("regression", weighted=["mse"])  # no name repeats: Keras's list
    np.testing.assert_allclose(
        net.evaluate(x, y, sample_weight=w),
        twin.evaluate(x, y, sample_weight=w, verbose=0),
        rtol=RTOL,
    )


# -- fit ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(CASES))
def test_fit_history_with_sample_weight_and_weighted_validation_data(kind: str) -> None:
    x, y, w = data(kind)
    xv, yv, wv = data(kind, n=7, seed=1)
    net, twin = twins(kind)
    fit = {"sample_weight": w, "batch_size": 5, "epochs": 3, "shuffle": False, "verbose": 0}
    ours = net.fit(x, y, validation_data=(xv, yv, wv), **fit).history
    theirs = twin.fit(x, y, validation_data=(xv, yv, wv), **fit).history
    same(*trained(ours, theirs), FIT_RTOL)
    assert any(key.startswith("val_weighted_") for key in ours)


@pytest.mark.parametrize("kind", ["regression", "binary"])
def test_fit_validation_split_splits_the_weights_as_keras(kind: str) -> None:
    x, y, w = data(kind, n=16)
    net, twin = twins(kind)
    fit = {"sample_weight": w, "batch_size": 4, "epochs": 2, "shuffle": False, "verbose": 0}
    ours = net.fit(x, y, validation_split=0.25, **fit).history
    theirs = twin.fit(x, y, validation_split=0.25, **fit).history
    same(*trained(ours, theirs), FIT_RTOL)


@pytest.mark.parametrize("kind", ["binary", "categorical", "sparse"])
def test_fit_class_weight_weighs_training_not_validation_as_keras(kind: str) -> None:
    x, y, _ = data(kind, n=16)
    net, twin = twins(kind)
    fit = {"class_weight": class_weight(kind), "batch_size": 4, "epochs": 2, "verbose": 0}
    ours = net.fit(x, y, validation_split=0.25, shuffle=False, **fit).history
    theirs = twin.fit(x, y, validation_split=0.25, shuffle=False, **fit).history
    same(*trained(ours, theirs), FIT_RTOL)
    # the validation rows are unweighted (Keras gives class_weight to the training rows only)
    key = "val_weighted_accuracy"
    assert ours[key] == pytest.approx(ours["val_accuracy"], rel=1e-12)


def test_loss_weights_scale_the_loss_not_the_weighted_metrics() -> None:
    """Keras 3.15.1 with loss_weights=2: the loss doubles, the weighted metrics (a count too:
    TruePositives with weights 2.1586 either way) do not."""
    x, y, w = data("binary")
    weighted = ["accuracy", ("TruePositives", {"name": "tp"}), "auc"]
    net, twin = twins("binary", loss_weights=2.0, weighted=weighted)
    plain, _ = twins("binary", weighted=weighted)
    ours = net.evaluate(x, y, sample_weight=w, return_dict=True)
    same(ours, twin.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True))
    unscaled = plain.evaluate(x, y, sample_weight=w, return_dict=True)
    assert ours["loss"] == pytest.approx(2 * unscaled["loss"], rel=1e-6)
    assert ours["tp"] == unscaled["tp"] and ours["tp"] == pytest.approx(
        float(w[y[:, 0] > 0][net.predict(x)[y[:, 0] > 0, 0] > 0.5].sum()), rel=1e-6
    )
    # without sample weights, loss_weights alone weigh no metric (counts stay whole)
    assert net.evaluate(x, y, return_dict=True)["tp"] == float(
        ((net.predict(x)[:, 0] > 0.5) & (y[:, 0] > 0)).sum()
    )
    fit = {"sample_weight": w, "batch_size": 5, "epochs": 2, "shuffle": False, "verbose": 0}
    same(
        *trained(
            net.fit(x, y, validation_data=(x, y, w), **fit).history,
            twin.fit(x, y, validation_data=(x, y, w), **fit).history,
        ),
        FIT_RTOL,
    )
    same(
        net.train_on_batch(x, y, sample_weight=w, return_dict=True),
        twin.train_on_batch(x, y, sample_weight=w, return_dict=True),
    )


class _Recording:
    """Records the batch logs; mixed into a glassnet and a Keras callback below."""

    def __init__(self) -> None:
        super().__init__()
        self.train: list[dict] = []
        self.test: list[dict] = []

    def on_train_batch_end(self, batch, logs=None):
        self.train.append(dict(logs))

    def on_test_batch_end(self, batch, logs=None):
        self.test.append(dict(logs))


class _Batches(_Recording, gn.callbacks.Callback):
    """The batch logs in glassnet."""


class _KerasBatches(_Recording, keras.callbacks.Callback):
    """The same in Keras."""


def test_batch_logs_show_the_running_weighted_values_as_keras() -> None:
    x, y, w = data("binary", n=14)
    net, twin = twins("binary", weighted=["accuracy", "auc", ("Precision", {"name": "p"})])
    ours, theirs = _Batches(), _KerasBatches()
    fit = {"sample_weight": w, "batch_size": 4, "epochs": 1, "shuffle": False, "verbose": 0}
    net.fit(x, y, validation_data=(x, y, w), callbacks=[ours], **fit)
    twin.fit(x, y, validation_data=(x, y, w), callbacks=[theirs], **fit)
    keys = ("weighted_accuracy", "weighted_auc", "p")
    assert len(ours.train) == len(theirs.train) == 4
    for mine, keras_logs in zip(ours.train + ours.test, theirs.train + theirs.test, strict=True):
        for key in keys:
            assert mine[key] == pytest.approx(keras_logs[key], rel=FIT_RTOL, abs=ATOL), key
    # evaluate's running test logs, batch by batch (RunningLogs), and its returned logs
    ours, theirs = _Batches(), _KerasBatches()
    logs = net.evaluate(x, y, batch_size=3, sample_weight=w, callbacks=[ours], return_dict=True)
    their_logs = twin.evaluate(
        x, y, batch_size=3, sample_weight=w, callbacks=[theirs], verbose=0, return_dict=True
    )
    same(logs, their_logs)
    assert len(ours.test) == 5
    for mine, keras_logs in zip(ours.test, theirs.test, strict=True):
        for key in keys:
            assert mine[key] == pytest.approx(keras_logs[key], rel=RTOL, abs=ATOL), key


# -- the metric objects' sample_weight ------------------------------------------------------------
OBJECTS = [
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanSquaredError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "regression"),
    ("Accuracy", {}, "rounded"),
    ("BinaryAccuracy", {"threshold": 0.4}, "binary"),
    ("Precision", {}, "binary"),
    ("Recall", {"thresholds": 0.3}, "binary"),
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {}, "binary"),
    ("TrueNegatives", {}, "binary"),
    ("FalseNegatives", {}, "binary"),
    ("AUC", {}, "binary"),
    ("AUC", {"curve": "PR", "num_thresholds": 50}, "binary"),
    ("AUC", {"multi_label": True}, "binary"),
    ("BinaryCrossentropy", {}, "binary"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
]


def _batch(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 3.0, size=8).astype("float32")
    if kind == "regression":
        return rng.uniform(0.5, 2, (8, 3)).astype("f4"), rng.uniform(0, 2, (8, 3)).astype("f4"), w
    if kind == "rounded":
        y = rng.integers(0, 2, (8, 2)).astype("float32")
        return y, np.where(rng.uniform(size=(8, 2)) > 0.3, y, 1 - y).astype("float32"), w
    if kind == "binary":
        return rng.integers(0, 2, (8, 2)).astype("f4"), rng.uniform(size=(8, 2)).astype("f4"), w
    p = rng.dirichlet(np.ones(4), size=8).astype("float32")
    labels = rng.integers(0, 4, size=8)
    y = labels.astype("float32") if kind == "sparse" else np.eye(4, dtype="float32")[labels]
    return y, p, w


@pytest.mark.parametrize(("name", "settings", "kind"), OBJECTS)
def test_each_metric_object_weighs_update_state_as_keras(name, settings, kind) -> None:
    ours, theirs = getattr(gn.metrics, name)(**settings), getattr(keras.metrics, name)(**settings)
    for seed in (0, 1):  # two batches: the weighted counts add up across update_state calls
        y, p, w = _batch(kind, seed)
        ours.update_state(y, p, sample_weight=w)
        theirs.update_state(y, p, sample_weight=w)
    assert ours.result() == pytest.approx(float(theirs.result()), rel=RTOL, abs=ATOL)
    y, p, w = _batch(kind, 2)
    unweighted = getattr(gn.metrics, name)(**settings).value(y, p)
    assert ours.value(y, p, w) != pytest.approx(unweighted)  # the weights change the number
    assert ours.value(y, p, np.ones(8)) == pytest.approx(unweighted, rel=1e-12)
    # (n, 1) weights as (n,), as Keras squeezes them; __call__ updates with them too
    fresh = getattr(gn.metrics, name)(**settings)
    assert fresh(y, p, w[:, None]) == pytest.approx(ours.value(y, p, w), rel=1e-12)


def test_mean_and_sum_take_sample_weight_as_keras() -> None:
    values, w = np.array([1.0, 3.0, 5.0, 7.0]), np.array([1.0, 1.0, 0.0, 0.5])
    for name in ("Mean", "Sum"):
        ours, theirs = getattr(gn.metrics, name)(), getattr(keras.metrics, name)()
        ours.update_state(values, sample_weight=w)
        theirs.update_state(values, sample_weight=w)
        ours.update_state(values[:2], sample_weight=w[:2])
        theirs.update_state(values[:2], sample_weight=w[:2])
        assert ours.result() == pytest.approx(float(theirs.result()), rel=RTOL)


def test_all_zero_weights_give_0_as_keras_divide_no_nan() -> None:
    x, y, _ = data("binary")
    net, twin = twins("binary", weighted=["accuracy", "auc", ("Precision", {"name": "p"})])
    zero = np.zeros(len(x), "float32")
    same(
        net.evaluate(x, y, sample_weight=zero, return_dict=True),
        twin.evaluate(x, y, sample_weight=zero, verbose=0, return_dict=True),
    )
    assert net.evaluate(x, y, sample_weight=zero, return_dict=True)["weighted_accuracy"] == 0.0


# -- hostile inputs --------------------------------------------------------------------------------
class _Unweighable(gn.metrics.Metric):
    name = "mine"

    def reset_state(self) -> None:
        self.n = 0

    def update_state(self, y_true, y_pred) -> None:
        self.n += len(y_true)

    def result(self) -> float:
        return float(self.n)


SHARED_AUC = gn.metrics.AUC()


@pytest.mark.parametrize(
    ("weighted", "metrics", "error", "message"),
    [
        (
            "mae",
            None,
            TypeError,
            r"^Expected weighted_metrics to be a list of names, e\.g\. "
            r"weighted_metrics=\['accuracy'\], got str 'mae'\. Wrap it in a list: "
            r"weighted_metrics=\['mae'\]\.$",
        ),
        (
            {"dense": "mae"},
            None,
            TypeError,
            r"^Expected weighted_metrics to be a list, got a dict \{'dense': 'mae'\}: a dict by "
            r"output name is for Keras models with several outputs, and a Sequential has one\. "
            r"Pass the list: weighted_metrics=\['mae'\]\.$",
        ),
        (
            [None],
            None,
            TypeError,
            r"^Expected each of weighted_metrics to be a metric name \(a string\) or a metric "
            r"object, got NoneType None\. Example: weighted_metrics=\['accuracy'\]",
        ),
        (
            ["nonsense"],
            None,
            ValueError,
            r"^Unknown metric 'nonsense' in weighted_metrics\. Valid names: 'accuracy', 'mse'",
        ),
        (
            ["<b>mae</b>"],
            None,
            ValueError,
            r"^Unknown metric '<b>mae</b>' in weighted_metrics",
        ),
        ([3], None, TypeError, r"^Expected each of weighted_metrics.*got int 3\."),
        ([True], None, TypeError, r"^Expected each of weighted_metrics.*got bool True\."),
        ([gn.SGD()], None, TypeError, r"^Expected each of weighted_metrics.*got SGD"),
        (
            [gn.metrics.Mean()],
            None,
            TypeError,
            r"^Mean keeps the numbers you give to update_state\(values\): it has no y_true",
        ),
        (
            ["mae", "mae"],
            None,
            ValueError,
            r"^weighted_metrics would report two metrics as 'mae' \(a name given twice\)\. Give "
            r"each weighted metric once; the same metric in metrics=\[\.\.\.\] and "
            r"weighted_metrics=\[\.\.\.\] is fine \(its weighted one is 'weighted_mae'\)",
        ),
        (
            ["mae", "mae"],
            ["mae"],
            ValueError,
            r"^weighted_metrics would report two metrics as 'weighted_mae'",
        ),
        (
            ["mae"],
            [gn.metrics.MeanAbsoluteError(name="weighted_mae"), "mae"],
            ValueError,
            r"^weighted_metrics would report two metrics as 'weighted_mae'",
        ),
        (
            [SHARED_AUC],
            [SHARED_AUC],
            ValueError,
            r"^The same AUC object is given twice to compile \(metrics= and weighted_metrics=, "
            r"or twice in one list\); its counts would take every batch twice\. Pass a second "
            r"object: weighted_metrics=\[AUC\(\)\]\.$",
        ),
        (
            [_Unweighable()],
            None,
            TypeError,
            r"^_Unweighable\.update_state takes no sample_weight, so it cannot be weighed in "
            r"compile\(weighted_metrics=\[\.\.\.\]\)\. Give it the parameter: def "
            r"update_state\(self, y_true, y_pred, sample_weight=None\), or put it in metrics",
        ),
    ],
)
def test_hostile_weighted_metrics_are_refused_and_change_nothing(
    weighted, metrics, error, message
) -> None:
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], seed=0)
    model.compile("sgd", "mse", metrics=["mse"], weighted_metrics=["mse"])
    optimizer, before = model.optimizer, list(model.weighted_metrics)
    with pytest.raises(error, match=message):
        model.compile("adam", "mae", metrics=metrics, weighted_metrics=weighted)
    assert model.optimizer is optimizer and list(model.weighted_metrics) == before
    assert model.metric_names == ["mse"]


def test_an_object_of_your_own_that_takes_sample_weight_is_weighed() -> None:
    class Weighed(gn.metrics.Metric):
        name = "weight_seen"

        def reset_state(self) -> None:
            self.total = 0.0

        def update_state(self, y_true, y_pred, sample_weight=None) -> None:
            self.total += len(y_true) if sample_weight is None else float(np.sum(sample_weight))

        def result(self) -> float:
            return self.total

    x, y, w = data("regression")
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(2)], seed=0)
    model.compile("sgd", "mse", weighted_metrics=[Weighed])  # a class: made with its defaults
    assert model.evaluate(x, y, sample_weight=w, return_dict=True)["weight_seen"] == (
        pytest.approx(float(w.sum()), rel=1e-6)
    )
    assert model.evaluate(x, y, return_dict=True)["weight_seen"] == len(x)


# -- model files ----------------------------------------------------------------------------------
def test_a_model_file_keeps_weighted_metrics(tmp_path) -> None:
    x, y, w = data("binary")
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile(
        "sgd",
        "binary_crossentropy",
        metrics=["accuracy"],
        weighted_metrics=["accuracy", gn.metrics.AUC(num_thresholds=50, name="auc50")],
    )
    model.save(tmp_path / "m.glassnet")
    loaded = gn.load_model(tmp_path / "m.glassnet")
    assert [key for key, _ in loaded.weighted_metrics] == ["weighted_accuracy", "auc50"]
    assert loaded.weighted_metrics[1][1].num_thresholds == 50
    assert loaded.evaluate(x, y, sample_weight=w, return_dict=True) == model.evaluate(
        x, y, sample_weight=w, return_dict=True
    )
    # without weighted metrics the header has no such field (files read as before)
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    model.save(tmp_path / "plain.glassnet")
    assert list(gn.load_model(tmp_path / "plain.glassnet").weighted_metrics) == []


def test_a_dict_of_metrics_by_output_says_to_pass_the_list() -> None:
    """Keras takes {output name: metrics}; a Sequential has one output, so glassnet asks for
    the list, naming it (before: "Wrap it in a list: metrics=[{...}]", which fails again)."""
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)])
    with pytest.raises(TypeError) as caught:
        model.compile("sgd", "mse", metrics={"dense": ["mae", "mse"]})
    assert str(caught.value) == (
        "Expected metrics to be a list, got a dict {'dense': ['mae', 'mse']}: a dict by output "
        "name is for Keras models with several outputs, and a Sequential has one. Pass the "
        "list: metrics=['mae', 'mse']."
    )
    assert model.optimizer is None


def test_save_refuses_more_metrics_than_load_reads(tmp_path) -> None:
    """Before, a model compiled with 101 metric objects saved, and load_model refused the file."""
    for argument in ("metrics", "weighted_metrics"):
        model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], seed=0)
        many = [gn.metrics.MeanAbsoluteError(name=f"mae{i}") for i in range(101)]
        model.compile("sgd", "mse", **{argument: many})
        path = tmp_path / f"{argument}.glassnet"
        with pytest.raises(gn.io.ModelFileError) as caught:
            model.save(path)
        what = "metric objects" if argument == "metrics" else "weighted metrics"
        assert str(caught.value) == (
            f"Cannot save the model to {str(path)!r}: it is compiled with 101 {what}, and "
            f"load_model reads at most 100. Compile it with fewer."
        )
        assert not path.exists()
        model.compile("sgd", "mse", **{argument: many[:100]})
        model.save(path)
        assert len(gn.load_model(path).weighted_metrics) == (100 if argument != "metrics" else 0)


@pytest.mark.parametrize(
    ("given", "fix"),
    [
        ({"mae"}, "Pass a list: weighted_metrics=['mae']."),
        (np.array(["mae"]), "Pass a list: weighted_metrics=['mae']."),
        ((m for m in ["mae"]), "Collect it in a list: weighted_metrics=list(...)."),
        ("mae", "Wrap it in a list: weighted_metrics=['mae']."),
    ],
)
def test_a_collection_that_is_not_a_list_gets_advice_that_works(given, fix) -> None:
    """Before: a set or an array was told "Wrap it in a list: weighted_metrics=[{'mae'}]", which
    fails again."""
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)])
    with pytest.raises(TypeError) as caught:
        model.compile("sgd", "mse", weighted_metrics=given)
    assert str(caught.value).endswith(fix)
