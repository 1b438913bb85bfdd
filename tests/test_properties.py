"""Property tests (hypothesis): for random small architectures and data, the gradients pass the
central-difference check, ``predict`` is deterministic, training never silently produces NaN (it
stops with ``TrainingDivergedError`` naming the epoch and batch), and save/load round-trips bit
for bit, training included. Example counts are kept small so the file runs in seconds."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glassnet as gn

HIDDEN_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
# loss -> (output activation, units, how to make targets from labels in [0, units))
LOSSES = {
    "mse": ("linear", None),
    "binary_crossentropy": ("sigmoid", 1),
    "categorical_crossentropy": ("softmax", None),
    "sparse_categorical_crossentropy": ("softmax", None),
}
FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


@st.composite
def setups(draw: st.DrawFn) -> dict:
    """A small network, its loss and optimizer, and data for it (seeded NumPy draws)."""
    loss = draw(st.sampled_from(sorted(LOSSES)))
    activation, units = LOSSES[loss]
    return {
        "features": draw(st.integers(1, 4)),
        "hidden": draw(
            st.lists(
                st.tuples(st.integers(1, 5), st.sampled_from(HIDDEN_ACTIVATIONS)),
                min_size=0,
                max_size=2,
            )
        ),
        "loss": loss,
        "output": (units or draw(st.integers(2, 4)), activation),
        "use_bias": draw(st.booleans()),
        "optimizer": draw(st.sampled_from(["sgd", "adam", "rmsprop"])),
        "samples": draw(st.integers(2, 8)),
        "seed": draw(st.integers(0, 2**16)),
    }


def build(setup: dict, dtype: str = "float64", learning_rate: float = 0.01) -> gn.Sequential:
    layers = [gn.Input(shape=(setup["features"],))]
    for units, activation in setup["hidden"]:
        layers.append(gn.layers.Dense(units, activation, use_bias=setup["use_bias"]))
    units, activation = setup["output"]
    layers.append(gn.layers.Dense(units, activation, use_bias=setup["use_bias"]))
    model = gn.Sequential(layers, dtype=dtype, seed=setup["seed"])
    optimizer = {"sgd": gn.SGD, "adam": gn.Adam, "rmsprop": gn.RMSprop}[setup["optimizer"]]
    model.compile(optimizer(learning_rate=learning_rate), setup["loss"], metrics=["accuracy"])
    return model


def data(setup: dict, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(setup["seed"] + 1)
    x = scale * rng.standard_normal((setup["samples"], setup["features"]))
    units = setup["output"][0]
    loss = setup["loss"]
    if loss == "mse":
        y = rng.standard_normal((setup["samples"], units))
    elif loss == "binary_crossentropy":
        y = rng.integers(0, 2, setup["samples"])
    else:
        labels = rng.integers(0, units, setup["samples"])
        y = labels if loss.startswith("sparse") else np.eye(units)[labels]
    return x, y


def away_from_kinks(model: gn.Sequential, x: np.ndarray) -> bool:
    """No relu/leaky_relu pre-activation within 1e-4 of the kink (where no derivative exists)."""
    model.predict(x)
    return all(
        np.all(np.abs(layer.z) > 1e-4)
        for layer in model.layers
        if getattr(layer, "activation", None) is not None
        and layer.activation.name in ("relu", "leaky_relu")
    )


@FAST
@given(setups())
def test_gradients_pass_the_check(setup) -> None:
    model = build(setup)
    x, y = data(setup)
    if not away_from_kinks(model, x):
        return
    # the README's promise (and the default): |a - n| <= 1e-7 * (|a| + |n|) + floor
    report = gn.check_gradients(model, x, y, tolerance=1e-7)
    assert report.passed, report.table()


@FAST
@given(setups())
def test_predict_is_deterministic(setup) -> None:
    x, _ = data(setup)
    model = build(setup, dtype="float32")
    first = model.predict(x)
    assert first.dtype == np.float32 and first.shape == (len(x), setup["output"][0])
    assert np.array_equal(first, model.predict(x))
    assert np.array_equal(first, build(setup, dtype="float32").predict(x))  # same seed
    chunks = np.concatenate([model.predict(x[i : i + 1]) for i in range(len(x))])
    np.testing.assert_allclose(chunks, first, rtol=1e-6, atol=1e-6)


@settings(FAST, max_examples=60)
@given(setups(), st.floats(1e-3, 1e6), st.sampled_from([1.0, 1e3, 1e6]))
def test_training_never_silently_produces_nan(setup, learning_rate, scale) -> None:
    model = build(setup, dtype="float32", learning_rate=learning_rate)
    x, y = data(setup, scale=scale)
    try:
        history = model.fit(x, y, epochs=5, batch_size=max(1, len(x) // 2), verbose=0)
    except gn.TrainingDivergedError as error:
        message = str(error)
        assert re.search(
            r"Training diverged at epoch [1-5], batch [1-9]\d*: the loss became", message
        )
        assert "Try a smaller learning_rate" in message
        return
    assert all(np.isfinite(value) for values in history.history.values() for value in values)
    for weights in model.get_weights():
        assert np.isfinite(weights).all(), "fit returned with NaN or inf weights"
    try:
        outputs = model.predict(x * 1e30)  # far larger inputs may overflow float32 ...
    except FloatingPointError as error:  # ... and then predict says so rather than return NaN
        assert re.search(r"output overflowed float32 \(inf or NaN\), first for row \d+", str(error))
    else:
        assert np.isfinite(outputs).all()


@settings(FAST, max_examples=30)
@given(setups(), st.sampled_from(["float32", "float64"]))
def test_save_load_round_trips_bit_for_bit(tmp_path_factory, setup, dtype) -> None:
    path = tmp_path_factory.mktemp("roundtrip") / "model.glassnet"
    model = build(setup, dtype=dtype, learning_rate=0.01)
    x, y = data(setup)
    model.fit(x, y, epochs=2, batch_size=max(1, len(x) // 2), verbose=0)
    model.save(path)
    loaded = gn.load_model(path)
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        assert ours.dtype == theirs.dtype and ours.tobytes() == theirs.tobytes()
    assert model.predict(x).tobytes() == loaded.predict(x).tobytes()
    # the optimizer's state and the shuffling stream came along: the same trajectory
    model.fit(x, y, epochs=2, batch_size=max(1, len(x) // 2), verbose=0)
    loaded.fit(x, y, epochs=2, batch_size=max(1, len(x) // 2), verbose=0)
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        assert ours.tobytes() == theirs.tobytes()


def test_divergence_names_epoch_and_batch() -> None:
    model = gn.Sequential([gn.Input((1,)), gn.layers.Dense(1)], seed=0)
    model.compile(gn.SGD(learning_rate=1e30), "mse")
    x = np.array([[1e10], [2e10], [3e10], [4e10]])
    with pytest.raises(gn.TrainingDivergedError, match=r"at epoch \d+, batch \d+"):
        model.fit(x, x, epochs=50, batch_size=2, shuffle=False, verbose=0)


def test_a_last_update_that_overflows_the_weights_is_not_silent() -> None:
    """The loss of a batch is measured before its update; when the very last update of fit
    overflows the weights, no later loss shows it, so fit checks the weights themselves."""
    x = np.array([[1e5], [1e5]])
    model = gn.Sequential([gn.Input((1,)), gn.layers.Dense(1)], seed=0)
    model.compile(gn.SGD(learning_rate=1e30), "mse")
    with pytest.raises(gn.TrainingDivergedError, match=r"at epoch 1, batch 1: .* smaller"):
        model.fit(x, x, epochs=1, batch_size=2, verbose=0)
    model = gn.Sequential([gn.Input((1,)), gn.layers.Dense(1)], seed=0)
    model.compile(gn.SGD(learning_rate=1e30), "mse")
    with pytest.raises(gn.TrainingDivergedError, match=r"Training diverged: the loss became inf"):
        model.train_on_batch(x, x)


@settings(FAST, max_examples=30)
@given(st.floats(1e20, 1e38), st.integers(1, 3), st.integers(0, 100))
def test_huge_steps_stop_with_the_message(learning_rate, epochs, seed) -> None:
    model = gn.Sequential(
        [gn.Input((2,)), gn.layers.Dense(2, "tanh"), gn.layers.Dense(1)], seed=seed
    )
    model.compile(gn.SGD(learning_rate=learning_rate), "mse")
    x = np.random.default_rng(seed).standard_normal((4, 2)) * 1e3
    try:
        model.fit(x, x[:, :1], epochs=epochs, batch_size=2, verbose=0)
    except gn.TrainingDivergedError as error:
        assert re.search(r"at epoch \d, batch \d", str(error))
    else:
        assert all(np.isfinite(w).all() for w in model.get_weights())
