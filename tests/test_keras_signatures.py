"""fit, evaluate and predict take their positional arguments in Keras 3's order.

Before, ``evaluate``'s fifth argument was ``return_dict`` where Keras's is ``sample_weight``, and
``fit(x, y, 32, 10)`` meant 32 epochs of batches of 10 in glassnet but batches of 32 for 10 epochs
in Keras: the same call trained differently, silently. Keras's order is read by running Keras
3.15.1 (KERAS_BACKEND=torch), so it cannot drift from what is written here.
"""

from __future__ import annotations

import inspect
import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn

METHODS = [
    "compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch",
]  # fmt: skip


def positional(function) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    parameters = inspect.signature(function).parameters.values()
    return [p.name for p in parameters if p.kind in kinds and p.name != "self"]


@pytest.mark.parametrize("method", METHODS)
def test_the_positional_arguments_are_kerass_in_kerass_order(method) -> None:
    ours = positional(getattr(gn.Sequential, method))
    theirs = positional(getattr(keras.Model, method))
    assert ours == theirs[: len(ours)], (ours, theirs)


@pytest.mark.parametrize("method", ["compile", "evaluate", "predict"])
def test_compile_evaluate_and_predict_have_every_positional_argument_keras_has(method) -> None:
    """Before, compile's third argument was metrics (Keras's is loss_weights), and evaluate and
    predict lacked Keras's steps and callbacks ("unexpected keyword argument 'steps'")."""
    assert positional(getattr(gn.Sequential, method)) == positional(getattr(keras.Model, method))


def test_fit_positional_order_has_every_argument_glassnet_shares_with_keras() -> None:
    assert positional(gn.Sequential.fit) == [
        "x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split",
        "validation_data", "shuffle", "class_weight", "sample_weight", "initial_epoch",
    ]  # fmt: skip
    keyword_only = inspect.signature(gn.Sequential.fit).parameters
    assert keyword_only["validation_freq"].kind is inspect.Parameter.KEYWORD_ONLY
    assert keyword_only["validation_steps"].kind is inspect.Parameter.KEYWORD_ONLY
    assert keyword_only["validation_batch_size"].kind is inspect.Parameter.KEYWORD_ONLY
    assert keyword_only["trace_every"].kind is inspect.Parameter.KEYWORD_ONLY


def data():
    x = np.random.default_rng(0).random((12, 2))
    return x, x @ np.array([[1.0], [-2.0]]) + 0.5


def model():
    net = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], dtype="float64", seed=0)
    net.compile(gn.SGD(0.1), "mse", metrics=["mae"])
    return net


def test_fit_x_y_32_10_is_batch_size_then_epochs_as_in_keras() -> None:
    x, y = data()
    positional_run, named_run = model(), model()
    history = positional_run.fit(x, y, 4, 3, 0)
    named = named_run.fit(x, y, batch_size=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert positional_run.optimizer.iterations == 3 * 3  # 3 epochs of 12 / 4 batches
    assert history.history == named.history
    for got, expected in zip(positional_run.get_weights(), named_run.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_fit_takes_sample_weight_in_kerass_eleventh_place() -> None:
    x, y = data()
    weights = np.linspace(0.0, 2.0, 12)
    first, second = model(), model()
    first.fit(x, y, 12, 2, 0, None, 0.0, None, False, None, weights)
    second.fit(x, y, batch_size=12, epochs=2, verbose=0, shuffle=False, sample_weight=weights)
    for got, expected in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_fit_past_initial_epoch_is_keyword_only() -> None:
    x, y = data()
    net = model()
    with pytest.raises(TypeError, match=r"positional argument"):
        net.fit(x, y, 4, 1, 0, None, 0.0, None, True, None, None, 0, 5)  # Keras: steps_per_epoch
    assert net.optimizer.iterations == 0


def test_evaluates_fifth_argument_is_sample_weight_as_in_keras() -> None:
    x, y = data()
    net = model()
    weights = np.r_[np.zeros(6), np.ones(6)]
    weighted = net.evaluate(x, y, None, 0, weights)
    assert weighted == net.evaluate(x, y, sample_weight=weights)
    assert weighted != net.evaluate(x, y)
    assert net.evaluate(x, y, None, 0, weights, return_dict=True)["loss"] == weighted[0]
    with pytest.raises(TypeError, match=r"^evaluate: expected steps to be None \(all of x\)"):
        net.evaluate(x, y, None, 0, None, True)  # Keras's sixth is steps, not return_dict
    assert net.evaluate(x, y, None, 0, weights, None, None, True)["loss"] == weighted[0]


def test_compiles_third_argument_is_loss_weights_and_fourth_metrics_as_in_keras() -> None:
    """Before, compile("sgd", "mse", None, ["mae"]) (a Keras script's metrics, in Keras's fourth
    place) was refused as weighted_metrics, and compile("sgd", "mse", ["mae"]) took metrics."""
    x, y = data()
    net = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], dtype="float64", seed=0)
    net.compile(gn.SGD(0.1), "mse", None, ["mae"])
    assert net.metric_names == ["mae"]
    assert list(net.evaluate(x, y, return_dict=True)) == ["loss", "mae"]
    with pytest.raises(TypeError) as caught:
        net.compile(gn.SGD(0.1), "mse", ["mae"])  # glassnet's old order: now loss_weights
    assert str(caught.value) == (
        "Expected loss_weights to be a number that scales the loss (e.g. 2.0), or a list or dict "
        "of one, got str 'mae'. Keras 3's third compile argument is loss_weights, and metrics "
        "come fourth: pass metrics=[...] by name, e.g. compile('adam', 'mse', metrics=['mae'])."
    )
    assert net.metric_names == ["mae"]  # the refused compile changed nothing


@pytest.mark.parametrize("verbose", ["auto", 0, 1, 2, np.int64(1), True, False, np.True_])
def test_evaluate_and_predict_take_kerass_verbose_values(verbose) -> None:
    """Before, verbose=True (an int in Python, 1 to Keras) was refused by all three methods."""
    x, y = data()
    net = model()
    assert len(net.evaluate(x, y, verbose=verbose)) == 2
    assert net.predict(x, verbose=verbose).shape == (12, 1)
    assert len(net.fit(x, y, epochs=1, verbose=verbose).history["loss"]) == 1


@pytest.mark.parametrize(("verbose", "shown"), [(True, "Epoch 1/1"), (False, "")])
def test_fit_takes_verbose_true_as_kerass_1_and_false_as_0(verbose, shown, capsys) -> None:
    x, y = data()
    model().fit(x, y, epochs=1, verbose=verbose)
    out = capsys.readouterr().out
    assert (shown in out) if shown else out == ""


@pytest.mark.parametrize(
    "verbose", ["garbage", "<b>1</b>", 3, -1, 1.0, float("nan"), None, 10**400]
)
def test_evaluate_and_predict_refuse_a_verbose_keras_would_not_take(verbose) -> None:
    """Before, evaluate and predict took any verbose at all, "garbage" included, and ignored it."""
    x, y = data()
    net = model()
    for call, method in ((lambda: net.evaluate(x, y, verbose=verbose), "evaluate"),
                         (lambda: net.predict(x, verbose=verbose), "predict")):  # fmt: skip
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value).startswith("Expected verbose to be 'auto', 0, 1 or 2 as in Keras")
        assert str(caught.value).endswith(
            f"{method} draws no progress bar whichever you pass; leave verbose out."
        )
    if verbose == 1.0:
        return  # fit takes 1.0 as 1 (its own check, as Keras does); evaluate/predict refuse it
    with pytest.raises(ValueError) as caught:
        net.fit(x, y, epochs=1, verbose=verbose)
    assert str(caught.value).startswith(
        "Expected verbose to be 0 (silent), 1 (a progress bar) or 2 (one line per epoch), got "
    )
    assert net.optimizer.iterations == 0  # refused before any step


def test_fit_takes_kerass_default_verbose_auto_as_a_progress_bar(capsys) -> None:
    x, y = data()
    model().fit(x, y, epochs=1, verbose="auto")
    assert "Epoch 1/1" in capsys.readouterr().out


def test_summary_takes_kerass_line_length_first() -> None:
    """Before: summary(80) (Keras's line_length=80) raised "'int' object is not callable"; then
    it was refused. Now it is Keras's line_length, and summary(print) is still print_fn."""
    net = model()
    lines: list[str] = []
    net.summary(80, print_fn=lines.append)
    assert max(len(line) for line in lines[0].splitlines()) == 80
    net.summary(lines.append)  # a function in line_length's place: print_fn
    assert lines[1] == net.summary_text()


@pytest.mark.parametrize("line_length", ["<b>x</b>", 1e300, True, [80]])
def test_summary_refuses_a_line_length_that_is_not_a_whole_number(line_length) -> None:
    with pytest.raises(TypeError, match=r"^Expected line_length to be a whole number"):
        model().summary(line_length)


def test_summary_print_fn_none_prints_as_kerass_default(capsys) -> None:
    model().summary(print_fn=None)
    assert capsys.readouterr().out.startswith('Model: "sequential')
