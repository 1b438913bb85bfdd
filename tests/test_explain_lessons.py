"""The narration's small lessons (issue 16, Narration): why dC/dW has W's shape, the calculus
of the half-sum-of-squares loss, what the learning rate does, and the kid's honest after-step."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.explain import narrate
from glassnet.explain.rates import rate_effects
from glassnet.seed import XOR_X, XOR_Y, seed_network


def test_student_says_why_the_gradient_has_the_weights_shape() -> None:
    student = narrate(seed_network().trace_step(XOR_X, XOR_Y), "student", width=None)
    assert (
        "One blame per weight, so dC/dW1 has W1's shape, 3x4: row i, column j is the blame of "
        "the weight from input i to unit j." in student
    )
    assert "a0.T @ delta1 makes that shape: (3xN) @ (Nx4) = 3x4, with N = 4 examples" in student
    assert "dz1[n,j]/dW1[i,j] = a0[n,i]" in student
    assert "dC/dW2 has W2's shape, 4x1" in student and "from unit i of layer 1 to unit j" in student


def test_shape_lesson_uses_the_layers_real_sizes() -> None:
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(5, activation="tanh"), gn.layers.Dense(3)],
        dtype="float64",
        seed=3,
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(14, dtype=float).reshape(7, 2) / 10
    student = narrate(model.trace_step(x, np.zeros((7, 3))), "student", width=None)
    assert "dC/dW1 has W1's shape, 2x5" in student
    assert "(2xN) @ (Nx5) = 2x5, with N = 7 examples" in student
    assert "dC/dW2 has W2's shape, 5x3" in student and "(5xN) @ (Nx3) = 5x3" in student
    assert "and the bias adds 1 per example." in student
    # the half-sum-of-squares calculus line belongs to that loss only
    assert "d/da 1/2 (a - y)^2" not in student


def test_student_writes_the_calculus_line_once() -> None:
    student = narrate(seed_network().trace_step(XOR_X, XOR_Y), "student", width=None)
    assert student.count("d/da 1/2 (a - y)^2 = 1/2 * 2 * (a - y) * d(a - y)/da = (a - y)") == 1


def _seed_after_step(rate: float) -> tuple:
    """Independent of explain/rates.py: a fresh seed network takes the engine's own step at
    ``rate``; returns its weights after the step and the same batch's cost."""
    copy = seed_network()
    copy.optimizer.learning_rate = rate
    copy.train_on_batch(XOR_X, XOR_Y)
    return copy.get_weights(), copy.evaluate(XOR_X, XOR_Y)


def _rate_rows(text: str) -> list[list[float]]:
    """The student's learning-rate table, parsed back: rate, move, weight after, C after."""
    lines = text.split("C after the step\n", 1)[1].splitlines()[1:4]
    return [[float(cell) for cell in line.split(" | ")] for line in lines]


def test_learning_rate_lesson_matches_the_engine_at_each_rate() -> None:
    model = seed_network()
    trace = model.trace_step(XOR_X, XOR_Y)
    before = model.get_weights()
    student = narrate(trace, "student", width=None)
    rows = _rate_rows(student)
    assert [row[0] for row in rows] == [0.1, 1.0, 10.0]
    assert "for the weight this step moves most, W2[3,0] (0.6705 before the step)" in student
    old = before[1][3, 0]  # W2[3,0], the weight step 0 moves most (the table's header says so)
    costs = []
    for rate, move, after, cost in rows:
        weights, expected_cost = _seed_after_step(rate)
        assert abs(after - weights[1][3, 0]) <= 5e-5 and abs(move - (after - old)) <= 1e-4
        assert abs(cost - expected_cost) <= 5e-5
        costs.append(expected_cost)
    # the seed's step 0 (glassnet explain --level student): 10x the rate makes the cost rise
    assert costs[2] > float(trace["C"].value) > costs[1]
    assert "Ten times the rate overshoots" in student
    # the model the narration came from is untouched
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_learning_rate_lesson_holds_for_adam_and_biases() -> None:
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.Dense(4, "tanh"), gn.layers.Dense(2, "softmax")],
        dtype="float64",
        seed=1,
    )
    model.compile(optimizer=gn.Adam(0.01), loss="categorical_crossentropy")
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(6, 3)), np.eye(2)[rng.integers(0, 2, size=6)]
    model.train_on_batch(x, y)  # Adam's moments are not zero any more
    effects = rate_effects(model.trace_step(x, y))
    assert effects is not None
    for effect in effects:
        weights, cost = _after_step_keeping_state(model, x, y, effect.rate)
        assert np.isclose(effect.new, weights[2].flat[effect.flat], rtol=1e-9, atol=1e-12)
        assert np.isclose(effect.cost, cost, rtol=1e-9, atol=1e-12)


def _after_step_keeping_state(model: gn.Sequential, x, y, rate: float) -> tuple:
    """The model's own next step at ``rate`` (optimizer state kept), undone afterwards."""
    saved, state = model.get_weights(), model.optimizer.get_state()
    old_rate = model.optimizer.learning_rate
    try:
        model.optimizer.learning_rate = rate
        model.train_on_batch(x, y)
        return model.get_weights(), model.evaluate(x, y)
    finally:
        model.optimizer.learning_rate = old_rate
        model.set_weights(saved)
        model.optimizer.set_state(state, model._parameters)


def test_learning_rate_lesson_is_silent_where_it_cannot_recompute() -> None:
    model = gn.Sequential(
        [
            gn.Input(shape=(3,)),
            gn.layers.Dense(4, "relu"),
            gn.layers.Dropout(0.5, seed=2),
            gn.layers.Dense(1),
        ],
        dtype="float64",
        seed=1,
    )
    model.compile(optimizer="sgd", loss="mse")
    trace = model.trace_step(np.ones((4, 3)), np.zeros((4, 1)))
    assert rate_effects(trace) is None
    assert "What the learning rate does" not in narrate(trace, "student", width=None)


def test_kid_hears_about_bigger_and_smaller_steps() -> None:
    kid = narrate(seed_network().trace_step(XOR_X, XOR_Y), "kid", width=None)
    assert (
        "Layer 2's knob 4 turned from 0.670 to 0.532, and the score went from 0.656 to 0.589. "
        "A smaller step (a tenth of the rate) would turn it only to 0.657: the score would go "
        "to 0.649, safe but slow." in kid
    )
    assert "A bigger step (ten times the rate) would turn it all the way to -0.715" in kid
    assert "worse than before: it jumps past the spot it was aiming for (overshooting)" in kid


def test_kid_says_which_way_the_guess_moved() -> None:
    trace = seed_network().trace_step(XOR_X, XOR_Y)
    kid0 = narrate(trace, "kid", example=0, width=None)
    assert "example 0 now gets 0.691 instead of 0.758: closer to the answer 0." in kid0
    # example 1's answer is 1, and step 0 pulls its guess down from 0.771 to 0.702
    kid1 = narrate(trace, "kid", example=1, width=None)
    assert "no closer" not in kid1
    assert "example 1 now gets 0.702 instead of 0.771: it moved down, away from the answer 1." in (
        kid1
    )
    assert "the same knobs serve every example, so what helps the others can push this one" in (
        kid1
    )


def test_kid_explains_the_constant_one_input() -> None:
    kid = narrate(seed_network().trace_step(XOR_X, XOR_Y), "kid", width=None)
    assert "The last input number is 1 in every example: it carries no news" in kid
    assert "(the seed notebook's stand-in for a bias)" in kid
    # a first column of ones beside a real bias: named, without the notebook's stand-in words
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.Dense(2, "tanh"), gn.layers.Dense(1)],
        dtype="float64",
        seed=1,
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1.0, 0.2, 0.5], [1.0, -0.3, 0.1], [1.0, 0.7, -0.4]])
    kid = narrate(model.trace_step(x, np.zeros((3, 1))), "kid", width=None)
    assert "The first input number is 1 in every example" in kid and "stand-in" not in kid
    # no column of ones: nothing said
    kid = narrate(model.trace_step(x[:, 1:] @ np.ones((2, 3)), np.zeros((3, 1))), "kid", width=None)
    assert "in every example: it carries no news" not in kid


def test_learning_rate_lesson_shows_no_nan_or_inf() -> None:
    # hostile weights: 1e308 overflows the forward pass (z is inf, the cost inf or NaN)
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(2, "linear"), gn.layers.Dense(1, "linear")],
        dtype="float64",
        seed=1,
    )
    model.compile(optimizer="sgd", loss="mse")
    model.set_weights([np.full((2, 2), 1e308), np.zeros(2), np.full((2, 1), 1e308), np.zeros(1)])
    with np.errstate(all="ignore"):
        trace = model.trace_step(np.ones((3, 2)), np.zeros((3, 1)))
    assert rate_effects(trace) is None
