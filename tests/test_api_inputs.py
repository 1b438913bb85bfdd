"""Careless input at the Python API (issue 14, points 14-16, and their cousins): one optimizer in
two models, numbers beyond float32, a fit that fails half-way, pandas' nullable columns."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

import glassnet as gn

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])


def net(features: int = 2, units: int = 1, dtype: str = "float32", **compile_args) -> gn.Sequential:
    model = gn.Sequential(
        [gn.Input((features,)), gn.layers.Dense(3, "tanh"), gn.layers.Dense(units)],
        dtype=dtype,
        seed=0,
    )
    if compile_args:
        model.compile(**compile_args)
    return model


# -- point 14: one optimizer, one model -------------------------------------------------------
def test_one_optimizer_compiled_into_two_models_is_refused() -> None:
    # Keras 3 (torch backend) accepts the second compile and refuses at its first fit: "Unknown
    # variable ... This optimizer can only be called for the variables it was originally built
    # with" (run: KERAS_BACKEND=torch python, two Sequentials, one keras.optimizers.Adam).
    # glassnet refuses at compile, before anything is shared.
    adam = gn.Adam(0.01)
    first = net(optimizer=adam, loss="mse")
    second = net(features=4, units=5)
    with pytest.raises(ValueError, match=r"This Adam optimizer is already compiled into another"):
        second.compile(adam, "mse")
    assert second.optimizer is None and second.loss is None  # nothing half-compiled
    # same shapes: Adam's moments used to be shared silently by the two models
    twin = net()
    with pytest.raises(
        ValueError, match=r"Give each model its own optimizer, e.g. .*Adam\(\.\.\.\)"
    ):
        twin.compile(adam, "mse")
    first.fit(X, Y, epochs=2, verbose=0)
    assert first.optimizer.iterations == 2


def test_an_optimizer_is_free_again_once_its_model_lets_go() -> None:
    sgd = gn.SGD(0.1, momentum=0.9)
    first = net(optimizer=sgd, loss="mse")
    first.compile(sgd, "mse")  # recompiling the same model with it: fine, as in Keras
    first.compile("adam", "mse")  # the first model now uses another optimizer
    second = net(optimizer=sgd, loss="mse")
    second.fit(X, Y, epochs=1, verbose=0)
    third = net()
    with pytest.raises(ValueError, match=r"already compiled into another model"):
        third.compile(sgd, "mse")
    del second
    gc.collect()
    third.compile(sgd, "mse")  # the model that held it is gone
    third.fit(X, Y, epochs=1, verbose=0)


def test_one_loss_object_may_serve_two_models() -> None:
    # cousin: a loss holds no state, so sharing it changes nothing (as Keras allows)
    loss = gn.MeanSquaredError()
    a, b = net(optimizer="sgd", loss=loss), net(optimizer="sgd", loss=loss)
    alone = net(optimizer="sgd", loss="mse")
    a.fit(X, Y, epochs=3, verbose=0, shuffle=False)
    b.fit(X, Y, epochs=3, verbose=0, shuffle=False)
    alone.fit(X, Y, epochs=3, verbose=0, shuffle=False)
    for wa, wb, w in zip(a.get_weights(), b.get_weights(), alone.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, w)
        np.testing.assert_array_equal(wb, w)


def test_a_layer_built_for_another_width_is_refused_when_added() -> None:
    # cousin: a layer object shared between models keeps its weights' shape
    dense = gn.layers.Dense(4)
    gn.Sequential([gn.Input((2,)), dense])
    with pytest.raises(ValueError, match=r"'dense' \(Dense\) is already built for inputs of 2"):
        gn.Sequential([gn.Input((3,)), dense])
    model = gn.Sequential([gn.layers.Dense(2)], seed=0)
    model.build((None, 3))
    with pytest.raises(ValueError, match=r"already built for inputs of 3 features, but here it"):
        model.build((None, 5))  # used to say "built" for 5 with a (3, 2) kernel
    assert model.input_features == 3
    model.predict(np.ones((1, 3)))


# -- point 15: numbers beyond float32 ---------------------------------------------------------
def test_float32_targets_beyond_its_range_are_refused() -> None:
    model = net(optimizer="sgd", loss="mse")
    y = np.array([0.0, 1e39, 1.0, 0.0])  # became inf, and the loss inf (Keras does the same)
    with pytest.raises(ValueError, match=r"Targets y have a value too large for float32 \(first"):
        model.fit(X, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"Targets y_val have a value too large for float32"):
        model.fit(X, Y, epochs=1, verbose=0, validation_data=(X, y))
    for call in (model.evaluate, model.train_on_batch, model.compute_gradients):
        with pytest.raises(ValueError, match=r"too large for float32 \(first at row 1\)"):
            call(X, y)
    assert model.optimizer.iterations == 0
    big = net(dtype="float64", optimizer="sgd", loss="mse")
    big.evaluate(X, y)  # float64 holds it


def test_float32_set_weights_beyond_its_range_is_refused_and_nothing_changes() -> None:
    model = net()
    before = model.get_weights()
    weights = model.get_weights()
    weights[2] = np.full((3, 1), 3.5e38)  # float64: became inf silently
    with pytest.raises(
        ValueError, match=r"Layer 'dense_1' kernel has a value too large for float32 .*3\.5e\+38"
    ):
        model.set_weights(weights)
    for old, now in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, now)
    weights = model.get_weights()
    weights[0] = weights[0].astype(np.float64)
    weights[0][0, 0] = np.nan  # cousin: NaN, and the other kinds of not-a-number
    with pytest.raises(ValueError, match=r"Layer 'dense' kernel must be finite real numbers"):
        model.set_weights(weights)
    for value, error, message in [
        (np.full((2, 3), 1 + 1j), TypeError, r"must be real numbers, got .* complex128"),
        (np.full((2, 3), "1"), TypeError, r"must be real numbers, got .* <U1"),
        (np.full((2, 3), None), TypeError, r"must be real numbers, got .* object"),
    ]:
        weights[0] = value
        with pytest.raises(error, match=message):
            model.set_weights(weights)
    weights = model.get_weights()
    weights[0] = np.ones((2, 3), dtype=bool)  # booleans are numbers 0 and 1, as in NumPy
    model.set_weights(weights)
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((2, 3), np.float32))


def test_inputs_of_other_dtypes_get_clear_answers() -> None:
    model = net(optimizer="sgd", loss="mse")
    model.fit(X.astype(bool), Y.astype(bool), epochs=1, verbose=0)  # booleans: cast
    model.fit(X.astype(np.float16), Y, epochs=1, verbose=0)
    cases = [
        (X + 1j, TypeError, r"Expected real numbers in x, got complex dtype complex128"),
        (X.astype(object), TypeError, r"Expected numeric x, got an array of dtype object"),
        (X.astype(str), TypeError, r"Expected numeric x, got an array of dtype <U32"),
        (X.astype("datetime64[s]"), TypeError, r"Expected numeric x, got .* datetime64"),
        (np.full((4, 2), np.longdouble("1e400")), ValueError, r"too large for float32"),
    ]
    for x, error, message in cases:
        with pytest.raises(error, match=message):
            model.fit(x, Y, epochs=1, verbose=0)
    for y, error, message in [
        (Y + 1j, TypeError, r"Expected numeric targets y, got an array of dtype complex128"),
        (Y.astype(str), TypeError, r"Expected numeric targets y, got .* <U32"),
    ]:
        with pytest.raises(error, match=message):
            model.fit(X, y, epochs=1, verbose=0)


# -- point 15: a failed fit leaves the model as it was ----------------------------------------
def unbuilt(**compile_args) -> gn.Sequential:
    model = gn.Sequential([gn.layers.Dense(3, "tanh"), gn.layers.Dense(1)], seed=0)
    model.compile(**(compile_args or {"optimizer": "adam", "loss": "mse"}))
    return model


def test_a_fit_that_fails_on_its_data_leaves_an_unbuilt_model_unbuilt() -> None:
    x3 = np.ones((4, 3))
    failures = [
        dict(x=x3, y=np.ones((5, 1))),  # lengths differ
        dict(x=x3, y=np.ones((4, 2))),  # y has the wrong width
        dict(x=x3, y=np.full(4, 1e39)),  # y beyond float32
        dict(x=x3, y=np.ones(4), validation_data=(np.ones((2, 2)), np.ones(2))),
        dict(x=x3, y=np.ones(4), validation_data=(x3, np.ones(3))),
        dict(x=x3, y=np.ones(4), batch_size=10),
        dict(x=x3, y=np.ones(4), validation_split=2.0),
    ]
    reference = unbuilt()
    reference.fit(X, Y, epochs=1, verbose=0)  # what a fresh model does on the right data
    for arguments in failures:
        model = unbuilt()
        with pytest.raises(ValueError):
            model.fit(**arguments, epochs=1, verbose=0)
        # it used to stay built for 3 features, refusing the right data afterwards
        assert not model.built and model.input_features is None, arguments
        model.fit(X, Y, epochs=1, verbose=0)  # and it trains as if the failure never happened
        for got, want in zip(model.get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_array_equal(got, want)


def test_evaluate_and_train_on_batch_that_fail_leave_the_model_unbuilt() -> None:
    for call in ("evaluate", "train_on_batch", "compute_gradients"):
        model = unbuilt()
        with pytest.raises(ValueError, match=r"have the same length"):
            getattr(model, call)(np.ones((4, 3)), np.ones(5))
        assert not model.built and model.input_features is None
        getattr(model, call)(X, Y)  # the right data is taken afterwards
        assert model.input_features == 2


def test_a_failed_fit_leaves_a_built_model_unchanged() -> None:
    model = net(optimizer="adam", loss="mse")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"expects input of shape \(batch, 2\), but x has"):
        model.fit(np.ones((4, 3)), np.ones(4), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"have the same length"):
        model.fit(X, np.ones(5), epochs=1, verbose=0)
    assert model.input_features == 2 and model.optimizer.iterations == 0
    for old, now in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, now)


def test_predict_on_an_unbuilt_model_builds_it_as_keras_does() -> None:
    model = unbuilt()
    with pytest.raises(ValueError, match=r"contains NaN or infinity"):
        model.predict(np.full((2, 3), np.nan))
    assert not model.built
    assert model.predict(np.ones((2, 3))).shape == (2, 1)
    assert model.input_features == 3


# -- point 16: pandas ---------------------------------------------------------------------------
def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_pandas_nullable_columns_without_missing_values_are_accepted() -> None:
    # np.asarray made an object array of these, refused as "not numeric"
    x = frame(
        a=pd.array([0, 0, 1, 1], dtype="Int64"),
        b=pd.array([0.0, 1.0, 0.0, 1.0], dtype="Float64"),
    )
    y = pd.Series(pd.array([0, 1, 1, 0], dtype="Int64"))
    model = net(optimizer="sgd", loss="mse")
    plain = net(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=3, verbose=0, shuffle=False)
    plain.fit(X, Y, epochs=3, verbose=0, shuffle=False)
    np.testing.assert_array_equal(model.predict(x), plain.predict(X))
    booleans = frame(a=pd.array([False, False, True, True], dtype="boolean"), b=x["b"])
    np.testing.assert_array_equal(model.predict(booleans), model.predict(X))
    labels = pd.Series(pd.array([0, 2, 1, 0], dtype="Int64"), name="label")
    classifier = gn.Sequential([gn.Input((2,)), gn.layers.Dense(3, "softmax")], seed=0)
    classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    classifier.fit(x, labels, epochs=1, verbose=0)


def test_pandas_missing_values_are_named_by_column_and_count() -> None:
    model = net(optimizer="sgd", loss="mse")
    x = frame(
        width=pd.array([0, None, 1, None], dtype="Int64"),
        height=pd.array([0.0, 1.0, None, 1.0], dtype="Float64"),
    )
    with pytest.raises(
        ValueError,
        match=r"x has missing values \(NaN or pandas.NA\) in 2 column\(s\): 'width' \(2 of 4 "
        r"rows\), 'height' \(1 of 4 rows\). Drop those rows \(x.dropna\(\), .*x.fillna\(value\)",
    ):
        model.fit(x, Y, epochs=1, verbose=0)
    y = pd.Series(pd.array([0, 1, None, 0], dtype="Int64"), name="target")
    with pytest.raises(ValueError, match=r"y has missing values .*'target' \(1 of 4 rows\)"):
        model.fit(X, y, epochs=1, verbose=0)
    plain_nan = frame(a=[0.0, np.nan, 1.0, 1.0], b=[0.0, 1.0, 0.0, 1.0])  # NumPy's NaN too
    with pytest.raises(ValueError, match=r"x_val has missing values .*'a' \(1 of 4 rows\)"):
        model.fit(X, Y, epochs=1, verbose=0, validation_data=(plain_nan, Y))
    with pytest.raises(ValueError, match=r"x has missing values"):
        model.predict(plain_nan)
    assert model.optimizer.iterations == 0


def test_pandas_columns_that_are_not_numbers_are_named() -> None:
    model = net(optimizer="sgd", loss="mse")
    x = frame(a=["p", "q", "r", "s"], b=pd.Categorical(["u", "v", "u", "v"]))
    with pytest.raises(TypeError, match=r"2 column\(s\) are not numbers: 'a' \(.*\), 'b' \(cat"):
        model.fit(x, Y, epochs=1, verbose=0)
    dates = frame(a=pd.to_datetime(["2024-01-01"] * 4), b=[0.0] * 4)
    with pytest.raises(TypeError, match=r"1 column\(s\) are not numbers: 'a' \(datetime64"):
        model.predict(dates)
    wide = pd.DataFrame(np.zeros((2, 100_000)))  # 100,000 columns: one clear answer, quickly
    with pytest.raises(ValueError, match=r"expects input of shape \(batch, 2\)"):
        model.predict(wide)
