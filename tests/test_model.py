"""Sequential's behaviour: building, compile/fit/evaluate/predict, History, weights, summary."""

from __future__ import annotations

import io

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Dense


def xor_data():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 8, dtype=float)
    y = np.logical_xor(x[:, 0], x[:, 1]).astype(float).reshape(-1, 1)
    return x, y


def small_model(dtype="float64", seed=0):
    model = gn.Sequential(
        [gn.Input((2,)), Dense(8, "tanh"), Dense(1, "sigmoid")], dtype=dtype, seed=seed
    )
    model.compile(gn.Adam(0.05), "binary_crossentropy", metrics=["accuracy", "mse"])
    return model


def test_backward_overwrites_gradients_and_never_changes_parameters(rng) -> None:
    model = small_model()
    x, y = rng.normal(size=(5, 2)), rng.integers(0, 2, (5, 1))
    before = model.get_weights()
    model.compute_gradients(x, y)
    first = [g.copy() for g in model._gradients]
    model.compute_gradients(x, y)  # a second backward: same gradients, not twice them
    for g1, g2 in zip(first, model._gradients, strict=True):
        np.testing.assert_array_equal(g1, g2)
    for w0, w1 in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)


def test_fit_learns_xor_and_history_has_every_key() -> None:
    x, y = xor_data()
    model = small_model()
    history = model.fit(x, y, epochs=60, batch_size=8, validation_data=(x, y), verbose=0)
    assert set(history.history) == {
        "loss",
        "accuracy",
        "mse",
        "val_loss",
        "val_accuracy",
        "val_mse",
    }
    assert history.epoch == list(range(60))
    assert history.history["loss"][-1] < 0.1 < history.history["loss"][0]
    assert model.evaluate(x, y, return_dict=True)["accuracy"] == 1.0
    assert model.history is history


def test_epoch_loss_is_the_size_weighted_mean_of_batch_losses() -> None:
    x, y = xor_data()
    x, y = x[:5], y[:5]  # batches of 2, 2, 1
    model = small_model()
    twin = small_model()
    history = model.fit(x, y, epochs=1, batch_size=2, shuffle=False, verbose=0)
    losses = [twin.train_on_batch(x[i : i + 2], y[i : i + 2]) for i in (0, 2, 4)]
    expected = (2 * losses[0][0] + 2 * losses[1][0] + losses[2][0]) / 5
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-15)


def test_shuffle_is_seeded_and_validation_split_takes_the_tail() -> None:
    x, y = xor_data()
    runs = [
        small_model(seed=3).fit(x, y, epochs=3, validation_split=0.25, verbose=0) for _ in range(2)
    ]
    assert runs[0].history == runs[1].history
    model = small_model(seed=3)
    model.fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    # the validation numbers are the model's on the last 8 rows after the epoch
    val = model.evaluate(x[-8:], y[-8:], return_dict=True)
    fresh = small_model(seed=3).fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert fresh.history["val_loss"][0] == pytest.approx(val["loss"], rel=1e-12)


def test_verbose_prints_one_line_per_epoch(capsys) -> None:
    x, y = xor_data()
    small_model().fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2 - loss: ")


def test_callbacks_see_every_epoch_and_can_stop_training() -> None:
    class StopAfterTwo(gn.Callback):
        def __init__(self):
            super().__init__()
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = xor_data()
    stopper = StopAfterTwo()
    history = small_model().fit(x, y, epochs=10, batch_size=16, callbacks=[stopper], verbose=0)
    assert history.epoch == [0, 1] and stopper.batches == 4


def test_predict_in_chunks_equals_one_pass(rng) -> None:
    model = small_model()
    x = rng.normal(size=(103, 2))
    np.testing.assert_allclose(model.predict(x, batch_size=10), model.predict(x), rtol=1e-15)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))  # deterministic


def test_float32_default_and_integer_inputs_are_cast() -> None:
    model = small_model(dtype="float32")
    out = model.predict(np.array([[0, 1]]))
    assert out.dtype == np.float32 and out.shape == (1, 1)
    assert all(w.dtype == np.float32 for w in model.get_weights())


def test_build_on_first_use_and_explicit_build() -> None:
    lazy = gn.Sequential([Dense(3), Dense(2)])
    assert not lazy.built and lazy.count_params() == 0
    lazy.build((None, 4))
    assert lazy.built and lazy.count_params() == 4 * 3 + 3 + 3 * 2 + 2
    first_use = gn.Sequential([Dense(3)])
    first_use.predict(np.ones((2, 5)))
    assert first_use.layers[0].kernel.shape == (5, 3)


def test_get_and_set_weights_round_trip() -> None:
    model = small_model()
    weights = [w + 1.0 for w in model.get_weights()]
    model.set_weights(weights)
    for expected, got in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(expected, got)
    assert [w.shape for w in weights] == [(2, 8), (8,), (8, 1), (1,)]  # Keras order


def test_summary_table() -> None:
    model = gn.Sequential([gn.Input((3,)), Dense(3, name="layer1"), Dense(1)])
    out = io.StringIO()
    model.summary(print_fn=lambda text: out.write(text))
    text = out.getvalue()
    assert 'Model: "sequential"' in text
    assert "layer1 (Dense)  (None, 3)     12" in text
    assert "dense (Dense)   (None, 1)     4" in text
    assert "Total params: 16" in text


def test_layer_names_are_unique_like_keras() -> None:
    model = gn.Sequential([Dense(2), Dense(2), gn.layers.Activation("relu"), Dense(1)])
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "activation", "dense_2"]


def test_sparse_labels_train_a_softmax_classifier(rng) -> None:
    centers = np.array([[0, 0], [3, 3], [0, 3]])
    labels = rng.integers(0, 3, 90)
    x = centers[labels] + 0.3 * rng.normal(size=(90, 2))
    model = gn.Sequential([Dense(8, "relu"), Dense(3, "softmax")], seed=0)
    model.compile(gn.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, labels, epochs=40, batch_size=16, verbose=0)
    assert model.evaluate(x, labels, return_dict=True)["accuracy"] == 1.0


def test_divergence_stops_with_a_message() -> None:
    x = np.array([[1e3], [-1e3]])
    y = np.array([[1e3], [-1e3]])
    model = gn.Sequential([Dense(4), Dense(1)], dtype="float64", seed=0)
    model.compile(gn.SGD(10.0), "mse")
    with pytest.raises(
        gn.TrainingDivergedError,
        match=r"Training diverged at epoch \d+, batch 1: the loss became (nan|inf)\. .*smaller learning_rate",
    ):
        model.fit(x, y, epochs=50, batch_size=2, verbose=0)
