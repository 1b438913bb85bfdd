"""fit's MLP epoch spends its gradients between two steps (issue 20), with the readable numbers.

Plain SGD's rule, W <- W - lr * g, rounds twice: fl(W - fl(lr * g)). ``SGD.apply`` writes
lr * g into a scratch array and subtracts it; ``SGD.apply_spending`` writes it into g itself,
the same two roundings with one array less through the cache, but g then holds lr * dC/dW. So
``training.run_epoch`` asks for it only where nothing reads the gradients before the next step
writes them again (no batch hook but fit's own callbacks, only Dense layers), never at an
epoch's last step (what the epoch leaves is dC/dW) nor after a loss that is not finite (which
stops training). Tested here against fit written out with ``_readable_step`` and the rule as
SGD's docstring writes it: the same history, weights and gradients, bit for bit, shuffled and
not, with sample weights, in float32 and float64, with callbacks that keep what they see.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers, training
from glassnet.training import gradients_rewritten


def mlp(dtype: str = "float32", rate: float = 0.1, **sgd: Any) -> gn.Sequential:
    model = gn.Sequential(
        [
            gn.Input(shape=(20,)),
            gn.layers.Dense(64, "relu"),
            gn.layers.Dense(32, "relu"),
            gn.layers.Dense(5, "softmax"),
        ],
        seed=3,
        dtype=dtype,
    )
    model.compile(optimizer=gn.SGD(rate, **sgd), loss="sparse_categorical_crossentropy")
    return model


def data(rows: int = 100, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    return rng.standard_normal((rows, 20)) * scale, rng.integers(0, 5, rows)


def readable_update(model: gn.Sequential) -> None:
    """The model's SGD steps by its docstring's rule, one expression: W -= lr * g."""
    optimizer = model.optimizer

    def apply(parameters: list[np.ndarray], gradients: list[np.ndarray]) -> None:
        optimizer.iterations += 1
        for param, grad in zip(parameters, gradients, strict=True):
            param -= optimizer.learning_rate * grad

    optimizer.apply = apply  # type: ignore[method-assign]


def readable_fit(
    model: gn.Sequential,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch: int,
    shuffle: bool,
    sample_weight: np.ndarray | None = None,
) -> list[float]:
    """fit's epochs written out: the same permutations (model.rng), _readable_step per batch,
    the history's mean of the batches' losses weighted by their sizes."""
    readable_update(model)
    xs, ys = model._data(x, y)
    weights = model._weights(ys, sample_weight, None)
    n, history = len(xs), []
    for _ in range(epochs):
        order = model.rng.permutation(n) if shuffle else np.arange(n)
        total = 0.0
        for start in range(0, n, batch):
            index = order[start : start + batch]
            wb = None if weights is None else weights[index]
            with np.errstate(over="ignore", invalid="ignore"):
                loss, _ = model._readable_step(xs[index], ys[index], wb)
            total += loss * len(index)
        history.append(total / n)
    return history


def assert_same(fast: gn.Sequential, slow: gn.Sequential) -> None:
    for got, expected in zip(fast.get_weights(), slow.get_weights(), strict=True):
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
    for got, expected in zip(fast._gradients, slow._gradients, strict=True):
        assert got.tobytes() == expected.tobytes()  # dC/dW of the last step, not lr * dC/dW


def count_spending(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The iterations at which fit called apply_spending. fit's MLP step (glassnet/_mlp_step.py,
    tests/test_mlp_speed28.py) writes the same update out for this file's MLP, so it is switched
    off here: these tests follow the plan's step and the optimizer's method."""
    monkeypatch.setattr(training, "mlp_step", lambda *args, **kwargs: None)
    calls: list[int] = []
    spend = optimizers.SGD.apply_spending

    def counted(self: optimizers.SGD, *args: Any) -> None:
        calls.append(self.iterations)
        spend(self, *args)

    monkeypatch.setattr(optimizers.SGD, "apply_spending", counted)
    return calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_spending_gradients_gives_the_readable_fits_bits(
    dtype: str, shuffle: bool, weighted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_spending(monkeypatch)
    x, y = data()
    sample_weight = np.random.default_rng(5).uniform(0.0, 3.0, len(x)) if weighted else None
    fast, slow = mlp(dtype), mlp(dtype)
    history = fast.fit(
        x, y, epochs=3, batch_size=32, shuffle=shuffle, sample_weight=sample_weight, verbose=0
    )
    expected = readable_fit(slow, x, y, 3, 32, shuffle, sample_weight)
    assert history.history["loss"] == expected
    assert_same(fast, slow)
    # 4 batches an epoch (the last of 4 rows): the first 3 spent, the last one not
    assert calls == [0, 1, 2, 4, 5, 6, 8, 9, 10]


def test_each_epochs_end_sees_the_last_steps_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    """A callback without batch hooks (it lets the steps spend their gradients) that keeps the
    gradients it sees at each epoch's end: dC/dW, the readable fit's, and its own arrays."""
    calls = count_spending(monkeypatch)
    seen: list[list[np.ndarray]] = []
    kept: list[list[np.ndarray]] = []
    x, y = data()

    class Keeper(gn.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            kept.append(list(self.model._gradients))  # held, not copied
            seen.append([g.copy() for g in self.model._gradients])

    fast, slow = mlp(), mlp()
    fast.fit(x, y, epochs=2, batch_size=32, callbacks=[Keeper()], verbose=0)
    assert len(calls) == 6
    for epoch in range(2):
        readable_fit(slow, x, y, 1, 32, True)
        for got, expected in zip(seen[epoch], slow._gradients, strict=True):
            assert got.tobytes() == expected.tobytes()
    assert [g.tobytes() for g in kept[1]] == [g.tobytes() for g in seen[1]]


def test_a_batch_hook_sees_every_steps_gradients_unspent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A callback that looks at the model after each batch keeps the gradients' numbers as the
    readable steps leave them: with a batch hook no step spends them."""
    calls = count_spending(monkeypatch)
    seen: list[np.ndarray] = []
    x, y = data()

    class Watcher(gn.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            seen.append(self.model.layers[0].kernel_gradient.copy())

    fast, slow = mlp(), mlp()
    fast.fit(x, y, epochs=1, batch_size=32, callbacks=[Watcher()], verbose=0)
    assert calls == []
    readable_update(slow)
    xs, ys = slow._data(x, y)
    order = slow.rng.permutation(len(xs))
    for batch, start in enumerate(range(0, len(xs), 32)):
        index = order[start : start + 32]
        slow._readable_step(xs[index], ys[index])
        assert seen[batch].tobytes() == slow.layers[0].kernel_gradient.tobytes()
    assert_same(fast, slow)


def test_the_progress_bar_lets_the_steps_spend_and_the_numbers_stay(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = count_spending(monkeypatch)
    x, y = data()
    fast, slow = mlp(), mlp()
    history = fast.fit(x, y, epochs=2, batch_size=32, verbose=1)
    assert "100/100 samples" in capsys.readouterr().out
    assert history.history["loss"] == readable_fit(slow, x, y, 2, 32, True)
    assert_same(fast, slow)
    assert len(calls) == 6


def test_a_loss_that_stops_training_leaves_its_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    """The step whose loss is NaN or inf updates with ``apply``: what a user looks at after fit
    stopped quietly is that step's dC/dW, as the readable step leaves it."""
    calls = count_spending(monkeypatch)
    x, y = data(96)
    x[40] = 3e38  # float32's overflow in the first product: that batch's loss is not finite
    stop = gn.callbacks.TerminateOnNaN(raise_error=False, verbose=False)
    fast, slow = mlp(), mlp()
    history = fast.fit(x, y, epochs=2, batch_size=32, shuffle=False, callbacks=[stop], verbose=0)
    assert len(history.history["loss"]) == 1 and not np.isfinite(history.history["loss"][0])
    assert calls == [0]  # the first batch spent; the second stopped training
    readable_update(slow)
    xs, ys = slow._data(x, y)
    with np.errstate(over="ignore", invalid="ignore"):
        slow._readable_step(xs[:32], ys[:32])
        loss, _ = slow._readable_step(xs[32:64], ys[32:64])
    assert not np.isfinite(loss)
    assert_same(fast, slow)


@pytest.mark.parametrize(
    "settings",
    [
        {"momentum": 0.9},
        {"momentum": 0.5, "nesterov": True},
        {"weight_decay": 0.01},
        {"clipnorm": 0.5},
        {"clipvalue": 0.01},
        {"global_clipnorm": 0.5},
        {"schedule": True},
    ],
)
def test_sgd_with_more_than_the_plain_rule_never_spends(settings: dict[str, Any]) -> None:
    """apply_spending is apply itself for every SGD that is not plain (a learning-rate schedule
    included, which leaves no number of its own to read): the gradients stay."""
    x, y = data()

    def made() -> gn.Sequential:
        if "schedule" in settings:
            return mlp(rate=gn.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5))  # type: ignore[arg-type]
        return mlp(**settings)

    fast, slow = made(), made()
    history = fast.fit(x, y, epochs=2, batch_size=32, verbose=0)
    plain = slow.fit(x, y, epochs=2, batch_size=32, callbacks=[BatchHook()], verbose=0)
    assert history.history["loss"] == plain.history["loss"]
    assert_same(fast, slow)


class BatchHook(gn.callbacks.Callback):
    """A batch hook that does nothing: with it, fit's steps never spend their gradients."""

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        pass


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad"])
def test_other_optimizers_apply_as_ever(name: str) -> None:
    x, y = data()
    fast, slow = mlp(), mlp()
    for model in (fast, slow):
        model.compile(optimizer=name, loss="sparse_categorical_crossentropy")
    history = fast.fit(x, y, epochs=2, batch_size=32, verbose=0)
    plain = slow.fit(x, y, epochs=2, batch_size=32, callbacks=[BatchHook()], verbose=0)
    assert history.history["loss"] == plain.history["loss"]
    assert_same(fast, slow)


def test_apply_spending_is_applys_update_with_lr_times_g_left_in_g() -> None:
    rng = np.random.default_rng(6)
    for dtype in (np.float16, np.float32, np.float64):  # the rate as each dtype rounds it
        params = [rng.standard_normal(s).astype(dtype) for s in ((7, 5), (5,))]
        grads = [rng.standard_normal(p.shape).astype(dtype) for p in params]
        grads[0][0, :3] = [np.nan, np.inf, -0.0]
        fast, slow = [p.copy() for p in params], [p.copy() for p in params]
        spent = [g.copy() for g in grads]
        twins = gn.SGD(0.1), gn.SGD(0.1)
        with np.errstate(invalid="ignore"):
            twins[0].apply_spending(fast, spent)
            twins[1].apply(slow, [g.copy() for g in grads])
            for got, expected, g, s in zip(fast, slow, grads, spent, strict=True):
                assert got.tobytes() == expected.tobytes()
                assert s.tobytes() == (0.1 * g).tobytes()  # lr * g, where apply's scratch has it
        assert twins[0].iterations == twins[1].iterations == 1
    # parameters of several dtypes in one update: each gradient scaled by the rate in its own
    params = [rng.standard_normal(4).astype(dtype) for dtype in (np.float32, np.float64) * 2]
    grads = [rng.standard_normal(4).astype(p.dtype) for p in params]
    fast, slow = [p.copy() for p in params], [p.copy() for p in params]
    spent = [g.copy() for g in grads]
    gn.SGD(0.1).apply_spending(fast, spent)
    gn.SGD(0.1).apply(slow, [g.copy() for g in grads])
    for got, expected, g, s in zip(fast, slow, grads, spent, strict=True):
        assert got.tobytes() == expected.tobytes() and s.tobytes() == (0.1 * g).tobytes()


@pytest.mark.parametrize("case", ["numpy rate", "rate 1", "float64 gradient", "read-only gradient"])
def test_apply_spending_leaves_gradients_it_cannot_spend(case: str) -> None:
    """What apply_spending cannot scale in place with the rule's numbers, apply updates: a NumPy
    rate (it would change the product's dtype), a rate of 1 (apply subtracts g itself), a
    gradient of another dtype than its parameter, a read-only one."""
    rng = np.random.default_rng(7)
    param = rng.standard_normal((4, 3)).astype(np.float32)
    grad = rng.standard_normal((4, 3)).astype(np.float32)
    optimizer, twin = gn.SGD(0.1), gn.SGD(0.1)
    if case == "numpy rate":
        optimizer._learning_rate = twin._learning_rate = np.float64(0.1)  # type: ignore[assignment]
    elif case == "rate 1":
        optimizer, twin = gn.SGD(1.0), gn.SGD(1.0)
    elif case == "float64 gradient":
        grad = grad.astype(np.float64)
    else:
        grad.setflags(write=False)
    other = rng.standard_normal(3).astype(np.float32)  # a bias beside it, spendable alone
    good = rng.standard_normal(3).astype(np.float32)
    before, expected_good = grad.tobytes(), (np.float32(0.1) * good).tobytes()
    spent, applied = [param.copy(), other.copy()], [param.copy(), other.copy()]
    optimizer.apply_spending(spent, [grad, good_copy := good.copy()])
    twin.apply(applied, [grad.copy(), good.copy()])
    for got, expected in zip(spent, applied, strict=True):
        assert got.tobytes() == expected.tobytes()
    assert grad.tobytes() == before  # left as it was
    assert optimizer.iterations == twin.iterations == 1
    if case in ("float64 gradient", "read-only gradient"):  # the bias's gradient was spent
        assert good_copy.tobytes() == expected_good
    else:  # apply's path for the whole update: nothing spent
        assert good_copy.tobytes() == good.tobytes()


def test_only_dense_layers_let_fit_spend_their_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    """A layer with parameters that is not a Dense (here BatchNormalization) may not write every
    gradient anew at each step: fit then updates with apply."""
    calls = count_spending(monkeypatch)
    model = gn.Sequential(
        [
            gn.Input(shape=(20,)),
            gn.layers.Dense(16, "relu"),
            gn.layers.BatchNormalization(),
            gn.layers.Dropout(0.1),
            gn.layers.Dense(5, "softmax"),
        ],
        seed=3,
    )
    model.compile(optimizer=gn.SGD(0.1), loss="sparse_categorical_crossentropy")
    assert not gradients_rewritten(model)
    model.fit(*data(), epochs=1, batch_size=32, verbose=0)
    assert calls == []
    dropout = gn.Sequential(
        [gn.Input(shape=(20,)), gn.layers.Dropout(0.1), gn.layers.Dense(5, "softmax")]
    )
    assert gradients_rewritten(dropout)  # a layer without parameters has no gradient


def test_a_penalty_no_bias_and_dropout_spend_with_the_readable_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The spent step adds the kernel regularizer's gradient to g before scaling it, as the
    readable step does; a Dense without a bias and a Dropout between change nothing in that."""
    calls = count_spending(monkeypatch)

    def model() -> gn.Sequential:
        built = gn.Sequential(
            [
                gn.Input(shape=(20,)),
                gn.layers.Dense(64, "relu", kernel_regularizer="l2"),
                gn.layers.Dropout(0.25),
                gn.layers.Dense(32, "relu", use_bias=False),
                gn.layers.Dense(5, "softmax"),
            ],
            seed=3,
        )
        built.compile(optimizer=gn.SGD(0.05), loss="sparse_categorical_crossentropy")
        return built

    x, y = data()
    fast, slow = model(), model()
    history = fast.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert history.history["loss"] == readable_fit(slow, x, y, 2, 32, True)
    assert_same(fast, slow)
    assert len(calls) == 6
