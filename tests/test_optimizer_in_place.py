"""Adam's and RMSprop's in-place updates (issue 20) give their readable rules' numbers bit for bit.

``_update`` writes each operation of the rule into one scratch array per parameter instead of
making five to nine new arrays a step; ``_readable_update`` is the rule as its docstring writes
it, one NumPy expression per line. Twin optimizers, one taking each, run the same steps on the
same parameters and gradients (float32 and float64, every variant: amsgrad, centered, momentum,
weight decay, a schedule, clipping); their parameters and state must be equal to the last bit,
NaN where NaN. The readable rule is also what the update falls back to (a NumPy rate, a mixed
dtype), which is tested here too, as is the SGD update's one scratch lookup per step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers
from glassnet.optimizers import schedules

SHAPES = [(7, 5), (5,), (5, 3), (3,)]

VARIANTS: dict[str, Callable[[], optimizers.Optimizer]] = {
    "adam": lambda: gn.Adam(learning_rate=0.01),
    "adam amsgrad": lambda: gn.Adam(learning_rate=0.01, amsgrad=True),
    "adam odd betas": lambda: gn.Adam(0.3, beta_1=0.5, beta_2=0.7, epsilon=1e-3),
    "adamw": lambda: gn.AdamW(learning_rate=0.01, weight_decay=0.1),
    "adam schedule": lambda: gn.Adam(schedules.ExponentialDecay(0.01, 2, 0.5)),
    "adam clipnorm": lambda: gn.Adam(0.01, clipnorm=0.5),
    "rmsprop": lambda: gn.RMSprop(learning_rate=0.01),
    "rmsprop centered": lambda: gn.RMSprop(0.01, centered=True),
    "rmsprop momentum": lambda: gn.RMSprop(0.01, momentum=0.9),
    "rmsprop centered momentum": lambda: gn.RMSprop(0.02, rho=0.5, momentum=0.5, centered=True),
    "rmsprop clipvalue": lambda: gn.RMSprop(0.01, clipvalue=0.1, weight_decay=0.01),
    # the cousins: Adagrad's rule and SGD's momentum step, in one scratch array too
    "adagrad": lambda: gn.Adagrad(learning_rate=0.1),
    "adagrad from 0": lambda: gn.Adagrad(0.1, initial_accumulator_value=0.0, epsilon=1e-3),
    "sgd momentum": lambda: gn.SGD(0.1, momentum=0.9),
    "sgd nesterov": lambda: gn.SGD(0.1, momentum=0.5, nesterov=True, weight_decay=0.01),
}


def readable(optimizer: optimizers.Optimizer) -> optimizers.Optimizer:
    optimizer._update = optimizer._readable_update  # type: ignore[attr-defined, method-assign]
    return optimizer


def run_twins(
    make: Callable[[], optimizers.Optimizer], dtype: type, steps: int = 6, seed: int = 0
) -> tuple[list[np.ndarray], list[np.ndarray], optimizers.Optimizer, optimizers.Optimizer]:
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    fast_params = [p.copy() for p in start]
    slow_params = [p.copy() for p in start]
    fast, slow = make(), readable(make())
    fast.build(fast_params)
    slow.build(slow_params)
    for step in range(steps):
        grads = [rng.standard_normal(shape).astype(dtype) * 10.0 ** (step - 3) for shape in SHAPES]
        grads[1][0] = 0.0  # a gradient of exactly 0 (denominators of epsilon alone)
        with np.errstate(over="ignore", invalid="ignore"):
            fast.apply(fast_params, [g.copy() for g in grads])
            slow.apply(slow_params, [g.copy() for g in grads])
    return fast_params, slow_params, fast, slow


def assert_bits_equal(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(VARIANTS))
def test_in_place_update_gives_the_readable_rules_bits(name: str, dtype: type) -> None:
    fast_params, slow_params, fast, slow = run_twins(VARIANTS[name], dtype)
    for got, expected in zip(fast_params, slow_params, strict=True):
        assert_bits_equal(got, expected)
    fast_state, slow_state = fast.get_state(), slow.get_state()
    assert fast_state["iterations"] == slow_state["iterations"] == 6
    for slot in fast.state_slots:
        for got, expected in zip(fast_state[slot], slow_state[slot], strict=True):
            assert (got is None and expected is None) or got.tobytes() == expected.tobytes()
    # the in-place path ran: one scratch array per parameter, the parameter's shape and dtype
    scratch = optimizers._SCRATCH[fast]
    assert [scratch[i].shape for i in range(len(SHAPES))] == SHAPES
    assert all(scratch[i].dtype == dtype for i in range(len(SHAPES)))
    assert slow not in optimizers._SCRATCH  # the readable twin made none


@pytest.mark.parametrize("name", ["adam", "rmsprop centered momentum"])
def test_in_place_update_keeps_nan_and_inf_where_the_readable_rule_does(name: str) -> None:
    rng = np.random.default_rng(3)
    start = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
    grads = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
    grads[0][0, 0], grads[0][1, 1], grads[2][0, 0] = np.nan, np.inf, 3e38  # 3e38**2: inf
    fast_params, slow_params = [p.copy() for p in start], [p.copy() for p in start]
    fast, slow = VARIANTS[name](), readable(VARIANTS[name]())
    fast.build(fast_params)
    slow.build(slow_params)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(2):
            fast.apply(fast_params, grads)
            slow.apply(slow_params, grads)
    for got, expected in zip(fast_params, slow_params, strict=True):
        np.testing.assert_array_equal(got, expected)  # NaN where NaN
    assert np.isnan(fast_params[0][0, 0])


def test_a_numpy_rate_or_a_mixed_dtype_takes_the_readable_rule() -> None:
    """A NumPy float64 rate makes rate * array float64 (NEP 50), and a float64 gradient of a
    float32 weight is subtracted in float64: a float32 scratch array would round each sooner."""
    for rate, grad_dtype in ((np.float64(0.1), np.float32), (0.1, np.float64)):
        param = np.full(4, 1.0, dtype=np.float32)
        expected = param.copy()
        grad = np.array([0.3, -0.7, 1e-3, 2.0], dtype=grad_dtype)
        fast, slow = gn.Adam(), readable(gn.Adam())
        fast.build([param])
        slow.build([expected])
        fast.iterations = slow.iterations = 1  # _update reads t = iterations, as apply sets it
        fast._update(0, param, grad, rate)
        slow._update(0, expected, grad, rate)
        assert_bits_equal(param, expected)
        assert fast not in optimizers._SCRATCH  # no scratch array: the readable rule ran


def test_rmsprop_with_a_state_of_another_dtype_takes_the_readable_rule() -> None:
    param = np.ones(3, dtype=np.float32)
    expected = param.copy()
    fast, slow = gn.RMSprop(0.1), readable(gn.RMSprop(0.1))
    fast.build([param])
    slow.build([expected])
    fast.velocities[0] = np.full(3, 0.5)  # float64 state beside a float32 weight
    slow.velocities[0] = np.full(3, 0.5)
    grad = np.array([0.1, -0.2, 0.3], dtype=np.float32)
    fast.apply([param], [grad])
    slow.apply([expected], [grad])
    assert_bits_equal(param, expected)
    assert fast not in optimizers._SCRATCH


def test_in_place_update_keeps_one_scratch_array_per_parameter_across_steps() -> None:
    params = [np.ones((3, 2), dtype=np.float32), np.ones(2, dtype=np.float32)]
    grads = [np.full((3, 2), 0.5, dtype=np.float32), np.full(2, -1.0, dtype=np.float32)]
    adam = gn.Adam(0.1)
    adam.build(params)
    adam.apply(params, grads)
    kept = dict(optimizers._SCRATCH[adam])
    adam.apply(params, grads)
    assert all(optimizers._SCRATCH[adam][i] is kept[i] for i in (0, 1))


def test_sgd_apply_looks_its_scratch_up_once_and_gives_the_plain_rules_bits() -> None:
    """SGD.apply's loop over the scratch arrays (after a first step that makes them) against
    ``param -= rate * grad``; a parameter list of other shapes (a layer frozen) still steps."""
    rng = np.random.default_rng(5)
    params = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
    expected = [p.copy() for p in params]
    sgd = gn.SGD(0.1)
    sgd.build(params)
    for _ in range(3):
        grads = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
        sgd.apply(params, grads)
        for param, grad in zip(expected, grads, strict=True):
            param -= 0.1 * grad
    for got, want in zip(params, expected, strict=True):
        assert_bits_equal(got, want)
    narrowed, narrowed_expected = params[2:], expected[2:]  # index 0 is now a (5, 3) kernel
    grads = [np.ones(shape, dtype=np.float32) for shape in SHAPES[2:]]
    sgd.apply(narrowed, grads)
    for param, grad in zip(narrowed_expected, grads, strict=True):
        param -= 0.1 * grad
    for got, want in zip(narrowed, narrowed_expected, strict=True):
        assert_bits_equal(got, want)
    assert optimizers._SCRATCH[sgd][0].shape == (5, 3)
