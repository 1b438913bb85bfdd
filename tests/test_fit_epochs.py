"""fit(initial_epoch=, validation_freq=) with Keras 3's meaning, and their hostile values."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set

import glassnet as gn


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    return x, (x[:, :1] > 0).astype("float32")


def _model():
    model = gn.Sequential([gn.Input(shape=(3,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", "binary_crossentropy")
    return model


def _keras_history(x, y, **kwargs):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    history = model.fit(x, y, verbose=0, **kwargs)
    return history.epoch, {key: len(values) for key, values in history.history.items()}


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(epochs=7, initial_epoch=2, validation_freq=2, validation_split=0.25),
        dict(epochs=4, validation_freq=[1, 3], validation_split=0.25),
        dict(epochs=5, validation_freq=10, validation_split=0.25),
        dict(epochs=3, initial_epoch=3, validation_split=0.25),
        dict(epochs=6, initial_epoch=1, validation_freq=[2, 6, 9], validation_split=0.25),
    ],
)
def test_epochs_and_validated_epochs_match_keras(data, kwargs):
    """The same fit call in Keras 3.15.1: the same epoch indices in the History and the same
    number of entries under each key (val_ ones only for the validated epochs)."""
    x, y = data
    history = _model().fit(x, y, verbose=0, **kwargs)
    ours = history.epoch, {key: len(values) for key, values in history.history.items()}
    assert ours == _keras_history(x, y, **kwargs)


def test_validation_runs_only_on_the_chosen_epochs(data):
    x, y = data
    seen = []
    peek = gn.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(sorted(logs)))
    history = _model().fit(
        x, y, epochs=5, initial_epoch=1, validation_freq=2, validation_data=(x, y),
        callbacks=[peek], verbose=0,
    )  # fmt: skip
    assert history.epoch == [1, 2, 3, 4]
    assert seen == [["loss", "val_loss"], ["loss"], ["loss", "val_loss"], ["loss"]]
    assert len(history.history["val_loss"]) == 2
    table = history._repr_html_()  # the epochs without validation show an empty cell
    assert "<tr><td>3</td><td>" in table and table.count("<td></td>") == 2


def test_initial_epoch_resumes_where_a_run_stopped(data, capsys):
    """Two epochs, then epochs 3 to 4 with initial_epoch=2: the same weights as four at once
    (unshuffled), and the progress lines count on from epoch 3 as Keras's do."""
    x, y = data
    whole = _model()
    whole.fit(x, y, epochs=4, shuffle=False, verbose=0)
    resumed = _model()
    resumed.fit(x, y, epochs=2, shuffle=False, verbose=0)
    history = resumed.fit(x, y, epochs=4, initial_epoch=2, shuffle=False, verbose=2)
    assert history.epoch == [2, 3] and len(history.history["loss"]) == 2
    for ours, theirs in zip(resumed.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 3/4", "Epoch 4/4"]


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        (dict(initial_epoch=-1), ValueError, "Expected initial_epoch >= 0, got -1."),
        (dict(initial_epoch=1.5), TypeError, "initial_epoch to be an integer, got float 1.5"),
        (dict(initial_epoch=float("nan")), TypeError, "got float nan"),
        (dict(initial_epoch="2"), TypeError, "got str '2'"),
        (dict(initial_epoch=True), TypeError, "got bool True"),
        (
            dict(initial_epoch=10**30),
            ValueError,
            "initial_epoch=an integer of about 31 digits is past epochs=3. As in Keras, epochs "
            "is the index of the last epoch, not a count of more epochs: initial_epoch=2, "
            "epochs=7 runs epochs 3 to 7, five of them.",
        ),
        (dict(initial_epoch=4), ValueError, "initial_epoch=4 is past epochs=3."),
        (dict(validation_freq=0), ValueError, "Expected validation_freq >= 1, got 0."),
        (dict(validation_freq=-2), ValueError, "Expected validation_freq >= 1, got -2."),
        (dict(validation_freq=2.0), TypeError, "validation_freq to be an int (validate every N"),
        (dict(validation_freq=float("nan")), TypeError, "got float nan"),
        (dict(validation_freq="2"), TypeError, "got str '2'"),
        (dict(validation_freq=True), TypeError, "got bool True"),
        (dict(validation_freq=[]), ValueError, "validation_freq=[] would never validate"),
        (dict(validation_freq=[0, 2]), ValueError, "each epoch in validation_freq >= 1, got 0"),
        (dict(validation_freq=[1, "2"]), TypeError, "epoch in validation_freq to be an integer"),
    ],
)
def test_hostile_epoch_arguments_are_refused_before_training(data, kwargs, error, text):
    x, y = data
    model = _model()
    before = model.get_weights()
    with pytest.raises(error) as caught:
        model.fit(x, y, epochs=3, validation_data=(x, y), verbose=0, **kwargs)
    assert text in str(caught.value)
    assert model.optimizer.iterations == 0
    for ours, theirs in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_huge_validation_freq_never_validates(data):
    x, y = data
    history = _model().fit(
        x, y, epochs=2, validation_data=(x, y), validation_freq=10**30, verbose=0
    )
    assert list(history.history) == ["loss"]


def test_monitors_of_val_keys_skip_unvalidated_epochs_without_a_warning(data, recwarn):
    """A cousin: EarlyStopping and ReduceLROnPlateau watching val_loss under validation_freq=2
    used to warn "monitors 'val_loss', but the epoch logs have only: 'loss'... Pass
    validation_data" at epoch 1, though validation_data was passed; they now watch the
    validated epochs only."""
    x, y = data
    stop = gn.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10)
    plateau = gn.callbacks.ReduceLROnPlateau(factor=0.5, patience=0, min_delta=10)
    history = _model().fit(
        x, y, epochs=8, validation_data=(x, y), validation_freq=2,
        callbacks=[plateau, stop], verbose=0,
    )  # fmt: skip
    assert not [w for w in recwarn.list if "monitors" in str(w.message)]
    # epoch 2 sets the best, epoch 4 fails to beat it by 10: the plateau halves the rate at
    # epoch 4 (logged from epoch 5 on) and EarlyStopping stops there
    assert history.epoch == [0, 1, 2, 3] and stop.stopped_epoch == 3
    assert history.history["learning_rate"] == [0.01, 0.01, 0.01, 0.01]
    assert plateau.model.optimizer.learning_rate == 0.005
