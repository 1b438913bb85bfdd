"""The training step's plan (glassnet/_step_plan.py, issue 20) gives the readable step's numbers
bit for bit, and is made again whenever what it decided changes: a layer frozen or unfrozen, the
model frozen, compile again, a layer added or popped, from_logits switched. Each test runs the
same sequence on twin models, one stepping through ``_train_step`` (the plan), the other through
``_readable_step``, and compares the losses, the weights and what each layer kept (z, a, delta,
dC/dW) exactly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers
from glassnet._step_plan import plan_for
from glassnet.activations import Sigmoid
from glassnet.losses import HalfSumSquaredError
from glassnet.seed import XOR_X, XOR_Y, seed_network

KEPT = ("a_prev", "z", "a", "delta", "kernel_gradient", "bias_gradient")


def twins(make: Callable[[], gn.Sequential]) -> tuple[gn.Sequential, gn.Sequential]:
    return make(), make()


def assert_same_state(fast: gn.Sequential, slow: gn.Sequential) -> None:
    for got, expected in zip(fast.get_weights(), slow.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    for mine, theirs in zip(fast.layers, slow.layers, strict=True):
        for name in KEPT:
            if hasattr(theirs, name):
                np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name), name)
    assert fast.optimizer.get_state().keys() == slow.optimizer.get_state().keys()
    for key, value in fast.optimizer.get_state().items():
        expected = slow.optimizer.get_state()[key]
        if isinstance(value, list):
            for a, b in zip(value, expected, strict=True):
                assert (a is None and b is None) or np.array_equal(a, b)
        else:
            assert value == expected


def steps(
    fast: gn.Sequential, slow: gn.Sequential, x: Any, y: Any, count: int = 3, weights: Any = None
) -> None:
    x, y = fast._data(x, y)
    slow_x, slow_y = slow._data(x, y)
    w = fast._weights(y, weights)
    for _ in range(count):
        with np.errstate(over="ignore", invalid="ignore"):
            loss, a = fast._train_step(x, y, w)
            expected_loss, expected_a = slow._readable_step(slow_x, slow_y, w)
        assert loss == expected_loss
        np.testing.assert_array_equal(a, expected_a)
    assert_same_state(fast, slow)


def mlp(
    loss: Any = "categorical_crossentropy",
    optimizer: Callable[[], Any] = lambda: gn.SGD(0.1),
    last: str = "softmax",
    regularizer: Any = None,
) -> Callable[[], gn.Sequential]:
    def make() -> gn.Sequential:
        model = gn.Sequential(
            [
                gn.Input(shape=(4,)),
                gn.layers.Dense(6, "relu", kernel_regularizer=regularizer),
                gn.layers.Dense(5, "sigmoid", name="middle"),
                gn.layers.Dense(3, last),
            ],
            seed=7,
            dtype="float64",
        )
        model.compile(optimizer=optimizer(), loss=loss)
        return model

    return make


def data(n: int = 9) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 4))
    return x, np.eye(3)[rng.integers(0, 3, n)]


def test_the_seed_step_is_the_readable_step_bit_for_bit() -> None:
    fast, slow = twins(seed_network)
    steps(fast, slow, XOR_X, XOR_Y, count=50)


@pytest.mark.parametrize(
    "make",
    [
        mlp(),  # softmax + cross-entropy: the fused delta
        mlp("mse", last="linear"),
        mlp("binary_crossentropy", last="sigmoid"),  # fused with the sigmoid
        mlp(gn.losses.CategoricalCrossEntropy(from_logits=True), last="linear"),
        mlp(regularizer=gn.regularizers.L2(0.01)),  # a penalty in the cost
        mlp(optimizer=lambda: gn.Adam(0.01)),
        mlp(optimizer=lambda: gn.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=1.0)),
        mlp(optimizer=lambda: gn.RMSprop(0.01, weight_decay=0.1)),
        mlp(gn.losses.CategoricalCrossEntropy(label_smoothing=0.1)),
    ],
)
def test_every_kind_of_step_is_the_readable_step(make: Callable[[], gn.Sequential]) -> None:
    fast, slow = twins(make)
    x, y = data()
    steps(fast, slow, x, y)
    steps(fast, slow, x, y, weights=np.linspace(0.0, 2.0, len(x)))  # sample weights


def test_a_step_with_dropout_draws_the_same_mask() -> None:
    def make() -> gn.Sequential:
        model = gn.Sequential(
            [
                gn.Input(shape=(4,)),
                gn.layers.Dense(8, "tanh"),
                gn.layers.Dropout(0.5),
                gn.layers.Dense(3, "softmax"),
            ],
            seed=2,
            dtype="float64",
        )
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        return model

    fast, slow = twins(make)
    steps(fast, slow, *data())


CHANGES: dict[str, Callable[[gn.Sequential], None]] = {
    "freeze a layer": lambda m: setattr(m.get_layer("middle"), "trainable", False),
    "freeze every layer": lambda m: [setattr(layer, "trainable", False) for layer in m.layers],
    "freeze the model": lambda m: setattr(m, "trainable", False),
    "compile with mse": lambda m: m.compile(optimizer=gn.SGD(0.05), loss="mse"),
    "compile with logits": lambda m: m.compile(
        optimizer="adam", loss=gn.losses.CategoricalCrossEntropy(from_logits=True)
    ),
    "switch from_logits": lambda m: setattr(m.loss, "from_logits", True),
    "set_weights": lambda m: m.set_weights([w * 0.5 for w in m.get_weights()]),
    "pop and add": lambda m: (m.pop(), m.add(gn.layers.Dense(3, "softmax", name="new"))),
    "add a layer": lambda m: m.add(gn.layers.Dense(3, "softmax", name="extra")),
    "a new regularizer": lambda m: setattr(
        m.layers[0], "kernel_regularizer", gn.regularizers.L1(0.1)
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_plan_follows_every_change_between_steps(change: str) -> None:
    fast, slow = twins(mlp())
    x, y = data()
    steps(fast, slow, x, y)
    before = plan_for(fast)
    for model in (fast, slow):
        CHANGES[change](model)
    steps(fast, slow, x, y)
    if change not in ("set_weights", "a new regularizer"):  # those are read at every step
        assert plan_for(fast) is not before
    # and back: unfreezing takes effect at the next step
    if "freeze" in change:
        for model in (fast, slow):
            model.trainable = True
            for layer in model.layers:
                layer.trainable = True
        steps(fast, slow, x, y)


def test_an_unchanged_model_keeps_its_plan() -> None:
    model = seed_network()
    model.train_on_batch(XOR_X, XOR_Y)
    plan = plan_for(model)
    model.fit(XOR_X, XOR_Y, epochs=3, batch_size=4, verbose=0)
    model.get_layer(index=0).trainable = True  # the same value: nothing changed
    assert plan_for(model) is plan


def test_fit_with_a_callback_that_freezes_mid_fit_matches_the_readable_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class FreezeAfterOne(gn.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.model.layers[batch % 3].trainable = batch % 2 == 1

    x, y = data(12)
    fast = mlp()()
    history = fast.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[FreezeAfterOne()])
    with monkeypatch.context() as patch:
        patch.setattr(gn.Sequential, "_train_step", gn.Sequential._readable_step)
        slow = mlp()()
        expected = slow.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[FreezeAfterOne()])
    assert history.history == expected.history
    assert_same_state(fast, slow)


# -- the pieces the plan calls -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dense_forward_in_step_is_forward(dtype: str) -> None:
    rng = np.random.default_rng(4)
    for activation in ("sigmoid", "relu", "softmax", "tanh", "linear", "elu", "softplus"):
        layer = gn.layers.Dense(5, activation)
        layer.build(3, np.dtype(dtype), rng)
        x = (rng.normal(size=(7, 3)) * 300).astype(dtype)  # sigmoid's exp overflows here
        expected = [layer.forward(x, training=True), layer.a_prev, layer.z, layer.a]
        with np.errstate(over="ignore", invalid="ignore"):
            got = [layer.forward_in_step(x), layer.a_prev, layer.z, layer.a]
        for mine, theirs in zip(got, expected, strict=True):
            assert mine.dtype == theirs.dtype
            np.testing.assert_array_equal(mine, theirs)


def test_sigmoid_quietly_is_its_call_and_leaves_z_alone() -> None:
    z = np.array([[-800.0, -30.0, 0.0, 30.0, 800.0, np.nan]])
    with np.errstate(over="ignore", invalid="ignore"):
        got = Sigmoid().quietly(z)
    np.testing.assert_array_equal(got, Sigmoid()(z))
    assert got is not z and z[0, 0] == -800.0


@pytest.mark.parametrize("weights", [None, np.array([0.5, 2.0, 0.0, 1.0])])
def test_half_sum_value_and_gradient_is_compute_and_compute_gradient(weights: Any) -> None:
    loss = HalfSumSquaredError()
    rng = np.random.default_rng(5)
    y, a = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    value, gradient = loss.value_and_gradient(y, a, weights)
    assert value == loss.compute(y, a, weights)
    np.testing.assert_array_equal(gradient, loss.compute_gradient(y, a, weights))


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"momentum": 0.5},
        {"weight_decay": 0.1},
        {"weight_decay": 0.0},
        {"clipvalue": 0.01},
        {"clipnorm": 0.01},
        {"global_clipnorm": 0.01},
        {"learning_rate": gn.optimizers.schedules.ExponentialDecay(0.5, 1, 0.5)},
        {"learning_rate": 1.0},
    ],
)
def test_plain_sgd_apply_is_the_base_apply(settings: dict[str, Any]) -> None:
    rng = np.random.default_rng(6)
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    twin = [p.copy() for p in params]
    fast, slow = (
        gn.SGD(**{"learning_rate": 0.3, **settings}),
        gn.SGD(**{"learning_rate": 0.3, **settings}),
    )
    fast.build(params)
    slow.build(twin)
    for _ in range(3):
        grads = [rng.normal(size=p.shape) for p in params]
        fast.apply(params, grads)
        optimizers.Optimizer.apply(slow, twin, grads)  # the base class's update
        for got, expected in zip(params, twin, strict=True):
            np.testing.assert_array_equal(got, expected)
    assert fast.iterations == slow.iterations == 3


# -- train_on_batch's checks, trimmed -----------------------------------------------------------
def test_finite_on_a_small_array_is_the_exact_check() -> None:
    from glassnet._validation import SMALL, finite

    big = np.finfo(np.float32).max
    for array in (
        np.ones((4, 3)),
        np.array([[big, big]], np.float32),  # finite, though its sum is not
        np.array([[1.0, np.nan]]),
        np.array([[np.inf, -np.inf]]),
        np.zeros((0, 3)),
        np.ones(SMALL + 1),  # past SMALL: the sum's way, the same answer
        np.r_[np.ones(SMALL), np.nan],
    ):
        assert finite(array) == bool(np.isfinite(array).all()), array


@pytest.mark.parametrize("loss", ["mse", "half_sum", "binary_crossentropy"])
def test_targets_of_the_models_dtype_are_the_targets_cast(loss: str) -> None:
    """y already float64 for a float64 model skips the cast and its errstate: the same array,
    and the same refusals, as y given as a list."""
    model = seed_network()
    chosen = HalfSumSquaredError() if loss == "half_sum" else loss
    model.compile(optimizer="sgd", loss=chosen)
    y = XOR_Y.astype(np.float64)
    assert model._targets(y, 1) is y
    np.testing.assert_array_equal(model._targets(y.tolist(), 1), y)
    for bad in (np.array([[np.nan], [0.0], [1.0], [1.0]]), np.array([[1e200], [0], [1], [1]])):
        if loss == "binary_crossentropy" and np.isfinite(bad).all():
            bad = bad * 0 + 2.0  # out of [0, 1]
        with pytest.raises(ValueError) as fast:
            model._targets(bad, 1)
        with pytest.raises(ValueError) as slow:
            model._targets(bad.tolist(), 1)
        assert str(fast.value) == str(slow.value)


def test_output_width_is_the_layers_arithmetic() -> None:
    model = mlp()()
    assert model._output_width((4,)) == model._features_after(len(model.layers), (4,)) == 3
    model.pop()  # the remembered end is no longer the last layer: computed again
    assert model._output_width((4,)) == 5
    images = gn.Sequential([gn.Input(shape=(5, 5, 1)), gn.layers.Conv2D(2, 3)], seed=0)
    images.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="End the model with Flatten"):
        images._output_width((5, 5, 1))


def test_train_on_batch_without_metrics_returns_the_loss_alone() -> None:
    model = seed_network()
    assert model._metrics(XOR_Y, XOR_Y) == {}
    assert isinstance(model.train_on_batch(XOR_X, XOR_Y), float)
    assert list(model.train_on_batch(XOR_X, XOR_Y, return_dict=True)) == ["loss"]


@pytest.mark.parametrize(
    "options",
    [
        {"epochs": 3, "batch_size": 9, "shuffle": False},  # full batch: x itself, no slice
        {"epochs": 3, "batch_size": 4, "shuffle": False},
        {"epochs": 3, "batch_size": 4},
        {"epochs": 2, "batch_size": 9, "sample_weight": np.linspace(0.5, 2.0, 9)},
        {"epochs": 2, "batch_size": 2, "validation_split": 0.3, "shuffle": False},
    ],
)
def test_fit_through_the_plan_is_fit_through_the_readable_step(
    monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    """fit looks the plan up once per epoch when no batch hook runs between its steps."""
    from glassnet._step_plan import StepPlan

    x, y = data()

    def run() -> tuple[Any, list[np.ndarray]]:
        model = mlp(optimizer=lambda: gn.Adam(0.01))()
        model.compile(optimizer=gn.Adam(0.01), loss="categorical_crossentropy", metrics=["acc"])
        history = model.fit(x, y, verbose=0, **options)
        return history.history, model.get_weights()

    fast = run()
    with monkeypatch.context() as patch:
        # (the plan's step may spend the gradients: the readable step never does)
        patch.setattr(
            StepPlan, "step", lambda _, m, x, y, w=None, spend=False: m._readable_step(x, y, w)
        )
        slow = run()
    assert fast[0] == slow[0]
    for got, expected in zip(fast[1], slow[1], strict=True):
        np.testing.assert_array_equal(got, expected)


def test_finite_on_a_large_array_is_the_exact_check() -> None:
    """Past SMALL, a contiguous float array is checked by its sum of squares (BLAS), any other
    by its sum; both fall back to the exact check when the total is not finite."""
    from glassnet._validation import SMALL, finite

    rng = np.random.default_rng(8)
    base = rng.normal(size=(SMALL // 8 + 3, 16))
    for dtype in ("float64", "float32", "float16"):
        for value in (None, np.nan, np.inf, -np.inf, 1e200, 3e38, 6e4):
            array = base.astype(dtype)
            if value is not None:
                with np.errstate(over="ignore"):
                    array[7, 5] = value
            for view in (array, array[:, ::2], array.T, np.asfortranarray(array)):
                assert finite(view) == bool(np.isfinite(view).all()), (dtype, value)


@pytest.mark.parametrize(
    "loss",
    [
        gn.losses.CategoricalCrossEntropy(),
        gn.losses.CategoricalCrossEntropy(label_smoothing=0.2),
        gn.losses.CategoricalCrossEntropy(reduction="sum"),
        gn.losses.SparseCategoricalCrossEntropy(),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cross_entropy_value_and_fused_delta_are_compute_and_fused_delta(
    loss: Any, dtype: str
) -> None:
    rng = np.random.default_rng(9)
    z = rng.normal(size=(6, 4)) * 8  # some probabilities within 1e-7 of 0 or 1: clipped
    a = np.exp(z - z.max(axis=1, keepdims=True))
    a = (a / a.sum(axis=1, keepdims=True)).astype(dtype)
    y = loss.prepare_targets(
        rng.integers(0, 4, 6)
        if "Sparse" in type(loss).__name__
        else np.eye(4)[rng.integers(0, 4, 6)],
        4,
        np.dtype(dtype),
    )
    value, delta = loss.value_and_gradient(y, a, None, True)
    assert value == loss.compute(y, a)
    expected = loss.fused_delta(y, a)
    assert delta.dtype == expected.dtype
    np.testing.assert_array_equal(delta, expected)
    value, gradient = loss.value_and_gradient(y, a, None, False)  # not fused: the base's pair
    np.testing.assert_array_equal(gradient, loss.compute_gradient(y, a))


@pytest.mark.parametrize("loss", [gn.losses.MeanSquaredError(), HalfSumSquaredError()])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_squared_error_targets_shortcut_is_the_readable_preparation(loss: Any, dtype: str) -> None:
    from glassnet.losses import Loss, check_square_fits

    def readable(y: Any) -> Any:
        prepared = Loss.prepare_targets(loss, y, 2, np.dtype(dtype), "y")
        return check_square_fits(loss, prepared, np.dtype(dtype), "y")

    big = np.sqrt(np.finfo(dtype).max / 8)  # the bound for 8 numbers, exactly at it
    good = np.array([[0.5, -1.0], [2.0, 3.0], [0.0, -0.0], [1e-30, 7.0]], dtype)
    cases = [good, good[:, :1], good.ravel(), good.astype(np.float16), good[:0], good.T.copy()]
    for value in (np.nan, np.inf, -np.inf, big, -big, np.nextafter(big, np.inf, dtype=dtype)):
        bad = good.copy()
        bad[2, 1] = value
        cases.append(bad)
    for y in cases:
        try:
            expected = readable(y)
        except ValueError as error:
            with pytest.raises(ValueError) as caught:
                loss.prepare_targets(y, 2, np.dtype(dtype), "y")
            assert str(caught.value) == str(error)
            continue
        got = loss.prepare_targets(y, 2, np.dtype(dtype), "y")
        assert got.dtype == expected.dtype and (got is y) == (expected is y)
        np.testing.assert_array_equal(got, expected)


def test_a_saturated_sigmoid_trains_without_a_warning_as_the_readable_step() -> None:
    """The step runs the sigmoid quietly, inside train_on_batch's and fit's errstate: exp's
    overflow (z = -800, a = 0 exactly) is no warning, as it was none before."""
    import warnings

    def make() -> gn.Sequential:
        model = gn.Sequential(
            [gn.Input(shape=(2,)), gn.layers.Dense(3, "sigmoid"), gn.layers.Dense(1, "sigmoid")],
            seed=0,
            dtype="float64",
        )
        model.compile(optimizer=gn.SGD(0.1), loss="mse")
        model.set_weights([np.full((2, 3), -400.0), np.zeros(3), np.ones((3, 1)), np.zeros(1)])
        return model

    x, y = np.ones((4, 2)), np.ones((4, 1))
    fast, slow = make(), make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = [fast.train_on_batch(x, y) for _ in range(3)]
        fast.fit(x, y, epochs=2, batch_size=2, verbose=0)
    assert fast.layers[0].z.min() <= -800.0 and fast.layers[0].a.max() == 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        expected = [slow._readable_step(x, y)[0] for _ in range(3)]
    assert losses == expected


def test_fit_looks_the_plan_up_once_unless_a_callback_of_the_users_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only glassnet's own callbacks (History, TerminateOnNaN, the printers): one plan for the
    whole fit. A callback of the user's may freeze a layer between epochs: looked up per epoch,
    and its freezing takes effect at the next step (the readable steps' numbers)."""
    from glassnet import training

    calls: list[int] = []
    real = training.plan_for
    monkeypatch.setattr(training, "plan_for", lambda m: calls.append(1) or real(m))
    x, y = data(8)
    model = mlp()()
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert len(calls) == 1
    calls.clear()

    class FreezeLater(gn.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.model.layers[epoch % 3].trainable = epoch % 2 == 0

    model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[FreezeLater()])
    assert len(calls) == 5  # one per epoch
    fast = mlp()()
    fast.fit(x, y, epochs=5, batch_size=4, verbose=0, callbacks=[FreezeLater()])
    with monkeypatch.context() as patch:
        patch.setattr(gn.Sequential, "_train_step", gn.Sequential._readable_step)
        patch.setattr(training, "plan_for", lambda m: _Readable())
        slow = mlp()()
        slow.fit(x, y, epochs=5, batch_size=4, verbose=0, callbacks=[FreezeLater()])
    assert_same_state(fast, slow)


class _Readable:
    """A stand-in plan whose step is the readable one."""

    def step(self, model: gn.Sequential, *args: Any, spend: bool = False) -> Any:
        return model._readable_step(*args[:3])  # never spends: (x, y, sample_weight)
