"""Each optimizer's defaults, config, lookup, bounds, saved state and messages, exactly (written
for the mutants of `make mutate` that the step tests let live). Messages were produced by running
the code and are compared whole."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers
from glassnet.optimizers import SGD, Adam, RMSprop


def test_defaults_configs_and_reprs_are_keras_s() -> None:
    assert SGD().get_config() == {
        "name": "sgd",
        "learning_rate": 0.01,
        "momentum": 0.0,
        "nesterov": False,
    }
    assert RMSprop().get_config() == {
        "name": "rmsprop",
        "learning_rate": 0.001,
        "rho": 0.9,
        "momentum": 0.0,
        "epsilon": 1e-07,
        "centered": False,
    }
    assert Adam().get_config() == {
        "name": "adam",
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-07,
    }
    assert repr(SGD(0.1, momentum=0.5, nesterov=True)) == (
        "SGD(learning_rate=0.1, momentum=0.5, nesterov=True)"
    )
    for optimizer in (
        SGD(0.1, momentum=0.5, nesterov=True),
        RMSprop(0.2, rho=0.5, momentum=0.25, epsilon=0.125, centered=True),
        Adam(0.2, beta_1=0.5, beta_2=0.75, epsilon=0.125),
    ):
        again = optimizers.from_config(optimizer.get_config())
        assert type(again) is type(optimizer) and again.get_config() == optimizer.get_config()
        assert type(optimizers.get(optimizer.name)) is type(optimizer)
        assert optimizers.get(optimizer) is optimizer


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: SGD(0),
            ValueError,
            "Expected learning_rate > 0 (a finite number, e.g. 0.01), got 0.0.",
        ),
        (
            lambda: Adam(-1),
            ValueError,
            "Expected learning_rate > 0 (a finite number, e.g. 0.01), got -1.0.",
        ),
        (lambda: SGD(True), TypeError, "Expected learning_rate to be a number, got bool True."),
        (
            lambda: RMSprop(float("nan")),
            ValueError,
            "Expected learning_rate to be a finite number, got nan.",
        ),
        (
            lambda: SGD(1e-300),
            ValueError,
            "Expected learning_rate between 1.18e-38 and 3.4e+38 (an ordinary number in float32, "
            "the default dtype), got 1e-300. Use e.g. learning_rate=0.01.",
        ),
        (lambda: SGD(0.1, momentum=1.0), ValueError, "Expected momentum in [0.0, 1.0), got 1.0."),
        (lambda: SGD(0.1, momentum=-0.1), ValueError, "Expected momentum in [0.0, 1.0), got -0.1."),
        (
            lambda: SGD(0.1, momentum="a"),
            TypeError,
            "Expected momentum to be a number, got str 'a'.",
        ),
        (
            lambda: SGD(0.1, nesterov=True),
            ValueError,
            "SGD(nesterov=True) needs momentum > 0, e.g. SGD(0.01, momentum=0.9).",
        ),
        (lambda: Adam(beta_1=1.0), ValueError, "Expected beta_1 in [0.0, 1.0), got 1.0."),
        (lambda: Adam(beta_2=-1), ValueError, "Expected beta_2 in [0.0, 1.0), got -1.0."),
        (
            lambda: Adam(beta_1=float("inf")),
            ValueError,
            "Expected beta_1 to be a finite number, got inf.",
        ),
        (lambda: RMSprop(rho=1), ValueError, "Expected rho in [0.0, 1.0), got 1.0."),
        (lambda: RMSprop(momentum=1), ValueError, "Expected momentum in [0.0, 1.0), got 1.0."),
        (lambda: RMSprop(epsilon=-1), ValueError, "Expected epsilon >= 0.0, got -1.0."),
        (
            lambda: Adam(epsilon=0),
            ValueError,
            "Expected epsilon between 1.18e-38 and 3.4e+38 (an ordinary number in float32, the "
            "default dtype), got 0. Use e.g. epsilon=1e-7.",
        ),
        (
            lambda: RMSprop(epsilon=1e300),
            ValueError,
            "Expected epsilon between 1.18e-38 and 3.4e+38 (an ordinary number in float32, the "
            "default dtype), got 1e+300. Use e.g. epsilon=1e-7.",
        ),
        (
            lambda: optimizers.get("adamax"),
            ValueError,
            "Unknown optimizer 'adamax'. Valid names: 'sgd', 'rmsprop', 'adam', 'adamw', 'adagrad'.",
        ),
        (
            lambda: optimizers.from_config({"name": "adamax"}),
            ValueError,
            "Unknown optimizer 'adamax'. Valid names: 'sgd', 'rmsprop', 'adam', 'adamw', 'adagrad'.",
        ),
    ],
)
def test_bad_settings_get_their_message(make, error, message) -> None:
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value) == message


def test_zero_rates_that_are_allowed() -> None:
    # momentum, rho and the betas may be 0 (the lower bound is inclusive)
    assert SGD(0.1, momentum=0).momentum == 0.0
    assert RMSprop(rho=0).rho == 0.0
    assert (Adam(beta_1=0, beta_2=0).beta_1, Adam(beta_2=0).beta_2) == (0.0, 0.0)


def state(first, second, iterations=1):
    return {"iterations": iterations, "first_moments": first, "second_moments": second}


@pytest.mark.parametrize(
    ("saved", "message"),
    [
        (
            state([None], [None], iterations=-1),
            "Optimizer state: expected iterations, the step count, in [0, 2**63), got -1.",
        ),
        (
            state([None], [None], iterations=True),
            "Optimizer state: expected iterations, the step count, in [0, 2**63), got True.",
        ),
        (
            state([None], [None], iterations=2**63),
            "Optimizer state: expected iterations, the step count, in [0, 2**63), got "
            "9223372036854775808.",
        ),
        (
            state([], [np.zeros(2)]),
            "Optimizer state 'first_moments': expected 1 arrays (one per parameter), got 0.",
        ),
        (
            state([np.zeros(3)], [np.zeros(2)]),
            "Optimizer state 'first_moments': expected shape (2,), got (3,).",
        ),
        (
            state([np.array(["a", "b"])], [np.zeros(2)]),
            "Optimizer state 'first_moments': expected real numbers, got dtype <U1.",
        ),
        (
            state([np.array([np.nan, 1.0])], [np.zeros(2)]),
            "Optimizer state 'first_moments' array 0: expected finite numbers of float64, found "
            "NaN or inf (or a value beyond its range).",
        ),
        (
            state([np.zeros(2)], [np.array([-1.0, 0.0])]),
            "Optimizer state 'second_moments' array 0: expected values >= 0 (a running mean of "
            "g**2, whose square root Adam takes), found -1.",
        ),
    ],
)
def test_a_bad_saved_state_is_refused_with_its_message(saved, message) -> None:
    adam = Adam()
    w = np.ones(2)
    adam.build([w])
    with pytest.raises(ValueError) as raised:
        adam.set_state(saved, [w])
    assert str(raised.value) == message
    assert adam.iterations == 0 and not adam.first_moments[0].any()  # nothing half-restored


def test_a_saved_state_is_cast_to_the_parameter_and_copied() -> None:
    adam = Adam()
    w = np.ones(2, dtype=np.float32)
    adam.build([w])
    first = np.array([0.5, -0.25])
    adam.set_state(state([first], [np.array([0.25, 0.0])], iterations=3), [w])
    assert adam.iterations == 3
    assert adam.first_moments[0].dtype == np.float32
    first[0] = 9.0  # the optimizer holds its own copy
    np.testing.assert_array_equal(adam.first_moments[0], [0.5, -0.25])
    saved = adam.get_state()
    assert saved["iterations"] == 3 and set(saved) == {
        "iterations",
        "first_moments",
        "second_moments",
        "max_second_moments",  # amsgrad's running maximum (empty unless amsgrad=True)
    }
    saved["first_moments"][0][0] = 7.0  # get_state gives copies too
    assert adam.first_moments[0][0] == 0.5
    sgd = SGD(0.1, momentum=0.5)
    sgd.build([w])
    assert sgd.get_state() == {"iterations": 0, "momentums": [None]}  # b is made at the first step


def test_one_optimizer_serves_one_model() -> None:
    adam = Adam()
    first = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], name="first")
    first.compile(adam, "mse")
    second = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)])
    with pytest.raises(ValueError) as raised:
        second.compile(adam, "mse")
    assert str(raised.value) == (
        "This Adam optimizer is already compiled into another model ('first'); its state (step "
        "count, moments) belongs to that model's weights. Give each model its own optimizer, "
        "e.g. model.compile(optimizer=Adam(...)) or a name such as optimizer='adam'."
    )
    first.compile(adam, "mse")  # the same model again is fine


def test_build_forgets_the_state_and_counts_from_zero() -> None:
    for optimizer in (SGD(0.1, momentum=0.5), RMSprop(centered=True, momentum=0.5), Adam()):
        w = np.ones(2)
        optimizer.build([w])
        optimizer.apply([w], [np.array([0.5, -1.0])])
        assert optimizer.iterations == 1
        optimizer.build([w])
        assert optimizer.iterations == 0
        for slot in optimizer.state_slots:
            assert all(v is None or not v.any() for v in getattr(optimizer, slot)), slot


def test_more_saved_states_that_are_refused() -> None:
    adam = Adam()
    w = np.ones(2)
    adam.build([w])
    for saved, message in [
        (
            {"iterations": 1.5},
            "Optimizer state: expected iterations, the step count, in [0, 2**63), got 1.5.",
        ),
        (
            {"iterations": 1},  # the moments left out: none of the one per parameter
            "Optimizer state 'first_moments': expected 1 arrays (one per parameter), got 0.",
        ),
    ]:
        with pytest.raises(ValueError) as raised:
            adam.set_state(saved, [w])
        assert str(raised.value) == message
    rms = RMSprop()
    params = [np.ones(2), np.ones(3)]
    rms.build(params)
    bad = {"iterations": 1, "velocities": [np.zeros(2), np.array([0.0, -2.0, 0.0])]}
    with pytest.raises(ValueError) as raised:
        rms.set_state({**bad, "averages": [], "momentums": []}, params)
    assert str(raised.value) == (
        "Optimizer state 'velocities' array 1: expected values >= 0 (a running mean of g**2, "
        "whose square root RMSprop takes), found -2."
    )


def test_a_value_beyond_float32_is_reported_not_warned() -> None:
    adam = Adam()
    w = np.ones(2, dtype=np.float32)
    adam.build([w])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cast's overflow is reported in words, not warned
        with pytest.raises(ValueError) as raised:
            adam.set_state(state([np.array([1e39, 0.0])], [np.zeros(2)]), [w])
    assert str(raised.value) == (
        "Optimizer state 'first_moments' array 0: expected finite numbers of float32, found NaN "
        "or inf (or a value beyond its range)."
    )


def test_restored_states_are_copies_and_keep_every_slot() -> None:
    # float64 into float64: astype must still copy; a None slot (SGD's b before its first step)
    # is skipped, not the end of the list
    sgd = SGD(0.1, momentum=0.5)
    params = [np.ones(2), np.ones(3)]
    sgd.build(params)
    second = np.array([0.5, 0.25, -1.0])
    sgd.set_state({"iterations": 200, "momentums": [None, second]}, params)
    assert sgd.iterations == 200
    assert sgd.momentums[0] is None
    np.testing.assert_array_equal(sgd.momentums[1], second)
    second[0] = 9.0
    assert sgd.momentums[1][0] == 0.5


def test_states_hold_only_the_slots_the_rule_uses() -> None:
    w = np.ones(2)
    plain = SGD(0.1)
    plain.build([w])
    plain.apply([w], [np.ones(2)])
    assert plain.get_state() == {"iterations": 1, "momentums": [None]}  # no buffer without momentum
    rms = RMSprop()
    rms.build([w])
    saved = rms.get_state()
    assert saved["averages"] == [] and saved["momentums"] == []  # not centered, no momentum
    np.testing.assert_array_equal(saved["velocities"][0], [0.0, 0.0])


def test_apply_needs_one_gradient_per_parameter() -> None:
    sgd = SGD(0.1)
    w = np.ones(2)
    sgd.build([w, w])
    with pytest.raises(ValueError, match="zip"):
        sgd.apply([w, w], [np.ones(2)])


def test_before_build_the_state_is_empty_and_the_count_zero() -> None:
    # a fresh optimizer (before compile builds it) has no moments yet: get_state says so and a
    # saved state with no parameters restores (load_model of a model with no weights)
    assert SGD().get_state() == {"iterations": 0, "momentums": []}
    assert RMSprop().get_state() == {
        "iterations": 0,
        "velocities": [],
        "averages": [],
        "momentums": [],
    }
    adam = Adam()
    assert adam.iterations == 0
    assert adam.get_state() == {
        "iterations": 0,
        "first_moments": [],
        "second_moments": [],
        "max_second_moments": [],  # amsgrad's, empty unless amsgrad=True
    }
    adam.set_state({"iterations": 3}, [])
    assert adam.iterations == 3


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "Expected epsilon >= 0.0, got -1.0."),
        (np.nan, "Expected epsilon to be a finite number, got nan."),
    ],
)
def test_adam_names_its_epsilon(value, message) -> None:
    with pytest.raises(ValueError) as raised:
        Adam(epsilon=value)
    assert str(raised.value) == message
