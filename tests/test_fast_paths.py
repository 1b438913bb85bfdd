"""The training step's fast paths (issue 20) compute the readable formulas' numbers to the last
bit, and do it without the temporaries the readable forms allocate (measured with tracemalloc,
which sees NumPy's allocations)."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet._validation import all_finite, finite
from glassnet.activations import Sigmoid
from glassnet.optimizers import plain_step

EXTREMES = [0.0, -0.0, 1e-300, -1e-300, 30.0, -30.0, 88.0, -88.0, 89.0, -89.0, 709.0, -709.0]
EXTREMES += [710.0, -710.0, 1e308, -1e308, np.inf, -np.inf, np.nan]


def values(dtype: str, rng: np.random.Generator) -> np.ndarray:
    z = np.concatenate([rng.normal(0, 5, 200), EXTREMES])
    with np.errstate(over="ignore"):
        return z.astype(dtype).reshape(-1, 3)[: (len(z) // 3)]


def peak_bytes(function) -> int:
    """The most memory ``function()`` held at once beyond what it returns or kept before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        function()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_in_place_is_the_formula_bit_for_bit(dtype: str) -> None:
    z = values(dtype, np.random.default_rng(0))
    with np.errstate(over="ignore"):
        expected = 1.0 / (1.0 + np.exp(-z))  # the docstring's formula, as it was written
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning escapes, as before
        got = Sigmoid()(z)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)  # NaN where NaN, 0 past -710, 1 past 37
    assert got is not z and np.array_equal(z, values(dtype, np.random.default_rng(0)), True)
    # lists and integer arrays take the formula itself
    assert (
        Sigmoid()(np.array([0, 1])).tolist() == (1.0 / (1.0 + np.exp(-np.array([0, 1])))).tolist()
    )


@pytest.mark.parametrize("name", ["sigmoid", "silu", "swish"])
def test_sigmoid_of_one_number_is_the_formula(name: str) -> None:
    """activations.sigmoid(0.5) (a 0-d array inside) raised NumPy's bare 'TypeError: return
    arrays must be of ArrayType' from the in-place path; silu and swish call it too."""
    for z in (0.5, np.float32(-3.0), np.array(2.0), np.array(-800.0, dtype=np.float32)):
        got = getattr(gn.activations, name)(z)
        zz = np.asarray(z, dtype=np.float64) if not isinstance(z, np.ndarray) else z
        with np.errstate(over="ignore"):
            sig = 1.0 / (1.0 + np.exp(-zz))
        expected = sig if name == "sigmoid" else zz * sig
        assert np.ndim(got) == 0 and float(got) == float(expected)


def test_sigmoid_allocates_one_array() -> None:
    z = np.random.default_rng(1).normal(size=(500, 200))  # 800 kB
    assert peak_bytes(lambda: Sigmoid()(z)) < 1.1 * z.nbytes  # the formula holds three


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_backward_is_the_base_rule_bit_for_bit(dtype: str) -> None:
    rng = np.random.default_rng(2)
    z = values(dtype, rng)
    a = Sigmoid()(z)
    grad = rng.normal(size=a.shape).astype(dtype)
    expected = grad * (a * (1.0 - a))  # Activation.backward: grad_a * derivative(z, a)
    np.testing.assert_array_equal(Sigmoid().backward(z, a, grad), expected)
    # another shape (broadcast) or dtype: the base class's rule, unchanged
    row = grad[:1]
    np.testing.assert_array_equal(Sigmoid().backward(z, a, row), row * (a * (1.0 - a)))
    wide = grad.astype(np.float64)
    got = Sigmoid().backward(z, a, wide)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, wide * (a * (1.0 - a)))


@pytest.mark.parametrize("rate", [0.1, 1.0, 0.003, np.float64(0.1), np.float32(0.5)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_plain_sgd_step_is_param_minus_rate_times_grad(rate: float, dtype: str) -> None:
    rng = np.random.default_rng(3)
    param = rng.normal(size=(7, 5)).astype(dtype)
    optimizer = gn.SGD(0.1)
    for step in range(3):  # the scratch array is reused, and refilled, every step
        grad = rng.normal(size=param.shape).astype(dtype) * 10.0**step
        expected = param.copy()
        expected -= rate * grad  # the readable rule, as SGD wrote it before
        plain_step(optimizer, 0, param, grad, rate)
        assert param.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(param, expected)
    grad = rng.normal(size=param.shape)  # float64 gradient for a float32 parameter
    expected = param.copy()
    expected -= rate * grad
    plain_step(optimizer, 0, param, grad, rate)
    np.testing.assert_array_equal(param, expected)


def test_plain_sgd_step_follows_a_new_shape_and_keeps_nothing_in_the_state() -> None:
    optimizer = gn.SGD(0.5)
    small, big = np.ones((2, 2)), np.ones((3, 4))
    plain_step(optimizer, 0, small, np.full((2, 2), 2.0), 0.5)
    plain_step(optimizer, 0, big, np.full((3, 4), 4.0), 0.5)  # same index, another parameter
    assert small.tolist() == [[0.0, 0.0]] * 2 and big.tolist() == [[-1.0] * 4] * 3
    assert "momentums" in vars(optimizer) and not any("scratch" in k for k in vars(optimizer))
    assert optimizer.get_state() == {"iterations": 0, "momentums": []}


def test_plain_sgd_update_allocates_no_product() -> None:
    param = np.zeros((784, 256), dtype=np.float32)  # the MLP's first kernel, 0.8 MB
    grad = np.ones_like(param)
    optimizer = gn.SGD(0.1)
    optimizer.build([param])
    optimizer.apply([param], [grad])  # the first step makes the scratch array
    assert peak_bytes(lambda: optimizer.apply([param], [grad])) < param.nbytes / 10
    np.testing.assert_array_equal(param, np.float32(0) - np.float32(0.1) * 2)


def test_all_finite_agrees_with_each_arrays_check() -> None:
    big = np.full(4, np.finfo(np.float32).max, dtype=np.float32)  # finite; its sum is not
    cases = [
        [],
        [np.zeros(0)],
        [np.ones(3), np.ones((2, 2), np.float32)],
        [big],
        [big, -big.astype(np.float64)],  # sums inf and -inf: NaN in total, each finite
        [np.ones(3), np.array([1.0, np.nan])],
        [np.array([np.inf]), np.array([-np.inf])],
        [np.array([1e308, 1e308]), np.ones(2)],
        # all_finite sums squares (np.vdot): finite entries whose squares overflow fall back
        [np.array([1e200, -1e200]), np.array([3e38], np.float32)],
        [np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.ones((3, 4))[:, ::2]],
        [np.ones((4, 6))[::2, 1::3], np.array([[1.0, np.nan], [2.0, 3.0]]).T],
        [np.ones((2, 3, 4), np.float32), np.full((2, 2), -np.inf)[:, :1]],
        [np.array([1.0, np.nan], np.float16)],
        [np.array([6e4, -6e4], np.float16)],  # finite float16 whose squares are not
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for arrays in cases:
            assert all_finite(arrays) == all(finite(a) for a in arrays), arrays
            assert all_finite(arrays) == all(bool(np.isfinite(a).all()) for a in arrays), arrays
    assert all_finite(iter([np.ones(2)])) and not all_finite(a for a in [np.array([np.nan])])


def test_seed_fit_matches_the_readable_rules_bit_for_bit() -> None:
    """1000 steps of the seed toy with the fast paths against the notebook's own formulas."""
    from glassnet.seed import XOR_X, XOR_Y, seed_network

    model = seed_network()
    w1, w2 = model.get_weights()
    model.fit(XOR_X, XOR_Y, epochs=200, batch_size=4, shuffle=False, verbose=0)
    with np.errstate(over="ignore"):
        for _ in range(200):
            a1 = 1.0 / (1.0 + np.exp(-(XOR_X @ w1)))
            a2 = 1.0 / (1.0 + np.exp(-(a1 @ w2)))
            delta2 = (a2 - XOR_Y) * (a2 * (1.0 - a2))
            delta1 = (delta2 @ w2.T) * (a1 * (1.0 - a1))
            w2 = w2 - 1.0 * (a1.T @ delta2)
            w1 = w1 - 1.0 * (XOR_X.T @ delta1)
    np.testing.assert_array_equal(model.get_weights()[0], w1)
    np.testing.assert_array_equal(model.get_weights()[1], w2)


def test_import_glassnet_leaves_the_faces_and_extras_unimported() -> None:
    """``import glassnet`` loads the core only: the faces, data sets, model files, traces and
    the standard library's csv and secrets wait until first use."""
    code = (
        "import sys, glassnet; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('glassnet') "
        "or m in ('csv', 'secrets', 'hashlib'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    never = {"csv", "secrets", "hashlib"}
    for face in ("explain", "plots", "playground", "cli", "datasets", "io", "trace", "gradcheck"):
        never.add(f"glassnet.{face}")
    never |= {"glassnet.parity", "glassnet.export", "glassnet.csvfiles", "glassnet.idxfiles"}
    assert "glassnet.model" in loaded and "glassnet.layers.core" in loaded
    assert not loaded & never, sorted(loaded & never)
    assert not any(m.startswith(("glassnet.explain.", "glassnet.plots.")) for m in loaded)
