"""Every optimizer's update rule, step by step, against torch.optim 2.13 in float64.

Four steps on three weights, with gradients that change sign and size from step to step, and
hyperparameters chosen so that every term of each rule moves the weights by far more than the
tolerance: beta_1 != beta_2 and both far from 1 (so Adam's two bias corrections differ, and differ
at every step), an epsilon of the same order as sqrt(v) (so where it is added matters), rho and
momentum far from 0 and 1. ``test_each_term_of_the_rule_matters`` proves it: the rule with one term
dropped or moved (no bias correction, epsilon inside the square root, dampened momentum, ...)
lands at least 1e-3 away from torch.optim, and the tolerance here is 1e-14. (Adam without its
bias corrections used to pass the hand-worked test, whose betas 0.5 and 0.75 give the same first
step either way.)
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn

#: four steps of gradients for three weights: signs flip, sizes range over 150x
GRADIENTS = np.array(
    [
        [0.5, -2.0, 0.1],
        [-1.5, 0.25, 0.1],
        [0.75, -0.5, -3.0],
        [2.0, 1.0, 0.02],
    ]
)
START = np.array([1.0, -0.5, 0.25])

#: name -> (glassnet optimizer, the torch.optim twin)
CASES = {
    "sgd": (lambda: gn.SGD(0.3), lambda p: torch.optim.SGD(p, lr=0.3)),
    "momentum": (
        lambda: gn.SGD(0.3, momentum=0.7),
        lambda p: torch.optim.SGD(p, lr=0.3, momentum=0.7),
    ),
    "nesterov": (
        lambda: gn.SGD(0.3, momentum=0.7, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.3, momentum=0.7, nesterov=True),
    ),
    "rmsprop": (
        lambda: gn.RMSprop(0.1, rho=0.6, epsilon=0.05),
        lambda p: torch.optim.RMSprop(p, lr=0.1, alpha=0.6, eps=0.05),
    ),
    "rmsprop_momentum": (
        lambda: gn.RMSprop(0.1, rho=0.6, momentum=0.7, epsilon=0.05),
        lambda p: torch.optim.RMSprop(p, lr=0.1, alpha=0.6, momentum=0.7, eps=0.05),
    ),
    "rmsprop_centered": (
        lambda: gn.RMSprop(0.1, rho=0.6, epsilon=0.05, centered=True),
        lambda p: torch.optim.RMSprop(p, lr=0.1, alpha=0.6, eps=0.05, centered=True),
    ),
    "rmsprop_centered_momentum": (
        lambda: gn.RMSprop(0.1, rho=0.6, momentum=0.7, epsilon=0.05, centered=True),
        lambda p: torch.optim.RMSprop(p, lr=0.1, alpha=0.6, momentum=0.7, eps=0.05, centered=True),
    ),
    "adam": (
        lambda: gn.Adam(0.1, beta_1=0.6, beta_2=0.8, epsilon=0.05),
        lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.6, 0.8), eps=0.05),
    ),
}


def glassnet_steps(optimizer: gn.optimizers.Optimizer) -> np.ndarray:
    """The weights after each of the four steps, (4, 3)."""
    w = START.copy()
    optimizer.build([w])
    after = []
    for g in GRADIENTS:
        optimizer.apply([w], [g.copy()])
        after.append(w.copy())
    return np.array(after)


def torch_steps(make) -> np.ndarray:
    w = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = make([w])
    after = []
    for g in GRADIENTS:
        w.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        after.append(w.detach().numpy().copy())
    return np.array(after)


@pytest.mark.parametrize("name", list(CASES))
def test_four_steps_match_torch_optim(name: str) -> None:
    ours, theirs = CASES[name]
    np.testing.assert_allclose(glassnet_steps(ours()), torch_steps(theirs), rtol=1e-14, atol=1e-15)


def test_the_state_after_four_steps_resumes_exactly() -> None:
    # get_state / set_state (what save_model keeps) carry every moment: a fresh Adam given the
    # state after two steps makes the same last two steps
    first = gn.Adam(0.1, beta_1=0.6, beta_2=0.8, epsilon=0.05)
    w = START.copy()
    first.build([w])
    for g in GRADIENTS[:2]:
        first.apply([w], [g.copy()])
    second = gn.Adam(0.1, beta_1=0.6, beta_2=0.8, epsilon=0.05)
    second.build([w])
    second.set_state(first.get_state(), [w])
    for g in GRADIENTS[2:]:
        second.apply([w], [g.copy()])
    np.testing.assert_allclose(w, torch_steps(CASES["adam"][1])[-1], rtol=1e-14, atol=1e-15)


def adam(correct_1=True, correct_2=True, eps_inside=False, swap=False) -> np.ndarray:
    """Adam written out, with one term switchable, for the test below."""
    lr, b1, b2, eps = 0.1, 0.6, 0.8, 0.05
    if swap:
        b1, b2 = b2, b1
    w, m, v = START.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADIENTS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t) if correct_1 else m
        v_hat = v / (1 - b2**t) if correct_2 else v
        if eps_inside:  # Keras 2's "epsilon hat": eps added before the correction of sqrt(v)
            w = w - lr * m_hat / ((np.sqrt(v) + eps) / np.sqrt(1 - b2**t))
        else:
            w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


def rmsprop(eps_inside=False, rho_for_g=False, centered=False, subtract_m2=True) -> np.ndarray:
    lr, rho, eps = 0.1, 0.6, 0.05
    w, v, m = START.copy(), np.zeros(3), np.zeros(3)
    for g in GRADIENTS:
        v = rho * v + (1 - rho) * g * g if not rho_for_g else (1 - rho) * v + rho * g * g
        m = rho * m + (1 - rho) * g
        var = v - m * m if centered and subtract_m2 else v
        w = w - lr * g / (np.sqrt(var + eps) if eps_inside else np.sqrt(var) + eps)
    return w


def momentum(dampened=False, first_is_g=True, nesterov=False) -> np.ndarray:
    lr, mu = 0.3, 0.7
    w, b = START.copy(), None
    for g in GRADIENTS:
        if b is None:
            b = g.copy() if first_is_g else (1 - mu) * g
        else:
            b = mu * b + ((1 - mu) * g if dampened else g)
        w = w - lr * (g + mu * b if nesterov else b)
    return w


def test_each_term_of_the_rule_matters() -> None:
    """The written-out rules equal torch.optim; each variant with one term wrong is far off."""
    final = {name: torch_steps(make)[-1] for name, (_, make) in CASES.items()}
    np.testing.assert_allclose(adam(), final["adam"], rtol=1e-13)
    np.testing.assert_allclose(rmsprop(), final["rmsprop"], rtol=1e-13)
    np.testing.assert_allclose(rmsprop(centered=True), final["rmsprop_centered"], rtol=1e-13)
    np.testing.assert_allclose(momentum(), final["momentum"], rtol=1e-13)
    np.testing.assert_allclose(momentum(nesterov=True), final["nesterov"], rtol=1e-13)
    wrong = {
        "adam without its first bias correction": (adam(correct_1=False), "adam"),
        "adam without its second bias correction": (adam(correct_2=False), "adam"),
        "adam without either bias correction": (adam(False, False), "adam"),
        "adam with epsilon before the correction": (adam(eps_inside=True), "adam"),
        "adam with beta_1 and beta_2 swapped": (adam(swap=True), "adam"),
        "rmsprop with epsilon inside the root": (rmsprop(eps_inside=True), "rmsprop"),
        "rmsprop with rho and 1 - rho swapped": (rmsprop(rho_for_g=True), "rmsprop"),
        "centered rmsprop without m**2": (
            rmsprop(centered=True, subtract_m2=False),
            "rmsprop_centered",
        ),
        "momentum dampened by 1 - mu": (momentum(dampened=True), "momentum"),
        "momentum starting from (1 - mu) g": (momentum(first_is_g=False), "momentum"),
        "plain momentum for nesterov": (momentum(), "nesterov"),
    }
    for what, (weights, name) in wrong.items():
        assert np.abs(weights - final[name]).max() > 1e-3, what
