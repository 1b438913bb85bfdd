"""Dropout lives in glassnet.layers.regularization (as Keras lays it out), keeps its public names,
and works on any shape: on images (batch, h, w, c) each element gets its own mask entry, as
Keras's Dropout without noise_shape; forward, backward and a gradient check through it."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D


def test_dropout_is_in_the_regularization_module_under_its_old_names() -> None:
    from glassnet.layers import regularization

    assert gn.layers.Dropout is regularization.Dropout is Dropout
    assert gn.layers.LAYERS["dropout"] is Dropout
    assert "Dropout" in gn.layers.__all__
    rebuilt = gn.layers.from_config(Dropout(0.25, seed=3).get_config())
    assert isinstance(rebuilt, Dropout) and rebuilt.rate == 0.25 and rebuilt.seed == 3


def test_on_images_the_mask_has_the_input_shape_and_one_draw_per_element() -> None:
    layer = Dropout(0.5, seed=0)
    layer.build((6, 5, 4), np.float64, None)
    x = np.ones((50, 6, 5, 4))
    a = layer.forward(x, training=True)
    assert a.shape == layer.mask.shape == x.shape
    assert set(np.unique(a)) == {0.0, 2.0}  # dropped, or kept and scaled by 1 / (1 - rate)
    assert abs(float((a == 0).mean()) - 0.5) < 0.02  # 6,000 draws
    # not one draw per channel or per position: both vary inside one image
    dropped = a[0] == 0
    assert 0 < dropped[:, :, 0].mean() < 1  # one channel: some pixels dropped, some kept
    assert 0 < dropped[0, 0, :].mean() < 1 or 0 < dropped[1, 1, :].mean() < 1  # one pixel
    # the same layer drawn with a fresh stream gives the mask rng.random(shape) >= rate
    expected = np.random.default_rng(0).random(x.shape) >= 0.5
    np.testing.assert_array_equal(a != 0, expected)


def test_backward_on_images_is_the_upstream_gradient_times_the_mask() -> None:
    layer = Dropout(0.25, seed=1)
    layer.build((3, 3, 2), np.float64, None)
    rng = np.random.default_rng(0)
    layer.forward(rng.normal(size=(4, 3, 3, 2)), training=True)
    upstream = rng.normal(size=(4, 3, 3, 2))
    np.testing.assert_array_equal(layer.backward(upstream), upstream * layer.mask)
    kept = layer.mask != 0
    np.testing.assert_allclose(layer.mask[kept], 1 / 0.75, rtol=0, atol=0)
    assert layer.forward(np.ones((4, 3, 3, 2))) is not None  # predict: the identity
    np.testing.assert_array_equal(layer.backward(upstream), upstream)


@pytest.mark.parametrize("check_input", [False, True])
def test_central_differences_agree_through_dropout_on_images(check_input: bool) -> None:
    """check_gradients rewinds the random streams, so every forward pass draws one mask."""
    model = gn.Sequential(
        [
            gn.Input((5, 4, 2)),
            Conv2D(3, 2, activation="tanh"),
            Dropout(0.4, seed=2),
            MaxPooling2D(2, padding="same"),
            Flatten(),
            Dense(3, "softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(5)
    report = gn.check_gradients(
        model, rng.normal(size=(6, 5, 4, 2)), np.arange(6) % 3, check_input=check_input
    )
    assert report.passed, report.table()
    assert report.max_relative_error < 1e-6


def test_fit_with_dropout_on_images_and_predict_without_it() -> None:
    model = gn.Sequential([gn.Input((4, 4, 1)), Dropout(0.5, seed=0), Flatten(), Dense(1)], seed=0)
    model.compile("sgd", "mse")
    x = np.ones((8, 4, 4, 1), dtype=np.float32)
    model.fit(x, np.ones(8), epochs=2, verbose=0)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))  # no mask at inference
