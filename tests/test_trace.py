"""The trace records the engine's own numbers and leaves the model as it was."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import glassnet as gn
from glassnet.seed import XOR_X, XOR_Y, seed_network
from glassnet.trace import Trace, TraceCallback, trace_step

SEED_SYMBOLS = [
    "a0", "W1", "z1", "a1", "W2", "z2", "a2",
    "y", "a2 - y", "C", "dC/da2",
    "da2/dz2", "delta2", "dC/dW2", "dC/da1", "da1/dz1", "delta1", "dC/dW1",
    "W1_new", "change_W1", "W2_new", "change_W2", "a2_new",
]  # fmt: skip


def small_model(optimizer: gn.optimizers.Optimizer, seed: int = 3) -> gn.Sequential:
    model = gn.Sequential(
        [
            gn.Input(shape=(3,)),
            gn.layers.Dense(5, activation="tanh"),
            gn.layers.Dense(4, activation="linear"),
            gn.layers.Activation("relu"),
            gn.layers.Dense(3, activation="softmax"),
        ],
        dtype="float64",
        seed=seed,
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def data(rng: np.random.Generator, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(n, 3)), rng.integers(0, 3, size=n)


def state(model: gn.Sequential) -> dict:
    return {
        "weights": model.get_weights(),
        "gradients": [g.copy() for layer in model.layers for g in layer.gradients],
        "optimizer": copy.deepcopy(vars(model.optimizer)),
        "rng": copy.deepcopy(model.rng.bit_generator.state),
    }


def assert_same(left, right) -> None:
    if isinstance(left, dict):
        assert left.keys() == right.keys()
        for key in left:
            assert_same(left[key], right[key])
    elif isinstance(left, list | tuple):
        assert len(left) == len(right)
        for a, b in zip(left, right, strict=True):
            assert_same(a, b)
    elif isinstance(left, np.ndarray):
        assert np.array_equal(left, right)
    else:
        assert left == right


def test_seed_trace_symbols_and_numbers() -> None:
    model = seed_network()
    trace = model.trace_step(XOR_X, XOR_Y)
    assert trace.symbols() == SEED_SYMBOLS
    assert [e.phase for e in trace][:7] == ["forward"] * 7
    assert np.array_equal(trace["a2"].value, model.predict(XOR_X))
    assert trace["a2"].value.ravel().round(3).tolist() == [0.758, 0.771, 0.791, 0.801]
    assert trace["dC/dW2"].shape == (4, 1) and trace["C"].shape == ()
    assert trace["delta2"].equation == "delta2 = dC/da2 * da2/dz2"
    # the notebook's own arithmetic, written out, gives the same numbers to the last bit
    w1, w2 = trace["W1"].value, trace["W2"].value
    a1 = 1 / (1 + np.exp(-(XOR_X @ w1)))
    a2 = 1 / (1 + np.exp(-(a1 @ w2)))
    d2 = (a2 - XOR_Y) * (a2 * (1 - a2))
    np.testing.assert_allclose(trace["dC/dW2"].value, a1.T @ d2, rtol=0, atol=1e-15)
    d1 = (d2 @ w2.T) * (a1 * (1 - a1))
    np.testing.assert_allclose(trace["dC/dW1"].value, XOR_X.T @ d1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(trace["W1_new"].value, w1 - XOR_X.T @ d1, rtol=0, atol=1e-15)


def test_trace_leaves_the_model_unchanged(rng: np.random.Generator) -> None:
    model = small_model(gn.Adam(0.01))
    x, y = data(rng)
    model.train_on_batch(x, y)  # so the optimizer has state to keep
    before = state(model)
    trace = trace_step(model, x, y)
    assert_same(state(model), before)
    assert trace.step == 1


def test_update_true_equals_train_on_batch(rng: np.random.Generator) -> None:
    x, y = data(rng)
    traced, plain = small_model(gn.Adam(0.01)), small_model(gn.Adam(0.01))
    for model in (traced, plain):
        model.train_on_batch(x, y)
    trace = traced.trace_step(x, y, update=True)
    plain.train_on_batch(x, y)
    assert_same(traced.get_weights(), plain.get_weights())
    assert_same(vars(traced.optimizer), vars(plain.optimizer))
    assert np.array_equal(trace["W1_new"].value, plain.layers[0].kernel)
    assert np.array_equal(trace["m_W4"].value, plain.optimizer.first_moments[-2])
    assert np.array_equal(trace["v_b4"].value, plain.optimizer.second_moments[-1])
    assert trace["1 - beta_1^t"].value == pytest.approx(1 - 0.9**2, abs=1e-15)


def test_entries_equal_the_engines_backward(rng: np.random.Generator) -> None:
    model = small_model(gn.SGD(0.1, momentum=0.9, nesterov=True))
    x, y = data(rng)
    trace = model.trace_step(x, y)
    targets = model.loss.prepare_targets(y, 3, model.dtype)
    model.compute_gradients(x, y)
    for index, layer in enumerate(model.layers, start=1):
        if layer.kind == "Dense":
            assert np.array_equal(trace[f"dC/dW{index}"].value, layer.kernel_gradient)
            assert np.array_equal(trace[f"dC/db{index}"].value, layer.bias_gradient)
            assert np.array_equal(trace[f"z{index}"].value, layer.z)
    # fused softmax + cross-entropy: delta comes straight from the loss, no dC/da4 entry
    assert "dC/da4" not in trace
    np.testing.assert_allclose(
        trace["delta4"].value, (trace["a4"].value - targets) / len(x), rtol=0, atol=1e-15
    )
    # the recomputed input gradient is the one the engine passes down
    assert np.array_equal(
        trace["dC/da3"].value, model.layers[3].backward_delta(model.layers[3].delta)
    )
    assert np.array_equal(trace["dC/da2"].value, model.layers[2].delta)  # the Activation layer
    assert "momentum_W1" in trace and "change_b4" in trace


def test_rmsprop_state_entries(rng: np.random.Generator) -> None:
    model = small_model(gn.RMSprop(0.01, momentum=0.5, centered=True))
    x, y = data(rng)
    trace = model.trace_step(x, y)
    symbols = trace.symbols()
    assert symbols.index("mean_W1") < symbols.index("v_W1") < symbols.index("momentum_W1")
    model.train_on_batch(x, y)
    assert np.array_equal(trace["v_W1"].value, model.optimizer.velocities[0])
    assert np.array_equal(trace["W4_new"].value, model.layers[-1].kernel)


def test_trace_callback_records_without_disturbing(rng: np.random.Generator) -> None:
    x, y = data(rng, n=8)
    plain, traced = small_model(gn.Adam(0.01)), small_model(gn.Adam(0.01))
    plain.fit(x, y, epochs=3, batch_size=4, verbose=0)
    recorder = TraceCallback(every=2)
    traced.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[recorder])
    assert_same(traced.get_weights(), plain.get_weights())
    assert [t.step for t in recorder.traces] == [0, 2, 4]
    assert all(isinstance(t, Trace) and len(t) > 20 for t in recorder.traces)
    # the trace of step 2 saw the weights after two updates
    again = small_model(gn.Adam(0.01))
    again.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.array_equal(recorder.traces[1]["W1"].value, again.layers[0].kernel)


def test_bad_arguments_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="every >= 1"):
        TraceCallback(every=0)
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)])
    with pytest.raises(ValueError, match="compile the model before tracing a step"):
        model.trace_step(np.zeros((1, 2)), np.zeros(1))
    trace = seed_network().trace_step(XOR_X, XOR_Y)
    with pytest.raises(KeyError, match="No entry 'z9'"):
        trace["z9"]
    with pytest.raises(ValueError, match="Unknown phase 'sideways'"):
        trace.phase("sideways")


def test_reprs_for_jupyter_escape_html() -> None:
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(1, name="<b>odd</b>")], dtype="float64"
    )
    model.compile(optimizer="sgd", loss="mse")
    page = model._repr_html_()
    assert "&lt;b&gt;odd&lt;/b&gt;" in page and "<b>odd" not in page
    trace = model.trace_step(np.ones((2, 2)), np.ones(2))
    assert "<table>" in trace._repr_html_() and "dC/dW1" in trace._repr_html_()
    history = model.fit(np.ones((2, 2)), np.ones(2), epochs=25, verbose=0)
    table = history._repr_html_()
    assert table.count("<tr>") == 1 + 10 + 1 + 10 and "loss" in table
