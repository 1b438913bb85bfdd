"""EarlyStopping, ModelCheckpoint, LearningRateScheduler, TerminateOnNaN, progress output."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.progress import ProgressBar


def _moons_model(rate=0.05, seed=0):
    model = gn.Sequential([gn.layers.Dense(16, "relu"), gn.layers.Dense(1, "sigmoid")], seed=seed)
    model.compile(gn.Adam(rate), "binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def moons():
    return gn.datasets.moons(300, noise=0.25, seed=1)


def test_early_stopping_stops_and_restores_the_best_weights(moons):
    x, y = moons
    model = _moons_model(rate=0.2)
    stop = gn.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=200, validation_split=0.3, callbacks=[stop], verbose=0)
    ran = len(history.epoch)
    assert ran < 200
    assert stop.stopped_epoch == ran - 1
    losses = history.history["val_loss"]
    best = int(np.argmin(losses))
    assert stop.best_epoch == best and stop.best == losses[best]
    assert ran - 1 - best == 2  # patience 2: two epochs without improvement, as in Keras
    x_val, y_val = x[210:], y[210:]
    assert model.evaluate(x_val, y_val)[0] == pytest.approx(losses[best], rel=1e-6)


def test_early_stopping_on_accuracy_maximises(moons):
    x, y = moons
    stop = gn.EarlyStopping(monitor="accuracy", patience=0, min_delta=0.5)
    history = _moons_model().fit(x, y, epochs=20, callbacks=[stop], verbose=0)
    assert stop.mode == "max"
    assert len(history.epoch) == 2  # nothing beats epoch 1 by 0.5


def test_early_stopping_on_a_missing_key_warns_once_and_keeps_training(moons):
    """Keras warns ("Early stopping conditioned on metric ... which is not available") and goes
    on; glassnet used to raise a ValueError at the end of the first epoch."""
    x, y = moons
    stop = gn.EarlyStopping(patience=0)  # monitors val_loss; no validation data given
    with pytest.warns(UserWarning) as caught:
        history = _moons_model().fit(x, y, epochs=4, callbacks=[stop], verbose=0)
    assert len(history.epoch) == 4 and stop.stopped_epoch == 0
    assert len(caught) == 1  # once per fit, not once per epoch
    assert str(caught[0].message) == (
        "EarlyStopping monitors 'val_loss', but the epoch logs have only: 'loss', 'accuracy'; it "
        "does nothing until that key appears. Pass validation_data (or validation_split) to fit."
    )
    with pytest.warns(UserWarning, match="monitors 'val_loss'"):  # and again on the next fit
        _moons_model().fit(x, y, epochs=2, callbacks=[stop], verbose=0)


def test_checkpoint_best_only_on_a_missing_key_warns_and_saves_nothing(moons, tmp_path):
    """Keras: "Can save best model only with val_loss available", a warning, and no file."""
    x, y = moons
    checkpoint = gn.ModelCheckpoint(str(tmp_path / "best.glassnet"), save_best_only=True)
    with pytest.warns(UserWarning, match=r"ModelCheckpoint monitors 'val_loss', but the epoch "):
        history = _moons_model().fit(x, y, epochs=3, callbacks=[checkpoint], verbose=0)
    assert len(history.epoch) == 3
    assert checkpoint.saved == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("monitor", "mode"),
    [
        ("loss", "min"),
        ("val_loss", "min"),
        ("accuracy", "max"),
        ("val_acc", "max"),
        ("binary_accuracy", "max"),
        ("val_categorical_accuracy", "max"),
        ("sparse_categorical_accuracy", "max"),
        ("mse", "min"),
        ("val_mae", "min"),
        ("val_auc", "max"),
        ("f1_score", "max"),
        ("val_f1", "max"),
        ("precision", "max"),
        ("val_recall", "max"),
        ("val_top_k_accuracy", "max"),
        ("val_reconstruction_loss", "min"),
        ("mean_absolute_percentage_error", "min"),
    ],
)
def test_auto_mode_follows_each_quantity_s_direction(monitor, mode):
    """Keras 3.15.1 (callbacks/monitor_callback.py) takes the direction from the metric: loss
    and errors down; accuracies, AUC, F1, precision, recall up. "f1" went "min" before."""
    assert gn.EarlyStopping(monitor=monitor).mode == mode
    assert gn.ModelCheckpoint("m.glassnet", monitor=monitor).mode == mode


def test_auto_mode_refuses_a_quantity_it_cannot_place():
    """Keras raises "isn't able to automatically determine whether that metric should be
    maximized or minimized"; glassnet says so when the callback is made, not an epoch later."""
    message = (
        "EarlyStopping cannot tell whether 'learning_rate' should go up or down. Pass mode='max' "
        "to keep its highest value, or mode='min' for its lowest."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        gn.EarlyStopping(monitor="learning_rate")
    assert gn.EarlyStopping(monitor="learning_rate", mode="max").mode == "max"
    with pytest.raises(ValueError, match="ModelCheckpoint cannot tell whether 'score'"):
        gn.ModelCheckpoint("m.glassnet", monitor="score")
    with pytest.raises(TypeError, match="Expected monitor to be a log key such as 'val_loss'"):
        gn.EarlyStopping(monitor=None)


def test_checkpoint_saves_best_only_and_formats_names(moons, tmp_path):
    x, y = moons
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.glassnet")
    checkpoint = gn.ModelCheckpoint(pattern, monitor="loss", save_best_only=True)
    model = _moons_model()
    history = model.fit(x, y, epochs=5, callbacks=[checkpoint], verbose=0)
    losses = history.history["loss"]
    improved = [i for i in range(5) if losses[i] < min(losses[:i], default=math.inf)]
    assert [p.split("ckpt-")[1][:2] for p in checkpoint.saved] == [f"{i + 1:02d}" for i in improved]
    last = gn.load_model(checkpoint.saved[-1])
    np.testing.assert_array_equal(last.predict(x), model.predict(x))


def test_scheduler_sets_and_logs_the_rate(moons):
    x, y = moons
    model = _moons_model(rate=0.1)
    schedule = gn.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)
    history = model.fit(x, y, epochs=4, callbacks=[schedule], verbose=0)
    assert history.history["learning_rate"] == [0.1, 0.05, 0.025, 0.0125]
    assert model.optimizer.learning_rate == 0.0125


def test_scheduler_rejects_a_bad_rate(moons):
    x, y = moons
    schedule = gn.LearningRateScheduler(lambda epoch, lr: -1.0)
    with pytest.raises(ValueError, match=r"The schedule returned -1.0 for epoch 0"):
        _moons_model().fit(x, y, epochs=1, callbacks=[schedule], verbose=0)


def _diverging():
    x = np.linspace(-1, 1, 64).reshape(-1, 1) * 1e3
    model = gn.Sequential([gn.layers.Dense(8, "relu"), gn.layers.Dense(1)], seed=0)
    model.compile(gn.SGD(10.0), "mse")
    return model, x, x * 1e3


def test_divergence_raises_by_default_naming_epoch_and_batch():
    model, x, y = _diverging()
    with pytest.raises(gn.TrainingDivergedError, match=r"at epoch 1, batch \d+: .*learning_rate"):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)


def test_terminate_on_nan_can_stop_quietly(capsys):
    model, x, y = _diverging()
    guard = gn.TerminateOnNaN(raise_error=False)
    history = model.fit(x, y, epochs=3, batch_size=8, callbacks=[guard], verbose=0)
    assert len(history.epoch) == 1
    assert not math.isfinite(history.history["loss"][0])
    assert "Training diverged at epoch 1" in guard.message
    assert guard.message in capsys.readouterr().out


def test_progress_bar_counts_samples_and_shows_numbers(moons):
    x, y = moons
    stream = io.StringIO()
    bar = ProgressBar(stream=stream)
    _moons_model().fit(x, y, epochs=2, batch_size=64, callbacks=[bar], verbose=0)
    text = stream.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert "300/300 samples" in text
    assert "loss: " in text and "accuracy: " in text


def test_verbose_two_prints_one_line_per_epoch(moons, capsys):
    x, y = moons
    _moons_model().fit(x, y, epochs=3, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]


def test_verbose_one_draws_the_bar_and_closes_it_on_error(capsys):
    model, x, y = _diverging()
    with pytest.raises(gn.TrainingDivergedError):
        model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    assert "Epoch 1/2" in capsys.readouterr().out


def test_trace_every_collects_traces(moons):
    x, y = moons
    model = _moons_model()
    model.fit(x, y, epochs=2, batch_size=100, trace_every=2, verbose=0)
    assert [trace.step for trace in model.traces] == [0, 2, 4]


# -- EarlyStopping against Keras 3's own callback, on scripted logs (tester's point 4) ---------
class _ScriptedModel:
    """What both callbacks touch: stop_training and weights (the epoch they were taken at)."""

    def __init__(self) -> None:
        self.stop_training = False
        self.epoch = -1
        self.restored: list[int] | None = None

    def get_weights(self) -> list[int]:
        return [self.epoch]

    def set_weights(self, weights: list[int]) -> None:
        self.restored = list(weights)


def _drive(callback, values: list[float]) -> tuple:
    model = _ScriptedModel()
    callback.set_model(model)
    callback.on_train_begin({})
    ran = 0
    for epoch, value in enumerate(values):
        model.epoch, ran = epoch, epoch + 1
        callback.on_epoch_end(epoch, {"loss": value})
        if model.stop_training:
            break
    callback.on_train_end({})
    best = None if callback.best is None or math.isinf(callback.best) else float(callback.best)
    return ran, callback.stopped_epoch, best, callback.best_epoch, callback.wait, model.restored


SCRIPTS = {
    "dips": [1.0, 0.9, 0.95, 0.97, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9],
    "plateaus": [0.5, 0.5, 0.5, 0.4, 0.4, 0.39, 0.3, 0.3, 0.3, 0.3],
    "rises": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    "nan": [1.0, math.nan, 0.8, math.nan, math.nan, math.nan, 0.7, 0.6],
    "nan-first": [math.nan, 1.0, 0.9, 0.9, 0.9],
}


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_early_stopping_matches_keras_on_scripted_logs(script) -> None:
    """Keras 3.15.1's EarlyStopping (KERAS_BACKEND=torch) and glassnet's, given the same logs
    for every mix of patience, min_delta (negative too), baseline, start_from_epoch, mode and
    restore_best_weights, run as many epochs, stop at the same one, keep the same best, best
    epoch and patience count, and restore the same epoch's weights."""
    import itertools
    import os

    os.environ["KERAS_BACKEND"] = "torch"
    import keras

    compared = 0
    for patience, delta, baseline, start, mode, restore in itertools.product(
        (0, 1, 3), (0.0, 0.05, -0.05), (None, 0.6, 0.95), (0, 2), ("min", "max"), (False, True)
    ):
        args = dict(monitor="loss", min_delta=delta, patience=patience, mode=mode)
        args.update(baseline=baseline, start_from_epoch=start, restore_best_weights=restore)
        theirs = _drive(keras.callbacks.EarlyStopping(**args), SCRIPTS[script])
        ours = _drive(gn.EarlyStopping(**args), SCRIPTS[script])
        if theirs[2] is not None and math.isnan(theirs[2]):  # Keras keeps a first NaN as best
            assert ours[2] is not None and math.isnan(ours[2])
            theirs, ours = theirs[:2] + theirs[3:], ours[:2] + ours[3:]
        assert ours == theirs, args
        compared += 1
    assert compared == 216


def test_early_stopping_baseline_and_warm_up_by_hand() -> None:
    # baseline 0.5 never beaten: the count is never reset (epoch 1 improves on the best, so it
    # is not a stop; epoch 2 is the third without passing the baseline), the best epoch restored
    stop = gn.EarlyStopping(monitor="loss", patience=2, baseline=0.5, restore_best_weights=True)
    assert _drive(stop, [0.9, 0.8, 0.85, 0.7, 0.6]) == (3, 2, 0.8, 1, 3, [1])
    # warm-up: epochs 0-2 are not watched, so their rising loss does not stop training
    stop = gn.EarlyStopping(monitor="loss", patience=0, start_from_epoch=3)
    assert _drive(stop, [0.1, 0.5, 0.9, 0.4, 0.3, 0.35, 0.2]) == (6, 5, 0.3, 4, 1, None)


@pytest.mark.parametrize(
    ("args", "error", "text"),
    [
        ({"min_delta": math.nan}, ValueError, "EarlyStopping's min_delta to be a finite number"),
        ({"min_delta": math.inf}, ValueError, "EarlyStopping's min_delta to be a finite number"),
        ({"baseline": math.nan}, ValueError, "EarlyStopping's baseline to be a finite number"),
        ({"baseline": -math.inf}, ValueError, "EarlyStopping's baseline to be a finite number"),
        ({"baseline": "0.5"}, TypeError, "EarlyStopping's baseline"),
        ({"start_from_epoch": -1}, ValueError, "EarlyStopping's start_from_epoch"),
        ({"start_from_epoch": 2.5}, (TypeError, ValueError), "EarlyStopping's start_from_epoch"),
        ({"start_from_epoch": math.nan}, (TypeError, ValueError), "start_from_epoch"),
    ],
)
def test_early_stopping_refuses_bad_numbers(args, error, text) -> None:
    with pytest.raises(error, match=re.escape(text)):
        gn.EarlyStopping(monitor="loss", **args)


def test_early_stopping_takes_a_negative_min_delta_by_its_size_as_keras_does() -> None:
    assert gn.EarlyStopping(monitor="loss", min_delta=-0.1).min_delta == 0.1


@pytest.mark.parametrize(
    ("rate", "words"),
    [
        (math.nan, "learning_rate to be a finite number, got nan"),
        (math.inf, "learning_rate to be a finite number, got inf"),
        (1e39, "learning_rate between 1.18e-38 and 3.4e+38 (an ordinary number in float32"),
        (1e-300, "learning_rate between 1.18e-38 and 3.4e+38"),  # 0 in float32: nothing moves
    ],
)
def test_a_schedule_returning_a_bad_rate_stops_at_that_epoch(rate, words) -> None:
    """LearningRateScheduler's numbers go through the optimizer's learning_rate bounds."""
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile(gn.SGD(0.1), "binary_crossentropy")
    schedule = gn.LearningRateScheduler(lambda epoch, lr: rate if epoch == 1 else lr)
    x, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.0, 1.0])
    with pytest.raises(ValueError, match=r"The schedule returned .* for epoch 1: ") as info:
        model.fit(x, y, epochs=3, verbose=0, callbacks=[schedule])
    assert words in str(info.value)
    assert model.optimizer.learning_rate == 0.1 and model.optimizer.iterations == 1
