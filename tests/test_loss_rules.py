"""Each loss's config, name lookup, target preparation and clip, exactly (written for the mutants
of `make mutate` that the other loss tests let live). Messages were produced by running the code
(`python -c "import glassnet ..."`) and are compared whole."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassnet import losses
from glassnet.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    HalfSumSquaredError,
    MeanSquaredError,
    SparseCategoricalCrossEntropy,
)

F32 = np.dtype("float32")


def test_configs_reprs_and_round_trips() -> None:
    expected = {
        MeanSquaredError: {"name": "mean_squared_error"},
        HalfSumSquaredError: {"name": "half_sum_squared_error"},
        BinaryCrossEntropy: {"name": "binary_crossentropy", "from_logits": False},
        CategoricalCrossEntropy: {"name": "categorical_crossentropy", "from_logits": False},
        SparseCategoricalCrossEntropy: {
            "name": "sparse_categorical_crossentropy",
            "from_logits": False,
        },
    }
    for cls, config in expected.items():
        loss = cls()
        assert loss.get_config() == config
        assert repr(loss) == f"{cls.__name__}()"
        assert loss.from_logits is False
        again = losses.from_config(loss.get_config())
        assert type(again) is cls and again.get_config() == config
        assert type(losses.get(config["name"])) is cls
    logits = BinaryCrossEntropy(from_logits=True)
    assert logits.get_config() == {"name": "binary_crossentropy", "from_logits": True}
    assert losses.from_config(logits.get_config()).from_logits is True
    assert type(losses.get("mse")) is MeanSquaredError
    same = CategoricalCrossEntropy()
    assert losses.get(same) is same


@pytest.mark.parametrize("call", [losses.get, lambda name: losses.from_config({"name": name})])
def test_an_unknown_loss_lists_the_names(call) -> None:
    with pytest.raises(ValueError) as raised:
        call("msee")
    assert str(raised.value) == (
        "Unknown loss 'msee'. Valid names: 'mse', 'mean_squared_error', "
        "'half_sum_squared_error', 'binary_crossentropy', 'categorical_crossentropy', "
        "'sparse_categorical_crossentropy', 'mae', 'mean_absolute_error', 'huber'."
    )


@pytest.mark.parametrize("cls", [MeanSquaredError, HalfSumSquaredError])
def test_square_losses_name_the_target_too_large_for_the_dtype(cls) -> None:
    with pytest.raises(ValueError) as raised:
        cls().prepare_targets(np.array([[1.0], [1e30]]), 1, F32, "y_val")
    assert str(raised.value) == (
        f"{cls.__name__}: the target 1e+30 (row 1 of y_val) is too large for a squared error "
        f"in float32: 2 squares of differences that size add up past its largest number "
        f"(about 3.4e+38), so the loss would be inf. Scale the targets (divide them by their "
        f"largest value, or standardize them) or build the model with dtype='float64'."
    )


@pytest.mark.parametrize("cls", [MeanSquaredError, HalfSumSquaredError, BinaryCrossEntropy])
def test_prepared_targets_take_the_model_dtype_and_name_the_array(cls) -> None:
    y = cls().prepare_targets(np.array([[1.0], [0.0]]), 1, F32, "y_val")
    assert y.dtype == F32 and y.shape == (2, 1)
    with pytest.raises(ValueError) as raised:
        cls().prepare_targets(np.array([[1.0, 0.0]]), 1, F32, "y_val")
    assert str(raised.value).startswith(
        f"{cls.__name__} expects targets y_val of shape (n_samples, 1) to match the model's "
        f"output, got shape (1, 2)."
    )


def test_the_fused_sigmoid_delta_is_zero_where_the_clip_holds() -> None:
    # a = 1 - 1e-9 and 1e-9 are outside [1e-7, 1 - 1e-7]: the clipped loss is flat there
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    a = np.array([[1 - 1e-9, 0.25], [1e-9, 0.5]])
    delta = BinaryCrossEntropy().fused_delta(y, a.copy())
    np.testing.assert_array_equal(delta, [[0.0, 0.25 / 4], [0.0, -0.5 / 4]])


def test_the_fused_softmax_delta_clips_the_loss_s_own_p() -> None:
    # a softmax output with a probability of 1.5e-7 on the target class: inside the clip (p is
    # a / row sum = a), so it keeps delta = (a - y) / n; p divided by the whole batch's sum
    # (7.5e-8) would fall under 1e-7 and zero it
    a = np.array([[1.5e-7, 0.5 - 7.5e-8, 0.5 - 7.5e-8], [0.25, 0.25, 0.5]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    delta = CategoricalCrossEntropy().fused_delta(y, a)
    np.testing.assert_allclose(delta, (a - y) / 2, rtol=1e-15, atol=0)


def test_which_losses_fuse_with_which_output() -> None:
    assert BinaryCrossEntropy().fuses_with("sigmoid")
    assert not BinaryCrossEntropy().fuses_with("softmax")
    assert not BinaryCrossEntropy(from_logits=True).fuses_with("sigmoid")
    assert CategoricalCrossEntropy().fuses_with("softmax")
    assert SparseCategoricalCrossEntropy().fuses_with("softmax")
    assert not CategoricalCrossEntropy(from_logits=True).fuses_with("softmax")
    assert not MeanSquaredError().fuses_with("linear")
    assert not HalfSumSquaredError().fuses_with(None)


def test_the_square_limit_is_sqrt_of_largest_over_the_count() -> None:
    # 4 targets in float32: |y| may reach sqrt(3.4e38 / 4) = 9.2e18, exactly; 1e19 is refused
    # (a limit of sqrt(largest * n) would let it through)
    # a target exactly at the limit passes (float64's: 6.7e153 for 4 targets)
    limit = math.sqrt(float(np.finfo(np.float64).max) / 4)
    at_limit = np.array([[0.0, 0.0], [0.0, limit]])
    assert MeanSquaredError().prepare_targets(at_limit, 2, np.dtype("float64"))[1, 1] == limit
    MeanSquaredError().prepare_targets(np.array([[0.0, 0.0], [0.0, 9e18]]), 2, F32)
    with pytest.raises(ValueError) as raised:
        MeanSquaredError().prepare_targets(np.array([[0.0, 0.0], [0.0, 1e19]]), 2, F32)
    # the row of the largest target, in a 2-column array (flat index 3 is row 1)
    assert "the target 1e+19 (row 1 of y)" in str(raised.value)
    assert "4 squares of differences" in str(raised.value)
    empty = MeanSquaredError().prepare_targets(np.zeros((0, 1)), 1, F32)
    assert empty.shape == (0, 1)


def test_the_fused_softmax_delta_divides_each_row_by_its_own_sum() -> None:
    # p = a / (row sum) is the loss's p whatever the rows sum to: 1e-7 / 0.2000001 = 5e-7 is
    # inside the clip, so the target keeps its delta (a sum(y) - y) / n; p = a * (row sum)
    # = 2e-8 would be clipped and zero it
    a = np.array([[1e-7, 0.1, 0.1]])
    y = np.array([[1.0, 0.0, 0.0]])
    delta = CategoricalCrossEntropy().fused_delta(y, a)
    np.testing.assert_allclose(delta, a - y, rtol=1e-15, atol=0)
