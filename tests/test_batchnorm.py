"""BatchNormalization: the three-term backward by central differences, a case worked by hand,
the two modes, the moving statistics (never the optimizer's), files and hostile arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import check_gradients
from glassnet.io import ModelFileError
from glassnet.layers import BatchNormalization, Conv2D, Dense, Flatten


def _net(*middle, shape=(3,), units=2, activation="softmax", seed=0):
    model = gn.Sequential(
        [
            gn.Input(shape=shape),
            *middle,
            *([Flatten()] if len(shape) > 1 else []),
            Dense(units, activation=activation),
        ],
        dtype="float64",
        seed=seed,
    )
    loss = "categorical_crossentropy" if activation == "softmax" else "mse"
    model.compile("sgd", loss)
    return model


def _moved(model: gn.Sequential) -> None:
    """Give gamma and beta values away from 1 and 0, so their gradients are really tested."""
    rng = np.random.default_rng(7)
    for layer in model.layers:
        if layer.kind == "BatchNormalization":
            for array in layer.parameters:
                array[...] = rng.uniform(0.5, 1.5, size=array.shape)


CASES = {
    "alone": lambda: _net(BatchNormalization(), activation="linear", units=1),
    "after Dense": lambda: _net(Dense(4, activation="tanh"), BatchNormalization()),
    "after Conv2D": lambda: _net(
        Conv2D(3, 2, activation="tanh"), BatchNormalization(), shape=(4, 5, 2)
    ),
    "after Conv2D, axis=1 (rows)": lambda: _net(
        Conv2D(2, 2), BatchNormalization(axis=1), shape=(4, 3, 1)
    ),
    "no center, no scale": lambda: _net(
        Dense(4, activation="tanh"), BatchNormalization(center=False, scale=False)
    ),
    "no center": lambda: _net(Dense(4, "tanh"), BatchNormalization(center=False)),
    "no scale": lambda: _net(Dense(4, "tanh"), BatchNormalization(scale=False)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_central_differences_agree_in_training_mode(case: str) -> None:
    model = CASES[case]()
    _moved(model)
    rng = np.random.default_rng(1)
    shape = model.example_shape
    x = rng.normal(size=(5, *shape))
    units = model.output_units
    y = np.eye(units)[rng.integers(0, units, 5)] if units > 1 else rng.normal(size=(5, 1))
    before = model.get_weights()
    report = check_gradients(model, x, y, check_input=True)
    assert report.passed, report.table()
    assert report.max_relative_error < 1e-7
    # the check's many training-mode passes leave the moving statistics as they were
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_a_tiny_batch_worked_by_hand() -> None:
    """x = [1, 3] in one channel: mu = 2, var = 1 (biased), s = sqrt(1 + 0.001); gamma = 2,
    beta = 0.5; dC/da = [1, 0]. By hand: a = 0.5 -+ 2 / s; dC/dgamma = -1 / s; dC/dbeta = 1;
    g = [2, 0], sum(g) = 2, sum(g * x_hat) = -2 / s, so dC/da_prev = (m g - sum g - x_hat
    sum(g x_hat)) / (m s) = +-(1 - 1 / 1.001) / s; moving mean 0.01 * 2, variance 0.99 + 0.01."""
    layer = BatchNormalization()
    layer.build(1, np.float64, None)
    layer.gamma[:], layer.beta[:] = 2.0, 0.5
    a = layer.forward(np.array([[1.0], [3.0]]), training=True)
    s = math.sqrt(1.001)
    np.testing.assert_allclose(a.ravel(), [0.5 - 2 / s, 0.5 + 2 / s], rtol=1e-15)
    np.testing.assert_allclose(layer.moving_mean, [0.02], rtol=1e-15)
    np.testing.assert_allclose(layer.moving_variance, [1.0], rtol=1e-15)
    grad = layer.backward(np.array([[1.0], [0.0]]))
    np.testing.assert_allclose(layer.gamma_gradient, [-1 / s], rtol=1e-15)
    np.testing.assert_allclose(layer.beta_gradient, [1.0], rtol=1e-15)
    np.testing.assert_allclose(grad.ravel(), [(1 - 1 / 1.001) / s, -(1 - 1 / 1.001) / s], 1e-12)
    # overwritten, not accumulated
    layer.backward(np.array([[1.0], [0.0]]))
    np.testing.assert_allclose(layer.beta_gradient, [1.0], rtol=1e-15)


def test_inference_uses_the_moving_statistics_and_training_the_batchs() -> None:
    layer = BatchNormalization(momentum=0.5, epsilon=1e-3)
    layer.build((2, 2, 3), np.float64, None)
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(4, 2, 2, 3))
    layer.moving_mean[:], layer.moving_variance[:] = [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]
    inference = layer.forward(x, training=False)
    np.testing.assert_allclose(
        inference, (x - [1.0, 2.0, 3.0]) / np.sqrt(np.array([4.0, 5.0, 6.0]) + 1e-3), rtol=1e-14
    )
    np.testing.assert_array_equal(layer.moving_mean, [1.0, 2.0, 3.0])  # inference moves nothing
    training = layer.forward(x, training=True)
    mean, variance = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))  # per channel, biased
    np.testing.assert_allclose(training, (x - mean) / np.sqrt(variance + 1e-3), rtol=1e-13)
    np.testing.assert_allclose(layer.moving_mean, 0.5 * np.array([1.0, 2.0, 3.0]) + 0.5 * mean)
    np.testing.assert_allclose(
        layer.moving_variance, 0.5 * np.array([4.0, 5.0, 6.0]) + 0.5 * variance
    )
    # inference backward: mu and var are constants
    layer.forward(x, training=False)
    grad = layer.backward(np.ones_like(x))
    np.testing.assert_allclose(grad, np.ones_like(x) / np.sqrt(layer.moving_variance + 1e-3))


def test_predict_is_inference_and_fit_moves_only_by_the_rule() -> None:
    """Adam with a large rate: gamma and beta move, the moving statistics follow Keras's rule
    exactly (replayed here), so the optimizer never touched them."""
    model = gn.Sequential(
        [gn.Input(shape=(3,)), BatchNormalization(momentum=0.9), Dense(1)], dtype="float64", seed=0
    )
    model.compile(gn.optimizers.Adam(0.5), "mse")
    x = np.random.default_rng(0).normal(2.0, 3.0, size=(6, 3))
    y = np.arange(6.0).reshape(-1, 1)
    mean, variance = np.zeros(3), np.ones(3)
    for _ in range(3):
        model.train_on_batch(x, y)
        mean = mean * 0.9 + x.mean(axis=0) * (1 - 0.9)
        variance = variance * 0.9 + x.var(axis=0) * (1 - 0.9)
    gamma, beta, moving_mean, moving_variance = model.get_weights()[:4]
    np.testing.assert_allclose(moving_mean, mean, rtol=1e-14)
    np.testing.assert_allclose(moving_variance, variance, rtol=1e-14)
    assert not np.allclose(gamma, 1.0) and not np.allclose(beta, 0.0)
    assert len(model.optimizer.get_state()["first_moments"]) == 4  # gamma, beta, kernel, bias only
    before = model.get_weights()
    prediction = model.predict(x, verbose=0)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # predict moves nothing
    expected = ((x - mean) / np.sqrt(variance + 1e-3) * gamma + beta) @ before[4] + before[5]
    np.testing.assert_allclose(prediction, expected, rtol=1e-12)


def test_weights_are_in_kerass_order_and_counted_as_keras_counts() -> None:
    model = _net(Dense(4), BatchNormalization())
    names = [(layer.name, name) for layer in model.layers for name in layer.state_names]
    assert names == [
        ("batch_normalization", "moving_mean"),
        ("batch_normalization", "moving_variance"),
    ]
    shapes = [(3, 4), (4,), (4,), (4,), (4,), (4,), (4, 2), (2,)]
    assert [w.shape for w in model.get_weights()] == shapes
    assert [w.tolist() for w in model.get_weights()[2:6]] == [[1] * 4, [0] * 4, [0] * 4, [1] * 4]
    # Keras 3.15.1 (torch backend): keras.Sequential([keras.Input((3,)), Dense(4),
    # BatchNormalization(), Dense(2)]) has count_params() 42, non_trainable_weights of size 8
    assert model.count_params() == 16 + 16 + 10
    assert sum(layer.non_trainable_count() for layer in model.layers) == 8
    model = _net(Dense(4), BatchNormalization(center=False, scale=False))
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4,), (4,), (4, 2), (2,)]


def test_summary_counts_the_moving_statistics_as_non_trainable(capsys) -> None:
    model = _net(Conv2D(3, 2), BatchNormalization(), shape=(4, 4, 1))
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 3, 3, 3)  12" in out
    assert "Non-trainable params: 6" in out


def test_set_weights_round_trips_every_weight_bit_for_bit() -> None:
    model = _net(Dense(4), BatchNormalization())
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=w.shape) ** 2 for w in model.get_weights()]
    model.set_weights(weights)
    for given, got in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(given, got)


def test_save_and_load_bit_for_bit_with_the_moving_statistics(tmp_path) -> None:
    model = _net(Conv2D(3, 2, activation="relu"), BatchNormalization(momentum=0.8), shape=(5, 4, 2))
    model.compile(gn.optimizers.SGD(0.1, momentum=0.9), "categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 5, 4, 2)), np.eye(2)[rng.integers(0, 2, 8)]
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    path = tmp_path / "bn.glassnet"
    model.save(path)
    loaded = gn.load_model(path)
    for old, new in zip(model.get_weights(), loaded.get_weights(), strict=True):
        assert old.dtype == new.dtype
        np.testing.assert_array_equal(old, new)
    assert not np.array_equal(model.get_weights()[3], np.zeros(3))  # the moving mean moved
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    # training continues on the same trajectory (optimizer slots are for gamma/beta only)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=4, verbose=0)
    for old, new in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_set_weights_refuses_a_negative_moving_variance() -> None:
    model = _net(Dense(4), BatchNormalization())
    weights = model.get_weights()
    weights[5] = np.array([1.0, -2.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"'batch_normalization' moving_variance must be >= 0 "):
        model.set_weights(weights)
    np.testing.assert_array_equal(model.get_weights()[5], np.ones(4))  # nothing changed


def _forge(path, change) -> None:
    """Rewrite a model file with ``change(header, arrays)`` applied and valid checksums."""
    import json

    from glassnet import io

    with np.load(path, allow_pickle=False) as archive:
        arrays = {name[:-4] if name.endswith(".npy") else name: archive[name] for name in archive}
    header = json.loads(arrays.pop("header").tobytes())
    change(header, arrays)
    header.pop("checksum")
    header["checksum"] = io._checksum(header, arrays)
    with open(path, "w+b") as file:
        io._write_archive(file, header, arrays)
        io._seal(file)


def test_a_forged_negative_moving_variance_is_refused(tmp_path) -> None:
    model = _net(Dense(4), BatchNormalization())
    path = tmp_path / "bn.glassnet"
    model.save(path)

    def negative(header, arrays):
        arrays["weights/5"] = np.array([1.0, -2.0, 1.0, 1.0])

    _forge(path, negative)
    with pytest.raises(ModelFileError, match=r"negative moving variance \(weight array 5\)"):
        gn.load_model(path)


def test_forged_trainable_flags_are_refused(tmp_path) -> None:
    model = _net(Dense(4), BatchNormalization())
    path = tmp_path / "bn.glassnet"
    model.save(path)

    def all_trainable(header, arrays):
        assert header["trainable"] == [True, True, True, True, False, False, True, True]
        header["trainable"] = [True] * 8

    _forge(path, all_trainable)
    with pytest.raises(ModelFileError, match=r"trainable flags .* do not match"):
        gn.load_model(path)


def test_a_traced_step_without_update_leaves_the_moving_statistics() -> None:
    model = _net(Dense(3), BatchNormalization())
    x = np.random.default_rng(0).normal(size=(4, 3))
    y = np.eye(2)[[0, 1, 1, 0]]
    before = model.get_weights()
    trace = model.trace_step(x, y)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    layer = model.layers[1]
    # the trace's numbers are the training step's: the batch's statistics, x_hat, gradients
    a1 = trace["a1"].value
    np.testing.assert_allclose(trace["mu2"].value, a1.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(trace["var2"].value, a1.var(axis=0), rtol=1e-14)
    np.testing.assert_allclose(
        trace["a2"].value, (a1 - a1.mean(0)) / np.sqrt(a1.var(0) + 1e-3), rtol=1e-13
    )
    twin = _net(Dense(3), BatchNormalization())
    twin.compute_gradients(x, y)
    np.testing.assert_array_equal(trace["dC/dgamma2"].value, twin.layers[1].gamma_gradient)
    np.testing.assert_array_equal(trace["dC/dbeta2"].value, twin.layers[1].beta_gradient)
    np.testing.assert_array_equal(trace["dC/da1"].value, twin.layers[1].delta)
    assert "gamma2_new" in model.trace_step(x, y, update=True)
    assert not np.array_equal(layer.moving_mean, before[2])  # update=True keeps the step


BAD_ARGUMENTS = [
    (dict(momentum=1.5), ValueError, r"momentum to be a finite number in \[0, 1\], got 1.5"),
    (dict(momentum=-0.1), ValueError, r"momentum to be a finite number in \[0, 1\]"),
    (dict(momentum=math.nan), ValueError, "momentum .* got nan"),
    (dict(momentum=10**400), ValueError, "momentum .* in \\[0, 1\\]"),
    (dict(momentum="0.9"), TypeError, "momentum to be a real number"),
    (dict(epsilon=0.0), ValueError, "epsilon greater than 0"),
    (dict(epsilon=-1e-3), ValueError, "epsilon to be a finite number greater than 0"),
    (dict(epsilon=math.nan), ValueError, "epsilon .* got nan"),
    (dict(epsilon=math.inf), ValueError, "epsilon .* got inf"),
    (dict(axis=0), ValueError, "axis 0 is the batch"),
    (dict(axis=7), ValueError, "channel axis"),
    (dict(axis=10**400), ValueError, "channel axis"),
    (dict(axis=1.0), TypeError, "axis, the channel axis, to be an integer"),
    (dict(axis=True), TypeError, "axis, the channel axis, to be an integer"),
    (dict(center="yes"), TypeError, "center to be True or False"),
    (dict(scale=1), TypeError, "scale to be True or False"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), BAD_ARGUMENTS)
def test_bad_arguments_get_clear_messages(kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        BatchNormalization(**kwargs)


def test_an_axis_beyond_the_inputs_rank_names_the_layer_and_shape() -> None:
    with pytest.raises(ValueError, match=r"'batch_normalization' .* axis=3, .* \(None, 4\)"):
        gn.Sequential([gn.Input(shape=(4,)), BatchNormalization(axis=3), Dense(1)])
    with pytest.raises(ValueError, match=r"axis=-2, .* \(None, 4\)"):
        gn.Sequential([gn.Input(shape=(4,)), BatchNormalization(axis=-2), Dense(1)])


def test_get_config_round_trips() -> None:
    layer = BatchNormalization(axis=1, momentum=0.5, epsilon=0.01, center=False, name="bn")
    again = gn.layers.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    assert repr(again) == (
        "BatchNormalization(axis=1, momentum=0.5, epsilon=0.01, center=False, scale=True)"
    )


# -- a batch whose statistics are not numbers: what the message says -------------------------
def _dense_batchnorm(dtype: str) -> BatchNormalization:
    model = gn.Sequential([gn.Input((3,)), BatchNormalization(), Dense(1)], dtype=dtype, seed=0)
    return model.layers[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_an_inf_or_nan_input_is_named_as_such_not_as_an_overflow(dtype, value) -> None:
    """Before: "... overflowed float64 (its inputs are too large to square). Scale the data
    first ... or build the model with dtype='float64'", for a float64 model given an inf."""
    layer = _dense_batchnorm(dtype)
    x = np.ones((4, 3), dtype=dtype)
    x[1, 2] = value
    with pytest.raises(ValueError) as caught:
        layer.forward(x, training=True)
    message = str(caught.value)
    assert message.startswith(
        "Layer 'batch_normalization' (BatchNormalization): its input holds inf or NaN (channel "
        "2), so the batch mean and variance are not numbers. Check the data (np.isfinite(x).all())"
    )
    assert "too large to square" not in message
    assert ("dtype='float64'" in message) == (dtype == "float32")
    np.testing.assert_array_equal(layer.moving_variance, np.ones(3))


def test_a_float64_overflow_does_not_suggest_float64() -> None:
    layer = _dense_batchnorm("float64")
    x = np.full((4, 3), 1e200) * np.arange(1, 5)[:, None]  # squares past float64's 1.8e308
    with pytest.raises(ValueError) as caught:
        layer.forward(x, training=True)
    assert str(caught.value) == (
        "Layer 'batch_normalization' (BatchNormalization): the batch mean or variance of channel "
        "0 overflowed float64 (its inputs are too large to square). Scale the data first (a "
        "Rescaling or Normalization layer before it)."
    )


def test_float64_statistics_too_large_for_a_float32_layer_are_refused() -> None:
    """A float64 batch given to a float32 layer directly: its variance (1e60) is finite in
    float64, and was cast into the float32 moving variance as inf, with only NumPy's warning."""
    layer = _dense_batchnorm("float32")
    x = np.full((4, 3), 1e30) * np.arange(1, 5)[:, None]  # float64
    with pytest.raises(ValueError, match=r"channel 0 overflowed float32 \(its inputs are too "):
        layer.forward(x, training=True)
    np.testing.assert_array_equal(layer.moving_variance, np.ones(3))


# -- cousins: no "use float64" to a float64 model -------------------------------------------
def _huge_float64_model() -> gn.Sequential:
    weight = gn.initializers.Constant(1e200)
    model = gn.Sequential(
        [gn.Input((2,)), Dense(1, kernel_initializer=weight)], dtype="float64", seed=0
    )
    model.compile("sgd", "mse")
    return model


def test_a_float64_models_overflow_messages_do_not_suggest_float64() -> None:
    model = _huge_float64_model()
    x = np.full((3, 2), 1e200)  # outputs near 4e400: past float64
    with pytest.raises(FloatingPointError) as caught:
        model.predict(x)
    assert str(caught.value) == (
        "The network's output overflowed float64 (inf or NaN), first for row 0 of x. Scale the "
        "inputs inside the model (a first glassnet.layers.Normalization, adapted on the training "
        "data)."
    )
    with pytest.raises(FloatingPointError) as caught:
        model(x)
    assert str(caught.value).endswith("first for row 0 of x. Scale the inputs.")
    with pytest.raises(ValueError) as caught:
        model.fit(np.ones((3, 2)), np.full((3, 1), 1e160), verbose=0)
    assert str(caught.value).endswith(
        "so the loss would be inf. Scale the targets (divide them by their largest value, or "
        "standardize them)."
    )


def test_a_float32_models_overflow_messages_still_suggest_float64() -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(1)], seed=0)
    model.compile("sgd", "mse")
    model.set_weights([np.full((2, 1), 1e30), np.zeros(1)])
    with pytest.raises(
        FloatingPointError, match=r", or use Sequential\(\.\.\., dtype='float64'\)\.$"
    ):
        model.predict(np.full((3, 2), 1e30))
    with pytest.raises(ValueError, match=r"standardize them\) or build the model with dtype='flo"):
        model.fit(np.ones((3, 2)), np.full((3, 1), 1e30), verbose=0)
