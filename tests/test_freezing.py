"""layer.trainable = False, and layer.get_weights / set_weights (issue 19, "Names and model API"):
a frozen layer gets no update from any optimizer, its optimizer state is left alone, gradients
still flow through it, and the numbers match Keras 3.15.1 training the same frozen network."""

from __future__ import annotations

import os

import numpy as np
import pytest

import glassnet as gn

os.environ["KERAS_BACKEND"] = "torch"
import keras

X = np.random.default_rng(2).normal(size=(8, 3)).astype(np.float32)
Y = np.random.default_rng(3).normal(size=(8, 1)).astype(np.float32)


def network(dtype: str = "float32") -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Input(shape=(3,)),
            gn.layers.Dense(4, activation="tanh", name="first"),
            gn.layers.Dense(1, name="last"),
        ],
        seed=0,
        dtype=dtype,
    )


OPTIMIZERS = [
    lambda: gn.SGD(0.1),
    lambda: gn.SGD(0.1, momentum=0.9),
    lambda: gn.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: gn.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: gn.Adam(0.01),
]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_a_frozen_layer_gets_no_update_and_its_state_stays(make):
    model = network()
    model.compile(optimizer=make(), loss="mse")
    model.fit(X, Y, epochs=2, batch_size=4, verbose=0, shuffle=False)  # state for every weight
    state = model.optimizer.get_state()
    first = model.get_layer("first")
    first.trainable = False
    frozen = first.get_weights()
    last = model.get_layer("last").get_weights()
    model.fit(X, Y, epochs=3, batch_size=4, verbose=0, shuffle=False)
    for kept, before in zip(first.get_weights(), frozen, strict=True):
        np.testing.assert_array_equal(kept, before)
    assert not np.array_equal(model.get_layer("last").get_weights()[0], last[0])
    after = model.optimizer.get_state()
    assert after["iterations"] == state["iterations"] + 6
    for slot in model.optimizer.state_slots:
        for index in (0, 1):  # the frozen layer's kernel and bias: state untouched
            if state[slot] and state[slot][index] is not None:
                np.testing.assert_array_equal(after[slot][index], state[slot][index])
    # unfrozen, it trains again, from the state it had
    first.trainable = True
    model.train_on_batch(X, Y)
    assert not np.array_equal(first.get_weights()[0], frozen[0])


def test_training_a_frozen_network_matches_keras():
    model = network()
    model.get_layer("first").trainable = False
    model.compile(optimizer=gn.SGD(0.1, momentum=0.9), loss="mse")
    twin = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, activation="tanh", name="first"),
            keras.layers.Dense(1, name="last"),
        ]
    )
    twin.set_weights(model.get_weights())
    twin.get_layer("first").trainable = False
    twin.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    for _ in range(3):
        ours, theirs = model.train_on_batch(X, Y), twin.train_on_batch(X, Y)
        assert ours == pytest.approx(float(theirs), rel=1e-5)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_frozen_layers_regularizer_leaves_the_cost_as_in_keras():
    l2 = gn.regularizers.l2(0.5)
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.Dense(2, kernel_regularizer=l2, name="first")], seed=0
    )
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((8, 2), np.float32)
    regularized = model.test_on_batch(X, y)
    model.get_layer("first").trainable = False
    frozen = model.test_on_batch(X, y)
    twin = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.5))]
    )
    twin.set_weights(model.get_weights())
    twin.layers[0].trainable = False
    twin.compile(optimizer="sgd", loss="mse")
    assert frozen == pytest.approx(float(twin.test_on_batch(X, y)), rel=1e-6)
    assert regularized > frozen


def test_gradients_still_flow_through_a_frozen_layer():
    model = network("float64")
    model.compile(optimizer="sgd", loss="mse")
    model.get_layer("last").trainable = False
    before = model.get_layer("first").get_weights()
    model.train_on_batch(X, Y)
    assert not np.array_equal(model.get_layer("first").get_weights()[0], before[0])
    assert model.get_layer("last").get_weights()[0].dtype == np.float64


def test_trainable_is_saved_with_the_model(tmp_path):
    model = network()
    model.get_layer("first").trainable = False
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.glassnet")
    loaded = gn.load_model(tmp_path / "m.glassnet")
    assert loaded.get_layer("first").trainable is False
    assert loaded.get_layer("last").trainable is True
    assert "Non-trainable params: 16" in loaded.summary_text()


@pytest.mark.parametrize("value", ["False", 0, None, np.array([False, True])])
def test_trainable_must_be_a_bool(value):
    layer = gn.layers.Dense(2)
    with pytest.raises(TypeError, match=r"Expected layer\.trainable to be True or False, got "):
        layer.trainable = value
    assert layer.trainable is True


# -- a layer's own get_weights / set_weights ---------------------------------------------------------
def test_layer_get_and_set_weights_in_keras_order():
    model = gn.Sequential([gn.Input(shape=(3,)), gn.layers.BatchNormalization()], seed=0)
    layer = model.layers[0]
    twin = keras.layers.BatchNormalization()
    twin.build((None, 3))
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in twin.get_weights()]
    values = [np.full(3, v, np.float32) for v in (2.0, 0.5, 1.0, 4.0)]
    layer.set_weights(values)
    for got, want in zip(layer.get_weights(), values, strict=True):
        np.testing.assert_array_equal(got, want)
    layer.get_weights()[0][...] = 99  # copies, as Keras's get_weights
    assert layer.gamma[0] == 2.0


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        (
            [np.zeros((3, 4))],
            ValueError,
            r"Layer 'first' set_weights expected 2 arrays "
            r"\(first\.kernel \(3, 4\), first\.bias \(4,\)\), got 1\.",
        ),
        (
            [np.zeros((4, 3)), np.zeros(4)],
            ValueError,
            r"Layer 'first' kernel expects shape \(3, 4\), got \(4, 3\)\. Did you mean its transpose",
        ),
        ([np.zeros((3, 4)), np.full(4, np.nan)], ValueError, r"bias must be finite real numbers"),
        ([np.zeros((3, 4)), np.full(4, 1e39)], ValueError, r"too large for float32"),
        (
            [np.zeros((3, 4)), np.array(["a"] * 4)],
            TypeError,
            r"bias must be real numbers, got "
            r"an array of dtype <U1",
        ),
        ([np.zeros((3, 4)), np.zeros(4, complex)], TypeError, r"dtype complex128"),
        ([np.zeros((3, 4)), [[1], [1, 2]]], ValueError, r"rows have different lengths"),
        (np.zeros((3, 4)), TypeError, r"Expected set_weights to get a list of arrays"),
    ],
)
def test_layer_set_weights_refuses_and_changes_nothing(weights, error, message):
    model = network()
    layer = model.get_layer("first")
    before = layer.get_weights()
    with pytest.raises(error, match=message):
        layer.set_weights(weights)
    for got, want in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_an_unbuilt_layer_has_no_weights_yet():
    layer = gn.layers.Dense(2, name="d")
    with pytest.raises(ValueError, match=r"Layer 'd' \(Dense\) has no weights yet: it is built"):
        layer.get_weights()
    with pytest.raises(ValueError, match=r"before set_weights\(\)\."):
        layer.set_weights([])


# -- the narration says so ---------------------------------------------------------------------------
def test_trace_and_narration_of_a_step_with_a_frozen_layer():
    model = network("float64")
    model.compile(optimizer=gn.SGD(0.1, momentum=0.9), loss="mse")
    model.train_on_batch(X, Y)  # momentum buffers for every weight
    model.get_layer("first").trainable = False
    trace = model.trace_step(X, Y)
    assert trace["W1_new"].equation == "W1_new = W1  (frozen: trainable = False)"
    np.testing.assert_array_equal(trace["change_W1"].value, 0.0)
    assert "momentum_W1" not in trace and "momentum_W2" in trace
    student = " ".join(model.explain(X, Y, level="student").split())  # unwrapped
    assert (
        "Frozen (trainable = False): layer 1. The optimizer leaves the weights there, and their "
        "optimizer state, as they are; the gradients still flow through to the layers before."
    ) in student
    assert "W_new = W - learning_rate * momentum_W" in student  # the rule, from layer 2
    kid = " ".join(model.explain(X, Y, level="kid").split())
    assert (
        "Frozen (trainable = False): layer 1. The optimizer does not turn the knobs there." in kid
    )
    assert "- Frozen (trainable = False): layer 1." in model.explain(X, Y, level="expert")
    model.get_layer("first").trainable = True
    assert "Frozen" not in model.explain(X, Y, level="student")


# -- cousins: a frozen BatchNormalization, the whole model frozen, trainable= as a keyword ------------
def test_a_frozen_batch_normalization_runs_in_inference_mode_as_keras():
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.BatchNormalization(name="norm"), gn.layers.Dense(1)],
        seed=0,
    )
    norm = model.get_layer("norm")
    norm.set_weights([np.full(3, 1.5), np.full(3, 0.2), np.full(3, 0.3), np.full(3, 2.0)])
    norm.trainable = False
    model.compile(optimizer=gn.SGD(0.1), loss="mse")
    twin = keras.Sequential(
        [keras.Input((3,)), keras.layers.BatchNormalization(name="norm"), keras.layers.Dense(1)]
    )
    twin.set_weights(model.get_weights())
    twin.get_layer("norm").trainable = False
    twin.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    statistics = norm.get_weights()
    for _ in range(2):
        ours, theirs = model.train_on_batch(X, Y), twin.train_on_batch(X, Y)
        assert ours == pytest.approx(float(theirs), rel=1e-5)
    for kept, before in zip(norm.get_weights(), statistics, strict=True):
        np.testing.assert_array_equal(kept, before)  # moving statistics untouched too
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_freezing_the_whole_model_as_keras():
    model = network()
    model.compile(optimizer=gn.Adam(0.01), loss="mse")
    model.trainable = False
    assert [layer.trainable for layer in model.layers] == [False, False]
    before, steps = model.get_weights(), model.optimizer.iterations
    model.fit(X, Y, epochs=2, verbose=0)
    model.get_layer("last").trainable = True  # the model's flag wins, as in Keras
    model.add(gn.layers.Dense(1))  # a layer added later is not trained either
    model.train_on_batch(X, Y)
    for a, b in zip(model.get_weights()[:4], before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == steps  # no step at all, as Keras with no variables
    assert model.trainable_weights == []
    twin = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
    )
    twin.trainable = False
    assert len(model.non_trainable_weights) == len(twin.non_trainable_weights) + 2
    assert "Trainable params: 0" in model.summary_text()
    config = model.get_config()
    assert config["trainable"] is False
    assert gn.Sequential.from_config(config).trainable is False
    model.trainable = True
    assert model.get_layer("first").trainable and len(model.trainable_weights) == 6
    with pytest.raises(TypeError, match=r"Expected model\.trainable to be True or False, got"):
        model.trainable = "yes"


def test_trainable_and_unknown_keywords_on_any_layer():
    assert gn.layers.Dense(2, trainable=False).trainable is False
    assert keras.layers.Dense(2, trainable=False).trainable is False  # the same in Keras
    assert gn.layers.Conv2D(2, 3, trainable=False).trainable is False
    with pytest.raises(
        TypeError,
        match=r"Dense got an unexpected keyword argument 'bias_constraint'; it takes units, "
        r"activation, use_bias, .*name \(and Keras's trainable, input_shape, input_dim\)\.",
    ):
        gn.layers.Dense(2, bias_constraint="non_neg")
    with pytest.raises(TypeError, match=r"Flatten got an unexpected keyword argument '<b>'"):
        gn.layers.Flatten(**{"<b>": 1})


def test_parity_refuses_a_model_with_frozen_layers():
    model = network("float64")
    model.compile(optimizer="sgd", loss="mse")
    model.get_layer("first").trainable = False
    with pytest.raises(
        ValueError,
        match=r"compare\(\) trains every layer in both frameworks, but "
        r"first is frozen \(trainable = False\)",
    ):
        gn.compare(model, X, Y, "torch", steps=1)
    model.trainable = False
    with pytest.raises(ValueError, match=r"but first, last are frozen"):
        gn.compare(model, X, Y, "torch", steps=1)
