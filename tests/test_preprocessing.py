"""Rescaling and Normalization: Keras's semantics, hand-worked numbers, gradients, files, summary.

Keras is imported here with KERAS_BACKEND=torch set first, so each comparison runs Keras 3.15.1's
own layer on the same data (float32, its only dtype on that backend).
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet import layers
from glassnet.layers import Normalization, Rescaling

# Keras's own docstring example (keras/src/layers/preprocessing/normalization.py)
ADAPT = np.array([[0.0, 7.0, 4.0], [2.0, 9.0, 6.0], [0.0, 7.0, 4.0], [2.0, 9.0, 6.0]])


def built(layer: layers.Layer, features: int, dtype: str = "float64") -> layers.Layer:
    layer.build(features, np.dtype(dtype), np.random.default_rng(0))
    return layer


# -- hand-worked numbers ---------------------------------------------------------------------
def test_rescaling_by_hand() -> None:
    layer = built(Rescaling(1 / 16, offset=0.5), 3)
    x = np.array([[16.0, 3.0, -2.0]])
    # 16/16 + 0.5 = 1.5; 3/16 + 0.5 = 0.6875; -2/16 + 0.5 = 0.375
    np.testing.assert_array_equal(layer.forward(x), [[1.5, 0.6875, 0.375]])
    np.testing.assert_array_equal(
        layer.backward(np.array([[1.0, 2.0, -4.0]])), [[1 / 16, 1 / 8, -0.25]]
    )
    assert layer.count_params() == 0 and layer.parameters == []


def test_normalization_by_hand_and_its_floor() -> None:
    layer = Normalization()
    layer.adapt(ADAPT)
    np.testing.assert_array_equal(layer.mean, [1.0, 8.0, 5.0])  # means of the columns
    np.testing.assert_array_equal(layer.variance, [1.0, 1.0, 1.0])  # np.var, ddof 0
    built(layer, 3)
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 2.0, 3.0]])), [[0.0, -6.0, -2.0]])
    # variance 0 and 1e-20 are floored: the divisor is max(sqrt(variance), 1e-7), as in Keras
    floored = built(Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.0, 1e-20]), 3)
    out = floored.forward(np.array([[3.0, 2.0, 3.5]]))
    np.testing.assert_allclose(out, [[1.0, 0.0, 0.5 / 1e-7]], rtol=1e-15)
    grad = floored.backward(np.array([[1.0, 1.0, 1.0]]))
    np.testing.assert_allclose(grad, [[0.5, 1e7, 1e7]], rtol=1e-15)


def test_backward_overwrites_rather_than_accumulates() -> None:
    for layer in (built(Rescaling(3.0), 2), built(Normalization(mean=1.0, variance=4.0), 2)):
        layer.forward(np.ones((2, 2)))
        first = layer.backward(np.full((2, 2), 2.0)).copy()
        np.testing.assert_array_equal(layer.backward(np.full((2, 2), 2.0)), first)
        assert layer.backward(np.ones((2, 2)), need_input_gradient=False) is None


# -- against Keras's own layers ----------------------------------------------------------------
def test_rescaling_matches_keras(rng) -> None:
    x = (rng.normal(size=(20, 5)) * 50).astype(np.float32)
    for scale, offset in ((1 / 255, 0.0), (1 / 127.5, -1.0), (-3.5, 2.25)):
        theirs = keras.layers.Rescaling(scale, offset=offset)(x).numpy()
        ours = built(Rescaling(scale, offset), 5, "float32").forward(x)
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras's own
@pytest.mark.parametrize("axis", [-1, 1, None])
def test_normalization_adapt_matches_keras(rng, axis) -> None:
    # float64 data: Keras's adapt then takes np.mean / np.var in float64, as glassnet always does
    # (on float32 data Keras sums in float32, and a feature of spread 1e-3 around 1 loses digits)
    data = rng.normal(size=(200, 4)) * [1.0, 10.0, 1e3, 1e-3] + [0, 5, -300, 1]
    x = data[:17].astype(np.float32)
    theirs = keras.layers.Normalization(axis=axis)
    theirs.adapt(data)
    ours = Normalization(axis=axis)
    ours.adapt(data)
    np.testing.assert_allclose(ours.mean, theirs.adapt_mean.numpy(), rtol=1e-7)
    np.testing.assert_allclose(ours.variance, theirs.adapt_variance.numpy(), rtol=1e-7)
    out = built(ours, 4, "float32").forward(x)
    np.testing.assert_allclose(out, theirs(x).numpy(), rtol=1e-6, atol=1e-6)


def test_normalization_given_mean_and_variance_matches_keras_with_the_floor() -> None:
    mean, variance = [1.0, 2.0, 3.0], [4.0, 0.0, 1e-20]
    x = np.array([[3.0, 2.0, 3.5], [-1.0, 2.5, 3.0]], dtype=np.float32)
    theirs = keras.layers.Normalization(mean=mean, variance=variance)(x).numpy()
    ours = built(Normalization(mean=mean, variance=variance), 3, "float32").forward(x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # printed by /tmp/keras_pre.py (KERAS_BACKEND=torch, Keras 3.15.1): [[1., 0., 5e6]]
    np.testing.assert_allclose(ours[0], [1.0, 0.0, 5e6], rtol=1e-6)


def test_summary_counts_parameters_as_keras_does() -> None:
    norm = Normalization()
    norm.adapt(ADAPT)
    model = gn.Sequential([gn.Input((3,)), Rescaling(1 / 16, 0.5), norm, gn.layers.Dense(2)])
    theirs_norm = keras.layers.Normalization()
    theirs_norm.adapt(ADAPT.astype(np.float32))
    theirs = keras.Sequential(
        [keras.Input((3,)), keras.layers.Rescaling(1 / 16, 0.5), theirs_norm, keras.layers.Dense(2)]
    )
    assert [layer.count_params() for layer in model.layers] == [
        layer.count_params() for layer in theirs.layers
    ]  # [0, 7, 8]: mean 3 + variance 3 + count 1 are non-trainable
    assert model.count_params() == theirs.count_params() == 15
    text = model.summary_text()
    assert "Total params: 15\nTrainable params: 8\nNon-trainable params: 7" in text
    assert "normalization (Normalization)  (None, 3)     7" in text
    assert "rescaling (Rescaling)          (None, 3)     0" in text
    given = gn.Sequential([gn.Input((3,)), Normalization(mean=1.0, variance=2.0)])
    assert given.count_params() == 0  # constants, as Keras counts them
    constant = keras.layers.Normalization(mean=1.0, variance=2.0)
    constant.build((None, 3))
    assert constant.count_params() == 0


# -- gradients ------------------------------------------------------------------------------------
@pytest.mark.parametrize("first", [True, False])
def test_gradients_check_through_both_layers(rng, first) -> None:
    norm = Normalization(mean=[0.5, -1.0, 2.0], variance=[4.0, 0.5, 9.0])
    pre = [Rescaling(0.25, offset=-0.5), norm]
    hidden = [gn.layers.Dense(3, "tanh")]
    stack = pre + hidden if first else hidden + pre
    model = gn.Sequential([gn.Input((3,)), *stack, gn.layers.Dense(2)], dtype="float64", seed=1)
    model.compile("sgd", "mse")
    report = gn.check_gradients(
        model, rng.normal(size=(6, 3)) * 3, rng.normal(size=(6, 2)), check_input=True
    )
    assert report.passed, report.table()
    assert report.max_relative_error < 1e-7
    assert "input" in report.by_layer()  # dC/dx, through both layers


def test_the_optimizer_never_changes_the_normalization_state(rng) -> None:
    norm = Normalization()
    norm.adapt(rng.normal(size=(30, 3)) * 5 + 2)
    mean, variance = norm.mean.copy(), norm.variance.copy()
    model = gn.Sequential([gn.Input((3,)), norm, gn.layers.Dense(1)], seed=0)
    model.compile("adam", "mse")
    model.fit(rng.normal(size=(30, 3)), rng.normal(size=30), epochs=3, verbose=0)
    np.testing.assert_array_equal(norm.mean, mean)
    np.testing.assert_array_equal(norm.variance, variance)
    assert len(model.get_weights()) == 2  # the Dense kernel and bias only


# -- files --------------------------------------------------------------------------------------
def test_model_files_keep_the_scaling_and_the_adapted_state(tmp_path, rng) -> None:
    raw = rng.normal(size=(40, 3)) * [100.0, 1.0, 0.01] + [500.0, 0.0, 3.0]
    norm = Normalization()
    norm.adapt(raw)
    model = gn.Sequential(
        [gn.Input((3,)), Rescaling(2.0, offset=1.0), norm, gn.layers.Dense(2, "softmax")], seed=0
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(raw, (raw[:, 0] > 500).astype(int), epochs=2, verbose=0)
    path = tmp_path / "m.glassnet"
    model.save(path)
    loaded = gn.load_model(path)
    np.testing.assert_array_equal(loaded.predict(raw), model.predict(raw))
    again = loaded.layers[1]
    assert isinstance(again, Normalization) and again.adapted and again.count == 40
    np.testing.assert_array_equal(again.mean, norm.mean)  # exact: JSON floats round-trip
    np.testing.assert_array_equal(again.variance, norm.variance)
    assert loaded.layers[0].scale == 2.0 and loaded.layers[0].offset == 1.0
    assert loaded.summary_text() == model.summary_text()


def test_a_normalization_without_state_refuses_to_run_and_says_why(tmp_path) -> None:
    model = gn.Sequential([gn.Input((2,)), Normalization(), gn.layers.Dense(1)])
    assert model.built  # building is fine: adapt may come after
    with pytest.raises(ValueError, match=r"Layer 'normalization' \(Normalization\) has no mean"):
        model.predict(np.ones((1, 2)))
    model.save(tmp_path / "m.glassnet")
    loaded = gn.load_model(tmp_path / "m.glassnet")
    with pytest.raises(ValueError, match=r"Call layer.adapt\(x_train\) before fit or predict"):
        loaded.predict(np.ones((1, 2)))
    loaded.layers[0].adapt(np.array([[0.0, 1.0], [2.0, 3.0]]))  # adapting after the build works
    np.testing.assert_array_equal(loaded.layers[0].forward(np.ones((1, 2))), [[0.0, -1.0]])


def test_from_config_round_trips(rng) -> None:
    norm = Normalization(axis=None)
    norm.adapt(rng.normal(size=(9, 2)))
    for layer in (Rescaling(0.5, -1.0), norm, Normalization(mean=[1, 2], variance=[3, 4])):
        assert layers.from_config(layer.get_config()).get_config() == layer.get_config()


# -- hostile input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"scale": float("nan")}, ValueError, "scale must be a finite number, got nan"),
        ({"scale": float("inf")}, ValueError, "scale must be a finite number, got inf"),
        ({"scale": 0}, ValueError, "scale must not be 0"),
        ({"scale": "1/255"}, TypeError, "scale must be a real number, got str '1/255'"),
        ({"scale": True}, TypeError, "scale must be a real number, got bool"),
        ({"scale": [1, 2]}, TypeError, "scale must be a real number, got list"),
        ({"scale": 1.0, "offset": -np.inf}, ValueError, "offset must be a finite number"),
        ({"scale": 1.0, "offset": "<b>1</b>"}, TypeError, "offset must be a real number"),
    ],
)
def test_rescaling_refuses_bad_arguments(kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        Rescaling(**kwargs)


def test_rescaling_beyond_float32_asks_for_float64() -> None:
    with pytest.raises(ValueError, match=r"scale=1e\+39 is too large for float32.*float64"):
        gn.Sequential([gn.Input((2,)), Rescaling(1e39)])
    model = gn.Sequential([gn.Input((2,)), Rescaling(1e39)], dtype="float64")
    assert model.predict(np.ones((1, 2)))[0, 0] == 1e39


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"variance": [1.0]}, ValueError, "needs mean and variance together, or neither"),
        ({"mean": [1.0, 2.0], "variance": [1.0]}, ValueError, "must have the same shape"),
        ({"mean": 0.0, "variance": -1.0}, ValueError, r"variance must be >= 0.*got -1.0"),
        ({"mean": [0, 0], "variance": [1, -2]}, ValueError, "at position 1"),
        ({"mean": [np.nan], "variance": [1.0]}, ValueError, "mean must be finite numbers"),
        ({"mean": 0.0, "variance": np.inf}, ValueError, "variance must be finite numbers"),
        ({"mean": "0", "variance": 1.0}, TypeError, "mean must be numbers"),
        ({"mean": [[1.0]], "variance": [[1.0]]}, ValueError, r"one per feature.*shape \(1, 1\)"),
        ({"mean": [], "variance": []}, ValueError, r"shape \(0,\)"),
        ({"mean": [[1], [2, 3]], "variance": [1]}, ValueError, "rows have different lengths"),
        ({"mean": [1j], "variance": [1]}, TypeError, "must be real numbers"),
        ({"axis": 2}, ValueError, r"range \[-ndim, ndim\) = \[-2, 2\).*got axis=2"),
        ({"axis": -3}, ValueError, "got axis=-3"),
        ({"axis": 0}, ValueError, "axis=0 is the batch axis"),
        ({"axis": "features"}, TypeError, "axis must be an integer or None, got str"),
        ({"axis": True}, TypeError, "axis must be an integer or None, got bool"),
        ({"axis": None, "mean": [1, 2], "variance": [1, 2]}, ValueError, "axis=None"),
    ],
)
def test_normalization_refuses_bad_arguments(kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        Normalization(**kwargs)


def test_normalization_mean_of_the_wrong_width_is_refused_at_build() -> None:
    with pytest.raises(ValueError, match=r"has a mean and variance for 2 features, but its input"):
        gn.Sequential([gn.Input((3,)), Normalization(mean=[1, 2], variance=[1, 1])])
    norm = Normalization()
    norm.adapt(np.ones((4, 5)))
    with pytest.raises(ValueError, match="for 5 features, but its input has 3"):
        gn.Sequential([gn.Input((3,)), norm])


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (np.empty((0, 3)), ValueError, r"at least one example and one feature.*\(0, 3\)"),
        (np.array([[1.0, np.nan, 2.0]]), ValueError, r"NaN or infinity \(first at row 0, column 1"),
        (np.array([[1.0, 2.0, np.inf]]), ValueError, "NaN or infinity"),
        (np.array([1.0, 2.0, 3.0]), ValueError, "got 1-D array"),
        (np.ones((2, 3, 1)), ValueError, "got 3-D array"),
        ([["a", "b", "c"]], TypeError, "Expected numeric"),
        ("<script>", TypeError, "Expected numeric"),
        (np.array([[1e200] * 3, [-1e200] * 3]), ValueError, "variance overflows float64"),
        (np.ones((2, 4)), ValueError, r"built for 3 features, but adapt\(\) received .*\(2, 4\)"),
    ],
)
def test_adapt_refuses_bad_data(data, error, message) -> None:
    norm = Normalization()
    gn.Sequential([gn.Input((3,)), norm])  # built for 3 features
    with pytest.raises(error, match=message):
        norm.adapt(data)
    assert norm.mean is None  # nothing half-learnt


def test_adapt_on_huge_values_still_works_in_float32_when_the_spread_fits() -> None:
    norm = Normalization()
    norm.adapt(np.array([[1e30], [3e30]]))  # variance 1e60 is beyond float32, its sqrt is not
    model = gn.Sequential([gn.Input((1,)), norm])
    out = model.predict(np.array([[2e30], [3e30]]))
    np.testing.assert_allclose(out, [[0.0], [1.0]], rtol=1e-6, atol=1e-6)


def test_a_tampered_file_with_a_negative_variance_is_refused(tmp_path) -> None:
    from glassnet.io import ModelFileError

    config = Normalization(mean=[0.0], variance=[1.0]).get_config()
    config["variance"] = [-1.0]
    with pytest.raises(ValueError, match="variance must be >= 0"):
        layers.from_config(config)
    config["variance"], config["adapted"] = [1.0], "yes"
    with pytest.raises(TypeError, match="'adapted' must be true/false"):
        layers.from_config(config)
    assert issubclass(ModelFileError, ValueError)  # load_model wraps both as ModelFileError


# -- words --------------------------------------------------------------------------------------
def test_explain_says_the_pixels_are_divided_by_16_first() -> None:
    from glassnet.explain import words

    norm = Normalization()
    norm.adapt(np.array([[0.0, 4.0], [16.0, 8.0]]))
    stack = [gn.Input((2,)), Rescaling(1 / 16), norm, gn.layers.Dense(2, "relu")]
    model = gn.Sequential([*stack, gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", "binary_crossentropy")
    x, y = np.array([[16.0, 8.0], [0.0, 4.0]]), np.array([1, 0])
    kid = " ".join(model.explain(x, y, "kid").split())  # sentences wrap at 100 characters
    assert (
        "Layer 1 has no knobs; it changes every number the same way before anything else: " in kid
    )
    assert "the numbers (the pixels, for a picture) are divided by 16 first" in kid
    assert "average over the training data" in kid  # layer 2, Normalization
    student = " ".join(model.explain(x, y, "student").split())
    assert words.LAYER_WORDS["Rescaling"]["student"] in student
    assert words.LAYER_WORDS["Normalization"]["student"] in student
    assert "a1 = a0 * 0.0625 + 0" in student and "a2 = (a1 - mean) / sqrt(variance)" in student
    expert = " ".join(model.explain(x, y, "expert").split())
    assert "layer 1: Rescaling: a = a_prev * scale + offset" in expert
    assert "2 inputs -> Rescaling(0.0625, offset=0), Normalization, Dense(2, relu)" in expert
    trace = model.trace_step(x, y)
    # the first layer's input gradient is never computed (nothing needs dC/dx) ...
    assert "dC/da0" not in trace and "dC/da1" in trace
    # ... and the second's is the Normalization's slope: dC/da1 = dC/da2 / sqrt(variance)
    slope = trace["da2/da1"].value
    np.testing.assert_allclose(slope[0], 1 / np.sqrt(norm.variance), rtol=1e-6)
    np.testing.assert_allclose(trace["dC/da1"].value, trace["dC/da2"].value * slope, rtol=1e-6)


@pytest.mark.parametrize(
    ("scale", "offset", "words"),
    [
        (1 / 255, 0.0, "are divided by 255 first"),
        (1 / 127.5, -1.0, "multiplied by 0.00784314 first, and then -1 is added"),
        (2.0, 0.0, "the numbers are multiplied by 2 first"),
    ],
)
def test_kid_words_for_other_scales(scale, offset, words) -> None:
    from glassnet.explain.common import preprocessing_how

    config = Rescaling(scale, offset).get_config()
    assert words in preprocessing_how({"kind": "Rescaling", "config": config})


def test_an_overflowing_output_points_to_scaling_inside_the_model() -> None:
    x = np.array([[3e37, -3e37], [1e37, 2e37]])
    dense = gn.layers.Dense(1, kernel_initializer=gn.Constant(100.0))
    model = gn.Sequential([gn.Input((2,)), dense], seed=0)
    with pytest.raises(FloatingPointError, match=r"first glassnet.layers.Normalization, adapted"):
        model.predict(x)
    norm = Normalization()
    norm.adapt(x)  # the advice works: the same inputs, scaled inside the model
    fixed = gn.Sequential(
        [gn.Input((2,)), norm, gn.layers.Dense(1, kernel_initializer=gn.Constant(100.0))]
    )
    assert np.isfinite(fixed.predict(x)).all()


def test_a_refused_adapt_leaves_the_layer_as_it_was() -> None:
    norm = Normalization(mean=[1.0], variance=[4.0])
    model = gn.Sequential([gn.Input((1,)), norm])  # float32
    with pytest.raises(ValueError, match=r"too large for float32. Build the model with dtype"):
        norm.adapt(np.array([[1e39], [3e39]]))  # its mean does not fit float32
    assert norm.mean.tolist() == [1.0] and not norm.adapted
    np.testing.assert_array_equal(model.predict(np.array([[3.0]])), [[1.0]])  # still works
