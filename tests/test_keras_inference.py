"""evaluate(steps=..., callbacks=...) and predict(steps=..., callbacks=...), as Keras 3's.

Before, both gave Python's plain "got an unexpected keyword argument 'steps'" (and
'callbacks'). The expected numbers and hook calls come from running Keras 3.15.1
(KERAS_BACKEND=torch) here, on a twin with the same weights, with NumPy input.
"""

from __future__ import annotations

import os
import warnings

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from keras_twins import pair

X = np.random.default_rng(0).random((70, 2)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0]]) + 0.5).astype("float32")
W = np.linspace(0.0, 3.0, 70).astype("float32")


def close(got, expected) -> None:
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # float32 tolerance


@pytest.mark.parametrize(("batch_size", "steps"), [(None, 1), (None, 2), (5, 1), (5, 3), (7, 10)])
def test_steps_evaluate_and_predict_the_first_batches_as_keras(batch_size, steps) -> None:
    net, twin = pair()
    close(
        net.evaluate(X, Y, batch_size, 0, W, steps),
        twin.evaluate(X, Y, batch_size, 0, W, steps),
    )
    got = net.predict(X, batch_size, 0, steps)
    expected = twin.predict(X, batch_size, 0, steps)
    # without a batch_size, Keras cuts the rows into `steps` batches: all 70 are used
    assert (
        got.shape
        == expected.shape
        == (70 if batch_size is None else min(steps * batch_size, 70), 1)
    )
    close(got, expected)


def test_more_steps_than_batches_use_all_rows_and_warn_as_keras() -> None:
    net, twin = pair()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = net.evaluate(X, Y, batch_size=32, steps=4)
        outputs = net.predict(X, batch_size=32, steps=4)
    assert [str(w.message) for w in caught] == [
        f"{method}: steps=4 is more batches than x has: its 70 rows make 3 batches of 32 rows. "
        f"All of x was used, as Keras does when the input runs out of data. Leave steps out to "
        f"use all of x."
        for method in ("evaluate", "predict")
    ]
    assert caught[0].filename == __file__  # said at the user's line
    assert loss == net.evaluate(X, Y)
    np.testing.assert_array_equal(outputs, net.predict(X))
    with warnings.catch_warnings(record=True) as theirs_said:  # Keras warns as well
        warnings.simplefilter("always")
        theirs = twin.evaluate(X, Y, batch_size=32, steps=4, verbose=0)
    assert any("ran out of data" in str(w.message) for w in theirs_said)
    close(loss, theirs)


def test_the_steps_warning_with_a_huge_batch_size_counts_one_batch_of_all_rows() -> None:
    net, _ = pair()
    with pytest.warns(UserWarning) as caught:  # before: "make 0 batches of <401 digits> rows"
        loss = net.evaluate(X, Y, batch_size=10**400, steps=2)
    assert str(caught[0].message).startswith(
        "evaluate: steps=2 is more batches than x has: its 70 rows make 1 batch of 70 rows."
    )
    assert loss == pytest.approx(net.evaluate(X, Y), rel=1e-6)  # all 70 rows, loss and mae


def test_the_steps_warning_counts_one_row_and_one_batch_in_the_singular() -> None:
    net, _ = pair()
    with pytest.warns(UserWarning) as caught:
        net.evaluate(X[:1], Y[:1], steps=2)
    assert str(caught[0].message).startswith(
        "evaluate: steps=2 is more batches than x has: its 1 row makes 1 batch of 1 row. All of x"
    )


@pytest.mark.parametrize(
    ("steps", "error", "got"),
    [
        (0, ValueError, "expected steps to be at least 1 batch, got 0."),
        (-1, ValueError, "expected steps to be at least 1 batch, got -1."),
        (True, TypeError, "expected steps to be None (all of x) or a whole number of batches, "
         "got bool True."),
        (2.0, TypeError, "got float 2.0."),
        ("2", TypeError, "got str '2'."),
        ("<b>1</b>", TypeError, "got str '<b>1</b>'."),
        (float("nan"), TypeError, "got float nan."),
        (10**30, None, None),
        (10**400, None, None),
    ],
)  # fmt: skip
def test_hostile_steps_are_refused_naming_the_method(steps, error, got) -> None:
    net, _ = pair()
    if error is None:  # a huge count of batches: all of x, with the warning
        # (before: "asks for an integer of about 401 digits batches of 1 rows")
        for method, call in (("evaluate", lambda: net.evaluate(X, Y, steps=steps)),
                             ("predict", lambda: net.predict(X, steps=steps))):  # fmt: skip
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                call()
            assert [str(w.message) for w in caught] == [
                f"{method}: steps (an integer of about {len(str(steps))} digits) is more batches "
                f"than x has: its 70 rows make 70 batches of 1 row. All of x was used, as Keras "
                f"does when the input runs out of data. Leave steps out to use all of x."
            ]
        return
    for method, call in (("evaluate", lambda: net.evaluate(X, Y, steps=steps)),
                         ("predict", lambda: net.predict(X, steps=steps))):  # fmt: skip
        with pytest.raises(error) as caught:
            call()
        assert str(caught.value).startswith(f"{method}: ")
        assert got in str(caught.value)
    assert net.optimizer.iterations == 0


class Recorder(gn.callbacks.Callback):
    """Every hook call, as (hook, batch or None, logs)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def _record(self, hook, batch, logs) -> None:
        logs = {k: (v.shape if isinstance(v, np.ndarray) else round(v, 5)) for k, v in logs.items()}
        self.calls.append((hook, batch, logs))

    def on_test_begin(self, logs=None):
        self._record("test_begin", None, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._record("test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._record("test_batch_end", batch, logs)

    def on_test_end(self, logs=None):
        self._record("test_end", None, logs)

    def on_predict_begin(self, logs=None):
        self._record("predict_begin", None, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._record("predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._record("predict_batch_end", batch, logs)

    def on_predict_end(self, logs=None):
        self._record("predict_end", None, logs)


class KerasRecorder(keras.callbacks.Callback):
    """Recorder's twin for Keras: the same hooks, the same record."""


for _hook in [name for name in vars(Recorder) if name.startswith("on_")] + ["_record"]:
    setattr(KerasRecorder, _hook, vars(Recorder)[_hook])


def keras_recorder() -> KerasRecorder:
    recorder = KerasRecorder()
    recorder.calls = []
    return recorder


def test_evaluate_callbacks_get_kerass_test_hooks_and_running_logs() -> None:
    net, twin = pair()
    ours, theirs = Recorder(), keras_recorder()
    logs = net.evaluate(X, Y, 16, 0, W, None, [ours], True)
    twin.evaluate(X, Y, 16, 0, W, None, [theirs], True)
    assert [c[:2] for c in ours.calls] == [c[:2] for c in theirs.calls]
    assert [c[0] for c in ours.calls].count("test_batch_end") == 5  # 70 rows, batches of 16
    for (_, _, got), (_, _, expected) in zip(ours.calls, theirs.calls, strict=True):
        assert got.keys() == expected.keys()
        close(list(got.values()), list(expected.values()))
    assert ours.calls[-1][2] == {k: round(v, 5) for k, v in logs.items()}
    assert ours.model is net and ours.params == {"verbose": 0, "epochs": 1, "steps": 5}


def test_predict_callbacks_get_kerass_predict_hooks_with_each_batchs_outputs() -> None:
    net, twin = pair()
    ours, theirs = Recorder(), keras_recorder()
    outputs = net.predict(X, 32, 0, 2, [ours])
    twin.predict(X, 32, 0, 2, [theirs])
    assert ours.calls == theirs.calls
    assert ours.calls[2] == ("predict_batch_end", 0, {"outputs": (32, 1)})
    np.testing.assert_array_equal(outputs, net.predict(X[:64]))


def test_callbacks_without_batch_hooks_see_the_whole_run_and_the_same_numbers() -> None:
    net, _ = pair()
    ended: list = []
    plain = gn.callbacks.LambdaCallback()  # no test hooks at all: nothing per batch
    plain.on_test_end = ended.append
    assert net.evaluate(X, Y, callbacks=[plain]) == net.evaluate(X, Y)
    assert ended == [{"loss": net.evaluate(X, Y)[0], "mae": net.evaluate(X, Y)[1]}]


@pytest.mark.parametrize(
    ("callbacks", "error", "message"),
    [
        ("<b>x</b>", TypeError, "{method}: expected callbacks to be a list of "
         "glassnet.callbacks.Callback instances, got str. Wrap it in a list: callbacks=[...]."),
        (Recorder(), TypeError, "{method}: expected callbacks to be a list of "
         "glassnet.callbacks.Callback instances, got Recorder."),
        ([print], TypeError, "Expected callbacks to be glassnet.callbacks.Callback instances, "
         "got builtin_function_or_method. Subclass Callback and override its hooks."),
    ],
)  # fmt: skip
def test_callbacks_that_are_not_glassnet_callbacks_are_refused(callbacks, error, message) -> None:
    net, _ = pair()
    for method, call in (("evaluate", lambda: net.evaluate(X, Y, callbacks=callbacks)),
                         ("predict", lambda: net.predict(X, callbacks=callbacks))):  # fmt: skip
        with pytest.raises(error) as caught:
            call()
        assert str(caught.value).startswith(message.format(method=method))


def test_predict_with_callbacks_reports_an_overflow_by_its_row_in_x() -> None:
    net = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], seed=0)
    net.set_weights([np.full((2, 1), 1e30, "float32"), np.zeros(1, "float32")])
    x = np.zeros((40, 2), "float32")
    x[35] = 1e10  # 2e40 overflows float32, in the second batch of 32
    with pytest.raises(FloatingPointError, match=r"first for row 35 of x"):
        net.predict(x, callbacks=[Recorder()])
