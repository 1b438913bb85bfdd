"""The seed toy's fit and train_on_batch shortcuts (issue 20, round three) give what the readable
paths give, bit for bit, with the same errors at the same epoch:

- ``training.full_batch_epochs``, fit's tight loop for one unshuffled full batch per epoch with
  only fit's own callbacks and nothing logged but the loss, against ``run_epoch``'s loop (the
  shortcut switched off by ``full_batches_only``), and every case that must keep that loop;
- train_on_batch's cheaper checks: x's finiteness and the squared-error targets' bound decided
  by one ``np.vdot`` when it can, the errstate entered by NumPy 2's decorator, nothing
  remembered from one call to the next (an x changed in place is checked again).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import training
from glassnet.callbacks import Callback, History, TerminateOnNaN, TrainingDivergedError
from glassnet.seed import XOR_X, XOR_Y, seed_network
from helpers import diverging


def small_mse(dtype: str = "float64") -> gn.Sequential:
    """3 rows, a mean loss: the epoch's (0.0 + loss * 3) / 3 is not always the loss itself."""
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(3, "tanh"), gn.layers.Dense(2)],
        seed=5,
        dtype=dtype,
    )
    model.compile(optimizer=gn.SGD(0.3), loss="mse")
    return model


SMALL_X = np.array([[0.1, -0.7], [1.3, 0.4], [-0.9, 2.2]])
SMALL_Y = np.array([[0.5, -1.0], [0.25, 0.3], [1.7, -0.2]])


def fit_both_ways(
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[], gn.Sequential],
    x: Any,
    y: Any,
    make_callbacks: Callable[[], list[Callback] | None] = lambda: None,
    **options: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """fit twice on twin models (each with callbacks made anew): as it runs, and with
    full_batches_only saying no (run_epoch's loop). Each result: the history, its epochs, the
    weights, the optimizer's steps, the error's text (or None), stop_training, and whether
    full_batch_epochs ran."""

    def run(shortcut: bool) -> dict[str, Any]:
        ran: list[int] = []
        real = training.full_batch_epochs
        with monkeypatch.context() as patch:
            patch.setattr(training, "full_batch_epochs", lambda *a: ran.append(1) or real(*a))
            if not shortcut:
                patch.setattr(training, "full_batches_only", lambda *a, **k: False)
            model = make()
            model.rng = np.random.default_rng(11)  # the same shuffling both times
            error = None
            try:
                model.fit(x, y, callbacks=make_callbacks(), **options)
            except TrainingDivergedError as caught:
                error = str(caught)
        history = model.history
        return {
            "history": history.history,
            "epochs": history.epoch,
            "weights": model.get_weights(),
            "steps": model.optimizer.iterations,
            "error": error,
            "stop": model.stop_training,
            "shortcut": bool(ran),
        }

    return run(True), run(False)


def assert_same(fast: dict[str, Any], slow: dict[str, Any]) -> None:
    assert fast["history"] == slow["history"]  # floats compared exactly, NaN aside
    assert fast["epochs"] == slow["epochs"]
    assert fast["error"] == slow["error"]
    assert fast["steps"] == slow["steps"] and fast["stop"] == slow["stop"]
    for got, expected in zip(fast["weights"], slow["weights"], strict=True):
        np.testing.assert_array_equal(got, expected)
    assert not slow["shortcut"]


@pytest.mark.parametrize(
    "case",
    ["seed64", "seed32", "mean loss", "initial_epoch", "no epochs", "own History and guard"],
)
def test_full_batch_epochs_are_run_epochs_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    x, y = XOR_X, XOR_Y
    make: Callable[[], gn.Sequential] = seed_network
    options: dict[str, Any] = {"epochs": 60, "batch_size": 4, "shuffle": False, "verbose": 0}
    if case == "seed32":
        make = lambda: seed_network("float32")  # noqa: E731
    elif case == "mean loss":
        make, x, y = small_mse, SMALL_X, SMALL_Y
        options["batch_size"] = None  # min(32, n): the whole set
    elif case == "initial_epoch":
        options["initial_epoch"] = 45
    elif case == "no epochs":
        options["epochs"] = options["initial_epoch"] = 3
    elif case == "own History and guard":
        options["make_callbacks"] = lambda: [History(), TerminateOnNaN()]
    fast, slow = fit_both_ways(monkeypatch, make, x, y, **options)
    assert fast["shortcut"]
    assert_same(fast, slow)
    if case == "mean loss":  # the mean over 3 rows, as run_epoch divides it
        assert len(fast["history"]["loss"]) == 60
    if case == "no epochs":
        assert fast["history"] == {} and fast["epochs"] == []


class EpochEnd(Callback):
    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        pass


class BatchEnd(Callback):
    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        pass


@pytest.mark.parametrize(
    "options",
    [
        {"make_callbacks": lambda: [EpochEnd()]},  # a user's callback
        {"make_callbacks": lambda: [BatchEnd()]},
        {"validation_data": (XOR_X, XOR_Y)},
        {"validation_split": 0.25, "batch_size": 3},
        {"sample_weight": np.array([1.0, 2.0, 0.5, 1.0])},
        {"class_weight": {0: 1.0, 1: 3.0}},
        {"shuffle": True},
        {"verbose": 1},
        {"verbose": 2},
        {"batch_size": 2},
        {"trace_every": 7},
    ],
    ids=lambda options: next(iter(options)) + "=" + str(next(iter(options.values())))[:20],
)
def test_every_other_fit_keeps_the_epoch_loop(
    monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = {"epochs": 5, "batch_size": 4, "shuffle": False, "verbose": 0, **options}
    fast, slow = fit_both_ways(monkeypatch, seed_network, XOR_X, XOR_Y, **settings)
    assert not fast["shortcut"]
    assert_same(fast, slow)
    capsys.readouterr()


def test_metrics_keep_the_epoch_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    def make() -> gn.Sequential:
        model = seed_network()
        model.compile(optimizer=gn.SGD(1.0), loss=gn.losses.HalfSumSquaredError(), metrics=["mae"])
        return model

    options = {"epochs": 5, "batch_size": 4, "shuffle": False, "verbose": 0}
    fast, slow = fit_both_ways(monkeypatch, make, XOR_X, XOR_Y, **options)
    assert not fast["shortcut"] and list(fast["history"]) == ["loss", "mae"]
    assert_same(fast, slow)


def test_a_loss_that_becomes_inf_mid_fit_stops_at_the_same_epoch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = {"epochs": 400, "batch_size": 4, "shuffle": False, "verbose": 0}
    fast, slow = fit_both_ways(monkeypatch, diverging(3.0), XOR_X * 40.0, XOR_Y, **options)
    assert fast["shortcut"]
    assert fast["error"] is not None and "Training diverged at epoch " in fast["error"]
    epoch = int(fast["error"].split("at epoch ")[1].split(",")[0])
    assert 2 < epoch < 400 and ", batch 1: the loss became " in fast["error"]
    assert_same(fast, slow)
    # the history holds the epochs before the one that diverged (its on_epoch_end never ran)
    assert len(fast["history"]["loss"]) == epoch - 1


def test_a_quiet_guard_stops_at_the_same_epoch_with_the_nan_logged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    options = {
        "epochs": 400,
        "batch_size": 4,
        "shuffle": False,
        "verbose": 0,
        "make_callbacks": lambda: [TerminateOnNaN(raise_error=False)],
    }
    fast, slow = fit_both_ways(monkeypatch, diverging(3.0), XOR_X * 40.0, XOR_Y, **options)
    printed = capsys.readouterr().out.splitlines()
    assert fast["shortcut"] and fast["error"] is None and fast["stop"]
    assert len(printed) == 2 and printed[0] == printed[1]  # the same message, once each
    assert "Training diverged at epoch " in printed[0]
    losses = fast["history"]["loss"]
    assert not math.isfinite(losses[-1]) and all(math.isfinite(v) for v in losses[:-1])
    assert fast["history"].keys() == slow["history"].keys()
    assert str(losses) == str(slow["history"]["loss"])  # nan != nan: compared as text
    assert fast["epochs"] == slow["epochs"] and fast["steps"] == slow["steps"]
    for got, expected in zip(fast["weights"], slow["weights"], strict=True):
        np.testing.assert_array_equal(got, expected)


def test_a_weight_that_overflows_after_a_finite_loss_stops_the_full_batch_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loss before the update is finite (1e300); the update sends the weight to -inf: the
    weights' check names that epoch, as run_epoch's does."""

    def make() -> gn.Sequential:
        model = gn.Sequential(
            [gn.Input(shape=(1,)), gn.layers.Dense(1, use_bias=False)], seed=0, dtype="float64"
        )
        model.compile(optimizer=gn.SGD(1e38), loss="mse")
        model.set_weights([np.array([[1.0]])])
        return model

    options = {"epochs": 3, "batch_size": 1, "shuffle": False, "verbose": 0}
    fast, slow = fit_both_ways(monkeypatch, make, np.array([[1e150]]), np.array([[0.0]]), **options)
    assert fast["shortcut"] and fast["error"] is not None
    assert "at epoch 1, batch 1: the loss became inf" in fast["error"]
    assert fast["error"] == slow["error"] and fast["steps"] == slow["steps"] == 1


def test_the_full_batch_fit_runs_quietly_and_leaves_numpys_state_alone() -> None:
    """exp's overflow inside the loop is no warning (fit's errstate), and the state after fit,
    and after a fit that diverged, is the caller's."""
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = seed_network()
        model.fit(XOR_X * 1e3, XOR_Y, epochs=5, batch_size=4, shuffle=False, verbose=0)
        with pytest.raises(TrainingDivergedError):
            diverging(3.0)().fit(
                XOR_X * 40.0, XOR_Y, epochs=400, batch_size=4, shuffle=False, verbose=0
            )
    assert np.geterr() == before


def test_a_history_with_a_hook_of_its_own_is_still_called(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hook set on a History instance (as LambdaCallback sets its own) runs in the shortcut."""
    seen: list[int] = []

    def make_callbacks() -> list[Callback]:
        history = History()
        history.on_epoch_begin = lambda epoch, logs=None: seen.append(epoch)  # type: ignore
        return [history]

    options = {"epochs": 4, "batch_size": 4, "shuffle": False, "verbose": 0}
    fast, slow = fit_both_ways(
        monkeypatch, seed_network, XOR_X, XOR_Y, make_callbacks=make_callbacks, **options
    )
    assert fast["shortcut"] and seen == [0, 1, 2, 3, 0, 1, 2, 3]
    assert_same(fast, slow)


# -- train_on_batch ------------------------------------------------------------------------------
def test_an_x_changed_in_place_is_checked_again() -> None:
    """Nothing is remembered between calls: a NaN (or inf, or a wrong dtype) written into the
    same array is refused by the next call, before any update."""
    model = seed_network()
    x, y = XOR_X.copy(), XOR_Y.copy()
    model.train_on_batch(x, y)
    weights = model.get_weights()
    for value in (np.nan, np.inf, -np.inf):
        x[2, 1] = value
        with pytest.raises(ValueError, match=r"Input x contains NaN or infinity \(first at row 2"):
            model.train_on_batch(x, y)
        x[2, 1] = 0.0
        y[1, 0] = value
        with pytest.raises(ValueError) as caught:
            model.train_on_batch(x, y)
        assert "y" in str(caught.value)
        y[1, 0] = 1.0
    for got, expected in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, expected)  # no refused call changed a weight
    y[0, 0] = 1e200  # finite, but its square is not: the targets' bound, as before
    with pytest.raises(ValueError, match="too large"):
        model.train_on_batch(x, y)


def test_train_on_batch_keeps_its_answers_and_numpys_state() -> None:
    model, twin = seed_network(), seed_network()
    before = np.geterr()
    for _ in range(5):
        loss = model.train_on_batch(XOR_X, XOR_Y)
        with np.errstate(over="ignore", invalid="ignore"):
            expected, _ = twin._readable_step(XOR_X, XOR_Y)
        assert type(loss) is float and loss == expected
    assert np.geterr() == before
    for got, expected in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    logs = model.train_on_batch(XOR_X, XOR_Y, return_dict=True)
    assert list(logs) == ["loss"]
    with pytest.raises(TrainingDivergedError, match="Training diverged: the loss became inf"):
        diverging(1.0)().train_on_batch(XOR_X * 1e200, XOR_Y)
    assert np.geterr() == before


def test_the_small_arrays_finiteness_is_the_exact_check() -> None:
    """One np.vdot first (finite only if every entry is), else the exact check: the same answer
    for squares that overflow, NaN, inf, views, 0-d, empty and other dtypes."""
    from glassnet._validation import finite

    big32, big64 = np.finfo(np.float32).max, np.finfo(np.float64).max
    cases: list[np.ndarray] = [
        np.ones((4, 3)),
        np.full((2, 2), big32, np.float32),  # squares overflow: the exact check says finite
        np.full((2, 2), big64),
        np.array([[1e200, -1e200]]),
        np.array(3.0),
        np.array(np.nan),
        np.zeros((0, 3)),
        np.zeros((0, 3), np.float32),
        np.arange(12.0).reshape(3, 4)[:, ::2],  # not contiguous
        np.array([[1.0, 2.0]], np.float16),
        np.array([[np.inf, 2.0]], np.float16),
        np.array([[60000.0, 2.0]], np.float16),  # its square overflows float16
        np.array([[1, 2]]),  # integers: the exact check
    ]
    for value in (np.nan, np.inf, -np.inf):
        for dtype in ("float64", "float32"):
            bad = np.ones((4, 3), dtype)
            bad[3, 2] = value
            cases += [bad, bad.T, bad[::2]]
    for array in cases:
        assert finite(array) == bool(np.isfinite(array).all()), array


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_the_targets_bound_by_their_sum_of_squares_is_the_exact_bound(dtype: str) -> None:
    """squares_fit_as_given's early yes (y . y <= limit / 2) never says yes where the exact
    max |y| <= sqrt(limit) says no: values around both edges, in each dtype."""
    from glassnet.losses.base import _LARGEST, squares_fit_as_given

    kind = np.dtype(dtype)
    units, rows = 2, 4
    limit = _LARGEST[kind] / (units * rows)
    edges = [math.sqrt(limit / 2), math.sqrt(limit)]
    for edge in edges:
        for scale in (0.5, 0.999, 1.0, 1.001, 2.0):
            for spread in ("one", "all"):
                y = np.zeros((rows, units), kind)
                with np.errstate(over="ignore"):
                    if spread == "one":
                        y[1, 1] = edge * scale
                    else:
                        y[...] = edge * scale / math.sqrt(rows * units)
                exact = float(np.max(np.abs(y))) <= math.sqrt(limit)
                assert squares_fit_as_given(y, units, kind) == exact, (edge, scale, spread)


def test_the_plans_weights_check_is_all_finite_quietly() -> None:
    """StepPlan.weights_finite (flat views, made once, summed by f.dot(f)) answers as
    all_finite_quietly on the model's parameters, after set_weights writes into them in place:
    finite, squares past float64, NaN, inf; and without views (a parameter not contiguous)."""
    from glassnet._step_plan import plan_for
    from glassnet._validation import all_finite_quietly

    model = seed_network()
    plan = plan_for(model)
    assert plan.flat is not None
    assert all(v.base is p for v, p in zip(plan.flat, plan.parameters, strict=True))
    start = model.get_weights()
    for value in (0.5, 1e200, -1e300, np.nan, np.inf, -np.inf):
        model.set_weights(start)
        # written in place, as an overflowing update writes (set_weights refuses NaN and inf)
        model.layers[1].kernel[2, 0] = value
        with np.errstate(over="ignore", invalid="ignore"):
            expected = all_finite_quietly(model._parameters)
            assert plan.weights_finite() == expected, value
            plan.flat, views = None, plan.flat
            assert plan.weights_finite() == expected, value
            plan.flat = views
    assert plan_for(model) is plan


def test_built_and_the_width_check_read_as_before() -> None:
    """``built`` (a plain loop now) and ``_check_width`` (the shape read once) answer as the
    expressions they replace: no layers, an unbuilt layer, every layer built; a width unknown,
    the right one, a wrong one (the same message)."""
    empty = gn.Sequential()
    assert empty.built is False
    lazy = gn.Sequential([gn.layers.Dense(2), gn.layers.Dense(1)])
    assert lazy.built is False and lazy.example_shape is None
    lazy._check_width(np.ones((2, 7)), "x")  # unknown yet: adopted, not refused
    model = seed_network()
    assert model.built is True
    model.layers[1].built = False
    assert model.built is (bool(model.layers) and all(layer.built for layer in model.layers))
    model.layers[1].built = True
    model._check_width(XOR_X, "x")
    with pytest.raises(ValueError) as caught:
        model.train_on_batch(np.ones((4, 5)), XOR_Y)
    assert str(caught.value) == (
        "Layer 'dense' (Dense) expects input of shape (batch, 3), but x has shape (4, 5). "
        "Give every example 3 features, or build a new model for 5 features."
    )
