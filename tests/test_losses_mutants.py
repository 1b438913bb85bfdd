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


def message(make) -> str:
    with pytest.raises((TypeError, ValueError)) as caught:
        make()
    return str(caught.value)


def test_a_bad_reduction_says_it_in_full() -> None:
    assert message(lambda: losses.MeanSquaredError(reduction=5)) == (
        "Expected reduction to be one of 'sum_over_batch_size', 'sum', 'none', got int 5."
    )
    assert message(lambda: losses.MeanSquaredError(reduction="x" * 60)) == (
        "Unknown reduction 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (60 characters). Valid: "
        "'sum_over_batch_size', 'sum', 'none' (Keras's; 'sum_over_batch_size' is the mean over "
        "the batch)."
    )


def test_label_smoothing_takes_1_and_names_itself_when_refused() -> None:
    assert message(lambda: losses.BinaryCrossEntropy(label_smoothing=float("nan"))) == (
        "Expected label_smoothing to be a finite number, got nan."
    )
    # s = 1: every binary target becomes y * 0 + 1 / 2, so C = -log(0.5) whatever y is
    full = losses.BinaryCrossEntropy(label_smoothing=1.0)
    assert full(np.array([[0.0], [1.0]]), np.array([[0.5], [0.5]])) == pytest.approx(np.log(2))


def test_one_loss_per_example_is_refused_for_training_in_full() -> None:
    per_example = losses.MeanSquaredError(reduction="none")
    assert message(lambda: per_example.compute(np.zeros((2, 1)), np.zeros((2, 1)))) == (
        "MeanSquaredError(reduction='none') gives one loss per example, for calling it "
        "directly; training and evaluating need one number. Use "
        "reduction='sum_over_batch_size' (the mean, the default) or 'sum'."
    )
    assert losses.get(per_example) is per_example  # not for training: kept, to call directly
    with pytest.raises(ValueError, match=r"reduction='none'\) gives one loss per example"):
        losses.get(per_example, training=True)


def test_a_users_own_loss_takes_no_logits_by_default() -> None:
    class Own(losses.Loss):
        def __init__(self) -> None:
            super().__init__()

    assert Own().from_logits is False and Own().reduction == "sum_over_batch_size"


def test_an_overflowing_loss_or_gradient_is_refused_in_words_without_a_warning() -> None:
    far = np.array([[3e38], [-3e38]], dtype=np.float32)  # |a - y| = 6e38: inf in float32
    tiny = np.array([[1e-40, 1e-40]], dtype=np.float32)  # p = a / sum(a): dC/da ~ 1e7 / 2e-40
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = message(lambda: losses.MeanAbsoluteError()(-far, far))
        grad = message(
            lambda: losses.CategoricalCrossEntropy().gradient(np.array([[1.0, 0.0]]), tiny)
        )
    assert loss == (
        "MeanAbsoluteError's loss overflowed float32 on these values (largest |y_pred| 3e+38). "
        "Scale the targets and outputs, or pass float64 arrays."
    )
    assert grad == (
        "CategoricalCrossEntropy's gradient overflowed float32 on these values (largest "
        "|y_pred| 9.99995e-41). Scale the targets and outputs, or pass float64 arrays."
    )


def test_the_clip_passes_the_gradient_at_its_own_bounds_as_torch_clamp() -> None:
    # a = 1e-7 and 1 - 1e-7 exactly: the clip leaves them as they are, so the gradient flows
    # (torch.clamp's backward is 1 on [min, max], bounds included). Values from PyTorch 2.13:
    # a = tensor([[1e-7, 1 - 1e-7, 0.3]], float64), y = [[0, 1, 1]];
    # -(y log clamp(a) + (1 - y) log(1 - clamp(a))).mean().backward() gave a.grad =
    # [[0.33333337, -0.33333337, -1.11111111]] (1 / (3 (1 - 1e-7)) at the bounds)
    a = np.array([[1e-7, 1.0 - 1e-7, 0.3]])
    y = np.array([[0.0, 1.0, 1.0]])
    expected = [1 / (3 * (1 - 1e-7)), -1 / (3 * (1 - 1e-7)), -1 / (3 * 0.3)]
    np.testing.assert_allclose(losses.BinaryCrossEntropy().gradient(y, a)[0], expected, 1e-12)
