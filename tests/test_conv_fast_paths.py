"""The CNN's fast paths (issue 20) compute the readable forms' numbers: the windows copied per
kernel offset (``copy_windows``) are ``window_matrix``'s, the tiled bias add is ``z + b``, and a
layer whose work arrays are kept across steps gives every step the numbers a fresh layer gives.
"""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.layers import Conv2D
from glassnet.layers.convolution import (
    FEW_CHANNELS,
    add_bias,
    conv_backward_loop,
    conv_forward_loop,
    copy_windows,
    pad_images,
    window_matrix,
)

WINDOWS = [
    # (h, w, channels, window, strides, padding)
    (8, 7, 1, (3, 3), (1, 1), "valid"),
    (9, 9, 1, (3, 2), (2, 3), "same"),
    (6, 6, 3, (2, 2), (2, 2), "valid"),
    (7, 5, FEW_CHANNELS, (3, 3), (1, 1), "same"),
    (13, 13, 8, (3, 3), (1, 1), "valid"),
    (5, 5, 2, (5, 5), (1, 1), "valid"),  # one window: the whole image
]


@pytest.mark.parametrize("case", WINDOWS, ids=[str(c) for c in WINDOWS])
@pytest.mark.parametrize("order", ["C", "F", "view"])
def test_copy_windows_is_the_readable_window_matrix_bit_for_bit(case, order: str) -> None:
    h, w, channels, window, strides, padding = case
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, h, w, channels)).astype(np.float32)
    x[0, 0, 0, 0], x[1, 1, 1, 0] = -0.0, np.nan
    if order == "F":
        x = np.asfortranarray(x)
    elif order == "view":  # a strided view, as x[:, ::-1] or a channel slice would give
        x = np.concatenate([x, x], axis=3)[:, ::-1, :, ::2]
    layer = Conv2D(2, window, strides=strides, padding=padding)
    layer.build((h, w, channels), np.float32, rng)
    padded = pad_images(x, layer.pads)
    expected = window_matrix(padded, window, strides)
    out = np.full(expected.shape, 7.0, np.float32)  # a used buffer: every number overwritten
    got = copy_windows(padded, window, strides, out)
    assert got is out and got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()  # every bit, NaN and -0.0 included


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_tiled_bias_add_is_z_plus_b_bit_for_bit(dtype: str) -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6 * 5, 4)).astype(dtype)
    z[0] = [-0.0, 0.0, np.inf, np.nan]
    b = np.array([0.0, -0.0, -np.inf, 1.5], dtype)
    with np.errstate(invalid="ignore"):  # inf - inf
        expected = z + b
        add_bias(z, b, 5)
    assert z.tobytes() == expected.tobytes()


@pytest.mark.parametrize("channels", [1, 8])
def test_kept_work_arrays_give_each_step_a_fresh_layers_numbers(channels: int) -> None:
    """The windows, the per-offset products and the ones are kept across calls: a second batch
    (another size too) must not see the first one's numbers, and what an earlier call returned
    must not change under a later one."""
    rng = np.random.default_rng(2)
    layer = Conv2D(3, 3, padding="same", activation="linear")
    layer.build((6, 5, channels), np.float32, rng)
    layer.bias[...] = rng.normal(size=3)
    outputs = []
    for n in (4, 4, 2, 4):
        x = rng.normal(size=(n, 6, 5, channels)).astype(np.float32)
        z = layer.forward(x)
        delta = rng.normal(size=z.shape).astype(np.float32)
        grad_x = layer.backward(delta)
        expected = conv_forward_loop(x, layer.kernel, layer.bias, 1, "same")
        np.testing.assert_allclose(z, expected, rtol=0, atol=1e-5)
        kernel_grad, bias_grad, x_grad = conv_backward_loop(x, layer.kernel, delta, 1, "same")
        np.testing.assert_allclose(layer.kernel_gradient, kernel_grad, rtol=0, atol=1e-5)
        np.testing.assert_allclose(layer.bias_gradient, bias_grad, rtol=0, atol=1e-5)
        np.testing.assert_allclose(grad_x, x_grad, rtol=0, atol=1e-5)
        outputs.append((z, z.copy(), grad_x, grad_x.copy()))
    for z, z_then, grad_x, grad_then in outputs:
        assert z.tobytes() == z_then.tobytes() and grad_x.tobytes() == grad_then.tobytes()
