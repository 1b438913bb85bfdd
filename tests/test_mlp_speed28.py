"""fit's MLP step written out (glassnet/_mlp_step.py, issue 20) gives the readable numbers.

For Dense ReLU layers under a softmax fused with a categorical cross-entropy, trained by plain
SGD, ``training.run_epoch`` takes ``MLPStep`` for every step but an epoch's last. Tested here
against fit written out with ``_readable_step`` and SGD's rule (tests/test_mlp_fit_spending.py's
``readable_fit``) and against fit with the MLP step switched off: the same history, weights,
gradients and layer records (a_prev, z, a, delta), bit for bit; the models it must leave to
the plan's step; the errors of a fit that diverges; a model changed between two fits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests.test_mlp_fit_spending import BatchHook, assert_same, data, readable_fit

import glassnet as gn
from glassnet import _mlp_step, training


def mlp(
    dtype: str = "float32",
    rate: float = 0.1,
    hidden: tuple[int, ...] = (64, 32),
    bias: bool = True,
    loss: str = "sparse_categorical_crossentropy",
    **settings: Any,
) -> gn.Sequential:
    layers = [gn.layers.Dense(units, "relu", use_bias=bias) for units in hidden]
    model = gn.Sequential(
        [gn.Input(shape=(20,)), *layers, gn.layers.Dense(5, "softmax")], seed=3, dtype=dtype
    )
    model.compile(optimizer=gn.SGD(rate, **settings), loss=loss)
    return model


def count_fast_steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The optimizer's iteration at each step the MLP step ran itself (not handed over)."""
    steps: list[int] = []
    real = _mlp_step.MLPStep.__call__
    regular = []

    def counted(self: _mlp_step.MLPStep, *args: Any) -> Any:
        before = self.optimizer.iterations
        handed = len(regular)
        result = real(self, *args)
        if len(regular) == handed:
            steps.append(before)
        return result

    def wrap_regular(model: Any, step: Any, rows: int, fresh_output: bool) -> Any:
        def regular_step(*args: Any) -> Any:
            regular.append(1)
            return step(*args)

        return _mlp_step.mlp_step(model, regular_step, rows, fresh_output)

    monkeypatch.setattr(_mlp_step.MLPStep, "__call__", counted)
    monkeypatch.setattr(training, "mlp_step", wrap_regular)
    return steps


def records(model: gn.Sequential) -> list[bytes]:
    """Each layer's step record, as bytes: a_prev, z, a, delta."""
    return [
        getattr(layer, name).tobytes()
        for layer in model.layers
        for name in ("a_prev", "z", "a", "delta")
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("batch", [32, 25])
@pytest.mark.parametrize("rate", [0.1, 1.0])
def test_the_mlp_step_gives_the_readable_fits_bits(
    dtype: str, shuffle: bool, batch: int, rate: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = count_fast_steps(monkeypatch)
    x, y = data()
    fast, slow = mlp(dtype, rate), mlp(dtype, rate)
    history = fast.fit(x, y, epochs=3, batch_size=batch, shuffle=shuffle, verbose=0)
    assert history.history["loss"] == readable_fit(slow, x, y, 3, batch, shuffle)
    assert_same(fast, slow)  # the weights, and dC/dW in the gradients (not lr * dC/dW)
    assert records(fast) == records(slow)
    # 100 rows: batches of 32 (the last of 4 rows) or 25; every step but an epoch's last
    per_epoch = -(-100 // batch)
    assert steps == [e * per_epoch + s for e in range(3) for s in range(per_epoch - 1)]
    assert fast.optimizer.iterations == slow.optimizer.iterations == 3 * per_epoch


@pytest.mark.parametrize(
    "shape",
    [
        {"hidden": ()},
        {"hidden": (16,)},
        {"hidden": (48, 24, 12)},
        {"bias": False},
        {"loss": "categorical_crossentropy"},
    ],
)
def test_other_mlp_shapes_and_the_one_hot_loss_give_the_readable_bits(
    shape: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = count_fast_steps(monkeypatch)
    x, y = data()
    if shape.get("loss") == "categorical_crossentropy":
        y = np.eye(5)[y]
    fast, slow = mlp(**shape), mlp(**shape)
    history = fast.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert history.history["loss"] == readable_fit(slow, x, y, 2, 16, True)
    assert_same(fast, slow)
    assert records(fast) == records(slow)
    assert len(steps) == 12  # 7 batches an epoch, the last handed to the plan


def test_a_batch_of_probabilities_near_the_clip_gives_the_readable_bits() -> None:
    """Large inputs push the softmax to 0 and 1, where the loss's clip holds p and its rows
    of delta lose their target (the clipped loss's exact gradient)."""
    x, y = data(scale=40.0)
    fast, slow = mlp(rate=0.5), mlp(rate=0.5)
    history = fast.fit(x, y, epochs=3, batch_size=20, verbose=0)
    assert history.history["loss"] == readable_fit(slow, x, y, 3, 20, True)
    assert_same(fast, slow)


def without_mlp_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "mlp_step", lambda *args, **kwargs: None)


def test_metrics_see_outputs_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """With metrics, each step's output is a new array (a metric may keep it), and the
    history's metrics are those of fit without the MLP step."""
    kept: list[np.ndarray] = []

    class Keeper(gn.metrics.Metric):
        name = "keeper"

        def reset_state(self) -> None:
            pass

        def update_state(self, y_true: Any, y_pred: Any, sample_weight: None = None) -> None:
            kept.append(y_pred)  # not a copy

        def result(self) -> float:
            return float(len(kept))

    x, y = data()
    fast = mlp()
    fast.compile(
        optimizer=gn.SGD(0.1),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", Keeper()],
    )
    history = fast.fit(x, y, epochs=2, batch_size=32, verbose=0)
    copies = [a.copy() for a in kept]
    assert len({id(a) for a in kept}) == len(kept) == 8
    without_mlp_step(monkeypatch)
    kept.clear()
    slow = mlp()
    slow.compile(
        optimizer=gn.SGD(0.1),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", Keeper()],
    )
    plain = slow.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert history.history == plain.history
    assert [a.tobytes() for a in copies] == [a.tobytes() for a in kept]
    assert_same(fast, slow)


@pytest.mark.parametrize(
    "change",
    [
        "tanh hidden",
        "linear hidden",
        "sigmoid output",
        "regularizer",
        "frozen layer",
        "from_logits",
        "label smoothing",
        "summing loss",
        "momentum",
        "adam",
        "numpy rate",
        "dropout",
        "sample weights",
        "batch hook",
        "full batch",
        "replaced gradient",
    ],
)
def test_what_the_mlp_step_leaves_to_the_plan(change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each model, optimizer or fit the MLP step is not written for takes the plan's step for
    every batch, with the numbers of fit without the MLP step."""

    def made() -> gn.Sequential:
        model = mlp(momentum=0.9) if change == "momentum" else mlp()
        hidden, last = model.layers[0], model.layers[-1]
        loss: Any = "sparse_categorical_crossentropy"
        optimizer: Any = model.optimizer
        if change in ("tanh hidden", "linear hidden"):
            hidden.activation = gn.activations.get(change.split()[0])
        elif change == "sigmoid output":
            last.activation = gn.activations.get("sigmoid")
            loss = "binary_crossentropy"
        elif change == "regularizer":
            hidden.kernel_regularizer = gn.regularizers.get("l2")
        elif change == "frozen layer":
            hidden.trainable = False
        elif change == "from_logits":
            last.activation = gn.activations.get("linear")
            loss = gn.losses.SparseCategoricalCrossEntropy(from_logits=True)
        elif change == "label smoothing":
            loss = gn.losses.CategoricalCrossEntropy(label_smoothing=0.1)
        elif change == "summing loss":
            loss = gn.losses.SparseCategoricalCrossEntropy(reduction="sum")
        elif change == "adam":
            optimizer = "adam"
        elif change == "numpy rate":
            optimizer._learning_rate = np.float64(0.1)
        elif change == "dropout":
            model = gn.Sequential(
                [gn.Input(shape=(20,)), gn.layers.Dropout(0.2), *model.layers], seed=3
            )
        model.compile(optimizer=optimizer, loss=loss)
        if change == "replaced gradient":  # no longer the array the optimizer's list holds
            hidden.kernel_gradient = np.zeros_like(hidden.kernel)
        return model

    x, y = data()
    targets: Any = y
    if change == "sigmoid output":
        targets = (np.eye(5)[y] > 0).astype(float)
    elif change == "label smoothing":
        targets = np.eye(5)[y]
    options: dict[str, Any] = {"epochs": 2, "batch_size": 100 if change == "full batch" else 32}
    if change == "sample weights":
        options["sample_weight"] = np.linspace(0.5, 2.0, len(x))
    if change == "batch hook":
        options["callbacks"] = [BatchHook()]
    steps = count_fast_steps(monkeypatch)
    history = made().fit(x, targets, verbose=0, **options)
    assert steps == []
    without_mlp_step(monkeypatch)
    plain = made().fit(x, targets, verbose=0, **options)
    assert history.history == plain.history


def test_a_loss_that_stops_training_leaves_the_readable_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch whose loss overflows to inf or NaN: the MLP step hands it to the plan's step,
    which does it again and leaves its weights, dC/dW and records as the readable step."""
    steps = count_fast_steps(monkeypatch)
    x, y = data(96)
    x[40] = 3e38  # float32's overflow in the first product
    stop = gn.callbacks.TerminateOnNaN(raise_error=False, verbose=False)
    fast, slow = mlp(), mlp()
    history = fast.fit(x, y, epochs=2, batch_size=32, shuffle=False, callbacks=[stop], verbose=0)
    assert len(history.history["loss"]) == 1 and not np.isfinite(history.history["loss"][0])
    assert steps == [0]
    from tests.test_mlp_fit_spending import readable_update

    readable_update(slow)
    xs, ys = slow._data(x, y)
    with np.errstate(over="ignore", invalid="ignore"):
        slow._readable_step(xs[:32], ys[:32])
        slow._readable_step(xs[32:64], ys[32:64])
    assert_same(fast, slow)
    assert records(fast) == records(slow)


def test_a_diverging_fit_gives_the_same_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A NaN weight (written in place, past set_weights' check), an overflowing batch and a
    diverging rate stop fit with the project's error, naming the same epoch and batch with the
    MLP step or not; NaN in x is refused before training, as ever."""
    x, y = data()
    messages = []
    for off in (False, True):
        if off:
            without_mlp_step(monkeypatch)
        model = mlp()
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
        model.layers[1].kernel[0, 0] = np.nan
        with pytest.raises(gn.TrainingDivergedError) as caught:
            model.fit(x, y, epochs=2, batch_size=32, verbose=0)
        messages.append(str(caught.value))
        big = x.copy()
        big[70] = 3e38
        with pytest.raises(gn.TrainingDivergedError) as overflow:
            mlp().fit(big, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
        messages.append(str(overflow.value))
        with pytest.raises(gn.TrainingDivergedError) as rate:  # lr * g overflows the weights
            mlp(rate=1e30).fit(x, y, epochs=2, batch_size=32, verbose=0)
        messages.append(str(rate.value))
    assert messages[:3] == messages[3:]
    assert messages[2].startswith("Training diverged at epoch 1, batch 2: the loss became nan.")
    assert messages[0].startswith("Training diverged at epoch 1, batch 1: the loss became nan.")
    assert messages[1].startswith("Training diverged at epoch 1, batch 3: the loss became nan.")
    with pytest.raises(ValueError, match="NaN"):
        mlp().fit(np.where(x > 2, np.nan, x), y, epochs=1, batch_size=32, verbose=0)


def test_a_model_changed_between_fits_is_stepped_as_it_now_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The MLP step is made for each epoch from the model as it is: new weights, a new rate,
    a hidden activation changed, a layer added, each give the readable fit's numbers."""
    steps = count_fast_steps(monkeypatch)
    x, y = data()
    fast, slow = mlp(), mlp()

    def both(epochs: int) -> None:
        history = fast.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
        assert history.history["loss"] == readable_fit(slow, x, y, epochs, 32, True)
        assert_same(fast, slow)

    both(1)
    weights = [w * 0.5 for w in fast.get_weights()]
    fast.set_weights(weights)
    slow.set_weights(weights)
    both(1)
    for model in (fast, slow):
        model.compile(optimizer=gn.SGD(0.3), loss="sparse_categorical_crossentropy")
    both(1)
    assert len(steps) == 9
    for model in (fast, slow):
        model.layers[1].activation = gn.activations.get("tanh")
    both(1)
    assert len(steps) == 9  # tanh: the plan's steps
    for model in (fast, slow):
        model.layers[1].activation = gn.activations.get("relu")
        model.pop()
        model.add(gn.layers.Dense(7, "relu"))
        model.add(gn.layers.Dense(5, "softmax"))
        model.compile(optimizer=gn.SGD(0.2), loss="sparse_categorical_crossentropy")
    both(2)
    assert len(steps) == 15


def test_kept_arrays_keep_their_numbers() -> None:
    """A layer's records kept from a fit before are never written by the MLP step."""
    x, y = data()
    model = mlp()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    kept = records(model)
    held = [getattr(layer, name) for layer in model.layers for name in ("z", "a", "delta")]
    before = [a.copy() for a in held]
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert [a.tobytes() for a in held] == [a.tobytes() for a in before]
    assert records(model) != kept


def test_probabilities_at_each_side_of_the_clip_give_the_readable_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batches whose softmax has a p below the clip's 1e-7 but above 0 (logit -18), a p that
    rounds to 1 (logit 20), a p of exactly 0 (logit -200), or none at the clip: the step's
    short way (no p at the clip) and its long one each give the readable numbers."""
    steps = count_fast_steps(monkeypatch)
    logits = {"tiny": [0, -18, 0, 0, 0], "one": [20, 0, 0, 0, 0], "zero": [0, 0, -200, 0, 0]}
    rows = [logits[kind] for kind in ("tiny", "one", "zero") for _ in range(4)]
    rows += np.random.default_rng(8).normal(size=(8, 5)).tolist()
    x = np.zeros((len(rows), 20))
    x[:, :5] = rows
    y = np.arange(len(rows)) % 5
    fast, slow = mlp(hidden=()), mlp(hidden=())
    for model in (fast, slow):
        model.layers[0].kernel[...] = np.eye(20, 5)  # z = the logits above
    history = fast.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    assert history.history["loss"] == readable_fit(slow, x, y, 2, 4, False)
    assert_same(fast, slow)
    assert len(steps) == 8


def test_a_one_unit_softmax_whose_p_is_always_at_the_clip(monkeypatch: pytest.MonkeyPatch) -> None:
    """One class: p = 1 in every row, above the clip's 1 - 1e-7 (the loss is -log(1 - 1e-7),
    not 0): the step takes its long way, with the readable numbers."""
    steps = count_fast_steps(monkeypatch)

    def made() -> gn.Sequential:
        model = gn.Sequential(
            [gn.Input(shape=(20,)), gn.layers.Dense(8, "relu"), gn.layers.Dense(1, "softmax")],
            seed=3,
        )
        model.compile(optimizer=gn.SGD(0.1), loss="sparse_categorical_crossentropy")
        return model

    x, _ = data()
    y = np.zeros(len(x), int)
    fast, slow = made(), made()
    history = fast.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert history.history["loss"] == readable_fit(slow, x, y, 2, 32, True)
    assert history.history["loss"][0] > 0
    assert_same(fast, slow)
    assert len(steps) == 6


@pytest.mark.parametrize("verbose", [1, 2])
def test_the_progress_printers_let_the_mlp_step_run(
    verbose: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """fit's own printers read only the loss: the MLP step runs under them, the same numbers,
    and the printed loss is the history's."""
    steps = count_fast_steps(monkeypatch)
    x, y = data()
    fast, slow = mlp(), mlp()
    history = fast.fit(x, y, epochs=2, batch_size=32, verbose=verbose)
    assert history.history["loss"] == readable_fit(slow, x, y, 2, 32, True)
    assert_same(fast, slow)
    assert len(steps) == 6
    assert f"loss: {history.history['loss'][-1]:.4f}" in capsys.readouterr().out


def test_the_mlp_step_lets_fit_gather_into_the_batch_befores_arrays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The MLP step keeps no batch (it sets no a_prev): fit's gather writes each batch into
    the one before's arrays (training.take_rows), one x and one y for the epoch's full batches."""
    seen: list[tuple[int, int]] = []
    real = _mlp_step.MLPStep.__call__

    def spy(self: _mlp_step.MLPStep, x: Any, y: Any, *args: Any) -> Any:
        seen.append((id(x), id(y)))  # ids only: holding them would stop the reuse
        return real(self, x, y, *args)

    monkeypatch.setattr(_mlp_step.MLPStep, "__call__", spy)
    x, y = data(100)
    fast, slow = mlp(), mlp()
    history = fast.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert len(seen) == 4 and len(set(seen[:3])) == 1 and seen[3] != seen[0]
    assert history.history["loss"] == readable_fit(slow, x, y, 1, 32, True)
    assert_same(fast, slow)
