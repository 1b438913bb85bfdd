"""fit gathers each shuffled batch into the batch before's arrays (issue 20), never into one
that someone kept.

``training.take_rows`` writes ``x.take(index, axis=0)`` (and y's) into the last batch's arrays
when nothing holds them but fit's loop and the first Dense layer's ``a_prev``: a metric object
that keeps its batches, a callback reading ``model.current_batch``, a user who kept a layer's
input all keep their numbers, and fit's history and weights are those of fit written out with
``_readable_step`` (tests/test_mlp_fit_spending.py checks those for shuffled fits too).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests.test_mlp_fit_spending import assert_same, data, mlp, readable_fit

import glassnet as gn
from glassnet import training
from glassnet._step_plan import StepPlan
from glassnet.training import take_rows


def record_batches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The ids of each step's x and y arrays (ids only: holding them would stop the reuse),
    through the plan's step: fit's MLP step (glassnet/_mlp_step.py) is switched off, as its
    steps hand their batches to the plan's only at an epoch's end (tests/test_mlp_speed28.py)."""
    monkeypatch.setattr(training, "mlp_step", lambda *args, **kwargs: None)
    seen: list[tuple[int, int]] = []
    real = StepPlan.step

    def step(self: StepPlan, model: gn.Sequential, x: Any, y: Any, *args: Any) -> Any:
        seen.append((id(x), id(y)))
        return real(self, model, x, y, *args)

    monkeypatch.setattr(StepPlan, "step", step)
    return seen


def test_fit_gathers_each_batch_into_the_batch_befores_arrays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = record_batches(monkeypatch)
    x, y = data(100)
    fast, slow = mlp(), mlp()
    history = fast.fit(x, y, epochs=2, batch_size=32, verbose=0)
    # per epoch: three batches of 32 in one pair of arrays, the last (4 rows) in its own
    for epoch in range(2):
        full = seen[4 * epoch : 4 * epoch + 3]
        assert full[0] == full[1] == full[2] and seen[4 * epoch + 3] != full[0]
    assert history.history["loss"] == readable_fit(slow, x, y, 2, 32, True)
    assert_same(fast, slow)


class Keeper(gn.metrics.Metric):
    """A metric object of a user's that keeps every batch's targets (not a copy)."""

    name = "keeper"

    def reset_state(self) -> None:
        self.kept: list[np.ndarray] = []

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: None = None) -> None:
        self.kept.append(y_true)

    def result(self) -> float:
        return float(len(self.kept))


def test_a_metric_that_keeps_its_batches_keeps_their_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = record_batches(monkeypatch)
    x, y = data(100)
    keeper = Keeper()
    model = mlp()
    model.compile(optimizer=gn.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=[keeper])
    state = model.rng.bit_generator.state
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    order = rng.permutation(len(x))
    onehot = np.eye(5, dtype=np.float32)[y]
    assert len(keeper.kept) == 4
    for batch, kept in enumerate(keeper.kept):
        assert kept.tobytes() == onehot[order[32 * batch : 32 * batch + 32]].tobytes()
    assert len({ids[1] for ids in seen}) == 4  # each y a new array; x reused all the same
    assert len({ids[0] for ids in seen[:3]}) == 1


def test_a_callback_that_keeps_the_current_batch_keeps_its_numbers() -> None:
    kept: list[tuple[np.ndarray, np.ndarray]] = []

    class Watcher(gn.callbacks.Callback):
        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            kept.append(self.model.current_batch)

    x, y = data(100)
    model = mlp()
    state = model.rng.bit_generator.state
    model.fit(x, y, epochs=1, batch_size=32, callbacks=[Watcher()], verbose=0)
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    order = rng.permutation(len(x))
    features = x.astype(np.float32)
    for batch, (xb, _) in enumerate(kept):
        assert xb.tobytes() == features[order[32 * batch : 32 * batch + 32]].tobytes()


def test_a_kept_layer_input_is_not_written_by_the_next_fit() -> None:
    x, y = data(64)
    model = mlp()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    held = model.layers[0].a_prev
    before = held.copy()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert held.tobytes() == before.tobytes() and model.layers[0].a_prev is not held


def test_take_rows_writes_only_into_an_array_nothing_else_holds() -> None:
    source = np.arange(40, dtype=np.float32).reshape(10, 4)
    index = np.array([3, 1, 4])
    expected = source[index].tobytes()
    layer = gn.layers.Dense(2)

    def fresh() -> np.ndarray:
        return np.empty((3, 4), np.float32)

    last = fresh()
    assert take_rows(source, index, last, None) is last
    assert last.tobytes() == expected
    layer.a_prev = last  # the first Dense's input: the step sets it again before reading it
    assert take_rows(source, index, last, layer) is last
    assert take_rows(source, index, last, None) is not last  # held by a Dense, not the first
    other = gn.layers.Activation("relu")
    other.a_prev = last
    assert take_rows(source, index, last, other) is not last  # only a Dense's a_prev
    del layer.a_prev, other.a_prev
    kept = last
    assert take_rows(source, index, last, None) is not last  # someone else holds it
    del kept
    refused = [
        None,
        np.empty((2, 4), np.float32),  # another batch size
        np.empty((3, 4), np.float64),  # another dtype
        np.empty((6, 4), np.float32)[::2],  # a view
        np.asfortranarray(fresh()),
    ]
    read_only = fresh()
    read_only.setflags(write=False)
    refused.append(read_only)
    for array in refused:
        got = take_rows(source, index, array, None)
        assert got is not array and got.tobytes() == expected and got.dtype == np.float32
