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


def dropout_model(seed_of_layer: int | None) -> gn.Sequential:
    model = gn.Sequential(
        [
            gn.Input(shape=(3,)),
            gn.layers.Dense(6, "relu", kernel_regularizer=gn.regularizers.L2(0.01)),
            gn.layers.Dropout(0.3, seed=seed_of_layer),
            gn.layers.Dense(1, "sigmoid", kernel_regularizer=gn.regularizers.L1L2(0.01, 0.02)),
        ],
        dtype="float64",
        seed=4,
    )
    model.compile(optimizer=gn.SGD(0.1, momentum=0.9), loss="binary_crossentropy")
    return model


@pytest.mark.parametrize("seed_of_layer", [None, 11])
def test_dropout_trace_leaves_every_random_stream(
    rng: np.random.Generator, seed_of_layer: int | None
) -> None:
    x, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=8)
    traced, plain = dropout_model(seed_of_layer), dropout_model(seed_of_layer)
    for model in (traced, plain):
        model.train_on_batch(x, y)
    layer_state = copy.deepcopy(traced.layers[1].rng.bit_generator.state)
    trace = traced.trace_step(x, y)
    assert traced.layers[1].rng.bit_generator.state == layer_state
    for model in (traced, plain):
        model.train_on_batch(x, y)
    assert_same(traced.get_weights(), plain.get_weights())
    assert trace["dC/dW3"].equation == "dC/dW3 = a2.T @ delta3 + dpenalty3/dW3"
    assert trace["dpenalty3/dW3"].equation == "dpenalty3/dW3 = 0.01 * sign(W3) + 2 * 0.02 * W3"
    assert trace["penalty3"].equation == "penalty3 = 0.01 * sum(|W3|) + 0.02 * sum(W3**2)"


def test_traced_dropout_step_is_the_real_step(rng: np.random.Generator) -> None:
    """With update=True the traced step (its mask included) is the step training makes."""
    x, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=8)
    traced, plain = dropout_model(7), dropout_model(7)
    trace = traced.trace_step(x, y, update=True)
    plain.train_on_batch(x, y)
    np.testing.assert_array_equal(trace["mask2"].value, plain.layers[1].mask)
    assert_same(traced.get_weights(), plain.get_weights())
    assert np.array_equal(trace["W3_new"].value, plain.layers[2].kernel)
    loss = plain.loss(trace["y"].value, trace["a3"].value)
    penalties = sum(layer.regularization_penalty() for layer in dropout_model(7).layers)
    assert trace["C"].value == pytest.approx(loss + penalties, rel=1e-12)


def test_optimizer_state_before_and_after(rng: np.random.Generator) -> None:
    model = small_model(gn.Adam(0.01))
    x, y = data(rng)
    model.train_on_batch(x, y)
    m_before = model.optimizer.first_moments[0].copy()
    trace = model.trace_step(x, y)
    np.testing.assert_array_equal(trace["m_W1_old"].value, m_before)
    g = trace["dC/dW1"].value
    np.testing.assert_allclose(trace["m_W1"].value, 0.9 * m_before + 0.1 * g, atol=1e-15)
    momentum = small_model(gn.SGD(0.1, momentum=0.9)).trace_step(x, y)  # first step: b = g
    np.testing.assert_array_equal(momentum["momentum_W1_old"].value, 0.0)
    np.testing.assert_array_equal(momentum["momentum_W1"].value, momentum["dC/dW1"].value)


def test_weightless_layers_record_their_factor(rng: np.random.Generator) -> None:
    model = small_model(gn.SGD(0.1))
    x, y = data(rng)
    trace = model.trace_step(x, y)
    relu = trace["da3/da2"]
    assert relu.equation == "da3/da2 = relu'(a2)"
    np.testing.assert_array_equal(relu.value, (trace["a2"].value > 0).astype(float))
    np.testing.assert_array_equal(trace["dC/da2"].value, trace["dC/da3"].value * relu.value)


def test_fit_trace_every_collects_traces(rng: np.random.Generator) -> None:
    x, y = data(rng, n=8)
    model, plain = small_model(gn.Adam(0.01)), small_model(gn.Adam(0.01))
    model.fit(x, y, epochs=3, batch_size=4, verbose=0, trace_every=3)
    plain.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert [t.step for t in model.traces] == [0, 3]
    assert_same(model.get_weights(), plain.get_weights())


def test_trace_off_costs_nothing(monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator) -> None:
    """No hook sits in the training path: the layers' and model's forward, backward and step
    never mention a recorder, and fit without trace_every never reaches the trace code
    (benchmarks/run.py times it: fit with tracing off against the bare engine loop)."""
    import inspect

    from glassnet import layers, model, trace

    hot = [model.Sequential._train_step, model.Sequential.forward, model.Sequential.backward]
    hot += [
        getattr(cls, name) for cls in layers.LAYERS.values() for name in ("forward", "backward")
    ]
    for function in hot:
        source = inspect.getsource(function)
        assert "trace" not in source and "record" not in source, function.__qualname__

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the trace code ran while tracing was off")

    monkeypatch.setattr(trace, "_trace_prepared", refuse)
    monkeypatch.setattr(trace.Trace, "add", refuse)
    x, y = data(rng, n=8)
    net = small_model(gn.Adam(0.01))
    net.fit(x, y, epochs=2, batch_size=4, verbose=0)
    net.train_on_batch(x, y)
    assert net.traces == []


def test_trace_steps_count_every_update_across_fits(rng: np.random.Generator) -> None:
    x, y = data(rng, n=8)
    model = small_model(gn.SGD(0.1))
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, trace_every=1)
    assert [t.step for t in model.traces] == [0, 1]
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, trace_every=1)
    assert [t.step for t in model.traces] == [2, 3]
    assert narrate_title(model.traces[-1]) == "Training step 3, told simply"


def narrate_title(trace: Trace) -> str:
    from glassnet.explain import narrate

    return narrate(trace).splitlines()[0]
