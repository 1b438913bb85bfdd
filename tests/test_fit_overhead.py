"""fit's and train_on_batch's per-step shortcuts (issue 20) give what the readable paths give, bit
for bit: the epoch plan built once per fit, the callbacks' hooks called only where a callback
overrides them, the weights' finiteness check inside fit's errstate, and train_on_batch's checks
skipped for an x already a 2-D array of the model's dtype and for the same targets again."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet._validation import all_finite, all_finite_quietly, as_features
from glassnet.callbacks import Callback, CallbackList, TrainingDivergedError
from glassnet.seed import XOR_X, XOR_Y, seed_network

HOOKS = (
    "on_train_begin",
    "on_epoch_begin",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_epoch_end",
    "on_train_end",
)


class Recorder(Callback):
    """Every hook's call, with a copy of its logs, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, ...]] = []
        for hook in HOOKS:
            setattr(self, hook, self._recording(hook))

    def _recording(self, hook: str) -> Any:
        def record(*args: Any) -> None:
            self.calls.append((hook, *(dict(a) if isinstance(a, dict) else a for a in args)))

        return record


class EpochEndOnly(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, dict[str, float]]] = []

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.seen.append((epoch, dict(logs)))


def readable_hooks(hooks: Any, hook: str) -> Any:
    """The readable dispatch: every callback's hook, through CallbackList, looked up per call."""
    return lambda *args: getattr(hooks, hook)(*args)


def small_model(seed: int = 3) -> gn.Sequential:
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.Dense(5, "tanh"), gn.layers.Dense(2, "softmax")],
        seed=seed,
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy", "mae"])
    return model


def small_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(11, 3))
    y = np.eye(2)[(x[:, 0] > 0).astype(int)]
    return x, y


def run_fit(monkeypatch: pytest.MonkeyPatch, readable: bool, **options: Any) -> tuple[Any, ...]:
    with monkeypatch.context() as patch:
        if readable:
            patch.setattr(CallbackList, "overriding", readable_hooks)
        model = small_model()
        recorder, epoch_end = Recorder(), EpochEndOnly()
        x, y = small_data()
        history = model.fit(x, y, verbose=0, callbacks=[recorder, epoch_end], **options)
    return history.history, model.get_weights(), recorder.calls, epoch_end.seen


@pytest.mark.parametrize(
    "options",
    [
        {"epochs": 4, "batch_size": 3},
        {"epochs": 3, "batch_size": 11, "shuffle": False},
        {"epochs": 3, "batch_size": 4, "sample_weight": np.linspace(0.5, 2.0, 11)},
        {"epochs": 2, "batch_size": 5, "validation_split": 0.3},
    ],
)
def test_fit_calls_the_same_hooks_with_the_same_logs_as_the_readable_dispatch(
    monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    fast = run_fit(monkeypatch, readable=False, **options)
    slow = run_fit(monkeypatch, readable=True, **options)
    assert fast[0] == slow[0]  # the history, bit for bit (floats compared exactly)
    for got, expected in zip(fast[1], slow[1], strict=True):
        np.testing.assert_array_equal(got, expected)
    assert fast[2] == slow[2] and fast[3] == slow[3]
    calls = fast[2]
    rows = 7 if "validation_split" in options else 11  # int(11 * 0.7) rows train
    batches = -(-rows // options["batch_size"])
    names = [c[0] for c in calls]
    # Keras's logs: {} at the start, the last epoch's (as the History has them) at the end
    last = {key: values[-1] for key, values in fast[0].items()}
    assert calls[0] == ("on_train_begin", {}) and calls[-1] == ("on_train_end", last)
    assert names.count("on_epoch_begin") == names.count("on_epoch_end") == options["epochs"]
    assert names.count("on_train_batch_end") == batches * options["epochs"]
    # the epoch logs the callbacks saw are the history's, epoch by epoch
    for epoch, logs in fast[3]:
        assert logs == {key: values[epoch] for key, values in fast[0].items()}
    assert {"loss", "accuracy", "mae"} <= set(fast[3][0][1])


def test_seed_fit_history_is_the_readable_steps_bit_for_bit() -> None:
    """200 full-batch epochs of the seed toy against its steps written out: each epoch's loss
    is the loss before that epoch's update, and the weights end the same."""
    model, reference = seed_network(), seed_network()
    history = model.fit(XOR_X, XOR_Y, epochs=200, batch_size=4, shuffle=False, verbose=0)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(200):
            a = reference.forward(XOR_X, training=True)
            losses.append(reference._cost(XOR_Y, a))
            reference.backward(XOR_Y, a)
            reference._apply_update()
    assert history.history["loss"] == losses
    for got, expected in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_a_hook_a_callback_sets_on_itself_in_on_train_begin_is_called() -> None:
    class Late(Callback):
        def on_train_begin(self, logs: Any = None) -> None:
            self.epochs: list[int] = []
            self.on_epoch_begin = lambda epoch, logs=None: self.epochs.append(epoch)

    late = Late()
    seed_network().fit(XOR_X, XOR_Y, epochs=3, batch_size=4, verbose=0, callbacks=[late])
    assert late.epochs == [0, 1, 2]


def test_all_finite_quietly_is_all_finite_inside_the_errstate() -> None:
    big = np.full(4, np.finfo(np.float32).max, dtype=np.float32)
    cases = [
        [],
        [np.ones(3), np.ones((2, 2), np.float32)],
        [big],
        [big, -big.astype(np.float64)],
        [np.ones(3), np.array([1.0, np.nan])],
        [np.array([np.inf]), np.array([-np.inf])],
        [np.array([1e308, 1e308]), np.ones(2)],
        [np.array([1e308]), np.array([1e308]), np.array([-np.inf])],
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for arrays in cases:
            with np.errstate(over="ignore", invalid="ignore"):
                assert all_finite_quietly(arrays) == all_finite(arrays), arrays


def test_fit_still_stops_at_a_weight_that_overflowed_after_a_finite_loss() -> None:
    """The loss before the update is finite; the update itself sends a weight to inf."""
    model = gn.Sequential(
        [gn.Input(shape=(1,)), gn.layers.Dense(1, use_bias=False)], seed=0, dtype="float64"
    )
    model.compile(optimizer=gn.SGD(1e38), loss="mse")
    x, y = np.array([[1e150]]), np.array([[0.0]])  # loss 1e300, step -2e338
    model.set_weights([np.array([[1.0]])])
    with pytest.raises(TrainingDivergedError, match=r"at epoch 1, batch 1: the loss became inf"):
        model.fit(x, y, epochs=3, batch_size=1, verbose=0)
    model.set_weights([np.array([[1.0]])])
    with pytest.raises(TrainingDivergedError, match=r"Training diverged: the loss became inf"):
        model.train_on_batch(x, y)


# -- train_on_batch's checks ---------------------------------------------------------------------
def test_train_on_batch_on_arrays_is_train_on_batch_on_lists_bit_for_bit() -> None:
    """Arrays take the x shortcut (already features); lists take every check."""
    fast, slow = seed_network(), seed_network()
    fast_losses = [fast.train_on_batch(XOR_X, XOR_Y) for _ in range(200)]
    slow_losses = [slow.train_on_batch(XOR_X.tolist(), XOR_Y.tolist()) for _ in range(200)]
    assert fast_losses == slow_losses
    for got, expected in zip(fast.get_weights(), slow.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_x_shortcut_returns_x_itself_or_the_readable_message() -> None:
    x = np.random.default_rng(0).normal(size=(5, 3))
    assert as_features(x, np.dtype("float64")) is x
    np.testing.assert_array_equal(as_features(x.tolist(), np.dtype("float64")), x)
    x[3, 2] = np.nan
    with pytest.raises(ValueError) as fast:
        as_features(x, np.dtype("float64"))
    with pytest.raises(ValueError) as slow:
        as_features(x.tolist(), np.dtype("float64"))
    assert str(fast.value) == str(slow.value)
    assert "contains NaN or infinity (first at row 3, column 2)" in str(fast.value)
    # what the shortcut leaves to the readable path: another dtype, 1-D, empty, a subclass
    assert as_features(x[:3].astype(np.float32), np.dtype("float64")).dtype == np.float64
    with pytest.raises(ValueError, match="got 1-D array of shape"):
        as_features(np.ones(3), np.dtype("float64"))
    with pytest.raises(ValueError, match="at least one example"):
        as_features(np.ones((0, 3)), np.dtype("float64"))


def test_targets_are_checked_again_for_another_loss_or_width() -> None:
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.Dense(1, "sigmoid")], seed=0, dtype="float64"
    )
    model.compile(optimizer="sgd", loss="mse")
    y = np.array([[0.0], [3.0], [1.0], [0.0]])  # fine for mse, not for binary cross-entropy
    model.train_on_batch(XOR_X, y)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="BinaryCrossEntropy expects targets between 0 and 1"):
        model.train_on_batch(XOR_X, y)
    model.add(gn.layers.Dense(2, "softmax"))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"expects targets y of shape \(n_samples, 2\)"):
        model.train_on_batch(XOR_X, y)


def test_a_users_callback_keeps_numpys_warnings_while_fits_own_run_quietly() -> None:
    """fit enters its quiet state (overflow -> inf, reported by the loss check) once for all
    epochs when only its own callbacks run; a user's callback runs outside it, so NumPy still
    warns about the callback's own overflow."""

    class Overflows(gn.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            np.multiply(np.float64(1e308), 10.0)

    with pytest.warns(RuntimeWarning, match="overflow"):
        seed_network().fit(XOR_X, XOR_Y, epochs=1, batch_size=4, verbose=0, callbacks=[Overflows()])
    with np.errstate(over="raise"):  # the caller's own state comes back after a plain fit
        seed_network().fit(XOR_X, XOR_Y, epochs=2, batch_size=4, verbose=0)
        with pytest.raises(FloatingPointError):
            np.multiply(np.float64(1e308), 10.0)
