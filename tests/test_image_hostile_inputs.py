"""Hostile input to every image layer (issue 17's audit): wrong rank or size, NaN/inf, text,
objects, values beyond float32, 100,000 channels, huge "same" pooling windows, a
BatchNormalization whose batch variance overflows or whose epsilon float32 cannot hold. Each is a
clear error naming the layer or the input and the shapes, raised before any state changes."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
    Normalization,
    Reshape,
)

LAYERS = {
    "conv2d": lambda: Conv2D(2, 3),
    "max_pooling2d": lambda: MaxPooling2D(2),
    "average_pooling2d": lambda: AveragePooling2D(2, padding="same"),
    "global_average_pooling2d": GlobalAveragePooling2D,
    "flatten": Flatten,
    "reshape": lambda: Reshape((72,)),
    "batch_normalization": BatchNormalization,
    "dropout": lambda: Dropout(0.5),
    "normalization": lambda: Normalization(mean=[0.0, 1.0], variance=[1.0, 4.0]),
}


def model_with(name: str) -> gn.Sequential:
    return gn.Sequential([gn.Input((6, 6, 2)), LAYERS[name]()], seed=0)


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (
            np.ones((2, 6, 6)),
            ValueError,
            r"Expected 4-D array x of shape \(n_samples, 6, 6, 2\) for this model's image input, "
            r"got 3-D array of shape \(2, 6, 6\)",
        ),
        (
            np.ones((2, 5, 6, 2)),
            ValueError,
            r"expects input of shape \(None, 6, 6, 2\), but x has shape \(2, 5, 6, 2\)",
        ),
        (np.full((2, 6, 6, 2), "7"), TypeError, r"Expected real numbers in x, got .* <U1"),
        (np.full((2, 6, 6, 2), None), TypeError, r"Expected real numbers in x, got .* object"),
        (
            np.full((2, 6, 6, 2), np.nan),
            ValueError,
            r"Input x contains NaN or infinity \(first at example 0, position \(0, 0, 0\)\)",
        ),
        (
            np.full((2, 6, 6, 2), -np.inf),
            ValueError,
            r"Input x contains NaN or infinity",
        ),
        (
            np.full((2, 6, 6, 2), 1e39),
            ValueError,
            r"Input x has a value too large for float32 .*1e\+39\)\. Scale the data",
        ),
        (np.ones((0, 6, 6, 2)), ValueError, r"Expected at least one example in x, got shape"),
    ],
)
def test_predict_refuses_hostile_images_naming_the_shapes(name, x, error, message) -> None:
    model = model_with(name)
    with pytest.raises(error, match=message):
        model.predict(x)
    if x.ndim == 4 and x.shape[1] == 5:  # the layer is named
        with pytest.raises(error, match=rf"Layer '{name}' \("):
            model.predict(x)


@pytest.mark.parametrize("name", list(LAYERS))
def test_a_layer_called_directly_names_itself_and_both_shapes(name) -> None:
    layer = model_with(name).layers[0]
    for shape in [(2, 6, 6), (2, 6, 6, 2, 1), (2, 6, 7, 2)]:
        with pytest.raises(ValueError, match=rf"Layer '{name}' \(\w+\) expects input of shape "):
            layer.forward(np.ones(shape, dtype=np.float32))


@pytest.mark.parametrize("name", list(LAYERS))
def test_bool_images_are_zero_one_pixels_as_in_numpy_and_keras(name) -> None:
    """A documented choice, as for flat data: booleans are the numbers 0 and 1."""
    model = model_with(name)
    pixels = np.random.default_rng(0).random((3, 6, 6, 2)) > 0.5
    np.testing.assert_array_equal(model.predict(pixels), model.predict(pixels.astype(np.float32)))


def test_100000_channels_are_counted_and_a_too_small_image_is_refused() -> None:
    model = gn.Sequential([gn.Input((4, 4, 100_000)), Conv2D(2, 3)], seed=0)
    assert model.count_params() == 3 * 3 * 100_000 * 2 + 2
    assert model.predict(np.ones((1, 4, 4, 100_000), dtype=np.float32)).shape == (1, 2, 2, 2)
    with pytest.raises(ValueError, match=r"3x3 window, larger than its input \(None, 2, 2, 100000"):
        gn.Sequential([gn.Input((2, 2, 100_000)), Conv2D(2, 3)])
    norm = gn.Sequential([gn.Input((1, 1, 100_000)), BatchNormalization()])
    assert norm.predict(np.ones((2, 1, 1, 100_000))).shape == (2, 1, 1, 100_000)


@pytest.mark.parametrize("pooling", [MaxPooling2D, AveragePooling2D])
def test_a_huge_same_pooling_window_is_refused_before_padding(pooling) -> None:
    """It was a MemoryError from np.pad ("Unable to allocate 7.28 TiB") in AveragePooling2D's
    build, and in MaxPooling2D's forward pass."""
    with pytest.raises(
        ValueError,
        match=r"\((Max|Average)Pooling2D\) with pool_size=\(1000000, 1000000\) and "
        r"padding='same': the padded input \(1, 1000000, 1000000, 2\) of a batch of 1 would take "
        r"about 7450.6 GiB",
    ):
        gn.Sequential([gn.Input((6, 6, 2)), pooling(10**6, padding="same")])


def test_the_padded_batch_is_checked_in_the_forward_pass_too(monkeypatch) -> None:
    model = gn.Sequential([gn.Input((6, 6, 2)), MaxPooling2D(3, strides=1, padding="same")])
    monkeypatch.setattr(gn.initializers, "MAX_ALLOCATION_BYTES", 10_000)
    with pytest.raises(ValueError, match=r"the padded input \(100, 8, 8, 2\) of a batch of 100"):
        model.layers[0].forward(np.ones((100, 6, 6, 2), dtype=np.float32))


def test_a_batch_variance_that_overflows_float32_is_refused_and_changes_nothing() -> None:
    """It trained on: the moving variance became inf, silently, and predict gave beta."""
    model = gn.Sequential(
        [gn.Input((4, 4, 2)), Conv2D(3, 3), BatchNormalization(), Flatten(), Dense(1)], seed=0
    )
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(
        ValueError,
        match=r"Layer 'batch_normalization' \(BatchNormalization\): the batch mean or variance of "
        r"channel \d overflowed float32 \(its inputs are too large to square\)\. Scale the data",
    ):
        model.fit(np.full((4, 4, 4, 2), 1e30, dtype=np.float32), np.ones(4), verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # moving statistics included
    gn.Sequential(  # float64 holds it
        [gn.Input((4, 4, 2)), BatchNormalization(), Flatten(), Dense(1)], dtype="float64"
    ).layers[0].forward(np.full((4, 4, 4, 2), 1e30) * np.arange(1, 5)[:, None, None, None], True)


@pytest.mark.parametrize("epsilon", [1e-50, 1e39])
def test_an_epsilon_float32_cannot_hold_is_refused(epsilon) -> None:
    """1e-50 is 0 in float32 (a constant channel divided by 0: NaN, reported as 'training
    diverged, try a smaller learning rate'); 1e39 is inf (every output silently beta)."""
    with pytest.raises(
        ValueError,
        match=r"Expected BatchNormalization's epsilon between 1.18e-38 and 3.4e\+38 \(an ordinary "
        r"number in float32",
    ):
        BatchNormalization(epsilon=epsilon)


def test_stride_0_non_integer_and_oversized_arguments_are_refused() -> None:
    cases = [
        (lambda: Conv2D(2, 3, strides=(1, 0)), r"Conv2D expects strides to be a positive integer"),
        (lambda: MaxPooling2D(2, strides=0), r"MaxPooling2D expects strides to be a positive"),
        (lambda: AveragePooling2D(2.5), r"AveragePooling2D expects pool_size to be a positive"),
        (lambda: Conv2D(2.0, 3), r"Conv2D expects filters, the number of output channels"),
        (lambda: Conv2D(2, 3.0), r"Conv2D expects kernel_size to be a positive integer"),
        (lambda: Conv2D(2, 10**30), r"got an integer of about 31 digits"),
        (lambda: Reshape((2.5, 2)), r"Reshape expects target_shape"),
        (lambda: Reshape((0, 72)), r"Reshape expects target_shape"),
        (lambda: gn.Input((6.0, 6, 2)), r"Input expects the shape of one example"),
        (
            lambda: Dense(3).build((6, 6, 2), np.float32, None),
            r"\(None, 6, 6, 2\)\. Add Flatten\(\) before it",
        ),
    ]
    for make, message in cases:
        with pytest.raises((ValueError, TypeError), match=message):
            make()
