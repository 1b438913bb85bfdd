"""The step plan's ``dense_step`` (glassnet/_step_plan.py, issue 20): a chain of small Dense
layers (the seed toy) with the layers' small-array branch, the sigmoid, HalfSumSquaredError and
plain SGD with rate 1 written out in the step. It gives ``_readable_step``'s numbers bit for
bit: the losses, the outputs, the weights and what each layer keeps (a_prev, z, a, delta, dC/dW,
dC/db), for float64 and float32, every activation and loss it takes, and the errors of a
diverging step; the plan is made again when what it decided changes between steps (an
activation, a regularizer, SGD's rate or momentum); and train_on_batch's ``_batch_data`` returns
what ``_data`` returns, or raises its error, for good and hostile batches.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers
from glassnet._step_plan import StepPlan, plan_for
from glassnet.callbacks import TrainingDivergedError
from glassnet.seed import XOR_X, XOR_Y, seed_network
from helpers import diverging

KEPT = ("a_prev", "z", "a", "delta", "kernel_gradient", "bias_gradient")


def assert_same_state(fast: gn.Sequential, slow: gn.Sequential) -> None:
    for got, expected in zip(fast.get_weights(), slow.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype
    for mine, theirs in zip(fast.layers, slow.layers, strict=True):
        for name in KEPT:
            if hasattr(theirs, name):
                got, expected = getattr(mine, name), getattr(theirs, name)
                np.testing.assert_array_equal(got, expected, name)
                assert np.asarray(got).dtype == np.asarray(expected).dtype, name
    assert fast.optimizer.iterations == slow.optimizer.iterations


def readable_step(model: gn.Sequential, x: np.ndarray, y: np.ndarray) -> tuple[float, Any]:
    """The readable step with ``_train_step``'s errstate and train_on_batch's checks after it."""
    with np.errstate(over="ignore", invalid="ignore"):
        return model._readable_step(x, y)


def plan_step(model: gn.Sequential, x: np.ndarray, y: np.ndarray) -> tuple[float, Any]:
    with np.errstate(over="ignore", invalid="ignore"):
        return model._train_step(x, y)


def same_steps(
    make: Callable[[], gn.Sequential], x: Any, y: Any, count: int = 6, dense: bool = True
) -> tuple[gn.Sequential, gn.Sequential]:
    """``count`` steps of twin models, one through the plan, one through the readable step;
    the plan must (or must not) take dense_step. Returns the twins."""
    fast, slow = make(), make()
    x, y = fast._data(x, y)
    for _ in range(count):
        loss, a = plan_step(fast, x, y)
        expected_loss, expected_a = readable_step(slow, x, y)
        assert loss == expected_loss or (np.isnan(loss) and np.isnan(expected_loss))
        assert type(loss) is type(expected_loss)
        np.testing.assert_array_equal(a, expected_a)
        assert a.dtype == expected_a.dtype
    plan = plan_for(fast)
    assert (plan.dense and len(x) < plan.small_rows) is dense
    if dense:  # forward_in_step's small branch: a backward called by hand makes new arrays
        assert not any(layer._in_step for layer in fast.layers)
    assert_same_state(fast, slow)
    return fast, slow


def chain(
    activations: tuple[Any, ...] = ("sigmoid", "tanh", "relu", "linear"),
    loss: Any = "mse",
    optimizer: Callable[[], Any] = lambda: gn.SGD(0.3),
    dtype: str = "float64",
    use_bias: bool = True,
    **extra: Any,
) -> Callable[[], gn.Sequential]:
    def make() -> gn.Sequential:
        layers = [
            gn.layers.Dense(units, activation, use_bias=use_bias, **extra)
            for units, activation in zip((5, 4, 3, 2), activations, strict=False)
        ]
        model = gn.Sequential([gn.Input(shape=(3,)), *layers], seed=4, dtype=dtype)
        model.compile(optimizer=optimizer(), loss=loss)
        return model

    return make


ROWS = np.array([[0.2, -1.1, 0.7], [1.5, 0.3, -0.4], [-0.8, 0.9, 2.1], [0.1, 0.0, -2.2]])


def targets(units: int) -> np.ndarray:
    return np.random.default_rng(3).uniform(0.0, 1.0, size=(len(ROWS), units))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_seed_toy_takes_dense_step_with_the_readable_numbers(dtype: str) -> None:
    fast, _ = same_steps(lambda: seed_network(dtype), XOR_X, XOR_Y, count=60)
    plan = plan_for(fast)
    assert plan.half_sum and plan.sgd_one
    assert [sigmoid for _, sigmoid in plan.chain] == [True, True]


@pytest.mark.parametrize(
    "make, units",
    [
        (chain(), 2),  # biases; sigmoid, tanh, relu, linear
        (chain(dtype="float32"), 2),
        (chain(("sigmoid", "sigmoid", "softmax")), 3),  # softmax with mse: not fused
        (chain(("tanh", "sigmoid"), loss=gn.losses.HalfSumSquaredError()), 4),
        (chain(("sigmoid",), loss="mae"), 5),  # one layer: no dC/da0
        (chain(("sigmoid", "sigmoid"), loss="huber", use_bias=False), 4),
        (chain(loss=gn.losses.HalfSumSquaredError(), optimizer=lambda: gn.SGD(1.0)), 2),
        (chain(("sigmoid", "sigmoid"), optimizer=lambda: gn.SGD(1.0, momentum=0.9)), 4),
        (chain(("sigmoid", "sigmoid"), optimizer=lambda: gn.SGD(1.0, weight_decay=0.1)), 4),
        (chain(("sigmoid", "elu"), optimizer=lambda: gn.SGD(1.0, clipnorm=0.5)), 4),
        (chain(optimizer=lambda: gn.Adam(0.05)), 2),
        (chain(optimizer=lambda: gn.RMSprop(0.01)), 2),
        # the shared activations.sigmoid is a subclass of Sigmoid: its own methods are called
        (chain((gn.activations.sigmoid, gn.activations.sigmoid)), 4),
    ],
)
def test_every_dense_chain_takes_dense_step_with_the_readable_numbers(
    make: Callable[[], gn.Sequential], units: int
) -> None:
    same_steps(make, ROWS, targets(units))


@pytest.mark.parametrize(
    "make, units",
    [
        (chain(("relu", "sigmoid"), loss="binary_crossentropy"), 4),  # fused with the loss
        (chain(("relu", "softmax"), loss="categorical_crossentropy"), 4),
        (chain(kernel_regularizer=gn.regularizers.L2(0.01)), 2),  # a penalty in the cost
    ],
)
def test_a_chain_dense_step_leaves_alone_keeps_the_plan_step(
    make: Callable[[], gn.Sequential], units: int
) -> None:
    y = targets(units)
    if units == 4 and make().loss.name == "categorical_crossentropy":
        y = np.eye(4)[[0, 2, 1, 3]]
    same_steps(make, ROWS, y, dense=False)


def test_frozen_layers_dropout_and_big_batches_keep_the_plan_step() -> None:
    def frozen() -> gn.Sequential:
        model = chain(("sigmoid", "sigmoid"))()
        model.layers[0].trainable = False
        return model

    same_steps(frozen, ROWS, targets(4), dense=False)

    def dropout() -> gn.Sequential:
        model = gn.Sequential(
            [gn.Input(shape=(3,)), gn.layers.Dense(4), gn.layers.Dropout(0.5), gn.layers.Dense(2)],
            seed=1,
            dtype="float64",
        )
        model.compile(optimizer=gn.SGD(0.1), loss="mse")
        return model

    same_steps(dropout, ROWS, targets(2), dense=False)
    # a batch from which a layer reuses its arrays (batch x its wider side >= REUSE_FROM)
    rows = np.random.default_rng(0).normal(size=(700, 3))
    same_steps(chain(("sigmoid", "sigmoid")), rows, np.ones((700, 4)), count=3, dense=False)
    small = chain(("sigmoid", "sigmoid"))()
    assert plan_for(small).small_rows == 2048 // 5 + 1  # the first layer's (3, 5) kernel
    below = rows[: plan_for(small).small_rows - 1]
    same_steps(chain(("sigmoid", "sigmoid")), below, np.ones((len(below), 4)), count=2)


def test_sample_weights_keep_the_plan_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StepPlan, "dense_step", None)  # would raise if it were called
    fast, slow = seed_network(), seed_network()
    weights = np.array([0.5, 1.0, 2.0, 0.0])
    for _ in range(3):
        loss = fast.train_on_batch(XOR_X, XOR_Y, sample_weight=weights)
        with np.errstate(over="ignore", invalid="ignore"):
            assert loss == slow._readable_step(XOR_X, XOR_Y, weights)[0]
    assert_same_state(fast, slow)


CHANGES: dict[str, Callable[[gn.Sequential], None]] = {
    "an activation": lambda m: setattr(m.layers[0], "activation", gn.activations.get("tanh")),
    "the sigmoid back": lambda m: setattr(m.layers[0], "activation", gn.activations.get("sigmoid")),
    "a regularizer": lambda m: setattr(m.layers[1], "kernel_regularizer", gn.regularizers.L1(0.1)),
    "no regularizer": lambda m: setattr(m.layers[1], "kernel_regularizer", None),
    "the rate": lambda m: setattr(m.optimizer, "learning_rate", 0.5),
    "momentum": lambda m: setattr(m.optimizer, "momentum", 0.9),
    "no momentum": lambda m: setattr(m.optimizer, "momentum", 0.0),
    "the rate back": lambda m: setattr(m.optimizer, "learning_rate", 1.0),
    "a schedule": lambda m: setattr(
        m.optimizer, "learning_rate", gn.optimizers.schedules.ExponentialDecay(1.0, 1, 0.5)
    ),
    "no schedule": lambda m: setattr(m.optimizer, "schedule", None),
    "clipvalue": lambda m: setattr(m.optimizer, "clipvalue", 0.01),
    "weight decay": lambda m: (
        setattr(m.optimizer, "clipvalue", None),
        setattr(m.optimizer, "weight_decay", 0.5),
    ),
    "the loss": lambda m: setattr(m, "loss", gn.losses.MeanSquaredError()),
    "freeze a layer": lambda m: setattr(m.layers[1], "trainable", False),
}


def test_the_plan_follows_every_change_between_steps() -> None:
    """Each change, made to both twins between steps, takes effect at the next step as in the
    readable step; the plan is made again whenever one changes what dense_step decided."""
    fast, slow = seed_network(), seed_network()
    for name, change in CHANGES.items():
        before = plan_for(fast)
        for model in (fast, slow):
            change(model)
        assert plan_for(fast) is not before, name
        for _ in range(3):
            loss, _ = plan_step(fast, XOR_X, XOR_Y)
            assert loss == readable_step(slow, XOR_X, XOR_Y)[0], name
        assert_same_state(fast, slow)
    plan = plan_for(fast)
    assert plan_for(fast) is plan  # nothing changed: the same plan


def test_dense_step_diverges_with_the_readable_errors() -> None:
    """A Linear chain (dense_step's path for activations it does not write out) sent to inf by
    a large rate, and an x of huge numbers: train_on_batch's loss and weights checks say what
    they say after the readable step, at the same call."""
    for make, x in (
        (diverging(1.0), XOR_X * 1e200),
        (diverging(1e5), XOR_X),
        (seed_network, XOR_X),
    ):
        fast, slow = make(), make()
        errors: list[str | None] = []
        for model, step in ((fast, None), (slow, "readable")):
            error = None
            try:
                for _ in range(40):
                    if step is None:
                        model.train_on_batch(x, XOR_Y)
                    else:
                        with pytest.MonkeyPatch.context() as patch:
                            patch.setattr(
                                gn.Sequential, "_train_step", gn.Sequential._readable_step
                            )
                            patch.setattr(StepPlan, "step", lambda _, m, *a: m._readable_step(*a))
                            model.train_on_batch(x, XOR_Y)
            except TrainingDivergedError as caught:
                error = str(caught)
            errors.append(error)
        assert errors[0] == errors[1]
        assert_same_state(fast, slow)
    assert errors[0] is None  # the seed toy does not diverge


def test_plain_sgd_with_rate_one_is_the_base_apply_for_any_dtypes() -> None:
    """SGD.apply's rate-1 branch (param -= grad, 1.0 * g == g) against the base class's update,
    with a gradient of the parameter's dtype and of another one."""
    rng = np.random.default_rng(8)
    for grad_dtype in ("float64", "float32"):
        params = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=2)]
        twin = [p.copy() for p in params]
        fast, slow = gn.SGD(1.0), gn.SGD(1.0)
        fast.build(params)
        slow.build(twin)
        for _ in range(3):
            grads = [rng.normal(size=p.shape).astype(grad_dtype) for p in params]
            fast.apply(params, grads)
            optimizers.Optimizer.apply(slow, twin, grads)
            for got, expected in zip(params, twin, strict=True):
                np.testing.assert_array_equal(got, expected)
                assert got.dtype == expected.dtype
        assert fast.iterations == slow.iterations == 3


# -- train_on_batch's _batch_data is _data -----------------------------------------------------
class Sub(np.ndarray):
    """An ndarray subclass: not a plain array, so _data's own checks read it."""


def hostile_batches() -> list[tuple[str, Any, Any]]:
    x, y = XOR_X.copy(), XOR_Y.copy()
    cases: list[tuple[str, Any, Any]] = [
        ("good", x, y),
        ("x float32", x.astype(np.float32), y),
        ("x ints", x.astype(int), y),
        ("x list", x.tolist(), y),
        ("x 1-D", x[0], y),
        ("x 3-D", x[:, :, None], y),
        ("x no rows", x[:0], y[:0]),
        ("x no columns", x[:, :0], y),
        ("x wide", np.ones((4, 5)), y),
        ("x narrow", np.ones((4, 2)), y),
        ("x Fortran", np.asfortranarray(x), y),
        ("x a view", np.ones((4, 6))[:, ::2], y),
        ("x a subclass", x.view(Sub), y),
        ("x huge", x * 1e300, y),  # finite, but x . x overflows: the exact check says finite
        ("x None", None, y),
        ("x text", np.array([["a", "b", "c"]] * 4), y),
        ("x complex", x.astype(complex), y),
        ("y float32", x, y.astype(np.float32)),
        ("y ints", x, y.astype(int)),
        ("y list", x, y.tolist()),
        ("y 1-D", x, y[:, 0]),
        ("y wide", x, np.ones((4, 2))),
        ("y short", x, y[:3]),
        ("y long", x, np.ones((5, 1))),
        ("y past the bound", x, y * 1e200),
        ("y None", x, None),
        ("y text", x, np.array([["a"]] * 4)),
    ]
    for value in (np.nan, np.inf, -np.inf):
        bad_x, bad_y = x.copy(), y.copy()
        bad_x[3, 1] = value
        bad_y[2, 0] = value
        cases += [
            (f"x {value}", bad_x, y),
            (f"y {value}", x, bad_y),
            (f"both {value}", bad_x, bad_y),  # x's error first
            (f"x {value} and wide", np.hstack([bad_x, bad_x]), y),
        ]
    return cases


def outcome(call: Callable[[], tuple[Any, Any]]) -> tuple[str, Any]:
    try:
        return "ok", call()
    except (ValueError, TypeError) as caught:
        return type(caught).__name__, str(caught)


def unbuilt() -> gn.Sequential:
    model = gn.Sequential([gn.layers.Dense(2), gn.layers.Dense(1)], dtype="float64")
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize(
    "make",
    [
        seed_network,
        lambda: seed_network("float32"),
        chain(("sigmoid", "softmax"), loss="sparse_categorical_crossentropy"),
        unbuilt,  # adopts x's width
    ],
)
def test_batch_data_is_data_for_good_and_hostile_batches(make: Callable[[], gn.Sequential]) -> None:
    """The same arrays (x itself where _data returns it) or the same error and message, for
    each batch, on twin models (_data builds an unbuilt one)."""
    for name, x, y in hostile_batches():
        fast, slow = make(), make()
        got, expected = outcome(partial(fast._batch_data, x, y)), outcome(partial(slow._data, x, y))
        assert got[0] == expected[0], name
        if got[0] != "ok":
            assert got[1] == expected[1], name
            continue
        for mine, theirs in zip(got[1], expected[1], strict=True):
            np.testing.assert_array_equal(mine, theirs)
            assert type(mine) is type(theirs) and mine.dtype == theirs.dtype, name
        assert (got[1][0] is x) == (expected[1][0] is x), name
        assert (got[1][1] is y) == (expected[1][1] is y), name
        assert fast.built == slow.built and fast.example_shape == slow.example_shape, name


def test_train_on_batch_refuses_what_data_refuses_with_no_weight_changed() -> None:
    model = seed_network()
    before = model.get_weights()
    for name, x, y in hostile_batches():
        expected = outcome(partial(seed_network()._data, x, y))
        if expected[0] == "ok":
            continue
        with pytest.raises((ValueError, TypeError)) as caught:
            model.train_on_batch(x, y)
        assert (type(caught.value).__name__, str(caught.value)) == expected, name
    for got, weights in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, weights)
    assert model.optimizer.iterations == 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_half_sum_is_the_errors_dot_product_up_to_small(dtype: str) -> None:
    """HalfSumSquaredError's C: 1/2 (d . d) up to SMALL numbers, 1/2 NumPy's pairwise sum of
    the squares above (a long dot may be split between BLAS threads); compute, value_and_gradient
    and the step plan's half_sum_and_error give the same number, dC/da = a - y."""
    from glassnet._validation import SMALL
    from glassnet.losses import HalfSumSquaredError, half_sum_and_error, half_sum_of_squares

    rng = np.random.default_rng(12)
    loss = HalfSumSquaredError()
    for rows, units in ((1, 1), (4, 1), (3, 5), (SMALL, 1), (SMALL // 2, 2), (SMALL + 1, 1)):
        a = rng.normal(size=(rows, units)).astype(dtype)
        y = rng.uniform(size=(rows, units)).astype(dtype)
        d = a - y
        if d.size <= SMALL:
            expected = 0.5 * float(np.dot(d.ravel(), d.ravel()))
        else:
            expected = float(0.5 * (d * d).sum())
        assert half_sum_of_squares(d) == expected, (rows, units)
        value, gradient = half_sum_and_error(y, a)
        assert value == loss.compute(y, a) == loss.value_and_gradient(y, a)[0] == expected
        np.testing.assert_array_equal(gradient, loss.compute_gradient(y, a))
