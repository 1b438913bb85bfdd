"""evaluate's running test logs (``on_test_batch_end``, also fit's validation) are accumulated
batch by batch (``_inference.RunningLogs``), not measured again over every row so far: the same
numbers as the logs over the rows so far (up to the order of float additions), in work linear in
the rows. The Keras numbers these are compared with elsewhere: tests/test_keras_inference.py."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


class Batches(gn.callbacks.Callback):
    """Keeps each on_test_batch_end's logs and the on_test_end logs."""

    def __init__(self) -> None:
        super().__init__()
        self.logs: list[dict] = []
        self.end: dict | None = None

    def on_test_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))

    def on_test_end(self, logs=None):
        self.end = dict(logs)


def model(loss, metrics, regularizer=None, loss_weights=None) -> gn.Sequential:
    net = gn.Sequential(
        [
            gn.layers.Dense(5, "relu", kernel_regularizer=regularizer),
            gn.layers.Dense(1, "sigmoid"),
        ],
        dtype="float64",
        seed=3,
    )
    net.compile(gn.optimizers.SGD(0.1), loss, loss_weights, metrics)
    net.build((None, 4))
    return net


RNG = np.random.default_rng(0)
X = RNG.normal(size=(70, 4))
Y = (RNG.random((70, 1)) < 0.4).astype(float)
W = RNG.random(70) + 0.5

CASES = {
    "mean loss, names": dict(loss="binary_crossentropy", metrics=["accuracy", "mae"]),
    "mean loss, objects": dict(loss="mse", metrics=[gn.metrics.AUC(), gn.metrics.Precision()]),
    "sum loss and a penalty": dict(
        loss=gn.losses.MeanSquaredError(reduction="sum"), metrics=["mse"], regularizer="l2"
    ),
    "loss weights": dict(loss="mse", metrics=["mae"], loss_weights=2.5),
}


@pytest.mark.parametrize("weights", [None, W], ids=["unweighted", "sample weights"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_running_logs_are_the_logs_over_the_rows_so_far(case, weights) -> None:
    net = model(**case)
    seen = Batches()
    returned = net.evaluate(X, Y, 16, 0, weights, callbacks=[seen], return_dict=True)
    assert len(seen.logs) == 5  # 70 rows in batches of 16
    for batch, logs in enumerate(seen.logs):
        rows = min(16 * (batch + 1), 70)
        part = None if weights is None else weights[:rows]
        # the definition: the loss and metrics over the rows so far, measured at once
        expected = net.evaluate(X[:rows], Y[:rows], rows, 0, part, return_dict=True)
        assert logs.keys() == expected.keys()
        np.testing.assert_allclose(list(logs.values()), list(expected.values()), rtol=1e-12)
    assert seen.logs[-1] == returned == seen.end  # the last batch's: measured over all rows


def test_running_logs_do_linear_work_in_the_rows(monkeypatch) -> None:
    """Rows measured by model._logs over one evaluate with a batch hook: about 2n (each batch
    once, all the rows once at the end), where measuring the rows so far at each batch took
    n^2 / (2 batch) (1,000 rows in batches of 10: 50,500)."""
    net = model("mse", ["mae", gn.metrics.AUC()])
    measured: list[int] = []
    logs = type(net)._logs

    def counting(self, y, a, sample_weight=None):
        measured.append(len(y))
        return logs(self, y, a, sample_weight)

    monkeypatch.setattr(type(net), "_logs", counting)
    x, y = np.tile(X, (15, 1))[:1000], np.tile(Y, (15, 1))[:1000]
    net.evaluate(x, y, 10, 0, callbacks=[Batches()])
    assert sum(measured) <= 2 * 1000


def test_evaluate_leaves_compiles_metric_objects_counts_alone() -> None:
    """The running counts are a copy's: compile's AUC keeps what fit's epoch counted."""
    net = model("mse", [gn.metrics.AUC()])
    net.fit(X, Y, batch_size=16, epochs=1, verbose=0)
    auc = net.metric_objects[0]
    before = auc.result()
    net.evaluate(X[:30], 1 - Y[:30], 8, 0, callbacks=[Batches()])
    assert auc.result() == before


def test_a_stopped_evaluation_returns_the_logs_of_the_rows_done() -> None:
    class StopAfterTwo(Batches):
        def on_test_batch_end(self, batch, logs=None):
            super().on_test_batch_end(batch, logs)
            if batch == 1:
                self.model.stop_evaluating = True

    net = model("mse", ["mae", gn.metrics.AUC()])
    seen = StopAfterTwo()
    returned = net.evaluate(X, Y, 16, 0, callbacks=[seen], return_dict=True)
    expected = net.evaluate(X[:32], Y[:32], 32, 0, return_dict=True)
    assert returned == expected == seen.end
    np.testing.assert_allclose(list(seen.logs[-1].values()), list(expected.values()), rtol=1e-12)


def test_a_non_finite_output_is_reported_at_its_batch() -> None:
    """The outputs are checked batch by batch, as before: the error comes at the third batch
    (rows 32-47), after two batches' hooks, with the project's message."""
    net = model("mse", ["mae"])
    kernel, bias, out, out_bias = net.get_weights()
    out[:] = [[1.0], [-1.0], [1.0], [-1.0], [1.0]]  # inf - inf at the output: NaN
    net.set_weights([np.ones_like(kernel), bias, out, out_bias])
    x = X.copy()
    x[40] = 1e308  # finite, but the first layer's product overflows
    seen = Batches()
    with pytest.raises(FloatingPointError, match="first for row 40 of x") as error:
        net.evaluate(x, Y, 16, 0, callbacks=[seen])
    assert len(seen.logs) == 2, error.value
