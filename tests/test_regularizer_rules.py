"""Each regularizer's penalty, gradient, defaults, config and messages, exactly (written for the
mutants of `make mutate` that tests/test_regularization.py let live: a default of 1.01, an L1
gradient of l1 / sign(W), a message naming the wrong strength, ...).

Every regularizer here is built inside its test, not in a parametrize list, so that the test
that builds it is the one that checks it.
"""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import regularizers
from glassnet.regularizers import L1, L1L2, L2

W = np.array([[1.5, -2.0], [0.0, 0.25]])  # a zero entry: the subgradient's 0


def test_l1_by_hand() -> None:
    # 0.5 * (1.5 + 2 + 0 + 0.25) = 1.875; gradient 0.5 sign(W), 0 where W is 0
    assert L1(0.5)(W) == 1.875
    np.testing.assert_array_equal(L1(0.5).gradient(W), [[0.5, -0.5], [0.0, 0.5]])


def test_l2_by_hand() -> None:
    # 0.5 * (2.25 + 4 + 0 + 0.0625) = 3.15625; gradient 2 * 0.5 * W = W
    assert L2(0.5)(W) == 3.15625
    np.testing.assert_array_equal(L2(0.5).gradient(W), W)


def test_l1_l2_by_hand() -> None:
    # 0.5 * 3.75 + 0.25 * 6.3125 = 1.875 + 1.578125; gradient 0.5 sign(W) + 0.5 W
    reg = L1L2(0.5, 0.25)
    assert reg(W) == 3.453125
    np.testing.assert_array_equal(reg.gradient(W), [[1.25, -1.5], [0.0, 0.625]])


def test_defaults_are_keras_s() -> None:
    assert L1().l1 == 0.01 and L2().l2 == 0.01  # keras.regularizers.L1() / L2()
    assert (L1L2().l1, L1L2().l2) == (0.0, 0.0)  # keras.regularizers.L1L2()
    assert regularizers.get("l1").l1 == 0.01
    assert regularizers.get("l2").l2 == 0.01
    assert isinstance(regularizers.get("l1_l2"), L1L2)


def test_a_zero_strength_is_allowed() -> None:
    assert L1(0).l1 == 0.0 and L2(0.0)(W) == 0.0 and L1L2(0, 0).gradient(W).sum() == 0


def test_configs_and_reprs() -> None:
    assert L1(0.5).get_config() == {"name": "l1", "l1": 0.5}
    assert L2(0.5).get_config() == {"name": "l2", "l2": 0.5}
    assert L1L2(0.5, 0.25).get_config() == {"name": "l1_l2", "l1": 0.5, "l2": 0.25}
    assert repr(L1L2(0.1, 0.2)) == "L1L2(l1=0.1, l2=0.2)"
    assert repr(L1(0.5)) == "L1(l1=0.5)" and repr(L2()) == "L2(l2=0.01)"
    base = regularizers.Regularizer()  # the base class: a name, no rule
    assert base.get_config() == {"name": "regularizer"} and repr(base) == "Regularizer()"
    for rule in (base, base.gradient):
        with pytest.raises(NotImplementedError):
            rule(W)
    for reg in (L1(0.5), L2(0.5), L1L2(0.5, 0.25)):
        again = regularizers.from_config(reg.get_config())
        assert type(again) is type(reg) and again.get_config() == reg.get_config()
    assert regularizers.from_config(None) is None
    assert regularizers.get(None) is None
    same = L2(0.3)
    assert regularizers.get(same) is same


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: L1(True), TypeError, "Expected l1 to be a number >= 0, got bool True."),
        (lambda: L1L2(l1=[1, 2]), TypeError, "Expected l1 to be a number >= 0, got list [1, 2]."),
        (lambda: L1L2(0.1, "x"), TypeError, "Expected l2 to be a number >= 0, got str 'x'."),
        (
            lambda: L2("b" * 21),
            TypeError,
            "Expected l2 to be a number >= 0, got str 'bbbbbbbbbbbbbbbbbbb... (21 characters).",
        ),
        (lambda: L2(float("nan")), ValueError, "Expected l2 to be a finite number >= 0, got nan."),
        (lambda: L1(-0.5), ValueError, "Expected l1 to be a finite number >= 0, got -0.5."),
        (
            lambda: L1L2(float("inf")),
            ValueError,
            "Expected l1 to be a finite number >= 0, got inf.",
        ),
        (lambda: L1L2(0, -1), ValueError, "Expected l2 to be a finite number >= 0, got -1."),
        (
            lambda: L2(-1.2345678901234567e-05),
            ValueError,
            "Expected l2 to be a finite number >= 0, got -1.2345678901234568e... (23 characters).",
        ),
        (
            lambda: L1(1e39),
            ValueError,
            "Expected l1 between 0 and 3.4e+38 (an ordinary number in float32, the default "
            "dtype), got 1e+39. Use e.g. l1=0.01.",
        ),
        (
            lambda: L1L2(0.1, 1e300),
            ValueError,
            "Expected l2 between 0 and 3.4e+38 (an ordinary number in float32, the default "
            "dtype), got 1e+300. Use e.g. l2=0.01.",
        ),
        (
            lambda: regularizers.get("l3"),
            ValueError,
            "Unknown regularizer 'l3'. Valid names: 'l1', 'l2', 'l1_l2'.",
        ),
        (
            lambda: regularizers.from_config({"name": "l3"}),
            ValueError,
            "Unknown regularizer 'l3'. Valid names: 'l1', 'l2', 'l1_l2'.",
        ),
    ],
)
def test_bad_strengths_and_names_get_their_message(make, error, message) -> None:
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value) == message
