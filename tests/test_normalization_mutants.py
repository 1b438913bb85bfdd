"""BatchNormalization: what `scripts/mutate normalization` found no test for (issue 21).

Each test pins a value or a whole message that one of its surviving mutants changed: the bounds of
``axis`` and ``momentum`` at their edges, the messages' cut of a long value (``shown(value, 20)``
cuts a 21-character repr and says its length), inference as ``forward``'s default, the channel a
too-large batch names, and no NumPy warning from an overflowing batch, only the layer's message.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import BatchNormalization

EXAMPLE = "Example: BatchNormalization(momentum=0.99, epsilon=1e-3)."
LONG = "a" * 19  # repr 21 characters: one past the 20 a message shows
CUT = "'aaaaaaaaaaaaaaaaaaa... (21 characters)"


def _message(call, error=ValueError) -> str:
    with pytest.raises(error) as caught:
        call()
    return str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "expected"),
    [
        (
            dict(axis=LONG),
            TypeError,
            f"BatchNormalization expects axis, the channel axis, to be an integer, got str {CUT}. "
            f"Example: BatchNormalization(axis=-1).",
        ),
        (
            dict(axis=10**20),  # 21 digits: more than a message shows
            ValueError,
            "BatchNormalization expects axis to be a channel axis: -1 (the last, channels last as "
            "Keras), or 1 .. 3 counting the batch as axis 0, got an integer of about 21 digits "
            "(axis 0 is the batch). Example: BatchNormalization(axis=-1).",
        ),
        (
            dict(momentum=LONG),
            TypeError,
            f"BatchNormalization expects momentum to be a real number in [0, 1], got str {CUT}. "
            f"{EXAMPLE}",
        ),
        (
            dict(momentum=10**20),
            ValueError,
            "BatchNormalization expects momentum to be a finite number in [0, 1], got an integer "
            f"of about 21 digits. {EXAMPLE}",
        ),
        (
            # np.longdouble('-0.0') is a real number whose repr is 21 characters long
            dict(epsilon=np.longdouble(-0.0)),
            ValueError,
            "BatchNormalization expects epsilon greater than 0 (it keeps sqrt(var + epsilon) away "
            f"from 0), got np.longdouble('-0.0'... (21 characters). {EXAMPLE}",
        ),
        (
            dict(epsilon=1e-50),
            ValueError,
            "Expected BatchNormalization's epsilon between 1.18e-38 and 3.4e+38 (an ordinary "
            "number in float32, the default dtype), got 1e-50. Use e.g. epsilon=1e-3.",
        ),
        (
            dict(center=LONG),
            TypeError,
            f"BatchNormalization expects center to be True or False, got str {CUT}. "
            f"Example: BatchNormalization(center=False).",
        ),
        (
            dict(scale=None),
            TypeError,
            "BatchNormalization expects scale to be True or False, got NoneType None. "
            "Example: BatchNormalization(scale=False).",
        ),
    ],
)
def test_whole_messages_with_a_long_value_cut(kwargs, error, expected) -> None:
    assert _message(lambda: BatchNormalization(**kwargs), error) == expected


@pytest.mark.parametrize("axis", [4, -5])
def test_axes_just_outside_the_range_are_refused_at_once(axis) -> None:
    message = _message(lambda: BatchNormalization(axis=axis))
    assert f"or 1 .. 3 counting the batch as axis 0, got {axis} (axis 0 is the batch)" in message


def test_axis_minus_4_waits_for_the_input_and_is_refused_as_the_batch_there() -> None:
    layer = BatchNormalization(axis=-4)  # the batch of an image: known only at build
    assert layer.axis == -4
    message = _message(lambda: gn.Sequential([gn.Input((2, 2, 3)), layer]))
    assert message == (
        "Layer 'batch_normalization' (BatchNormalization) has axis=-4, which is not a channel "
        "axis of its input (None, 2, 2, 3) (rank 4, batch first). Use axis=-1 (the last axis)."
    )


def test_momentum_1_is_accepted_and_freezes_the_moving_statistics() -> None:
    layer = BatchNormalization(momentum=1.0)  # the upper bound of [0, 1] is allowed
    layer.build(2, np.float64, None)
    layer.forward(np.array([[1.0, 5.0], [3.0, 9.0]]), training=True)
    np.testing.assert_array_equal(layer.moving_mean, [0.0, 0.0])
    np.testing.assert_array_equal(layer.moving_variance, [1.0, 1.0])


def test_forward_without_training_is_inference() -> None:
    layer = BatchNormalization()
    layer.build(2, np.float64, None)
    layer.moving_mean[:], layer.moving_variance[:] = [1.0, -1.0], [4.0, 0.25]
    x = np.array([[3.0, 0.0], [5.0, 1.0]])
    out = layer.forward(x)  # as Keras's layer(x): training defaults to False
    np.testing.assert_allclose(
        out, (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-3), rtol=1e-15
    )
    np.testing.assert_array_equal(layer.moving_mean, [1.0, -1.0])  # nothing moved
    assert layer.training is False


def test_an_overflow_names_the_one_channel_that_overflowed() -> None:
    layer = BatchNormalization()
    layer.build(3, np.float32, None)
    x = np.array([[1.0, 2.0, 3e38], [2.0, 1.0, 3e38]], dtype=np.float32)  # channel 2 only
    message = _message(lambda: layer.forward(x, training=True))
    assert "the batch mean or variance of channel 2 overflowed float32" in message


def test_an_overflowing_batch_gives_the_layers_message_and_no_numpy_warning() -> None:
    """(2, 16, 16, 1) float32 of +-3e38: the sum overflows (NumPy's 'overflow') and its partial
    sums meet as inf + -inf (NumPy's 'invalid'); neither may escape as a warning or an error."""
    layer = BatchNormalization()
    layer.build((16, 16, 1), np.float32, None)
    x = np.empty((2, 16, 16, 1), dtype=np.float32)
    x[0], x[1] = 3e38, -3e38
    for strict in ("warn", "raise"):
        with np.errstate(all=strict), warnings.catch_warnings():
            warnings.simplefilter("error")
            message = _message(lambda: layer.forward(x, training=True))
        assert "channel 0 overflowed float32 (its inputs are too large to square)" in message
    np.testing.assert_array_equal(layer.moving_variance, [1.0])  # refused before it moved
