"""The losses' edges that mutation testing found untested (issue 21).

Each test pins something a caller sees: a whole error message, a saved config, an attribute
``gradcheck`` reads, the per-example values the metrics and the trace use (against Keras 3.15.1,
computed here on its torch backend), or the absence of a NumPy warning. ``tests/MUTANTS.md``
lists the mutants each one kills and the ones left as equivalent.
"""

from __future__ import annotations

import os
import warnings

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

from glassnet import losses

Y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], dtype=np.float32)
A = np.array([[0.2, 0.7, 0.9], [0.6, 0.4, 0.1]], dtype=np.float32)


def test_a_keras_loss_glassnet_leaves_out_says_what_it_has() -> None:
    with pytest.raises(AttributeError) as caught:
        losses.KLDivergence  # noqa: B018
    assert str(caught.value) == (
        "glassnet has no keras.losses.KLDivergence: its losses are MeanSquaredError, "
        "MeanAbsoluteError, Huber and the binary, categorical and sparse categorical "
        "cross-entropies, each with its gradient written out (see glassnet.losses.LOSSES)."
    )


def test_hubers_delta_beyond_float32_says_it_in_full() -> None:
    with pytest.raises(ValueError) as caught:
        losses.Huber(delta=1e39)
    assert str(caught.value) == (
        "Expected delta between 1.18e-38 and 3.4e+38 (an ordinary number in float32, the "
        "default dtype), got 1e+39. Use e.g. delta=1.0."
    )


def test_a_reduction_other_than_the_mean_is_saved_and_read_back() -> None:
    for loss in (
        losses.MeanSquaredError(reduction="sum"),
        losses.MeanAbsoluteError(reduction="sum"),
        losses.Huber(delta=0.5, reduction="sum"),
        losses.BinaryCrossEntropy(reduction="sum"),
    ):
        config = loss.get_config()
        assert config["reduction"] == "sum"
        again = losses.from_config(config)
        assert again.reduction == "sum" and again.get_config() == config
    # the seed's loss is a sum by its formula and takes no reduction: none is saved
    assert losses.HalfSumSquaredError().get_config() == {"name": "half_sum_squared_error"}


def test_the_regression_losses_take_no_logits() -> None:
    # gradcheck names a loss "(from_logits)" and checks it on a linear output when this is set
    for loss in (losses.MeanAbsoluteError(), losses.Huber(), losses.MeanSquaredError()):
        assert loss.from_logits is False


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda: losses.BinaryCrossEntropy(label_smoothing=0.2),
            lambda: keras.losses.BinaryCrossentropy(label_smoothing=0.2, reduction=None),
        ),
        (
            lambda: losses.MeanAbsoluteError(),
            lambda: keras.losses.MeanAbsoluteError(reduction=None),
        ),
        (lambda: losses.Huber(delta=0.3), lambda: keras.losses.Huber(delta=0.3, reduction=None)),
    ],
)
def test_per_example_losses_are_kerass_values_before_the_reduction(ours, theirs) -> None:
    # the metrics' and the weighted trace's per-example values (smoothed targets included):
    # Keras 3.15.1, KERAS_BACKEND=torch, reduction=None, on the same float32 arrays
    loss = ours()
    y, a = loss.prepare(Y, A)
    values = loss.per_example(y, a)
    expected = np.asarray(theirs()(Y, A))
    assert values.shape == (2,)
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_hubers_gradient_at_a_zero_miss_is_zero_without_a_warning() -> None:
    # np.where computes both sides: the linear side's delta * sign(0) must not divide by 0
    y = np.array([[0.0, 1.0], [2.0, 0.5]])
    a = np.array([[0.0, 3.0], [2.0, 0.25]])  # misses 0, 2, 0, -0.25
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = losses.Huber(delta=1.0).gradient(y, a)
    assert grad.tolist() == [[0.0, 1.0 / 4], [0.0, -0.25 / 4]]
