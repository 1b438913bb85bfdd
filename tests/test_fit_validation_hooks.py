"""fit's validation calls the callbacks' on_test_* hooks, as Keras 3's fit does (it calls
evaluate with its own callbacks after each epoch's training batches, before on_epoch_end).

Before, fit(validation_data=...) called none of them. The expected sequences, log keys and
numbers come from running Keras 3.15.1 (KERAS_BACKEND=torch) here, on a twin with the same
weights, float32, unshuffled batches; both record every hook with the same recorder.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from keras_twins import pair

#: Keras's own get_weights after its torch training says this (keras/src/backend/common/
#: variables.py, a variable's __array__): nothing of glassnet's
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

X = np.random.default_rng(0).random((30, 2)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0]]) + 0.5).astype("float32")
W = np.linspace(0.5, 2.0, 30).astype("float32")
HOOKS = [
    f"on_{part}_{edge}"
    for part in ("train", "epoch", "train_batch", "test", "test_batch")
    for edge in ("begin", "end")
]


def _recording(hook: str):
    def record(self, *args, logs=None):  # Keras gives batch hooks logs= by keyword
        index = args[0] if args and isinstance(args[0], int) else None
        logs = args[-1] if args and not isinstance(args[-1], int) else logs
        self.calls.append((hook, index, None if logs is None else dict(logs)))

    return record


class Recorder(gn.callbacks.Callback):
    """Every hook call, as (hook, epoch or batch or None, a copy of the logs)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []


class KerasRecorder(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []


for _hook in HOOKS:
    setattr(Recorder, _hook, _recording(_hook))
    setattr(KerasRecorder, _hook, _recording(_hook))


def both(**fit) -> tuple[list[tuple], list[tuple], gn.Sequential, keras.Model]:
    net, twin = pair()
    ours, theirs = Recorder(), KerasRecorder()
    net.fit(X, Y, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=[ours], **fit)
    twin.fit(X, Y, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=[theirs], **fit)
    return ours.calls, theirs.calls, net, twin


def close(got, expected) -> None:
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # float32 tolerance


@pytest.mark.parametrize(
    "fit",
    [
        {"validation_split": 0.4},  # 18 training rows (3 batches), 12 validation rows (2)
        {"validation_data": (X[:11], Y[:11])},  # 2 validation batches: 8 and 3 rows
        {"validation_data": (X[:11], Y[:11], W[:11])},  # weighted validation loss
    ],
)
def test_fit_validation_calls_the_test_hooks_in_kerass_order_with_its_logs(fit) -> None:
    ours, theirs, net, twin = both(**fit)
    # the same hooks, in the same order, with the same epoch and batch numbers
    assert [c[:2] for c in ours] == [c[:2] for c in theirs]
    assert [c[0] for c in ours].count("on_test_batch_end") == 4  # 2 epochs, 2 batches each
    tested = 0
    for (hook, _, got), (_, _, expected) in zip(ours, theirs, strict=True):
        if hook in ("on_epoch_begin", "on_train_batch_begin"):
            assert got == {} and expected == {}, hook  # no logs yet: {}, as Keras's
            continue
        assert got is not None and expected is not None, hook  # {} where Keras has no logs
        assert sorted(got) == sorted(expected), hook
        if hook.startswith("on_test") or hook in ("on_epoch_end", "on_train_end"):
            # the same weights (the same SGD steps), so the same numbers in float32
            close([got[k] for k in sorted(got)], [expected[k] for k in sorted(expected)])
            tested += bool(got)
    assert tested == 2 * 3 + 2 + 1  # per epoch 2 batch ends and the end; epoch ends; train end
    # on_test_end's logs are what fit records as val_
    test_ends = [c[2] for c in ours if c[0] == "on_test_end"]
    assert [e["loss"] for e in test_ends] == net.history.history["val_loss"]
    assert [e["mae"] for e in test_ends] == net.history.history["val_mae"]
    close(net.get_weights()[0], twin.get_weights()[0])


def test_validation_numbers_do_not_depend_on_whether_a_callback_has_test_hooks() -> None:
    hooked, plain = pair()[0], pair()[0]
    hooked.fit(X, Y, 8, 3, 0, [Recorder()], validation_split=0.4, shuffle=False)
    plain.fit(X, Y, 8, 3, 0, validation_split=0.4, shuffle=False)
    for key in ("val_loss", "val_mae"):
        np.testing.assert_allclose(
            hooked.history.history[key], plain.history.history[key], rtol=1e-6
        )


def test_validation_batches_are_fits_batch_size_or_kerass_32() -> None:
    net = pair()[0]
    seen: list[int] = []
    count = gn.callbacks.LambdaCallback(on_test_batch_begin=lambda batch, logs: seen.append(batch))
    x_val, y_val = np.tile(X, (3, 1)), np.tile(Y, (3, 1))  # 90 rows
    net.fit(X, Y, epochs=1, verbose=0, callbacks=[count], validation_data=(x_val, y_val))
    assert seen == [0, 1, 2]  # batch_size None: 32 rows a batch, as Keras (not min(32, 30))
    seen.clear()
    net.fit(X, Y, 10, 1, 0, [count], validation_data=(x_val, y_val))
    assert seen == list(range(9))


def test_validation_freq_calls_the_test_hooks_only_on_validated_epochs() -> None:
    net = pair()[0]
    recorder = Recorder()
    net.fit(X, Y, 24, 4, 0, [recorder], 0.2, validation_freq=2)
    hooks = [hook for hook, _, _ in recorder.calls]
    epochs_tested = [
        epoch
        for i, (hook, epoch, _) in enumerate(recorder.calls)
        if hook == "on_epoch_end" and hooks[i - 1] == "on_test_end"
    ]
    assert epochs_tested == [1, 3]


def test_a_callback_can_stop_the_validation_as_kerass_stop_evaluating() -> None:
    net = pair()[0]

    class StopAfterFirst(gn.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            self.model.stop_evaluating = True

    x_val, y_val = X[:20], Y[:20]
    net.fit(X, Y, 8, 1, 0, [StopAfterFirst()], validation_data=(x_val, y_val))
    first_batch = net.evaluate(x_val[:8], y_val[:8], return_dict=True)
    close(net.history.history["val_loss"], [first_batch["loss"]])
    # evaluate(callbacks=...) stops the same way; a later evaluate starts afresh
    assert net.evaluate(x_val, y_val, 8, callbacks=[StopAfterFirst()])[0] == pytest.approx(
        first_batch["loss"], rel=1e-6
    )
    assert net.evaluate(x_val, y_val, 8, callbacks=[Recorder()])[0] == pytest.approx(
        net.evaluate(x_val, y_val)[0], rel=1e-6
    )


def test_a_failing_test_hook_stops_fit_with_its_own_error() -> None:
    net = pair()[0]
    before = net.get_weights()

    def boom(logs):
        raise RuntimeError("user hook failed")

    with pytest.raises(RuntimeError, match="user hook failed"):
        net.fit(X, Y, 8, 2, 0, [gn.callbacks.LambdaCallback(on_test_begin=boom)], 0.4)
    assert net.optimizer.iterations == 3  # the first epoch's steps ran; then the hook failed
    assert not np.array_equal(net.get_weights()[0], before[0])


# -- LambdaCallback's test and predict hooks ---------------------------------------------------
LAMBDA_HOOKS = [
    f"on_{part}_{edge}"
    for part in ("test", "test_batch", "predict", "predict_batch")
    for edge in ("begin", "end")
]


def lambda_hooks(calls: list) -> dict:
    """A function per hook, recording (hook, first argument, log keys) as Keras calls it."""

    def recording(hook):
        if hook.endswith(("test_begin", "test_end", "predict_begin", "predict_end")):
            return lambda logs: calls.append((hook, sorted(logs)))
        return lambda batch, logs: calls.append((hook, batch, sorted(logs)))

    return {hook: recording(hook) for hook in LAMBDA_HOOKS}


def test_lambda_callback_takes_kerass_test_and_predict_hooks() -> None:
    net, twin = pair()
    ours: list = []
    theirs: list = []
    mine = gn.callbacks.LambdaCallback(**lambda_hooks(ours))
    keras_own = keras.callbacks.LambdaCallback(**lambda_hooks(theirs))  # Keras: by **kwargs
    for model, callback in ((net, mine), (twin, keras_own)):
        model.fit(X, Y, 8, 1, 0, [callback], 0.4, shuffle=False)
        model.evaluate(X, Y, 16, 0, callbacks=[callback])
        model.predict(X, 16, 0, callbacks=[callback])
    assert ours == theirs
    assert ours[:3] == [("on_test_begin", []), ("on_test_batch_begin", 0, []),
                        ("on_test_batch_end", 0, ["loss", "mae"])]  # fmt: skip
    assert ours[-1] == ("on_predict_end", [])
    assert ("on_predict_batch_end", 1, ["outputs"]) in ours


@pytest.mark.parametrize(
    ("hooks", "error", "message"),
    [
        ({"on_test_ends": print}, TypeError, "LambdaCallback got an unknown hook 'on_test_ends'; "
         "the hooks are on_epoch_begin, on_epoch_end, on_batch_begin, on_batch_end, "
         "on_train_batch_begin, on_train_batch_end, on_train_begin, on_train_end, on_test_begin, "
         "on_test_end, on_test_batch_begin, on_test_batch_end, on_predict_begin, on_predict_end, "
         "on_predict_batch_begin, on_predict_batch_end."),
        ({"<b>on_test_begin</b>": print}, TypeError,
         "LambdaCallback got an unknown hook '<b>on_test_begin</b>'; the hooks are"),
        ({"x" * 100_000: print}, TypeError,
         "LambdaCallback got an unknown hook 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (100000 "
         "characters); the hooks are"),
        ({"model": print}, TypeError, "LambdaCallback got an unknown hook 'model'"),
        ({"on_predict_batch_end": "print"}, TypeError,
         "Expected LambdaCallback's on_predict_batch_end to be a function, got str 'print'."),
        ({"on_test_begin": float("nan")}, TypeError,
         "Expected LambdaCallback's on_test_begin to be a function, got float nan."),
        ({"on_test_end": np.zeros(3)}, TypeError,
         "Expected LambdaCallback's on_test_end to be a function, got ndarray"),
        ({"on_test_batch_begin": True}, TypeError,
         "Expected LambdaCallback's on_test_batch_begin to be a function, got bool True."),
    ],
)  # fmt: skip
def test_lambda_callbacks_bad_hooks_are_refused_by_name(hooks, error, message) -> None:
    with pytest.raises(error) as caught:
        gn.callbacks.LambdaCallback(**hooks)
    assert str(caught.value).startswith(message)


def test_lambda_hooks_left_as_none_do_nothing_and_cost_no_batches() -> None:
    net = pair()[0]
    quiet = gn.callbacks.LambdaCallback(on_test_batch_end=None, on_predict_begin=None)
    assert net.evaluate(X, Y, callbacks=[quiet]) == net.evaluate(X, Y)
    hooks = gn.callbacks.CallbackList([quiet], net, {})
    assert not any(hooks.overrides(hook) for hook in LAMBDA_HOOKS)


# -- validation_batch_size and validation_steps: which batches the test hooks see --------------
@pytest.mark.parametrize(
    "fit",
    [
        {"validation_batch_size": 4},  # 11 validation rows: batches of 4, 4, 3
        {"validation_batch_size": 3, "validation_steps": 2},  # the first 6 rows only
        {"validation_steps": 1},  # the first batch of fit's batch_size (8) rows
        {"validation_batch_size": 100},  # one batch of all 11
    ],
)
def test_validation_batch_size_and_steps_as_kerass(fit) -> None:
    ours, theirs, net, _ = both(validation_data=(X[:11], Y[:11], W[:11]), **fit)
    assert [c[:2] for c in ours] == [c[:2] for c in theirs]
    for (hook, _, got), (_, _, expected) in zip(ours, theirs, strict=True):
        if hook.startswith("on_test") or hook == "on_epoch_end":
            assert sorted(got) == sorted(expected), hook
            close([got[k] for k in sorted(got)], [expected[k] for k in sorted(expected)])
    size = fit.get("validation_batch_size", 8)
    rows = min(11, size * fit.get("validation_steps", 11))
    first = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)])
    first.compile(gn.SGD(0.1), "mse", metrics=["mae"])
    first.set_weights(net.get_weights())
    last = first.evaluate(X[:rows], Y[:rows], sample_weight=W[:rows], return_dict=True)
    close(net.history.history["val_loss"][-1], last["loss"])


def test_validation_steps_beyond_the_batches_use_all_and_warn_as_keras() -> None:
    net, twin = pair()
    with pytest.warns(UserWarning) as caught:
        net.fit(X, Y, 8, 1, 0, validation_data=(X[:11], Y[:11]), validation_steps=5)
    assert [str(w.message) for w in caught] == [
        "fit: validation_steps=5 is more batches than the validation data has: its 11 rows make "
        "2 batches of 8 rows. All of the validation data was used, as Keras does when the input "
        "runs out of data. Leave validation_steps out to use all of the validation data."
    ]
    assert caught[0].filename == __file__  # said at the user's line
    close(net.history.history["val_loss"], [net.evaluate(X[:11], Y[:11])[0]])
    with pytest.warns(UserWarning, match="ran out of data"):  # Keras warns as well
        twin.fit(X, Y, 8, 1, 0, validation_data=(X[:11], Y[:11]), validation_steps=5)


@pytest.mark.parametrize(
    ("fit", "error", "message"),
    [
        ({"validation_steps": 0}, ValueError,
         "fit: expected validation_steps to be at least 1 batch, got 0. Leave validation_steps "
         "out (None) to use all of the validation data."),
        ({"validation_steps": 2.0}, TypeError,
         "fit: expected validation_steps to be None (all of the validation data) or a whole "
         "number of batches, got float 2.0. Example: validation_steps=10 uses the first 10 "
         "batches of validation_batch_size rows."),
        ({"validation_steps": True}, TypeError, "got bool True."),
        ({"validation_steps": "<b>2</b>"}, TypeError, "got str '<b>2</b>'."),
        ({"validation_steps": float("nan")}, TypeError, "got float nan."),
        ({"validation_batch_size": 0}, ValueError,
         "Expected validation_batch_size >= 1, got 0."),
        ({"validation_batch_size": -3}, ValueError, "Expected validation_batch_size >= 1"),
        ({"validation_batch_size": 2.5}, TypeError,
         "Expected validation_batch_size to be an integer, got float 2.5."),
        ({"validation_batch_size": "32"}, TypeError, "got str '32'."),
        ({"validation_batch_size": False}, TypeError, "got bool False."),
        ({"validation_batch_size": float("inf")}, TypeError, "got float inf."),
    ],
)  # fmt: skip
@pytest.mark.parametrize("validation", [{"validation_split": 0.4}, {}])
def test_bad_validation_steps_and_batch_sizes_are_refused_before_any_step(
    fit, error, message, validation
) -> None:
    net = pair()[0]
    before = net.get_weights()
    with pytest.raises(error) as caught:
        net.fit(X, Y, 8, 1, 0, **validation, **fit)  # refused without validation data too
    assert message in str(caught.value)
    assert str(caught.value).startswith(("fit: expected validation_steps", "Expected validation_"))
    assert net.optimizer.iterations == 0
    np.testing.assert_array_equal(net.get_weights()[0], before[0])


def test_a_huge_validation_batch_size_is_one_batch_of_every_row() -> None:
    net = pair()[0]
    seen: list = []
    count = gn.callbacks.LambdaCallback(on_test_batch_end=lambda batch, logs: seen.append(batch))
    with pytest.warns(UserWarning) as caught:
        net.fit(X, Y, 8, 1, 0, [count], 0.4, validation_batch_size=10**400, validation_steps=10**30)
    assert seen == [0]
    assert str(caught[0].message).startswith(
        "fit: validation_steps (an integer of about 31 digits) is more batches than the "
        "validation data has: its 12 rows make 1 batch of 12 rows. All of the validation data"
    )


# -- Keras's older train batch hook names: on_batch_begin / on_batch_end ----------------------
def _older_names(base):
    class OlderNames(base):
        """A Keras 2 style callback: overrides on_batch_begin / on_batch_end only."""

        def __init__(self) -> None:
            super().__init__()
            self.calls: list = []

        def on_batch_begin(self, batch, logs=None):
            self.calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            self.calls.append(("end", batch, sorted(logs)))

    return OlderNames()


def test_a_callback_with_kerass_older_batch_hook_names_is_called_as_in_keras() -> None:
    net, twin = pair()
    ours, theirs = _older_names(gn.callbacks.Callback), _older_names(keras.callbacks.Callback)
    for model, callback in ((net, ours), (twin, theirs)):
        model.fit(X, Y, 8, 2, 0, [callback], 0.4, shuffle=False)  # validation: not these hooks
        model.evaluate(X, Y, 8, 0, callbacks=[callback])  # nor here
    assert ours.calls == theirs.calls  # before: never called (silently)
    assert ours.calls[:2] == [("begin", 0), ("end", 0, ["loss", "mae"])]
    assert len(ours.calls) == 2 * 2 * 3  # 2 epochs of 3 training batches
    hooks = gn.callbacks.CallbackList([ours], net, {})
    assert hooks.wants_batches and hooks.overrides("on_train_batch_end")
    plain = gn.callbacks.CallbackList([gn.callbacks.History()], net, {})
    assert not plain.wants_batches  # fit's own callbacks still cost nothing per batch


def test_begin_hooks_get_empty_logs_as_kerass_on_every_training_path() -> None:
    """on_epoch_begin and on_train_batch_begin get {} (Keras's CallbackList passes ``logs or
    {}``), in a batched fit, a full-batch one, and the seed toy's one-loop full-batch fit (a hook
    set on fit's own History, which keeps that loop)."""
    for batch_size in (8, 30):
        net, _ = pair()
        recorder = Recorder()
        net.fit(X, Y, batch_size=batch_size, epochs=2, verbose=0, callbacks=[recorder])
        begins = [c for c in recorder.calls if c[0] in ("on_epoch_begin", "on_train_batch_begin")]
        assert len(begins) == 2 + 2 * -(-30 // batch_size)
        assert all(logs == {} for _, _, logs in begins), begins
    net, _ = pair()
    seen: list = []
    history = gn.callbacks.History()
    history.on_epoch_begin = lambda epoch, logs=None: seen.append((epoch, logs))  # type: ignore
    net.fit(X, Y, batch_size=30, epochs=3, verbose=0, shuffle=False, callbacks=[history])
    assert seen == [(0, {}), (1, {}), (2, {})]
