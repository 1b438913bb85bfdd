"""Keras's model API on Sequential: model(x), predict_on_batch, test_on_batch, the weights lists,
get_layer, input_shape/output_shape, pop, get_config/from_config/to_json, Dense(input_shape=)
(issue 19, "Names and model API"), each checked against Keras 3.15.1 where it is cheap."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet._layer_api import INPUT_SHAPE_WARNING

os.environ["KERAS_BACKEND"] = "torch"
import keras


def small_model(**kwargs) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Input(shape=(3,)),
            gn.layers.Dense(4, activation="relu", name="hidden"),
            gn.layers.BatchNormalization(),
            gn.layers.Dense(1, activation="sigmoid"),
        ],
        seed=0,
        **kwargs,
    )


def keras_twin(model: gn.Sequential) -> keras.Sequential:
    """The same network in Keras with the same weights."""
    twin = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, activation="relu", name="hidden"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    twin.set_weights(model.get_weights())
    return twin


X = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
Y = (X[:, :1] > 0).astype(np.float32)


# -- calling ------------------------------------------------------------------------------------
def test_call_is_predict_in_one_pass_and_matches_keras():
    model = small_model()
    np.testing.assert_array_equal(model(X), model.predict(X))
    np.testing.assert_array_equal(model.predict_on_batch(X), model.predict(X))
    theirs = keras_twin(model)(X, training=False).detach().numpy()
    np.testing.assert_allclose(model(X), theirs, rtol=1e-5, atol=1e-6)


def test_call_with_training_uses_batch_statistics_as_keras():
    model = small_model()
    twin = keras_twin(model)
    ours = model(X, training=True)
    theirs = twin(X, training=True).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert not np.allclose(ours, model(X))  # batch statistics differ from the moving ones


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (np.zeros((2, 5)), ValueError, r"Layer 'hidden' \(Dense\) expects input of shape "),
        (np.zeros((2, 3, 1)), ValueError, r"shape"),
        (np.array([[1.0, np.nan, 0.0]]), ValueError, r"NaN"),
        ([["<b>", "x", "y"]], (TypeError, ValueError), r"number"),
    ],
)
def test_call_refuses_bad_inputs(x, error, message):
    model = small_model()
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model(x)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_call_refuses_a_training_flag_that_is_not_a_bool():
    with pytest.raises(TypeError, match=r"Expected training=True or False, got 'yes'\."):
        small_model()(X, training="yes")


def test_call_reports_overflow():
    big = gn.initializers.Constant(1e38)
    model = gn.Sequential([gn.Input(shape=(1,)), gn.layers.Dense(1, kernel_initializer=big)])
    with pytest.raises(FloatingPointError, match=r"overflowed float32 \(inf or NaN\), first for"):
        model(np.array([[1.0], [10.0]]))


def test_test_on_batch_is_keras_loss_and_metrics():
    model = small_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    twin = keras_twin(model)
    twin.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    ours = model.test_on_batch(X, Y)
    theirs = twin.test_on_batch(X, Y)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert model.test_on_batch(X, Y, return_dict=True).keys() == {"loss", "accuracy"}
    with pytest.raises(ValueError, match=r"You must compile the model before test_on_batch\(\)"):
        small_model().test_on_batch(X, Y)


def test_return_dict_must_be_a_bool_and_is_checked_before_any_step():
    # before: return_dict="no" (truthy) gave a dict back, and train_on_batch took its step first
    model = small_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    weights = model.get_weights()
    calls = [
        ("test_on_batch", lambda: model.test_on_batch(X, Y, return_dict="no")),
        ("train_on_batch", lambda: model.train_on_batch(X, Y, return_dict="no")),
        ("evaluate", lambda: model.evaluate(X, Y, return_dict=1)),
    ]
    for who, call in calls:
        with pytest.raises(TypeError, match=rf"{who}: expected return_dict=True or False, got"):
            call()
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True))
    assert model.test_on_batch(X, Y, return_dict=np.True_).keys() == {"loss", "accuracy"}


# -- the weights lists ---------------------------------------------------------------------------
def shapes(arrays) -> list[tuple[int, ...]]:
    return [tuple(a.shape) for a in arrays]


def test_weights_lists_in_keras_order_with_a_frozen_layer():
    model, twin = small_model(), None
    model.get_layer("hidden").trainable = False
    twin = keras_twin(model)
    twin.get_layer("hidden").trainable = False
    assert shapes(model.weights) == shapes(twin.weights)
    assert shapes(model.trainable_weights) == shapes(twin.trainable_weights)
    assert shapes(model.non_trainable_weights) == shapes(twin.non_trainable_weights)
    # the arrays themselves, as Keras's variables: not copies
    assert model.weights[0] is model.get_layer("hidden").kernel


def test_summary_counts_trainable_and_non_trainable_as_keras():
    model = small_model()
    model.get_layer("hidden").trainable = False
    twin = keras_twin(model)
    twin.get_layer("hidden").trainable = False
    lines = []
    twin.summary(print_fn=lambda line, **kw: lines.append(line))
    text = "\n".join(lines)
    ours = model.summary_text()
    for label in ("Total params", "Trainable params", "Non-trainable params"):
        keras_count = text.split(label + ": ")[1].split(" ")[0]
        assert f"{label}: {keras_count}\n" in ours + "\n"


# -- get_layer ----------------------------------------------------------------------------------
def test_get_layer_by_name_and_index():
    model = small_model()
    assert model.get_layer("hidden") is model.layers[0]
    assert model.get_layer(index=0) is model.layers[0]
    assert model.get_layer(index=-1) is model.layers[-1]
    assert model.get_layer(name="batch_normalization").kind == "BatchNormalization"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "missing"}, ValueError, r"No layer named 'missing'\. The layers are: 'hidden', "),
        ({"name": "<script>x</script>"}, ValueError, r"No layer named '<script>x</script>'"),
        ({"name": "x" * 10_000}, ValueError, r"No layer named 'xxx.*\.\.\."),
        ({"index": 3}, ValueError, r"the model has 3 layers, so index runs from -3 to 2\."),
        ({"index": -4}, ValueError, r"get_layer\(index=-4\)"),
        ({"index": 1.0}, TypeError, r"index must be a whole number, got float 1.0"),
        ({"index": True}, TypeError, r"index must be a whole number, got bool"),
        ({"name": 0}, TypeError, r"name must be a string, got int 0"),
        ({}, ValueError, r"get_layer takes either a layer name or an index, not neither"),
        ({"name": "hidden", "index": 0}, ValueError, r"not both"),
    ],
)
def test_get_layer_refuses(kwargs, error, message):
    with pytest.raises(error, match=message):
        small_model().get_layer(**kwargs)


def test_get_layer_on_an_empty_model():
    with pytest.raises(ValueError, match=r"the model has 0 layers"):
        gn.Sequential().get_layer(index=0)
    with pytest.raises(ValueError, match=r"No layer named 'a'\. The layers are: none\."):
        gn.Sequential().get_layer("a")


# -- shapes -------------------------------------------------------------------------------------
def test_input_and_output_shape_have_the_batch_first_as_keras():
    model = small_model()
    twin = keras_twin(model)
    assert model.input_shape == twin.input_shape == (None, 3)
    assert model.output_shape == twin.output_shape == (None, 1)
    assert model.example_shape == (3,)
    images = gn.Sequential([gn.Input(shape=(8, 8, 1)), gn.layers.Conv2D(2, 3), gn.layers.Flatten()])
    assert images.input_shape == (None, 8, 8, 1) and images.output_shape == (None, 72)


def test_shapes_of_an_unbuilt_model_say_how_to_give_one():
    model = gn.Sequential([gn.layers.Dense(2)])
    with pytest.raises(AttributeError, match=r"has no input shape yet: start it with glassnet"):
        model.input_shape  # noqa: B018
    with pytest.raises(AttributeError, match=r"has no output shape yet"):
        model.output_shape  # noqa: B018
    model.build((None, 5))
    assert model.output_shape == (None, 2)


# -- pop ----------------------------------------------------------------------------------------
def test_pop_removes_the_last_layer_and_keeps_training_state():
    model = small_model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=2, verbose=0)
    moments = [m.copy() for m in model.optimizer.first_moments[:4]]
    steps = model.optimizer.iterations
    last = model.pop()
    assert last.kind == "Dense" and len(model.layers) == 2
    assert model.output_shape == (None, 4) and model.built
    assert model.optimizer.iterations == steps and len(model.optimizer.first_moments) == 4
    for kept, before in zip(model.optimizer.first_moments, moments, strict=True):
        np.testing.assert_array_equal(kept, before)
    model.add(gn.layers.Dense(1))
    model.fit(X, Y, epochs=1, verbose=0)  # trains on, with fresh state for the new layer
    assert len(model.optimizer.first_moments) == 6


def test_pop_matches_keras_and_refuses_an_empty_model():
    model, twin = small_model(), None
    twin = keras_twin(model)
    model.pop()
    twin.pop()
    assert model.output_shape == twin.output_shape
    assert shapes(model.weights) == shapes(twin.weights)
    unbuilt = gn.Sequential([gn.layers.Dense(2), gn.layers.Dense(1)])
    unbuilt.pop()
    unbuilt.add(gn.layers.Dense(1))  # the name is free again
    assert [layer.name for layer in unbuilt.layers] == ["dense", "dense_1"]
    unbuilt.compile(optimizer="adam", loss="mse")  # compiled, never built: no optimizer state
    for _ in range(2):
        unbuilt.pop()
    with pytest.raises(ValueError, match=r"pop\(\): the model has no layers to remove\."):
        unbuilt.pop()
    unbuilt.add(gn.layers.Dense(1))
    unbuilt.fit(X, Y, epochs=1, verbose=0)  # builds, and the optimizer with it
    assert len(unbuilt.optimizer.first_moments) == 2


# -- configuration ------------------------------------------------------------------------------
def test_get_config_keys_are_keras_keys():
    model = small_model()
    twin = keras_twin(model)
    ours, theirs = model.get_config(), twin.get_config()
    assert set(ours) <= set(theirs)
    assert ours["build_input_shape"] == list(theirs["build_input_shape"])
    dense, keras_dense = ours["layers"][0], theirs["layers"][1]["config"]
    assert set(dense) - {"class_name"} <= set(keras_dense)
    assert dense["class_name"] == theirs["layers"][1]["class_name"] == "Dense"
    assert dense["trainable"] is keras_dense["trainable"] is True


def test_config_and_json_round_trip_with_fresh_weights():
    model = small_model()
    model.get_layer("hidden").trainable = False
    again = gn.Sequential.from_config(model.get_config())
    assert again.get_config() == model.get_config()
    assert again.built and shapes(again.weights) == shapes(model.weights)
    assert again.get_layer("hidden").trainable is False
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Sequential"
    from_json = gn.models.model_from_json(text)
    assert from_json.get_config() == model.get_config()
    assert gn.models.model_from_json(text.encode()).get_config() == model.get_config()
    unbuilt = gn.Sequential([gn.layers.Dense(2)])
    assert not gn.Sequential.from_config(unbuilt.get_config()).built


def config_with(**changes):
    config = small_model().get_config()
    config.update(changes)
    return config


def dense_config(**changes):
    layer = {"class_name": "Dense", "name": "d", "units": 2}
    layer.update(changes)
    return {"layers": [layer], "build_input_shape": [None, 3]}


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        ("model", ValueError, r"expects the dict of model\.get_config\(\), with a 'layers' list"),
        ({"layers": "Dense"}, ValueError, r"with a 'layers' list"),
        (config_with(optimizer="adam"), ValueError, r"unknown entry 'optimizer'"),
        (config_with(dtype="float16"), ValueError, r"dtype must be 'float32' or 'float64'"),
        (config_with(name="<b>\n</b>"), ValueError, r"printable characters"),
        ({"layers": [{"class_name": "Attention"}]}, ValueError, r"Unknown layer 'Attention'"),
        ({"layers": ["<script>"]}, ValueError, r"layer 0's config must be a dict"),
        (
            {"layers": [{"class_name": "<img src=x onerror=alert(1)>"}]},
            ValueError,
            r"Unknown layer '<img src=x onerror=alert\(1\)>'\. Valid names: 'dense'",
        ),
        (dense_config(units=10**12), ValueError, r"the model has 4000000000000 parameters"),
        (dense_config(units=10**30), ValueError, r"Dense expects units to be a positive integer"),
        (dense_config(units=-1), ValueError, r"Dense expects units to be a positive integer"),
        (dense_config(units=1, bogus=2), TypeError, r"layer 0: .*bogus"),
        (dense_config(trainable="no"), TypeError, r"trainable to be True or False"),
        (dense_config(name=7), TypeError, r"layer 0's name to be a str"),
        ({"layers": [], "build_input_shape": [None, -3]}, ValueError, r"Expected input_shape"),
        (
            {"layers": [{"class_name": "Dense", "name": "d", "units": 1}] * 1001},
            ValueError,
            r"the config has 1001 layers; glassnet builds at most 1000",
        ),
        (
            keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).get_config(),
            ValueError,
            r"this config is Keras's own \(its dtype is a DTypePolicy dict\)",
        ),
        (
            {"layers": keras.Sequential([keras.layers.Dense(2)]).get_config()["layers"]},
            ValueError,
            r"layer 0's config is Keras's shape \(its arguments nested in a 'config' entry\)",
        ),
        (  # before: hand-written without 'module', "Dense got an unexpected keyword 'config'"
            {"layers": [{"class_name": "Dense", "config": {"units": 2}}]},
            ValueError,
            r"layer 0's config is Keras's shape .*glassnet's layer config is flat, e\.g\.",
        ),
    ],
)
def test_from_config_refuses_hostile_configs(config, error, message):
    with pytest.raises(error, match=message):
        gn.Sequential.from_config(config)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("{not json", ValueError, r"the header is not valid JSON"),
        ('{"class_name": "Sequential", "config": NaN}', ValueError, r"JSON numbers must be finite"),
        (
            '{"class_name": "Functional", "config": {}}',
            ValueError,
            r"builds Sequential models only",
        ),
        ("[]", ValueError, r"an object with \"class_name\": \"Sequential\""),
        (
            '{"class_name": "Sequential", "config": {"layers": [' + "1" * 50 + "]}}",
            ValueError,
            r"50-digit integer",
        ),
        ("x" * (1 << 20 + 1), ValueError, r"bytes; a model's JSON is at most 1048576"),
        (42, TypeError, r"expects the text of model\.to_json\(\) \(a str\), got int 42"),
        ("[" * 100_000, ValueError, r"not valid JSON"),
    ],
)
def test_model_from_json_refuses_hostile_text(text, error, message):
    with pytest.raises(error, match=message):
        gn.models.model_from_json(text)


# -- Dense(input_shape=...) / input_dim -------------------------------------------------------------
def test_dense_input_shape_and_input_dim_as_keras_with_its_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.layers.Dense(3, input_shape=(8,))
    assert str(caught[0].message) == INPUT_SHAPE_WARNING  # Keras 3.15.1's own text
    with pytest.warns(UserWarning, match="Do not pass an `input_shape`/`input_dim` argument") as w:
        model = gn.Sequential([gn.layers.Dense(3, input_shape=(8,)), gn.layers.Dense(1)])
    assert w[0].filename == __file__  # pointed at the caller's line, as Keras's
    assert model.input_shape == (None, 8) and model.built
    with pytest.warns(UserWarning):
        model = gn.Sequential([gn.layers.Dense(3, input_dim=8)])
    assert model.input_shape == (None, 8) and model.count_params() == 27
    with pytest.warns(UserWarning):
        both = gn.layers.Dense(3, input_shape=[8], input_dim=8)
    assert both.declared_input.shape == (8,)


def test_dense_input_shape_refused_when_it_is_not_a_shape():
    with pytest.warns(UserWarning), pytest.raises(ValueError, match=r"which disagree"):
        gn.layers.Dense(3, input_shape=(4,), input_dim=8)
    with pytest.warns(UserWarning), pytest.raises(TypeError, match=r"Input expects shape"):
        gn.layers.Dense(3, input_dim="8")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match=r"positive integer"):
        gn.layers.Dense(3, input_shape=(None, 8))


def test_input_shape_on_a_later_layer_is_ignored_as_keras_does():
    with pytest.warns(UserWarning):
        model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(3, input_shape=(9,))])
    assert model.input_shape == (None, 2)


def test_input_shape_on_any_first_layer():
    with pytest.warns(UserWarning, match="Do not pass an `input_shape`"):
        images = gn.Sequential(
            [gn.layers.Conv2D(2, 3, input_shape=(8, 8, 1)), gn.layers.Flatten(), gn.layers.Dense(1)]
        )
    assert images.input_shape == (None, 8, 8, 1) and images.built
    with pytest.warns(UserWarning):
        flat = gn.Sequential([gn.layers.Flatten(input_shape=(4, 4, 1)), gn.layers.Dense(1)])
    assert flat.output_shape == (None, 1)
    with (
        pytest.warns(UserWarning),
        pytest.raises(
            ValueError,
            match=r"A grayscale image has one channel: shape=\(28, 28, 1\), with x reshaped to "
            r"\(n, 28, 28, 1\)\.",
        ),
    ):
        gn.layers.Flatten(input_shape=(28, 28))  # Keras's MNIST spelling: glassnet wants channels
    with pytest.raises(ValueError, match=r"Input\(shape=\(28, 28, 1\)\)\.$"):
        gn.Input(shape=(28, 10**12))  # no hint for a shape that is no image
