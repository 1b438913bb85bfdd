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
    assert message(lambda: losses.MeanSquaredError(reduction=["x" * 40])) == (
        "Expected reduction to be one of 'sum_over_batch_size', 'sum', 'none', got list "
        "['xxxxxxxxxxxxxxxxxx... (44 characters)."
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


def test_targets_beyond_float32_are_refused_in_words_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the float64 -> float32 cast overflows: no warning
        text = message(
            lambda: losses.MeanAbsoluteError()(np.array([[1e39]]), np.zeros((1, 1), np.float32))
        )
    assert text == (
        "Targets y have a value too large for float32 (first at row 0); it holds numbers up to "
        "about 3.403e+38. Scale the targets (e.g. divide by their largest value) or build the "
        "model with dtype='float64'."
    )


def test_a_log_softmax_past_float32_is_refused_without_a_warning() -> None:
    # z = [3e38, -3e38]: z - max(z) overflows to -inf and 0 * -inf is NaN (NumPy's "invalid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = message(
            lambda: losses.CategoricalCrossEntropy(from_logits=True)(
                np.array([[1.0, 0.0]]), np.array([[3e38, -3e38]], np.float32)
            )
        )
    assert text == (
        "CategoricalCrossEntropy's loss overflowed float32 on these values (largest |y_pred| "
        "3e+38). Scale the targets and outputs, or pass float64 arrays."
    )


def test_log_softmax_shifts_each_row_by_its_own_max() -> None:
    # rows 1000 apart: a shift by the batch's max would underflow the second row to log(0).
    # PyTorch 2.13: F.cross_entropy(tensor([[1000., 0.], [0., 1.]], float64), tensor([0, 1]))
    # gave 0.15663084375911143
    value = losses.CategoricalCrossEntropy(from_logits=True)(
        np.eye(2), np.array([[1000.0, 0.0], [0.0, 1.0]])
    )
    assert value == pytest.approx(0.15663084375911143, rel=1e-12)


def test_the_sigmoid_of_a_large_logit_warns_not() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(1000) overflows to inf inside the sigmoid
        # compute_gradient, what fit and the trace call (gradient() has its own errstate)
        grad = losses.BinaryCrossEntropy(from_logits=True).compute_gradient(
            np.array([[1.0], [0.0]]), np.array([[-1000.0], [1000.0]])
        )
    assert grad.tolist() == [[-0.5], [0.5]]  # (sigmoid(z) - y) / 2


def test_the_clip_holds_the_gradient_flat_beyond_its_bounds() -> None:
    # a = 1 and 0, outside [1e-7, 1 - 1e-7]: torch.clamp's backward is 0 there, so dC/da = 0
    # (an unclipped a would divide 0 by a (1 - a) = 0)
    grad = losses.BinaryCrossEntropy().gradient(np.array([[1.0], [0.0]]), np.array([[1.0], [0.0]]))
    assert grad.tolist() == [[0.0], [0.0]]
    # the categorical target's p = 1e-9 < 1e-7 is clipped: its log p is flat, delta = 0
    delta = losses.CategoricalCrossEntropy().fused_delta(
        np.array([[1.0, 0.0]]), np.array([[1e-9, 1 - 1e-9]])
    )
    assert delta.tolist() == [[0.0, 0.0]]


def test_a_confident_right_guess_costs_what_keras_says() -> None:
    # p = [1, 0] is clipped to [1 - 1e-7, 1e-7] in float32 before the log: C = -log(0.99999988)
    y, a = np.array([[1.0, 0.0]], np.float32), np.array([[1.0, 0.0]], np.float32)
    theirs = float(keras.losses.CategoricalCrossentropy()(y, a))  # Keras 3.15.1, torch backend
    assert theirs == pytest.approx(1.1920930376163597e-07, rel=1e-6)
    assert losses.CategoricalCrossEntropy()(y, a) == pytest.approx(theirs, rel=1e-6)


def test_a_nan_row_passes_the_probability_check_beside_a_row_with_a_zero() -> None:
    # an overflowed network's NaN row gives a NaN loss (fit stops on it); the row [1, 0] beside
    # it is a probability, its zero allowed
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert np.isnan(
        losses.CategoricalCrossEntropy().compute(y, np.array([[1.0, 0.0], [np.nan] * 2]))
    )


def test_a_row_that_is_not_a_probability_shows_ten_of_its_values() -> None:
    assert message(
        lambda: losses.CategoricalCrossEntropy()(np.eye(12)[[0]], -np.arange(12.0)[None])
    ) == (
        "CategoricalCrossEntropy expects probabilities (non-negative, each row with a positive "
        "sum), but row 0 of the output is [-0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, "
        "-8.0, -9.0]. Give the last layer a softmax activation, or use from_logits=True with a "
        "linear output."
    )


def test_prepared_targets_keep_the_models_dtype_and_name() -> None:
    f32 = np.dtype(np.float32)
    sparse = losses.SparseCategoricalCrossEntropy()
    assert sparse.prepare_targets(np.array([0, 2]), 3, f32).dtype == np.float32
    assert sparse.prepare_targets(np.array([[0], [2]]), 3, f32).tolist() == [[1, 0, 0], [0, 0, 1]]
    categorical = losses.CategoricalCrossEntropy()
    assert categorical.prepare_targets(np.array([[0.0, 1.0]]), 2, f32).dtype == np.float32
    assert message(lambda: categorical.prepare_targets(np.eye(2), 3, f32, "y_val")) == (
        "CategoricalCrossEntropy expects targets y_val of shape (n_samples, 3) to match the "
        "model's output, got shape (2, 2)."
    )
    assert message(lambda: sparse(np.array(["a", "b"]), np.full((2, 3), 1 / 3))) == (
        "Expected numeric targets y, got an array of dtype <U1. Convert them with "
        "np.asarray(y, dtype=float), or encode text labels as integers."
    )
    assert message(lambda: losses.MeanSquaredError()(np.zeros((2, 3)), np.zeros((2, 2)))) == (
        "MeanSquaredError expects targets y of shape (n_samples, 2) to match the model's "
        "output, got shape (2, 3)."
    )


def test_targets_outside_0_and_1_are_refused_in_full() -> None:
    assert message(lambda: losses.BinaryCrossEntropy()(np.array([[1.5]]), np.array([[0.5]]))) == (
        "BinaryCrossEntropy expects targets between 0 and 1, got values from 1.5 to 1.5. For "
        "more than two classes use CategoricalCrossEntropy or SparseCategoricalCrossEntropy "
        "with a softmax output."
    )
    assert message(
        lambda: losses.CategoricalCrossEntropy()(np.array([[1.5, 0.0]]), np.array([[0.5, 0.5]]))
    ) == (
        "CategoricalCrossEntropy expects one-hot (or probability) targets between 0 and 1, got "
        "values from 0.0 to 1.5. For integer class labels use SparseCategoricalCrossEntropy."
    )


def test_weighted_values_and_gradients_keep_float32() -> None:
    y, a = np.zeros((2, 1), np.float32), np.ones((2, 1), np.float32)
    per_example = losses.MeanSquaredError(reduction="none")(y, a, sample_weight=[1.0, 2.0])
    assert per_example.dtype == np.float32 and per_example.tolist() == [1.0, 2.0]
    grad = losses.MeanSquaredError().gradient(y, a, sample_weight=[1.0, 2.0])
    assert grad.dtype == np.float32 and grad.tolist() == [[1.0], [2.0]]  # w_i * 2 (a - y) / 2


def test_the_sum_reduction_in_the_prepared_forms_fit_calls() -> None:
    y, a = np.array([[0.0], [1.0], [1.0]]), np.array([[0.5], [0.25], [0.75]])
    mean, total = losses.MeanSquaredError(), losses.MeanSquaredError(reduction="sum")
    assert total.compute(y, a) == pytest.approx(3 * mean.compute(y, a), rel=1e-15)
    np.testing.assert_allclose(total.compute_gradient(y, a), 3 * mean.compute_gradient(y, a))
    binary = losses.BinaryCrossEntropy(reduction="sum")
    np.testing.assert_allclose(
        binary.fused_delta(y, a), 3 * losses.BinaryCrossEntropy().fused_delta(y, a)
    )
    assert losses.SparseCategoricalCrossEntropy(reduction="sum").reduction == "sum"


def test_a_weighted_loss_past_float64_or_with_an_inf_row_warns_not() -> None:
    # compute() and weighted(), what fit and the trace call, outside __call__'s own errstate
    mse = losses.MeanSquaredError()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # sum_i w_i loss_i = 2e310 overflows the float64 dot
        past = message(
            lambda: mse.compute(np.zeros((2, 1)), np.full((2, 1), 1e5), np.array([1e300] * 2))
        )
        # an inf loss with weight 0: 0 * inf is NaN in the dot (NumPy's "invalid")
        nan = mse.weighted(np.array([np.inf, 1.0]), np.array([0.0, 1.0]))
    assert "weighted loss sum_i w_i * loss_i is past the largest float64" in past
    assert np.isnan(nan)  # __call__ and fit refuse a NaN loss in words


def test_fractional_labels_are_refused_in_full() -> None:
    assert message(
        lambda: losses.SparseCategoricalCrossEntropy()(np.array([0.5, 1.0]), np.full((2, 3), 0.3))
    ) == (
        "SparseCategoricalCrossEntropy expects whole-number class labels, got fractional "
        "values. Use CategoricalCrossEntropy for soft targets."
    )


def test_an_overflowed_gradient_row_with_weight_0_is_refused_without_a_warning() -> None:
    # the row's dC/da is inf in float32 (1e7 / 2e-40) and its weight 0: 0 * inf is NaN
    tiny = np.array([[1e-40, 1e-40]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = message(
            lambda: losses.CategoricalCrossEntropy().gradient(
                np.array([[1.0, 0.0]]), tiny, sample_weight=[0.0]
            )
        )
    assert text.startswith("CategoricalCrossEntropy's gradient overflowed float32")


def test_a_zero_probability_has_a_flat_gradient_and_targets_keep_their_name() -> None:
    # p = [1, 0]: both outside [1e-7, 1 - 1e-7], held flat by the clip (torch.clamp's backward
    # is 0 there): dC/da = 0, not 0 / 0
    grad = losses.CategoricalCrossEntropy().gradient(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]))
    assert grad.tolist() == [[0.0, 0.0]]
    big = np.array([[1e39]])
    assert message(
        lambda: losses.MeanAbsoluteError().prepare_targets(big, 1, np.dtype(np.float32), "y_val")
    ).startswith("Targets y_val have a value too large for float32 (first at row 0)")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_float32_model_draws_the_1e3_line_of_a_target_row_where_float64_does(dtype) -> None:
    """A row's sum is taken in float64 whatever the model's dtype, so the verdict on a row near
    the edge (1 +- 1e-3) does not depend on the dtype. Summed in float32 instead, the row
    [1, 0.000999995] (1.000999995 in float64, within 1e-3) rounds to 1.0010000467 and was
    refused, and [0.75, 0.249] (0.998999998: 0.249 is 0.24899999797 in float32) rounds to 0.999
    and was accepted; a float64 model refuses it (0.75 + 0.249 is 0.999 minus 1e-16 there)."""
    from glassnet import Input, Sequential
    from glassnet.layers import Dense

    model = Sequential([Input((2,)), Dense(2, "softmax")], dtype=dtype, seed=0)
    model.compile("sgd", "categorical_crossentropy")
    x = np.ones((1, 2))
    history = model.fit(x, np.array([[1.0, 0.000999995]]), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
    before = model.get_weights()
    assert message(lambda: model.fit(x, np.array([[0.75, 0.249]]), epochs=1, verbose=0)) == (
        "CategoricalCrossEntropy expects each target row to be a distribution over the 2 "
        "classes (one-hot, or probabilities summing to 1), but row 0 sums to 0.999 (1 rows are "
        "off by more than 1e-3). Fix or drop those rows; an all-zero row names no class and "
        "would train on a loss of 0."
    )
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # refused before any step
