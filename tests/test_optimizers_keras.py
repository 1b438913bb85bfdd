"""AdamW, Adagrad, amsgrad, weight decay, clipping and learning-rate schedules.

- PyTorch 2.13 float64 parity (1e-12 after 100 steps) where torch.optim has the same rule
  (AdamW, Adagrad, Adam with amsgrad): the trajectories are computed here, by torch.optim, on
  the same starting weights and the same gradient function.
- Keras 3.15.1 float32 parity (1e-5 after 100 steps) for clipping, weight decay and schedules,
  computed here by ``keras.optimizers.X(...).apply`` on the torch backend.
- One step of each rule worked by hand, with hyperparameters where every term matters.
- Keras's own golden numbers from ``keras/src/optimizers/*_test.py`` (quoted with the file).
"""

from __future__ import annotations

import math
import os
import warnings

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import optimizers
from glassnet.optimizers import schedules

A = np.array([[2.0, 0.3, -0.1], [0.3, 1.0, 0.2], [-0.1, 0.2, 0.5]])
B = np.array([1.0, -2.0, 0.5])


def gradient(w: np.ndarray) -> np.ndarray:
    """The gradient of 0.5 w.A.w - b.w (+ a wiggle), a 3x2 weight's worth of numbers."""
    flat = w.reshape(3, -1)
    return (A @ flat - B[:, None] + 0.3 * np.sin(3 * flat)).reshape(w.shape)


def start(dtype: str = "float64") -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=(3, 1)).astype(dtype)]


def run_ours(optimizer: optimizers.Optimizer, steps: int = 100, dtype: str = "float64"):
    params = start(dtype)
    optimizer.build(params)
    for _ in range(steps):
        optimizer.apply(params, [gradient(p).astype(dtype) for p in params])
    return params


def run_torch(make, steps: int = 100):
    params = [torch.tensor(p, requires_grad=True) for p in start()]
    optimizer = make(params)
    for _ in range(steps):
        for p in params:
            p.grad = torch.tensor(gradient(p.detach().numpy()))
        optimizer.step()
    return [p.detach().numpy() for p in params]


def run_keras(optimizer, steps: int = 100):
    variables = [keras.Variable(p, dtype="float32") for p in start("float32")]
    optimizer.build(variables)
    for _ in range(steps):
        grads = [gradient(np.asarray(v.numpy(), np.float32)).astype(np.float32) for v in variables]
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in grads], variables)
    return [np.asarray(v.numpy()) for v in variables]


# -- PyTorch float64 parity ------------------------------------------------------------------
TORCH_CASES = {
    "adamw": (
        lambda: gn.AdamW(0.05, weight_decay=0.3, beta_1=0.8, beta_2=0.95, epsilon=1e-3),
        lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.3, betas=(0.8, 0.95), eps=1e-3),
    ),
    "adamw_amsgrad": (
        lambda: gn.AdamW(0.05, weight_decay=0.1, epsilon=1e-6, amsgrad=True),
        lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1, eps=1e-6, amsgrad=True),
    ),
    "adam_amsgrad": (
        lambda: gn.Adam(0.02, beta_1=0.7, beta_2=0.9, epsilon=1e-4, amsgrad=True),
        lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.7, 0.9), eps=1e-4, amsgrad=True),
    ),
    "adagrad": (
        lambda: gn.Adagrad(0.3, initial_accumulator_value=0.1, epsilon=1e-3),
        lambda p: torch.optim.Adagrad(p, lr=0.3, initial_accumulator_value=0.1, eps=1e-3),
    ),
    "adagrad_zero_start": (
        lambda: gn.Adagrad(0.1, initial_accumulator_value=0.0, epsilon=1e-10),
        lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-10),
    ),
}


@pytest.mark.parametrize("case", list(TORCH_CASES))
def test_100_steps_match_torch_optim_in_float64(case: str) -> None:
    ours, theirs = TORCH_CASES[case]
    got, expected = run_ours(ours()), run_torch(theirs)
    moved = max(np.abs(g - s).max() for g, s in zip(got, start(), strict=True))
    assert moved > 0.1  # the weights went somewhere
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-12)


def test_amsgrad_changes_the_trajectory() -> None:
    plain, ams = run_ours(gn.Adam(0.02, amsgrad=False)), run_ours(gn.Adam(0.02, amsgrad=True))
    assert np.abs(plain[0] - ams[0]).max() > 1e-4


# -- one step worked by hand -----------------------------------------------------------------
def test_adamw_one_step_by_hand() -> None:
    w, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    opt = gn.AdamW(0.1, weight_decay=0.2, beta_1=0.9, beta_2=0.99, epsilon=0.01)
    opt.build([w])
    opt.apply([w], [g])
    decayed = np.array([1.0, -2.0]) * (1 - 0.1 * 0.2)  # W * (1 - lr * wd)
    m = (1 - 0.9) * g  # 0.1 g
    v = (1 - 0.99) * g**2  # 0.01 g**2
    step = 0.1 / (1 - 0.9) * m / (np.sqrt(v) / math.sqrt(1 - 0.99) + 0.01)
    np.testing.assert_allclose(w, decayed - step, rtol=1e-15)
    # written out for the first element: 0.98 - 1.0 * 0.05 / (0.05 / 0.1 + 0.01) = 0.98 - 0.05/0.51
    assert w[0] == pytest.approx(0.98 - 0.05 / 0.51, rel=1e-15)


def test_amsgrad_keeps_the_largest_second_moment_by_hand() -> None:
    w = np.array([0.0])
    opt = gn.Adam(1.0, beta_1=0.5, beta_2=0.5, epsilon=1e-8, amsgrad=True)
    opt.build([w])
    opt.apply([w], [np.array([2.0])])  # v = 0.5 * 4 = 2
    opt.apply([w], [np.array([0.0])])  # v = 1, but v_max stays 2
    assert opt.second_moments[0][0] == 1.0
    assert opt.max_second_moments[0][0] == 2.0
    # step 1: m = 1, c1 = 0.5, c2 = 0.5: 1 / 0.5 * 1 / (sqrt(2) / sqrt(0.5) + 1e-8) = 1 / (2 + 1e-8)
    # step 2: m = 0.5, c1 = 0.75, c2 = 0.75: 0.5 / 0.75 / (sqrt(2) / sqrt(0.75) + 1e-8)
    first = 1 / 0.5 * 1 / (math.sqrt(2) / math.sqrt(0.5) + 1e-8)
    second = 0.5 / 0.75 / (math.sqrt(2) / math.sqrt(0.75) + 1e-8)
    assert w[0] == pytest.approx(-(first + second), rel=1e-15)


def test_adagrad_one_step_by_hand() -> None:
    w, g = np.array([1.0]), np.array([0.6])
    opt = gn.Adagrad(0.5, initial_accumulator_value=0.28, epsilon=0.1)
    opt.build([w])
    opt.apply([w], [g])
    # acc = 0.28 + 0.36 = 0.64; W = 1 - 0.5 * 0.6 / (0.8 + 0.1)
    assert opt.accumulators[0][0] == pytest.approx(0.64, rel=1e-15)
    assert w[0] == pytest.approx(1 - 0.5 * 0.6 / 0.9, rel=1e-15)


def test_weight_decay_and_clipping_one_sgd_step_by_hand() -> None:
    w, g = np.array([3.0, -1.0]), np.array([30.0, 40.0])  # ||g|| = 50
    opt = gn.SGD(0.1, weight_decay=0.5, clipnorm=5.0)
    opt.build([w])
    opt.apply([w], [g])
    # clip: g * 5 / 50 = [3, 4]; decay: W * (1 - 0.05); then W - 0.1 * [3, 4]
    np.testing.assert_allclose(w, [3.0 * 0.95 - 0.3, -1.0 * 0.95 - 0.4], rtol=1e-15)
    assert g.tolist() == [30.0, 40.0]  # the layer's gradient is not changed in place


def test_each_clipping_by_hand() -> None:
    grads = [np.array([3.0, 4.0]), np.array([12.0])]  # norms 5 and 12; global 13
    assert [x.tolist() for x in gn.SGD(clipnorm=6.0).clip(grads)] == [[3.0, 4.0], [6.0]]
    clipped = gn.SGD(global_clipnorm=6.5).clip(grads)  # everything times 6.5 / 13
    assert [x.tolist() for x in clipped] == [[1.5, 2.0], [6.0]]
    assert gn.SGD(global_clipnorm=20.0).clip(grads)[1].tolist() == [12.0]  # under: unchanged
    assert [x.tolist() for x in gn.SGD(clipvalue=3.5).clip(grads)] == [[3.0, 3.5], [3.5]]
    # a NaN gradient stays NaN under global clipping, as in Keras (TerminateOnNaN then sees it)
    assert np.isnan(gn.SGD(global_clipnorm=1.0).clip([np.array([np.inf, 1.0])])[0]).all()


def test_keras_clip_golden_numbers() -> None:
    # keras/src/optimizers/optimizer_test.py: test_clip_norm, test_clip_value, test_global_clip_norm
    np.testing.assert_allclose(
        gn.SGD(clipnorm=1).clip([np.array([100.0, 100.0])])[0], [2**0.5 / 2, 2**0.5 / 2]
    )
    np.testing.assert_allclose(gn.SGD(clipvalue=1).clip([np.array([100.0, 100.0])])[0], [1, 1])
    grad = np.array([50.0, 100.0], dtype="float32")
    np.testing.assert_allclose(
        gn.SGD(global_clipnorm=1).clip([grad])[0], grad / np.linalg.norm(grad), rtol=1e-6
    )


# -- Keras's golden numbers --------------------------------------------------------------------
def _keras_golden_run(optimizer: optimizers.Optimizer, dtype: str = "float32") -> list:
    x = np.ones(10, dtype=dtype)
    grads, first = np.arange(0.1, 1.1, 0.1).astype(dtype), np.full(10, 0.01, dtype=dtype)
    optimizer.build([x])
    optimizer.apply([x], [first])
    seen = []
    for _ in range(5):
        seen.append(x.copy())
        optimizer.apply([x], [grads])
    return seen


def test_keras_golden_adagrad() -> None:
    # keras/src/optimizers/adagrad_test.py::test_correctness_with_golden (rtol=atol=5e-4 there)
    golden = np.array(
        [
            [0.9963] * 10,
            [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
            [0.9251, 0.8629, 0.8137, 0.7768, 0.7497, 0.7298, 0.7151, 0.704, 0.6956, 0.6891],
            [0.8903, 0.8012, 0.7342, 0.6862, 0.6521, 0.6277, 0.6099, 0.5967, 0.5867, 0.579],
            [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825],
        ]
    )
    seen = _keras_golden_run(gn.Adagrad(0.2, initial_accumulator_value=0.3, epsilon=1e-6))
    for x, row in zip(seen, golden, strict=True):
        np.testing.assert_allclose(x, row, rtol=5e-4, atol=5e-4)


def test_keras_golden_adam_amsgrad() -> None:
    # keras/src/optimizers/adam_test.py::test_correctness_with_golden (Adam(amsgrad=True))
    golden = np.tile([[0.999], [0.9982], [0.9974], [0.9965], [0.9955]], (1, 10))
    for x, row in zip(_keras_golden_run(gn.Adam(amsgrad=True)), golden, strict=True):
        np.testing.assert_allclose(x, row, rtol=5e-4, atol=5e-4)


def test_keras_golden_adamw_single_step() -> None:
    # keras/src/optimizers/adamw_test.py::test_single_step (AdamW(learning_rate=0.5))
    w = np.array([1.0, 2.0, 3.0, 4.0], dtype="float32")
    opt = gn.AdamW(learning_rate=0.5)
    opt.build([w])
    opt.apply([w], [np.array([1.0, 6.0, 7.0, 2.0], dtype="float32")])
    np.testing.assert_allclose(w, [0.4980, 1.4960, 2.494, 3.492], rtol=1e-4, atol=1e-4)


# -- Keras float32 parity: clipping, weight decay, schedules ---------------------------------
KERAS_CASES = {
    "sgd_clipnorm_decay": (
        lambda: gn.SGD(0.05, momentum=0.9, clipnorm=0.5, weight_decay=0.1),
        lambda: keras.optimizers.SGD(0.05, momentum=0.9, clipnorm=0.5, weight_decay=0.1),
    ),
    "sgd_clipvalue": (
        lambda: gn.SGD(0.1, clipvalue=0.2),
        lambda: keras.optimizers.SGD(0.1, clipvalue=0.2),
    ),
    "sgd_global_clipnorm_decay": (
        lambda: gn.SGD(0.1, global_clipnorm=0.7, weight_decay=0.05),
        lambda: keras.optimizers.SGD(0.1, global_clipnorm=0.7, weight_decay=0.05),
    ),
    "rmsprop_decay": (  # epsilon tiny: Keras's sqrt(v + eps) and torch's sqrt(v) + eps agree
        lambda: gn.RMSprop(0.01, weight_decay=0.2, epsilon=1e-12),
        lambda: keras.optimizers.RMSprop(0.01, weight_decay=0.2, epsilon=1e-12),
    ),
    "adam_clipnorm": (
        lambda: gn.Adam(0.01, clipnorm=0.3),
        lambda: keras.optimizers.Adam(0.01, clipnorm=0.3),
    ),
    "adamw_global_clipnorm": (
        lambda: gn.AdamW(0.01, weight_decay=0.1, global_clipnorm=1.0),
        lambda: keras.optimizers.AdamW(0.01, weight_decay=0.1, global_clipnorm=1.0),
    ),
    "adagrad_clipvalue": (
        lambda: gn.Adagrad(0.1, clipvalue=0.5),
        lambda: keras.optimizers.Adagrad(0.1, clipvalue=0.5),
    ),
    "sgd_exponential_decay": (
        lambda: gn.SGD(schedules.ExponentialDecay(0.2, 10, 0.7)),
        lambda: keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.2, 10, 0.7)),
    ),
    "sgd_exponential_staircase": (
        lambda: gn.SGD(schedules.ExponentialDecay(0.2, 7, 0.5, staircase=True)),
        lambda: keras.optimizers.SGD(
            keras.optimizers.schedules.ExponentialDecay(0.2, 7, 0.5, staircase=True)
        ),
    ),
    "adam_cosine_warmup_decay": (
        lambda: gn.Adam(
            schedules.CosineDecay(0.001, 60, alpha=0.1, warmup_target=0.02, warmup_steps=20),
            weight_decay=0.05,
        ),
        lambda: keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(
                0.001, 60, alpha=0.1, warmup_target=0.02, warmup_steps=20
            ),
            weight_decay=0.05,
        ),
    ),
    "sgd_piecewise": (
        lambda: gn.SGD(schedules.PiecewiseConstantDecay([10, 40], [0.2, 0.05, 0.01])),
        lambda: keras.optimizers.SGD(
            keras.optimizers.schedules.PiecewiseConstantDecay([10, 40], [0.2, 0.05, 0.01])
        ),
    ),
}


@pytest.mark.parametrize("case", list(KERAS_CASES))
def test_100_steps_match_keras_in_float32(case: str) -> None:
    ours, theirs = KERAS_CASES[case]
    got, expected = run_ours(ours(), dtype="float32"), run_keras(theirs())
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (schedules.ExponentialDecay(0.05, 10, 0.96), ("ExponentialDecay", (0.05, 10, 0.96), {})),
        (
            schedules.ExponentialDecay(0.1, 3, 0.96, staircase=True),
            ("ExponentialDecay", (0.1, 3, 0.96), {"staircase": True}),
        ),
        (schedules.CosineDecay(0.1, 50, alpha=0.2), ("CosineDecay", (0.1, 50), {"alpha": 0.2})),
        (
            schedules.CosineDecay(0.01, 30, warmup_target=0.5, warmup_steps=10),
            ("CosineDecay", (0.01, 30), {"warmup_target": 0.5, "warmup_steps": 10}),
        ),
        (
            schedules.PiecewiseConstantDecay([100110, 120000, 1000000], [1.0, 0.1, 0.01, 0.001]),
            ("PiecewiseConstantDecay", ([100110, 120000, 1000000], [1.0, 0.1, 0.01, 0.001]), {}),
        ),
    ],
)
def test_schedules_match_keras_at_every_step(ours, theirs) -> None:
    name, args, kwargs = theirs
    keras_schedule = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    steps = [*range(0, 120), 100109, 100110, 100111, 119999, 120000, 120001, 10**6, 10**6 + 1]
    for step in steps:
        expected = float(keras_schedule(step))
        assert ours(step) == pytest.approx(expected, rel=1e-5, abs=1e-12), step  # float32's


def test_momentum_under_a_schedule_follows_torch_not_keras() -> None:
    """SGD's momentum is torch.optim's (b = mu * b + g; W -= lr_t * b), so under a changing rate
    it differs from Keras's (m = mu * m - lr_t * g; W += m), which keeps old rates inside m. Here
    against torch.optim.SGD stepped by torch's own ExponentialLR (lr_t = 0.2 * 0.9**t)."""

    def make(p):
        optimizer = torch.optim.SGD(p, lr=0.2, momentum=0.5)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        step = optimizer.step

        def step_then_schedule():
            step()
            with warnings.catch_warnings():  # torch warns that step was replaced: by this
                warnings.filterwarnings("ignore", r"Seems like `optimizer\.step\(\)` has been")
                scheduler.step()

        optimizer.step = step_then_schedule
        return optimizer

    got = run_ours(gn.SGD(schedules.ExponentialDecay(0.2, 1, 0.9), momentum=0.5))
    for g, e in zip(got, run_torch(make), strict=True):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-12)
    keras_run = run_keras(
        keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.2, 1, 0.9), momentum=0.5)
    )
    assert np.abs(got[0] - keras_run[0]).max() > 1e-3  # the documented difference


def test_keras_schedule_golden_numbers() -> None:
    # keras/src/optimizers/schedules/learning_rate_schedule_test.py
    assert schedules.ExponentialDecay(0.05, 10, 0.96)(5) == pytest.approx(0.05 * 0.96 ** (5 / 10))
    stair = schedules.ExponentialDecay(0.1, 3, 0.96, staircase=True)
    assert stair(1) == pytest.approx(0.1) and stair(2) == pytest.approx(0.1)
    assert stair(100) == pytest.approx(0.1 * 0.96 ** (100 // 3))
    piecewise = schedules.PiecewiseConstantDecay([100110, 120000, 1000000], [1.0, 0.1, 0.01, 0.001])
    for step, value in [(0, 1.0), (100110, 1.0), (105000, 0.1), (120000, 0.1), (110000, 0.1)]:
        assert piecewise(step) == value
    assert piecewise(120001) == 0.01 and piecewise(1000001) == 0.001
    boundaries = schedules.PiecewiseConstantDecay([1, 2, 3, 4], [0.4, 0.5, 0.6, 0.7, 0.8])
    assert [boundaries(s) for s in (0, 1, 2, 3, 4)] == [0.4, 0.4, 0.5, 0.6, 0.7]
    cosine = schedules.CosineDecay(0.05, 1000)
    assert cosine(500) == pytest.approx(0.025) and cosine(1000) == 0.0 and cosine(2000) == 0.0


def test_a_schedule_drives_the_learning_rate_and_the_narration() -> None:
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = gn.SGD(schedule)
    assert opt.learning_rate == 0.1  # the rate of the next (first) update: schedule(0)
    w = np.array([1.0])
    opt.build([w])
    opt.apply([w], [np.array([1.0])])
    opt.apply([w], [np.array([1.0])])
    assert w[0] == pytest.approx(1 - 0.1 - 0.05, rel=1e-15)
    assert opt.learning_rate == pytest.approx(0.025)
    with pytest.raises(TypeError, match=r"follows a schedule .* cannot be set to a number"):
        opt.learning_rate = 0.3
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)], seed=0)
    model.compile(optimizer=gn.SGD(schedule), loss="mse")
    trace = model.trace_step(np.array([[0.5, -1.0]]), np.array([1.0]))
    assert trace.info["optimizer"]["learning_rate"] == 0.1


def test_learning_rate_scheduler_callback_refuses_a_schedule_clearly() -> None:
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)], seed=0)
    model.compile(optimizer=gn.SGD(schedules.CosineDecay(0.1, 10)), loss="mse")
    callback = gn.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    with pytest.raises(ValueError, match=r"follows a schedule"):
        model.fit(np.ones((4, 2)), np.ones(4), epochs=1, verbose=0, callbacks=[callback])


# -- model files and configs keep everything ---------------------------------------------------
SAVED = [
    lambda: gn.AdamW(schedules.CosineDecay(0.01, 20, warmup_target=0.05, warmup_steps=5)),
    lambda: gn.Adam(0.01, amsgrad=True, clipnorm=1.0),
    lambda: gn.Adagrad(0.1, global_clipnorm=2.0, weight_decay=0.01),
    lambda: gn.SGD(schedules.PiecewiseConstantDecay([3, 6], [0.1, 0.05, 0.01]), clipvalue=0.5),
    lambda: gn.RMSprop(schedules.ExponentialDecay(0.01, 5, 0.9, staircase=True)),
]


@pytest.mark.parametrize("make", SAVED, ids=["adamw", "amsgrad", "adagrad", "sgd", "rmsprop"])
def test_saved_model_resumes_on_the_same_trajectory(make, tmp_path) -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))

    def fresh() -> gn.Sequential:
        model = gn.Sequential(
            [gn.Input(shape=(3,)), gn.layers.Dense(4, "tanh"), gn.layers.Dense(1)],
            seed=1,
            dtype="float64",
        )
        model.compile(optimizer=make(), loss="mse")
        return model

    straight = fresh()
    straight.fit(x, y, epochs=6, batch_size=4, verbose=0, shuffle=False)
    first = fresh()
    first.fit(x, y, epochs=3, batch_size=4, verbose=0, shuffle=False)
    path = tmp_path / "m.glassnet"
    first.save(path)
    again = gn.load_model(path)
    assert again.optimizer.get_config() == first.optimizer.get_config()
    assert repr(again.optimizer) == repr(first.optimizer)
    again.fit(x, y, epochs=3, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(again.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip_and_keras_shape() -> None:
    opt = gn.SGD(schedules.ExponentialDecay(0.1, 10, 0.5), weight_decay=0.01)
    config = opt.get_config()
    assert config["learning_rate"] == {
        "class_name": "ExponentialDecay",
        "config": {
            "initial_learning_rate": 0.1,
            "decay_steps": 10,
            "decay_rate": 0.5,
            "staircase": False,
        },
    }
    assert optimizers.from_config(config).get_config() == config
    assert "ExponentialDecay(initial_learning_rate=0.1" in repr(opt)
    # the optional settings are written only when set: old configs and reprs read the same
    assert gn.Adam().get_config() == {
        "name": "adam",
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
    }
    assert gn.optimizers.get("adamw").weight_decay == 0.004  # Keras's default
    assert gn.optimizers.get("adagrad").initial_accumulator_value == 0.1


# -- narration ---------------------------------------------------------------------------------
def test_decay_and_clipping_are_written_into_the_trace_and_the_words() -> None:
    from glassnet.explain import narrate, words

    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)], seed=0)
    model.compile(optimizer=gn.SGD(0.1, weight_decay=0.2, clipnorm=0.05), loss="mse")
    trace = model.trace_step(np.array([[0.5, -1.0]]), np.array([1.0]))
    assert trace["W1_new"].equation == (
        "W1_new = W1 * (1 - learning_rate * weight_decay) - learning_rate * clip(dC/dW1)"
    )
    assert trace["clipnorm"].equation.startswith("clip(g) = g * clipnorm / max(||g||, clipnorm)")
    # the numbers the equation names give the new weight
    g = trace["dC/dW1"].value
    clipped = g * 0.05 / max(np.linalg.norm(g), 0.05)
    expected = trace["W1"].value * (1 - 0.1 * 0.2) - 0.1 * clipped
    np.testing.assert_allclose(trace["W1_new"].value, expected, rtol=1e-6)
    kid, student = narrate(trace, "kid", width=None), narrate(trace, "student", width=None)
    for key in ("weight_decay", "clipnorm"):
        assert words.OPTIMIZER_EXTRA_WORDS[key]["kid"] in kid
        assert words.OPTIMIZER_EXTRA_WORDS[key]["student"] in student


# -- hostile settings --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: gn.SGD(clipnorm=1.0, clipvalue=1.0), ValueError, r"Only one of clipnorm, clipv"),
        (lambda: gn.Adam(clipnorm=0.0), ValueError, r"Expected clipnorm > 0 .* got 0\.0"),
        (lambda: gn.Adam(clipvalue=-1), ValueError, r"Expected clipvalue > 0"),
        (lambda: gn.Adam(global_clipnorm=1e39), ValueError, r"Expected global_clipnorm > 0"),
        (lambda: gn.Adam(clipnorm="1"), TypeError, r"Expected clipnorm to be a number"),
        (lambda: gn.SGD(weight_decay=-0.1), ValueError, r"Expected weight_decay >= 0"),
        (lambda: gn.SGD(weight_decay=math.nan), ValueError, r"weight_decay to be a finite"),
        (lambda: gn.AdamW(weight_decay=None), ValueError, r"AdamW needs a weight_decay"),
        (lambda: gn.Adam(amsgrad="yes"), TypeError, r"Expected amsgrad to be True or False"),
        # RMSprop took bool(centered): "no" was True
        (lambda: gn.RMSprop(centered="no"), TypeError, r"Expected centered to be True or False"),
        (lambda: gn.Adagrad(initial_accumulator_value=-1), ValueError, r"initial_accumulator"),
        (lambda: gn.SGD({"class_name": "CosineDecay"}), TypeError, r"got a dict"),
        (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), ValueError, r"decay_steps .* \[1, "),
        (lambda: schedules.ExponentialDecay(0.1, 2.5, 0.5), ValueError, r"whole number of steps"),
        (lambda: schedules.ExponentialDecay(0.1, "10", 0.5), TypeError, r"decay_steps to be a w"),
        (lambda: schedules.ExponentialDecay(0.1, 10, -0.5), ValueError, r"decay_rate > 0"),
        (lambda: schedules.ExponentialDecay(0.1, 10, 0.5, staircase=1), TypeError, r"staircase"),
        (lambda: schedules.ExponentialDecay(-0.1, 10, 0.5), ValueError, r"initial_learning_rate"),
        (lambda: schedules.CosineDecay(0.1, 10, alpha=1.5), ValueError, r"alpha, the final rate"),
        (lambda: schedules.CosineDecay(0.1, 10, warmup_steps=5), ValueError, r"warmup_target"),
        (lambda: schedules.CosineDecay(0.1, 10, warmup_target=0.5), ValueError, r"warmup_steps"),
        (
            lambda: schedules.PiecewiseConstantDecay([10, 5], [0.1, 0.2, 0.3]),
            ValueError,
            r"strictly increasing boundaries",
        ),
        (
            lambda: schedules.PiecewiseConstantDecay([10], [0.1]),
            ValueError,
            r"one value more than boundaries",
        ),
        (
            lambda: schedules.PiecewiseConstantDecay([10], [0.1, math.inf]),
            ValueError,
            r"values\[1\] to be a finite number",
        ),
        (
            lambda: schedules.PiecewiseConstantDecay(list(range(20_000)), [0.1] * 20_001),
            ValueError,
            r"1 to 10000 boundaries",
        ),
        (lambda: schedules.PiecewiseConstantDecay("10", [0.1]), TypeError, r"boundaries to be a "),
        (lambda: schedules.deserialize({"class_name": "Nope", "config": {}}), ValueError, r"Valid"),
        (
            lambda: schedules.deserialize({"class_name": "CosineDecay", "config": {"x": 1}}),
            ValueError,
            r"Unknown setting 'x' for the 'cosinedecay' learning-rate schedule",
        ),
        (lambda: schedules.deserialize([1]), ValueError, r"Expected a learning-rate schedule"),
        (lambda: schedules.CosineDecay(0.1, 10)(-1), ValueError, r"step count, an int >= 0"),
    ],
)
def test_bad_settings_get_clear_errors(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_a_growing_schedule_stays_a_float32_number() -> None:
    growing = schedules.ExponentialDecay(1.0, 1, 10.0)
    assert growing(10**6) == float(np.finfo(np.float32).max)  # never inf or an OverflowError


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"class_name": "ExponentialDecay", "config": {"decay_steps": -5}}, r"decay_steps"),
        ({"class_name": "ExponentialDecay", "config": {"decay_steps": 10**30}}, r"2\*\*53"),
        ({"class_name": "<script>", "config": {}}, r"Unknown learning-rate schedule"),
        ({"class_name": "CosineDecay"}, r"Expected a learning-rate schedule as"),
        ({"class_name": "CosineDecay", "config": [1]}, r"schedule's config to be a dict"),
        (
            {
                "class_name": "CosineDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 5, "alpha": "0.1"},
            },
            r"alpha to be a number",
        ),
        (
            {"class_name": "PiecewiseConstantDecay", "config": {"boundaries": [1], "values": [1]}},
            r"one value more than boundaries",
        ),
    ],
)
def test_a_hostile_schedule_in_a_model_file_is_refused(tmp_path, value, message) -> None:
    from glassnet.io import ModelFileError
    from helpers import header_of, read_members
    from test_model_file_bounds import forged

    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)], seed=0)
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(optimizer=gn.SGD(schedule), loss="mse")
    path = tmp_path / "m.glassnet"
    model.save(path)
    assert gn.load_model(path).optimizer.schedule == schedule
    arrays = read_members(path)
    header = header_of(arrays)
    base = header["compile"]["optimizer"]["learning_rate"]
    if value.get("class_name") == "ExponentialDecay":  # one setting changed, the rest kept
        value = {**base, "config": {**base["config"], **value["config"]}}
    header["compile"]["optimizer"]["learning_rate"] = value
    with pytest.raises(ModelFileError, match=message):
        gn.load_model(forged(tmp_path, arrays, header))


# -- glassnet.compare translates the new optimizers ----------------------------------------------
@pytest.mark.parametrize(
    "optimizer",
    [
        lambda: gn.AdamW(0.02, weight_decay=0.1, amsgrad=True),
        lambda: gn.Adagrad(0.1),
        lambda: gn.Adam(0.01, amsgrad=True),
    ],
    ids=["adamw_amsgrad", "adagrad", "adam_amsgrad"],
)
def test_compare_with_torch_trains_the_new_optimizers_the_same(optimizer) -> None:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(4, "tanh"), gn.layers.Dense(1)], seed=0)
    model.compile(optimizer(), "mse")
    rng = np.random.default_rng(3)
    report = gn.compare(model, rng.normal(size=(8, 3)), rng.normal(size=(8,)), steps=50)
    assert report.passed and report.max_weight_difference <= 1e-12, report.table()


def test_compare_with_torch_refuses_what_torch_optim_does_differently() -> None:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1)], seed=0)
    model.compile(gn.SGD(0.1, clipnorm=1.0, weight_decay=0.1), "mse")
    with pytest.raises(ValueError, match=r"also has clipnorm, weight_decay, which torch\.optim"):
        gn.compare(model, np.ones((4, 3)), np.ones(4), steps=2)


@pytest.mark.parametrize(
    ("optimizer", "slot"),
    [
        (lambda: gn.Adagrad(0.1), "accumulators"),
        (lambda: gn.Adam(amsgrad=True), "max_second_moments"),
    ],
    ids=["adagrad", "amsgrad"],
)
def test_negative_square_means_in_a_model_file_are_refused(optimizer, slot, tmp_path) -> None:
    from helpers import header_of, read_members
    from test_model_file_bounds import forged

    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], seed=0)
    model.compile(optimizer(), "mse")
    model.fit(np.ones((4, 2)), np.ones(4), epochs=1, verbose=0)
    model.save(tmp_path / "m.glassnet")
    arrays = read_members(tmp_path / "m.glassnet")
    hostile = dict(arrays)
    hostile[f"optimizer/{slot}/0"] = -np.abs(arrays[f"optimizer/{slot}/0"]) - 1
    with pytest.raises(gn.ModelFileError, match=rf"'{slot}' array 0: expected values >= 0"):
        gn.load_model(forged(tmp_path, hostile, header_of(arrays)))
