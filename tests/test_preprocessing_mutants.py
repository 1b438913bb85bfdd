"""Rescaling and Normalization: what `scripts/mutate preprocessing` found no test for (issue 21).

Each test pins a whole message, a value or a string that one of the surviving mutants changed
(the messages were checked only by a fragment before): every refusal of the two layers and their
argument checks word for word, with values whose repr is one character past what a message shows,
and the numbers and words the faces read (slope, trace equations, repr, config, counts).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import layers
from glassnet.layers import Normalization, Rescaling

LONG = "a" * 19  # repr 21 characters: one past the 20 a message shows
CUT = "'aaaaaaaaaaaaaaaaaaa... (21 characters)"
REAL_MEAN = "Example: Normalization(mean=[0.5, 2.0], variance=[0.25, 4.0])."
BATCH = (
    "is the batch axis, whose length is not known in advance, so it cannot keep a mean per "
    "index. Use axis=-1 (one per feature) or axis=None (one for all)."
)
RANGE = (
    "Normalization's axis must be in the range [-ndim, ndim) = [-2, 2) for inputs of shape "
    "(batch, n_features), got axis="
)


def _message(call, error=ValueError) -> str:
    with pytest.raises(error) as caught:
        call()
    return str(caught.value)


ARGUMENTS = [
    (
        lambda: Rescaling(LONG),
        TypeError,
        f"Rescaling's scale must be a real number, got str {CUT}. Example: Rescaling(1 / 255).",
    ),
    (
        lambda: Rescaling(np.longdouble("-inf")),  # a real number whose repr is 21 characters
        ValueError,
        "Rescaling's scale must be a finite number, got np.longdouble('-inf'... (21 characters). "
        "Example: Rescaling(1 / 255).",
    ),
    (
        lambda: Rescaling(10**400),  # past float64: float() overflows, refused as not finite
        ValueError,
        "Rescaling's scale must be a finite number, got an integer of about 401 digits. "
        "Example: Rescaling(1 / 255).",
    ),
    (
        lambda: Rescaling(1.0, LONG),
        TypeError,
        f"Rescaling's offset must be a real number, got str {CUT}. "
        f"Example: Rescaling(1 / 127.5, -1.0).",
    ),
    (
        lambda: Rescaling(1.0, float("nan")),
        ValueError,
        "Rescaling's offset must be a finite number, got nan. Example: Rescaling(1 / 127.5, -1.0).",
    ),
    (
        lambda: Rescaling(-0.0),
        ValueError,
        "Rescaling's scale must not be 0: every input would become the offset and the network "
        "could learn nothing from them. Example: Rescaling(1 / 255).",
    ),
    (
        lambda: Normalization(mean=[1.0]),
        ValueError,
        "Normalization needs mean and variance together, or neither (then call adapt(x)). "
        "Received: mean=[1.0] and variance=None.",
    ),
    (
        lambda: Normalization(variance=[1.0]),
        ValueError,
        "Normalization needs mean and variance together, or neither (then call adapt(x)). "
        "Received: mean=None and variance=[1.0].",
    ),
    (
        lambda: Normalization(mean=[1.0, 2.0], variance=[1.0]),
        ValueError,
        "Normalization's mean and variance must have the same shape, got mean shape (2,) and "
        "variance shape (1,).",
    ),
    (
        lambda: Normalization(axis=None, mean=[1.0, 2.0], variance=[1.0, 2.0]),
        ValueError,
        "Normalization(axis=None) uses one mean and one variance for every input, got mean of "
        "shape (2,). Pass single numbers, or use axis=-1 for one per feature.",
    ),
    (
        lambda: Normalization(mean=[0.0, 0.0, 0.0], variance=[1.0, -0.5, -2.0]),
        ValueError,
        "Normalization's variance must be >= 0 (it is a square), got -0.5 at position 1. Pass "
        "the variance, not a log-variance, or call adapt(x) to compute it.",
    ),
    (
        lambda: Normalization(axis=LONG),
        TypeError,
        f"Normalization's axis must be an integer or None, got str {CUT}. Use axis=-1 (one mean "
        f"and variance per feature) or axis=None.",
    ),
    (
        lambda: Normalization(axis=(1, 2)),
        TypeError,
        "Normalization's axis must be an integer or None, got tuple (1, 2). Use axis=-1 (one "
        "mean and variance per feature) or axis=None.",
    ),
    (lambda: Normalization(axis=2), ValueError, RANGE + "2. Use axis=-1."),
    (lambda: Normalization(axis=[2]), ValueError, RANGE + "2. Use axis=-1."),
    (lambda: Normalization(axis=-3), ValueError, RANGE + "-3. Use axis=-1."),
    (
        lambda: Normalization(axis=10**20),
        ValueError,
        RANGE + "an integer of about 21 digits. Use axis=-1.",
    ),
    (lambda: Normalization(axis=0), ValueError, f"Normalization's axis=0 {BATCH}"),
    (lambda: Normalization(axis=(0,)), ValueError, f"Normalization's axis=0 {BATCH}"),
    (lambda: Normalization(axis=-2), ValueError, f"Normalization's axis=-2 {BATCH}"),
    (
        lambda: Normalization(mean=LONG, variance=1.0),
        TypeError,
        f"Normalization's mean must be numbers, got {CUT}.",
    ),
    (
        lambda: Normalization(mean=1.0, variance=b"1"),
        TypeError,
        "Normalization's variance must be numbers, got b'1'.",
    ),
    (
        lambda: Normalization(mean=[[1], [2, 3]], variance=[1]),
        ValueError,
        "Normalization's mean must be one number or one per feature; its rows have different "
        "lengths.",
    ),
    (
        lambda: Normalization(mean=[1j], variance=[1.0]),
        TypeError,
        f"Normalization's mean must be real numbers, got an array of dtype complex128. {REAL_MEAN}",
    ),
    (
        lambda: Normalization(mean=np.array([True]), variance=[1.0]),
        TypeError,
        f"Normalization's mean must be real numbers, got an array of dtype bool. {REAL_MEAN}",
    ),
    (
        lambda: Normalization(mean=[[1.0]], variance=[[1.0]]),
        ValueError,
        "Normalization's mean must be one number or one per feature (shape (n,)), got shape "
        "(1, 1).",
    ),
    (
        lambda: Normalization(mean=[1.0], variance=[]),
        ValueError,
        "Normalization's variance must be one number or one per feature (shape (n,)), got shape "
        "(0,).",
    ),
    (
        # repr 41 characters: one past the 40 this message shows
        lambda: Normalization(
            mean=[np.nan, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.25], variance=[1.0] * 8
        ),
        ValueError,
        "Normalization's mean must be finite numbers, got [nan, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, "
        "7.25... (41 characters).",
    ),
    (
        lambda: Normalization(mean=0.0, variance=np.inf),
        ValueError,
        "Normalization's variance must be finite numbers, got inf.",
    ),
]


@pytest.mark.parametrize(("call", "error", "expected"), ARGUMENTS)
def test_every_refused_argument_gets_its_whole_message(call, error, expected) -> None:
    assert _message(call, error) == expected


def _built_normalization(shape) -> Normalization:
    norm = Normalization()
    gn.Sequential([gn.Input(shape), norm])
    return norm


IN_A_MODEL = [
    (
        lambda: gn.Sequential([gn.Input((2,)), Rescaling(1e39)]),
        "Layer 'rescaling' (Rescaling): scale=1e+39 is too large for float32. Build the model "
        "with dtype='float64'.",
    ),
    (
        lambda: gn.Sequential([gn.Input((2,)), Rescaling(1.0, 1e39)]),
        "Layer 'rescaling' (Rescaling): offset=1e+39 is too large for float32. Build the model "
        "with dtype='float64'.",
    ),
    (
        lambda: _built_normalization((2, 2, 3)).adapt(np.ones((4, 2, 3, 3))),
        "Layer 'normalization' (Normalization) was built for images (None, 2, 2, 3), but adapt() "
        "received data of shape (4, 2, 3, 3).",
    ),
    (
        lambda: _built_normalization((3,)).adapt(np.ones((4, 2))),
        "Layer 'normalization' (Normalization) was built for 3 features, but adapt() received "
        "data of shape (4, 2).",
    ),
    (
        lambda: gn.Sequential([gn.Input((2, 2, 3)), Normalization(axis=1)]),
        "Layer 'normalization' (Normalization) has axis=1, which for input of shape "
        "(None, 2, 2, 3) would keep one mean per row. Use axis=-1 (one mean and variance per "
        "channel, Keras's default) or axis=None (one for all).",
    ),
    (
        lambda: gn.Sequential([gn.Input((3,)), Normalization(mean=[1.0, 2.0], variance=[1, 1])]),
        "Layer 'normalization' (Normalization) has a mean and variance for 2 features, but its "
        "input has 3 (features, or an image's channels). Give one value per feature or channel, "
        "or adapt it on the training data.",
    ),
    (
        lambda: gn.Sequential([gn.Input((1,)), Normalization(mean=[1.0], variance=[1e78])]),
        "Layer 'normalization' (Normalization): the mean or standard deviation is too large for "
        "float32. Build the model with dtype='float64'.",
    ),
    (
        lambda: gn.Sequential([gn.Input((2,)), Normalization()]).predict(np.ones((1, 2))),
        "Layer 'normalization' (Normalization) has no mean and variance yet. Call "
        "layer.adapt(x_train) before fit or predict, or pass them: "
        "Normalization(mean=..., variance=...).",
    ),
    (
        lambda: Normalization().adapt(np.array([[1e200], [-1e200]])),
        "adapt() received values so large that their variance overflows float64 (above about "
        "1e154). Divide the data by a large constant first.",
    ),
]


@pytest.mark.parametrize(("call", "expected"), IN_A_MODEL)
def test_every_refusal_at_build_adapt_and_predict_gets_its_whole_message(call, expected) -> None:
    assert _message(call) == expected


def test_what_the_faces_read_slope_trace_repr_and_counts() -> None:
    rescaling = Rescaling(1 / 255, -0.5)
    rescaling.build(2, np.float32, None)
    assert rescaling.slope.dtype == np.float32 and rescaling.slope == np.float32(1 / 255)
    assert rescaling.trace_equations("a0", "a1") == (
        "a1 = a0 * 0.00392157 + -0.5",
        "da1/da0 = scale = 0.00392157",
    )
    assert repr(rescaling) == "Rescaling(0.00392157, offset=-0.5)"
    norm = Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    norm.build(2, np.float64, None)
    np.testing.assert_array_equal(norm.slope, [0.5, 1e7])  # 1 / max(sqrt(variance), 1e-7)
    assert norm.trace_equations("a1", "a2") == (
        "a2 = (a1 - mean) / sqrt(variance)",
        "da2/da1 = 1 / sqrt(variance)",
    )
    assert repr(norm) == "Normalization(axis=-1, given)"
    assert norm.count_params() == norm.non_trainable_count() == 0  # constants, as Keras
    assert repr(Normalization(axis=None)) == "Normalization(axis=None, not adapted)"
    adapted = _built_normalization((3,))
    adapted.adapt(np.arange(12.0).reshape(4, 3))
    assert repr(adapted) == "Normalization(axis=-1, adapted)"
    # Keras 3.15.1: an adapted Normalization on 3 features counts mean 3 + variance 3 + count 1
    assert adapted.count_params() == adapted.non_trainable_count() == 7
    assert adapted.get_config() == {
        "class_name": "Normalization",
        "name": "normalization",
        "trainable": True,
        "axis": -1,
        "mean": [4.5, 5.5, 6.5],
        "variance": [11.25, 11.25, 11.25],
        "adapted": True,
        "count": 4,
    }


def test_backward_delta_is_backward_for_a_caller_of_the_layer_api() -> None:
    """The model calls backward_delta only on a fused softmax/sigmoid output layer, never on
    these two; a caller of the Layer API gets backward's result, dC/da_prev by default."""
    for layer in (Rescaling(3.0), Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25])):
        layer.build(2, np.float64, None)
        layer.forward(np.ones((1, 2)))
        delta = np.array([[1.0, -2.0]])
        np.testing.assert_array_equal(layer.backward_delta(delta), layer.backward(delta))
        assert not np.array_equal(layer.delta, delta)  # scaled: 3, or 1/2 and 2
        assert layer.backward_delta(delta, False) is None and layer.delta is None


def test_from_config_without_the_adapted_state_is_a_given_layer() -> None:
    # a hand-written config (or one saved before 'adapted' and 'count' existed)
    config = {"class_name": "Normalization", "mean": [1.0], "variance": [4.0]}
    given = layers.from_config(config)
    assert given.adapted is False and given.count == 0
    assert repr(given) == "Normalization(axis=-1, given)"
    adapted = layers.from_config({**config, "adapted": True, "count": -5})
    assert adapted.adapted is True and adapted.count == 0  # a negative count is floored
    unadapted = layers.from_config({**config, "adapted": True, "mean": None, "variance": None})
    assert unadapted.adapted is False  # nothing to have adapted
    message = _message(
        lambda: layers.from_config({**config, "adapted": True, "count": "3"}), TypeError
    )
    assert message == (
        "Normalization's saved 'adapted' must be true/false and 'count' an integer, got True "
        "and '3'."
    )


def test_the_names_given_are_kept() -> None:
    assert Rescaling(2.0, name="pixels").name == "pixels"
    assert Normalization(name="standardise").name == "standardise"


def test_a_number_too_large_for_float32_is_refused_without_a_numpy_warning() -> None:
    # built directly (the Layer API): Sequential's own build silences overflow around every
    # layer's build, so only a direct call shows that the layer's check does too
    for build in (
        lambda: Rescaling(1e39).build(2, np.float32, None),
        lambda: gn.Sequential([gn.Input((2,)), Rescaling(1e39)]),
    ):
        with np.errstate(over="warn"), warnings.catch_warnings():
            warnings.simplefilter("error")  # NumPy's "overflow encountered in cast" fails here
            message = _message(build)
        assert message.endswith(
            "(Rescaling): scale=1e+39 is too large for float32. Build the model with "
            "dtype='float64'."
        )


def test_a_twin_in_another_dtype_computes_in_its_inputs_dtype_and_keeps_to_it() -> None:
    """A float64 layer fed float32 (as a Keras parity run feeds it) computes in float32, and a
    later adapt is checked against float32, the dtype it now runs in."""
    norm = Normalization(mean=[1.0, 2.0], variance=[4.0, 1.0])
    norm.build(2, np.float64, None)
    out = norm.forward(np.array([[3.0, 4.0]], dtype=np.float32))
    assert out.dtype == np.float32 and norm.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.0, 2.0]])
    message = _message(lambda: norm.adapt(np.array([[1e39, 0.0], [3e39, 1.0]])))
    assert message == (
        "Layer 'normalization' (Normalization): the mean or standard deviation is too large for "
        "float32. Build the model with dtype='float64'."
    )
    np.testing.assert_array_equal(norm.mean, [1.0, 2.0])  # refused: nothing changed
    rescaling = Rescaling(2.0, offset=0.5)
    rescaling.build(2, np.float64, None)
    assert rescaling.forward(np.ones((1, 2), dtype=np.float32)).dtype == np.float32


# -- the mutants of the second run (branch mutC21): adapt, _check_axis, _cast, __init__ ----------


def test_a_layer_not_adapted_has_seen_no_examples() -> None:
    """count is the number of examples adapt() saw: 0 until it runs (Keras's count weight
    starts at 0), in the config a model file keeps, and after a given mean and variance."""
    for layer in (Normalization(), Normalization(mean=[1.0], variance=[2.0])):
        assert layer.count == 0 and layer.adapted is False
        assert layer.get_config()["count"] == 0
    layer = Normalization()
    layer.adapt(np.ones((5, 2)))
    assert layer.count == 5


def test_adapt_after_a_reshape_to_rows_of_features_keeps_one_mean_per_last_axis_entry() -> None:
    """Reshape((4, 3)) gives examples of shape (4, 3): adapt takes them as images (one mean and
    variance per entry of the last axis, over every example and row), as a 4-D image batch, and
    axis=1 (one mean per row) is refused with its whole message."""
    norm = Normalization()
    model = gn.Sequential([gn.Input((12,)), layers.Reshape((4, 3)), norm])
    data = np.random.default_rng(0).normal(size=(5, 4, 3)) * [1.0, 10.0, 100.0] + [0, 5, -7]
    norm.adapt(data)
    np.testing.assert_allclose(norm.mean, data.mean(axis=(0, 1)), rtol=1e-14)
    np.testing.assert_allclose(norm.variance, data.var(axis=(0, 1)), rtol=1e-14)
    assert norm.count == 5
    out = model.predict(data.reshape(5, 12))
    np.testing.assert_allclose(out.reshape(-1, 3).mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(out.reshape(-1, 3).std(axis=0), 1.0, rtol=1e-5)
    row = Normalization(axis=1)
    assert _message(lambda: gn.Sequential([gn.Input((12,)), layers.Reshape((4, 3)), row])) == (
        "Layer 'normalization' (Normalization) has axis=1, which for input of shape (None, 4, 3) "
        "would keep one mean per row. Use axis=-1 (one mean and variance per channel, Keras's "
        "default) or axis=None (one for all)."
    )
    direct = Normalization(axis=1)  # the Layer API, without a model
    assert _message(lambda: direct.build((4, 3), np.float64, None)).startswith(
        "Layer 'normalization' (Normalization) has axis=1, which for input of shape (None, 4, 3) "
    )


def test_adapt_on_ragged_rows_says_so_in_the_features_words() -> None:
    """An unbuilt layer given rows of different lengths: the 2-D data's message (NumPy's own
    reason in brackets), not the images' one."""
    message = _message(lambda: Normalization().adapt([[1.0, 2.0], [3.0]]))
    assert message.startswith(
        "Expected data to be a 2-D array (n_samples, n_features) with the same number of features "
        "in every row, but it could not be made into one (setting an array element with a "
        "sequence."
    )


@pytest.mark.parametrize(
    "data",
    [
        np.array([[1e200], [-1e200]]),  # the squares overflow
        # NumPy sums 8 rows pairwise: (1e308 + 1e308) + ... is inf, the other half -inf, and
        # inf + -inf is NaN (the "invalid" flag)
        np.array([[1e308]] * 4 + [[-1e308]] * 4),
    ],
)
def test_adapt_refuses_an_overflowing_variance_under_any_numpy_error_setting(data) -> None:
    """The overflow (and the NaN of inf - inf) is adapt's to report: no FloatingPointError under
    np.errstate(all='raise'), no RuntimeWarning under 'warn', the same whole message."""
    expected = (
        "adapt() received values so large that their variance overflows float64 (above about "
        "1e154). Divide the data by a large constant first."
    )
    for setting in ("raise", "warn"):
        norm = Normalization()
        with np.errstate(all=setting), warnings.catch_warnings():
            warnings.simplefilter("error")
            assert _message(lambda norm=norm: norm.adapt(data)) == expected
        assert norm.mean is None and norm.count == 0 and not norm.adapted  # nothing changed


def test_a_mean_too_large_for_float32_is_refused_without_a_numpy_warning() -> None:
    """Built directly (Sequential silences overflow around every build): the cast of a mean of
    1e39 to float32 is the layer's to report, not NumPy's 'overflow encountered in cast'."""
    for setting in ("raise", "warn"):
        norm = Normalization(mean=[1e39], variance=[1.0], name="n")
        with np.errstate(all=setting), warnings.catch_warnings():
            warnings.simplefilter("error")
            message = _message(lambda norm=norm: norm.build(1, np.float32, None))
        assert message == (
            "Layer 'n' (Normalization): the mean or standard deviation is too large for float32. "
            "Build the model with dtype='float64'."
        )


def test_a_built_layer_with_axis_none_adapts_to_one_mean_and_variance() -> None:
    """adapt after the model is built (as the CLI and the playground call it): axis=None keeps
    one number each, a 0-d mean and variance, and predict uses them."""
    norm = Normalization(axis=None)
    model = gn.Sequential([gn.Input((3,)), norm], dtype="float64")
    data = np.arange(12.0).reshape(4, 3)
    norm.adapt(data)
    assert norm.mean.shape == norm.variance.shape == ()
    assert (float(norm.mean), float(norm.variance)) == (5.5, data.var())
    np.testing.assert_allclose(model.predict(data), (data - 5.5) / data.std(), rtol=1e-15)
    # keras.layers.Normalization(axis=None).adapt(np.arange(12.0).reshape(4, 3)) in Keras 3.15.1:
    # count_params() == 3, weights of shapes (), (), () (mean, variance, count)
    assert norm.count_params() == 3
