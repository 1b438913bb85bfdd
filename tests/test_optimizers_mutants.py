"""The optimizers' and schedules' edges that mutation testing found untested (issue 21).

Each test pins something a caller sees: a whole error message (the name, the example, the value
as ``shown`` cuts it), a bound accepted at its edge, a default Keras has, a number of the update
(``plain_step``'s rounding, the float64 norm of a float32 gradient), or the no-allocation promise
of ``plain_step``. ``tests/MUTANTS.md`` lists the mutants each one kills and the ones left as
equivalent.
"""

from __future__ import annotations

import os
import warnings

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers
from glassnet._header_bounds import MAX_HYPERPARAMETER
from glassnet.optimizers import plain_step, schedules

LONG = "x" * 40  # shown(LONG, 20) cuts it: "'xxxxxxxxxxxxxxxxxxx... (40 characters)"
CUT = "'xxxxxxxxxxxxxxxxxxx... (40 characters)"


def message(make) -> str:
    with pytest.raises((TypeError, ValueError)) as caught:
        make()
    return str(caught.value)


# --- the optimizers' refusals, whole -----------------------------------------------------------

OPTIMIZER_MESSAGES = {
    "amsgrad not a bool": (
        lambda: gn.Adam(amsgrad="yes"),
        "Expected amsgrad to be True or False, got str.",
    ),
    "AdamW without a decay": (
        lambda: gn.optimizers.AdamW(weight_decay=None),
        "AdamW needs a weight_decay (e.g. 0.004, Keras's default); for none use Adam.",
    ),
    "Adagrad's start below 0": (
        lambda: gn.optimizers.Adagrad(initial_accumulator_value=-1.0),
        "Expected initial_accumulator_value >= 0.0, got -1.0.",
    ),
    "Adagrad's start beyond float32": (
        lambda: gn.optimizers.Adagrad(initial_accumulator_value=1e39),
        "Expected initial_accumulator_value between 0 and 3.4e+38 (an ordinary number in "
        "float32, the default dtype), got 1e+39. Use e.g. initial_accumulator_value=0.1.",
    ),
    "clipnorm 0": (
        lambda: gn.SGD(clipnorm=0.0),
        "Expected clipnorm > 0 (an ordinary float32 number) or None for no clipping, got 0.0. "
        "Use e.g. clipnorm=1.0.",
    ),
    "clipvalue below 0": (
        lambda: gn.SGD(clipvalue=-1.0),
        "Expected clipvalue > 0 (an ordinary float32 number) or None for no clipping, got -1.0. "
        "Use e.g. clipvalue=0.5.",
    ),
    "global_clipnorm beyond float32": (
        lambda: gn.SGD(global_clipnorm=1e39),
        "Expected global_clipnorm > 0 (an ordinary float32 number) or None for no clipping, got "
        "1e+39. Use e.g. global_clipnorm=1.0.",
    ),
    "three clippings": (
        lambda: gn.SGD(clipnorm=1.0, clipvalue=1.0, global_clipnorm=1.0),
        "Only one of clipnorm, clipvalue and global_clipnorm can be set (as in Keras), got "
        "clipnorm and clipvalue and global_clipnorm. Keep the one you mean.",
    ),
}


@pytest.mark.parametrize("case", list(OPTIMIZER_MESSAGES))
def test_each_optimizer_refusal_says_it_in_full(case: str) -> None:
    make, expected = OPTIMIZER_MESSAGES[case]
    assert message(make) == expected


def test_the_clip_thresholds_and_the_decay_take_float32s_largest_number() -> None:
    for key in ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay"):
        assert getattr(gn.SGD(**{key: MAX_HYPERPARAMETER}), key) == MAX_HYPERPARAMETER
    assert gn.SGD(weight_decay=0.0).weight_decay == 0.0  # Keras takes 0 too: no decay


def test_adamw_and_adagrad_default_to_keras_learning_rate() -> None:
    # the defaults of Keras 3.15.1 itself (float32 variables: 0.001 to float32's rounding)
    for ours, theirs in (
        (optimizers.AdamW(), keras.optimizers.AdamW()),
        (optimizers.Adagrad(), keras.optimizers.Adagrad()),
    ):
        assert ours.learning_rate == 0.001
        assert ours.learning_rate == pytest.approx(float(theirs.learning_rate), rel=1e-7)


def test_a_keras_optimizer_glassnet_leaves_out_says_what_it_has() -> None:
    with pytest.raises(AttributeError) as caught:
        optimizers.Nadam  # noqa: B018
    assert str(caught.value) == (
        "glassnet has no keras.optimizers.Nadam: its optimizers are SGD (momentum, nesterov), "
        "RMSprop, Adam (amsgrad), AdamW and Adagrad, each step written out (see "
        "glassnet.optimizers.OPTIMIZERS)."
    )
    with pytest.raises(AttributeError) as caught:
        schedules.InverseTimeDecay  # noqa: B018
    assert str(caught.value) == (
        "glassnet has no keras.optimizers.schedules.InverseTimeDecay: its schedules are "
        "ExponentialDecay, CosineDecay and PiecewiseConstantDecay; for another formula, use "
        "glassnet.callbacks.LearningRateScheduler(lambda epoch, lr: ...)."
    )


# --- plain_step: the same numbers as param -= rate * grad, without a new product each step -----


def test_plain_step_with_a_numpy_rate_rounds_once_as_the_plain_rule() -> None:
    # a float64 NumPy rate times a float32 gradient is a float64 product (NumPy 2's rules),
    # subtracted and rounded to float32 once; the scratch path would round the product first
    rng = np.random.default_rng(0)
    param = rng.normal(size=1000).astype(np.float32)
    grad = rng.normal(size=1000).astype(np.float32)
    rate = np.float64(0.1)
    expected = (param.astype(np.float64) - 0.1 * grad.astype(np.float64)).astype(np.float32)
    twice = param - (grad * np.float32(0.1))  # rounded twice: differs somewhere in 1000
    assert not np.array_equal(expected, twice)
    plain_step(gn.SGD(), 0, param, grad, rate)
    assert np.array_equal(param, expected)


def test_plain_step_with_another_dtype_or_rate_one_or_two() -> None:
    param = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    plain_step(gn.SGD(), 0, param, np.array([0.5, -1.0, 2.0]), 0.25)  # a float64 gradient
    assert param.tolist() == [0.875, 2.25, 2.5]
    for rate, expected in ((1.0, [0.5, 3.0, 1.0]), (2.0, [0.0, 4.0, -1.0])):
        param = np.array([1.0, 2.0, 3.0])
        plain_step(gn.SGD(), 0, param, np.array([0.5, -1.0, 2.0]), rate)
        assert param.tolist() == expected


def test_plain_step_keeps_one_scratch_array_per_parameter_and_reuses_it() -> None:
    sgd = gn.SGD(0.1)
    params = [np.ones((3, 2)), np.ones(2)]
    grads = [np.full((3, 2), 0.5), np.full(2, 2.0)]
    sgd.build(params)
    sgd.apply(params, grads)
    scratch = optimizers._SCRATCH[sgd]
    assert sorted(scratch) == [0, 1]
    assert [b.shape for b in (scratch[0], scratch[1])] == [(3, 2), (2,)]
    kept = dict(scratch)
    sgd.apply(params, grads)
    assert all(optimizers._SCRATCH[sgd][i] is kept[i] for i in (0, 1))  # not allocated again
    assert params[0].tolist() == [[1.0 - 0.1 * 0.5 - 0.1 * 0.5] * 2] * 3
    assert params[1].tolist() == [1.0 - 0.1 * 2.0 - 0.1 * 2.0] * 2


def test_plain_step_makes_a_new_scratch_array_for_a_new_shape_or_dtype() -> None:
    sgd = gn.SGD()
    plain_step(sgd, 0, np.ones(3), np.ones(3), 0.5)
    param = np.ones(4)
    plain_step(sgd, 0, param, np.full(4, 2.0), 0.5)  # the same index, another shape
    assert param.tolist() == [0.0] * 4 and optimizers._SCRATCH[sgd][0].shape == (4,)
    param32 = np.ones(4, dtype=np.float32)
    plain_step(sgd, 0, param32, np.full(4, 2.0, dtype=np.float32), 0.25)  # another dtype
    assert param32.tolist() == [0.5] * 4 and optimizers._SCRATCH[sgd][0].dtype == np.float32


# --- clipping: the norm in float64, without a warning ------------------------------------------


def test_clipnorm_measures_a_float32_gradient_in_float64() -> None:
    # ||[1e20, 1e20]|| = 1.41e20: its square 2e40 is inf in float32, not in float64
    grad = np.array([1e20, 1e20], dtype=np.float32)
    (clipped,) = gn.SGD(clipnorm=1.0).clip([grad])
    assert clipped == pytest.approx([2**-0.5, 2**-0.5], rel=1e-6)


def test_a_norm_past_float64_clips_as_keras_without_a_warning() -> None:
    # ||g||**2 overflows float64 (1e400): the norm is inf; clipnorm's scale c / inf = 0, and
    # global_clipnorm's is NaN, as Keras 3.15.1 gives in float32 (KERAS_BACKEND=torch:
    # SGD(1.0, clipnorm=1.0).apply([[1e30, 3.0]], [zeros(2)]) left [0, 0], global_clipnorm
    # [nan, nan])
    grad = np.array([1e200, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (clipped,) = gn.SGD(clipnorm=1.0).clip([grad])
        (both,) = gn.SGD(global_clipnorm=1.0).clip([grad])
    assert clipped.tolist() == [0.0, 0.0] and np.isnan(both).all()


# --- the schedules' refusals, whole ------------------------------------------------------------

SCHEDULE_MESSAGES = {
    "ExponentialDecay's rate below float32": (
        lambda: schedules.ExponentialDecay(1e-50, 10, 0.5),
        "Expected initial_learning_rate between 1.18e-38 and 3.4e+38 (an ordinary number in "
        "float32, the default dtype), got 1e-50. Use e.g. initial_learning_rate=0.01.",
    ),
    "decay_steps a long str": (
        lambda: schedules.ExponentialDecay(0.1, LONG, 0.5),
        f"Expected decay_steps to be a whole number of steps, got str {CUT}.",
    ),
    "decay_steps a long float": (
        lambda: schedules.ExponentialDecay(0.1, 1.2345678901234567e200, 0.5),
        "Expected decay_steps to be a whole number of steps in [1, 2**53], got "
        "1.2345678901234567e+... (23 characters).",
    ),
    "decay_steps past 2**53": (
        lambda: schedules.ExponentialDecay(0.1, 2**53 + 2, 0.5),
        "Expected decay_steps to be a whole number of steps in [1, 2**53], got 9007199254740994.",
    ),
    "decay_rate NaN": (
        lambda: schedules.ExponentialDecay(0.1, 10, float("nan")),
        "Expected decay_rate to be a finite number, got nan.",
    ),
    "decay_rate 0": (
        lambda: schedules.ExponentialDecay(0.1, 10, 0.0),
        "Expected decay_rate > 0 (e.g. 0.96: the rate shrinks by that factor every decay_steps "
        "steps), got 0.0.",
    ),
    "staircase a long str": (
        lambda: schedules.ExponentialDecay(0.1, 10, 0.5, staircase=LONG),
        f"Expected staircase to be True or False, got {CUT}.",
    ),
    "a fractional step": (
        lambda: schedules.ExponentialDecay(0.1, 10, 0.5)(2.5),
        "Expected a step count, an int >= 0, got 2.5.",
    ),
    "a long str as the step": (
        lambda: schedules.ExponentialDecay(0.1, 10, 0.5)(LONG),
        f"Expected a step count, an int >= 0, got {CUT}.",
    ),
    "CosineDecay's rate beyond float32": (
        lambda: schedules.CosineDecay(1e39, 10),
        "Expected initial_learning_rate between 1.18e-38 and 3.4e+38 (an ordinary number in "
        "float32, the default dtype), got 1e+39. Use e.g. initial_learning_rate=0.01.",
    ),
    "CosineDecay's decay_steps 0": (
        lambda: schedules.CosineDecay(0.1, 0),
        "Expected decay_steps to be a whole number of steps in [1, 2**53], got 0.",
    ),
    "alpha above 1": (
        lambda: schedules.CosineDecay(0.1, 10, alpha=1.5),
        "Expected alpha, the final rate as a fraction of the start, in [0, 1], got 1.5.",
    ),
    "warmup_target below float32": (
        lambda: schedules.CosineDecay(0.1, 10, warmup_target=1e-50, warmup_steps=5),
        "Expected warmup_target between 1.18e-38 and 3.4e+38 (an ordinary number in float32, "
        "the default dtype), got 1e-50. Use e.g. warmup_target=0.1.",
    ),
    "warmup_steps below 0": (
        lambda: schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1),
        "Expected warmup_steps to be a whole number of steps in [0, 2**53], got -1.",
    ),
    "a warm-up target without steps": (
        lambda: schedules.CosineDecay(0.1, 10, warmup_target=0.2),
        "CosineDecay(warmup_target=...) needs warmup_steps >= 1, the length of the warm-up "
        "(Keras would divide by zero).",
    ),
    "values a long str": (
        lambda: schedules.PiecewiseConstantDecay([1], LONG),
        f"Expected values to be a list, got str {CUT}.",
    ),
    "a fractional boundary": (
        lambda: schedules.PiecewiseConstantDecay([1.5], [0.1, 0.2]),
        "Expected boundaries[0] to be a whole number of steps in [0, 2**53], got 1.5.",
    ),
    "equal boundaries": (
        lambda: schedules.PiecewiseConstantDecay([5, 5], [0.1, 0.2, 0.3]),
        "Expected strictly increasing boundaries, got [5, 5].",
    ),
    "30 decreasing boundaries": (
        lambda: schedules.PiecewiseConstantDecay(list(range(30, 0, -1)), [0.1] * 31),
        "Expected strictly increasing boundaries, got [30, 29, 28, 27, 26, 25, 24, 23, 22, 21, "
        "20, 19, 18, 17, 16,... (111 characters).",
    ),
    "a value below float32": (
        lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2, 1e-50]),
        "Expected values[2] between 1.18e-38 and 3.4e+38 (an ordinary number in float32, the "
        "default dtype), got 1e-50. Use e.g. values=[0.1, 0.01, 0.001].",
    ),
    "a saved schedule not a dict": (
        lambda: schedules.deserialize([1, 2]),
        "Expected a learning-rate schedule as {'class_name': ..., 'config': {...}}, got [1, 2].",
    ),
    "a saved schedule's config not a dict": (
        lambda: schedules.deserialize({"class_name": "ExponentialDecay", "config": [1, 2]}),
        "Expected the schedule's config to be a dict, got [1, 2].",
    ),
}


@pytest.mark.parametrize("case", list(SCHEDULE_MESSAGES))
def test_each_schedule_refusal_says_it_in_full(case: str) -> None:
    make, expected = SCHEDULE_MESSAGES[case]
    assert message(make) == expected


def test_the_schedules_take_their_bounds_at_the_edge() -> None:
    assert schedules.ExponentialDecay(0.1, 2**53, MAX_HYPERPARAMETER).decay_steps == 2**53
    assert schedules.CosineDecay(0.1, 1, alpha=1.0)(5) == 0.1  # alpha 1: no decay at all
    assert schedules.PiecewiseConstantDecay([0], [0.1, 0.2])(0) == 0.1  # a boundary at step 0
    many = schedules.PiecewiseConstantDecay(list(range(10_000)), [0.5] * 10_001)
    assert len(many.boundaries) == schedules.MAX_BOUNDARIES


def test_cosine_decay_at_the_end_of_the_warm_up_is_the_target_itself() -> None:
    # step == warmup_steps is the decay's first step, cos(0) = 1: exactly warmup_target; the
    # warm-up's line there, (0.01 - 0.3) * 1 + 0.3, would be 0.010000000000000009
    schedule = schedules.CosineDecay(0.3, 10, warmup_target=0.01, warmup_steps=5)
    assert schedule(5) == 0.01
    assert (0.01 - 0.3) * (5 / 5) + 0.3 != 0.01


def test_a_schedule_is_not_equal_to_what_is_not_a_schedule() -> None:
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert schedule != 0.1 and schedule != "ExponentialDecay" and schedule != object()
    assert schedule == schedules.ExponentialDecay(0.1, 10, 0.5)
