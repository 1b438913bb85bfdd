"""The fused Conv2D(relu) -> MaxPooling2D step's later speed-ups (issue 20, round three) give
the readable layers' numbers: the bias gradient summed from the pooled deltas (and that sum
standing in for the finite check), the repeated window slices of a few-channel input copied
once.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import conv_pool, windows
from glassnet.layers.conv_pool import training_steps
from glassnet.layers.windows import _transposed_plan, copy_pooled_windows_transposed


def one_pair(image=(8, 8, 1), dtype="float64", use_bias=True):
    """A built Conv2D(4, 3, relu) -> MaxPooling2D(2) and its fused step, a random bias."""
    conv = gn.layers.Conv2D(4, 3, activation="relu", use_bias=use_bias)
    pool = gn.layers.MaxPooling2D(2)
    gn.Sequential([gn.Input(shape=image), conv, pool], dtype=dtype, seed=3)
    if use_bias:
        conv.bias[...] = np.random.default_rng(4).normal(size=conv.bias.shape)
    return conv, pool, training_steps([conv, pool])[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_bias_gradient_summed_from_the_pooled_deltas_is_the_readable_sum(dtype) -> None:
    """dC/db = the sum of dC/dz over every position; dC/dz is 0 but at each window's winner,
    where it is the pooled delta times relu': so the sum of those deltas, over a quarter of the
    rows (the same terms, in another order)."""
    conv, pool, step = one_pair(dtype=dtype)
    x = np.random.default_rng(5).normal(size=(5, 8, 8, 1)).astype(dtype)
    pooled = step.forward(x)
    grad = np.random.default_rng(6).normal(size=pooled.shape).astype(dtype)
    conv.backward(pool.backward(grad), need_input_gradient=False)
    assert step.bias_gradient is not None  # the pooled sum was used, not dz's
    expected = conv.delta.sum(axis=(0, 1, 2))  # the readable delta (conv_pool.materialize)
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(conv.bias_gradient, expected, rtol=0, atol=tolerance)
    # summed in the layer's dtype, as the readable sum (float64 ones would sum float32 deltas
    # in float64: no longer the model's arithmetic)
    assert step.bias_gradient.dtype == conv.bias_gradient.dtype == np.dtype(dtype)
    assert np.abs(expected).max() > 0.5  # something was summed


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_finite_deltas_whose_sum_overflows_still_take_the_fast_routing(dtype) -> None:
    """The bias sum standing in for the finite check can overflow with every delta finite:
    then the exact check decides, the fast routing runs (no NaN from it), and dC/dz is the
    readable one; dC/db is the readable sum, inf both ways."""
    conv, pool, step = one_pair(dtype=dtype)
    x = np.random.default_rng(7).normal(size=(4, 8, 8, 1)).astype(dtype)
    pooled = step.forward(x)
    grad = np.full(pooled.shape, np.finfo(dtype).max / 4, dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        conv.backward(pool.backward(grad), need_input_gradient=True)
        readable_delta = conv.delta
        readable_bias = readable_delta.sum(axis=(0, 1, 2))
    assert step.dz_finite and np.isfinite(step.dz).all()
    dz = np.zeros_like(conv.z)
    for i in range(2):
        for j in range(2):
            dz[:, i:6:2, j:6:2] = step.dz[:, 2 * i + j].reshape(pooled.shape)
    assert dz.tobytes() == readable_delta.tobytes()
    assert np.isinf(conv.bias_gradient).all() and np.isinf(readable_bias).all()
    np.testing.assert_array_equal(conv.bias_gradient, readable_bias)


@pytest.mark.parametrize("use_bias", [True, False])
def test_inf_and_nan_deltas_give_the_readable_bias_gradient_and_input_gradient(use_bias) -> None:
    """A NaN or inf delta takes the loop that hands each window's delta to its first maximum
    (with a bias or without one, whose missing sum cannot tell); dC/db is then summed from dz,
    as the readable sum: NaN where a window's NaN or inf met relu' = 0 or an inf of the other
    sign, inf where only an inf."""
    conv, pool, step = one_pair(use_bias=use_bias)
    x = np.random.default_rng(8).normal(size=(3, 8, 8, 1))
    pooled = step.forward(x)
    grad = np.random.default_rng(9).normal(size=pooled.shape)
    live = np.argwhere(pooled > 0)
    grad[tuple(live[0])] = np.inf  # one live window of some filter: inf reaches its winner
    dead = np.argwhere(pooled == 0)
    grad[tuple(dead[0])] = np.nan
    with np.errstate(invalid="ignore"):
        fused_input = conv.backward(pool.backward(grad), need_input_gradient=True).copy()
        readable_input = conv._input_gradient(conv.delta)
        readable_bias = conv.delta.sum(axis=(0, 1, 2))
    assert not step.dz_finite and step.bias_gradient is None
    np.testing.assert_array_equal(fused_input, readable_input)  # NaN where NaN, inf where inf
    assert np.isinf(fused_input).any()
    if use_bias:
        np.testing.assert_array_equal(np.isnan(conv.bias_gradient), np.isnan(readable_bias))
        np.testing.assert_array_equal(np.isinf(conv.bias_gradient), np.isinf(readable_bias))
        assert np.isinf(conv.bias_gradient).any() or np.isnan(conv.bias_gradient).any()


@pytest.mark.parametrize(
    "geometry",
    [((3, 3), (1, 1), (2, 2)), ((3, 2), (1, 2), (3, 2)), ((2, 2), (2, 2), (2, 2))],
    ids=["3x3 s1 pool 2: 16 of 36", "3x2 s(1,2) pool (3,2)", "2x2 s2 pool 2: none repeat"],
)
def test_repeated_window_slices_are_copied_once_from_the_input(geometry, monkeypatch) -> None:
    """Entries that read the same rows and columns of the input get one copy from it, the
    others from that copy: each distinct slice read once, in a few copies, the numbers those
    of a copy per entry (NaN and -0.0 included)."""
    window, strides, pool = geometry
    x = np.random.default_rng(10).normal(size=(2, 11, 10, 1)).astype(np.float32)
    x[0, 0, 0, 0], x[1, 4, 3, 0] = -0.0, np.nan
    (kh, kw), (s_h, s_w), (ph, pw) = window, strides, pool
    pooled_h = ((11 - kh) // s_h + 1) // ph
    pooled_w = ((10 - kw) // s_w + 1) // pw
    shape = (kh, kw, 1, 2, ph, pw, pooled_h, pooled_w)
    expected = np.empty(shape, np.float32)
    for i in range(ph):
        for j in range(pw):
            for a in range(kh):
                for b in range(kw):
                    top, left = i * s_h + a, j * s_w + b
                    rows = slice(top, top + pooled_h * ph * s_h, ph * s_h)
                    cols = slice(left, left + pooled_w * pw * s_w, pw * s_w)
                    expected[a, b, 0, :, i, j] = x[:, rows, cols, 0]
    slices = {
        (i * s_h + a, j * s_w + b)
        for i in range(ph)
        for j in range(pw)
        for a in range(kh)
        for b in range(kw)
    }
    out = np.full(shape, 7.0, np.float32)
    assert copy_pooled_windows_transposed(x, window, strides, pool, out) is out
    assert out.tobytes() == expected.tobytes()
    # the input rows and columns the copies from the input start at: each distinct one once
    plan = _transposed_plan(window, strides, pool)
    from_input = [
        (t, u)
        for _, from_out, source in plan
        if not from_out
        for t in range(source[0].start, source[0].stop)
        for u in range(source[1].start, source[1].stop)
    ]
    assert sorted(from_input) == sorted(slices)
    assert (len(slices) < kh * kw * ph * pw) == (strides != (2, 2))
    assert len(plan) <= 3 * ph * pw  # a few copies, not one per entry


def test_the_copy_plan_is_made_once_per_geometry(monkeypatch) -> None:
    """The few copies are planned once per (window, strides, pool), then looked up."""
    made, plan = [], windows._transposed_plan

    def counting(*key):
        made.append(key)
        return plan(*key)

    monkeypatch.setattr(windows, "_PLANS", {})
    monkeypatch.setattr(windows, "_transposed_plan", counting)
    x = np.random.default_rng(11).normal(size=(2, 9, 9, 1))
    for _ in range(3):
        out = np.empty((2, 3, 1, 2, 2, 2, 4, 2))
        copy_pooled_windows_transposed(x, (2, 3), (1, 2), (2, 2), out)
    assert made == [((2, 3), (1, 2), (2, 2))]
    assert list(windows._PLANS) == made


@pytest.mark.parametrize("use_bias", [True, False])
def test_a_finite_bias_sum_spares_the_finite_check(use_bias, monkeypatch) -> None:
    """With a bias, its finite sum already says that every delta is finite: no second pass
    over them (nor over dC/dz before the input gradient); without one, the check runs once."""
    conv, pool, step = one_pair(use_bias=use_bias)
    x = np.random.default_rng(12).normal(size=(3, 8, 8, 1))
    pooled = step.forward(x)
    checked = []
    monkeypatch.setattr(conv_pool, "finite", lambda a: checked.append(a.shape) or True)
    grad = np.random.default_rng(13).normal(size=pooled.shape)
    conv.backward(pool.backward(grad), need_input_gradient=True)
    assert checked == ([] if use_bias else [(3, 3 * 3 * 4)])
    assert step.dz_finite
