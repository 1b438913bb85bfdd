"""The layers' small rules, each with the number or message a user sees (`make mutate`'s `layers`):
a layer subclass written by a user gets Keras's keywords, the counts summary() shows, Reshape's
bounds and messages, and the pass-through layers' backward_delta."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import (
    Activation,
    BatchNormalization,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    Reshape,
)
from glassnet.layers.core import Layer


def user_layers() -> tuple[type[Layer], type[Layer]]:
    """A user's own layer (a = factor * a_prev) and a subclass of it without an __init__,
    defined when the test runs (Layer.__init_subclass__ wraps their __init__ then)."""

    class Scale(Layer):
        kind = "Scale"

        def __init__(self, factor: float, name: str | None = None) -> None:
            super().__init__(name)
            self.factor = factor

        def forward(self, x, training=False):
            return self.factor * x

        def backward(self, grad_output, need_input_gradient=True):
            return self.factor * grad_output

    class Double(Scale):
        pass

    return Scale, Double


def test_a_users_layer_takes_keras_keywords_and_refuses_others() -> None:
    Scale, Double = user_layers()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras's "prefer an Input" warning
        layer = Scale(2.0, input_shape=(3,), trainable=False)
    assert layer.factor == 2.0 and layer.trainable is False
    assert layer.declared_input.shape == (3,)
    with pytest.raises(TypeError) as caught:
        Scale(2.0, bias_constraint=None)
    assert str(caught.value) == (
        "Scale got an unexpected keyword argument 'bias_constraint'; it takes factor, name "
        "(and Keras's trainable, input_shape, input_dim)."
    )
    inherited = Double(3.0, name="double", trainable=False)  # the wrapper, inherited once
    assert (inherited.factor, inherited.name, inherited.trainable) == (3.0, "double", False)
    with pytest.raises(TypeError) as caught:
        Double(3.0, units=2)
    assert str(caught.value) == (
        "Double got an unexpected keyword argument 'units'; it takes factor, name "
        "(and Keras's trainable, input_shape, input_dim)."
    )
    model = gn.Sequential([gn.Input((2,)), Scale(2.0), Dense(1)])
    np.testing.assert_array_equal(model.layers[0].forward(np.array([[1.0, -2.0]])), [[2.0, -4.0]])


def test_leaky_relu_and_reshape_keep_their_names() -> None:
    assert LeakyReLU(0.1, name="leaky").name == "leaky"
    assert Reshape((2, 2), name="square").name == "square"


def test_counts_summary_shows() -> None:
    norm = BatchNormalization()
    assert norm.non_trainable_count() == 0  # not built: nothing held yet
    norm.build(3, np.float32, None)
    assert norm.non_trainable_count() == 6  # moving mean and variance, 3 each
    assert norm.count_params() == 12
    for layer in (Flatten(), Dropout(0.5), Activation("relu"), Reshape((4,))):
        assert layer.parameter_count_for(4) == 0


def test_reshape_takes_one_to_three_sizes_up_to_int64() -> None:
    assert Reshape((4,)).target_shape == (4,)
    biggest = np.iinfo(np.int64).max
    assert Reshape((biggest,)).target_shape == (biggest,)
    with pytest.raises(ValueError) as caught:
        Reshape((1, 2, 3, 4, 5, 6, 7, 8))
    assert str(caught.value) == (
        "Reshape expects target_shape, the shape of one example without the batch, as a tuple "
        "of 1 to 3 positive integers (at most one -1), got (1, 2, 3, 4, 5, 6, 7... (24 characters). "
        "Example: Reshape((8, 8, 1))."
    )


def test_reshape_fills_in_minus_one_and_says_what_does_not_fit() -> None:
    model = gn.Sequential([gn.Input((4,)), Reshape((-1, 2)), Flatten(), Dense(1)])
    assert model.layers[0].output_shape == (2, 2)
    with pytest.raises(ValueError) as caught:
        gn.Sequential([gn.Input((4,)), Reshape((3,), name="three")])
    assert str(caught.value) == (
        "Layer 'three' (Reshape) cannot make (None, 4) (4 numbers per example) into (None, 3) "
        "(3 numbers). Choose a target_shape with the same number of values."
    )
    with pytest.raises(ValueError) as caught:
        gn.Sequential([gn.Input((4,)), Reshape((-1, 3), name="odd")])
    assert str(caught.value) == (
        "Layer 'odd' (Reshape) cannot make (None, 4) (4 numbers per example) into (None, -1, 3) "
        "(3 times something numbers). Choose a target_shape with the same number of values."
    )


def test_reshape_after_an_image_input() -> None:
    model = gn.Sequential([gn.Input((2, 2, 1)), Reshape((4,)), Dense(1)])
    assert model.layers[0].output_shape == (4,)
    x = np.arange(8.0).reshape(2, 2, 2, 1)
    np.testing.assert_array_equal(model.layers[0].forward(x), [[0, 1, 2, 3], [4, 5, 6, 7]])


@pytest.mark.parametrize(
    ("layer", "shape"),
    [(Flatten(), (2, 2, 1)), (Reshape((4,)), (2, 2, 1)), (Dropout(0.5, seed=0), (3,))],
    ids=["flatten", "reshape", "dropout"],
)
def test_backward_delta_of_a_pass_through_layer_is_its_backward(layer, shape) -> None:
    layer.build(shape, np.float64, np.random.default_rng(0))
    x = np.arange(2.0 * np.prod(shape)).reshape(2, *shape) + 1.0
    a = layer.forward(x, training=True)
    grad = np.linspace(-1.0, 1.0, a.size).reshape(a.shape)
    expected = layer.backward(grad.copy())
    np.testing.assert_array_equal(layer.backward_delta(grad.copy()), expected)
    np.testing.assert_array_equal(layer.backward_delta(grad.copy(), False), expected)
    assert layer.delta.shape == x.shape


def test_an_activation_layer_last_keeps_the_fused_delta() -> None:
    # Dense then Activation("softmax") with cross-entropy: the Activation layer takes the fused
    # delta (a - y) / n and hands it to the Dense below as it is
    model = gn.Sequential(
        [gn.Input((2,)), Dense(3), Activation("softmax")], dtype="float64", seed=0
    )
    model.compile("sgd", "categorical_crossentropy")
    x, y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[1.0, 0, 0], [0, 0, 1.0]])
    model.compute_gradients(x, y)
    a = model.forward(x)
    np.testing.assert_array_equal(model.layers[1].delta, (a - y) / 2)
    np.testing.assert_array_equal(model.layers[0].bias_gradient, ((a - y) / 2).sum(axis=0))


def test_an_unbuilt_models_summary_shows_unknown_shapes() -> None:
    assert "dense (Dense)    (None, ?)     0" in gn.Sequential([Dense(2), Dense(1)]).summary_text()


# -- Dropout -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rate", "error", "message"),
    [
        (
            "x" * 30,
            TypeError,
            "Dropout expects rate, the fraction of inputs to drop, to be a number in [0, 1), got "
            "str 'xxxxxxxxxxxxxxxxxxx... (30 characters). Example: Dropout(0.2).",
        ),
        (
            True,
            TypeError,
            "Dropout expects rate, the fraction of inputs to drop, to be a number in [0, 1), got "
            "bool True. Example: Dropout(0.2).",
        ),
        (
            Fraction(123456789, 100000000),
            ValueError,
            "Dropout expects rate, the fraction of inputs to drop, in [0, 1), got "
            "Fraction(123456789, ... (30 characters). Example: Dropout(0.2).",
        ),
    ],
    ids=["long-str", "bool", "long-fraction"],
)
def test_dropout_refuses_a_rate_naming_it(rate, error, message) -> None:
    with pytest.raises(error) as caught:
        Dropout(rate)
    assert str(caught.value) == message


def test_dropout_names_itself_in_a_bad_seed_and_keeps_its_name() -> None:
    with pytest.raises(TypeError) as caught:
        Dropout(0.5, seed="x")
    assert (
        str(caught.value) == "Expected Dropout's seed (or None) to be a whole number, got str 'x'."
    )
    assert Dropout(0.5, name="drop").name == "drop"


def _masks(model: gn.Sequential, x: np.ndarray) -> list[np.ndarray]:
    model.forward(x, training=True)
    return [layer.mask for layer in model.layers if isinstance(layer, Dropout) and layer.rate]


def test_an_unseeded_dropout_draws_from_the_models_seeded_stream() -> None:
    x = np.ones((4, 50))
    first = gn.Sequential([gn.Input((50,)), Dropout(0.5)], seed=3)
    second = gn.Sequential([gn.Input((50,)), Dropout(0.5)], seed=3)
    assert first.layers[0].rng is first.rng
    np.testing.assert_array_equal(_masks(first, x)[0], _masks(second, x)[0])
    # a rate of 0 is the identity and draws nothing: the next layer's mask is the same
    with_zero = gn.Sequential([gn.Input((50,)), Dropout(0.0), Dropout(0.5)], seed=3)
    np.testing.assert_array_equal(
        _masks(with_zero, x)[0],
        _masks(gn.Sequential([gn.Input((50,)), Dropout(0.5)], seed=3), x)[0],
    )
    assert with_zero.layers[0].mask is None


def test_dropout_in_inference_passes_x_and_keeps_it_as_its_output() -> None:
    layer = Dropout(0.5, seed=0)
    layer.build(3, np.float32, None)
    x = np.ones((2, 3), np.float32)
    assert layer.forward(x) is x and layer.a is x


def test_dropout_keeps_float32_in_training() -> None:
    layer = Dropout(0.5, seed=0)
    layer.build(200, np.float32, None)
    a = layer.forward(np.ones((2, 200), np.float32), training=True)
    assert a.dtype == np.float32 and layer.mask.dtype == np.float32
    assert set(np.unique(a).tolist()) == {0.0, 2.0}


def test_a_frozen_mask_is_reused_for_the_same_shape_only() -> None:
    layer = Dropout(0.5, seed=0)
    layer.build(200, np.float64, None)
    x = np.ones((2, 200))
    first = layer.forward(x, training=True).copy()
    second = layer.forward(x, training=True).copy()
    assert not np.array_equal(first, second)  # not frozen: a new mask each pass
    layer.freeze_mask = True
    third = layer.forward(x, training=True).copy()
    np.testing.assert_array_equal(layer.forward(x, training=True), third)  # frozen: reused
    np.testing.assert_array_equal(third, second)  # the mask already there is the one kept
    assert layer.forward(np.ones((3, 200)), training=True).shape == (3, 200)  # new shape: new


def test_a_users_layer_that_changes_the_width_is_shaped_by_output_features() -> None:
    class AddOne(Layer):
        kind = "AddOne"

        def output_features(self, input_features: int) -> int:
            return input_features + 1

    assert AddOne().compute_output_shape((3,)) == (4,)
    assert AddOne().compute_output_shape((2, 2, 1)) == (2, 2, 1)  # an image: elementwise


def test_an_unnamed_layer_is_called_by_its_kind_in_messages() -> None:
    layer = Activation("relu")
    layer.build(2, np.float64, None)
    with pytest.raises(ValueError) as caught:
        layer.forward(np.ones((1, 3)))
    assert str(caught.value) == (
        "Layer 'activation' (Activation) expects input of shape (batch, 2), but received shape "
        "(1, 3)."
    )
    assert Activation("relu", name="act").name == "act"


def test_layers_from_config_name_the_kind_and_default_to_trainable() -> None:
    from glassnet.layers.core import from_config

    layer = from_config({"class_name": "Dense", "units": 2, "name": "d"})
    assert layer.trainable is True and layer.units == 2
    with pytest.raises(ValueError) as caught:
        from_config({"class_name": "Bogus"})
    assert str(caught.value).startswith("Unknown layer 'Bogus'. Valid names: 'dense', ")


def test_input_refuses_a_float_width_as_the_wrong_type() -> None:
    with pytest.raises(TypeError) as caught:
        gn.Input(3.5)
    assert str(caught.value) == (
        "Input expects shape, the shape of one example, as a tuple (n_features,), got float 3.5. "
        "Example: Input(shape=(3,))."
    )


def test_dense_backward_returns_the_input_gradient_unless_told_not_to() -> None:
    layer = Dense(2, kernel_initializer=gn.initializers.Constant(0.5))
    layer.build(3, np.float64, np.random.default_rng(0))
    layer.forward(np.ones((1, 3)))
    grad = np.array([[1.0, -2.0]])
    # dC/dx = dC/dz @ W.T with W = 0.5 everywhere (linear): (1 - 2) * 0.5 per input
    np.testing.assert_array_equal(layer.backward(grad), [[-0.5, -0.5, -0.5]])
    np.testing.assert_array_equal(layer.backward_delta(grad), [[-0.5, -0.5, -0.5]])
    assert layer.backward(grad, need_input_gradient=False) is None
    assert layer.backward_delta(grad, False) is None
    np.testing.assert_array_equal(layer.kernel_gradient, [[1.0, -2.0]] * 3)


def test_dense_config_keeps_its_regularizer() -> None:
    layer = Dense(2, kernel_regularizer=gn.regularizers.L2(0.1))
    assert layer.get_config()["kernel_regularizer"] == {"name": "l2", "l2": 0.1}
    assert Dense(2).get_config()["kernel_regularizer"] is None


def test_input_takes_an_integer_width_and_names_a_wrong_type_cut_short() -> None:
    assert gn.Input(3).shape == (3,)
    assert gn.Input(np.int64(4)).shape == (4,)
    with pytest.raises(TypeError) as caught:
        gn.Input("x" * 30)
    assert str(caught.value) == (
        "Input expects shape, the shape of one example, as a tuple (n_features,), got str "
        "'xxxxxxxxxxxxxxxxxxx... (30 characters). Example: Input(shape=(3,))."
    )
    with pytest.raises(TypeError) as caught:
        gn.Input(True)
    assert str(caught.value).startswith("Input expects shape, the shape of one example, as a ")


def test_reprs_name_the_layer_as_it_is_built() -> None:
    assert repr(Flatten()) == "Flatten()"
    assert repr(Reshape((2, 2))) == "Reshape((2, 2))"
    assert repr(Dropout(0.25)) == "Dropout(0.25)"
    assert repr(Activation("relu")) == "Activation('relu')"


INPUT_SHAPE_MESSAGE = (
    "Input expects the shape of one example as (n_features,) with n_features a positive integer, "
    "got shape={}. For images give (height, width, channels), channels last, each a positive "
    "integer, without the batch. Examples: Input(shape=(3,)), Input(shape=(28, 28, 1))."
)


@pytest.mark.parametrize("shape", [(2.5,), (True,), (0,)], ids=["float", "bool", "zero"])
def test_input_refuses_a_size_that_is_not_a_positive_integer(shape) -> None:
    with pytest.raises(ValueError) as caught:
        gn.Input(shape)
    assert str(caught.value) == INPUT_SHAPE_MESSAGE.format(shape)


def test_input_says_how_to_give_a_grayscale_image_and_takes_up_to_int64() -> None:
    with pytest.raises(ValueError) as caught:
        gn.Input((28, 28))
    assert str(caught.value) == INPUT_SHAPE_MESSAGE.format((28, 28)) + (
        " A grayscale image has one channel: shape=(28, 28, 1), with x reshaped to (n, 28, 28, 1)."
    )
    biggest = int(np.iinfo(np.int64).max)
    assert gn.Input((biggest,)).shape == (biggest,)


def test_dense_counts_the_parameters_it_would_make() -> None:
    assert Dense(3).parameter_count_for(4) == 4 * 3 + 3
    assert Dense(3, use_bias=False).parameter_count_for(4) == 4 * 3


def test_a_layer_with_its_own_from_config_keeps_its_state_and_trainable() -> None:
    from glassnet.layers import Normalization
    from glassnet.layers.core import from_config

    norm = Normalization()
    norm.adapt(np.array([[1.0, 2.0], [3.0, 6.0]]))
    norm.trainable = False
    layer = from_config(norm.get_config())
    assert isinstance(layer, Normalization) and layer.trainable is False
    np.testing.assert_array_equal(layer.mean, [2.0, 4.0])
    np.testing.assert_array_equal(layer.variance, [1.0, 4.0])


def _gray(height: int, width: int) -> str:
    return (
        f" A grayscale image has one channel: shape=({height}, {width}, 1), with x reshaped to "
        f"(n, {height}, {width}, 1)."
    )


@pytest.mark.parametrize(
    ("shape", "hint"),
    [
        ((28, 20), _gray(28, 20)),  # Keras's MNIST spelling, not square: height then width
        ((1, 5), _gray(1, 5)),
        ((100, 5), _gray(100, 5)),
        ((10**9 - 1, 2), _gray(10**9 - 1, 2)),
        ((10**9, 2), ""),  # too big to be an image: no hint
        ((0, 5), ""),
        ((2.5, 3), ""),
        ((1, 2, 3, 4), ""),
        ((0, 2, 2), ""),
    ],
)
def test_input_hints_at_a_channel_only_for_a_plausible_two_dimensional_image(shape, hint) -> None:
    with pytest.raises(ValueError) as caught:
        gn.Input(shape)
    assert str(caught.value) == INPUT_SHAPE_MESSAGE.format(shape) + hint


def test_input_cuts_a_long_shape_in_its_message() -> None:
    with pytest.raises(ValueError) as caught:
        gn.Input((1, 2, 3, 4, 5, 6, 7, 8))
    assert str(caught.value) == INPUT_SHAPE_MESSAGE.format(
        "(1, 2, 3, 4, 5, 6, 7... (24 characters)"
    )


@pytest.mark.parametrize(
    ("units", "shown_units"),
    [(0, "0"), (True, "True"), (2.5, "2.5"), ("x" * 30, "'xxxxxxxxxxxxxxxxxxx... (30 characters)")],
    ids=["zero", "bool", "float", "long-str"],
)
def test_dense_refuses_units_that_are_not_a_positive_integer(units, shown_units) -> None:
    with pytest.raises(ValueError) as caught:
        Dense(units)
    assert str(caught.value) == (
        f"Dense expects units to be a positive integer, got {shown_units}. "
        f"Example: Dense(4, activation='sigmoid')."
    )
    assert Dense(int(np.iinfo(np.int64).max)).units == np.iinfo(np.int64).max  # not built yet


def test_a_layer_name_is_checked_naming_the_layer_kind() -> None:
    with pytest.raises(ValueError) as caught:
        Dense(1, name="x\ny")
    assert str(caught.value) == (
        "Expected Dense's name to be 1 to 256 printable characters (no newline or control code), "
        "got 'x\\ny' (3 characters). Choose a short name such as 'dense_1'."
    )


def test_dense_after_an_image_input_says_to_flatten() -> None:
    with pytest.raises(ValueError) as caught:
        gn.Sequential([gn.Input((2, 2, 1)), Dense(1)])
    assert str(caught.value) == (
        "Layer 'dense' (Dense) expects flat input of shape (batch, n_features), but it would "
        "receive (None, 2, 2, 1). Add Flatten() before it (or GlobalAveragePooling2D() after "
        "convolutions)."
    )


def test_wrong_input_shapes_are_named_with_the_widths() -> None:
    dense = Dense(2)
    dense.build(3, np.float64, np.random.default_rng(0))
    with pytest.raises(ValueError) as caught:
        dense.forward(np.ones((1, 2, 4)))  # 3-d: the width is the last axis, 4
    assert str(caught.value) == (
        "Layer 'dense' (Dense) expects input of shape (batch, 3), but received shape (1, 2, 4). "
        "Give each example 3 features, or rebuild the model for 4 features."
    )
    flatten = Flatten()
    flatten.build((2, 2, 1), np.float64, None)
    with pytest.raises(ValueError) as caught:
        flatten.forward(np.ones((1, 2, 2, 2)))
    assert str(caught.value) == (
        "Layer 'flatten' (Flatten) expects input of shape (None, 2, 2, 1), but received shape "
        "(1, 2, 2, 2)."
    )


def test_a_layer_after_a_two_dimensional_reshape_takes_its_output() -> None:
    model = gn.Sequential([gn.Input((4,)), Reshape((2, 2)), Flatten(), Dense(1)], seed=0)
    assert model.predict(np.ones((3, 4))).shape == (3, 1)


def test_a_random_bias_initializer_draws_from_the_models_seeded_stream() -> None:
    def bias(seed: int) -> np.ndarray:
        model = gn.Sequential(
            [gn.Input((2,)), Dense(3, bias_initializer="random_normal")], seed=seed
        )
        return model.layers[0].bias

    np.testing.assert_array_equal(bias(5), bias(5))
    assert not np.array_equal(bias(5), bias(6))


def test_a_flat_layer_is_built_with_its_width_as_an_integer() -> None:
    seen = []

    class Recording(Layer):
        kind = "Recording"

        def build(self, input_features, dtype, rng) -> None:
            seen.append(input_features)
            super().build(input_features, dtype, rng)

        def forward(self, x, training=False):
            return x

    gn.Sequential([gn.Input((3,)), Recording()])
    gn.Sequential([gn.Input((2, 2, 1)), Recording()])
    assert seen == [3, (2, 2, 1)]


def test_a_layers_shape_attributes_before_and_after_build() -> None:
    layer = Flatten()
    assert layer.built is False and layer.input_features is None and layer.input_shape is None
    layer.build((2, 2, 1), np.float64, None)
    # an image layer has an input shape and no flat width
    assert layer.built is True and layer.input_shape == (2, 2, 1) and layer.input_features is None
    layer = Dense(2)
    layer.build(3, np.float64, np.random.default_rng(0))
    assert layer.input_shape == (3,) and layer.input_features == 3
