"""Normalization on images: adapt on (n, height, width, channels) keeps one mean and variance
per channel (axis=-1, Keras's default), as keras.layers.Normalization(axis=-1).adapt does; the
per-channel statistics are saved in model files and exported.

Keras is imported here with KERAS_BACKEND=torch set first, so each comparison runs Keras 3.15.1's
own layer on the same images (float32, its only dtype on that backend).
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Conv2D, Dense, Flatten, Normalization


def pictures(n: int = 10, seed: int = 0) -> np.ndarray:
    """(n, 5, 4, 3) images whose channels have very different means and spreads."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5, 4, 3)) * [1.0, 20.0, 0.01] + [0.0, 100.0, -3.0]


def test_adapt_on_images_keeps_one_mean_and_variance_per_channel() -> None:
    x = pictures()
    layer = Normalization()
    layer.adapt(x)
    assert layer.mean.shape == layer.variance.shape == (3,)
    np.testing.assert_array_equal(layer.mean, x.mean(axis=(0, 1, 2)))
    np.testing.assert_array_equal(layer.variance, x.var(axis=(0, 1, 2)))
    assert layer.count == 10
    everything = Normalization(axis=None)
    everything.adapt(x)
    assert everything.mean.shape == () and everything.mean == x.mean()


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras's own
def test_adapt_and_forward_on_images_match_keras() -> None:
    # float32 images of moderate spread (Keras sums float32 data in float32: a channel of spread
    # 0.01 around -3, as pictures() has, loses digits there; glassnet adapts in float64)
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(16, 5, 4, 3)) * [1.0, 20.0, 0.5] + [0.0, 10.0, -3.0]).astype(np.float32)
    theirs = keras.layers.Normalization(axis=-1)
    theirs.adapt(x)
    ours = Normalization(axis=-1)
    ours.adapt(x)
    np.testing.assert_allclose(ours.mean, theirs.adapt_mean.numpy().ravel(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        ours.variance, theirs.adapt_variance.numpy().ravel(), rtol=1e-5, atol=1e-5
    )
    model = gn.Sequential([gn.Input((5, 4, 3)), ours])
    np.testing.assert_allclose(model.predict(x), theirs(x).numpy(), rtol=0, atol=1e-5)


def test_a_normalized_image_model_trains_saves_and_loads_bit_for_bit(tmp_path) -> None:
    x = pictures(12)
    normalize = Normalization()
    normalize.adapt(x)
    model = gn.Sequential(
        [gn.Input((5, 4, 3)), normalize, Conv2D(2, 3), Flatten(), Dense(2, "softmax")], seed=0
    )
    assert model.layers[0].count_params() == 7  # mean (3), variance (3), count: Keras's count
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(12) % 2, epochs=2, verbose=0)
    model.save(tmp_path / "m.glassnet")
    loaded = gn.load_model(tmp_path / "m.glassnet")
    np.testing.assert_array_equal(loaded.layers[0].mean, normalize.mean)
    np.testing.assert_array_equal(loaded.layers[0].variance, normalize.variance)
    assert loaded.layers[0].adapted and loaded.layers[0].count == 12
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_adapt_unbuilt_then_build_for_images() -> None:
    normalize = Normalization()
    normalize.adapt(pictures())
    model = gn.Sequential([normalize, Flatten(), Dense(1)], seed=0)
    model.build((None, 5, 4, 3))
    out = model.layers[0].forward(pictures(2).astype(np.float32))
    assert out.shape == (2, 5, 4, 3)


@pytest.mark.parametrize(
    ("make", "data", "message"),
    [
        (  # Keras's axis=1 on images keeps one mean per row
            lambda: Normalization(axis=1),
            pictures(),
            r"Layer 'normalization' \(Normalization\) has axis=1, which for input of shape "
            r"\(None, 5, 4, 3\) would keep one mean per row. Use axis=-1",
        ),
        (
            lambda: Normalization(),
            np.full((2, 5, 4, 3), np.nan),
            r"Input data contains NaN or infinity \(first at example 0",
        ),
        (
            lambda: Normalization(),
            np.zeros((0, 5, 4, 3)),
            r"Expected at least one example in data, got shape \(0, 5, 4, 3\)",
        ),
        (
            lambda: Normalization(),
            np.full((2, 5, 4, 3), "pixel"),
            r"Expected real numbers in data, got an array of dtype <U5",
        ),
        (
            lambda: Normalization(),
            np.full((2, 5, 4, 3), 1e200),
            r"adapt\(\) received values so large that their variance overflows",
        ),
    ],
)
def test_adapt_refuses_bad_images(make, data, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        make().adapt(data)


def test_adapt_on_a_built_image_layer_checks_the_shape() -> None:
    model = gn.Sequential([gn.Input((5, 4, 3)), Normalization(), Flatten(), Dense(1)])
    with pytest.raises(
        ValueError, match=r"Expected 4-D array data of shape \(n_samples, 5, 4, 3\)"
    ):
        model.layers[0].adapt(np.zeros((2, 60)))
    with pytest.raises(
        ValueError,
        match=r"built for images \(None, 5, 4, 3\), but adapt\(\) received data of shape \(2, 5, 4, 2\)",
    ):
        model.layers[0].adapt(np.zeros((2, 5, 4, 2)))
    flat = gn.Sequential([gn.Input((3,)), Normalization()])
    with pytest.raises(ValueError, match=r"Expected 2-D array data .* got 4-D array"):
        flat.layers[0].adapt(pictures())


def test_given_statistics_must_have_one_value_per_channel() -> None:
    with pytest.raises(ValueError, match=r"mean and variance for 2 features, but its input has 3"):
        gn.Sequential([gn.Input((5, 4, 3)), Normalization(mean=[0, 1], variance=[1, 1])])
    model = gn.Sequential([gn.Input((5, 4, 3)), Normalization(mean=[0, 1, 2], variance=[1, 4, 9])])
    np.testing.assert_allclose(model.predict(np.ones((1, 5, 4, 3)))[0, 0, 0], [1, 0, -1 / 3])
