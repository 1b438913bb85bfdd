"""compile's Keras 3 arguments: loss_weights (the loss and its gradient scaled, as Keras scales a
one-output model's), and run_eagerly / steps_per_execution / jit_compile / auto_scale_loss.

Before, compile took (optimizer, loss, metrics, weighted_metrics): ``loss_weights`` and the four
run options were "unexpected keyword arguments", and Keras's positional
``compile("sgd", "mse", None, ["mae"])`` put the metrics in weighted_metrics' place. The Keras
numbers are computed here by running Keras 3.15.1 (KERAS_BACKEND=torch) on the same weights.
"""

from __future__ import annotations

import os
import warnings

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import check_gradients

X = np.random.default_rng(0).random((10, 2)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0]]) + 0.5).astype("float32")
W = np.linspace(0.0, 3.0, 10).astype("float32")


def ours(loss_weights=None, **options) -> gn.Sequential:
    net = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1, name="out")], seed=0)
    net.compile(gn.SGD(0.1), "mse", loss_weights=loss_weights, metrics=["mae"], **options)
    return net


def theirs(net: gn.Sequential, loss_weights=None) -> keras.Model:
    """The Keras twin of ``net``: the same layer, the same starting weights."""
    twin = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="out")])
    twin.set_weights(net.get_weights())
    twin.compile(keras.optimizers.SGD(0.1), "mse", loss_weights=loss_weights, metrics=["mae"])
    return twin


def close(got, expected) -> None:
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # float32 tolerance


@pytest.mark.parametrize("loss_weights", [2.0, 0.5, [2.0], (3.0,), {"out": 2.0}])
def test_loss_weights_scale_the_loss_and_its_gradient_as_kerass(loss_weights) -> None:
    net = ours(loss_weights)
    twin = theirs(net, loss_weights)
    keras_history = twin.fit(X, Y, batch_size=5, epochs=2, shuffle=False, verbose=0,
                             validation_data=(X[:4], Y[:4]))  # fmt: skip
    history = net.fit(X, Y, batch_size=5, epochs=2, shuffle=False, verbose=0,
                      validation_data=(X[:4], Y[:4]))  # fmt: skip
    for key in ("loss", "mae", "val_loss", "val_mae"):
        close(history.history[key], keras_history.history[key])
    for got, expected in zip(net.get_weights(), twin.get_weights(), strict=True):
        close(got, expected)
    close(net.evaluate(X, Y), twin.evaluate(X, Y, verbose=0))
    close(net.evaluate(X, Y, sample_weight=W), twin.evaluate(X, Y, sample_weight=W, verbose=0))
    close(net.train_on_batch(X, Y, sample_weight=W), twin.train_on_batch(X, Y, sample_weight=W))
    for got, expected in zip(net.get_weights(), twin.get_weights(), strict=True):
        close(got, expected)


def test_one_step_with_loss_weights_2_is_one_step_of_twice_the_gradient() -> None:
    """Exact in float64: C = 2 * mse, so the step is twice the unweighted step."""
    scaled, plain = (
        gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], dtype="float64", seed=0)
        for _ in range(2)
    )
    scaled.compile(gn.SGD(0.1), "mse", 2.0)
    plain.compile(gn.SGD(0.2), "mse")
    start = plain.get_weights()
    assert scaled.train_on_batch(X, Y) == pytest.approx(2 * plain.train_on_batch(X, Y), rel=1e-15)
    for got, expected in zip(scaled.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert not np.array_equal(start[0], plain.get_weights()[0])


def test_loss_weights_survive_a_model_file_and_old_files_load_unscaled(tmp_path) -> None:
    net = ours(2.0)
    net.save(tmp_path / "scaled.glassnet")
    loaded = gn.load_model(tmp_path / "scaled.glassnet")
    assert loaded.loss_weights == 2.0
    assert loaded.evaluate(X, Y) == net.evaluate(X, Y)
    plain = ours()
    plain.save(tmp_path / "plain.glassnet")  # no loss_weights entry, as files before it
    assert gn.load_model(tmp_path / "plain.glassnet").loss_weights is None


NOT_A_NUMBER = (
    "Expected loss_weights to be a number that scales the loss (e.g. 2.0), or a list or dict of "
    "one, got "
)
NOT_ABOVE_0 = "Expected loss_weights to be a finite number above 0, got "


@pytest.mark.parametrize(
    ("loss_weights", "error", "start"),
    [
        ("2", TypeError, NOT_A_NUMBER + "str '2'. Keras 3's third compile argument is"),
        ("<b>x</b>", TypeError, NOT_A_NUMBER + "str '<b>x</b>'."),
        (True, TypeError, NOT_A_NUMBER + "bool True."),
        (None, None, None),
        ([], ValueError, "Expected loss_weights as one number, or a list of one, for glassnet's "),
        ([1.0, 2.0], ValueError, "Expected loss_weights as one number, or a list of one"),
        (["accuracy"], TypeError, NOT_A_NUMBER + "str 'accuracy'. Keras 3's third"),
        ({}, ValueError, "Expected loss_weights as a dict of one entry"),
        ({"dense": 2.0}, ValueError, "loss_weights is keyed by 'dense', but the model's output "),
        (float("nan"), ValueError, NOT_ABOVE_0 + "nan: the loss and its gradient"),
        (float("inf"), ValueError, NOT_ABOVE_0 + "inf"),
        (1e39, ValueError, NOT_ABOVE_0 + "1e+39"),
        (10**400, ValueError, NOT_ABOVE_0 + "an integer of about 401 digits"),
        (0.0, ValueError, NOT_ABOVE_0 + "0.0"),
        (-1.0, ValueError, NOT_ABOVE_0 + "-1.0"),
        (np.array([2.0]), TypeError, NOT_A_NUMBER + "ndarray array([2.])."),
    ],
)
def test_loss_weights_it_cannot_honour_are_refused_and_change_nothing(
    loss_weights, error, start
) -> None:
    net = ours()
    if error is None:
        assert net.loss_weights is None
        return
    before = net.optimizer
    with pytest.raises(error) as caught:
        net.compile(gn.SGD(0.5), "mae", loss_weights)
    assert str(caught.value).startswith(start)
    assert net.optimizer is before and net.loss_weights is None  # nothing changed
    if isinstance(loss_weights, str | list) or error is ValueError:
        assert str(caught.value).endswith((".", "by name, e.g. compile('adam', 'mse', "
                                           "metrics=['mae']).", "e.g. loss_weights=2.0."))  # fmt: skip


def test_the_keyed_message_names_the_output_layer_and_the_fix() -> None:
    with pytest.raises(ValueError) as caught:
        ours({"dense": 2.0})
    assert str(caught.value) == (
        "loss_weights is keyed by 'dense', but the model's output layer is named 'out'. Use "
        "loss_weights={'out': ...}, or give the number alone, e.g. loss_weights=2.0."
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"run_eagerly": True},
        {"run_eagerly": False},
        {"steps_per_execution": 1},
        {"jit_compile": True},
        {"jit_compile": False},
        {"jit_compile": "auto"},
        {"auto_scale_loss": False},
        {"run_eagerly": np.True_, "auto_scale_loss": np.False_},
    ],
)
def test_kerass_run_options_are_taken_and_change_nothing(options) -> None:
    plain, optioned = ours(), ours(**options)
    assert (
        plain.fit(X, Y, epochs=2, verbose=0).history
        == optioned.fit(X, Y, epochs=2, verbose=0).history
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"run_eagerly": "yes"}, TypeError, "Expected compile's run_eagerly to be True or False, "
         "got str 'yes'. glassnet always runs eagerly in one float dtype, so either value "
         "changes nothing; leave run_eagerly out."),
        ({"auto_scale_loss": None}, TypeError, "Expected compile's auto_scale_loss to be True or "
         "False, got NoneType None. glassnet always runs eagerly in one float dtype, so either "
         "value changes nothing; leave auto_scale_loss out."),
        ({"jit_compile": "<script>"}, ValueError, "Expected compile's jit_compile to be 'auto', "
         "True or False, got '<script>'. glassnet compiles nothing (NumPy runs each step as "
         "written), so any of the three changes nothing; leave jit_compile out."),
        ({"jit_compile": np.ones(3)}, ValueError, "Expected compile's jit_compile to be 'auto', "
         "True or False, got array([1., 1., 1.]). glassnet compiles nothing"),
        ({"steps_per_execution": 4}, ValueError, "Expected compile's steps_per_execution to be "
         "1, got 4. glassnet runs one batch per step (as Keras's PyTorch backend, which also "
         "requires 1); leave steps_per_execution out."),
        ({"steps_per_execution": True}, ValueError, "Expected compile's steps_per_execution to "
         "be 1, got True."),
        ({"steps_per_execution": 1.0}, ValueError, "Expected compile's steps_per_execution to "
         "be 1, got 1.0."),
        ({"steps_per_execution": 10**400}, ValueError, "Expected compile's steps_per_execution "
         "to be 1, got an integer of about 401 digits."),
    ],
)  # fmt: skip
def test_run_options_that_mean_nothing_are_refused_clearly(options, error, message) -> None:
    net = ours()
    with pytest.raises(error) as caught:
        net.compile("adam", "mae", **options)
    assert str(caught.value).startswith(message)
    assert net.loss.name == "mean_squared_error"  # the refused compile changed nothing


def test_steps_per_execution_4_is_refused_by_kerass_torch_backend_too() -> None:
    twin = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    twin.compile("sgd", "mse", steps_per_execution=4)
    # (Keras also warns that its input ran out of data before it refuses)
    with (
        warnings.catch_warnings(record=True) as said,
        pytest.raises(ValueError, match="must be 1 with the PyTorch backend"),
    ):
        warnings.simplefilter("always")
        twin.fit(X, Y, verbose=0)
    assert any("ran out of data" in str(w.message) for w in said)


def test_gradcheck_and_explain_see_the_scaled_loss() -> None:
    """The cost the checker differentiates and the narrated step are compile's scaled C."""
    net = gn.Sequential([gn.Input((2,)), gn.layers.Dense(3, "tanh"), gn.layers.Dense(1)], seed=0)
    net.compile(gn.SGD(0.1), "mse", 3.0)
    assert check_gradients(net, X, Y).passed
    cost = float(np.asarray(net.trace_step(X, Y)["C"].value))
    assert cost == pytest.approx(net.evaluate(X, Y), rel=1e-6)
    assert "C" in net.explain(X, Y, level="expert", width=None)
