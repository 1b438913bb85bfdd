"""ReduceLROnPlateau, CSVLogger and LambdaCallback, each against Keras 3.15.1 where Keras can run."""

from __future__ import annotations

import csv
import os
import types

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set

import glassnet as gn
from glassnet.callbacks import CSVLogger, CSVLoggerError, LambdaCallback, ReduceLROnPlateau


def _model(rate=0.05, optimizer=None):
    model = gn.Sequential([gn.layers.Dense(4, "relu"), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile(optimizer or gn.SGD(rate), "binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def moons():
    return gn.datasets.moons(60, noise=0.25, seed=1)


# -- ReduceLROnPlateau -----------------------------------------------------------------------------
def _rates(callback, optimizer, values, monitor):
    """Drive ``callback`` with fake epoch logs; the learning_rate each epoch's logs recorded,
    then the rate after the last epoch."""
    callback.set_model(types.SimpleNamespace(optimizer=optimizer, metrics=[]))
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    return [*rates, float(np.asarray(optimizer.learning_rate))]


PLATEAU_CASES = [
    dict(factor=0.5, patience=2, cooldown=1, min_lr=0.01),
    dict(factor=0.1, patience=0),
    dict(factor=0.3, patience=1, min_delta=0.05),
    dict(factor=0.5, patience=3, cooldown=3, min_delta=0.0),
    dict(factor=0.9, patience=1, mode="max", monitor="val_accuracy", min_lr=0.05),
    dict(factor=0.2, patience=2, min_delta=-0.01),  # counted by its size, as in Keras
]


@pytest.mark.parametrize("case", PLATEAU_CASES)
def test_reduce_lr_on_plateau_follows_keras_epoch_by_epoch(case):
    """Keras's own ReduceLROnPlateau and glassnet's see the same monitored sequence (plateaus,
    small gains, a fall, noise); the learning rates recorded each epoch agree. Keras keeps the rate
    in float32, hence the relative tolerance."""
    rng = np.random.default_rng(3)
    values = [1.0, 0.9, 0.9, 0.9, 0.95, 0.9, 0.8, 0.8, 0.79, 0.8, 0.5, 0.5, 0.5, 0.5]
    values += list(0.5 + 0.05 * rng.standard_normal(30))
    values += [0.4] * 10
    monitor = case.get("monitor", "val_loss")
    if case.get("mode") == "max":
        values = [1 - v for v in values]
    ours = _rates(ReduceLROnPlateau(**case), gn.SGD(0.1), values, monitor)
    theirs = _rates(
        keras.callbacks.ReduceLROnPlateau(**case), keras.optimizers.SGD(0.1), values, monitor
    )
    assert len(set(theirs)) > 1  # the case does reduce
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_reduce_lr_on_plateau_in_fit_changes_the_optimizers_rate(moons, capsys):
    x, y = moons
    model = _model()
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10, verbose=1)
    history = model.fit(x, y, epochs=4, callbacks=[plateau], verbose=0)
    # epoch 1 sets best; every later epoch fails to beat it by 10, so each one halves the rate
    assert history.history["learning_rate"] == [0.05, 0.05, 0.025, 0.0125]
    assert model.optimizer.learning_rate == 0.00625
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.025." in capsys.readouterr().out


def test_reduce_lr_on_plateau_refuses_a_schedule_before_training(moons):
    x, y = moons
    schedule = gn.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    model = _model(optimizer=gn.SGD(schedule))
    with pytest.raises(TypeError) as caught:
        model.fit(x, y, epochs=2, callbacks=[ReduceLROnPlateau(monitor="loss")], verbose=0)
    assert str(caught.value).startswith(
        "ReduceLROnPlateau cannot change the learning rate of this optimizer: it follows a "
        "schedule (ExponentialDecay("
    )
    assert str(caught.value).endswith(
        "Use a fixed learning_rate with ReduceLROnPlateau, or the schedule alone."
    )
    assert model.optimizer.iterations == 0  # refused before any step


def test_reduce_lr_on_plateau_stops_at_float32s_smallest_rate():
    optimizer = gn.SGD(1e-30)
    rates = _rates(
        ReduceLROnPlateau(monitor="loss", factor=1e-10, patience=0), optimizer, [1.0] * 4, "loss"
    )
    assert rates[-1] == float(np.finfo(np.float32).tiny)


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        (dict(factor=1.0), ValueError, "must lie between 0 and 1 (exclusive), got 1.0"),
        (dict(factor=0.0), ValueError, "must lie between 0 and 1 (exclusive), got 0.0"),
        (dict(factor=-0.5), ValueError, "must lie between 0 and 1 (exclusive), got -0.5"),
        (dict(factor=1e300), ValueError, "must lie between 0 and 1 (exclusive), got 1e+300"),
        (dict(factor=float("nan")), ValueError, "factor to be a finite number, got nan"),
        (dict(factor="0.1"), TypeError, "factor to be a number, got str '0.1'"),
        (dict(factor=True), TypeError, "factor to be a number, got bool True"),
        (dict(patience=-1), ValueError, "patience between 0 and"),
        (dict(patience=10**30), ValueError, "got an integer of about 31 digits"),
        (dict(cooldown=10**400), ValueError, "got an integer of about 401 digits"),
        (dict(patience=2.0), TypeError, "patience to be a whole number, got float 2.0"),
        (dict(patience=True), TypeError, "patience to be a whole number, got bool True"),
        (dict(cooldown="1"), TypeError, "cooldown to be a whole number, got str '1'"),
        (dict(cooldown=-3), ValueError, "cooldown between 0 and"),
        (dict(min_lr=-1e-3), ValueError, "min_lr >= 0, got -0.001"),
        (dict(min_lr=float("inf")), ValueError, "min_lr to be a finite number, got inf"),
        (dict(min_lr=10**400), ValueError, "beyond float64"),
        (dict(min_delta=float("nan")), ValueError, "min_delta to be a finite number, got nan"),
        (dict(min_delta="big"), TypeError, "min_delta to be a number, got str 'big'"),
        (dict(verbose=3), ValueError, "verbose between 0 and 2, got 3"),
        (dict(verbose="yes"), TypeError, "verbose to be a whole number, got str 'yes'"),
        (dict(mode="up"), ValueError, "Expected mode 'auto', 'min' or 'max', got 'up'."),
        (dict(monitor=""), TypeError, "Expected monitor to be a log key"),
        (dict(monitor="wobble"), ValueError, "cannot tell whether 'wobble' should go up or down"),
    ],
)
def test_reduce_lr_on_plateau_refuses_bad_arguments(kwargs, error, text):
    with pytest.raises(error) as caught:
        ReduceLROnPlateau(**kwargs)
    assert text in str(caught.value)


def test_reduce_lr_on_plateau_takes_verbose_true_as_one():
    assert ReduceLROnPlateau(verbose=True).verbose == 1


# -- CSVLogger -------------------------------------------------------------------------------------
FAKE_LOGS = [
    {"loss": 0.75, "accuracy": 0.5, "learning_rate": 0.01},
    {"loss": 0.5, "accuracy": 0.625, "learning_rate": 0.01, "val_loss": 0.6},
    {"loss": 0.25, "accuracy": 1.0, "learning_rate": 0.001},
]


def _drive(callback, logs_list, start=0):
    callback.on_train_begin()
    for epoch, logs in enumerate(logs_list, start):
        callback.on_epoch_end(epoch, dict(logs))
    callback.on_train_end()


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_logger_writes_the_same_file_as_keras(tmp_path, separator):
    """Keras's CSVLogger fed the same logs: the same bytes (epoch first, sorted keys, the
    val_ columns Keras adds when the first epoch has none, NA where a key is missing), and
    appending twice adds rows under one header."""
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    for append in (False, True, True):
        _drive(CSVLogger(ours, separator, append), FAKE_LOGS)
        _drive(keras.callbacks.CSVLogger(str(theirs), separator, append), FAKE_LOGS)
    assert ours.read_bytes() == theirs.read_bytes()
    rows = list(csv.reader(ours.open(newline=""), delimiter=separator))
    assert rows[0] == [
        "epoch", "accuracy", "learning_rate", "loss",
        "val_accuracy", "val_learning_rate", "val_loss",
    ]  # fmt: skip
    assert len(rows) == 1 + 3 * 3
    assert rows[2] == ["1", "0.625", "0.01", "0.5", "NA", "NA", "0.6"]


def test_csv_logger_keeps_markup_and_separators_in_keys_as_text(tmp_path):
    path = tmp_path / "log.csv"
    keys = ['<script>alert("x")</script>', "a,b", "line\nbreak"]
    _drive(CSVLogger(path), [dict.fromkeys(keys, 1.0)])
    rows = list(csv.reader(path.open(newline="")))
    assert rows[0] == ["epoch", *sorted(keys), *(f"val_{k}" for k in sorted(keys))]
    assert rows[1] == ["0", "1.0", "1.0", "1.0", "NA", "NA", "NA"]


def test_csv_logger_leaves_a_readable_file_when_training_crashes(tmp_path, moons):
    """The crash comes from inside fit, after epoch 2 (epochs 0 and 1 done): both rows are on
    disk, complete, and the file is closed."""
    x, y = moons
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)

    def crash(epoch, logs):
        if epoch == 2:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        _model().fit(
            x, y, epochs=5, verbose=0, validation_split=0.25,
            callbacks=[logger, LambdaCallback(on_epoch_begin=crash)],
        )  # fmt: skip
    assert logger.csv_file is None  # closed by on_train_abort
    rows = list(csv.DictReader(path.open(newline="")))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert all(float(row["val_loss"]) > 0 for row in rows)


def test_csv_logger_flushes_each_epoch_before_training_ends(tmp_path, moons):
    x, y = moons
    path = tmp_path / "log.csv"
    seen = []
    # runs after the logger, at each epoch end: what a crash right then would leave
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(path.read_text()))
    _model().fit(x, y, epochs=3, verbose=0, callbacks=[CSVLogger(path), peek])
    assert [text.count("\n") for text in seen] == [2, 3, 4]


def test_csv_logger_refuses_a_folder_a_fifo_and_read_only_places(tmp_path, moons):
    x, y = moons
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    locked = tmp_path / "locked"
    locked.mkdir()
    read_only = tmp_path / "ro.csv"
    read_only.write_text("kept\n")
    read_only.chmod(0o444)
    cases = [
        (tmp_path, f"Cannot write the CSV log to {str(tmp_path)!r}: it is a directory."),
        (fifo, f"Cannot write the CSV log to {str(fifo)!r}: it is a named pipe (FIFO), not a "
               f"regular file"),
        (read_only, f"Cannot write the CSV log to {str(read_only)!r}: the file is read-only "
                    f"(mode 0o444)"),
        (locked / "log.csv", f"the folder {str(locked)!r} is read-only. Choose a file in a "
                             f"folder you can write to."),
        (tmp_path / "missing" / "log.csv", f"the folder {str(tmp_path / 'missing')!r} does not "
                                           f"exist. Create it first (os.makedirs)."),
    ]  # fmt: skip
    locked.chmod(0o555)
    try:
        for target, text in cases:
            model = _model()
            with pytest.raises(CSVLoggerError) as caught:
                model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(target)])
            assert text in str(caught.value)
            assert model.optimizer.iterations == 0  # refused before training
    finally:
        locked.chmod(0o755)
    assert read_only.read_text() == "kept\n" and os.listdir(locked) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        (dict(filename=""), ValueError, "filename to be a file name such as 'training.csv', got ''"),
        (dict(filename="a\0b"), ValueError, "got 'a\\x00b'"),
        (dict(filename=3.5), TypeError, "filename to be a file path (a str or pathlib.Path), got float 3.5"),
        (dict(filename=None), TypeError, "got NoneType None"),
        (dict(filename="x.csv", separator=""), ValueError, "separator to be one character"),
        (dict(filename="x.csv", separator=", "), ValueError, "got ', '"),
        (dict(filename="x.csv", separator='"'), ValueError, "other than a quote or a line break"),
        (dict(filename="x.csv", separator="\n"), ValueError, "got '\\n'"),
        (dict(filename="x.csv", separator=44), ValueError, "got 44"),
        (dict(filename="x.csv", append="False"), TypeError, "append to be True or False, got str 'False'"),
        (dict(filename="x.csv", append=1), TypeError, "append to be True or False, got int 1"),
        (dict(filename="x.csv", append=float("nan")), TypeError, "got float nan"),
    ],
)  # fmt: skip
def test_csv_logger_refuses_bad_arguments(kwargs, error, text):
    with pytest.raises(error) as caught:
        CSVLogger(**kwargs)
    assert text in str(caught.value)


# -- LambdaCallback --------------------------------------------------------------------------------
def test_lambda_callback_calls_each_hook_as_keras_does(moons):
    x, y = moons
    calls = []

    def recorder(name):
        return lambda *args: calls.append((name, *args[:1]))

    names = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end")
    hooks = {name: recorder(name) for name in (*names, "on_train_begin", "on_train_end")}
    model = _model()
    model.fit(x, y, epochs=2, batch_size=30, verbose=0, callbacks=[LambdaCallback(**hooks)])
    # as Keras's: {} at the start, the last epoch's logs at the end
    last = {key: values[-1] for key, values in model.history.history.items()}
    assert calls[0] == ("on_train_begin", {}) and calls[-1] == ("on_train_end", last)
    assert calls[1:-1] == [
        ("on_epoch_begin", 0), ("on_batch_begin", 0), ("on_batch_end", 0),
        ("on_batch_begin", 1), ("on_batch_end", 1), ("on_epoch_end", 0),
        ("on_epoch_begin", 1), ("on_batch_begin", 0), ("on_batch_end", 0),
        ("on_batch_begin", 1), ("on_batch_end", 1), ("on_epoch_end", 1),
    ]  # fmt: skip


def test_lambda_callback_takes_keras_3s_train_batch_names_and_refuses_typos():
    seen = []
    hook = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    hook.on_train_batch_end(7, {})
    assert seen == [7]
    with pytest.raises(TypeError) as caught:
        LambdaCallback(on_epoch_ends=print)
    assert str(caught.value).startswith("LambdaCallback got an unknown hook 'on_epoch_ends'")
    with pytest.raises(TypeError) as caught:
        LambdaCallback(on_epoch_end="print")
    assert str(caught.value) == (
        "Expected LambdaCallback's on_epoch_end to be a function, got str 'print'."
    )
