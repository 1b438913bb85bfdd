"""The names a Keras script types: glassnet.models, glassnet.utils, activations.relu as a callable,
regularizers.l1/l2/l1_l2, losses.BinaryCrossentropy (issue 19, "Names and model API")."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import activations, losses, regularizers

os.environ["KERAS_BACKEND"] = "torch"
import keras
import torch


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(gn.__file__))}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


# -- glassnet.models ----------------------------------------------------------------------------
def test_models_namespace_without_importing_it():
    # before: AttributeError "module 'glassnet' has no attribute 'models'. Did you mean: 'model'?"
    result = run_python(
        "import glassnet\n"
        "m = glassnet.models.Sequential([glassnet.Input(shape=(2,)), glassnet.layers.Dense(1)])\n"
        "print(glassnet.models.load_model is glassnet.load_model, glassnet.utils.to_categorical)"
    )
    assert result.returncode == 0, result.stderr
    assert "Did you mean" not in result.stderr
    assert result.stdout.startswith("True <function to_categorical")


def test_models_names_are_glassnets():
    from glassnet.models import Sequential, clone_model, load_model, model_from_json, save_model

    assert Sequential is gn.Sequential and load_model is gn.load_model
    model = Sequential([gn.Input(shape=(3,)), gn.layers.Dense(2)], seed=0)
    twin = clone_model(model)
    assert twin.output_shape == (None, 2) and twin is not model
    assert model_from_json(model.to_json()).get_config() == model.get_config()
    assert callable(save_model)


def test_models_model_says_glassnet_has_only_sequential():
    with pytest.raises(AttributeError, match=r"glassnet has no Model class: Keras's functional"):
        gn.models.Model  # noqa: B018
    with pytest.raises(AttributeError, match=r"has no attribute 'Modle'"):
        gn.models.Modle  # noqa: B018
    with pytest.raises(TypeError, match="clone_model expects a glassnet Sequential model, got"):
        gn.models.clone_model("model")


# -- glassnet.utils -----------------------------------------------------------------------------
def test_to_categorical_matches_keras():
    labels = [0, 2, 1, 2]
    ours = gn.utils.to_categorical(labels)
    theirs = keras.utils.to_categorical(labels)
    assert ours.dtype == theirs.dtype == np.float64
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(
        gn.utils.to_categorical(labels, num_classes=5), keras.utils.to_categorical(labels, 5)
    )


def test_to_categorical_refuses_with_keras_names():
    with pytest.raises(ValueError, match=r"does not fit num_classes=2 .*Pass num_classes=3"):
        gn.utils.to_categorical([0, 2], num_classes=2)
    with pytest.raises(ValueError, match="Expected non-negative integer class labels"):
        gn.utils.to_categorical([-1, 0])


@pytest.fixture(autouse=True)
def global_seed_restored(monkeypatch):
    """set_random_seed's stream is put back after each test (monkeypatch restores it)."""
    monkeypatch.setattr(gn.utils, "_sequence", gn.utils._sequence)
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def test_set_random_seed_repeats_models_and_numpy():
    def draw() -> tuple[list[np.ndarray], float]:
        gn.utils.set_random_seed(3)
        first = gn.Sequential([gn.Input(shape=(4,)), gn.layers.Dense(2)])
        second = gn.Sequential([gn.Input(shape=(4,)), gn.layers.Dense(2)])
        return first.get_weights() + second.get_weights(), float(np.random.random())

    (weights_a, number_a), (weights_b, number_b) = draw(), draw()
    assert number_a == number_b
    for a, b in zip(weights_a, weights_b, strict=True):
        np.testing.assert_array_equal(a, b)
    # two models after one seeding draw different weights (each its own stream)
    assert not np.array_equal(weights_a[0], weights_a[2])
    # a model's own seed still wins over the global one
    gn.utils.set_random_seed(3)
    own = gn.Sequential([gn.Input(shape=(4,)), gn.layers.Dense(2)], seed=0).get_weights()[0]
    fresh = gn.Sequential([gn.Input(shape=(4,)), gn.layers.Dense(2)], seed=0).get_weights()[0]
    np.testing.assert_array_equal(own, fresh)


@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        (-1, ValueError, r"set_random_seed expects a seed in \[0, 2\*\*32 - 1\].*got -1"),
        (2**32, ValueError, r"got 4294967296\. Example: set_random_seed\(42\)"),
        (1.5, TypeError, r"expects a whole number in \[0, 2\*\*32 - 1\], got float 1.5"),
        (None, TypeError, "got NoneType None"),
        (True, TypeError, "got bool True"),
        ("<b>7</b>", TypeError, "got str '<b>7</b>'"),
    ],
)
def test_set_random_seed_refuses(seed, error, message):
    with pytest.raises(error, match=message):
        gn.utils.set_random_seed(seed)


# -- activations as callables ---------------------------------------------------------------
def test_lowercase_activations_are_callables_layers_take():
    z = np.array([[-1.0, 0.5]])
    np.testing.assert_array_equal(activations.relu(z), [[0.0, 0.5]])
    assert activations.relu is activations.relu  # one shared instance
    for name in activations.ACTIVATIONS:
        layer = gn.layers.Dense(2, activation=getattr(activations, name))
        assert layer.activation.name == name
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(2, activation=activations.tanh)], seed=0
    )
    reference = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(2, activation="tanh")], seed=0)
    np.testing.assert_array_equal(model.predict(z), reference.predict(z))
    with pytest.raises(AttributeError, match=r"'glassnet\.activations' has no attribute 'rleu'"):
        activations.rleu  # noqa: B018


def test_lowercase_activations_take_what_keras_activations_take():
    # before: activations.softmax([[1.0, 2.0]]) raised AttributeError 'list' object has no
    # attribute 'max', and relu("a") a bare TypeError from inside
    for name in ("relu", "sigmoid", "tanh", "softmax"):
        ours = getattr(activations, name)
        theirs = getattr(keras.activations, name)
        for z in ([[1.0, -2.0, 0.5]], [3, -1], np.array([[2, 0]])):
            expected = keras.ops.convert_to_numpy(theirs(np.asarray(z, dtype="float32")))
            np.testing.assert_allclose(ours(z), expected, rtol=1e-6, atol=1e-7)
    assert activations.relu(2.5) == 2.5
    for bad in ("ab", None, [[1], [2, 3]], np.array(["a"])):
        with pytest.raises(TypeError, match=r"activations\.relu expects numbers \(a NumPy array"):
            activations.relu(bad)
    with pytest.raises(ValueError, match=r"activations\.softmax works along the last axis"):
        activations.softmax(1.0)
    assert repr(activations.relu) == "ReLU()" and isinstance(activations.relu, activations.ReLU)


def test_keras_and_torch_activation_functions_are_taken_by_name():
    assert gn.layers.Dense(2, activation=keras.activations.relu).activation.name == "relu"
    assert gn.layers.Dense(2, activation=keras.activations.softmax).activation.name == "softmax"
    assert gn.layers.Activation(torch.tanh).activation.name == "tanh"
    assert gn.layers.Activation(torch.nn.functional.sigmoid).activation.name == "sigmoid"
    # Keras's leaky_relu function defaults to a slope of 0.2, PyTorch's to 0.01
    keras_leaky = gn.layers.Dense(2, activation=keras.activations.leaky_relu).activation
    torch_leaky = gn.layers.Dense(2, activation=torch.nn.functional.leaky_relu).activation
    z = np.array([[-1.0, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(
        keras_leaky(z), keras.activations.leaky_relu(torch.from_numpy(z)).numpy(), rtol=1e-7
    )
    np.testing.assert_allclose(
        torch_leaky(z), torch.nn.functional.leaky_relu(torch.from_numpy(z)).numpy(), rtol=1e-7
    )


def test_unknown_callable_activation_is_a_clear_error():
    def swish(x):
        return x

    with pytest.raises(
        TypeError,
        match=r"got the callable swish\. glassnet writes each activation's derivative by hand, "
        r"so it cannot train through an arbitrary function\. Valid names: 'linear'",
    ):
        gn.layers.Dense(2, activation=swish)

    def relu(x):  # a user's own function of a known name: not silently swapped for ours
        return x

    with pytest.raises(TypeError, match=r"Its name matches glassnet's: pass activation='relu'\."):
        gn.layers.Dense(2, activation=relu)
    with pytest.raises(TypeError, match=r"got the callable <lambda>\."):
        gn.layers.Activation(lambda z: z)
    with pytest.raises(TypeError, match=r"got the class ReLU\."):
        gn.layers.Dense(2, activation=activations.ReLU)
    with pytest.raises(TypeError, match=r"got the callable len\."):  # a builtin
        gn.layers.Dense(2, activation=len)


# -- regularizers and losses, Keras's spelling ---------------------------------------------------
def test_lowercase_regularizers_with_keras_defaults():
    assert regularizers.l2 is regularizers.L2 and regularizers.l1 is regularizers.L1
    assert regularizers.l1_l2 is regularizers.L1L2
    # the defaults Keras 3.15.1 gives (get_config of keras.regularizers.l2(), l1(), l1_l2())
    # (Keras keeps l1 in float32: 0.009999999776482582)
    assert regularizers.l2().get_config()["l2"] == keras.regularizers.l2().get_config()["l2"]
    assert regularizers.l1().l1 == pytest.approx(keras.regularizers.l1().get_config()["l1"])
    ours, theirs = regularizers.l1_l2().get_config(), keras.regularizers.l1_l2().get_config()
    assert (ours["l1"], ours["l2"]) == (theirs["l1"], theirs["l2"])
    layer = gn.layers.Dense(2, kernel_regularizer=regularizers.l2(0.001))
    assert layer.kernel_regularizer.l2 == 0.001
    with pytest.raises(ValueError, match=r"Expected l2 to be a finite number >= 0, got -1"):
        regularizers.l2(-1)


def test_keras_spelling_of_the_cross_entropies():
    assert losses.BinaryCrossentropy is losses.BinaryCrossEntropy
    assert losses.CategoricalCrossentropy is losses.CategoricalCrossEntropy
    assert losses.SparseCategoricalCrossentropy is losses.SparseCategoricalCrossEntropy
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile(optimizer="sgd", loss=losses.BinaryCrossentropy())
    y_true, y_pred = np.array([[1.0], [0.0]]), np.array([[0.8], [0.3]])
    ours = losses.BinaryCrossentropy().compute(y_true, y_pred)
    theirs = float(keras.losses.BinaryCrossentropy()(y_true, y_pred))
    assert ours == pytest.approx(theirs, rel=1e-6)  # Keras computes in float32
