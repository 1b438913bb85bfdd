"""The narration's small lessons (issue 16, Narration): why dC/dW has W's shape, the calculus
of the half-sum-of-squares loss, what the learning rate does, and the kid's honest after-step."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.explain import narrate
from glassnet.seed import XOR_X, XOR_Y, seed_network


def test_student_says_why_the_gradient_has_the_weights_shape() -> None:
    student = narrate(seed_network().trace_step(XOR_X, XOR_Y), "student")
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
    student = narrate(model.trace_step(x, np.zeros((7, 3))), "student")
    assert "dC/dW1 has W1's shape, 2x5" in student
    assert "(2xN) @ (Nx5) = 2x5, with N = 7 examples" in student
    assert "dC/dW2 has W2's shape, 5x3" in student and "(5xN) @ (Nx3) = 5x3" in student
    assert "and the bias adds 1 per example." in student
    # the half-sum-of-squares calculus line belongs to that loss only
    assert "d/da 1/2 (a - y)^2" not in student


def test_student_writes_the_calculus_line_once() -> None:
    student = narrate(seed_network().trace_step(XOR_X, XOR_Y), "student")
    assert student.count("d/da 1/2 (a - y)^2 = 1/2 * 2 * (a - y) * d(a - y)/da = (a - y)") == 1
