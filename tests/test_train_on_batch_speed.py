"""train_on_batch on the seed toy (issue 20, round four): the step plan's matrix products by
``ndarray.dot`` where it makes ``@``'s very BLAS call, and the per-call checks around the step,
each proved to answer as the readable code it stands beside (bit for bit, the same errors).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet._step_plan import StepPlan, plan_for
from glassnet.seed import XOR_X, XOR_Y, seed_network


# -- the products ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dot_is_matmul_bit_for_bit_on_the_step_plans_products(dtype: str) -> None:
    """dense_step's three products, a @ W, a_prev.T @ delta (into dC/dW) and delta @ W.T, by
    ndarray.dot and by np.matmul on C-contiguous arrays of one dtype: the same bits, for every
    (batch, n_in, units) up to 7 (rows and columns of 1 included: BLAS's dot and gemv cases)
    and a few up to dense_step's bound (batch x the wider side < 2048)."""
    rng = np.random.default_rng(20)
    small = itertools.product(range(1, 8), repeat=3)
    large = [(1, 1000, 2), (2, 1000, 1), (1, 3, 1000), (3, 600, 3), (500, 3, 4), (60, 30, 30)]
    for rows, n_in, units in [*small, *large]:
        scale = 10.0 ** rng.uniform(-3, 3)
        a = (rng.normal(size=(rows, n_in)) * scale).astype(dtype)
        kernel = rng.normal(size=(n_in, units)).astype(dtype)
        delta = rng.normal(size=(rows, units)).astype(dtype)
        by_dot, by_matmul = np.empty_like(kernel), np.empty_like(kernel)
        np.ndarray.dot(a.T, delta, by_dot)
        np.matmul(a.T, delta, by_matmul)
        pairs = [
            (np.ndarray.dot(a, kernel), a @ kernel),
            (by_dot, by_matmul),
            (np.ndarray.dot(delta, kernel.T), delta @ kernel.T),
        ]
        for got, expected in pairs:
            assert got.dtype == expected.dtype and got.shape == expected.shape
            assert got.tobytes() == expected.tobytes(), (rows, n_in, units)


def products_taken(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The ``product`` each dense_step call takes, in order."""
    taken: list[Any] = []
    product_for = StepPlan.product_for

    def spy(plan: StepPlan, x: Any, y: Any) -> Any:
        taken.append(product_for(plan, x, y))
        return taken[-1]

    monkeypatch.setattr(StepPlan, "product_for", spy)
    return taken


def readable_twin_steps(make: Any, x: np.ndarray, y: np.ndarray, count: int = 20) -> None:
    """``count`` train_on_batch calls against the readable step on a twin: the same losses,
    weights and kept arrays."""
    fast, slow = make(), make()
    for _ in range(count):
        loss = fast.train_on_batch(x, y)
        with np.errstate(over="ignore", invalid="ignore"):
            expected, _ = slow._readable_step(*slow._data(x, y))
        assert loss == expected
    for got, expected in zip(fast.get_weights(), slow.get_weights(), strict=True):
        assert got.tobytes() == expected.tobytes()
    for mine, theirs in zip(fast.layers, slow.layers, strict=True):
        for name in ("a_prev", "z", "a", "delta", "kernel_gradient"):
            assert getattr(mine, name).tobytes() == getattr(theirs, name).tobytes(), name


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_seed_toy_takes_the_dots(monkeypatch: pytest.MonkeyPatch, dtype: str) -> None:
    taken = products_taken(monkeypatch)
    readable_twin_steps(lambda: seed_network(dtype), XOR_X.astype(dtype), XOR_Y.astype(dtype))
    assert plan_for(seed_network(dtype)).dots
    assert taken and all(product is np.ndarray.dot for product in taken)


def one_unit(loss: Any = None, activation: str = "sigmoid") -> gn.Sequential:
    """3 -> 1 sigmoid: x @ W is BLAS's gemv, where a strided x makes @ sum without BLAS."""
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.Dense(1, activation, use_bias=False)],
        seed=3,
        dtype="float64",
    )
    model.compile(optimizer=gn.SGD(1.0), loss=loss or gn.losses.HalfSumSquaredError())
    return model


def test_a_strided_x_keeps_matmul(monkeypatch: pytest.MonkeyPatch) -> None:
    """x a view with every other column (not C-contiguous): @ itself, whose last bits differ
    from BLAS's there (the readable step's numbers); a Fortran-ordered x too."""
    rng = np.random.default_rng(4)
    wide = rng.normal(size=(4, 6))
    strided = wide[:, ::2]
    taken = products_taken(monkeypatch)
    for x in (strided, np.asfortranarray(strided)):
        readable_twin_steps(one_unit, x, XOR_Y)
    assert taken and all(product is np.matmul for product in taken)
    # why: on this very x, BLAS's product (what ndarray.dot makes of a copy) is other bits
    kernel = one_unit().layers[0].kernel
    assert (strided @ kernel).tobytes() != np.ndarray.dot(strided, kernel).tobytes()


@pytest.mark.parametrize(
    "make",
    [
        lambda: one_unit(activation="tanh"),  # an activation dense_step does not write out
        lambda: one_unit(loss="mse"),  # a loss whose gradient dense_step does not write out
    ],
)
def test_other_chains_keep_matmul(monkeypatch: pytest.MonkeyPatch, make: Any) -> None:
    taken = products_taken(monkeypatch)
    readable_twin_steps(make, XOR_X, XOR_Y)
    assert not plan_for(make()).dots
    assert taken and all(product is np.matmul for product in taken)


def test_targets_of_another_dtype_keep_matmul(monkeypatch: pytest.MonkeyPatch) -> None:
    """A float32 model's step given float64 targets directly (train_on_batch would cast them):
    dC/dW is float64 there, which ndarray.dot would refuse to write into the float32 dC/dW."""
    taken = products_taken(monkeypatch)
    fast, slow = seed_network("float32"), seed_network("float32")
    x = XOR_X.astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(3):
            loss, _ = fast._train_step(x, XOR_Y)
            assert loss == slow._readable_step(x, XOR_Y)[0]
    assert taken == [np.matmul] * 3


# -- the half sum, written out in dense_step -------------------------------------------------
def test_dense_steps_half_sum_is_half_sum_of_squares_up_to_its_bound() -> None:
    """dense_step writes HalfSumSquaredError's C = 1/2 (d . d) out, which is half_sum_of_squares
    while d has at most SMALL numbers: dense_step's batches (fewer rows than small_rows, so
    rows x units < REUSE_FROM) always have, up to the widest last layer."""
    from glassnet._validation import SMALL
    from glassnet.layers.core import REUSE_FROM
    from glassnet.losses import half_sum_of_squares

    assert REUSE_FROM <= SMALL
    rng = np.random.default_rng(5)
    for units in (1, 7, 2047):
        model = gn.Sequential(
            [gn.Input(shape=(2,)), gn.layers.Dense(units, "sigmoid", use_bias=False)],
            seed=1,
            dtype="float64",
        )
        model.compile(optimizer=gn.SGD(1.0), loss=gn.losses.HalfSumSquaredError())
        plan = plan_for(model)
        rows = plan.small_rows - 1  # the largest batch dense_step takes
        assert rows * units < REUSE_FROM
        x = rng.normal(size=(rows, 2))
        y = rng.uniform(size=(rows, units))
        a = model.predict(x, verbose=0)
        with np.errstate(over="ignore", invalid="ignore"):
            assert plan.product_for(x, y) is np.ndarray.dot
            loss, _ = plan.dense_step(model, x, y)
        assert loss == half_sum_of_squares(a - y), units


# -- no NumPy warning leaks ------------------------------------------------------------------
def test_train_on_batch_leaks_no_numpy_warning_on_hostile_batches() -> None:
    """Huge but finite x (its x . x overflows: ndarray.dot would warn, np.vdot does not), NaN,
    inf and 1e309 in x or y, a diverging model: each call answers or raises its clear error,
    with warnings turned into errors."""
    import warnings

    from glassnet.callbacks import TrainingDivergedError

    x, y = XOR_X.copy(), XOR_Y.copy()
    bad = x.copy()
    bad[1, 1] = np.nan
    batches = [
        (x * 1e300, y),
        (x * 1e154, y),
        (bad, y),
        (np.where(x > 0, np.inf, x), y),
        (x, np.full_like(y, 1e200)),
        (x, np.full_like(y, np.inf)),
        ([[1e309, 0, 1]] * 4, y),  # a list: inf once read as float
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for bx, by in batches:
            model = seed_network()
            try:
                for _ in range(3):
                    model.train_on_batch(bx, by)
            except (ValueError, TypeError, TrainingDivergedError) as caught:
                assert "RuntimeWarning" not in type(caught).__name__
        model = gn.Sequential(
            [gn.Input(shape=(3,)), gn.layers.Dense(4), gn.layers.Dense(1)], seed=2, dtype="float64"
        )
        model.compile(optimizer=gn.SGD(1e5), loss=gn.losses.HalfSumSquaredError())
        with pytest.raises(TrainingDivergedError, match="Training diverged"):
            for _ in range(40):
                model.train_on_batch(x, y)


# -- hostile batches and models changed between calls ------------------------------------------
def more_hostile_batches() -> list[tuple[str, Any, Any]]:
    """Cousins of test_dense_step's hostile batches, through train_on_batch itself."""
    x, y = XOR_X.copy(), XOR_Y.copy()
    return [
        ("x 100,000 columns", np.ones((4, 100_000)), y),
        ("x markup", np.array([["<script>alert(1)</script>", "1", "1"]] * 4), y),
        ("y markup", x, np.array([["<b>1</b>"]] * 4)),
        ("x objects", np.array([[0, None, 1]] * 4, dtype=object), y),
        ("y objects", x, np.array([[None]] * 4, dtype=object)),
        ("x 1e309 in a list", [[1e309, 0, 1], *x[1:].tolist()], y),
        ("y 1e309 in a list", x, [[0.0], [1e309], [1.0], [0.0]]),
        ("x beyond float32", x.astype(np.float64) * 1e39, y),  # a float64 model: finite
        ("x empty", np.zeros((0, 3)), np.zeros((0, 1))),
        ("y 3-D", x, y[:, :, None]),
        ("x 1e308 everywhere", np.full((4, 3), 1e308), y),  # x . x overflows: the exact check
    ]


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except (ValueError, TypeError) as caught:
        return type(caught).__name__, str(caught)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_train_on_batch_refuses_what_data_refuses(dtype: str) -> None:
    """Each batch gets _data's own error and message (or trains where _data takes it), and a
    refused batch changes no weight and no step count."""
    for name, x, y in more_hostile_batches():
        model = seed_network(dtype)
        before = model.get_weights()
        expected = outcome(lambda x=x, y=y: seed_network(dtype)._data(x, y))
        got = outcome(lambda model=model, x=x, y=y: model.train_on_batch(x, y))
        if expected[0] == "ok":
            assert got[0] == "ok", name
            continue
        assert got == expected, name
        assert expected[1].strip(), name  # a message that says something
        for weight, start in zip(model.get_weights(), before, strict=True):
            np.testing.assert_array_equal(weight, start)
        assert model.optimizer.iterations == 0, name


def test_train_on_batch_follows_a_model_changed_between_calls() -> None:
    """train_on_batch (the plan, dense_step with its dots) against the readable step on a twin,
    with the model changed between calls as a user changes it: the same losses and weights."""
    changes = [
        ("trainable flipped", lambda m: setattr(m.layers[0], "trainable", False)),
        ("trainable back", lambda m: setattr(m.layers[0], "trainable", True)),
        ("rate changed", lambda m: setattr(m.optimizer, "learning_rate", 0.25)),
        (
            "activation swapped",
            lambda m: setattr(m.layers[1], "activation", gn.activations.get("tanh")),
        ),
        (
            "sigmoid back",
            lambda m: setattr(m.layers[1], "activation", gn.activations.get("sigmoid")),
        ),
        ("rate 1 again", lambda m: setattr(m.optimizer, "learning_rate", 1.0)),
        (
            "regularizer added",
            lambda m: setattr(m.layers[0], "kernel_regularizer", gn.regularizers.L2(0.1)),
        ),
        ("model frozen", lambda m: setattr(m, "trainable", False)),
    ]
    fast, slow = seed_network(), seed_network()
    for name, change in changes:
        change(fast)
        change(slow)
        for _ in range(3):
            loss = fast.train_on_batch(XOR_X, XOR_Y)
            with np.errstate(over="ignore", invalid="ignore"):
                expected, _ = slow._readable_step(*slow._data(XOR_X, XOR_Y))
            assert loss == expected, name
        for got, want in zip(fast.get_weights(), slow.get_weights(), strict=True):
            assert got.tobytes() == want.tobytes(), name


def test_weights_set_to_nan_are_refused_and_written_in_place_are_caught() -> None:
    """set_weights refuses NaN with its clear error, nothing written; a NaN or inf written into a
    kernel in place makes the next call stop with the diverged error, as the readable step's."""
    from glassnet.callbacks import TrainingDivergedError

    model = seed_network()
    model.train_on_batch(XOR_X, XOR_Y)
    weights = model.get_weights()
    bad = [w.copy() for w in weights]
    bad[0][0, 0] = np.nan
    with pytest.raises(ValueError, match="kernel must be finite real numbers"):
        model.set_weights(bad)
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    for value in (np.nan, np.inf):
        model = seed_network()
        model.layers[1].kernel[2, 0] = value
        with pytest.raises(TrainingDivergedError, match="Training diverged"):
            model.train_on_batch(XOR_X, XOR_Y)


def test_weights_or_gradients_not_c_contiguous_keep_matmul(monkeypatch: pytest.MonkeyPatch) -> None:
    """ndarray.dot writes only into a C-contiguous dC/dW of its result's dtype (NumPy refuses
    any other out=): a Fortran-ordered kernel or gradient, collected again, keeps @."""
    taken = products_taken(monkeypatch)

    def fortran(name: str) -> Any:
        def make() -> gn.Sequential:
            model = seed_network()
            layer = model.layers[0]
            setattr(layer, name, np.asfortranarray(getattr(layer, name)))
            model._collect_parameters()
            return model

        return make

    for name in ("kernel", "kernel_gradient"):
        make = fortran(name)
        assert not plan_for(make()).dots
        readable_twin_steps(make, XOR_X, XOR_Y, count=5)
    assert taken and all(product is np.matmul for product in taken)
