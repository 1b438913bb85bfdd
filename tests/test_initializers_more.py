"""GlorotNormal, HeUniform, LecunNormal, RandomNormal, TruncatedNormal, Orthogonal: Keras's
formulas, checked by the statistics of big draws (and against Keras 3.15.1's own draws, computed
here on its torch backend: the streams differ, the distributions must not), shapes including 4-D
convolution kernels (fan_in = kh * kw * in_channels), names, model files and bad settings."""

from __future__ import annotations

import math
import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers as init

SHAPE = (400, 300)  # fan_in 400, fan_out 300: 120,000 draws
CONV = (3, 3, 16, 32)  # fan_in 3*3*16 = 144, fan_out 3*3*32 = 288


def _std(fan: float, scale: float) -> float:
    return math.sqrt(scale / fan)


CASES = {
    # name: (ours, Keras's, expected std of the values, largest |value|)
    "glorot_normal": (
        init.GlorotNormal(seed=1),
        keras.initializers.GlorotNormal(seed=1),
        _std((400 + 300) / 2, 1.0),
        2 * _std(350, 1.0) / init.TRUNCATION_CORRECTION,
    ),
    "lecun_normal": (
        init.LecunNormal(seed=2),
        keras.initializers.LecunNormal(seed=2),
        _std(400, 1.0),
        2 * _std(400, 1.0) / init.TRUNCATION_CORRECTION,
    ),
    "he_uniform": (
        init.HeUniform(seed=3),
        keras.initializers.HeUniform(seed=3),
        math.sqrt(6 / 400) / math.sqrt(3),  # uniform on [-l, l] has std l / sqrt(3)
        math.sqrt(6 / 400),
    ),
    "random_normal": (
        init.RandomNormal(0.0, 0.05, seed=4),
        keras.initializers.RandomNormal(0.0, 0.05, seed=4),
        0.05,
        math.inf,
    ),
    "truncated_normal": (
        init.TruncatedNormal(0.0, 0.05, seed=5),
        keras.initializers.TruncatedNormal(0.0, 0.05, seed=5),
        0.05 * init.TRUNCATION_CORRECTION,  # stddev is the deviation before the truncation
        0.1,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_statistics_of_a_big_draw_match_the_formula_and_keras(name: str) -> None:
    ours, theirs, std, largest = CASES[name]
    values = ours(SHAPE, np.float64, None)
    assert values.shape == SHAPE and values.dtype == np.float64
    assert abs(values.mean()) < 4 * std / math.sqrt(values.size)  # mean 0, within 4 sigma
    assert values.std() == pytest.approx(std, rel=0.01)
    assert np.abs(values).max() <= largest
    keras_values = keras.ops.convert_to_numpy(theirs(SHAPE, dtype="float32"))
    assert keras_values.std() == pytest.approx(values.std(), rel=0.02)
    assert np.abs(keras_values).max() <= largest * (1 + 1e-6)


def test_conv_kernels_use_the_receptive_field() -> None:
    # fan_in = 3 * 3 * 16 = 144: LecunNormal's std 1/12, HeUniform's limit sqrt(6/144)
    values = init.LecunNormal(seed=0)(CONV, np.float32, None)
    assert values.shape == CONV and values.dtype == np.float32
    assert values.std() == pytest.approx(1 / 12, rel=0.02)
    limit = math.sqrt(6 / 144)
    values = init.HeUniform(seed=0)(CONV, np.float32, None)
    assert values.max() <= limit and values.min() >= -limit and values.max() > 0.99 * limit
    values = init.GlorotNormal(seed=0)(CONV, np.float64, None)
    assert values.std() == pytest.approx(math.sqrt(2 / (144 + 288)), rel=0.02)


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (3, 3, 4, 8), (5, 5)])
def test_orthogonal_is_orthogonal_with_its_gain(shape) -> None:
    values = init.Orthogonal(gain=2.0, seed=0)(shape, np.float64, None)
    assert values.shape == shape
    flat = values.reshape(-1, shape[-1]) / 2.0  # (rows, cols)
    rows, cols = flat.shape
    product = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(product, np.eye(min(rows, cols)), atol=1e-12)
    keras_values = keras.ops.convert_to_numpy(
        keras.initializers.Orthogonal(gain=2.0, seed=0)(shape, dtype="float32")
    )
    keras_flat = keras_values.reshape(-1, shape[-1]) / 2.0
    keras_product = keras_flat.T @ keras_flat if rows >= cols else keras_flat @ keras_flat.T
    np.testing.assert_allclose(keras_product, np.eye(min(rows, cols)), atol=1e-5)


def test_seeded_initializers_repeat_and_the_model_stream_is_used_otherwise() -> None:
    a = init.TruncatedNormal(seed=7)((4, 3), np.float64, None)
    b = init.TruncatedNormal(seed=7)((4, 3), np.float64, None)
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(0)
    first = init.RandomNormal()((4, 3), np.float64, rng)
    assert not np.array_equal(first, init.RandomNormal()((4, 3), np.float64, rng))


@pytest.mark.parametrize(
    "name",
    [
        "glorot_normal",
        "he_uniform",
        "lecun_normal",
        "random_normal",
        "truncated_normal",
        "orthogonal",
    ],
)
def test_names_in_layers_and_model_files(name: str, tmp_path) -> None:
    model = gn.Sequential(
        [gn.Input((4,)), gn.layers.Dense(3, kernel_initializer=name), gn.layers.Dense(1)], seed=0
    )
    model.compile("sgd", "mse")
    assert type(model.layers[0].kernel_initializer) is init.INITIALIZERS[name]
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet")
    assert again.layers[0].kernel_initializer.get_config() == (
        model.layers[0].kernel_initializer.get_config()
    )
    np.testing.assert_array_equal(again.layers[0].kernel, model.layers[0].kernel)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: init.RandomNormal(stddev=0.0), ValueError, r"RandomNormal expects stddev > 0"),
        (lambda: init.RandomNormal(stddev=-1), ValueError, r"stddev > 0"),
        (lambda: init.TruncatedNormal(mean=1e39), ValueError, r"TruncatedNormal expects"),
        (lambda: init.RandomNormal(mean=math.nan), ValueError, r"mean to be a finite number"),
        (lambda: init.RandomNormal(stddev="0.1"), TypeError, r"stddev to be a number"),
        (lambda: init.Orthogonal(gain=0), ValueError, r"Orthogonal expects gain > 0"),
        (lambda: init.Orthogonal(gain=True), TypeError, r"gain to be a number"),
        (lambda: init.LecunNormal(seed=-1), ValueError, r"LecunNormal's seed"),
        (
            lambda: init.Orthogonal()((5,), np.float32, None),
            ValueError,
            r"Orthogonal needs a weight of at least 2 dimensions .* not for a bias",
        ),
        (
            lambda: init.GlorotNormal()((10**6, 10**6), np.float32, None),
            ValueError,
            r"weights of shape \(1000000, 1000000\) in float32 would take about",
        ),
        (
            lambda: init.Orthogonal()((10**6, 10**5), np.float32, None),
            ValueError,
            r"would take about",
        ),
    ],
)
def test_bad_settings_get_clear_errors(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()
