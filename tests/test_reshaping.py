"""Flatten and Reshape (issue 17, first step): channels-last order (Keras's), the way back,
sizes, hostile arguments. Keras and PyTorch parity through them: test_conv_parity.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import check_gradients
from glassnet.layers import Conv2D, Dense, Flatten, Reshape


def test_flatten_reads_each_example_in_channels_last_order() -> None:
    layer = Flatten()
    layer.build((2, 2, 2), np.float64, None)
    x = np.arange(16.0).reshape(2, 2, 2, 2)  # x[n, y, x, c]
    out = layer.forward(x)
    # feature (y * width + x) * channels + c, as keras.layers.Flatten on NHWC
    assert out[0].tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert out[1, 3] == x[1, 0, 1, 1]
    np.testing.assert_array_equal(layer.backward(out * 2), x * 2)


def test_reshape_fills_minus_one_and_goes_back() -> None:
    layer = Reshape((-1, 4, 1))
    layer.build(12, np.float64, None)
    assert layer.output_shape == (3, 4, 1)
    x = np.arange(24.0).reshape(2, 12)
    out = layer.forward(x)
    assert out.shape == (2, 3, 4, 1) and out[1, 2, 3, 0] == 23
    np.testing.assert_array_equal(layer.backward(out), x)
    assert gn.layers.from_config(layer.get_config()).target_shape == (-1, 4, 1)


def test_flat_data_reshaped_into_images_inside_the_model() -> None:
    model = gn.Sequential(
        [
            gn.Input(shape=(12,)),
            Reshape((3, 4, 1)),
            Conv2D(2, 2, activation="tanh"),
            Flatten(),
            Dense(1),
        ],
        dtype="float64",
        seed=0,
    )
    assert model.summary_text().count("(None, 3, 4, 1)") == 1
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(3, 12))
    report = check_gradients(model, x, np.zeros((3, 1)), check_input=True)
    assert report.passed, report.table()


def test_flatten_on_flat_input_changes_nothing() -> None:
    model = gn.Sequential([gn.Input(shape=(3,)), Flatten(), Dense(1)], seed=0)
    assert model.predict(np.ones((2, 3))).shape == (2, 1)


@pytest.mark.parametrize(
    "target", [(), (0, 4), (-1, -1), (2, -2), (1, 2, 3, 4), "3x4", 12, (2.0, 6), (True, 12)]
)
def test_bad_target_shapes_get_clear_messages(target) -> None:
    with pytest.raises(ValueError, match=r"Reshape expects target_shape, the shape of one example"):
        Reshape(target)


def test_a_reshape_that_changes_the_size_is_refused_naming_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"cannot make \(None, 12\) \(12 numbers per example\) "):
        gn.Sequential([gn.Input(shape=(12,)), Reshape((5, 5, 1))])
    with pytest.raises(ValueError, match=r"into \(None, -1, 5\) \(5 times something numbers\)"):
        gn.Sequential([gn.Input(shape=(12,)), Reshape((-1, 5))])
