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
            dz[:, i:6:2, j:6:2] = step.dz[2 * i + j].reshape(pooled.shape)
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
    shape = (kh, kw, 1, ph, pw, 2, pooled_h, pooled_w)
    expected = np.empty(shape, np.float32)
    for i in range(ph):
        for j in range(pw):
            for a in range(kh):
                for b in range(kw):
                    top, left = i * s_h + a, j * s_w + b
                    rows = slice(top, top + pooled_h * ph * s_h, ph * s_h)
                    cols = slice(left, left + pooled_w * pw * s_w, pw * s_w)
                    expected[a, b, 0, i, j] = x[:, rows, cols, 0]
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


# -- issue 20, round four: the offsets outermost, fewer passes and fewer per-step calls ------
def test_the_products_are_grouped_with_the_pooling_offsets_outermost() -> None:
    """z and dC/dz are (offset, n, pooled_h*pooled_w*filters), each offset's block one
    contiguous run (the pooling and its routing run on whole blocks), and pooled is their
    running max, relu'd: the readable layers' numbers, bit for bit in float64 (dC/dz equal,
    a zero's sign aside: delta * relu' and relu' * delta, as before the offsets moved)."""
    conv, pool, step = one_pair()
    x = np.random.default_rng(14).normal(size=(3, 8, 8, 1))
    pooled = step.forward(x)
    assert step.z.shape == (4, 3, 3 * 3 * 4) and step.z.flags.c_contiguous
    readable = np.maximum(conv.z, 0.0)  # the lazily made readable z (n, 6, 6, 4)
    for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        block = readable[:, i:6:2, j:6:2]
        assert np.maximum(step.z[k], 0.0).reshape(block.shape).tobytes() == block.tobytes()
    grad = np.random.default_rng(15).normal(size=pooled.shape)
    dz = pool.backward(grad)
    assert dz is step.z  # written over z, block by block
    routed = np.zeros_like(conv.z)
    for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        routed[:, i:6:2, j:6:2] = dz[k].reshape(pooled.shape)
    np.testing.assert_array_equal(routed, conv.delta)  # the readable delta
    assert np.abs(routed).max() > 0.5


def test_what_is_left_to_route_is_kept_in_the_last_offsets_block(monkeypatch) -> None:
    """The last offset's block of dC/dz holds what the windows have not handed out from the
    first subtraction on: no copy of it at the end (3 subtractions for 4 offsets, 0 copies)."""
    _, pool, step = one_pair()
    x = np.random.default_rng(16).normal(size=(2, 8, 8, 1))
    pooled = step.forward(x)
    calls = []
    real_subtract, real_copyto = np.subtract, np.copyto
    monkeypatch.setattr(
        conv_pool.np, "subtract", lambda *a, **k: calls.append("-") or real_subtract(*a, **k)
    )
    monkeypatch.setattr(
        conv_pool.np, "copyto", lambda *a, **k: calls.append("copy") or real_copyto(*a, **k)
    )
    pool.backward(np.random.default_rng(17).normal(size=pooled.shape))
    monkeypatch.undo()
    assert calls == ["-", "-", "-"]


def test_a_pool_of_one_offset_hands_the_whole_masked_delta_on() -> None:
    """pool_size 1: one offset, no comparison; dC/dz is the delta times relu'(z)."""
    conv = gn.layers.Conv2D(3, 2, activation="relu")
    pool = gn.layers.MaxPooling2D(1)
    gn.Sequential([gn.Input(shape=(5, 5, 2)), conv, pool], seed=0)
    step = training_steps([conv, pool])[0]
    x = np.random.default_rng(18).normal(size=(2, 5, 5, 2))
    pooled = step.forward(x)
    grad = np.random.default_rng(19).normal(size=pooled.shape)
    dz = pool.backward(grad)
    assert dz.shape == (1, 2, 4 * 4 * 3)
    assert dz[0].tobytes() == (grad * (pooled > 0)).reshape(2, -1).tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_finite_deltas_whose_bias_square_overflows_are_checked_exactly(dtype, monkeypatch) -> None:
    """b . b (the finite test of the bias sum) can overflow with b finite: then the exact
    check of the deltas decides, once, and the fast routing runs."""
    conv, pool, step = one_pair(dtype=dtype)
    x = np.random.default_rng(20).normal(size=(4, 8, 8, 1)).astype(dtype)
    pooled = step.forward(x)
    big = np.sqrt(np.finfo(dtype).max) * 2  # b finite, b . b beyond the largest number
    grad = np.full(pooled.shape, big, dtype)
    checked = []
    real = conv_pool.finite
    monkeypatch.setattr(conv_pool, "finite", lambda a: checked.append(a.shape) or real(a))
    with np.errstate(over="ignore"):
        conv.backward(pool.backward(grad), need_input_gradient=False)
    assert np.isfinite(step.bias_gradient).all() and checked == [(4, 3 * 3 * 4)]
    assert step.dz_finite and np.isfinite(step.dz).all()


def test_the_bias_is_tiled_into_a_kept_array() -> None:
    """add_bias with a kept (repeat, filters) array: b written into every row of it (whatever
    it held), z + b bit for bit; without one, a new one."""
    rng = np.random.default_rng(21)
    z = rng.normal(size=(6 * 5, 4)).astype(np.float32)
    b = np.array([0.5, -0.0, 3.0, -1.5], np.float32)
    expected = z + b
    tiled = np.full((5, 4), np.nan, np.float32)
    windows.add_bias(z, b, 5, tiled)
    assert z.tobytes() == expected.tobytes()
    assert tiled.tobytes() == np.tile(b, (5, 1)).tobytes()


@pytest.mark.parametrize("order", ["C", "F", "view"])
def test_a_strided_view_is_as_strideds_read_only_view(order) -> None:
    """The same numbers as as_strided (made over the buffer for a C-contiguous array, by
    as_strided itself otherwise), read-only either way; over the buffer, a view reaching past
    the array's end is refused."""
    from numpy.lib.stride_tricks import as_strided

    base = np.arange(2 * 6 * 5 * 3, dtype=np.float64).reshape(2, 6, 5, 3)
    array = {"C": base, "F": np.asfortranarray(base), "view": base[:, 1:, ::2]}[order]
    r = array.strides
    shape, strides = (2, 2, 2, 2, 2, 3), (r[1], r[2], r[0], 2 * r[1], 2 * r[2], r[3])
    view = windows.strided_view(array, shape, strides)
    assert view.tobytes() == as_strided(array, shape, strides).tobytes()
    assert not view.flags.writeable
    if order == "C":
        with pytest.raises(ValueError, match="strides is incompatible"):
            windows.strided_view(array, (20, *shape[1:]), strides)


def test_a_step_that_passes_the_window_check_formats_no_message(monkeypatch) -> None:
    """The windows' memory check makes its message (the layer's name) only for a refusal,
    which still names the layer and the batch."""
    conv, _, step = one_pair()
    monkeypatch.setattr(conv, "_display_name", lambda: pytest.fail("formatted"))
    step.forward(np.zeros((2, 8, 8, 1)))
    monkeypatch.undo()
    monkeypatch.setattr("glassnet.initializers.MAX_ALLOCATION_BYTES", 1000)
    with pytest.raises(ValueError, match=r"'conv2d.*' \(Conv2D\) windows for a batch of 2 "):
        step.forward(np.zeros((2, 8, 8, 1)))


def test_the_window_check_asks_the_memory_limit_once_per_size_and_limit(monkeypatch) -> None:
    """The limit is min(MAX_ALLOCATION_BYTES, half the physical memory): asked again only for
    a new window size or a new MAX_ALLOCATION_BYTES (which may then refuse the same size)."""
    from glassnet.layers import convolution

    *_, step = one_pair()
    asked = []
    limit = convolution.memory_limit
    monkeypatch.setattr(convolution, "memory_limit", lambda: asked.append(1) or limit())
    for rows in (2, 2, 3, 3, 2):
        step.forward(np.zeros((rows, 8, 8, 1)))
    assert len(asked) == 3
    monkeypatch.setattr("glassnet.initializers.MAX_ALLOCATION_BYTES", 2 * 36 * 9 * 8 - 1)
    with pytest.raises(ValueError, match="windows for a batch of 2 would take"):
        step.forward(np.zeros((2, 8, 8, 1)))
    assert len(asked) == 4


def small_cnn(dtype: str, regularizer=None) -> gn.Sequential:
    layers = gn.layers
    model = gn.Sequential(
        [
            gn.Input(shape=(10, 10, 1)),
            layers.Conv2D(4, 3, activation="relu", kernel_regularizer=regularizer),
            layers.MaxPooling2D(2),
            layers.Conv2D(3, 2, activation="relu", use_bias=False),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(3, "softmax"),
        ],
        dtype=dtype,
        seed=5,
    )
    model.compile(optimizer=gn.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("regularizer", [None, "l2"])
def test_a_cnns_fit_spends_its_gradients_with_the_same_weights(
    dtype, regularizer, monkeypatch
) -> None:
    """Conv2D's backward (fused or not) writes every gradient anew at each step, so fit's
    update may spend them (SGD.apply_spending) as for Dense layers: the same weights, bit for
    bit, as the update through apply; the last step's gradients are left as dC/dW."""
    from glassnet import optimizers, training

    rng = np.random.default_rng(22)
    x = rng.normal(size=(40, 10, 10, 1)).astype(dtype)
    y = rng.integers(0, 3, size=40)
    spending = small_cnn(dtype, regularizer)
    assert training.gradients_rewritten(spending)
    calls = []
    spend = optimizers.SGD.apply_spending
    monkeypatch.setattr(
        optimizers.SGD, "apply_spending", lambda self, *a: calls.append(1) or spend(self, *a)
    )
    spending.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(calls) == 2 * 4  # every step of the two epochs but each epoch's last
    monkeypatch.setattr(training, "gradients_rewritten", lambda model: False)
    applying = small_cnn(dtype, regularizer)
    applying.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(calls) == 8
    for ours, theirs in zip(spending.get_weights(), applying.get_weights(), strict=True):
        assert ours.tobytes() == theirs.tobytes()
    for ours, theirs in zip(spending._gradients, applying._gradients, strict=True):
        assert ours.tobytes() == theirs.tobytes()  # the last step's dC/dW, unscaled


def test_a_float32_input_or_delta_into_a_float64_pair_keeps_float64() -> None:
    """x of another dtype than the kernel: z in their common dtype (float64), as the readable
    windows @ K; a float32 delta into a float64 pair: dC/dz float32 (the delta's masked copy),
    the input gradient float64 (dC/dz @ the float64 kernel), as the readable product."""
    conv, pool, step = one_pair()
    x = np.random.default_rng(23).normal(size=(2, 8, 8, 1))
    pooled = step.forward(x.astype(np.float32))
    assert step.z.dtype == pooled.dtype == np.float64
    grad = np.random.default_rng(24).normal(size=pooled.shape).astype(np.float32)
    dz = pool.backward(grad)
    assert dz.dtype == np.float32 and dz is not step.z
    grad_input = conv.backward(dz, need_input_gradient=True)
    assert grad_input.dtype == np.float64
    expected = conv._input_gradient(conv.delta)  # the readable sums
    np.testing.assert_allclose(grad_input, expected, rtol=0, atol=1e-6)


def test_a_float64_input_or_delta_into_a_float32_pair_computes_in_float64() -> None:
    """The other way round: x float64 into a float32 pair, z float64 (the common dtype, not
    the kernel's); a float64 delta, dC/dz and the input gradient float64."""
    conv, pool, step = one_pair(dtype="float32")
    x = np.random.default_rng(25).normal(size=(2, 8, 8, 1))
    pooled = step.forward(x)
    assert step.z.dtype == pooled.dtype == np.float64
    step.forward(x.astype(np.float32))
    grad = np.random.default_rng(26).normal(size=pooled.shape)
    dz = pool.backward(grad)
    assert dz.dtype == np.float64
    assert conv.backward(dz, need_input_gradient=True).dtype == np.float64


@pytest.mark.parametrize("channels", [1, 5])  # the transposed copy and the strided one
def test_every_work_array_of_a_float32_step_is_float32(channels) -> None:
    """The arrays kept across steps (windows, products, tiled bias, masks, the input gradient's
    spread kernel, dz by position, shares and blocks) are float32 in a float32 model, or bool:
    none computes in float64 behind the model's back."""
    conv = gn.layers.Conv2D(4, 3, activation="relu")
    second = gn.layers.Conv2D(3, 2, activation="relu")
    model = gn.Sequential(
        [
            gn.Input(shape=(10, 10, channels)),
            conv,
            gn.layers.MaxPooling2D(2),
            second,
            gn.layers.MaxPooling2D(2),
            gn.layers.Flatten(),
            gn.layers.Dense(2),
        ],
        dtype="float32",
        seed=0,
    )
    model.compile("sgd", "mse")
    rng = np.random.default_rng(27)
    x = rng.normal(size=(3, 10, 10, channels)).astype(np.float32)
    model.train_on_batch(x, rng.normal(size=(3, 2)).astype(np.float32))
    kept = {name: a.dtype for layer in (conv, second) for name, a in layer._buffers.items()}
    for name in ("spread", "dz_rows", "shares", "blocks", "pooled_bias", "pooled_z"):
        assert name in kept, name
    for name, dtype in kept.items():
        assert dtype in (np.float32, np.bool_), (name, dtype)


def test_a_tie_after_the_first_offset_goes_to_the_first_of_the_tied() -> None:
    """Offsets 1, 2 and 3 all hold a window's maximum (offset 0 less): the delta goes to
    offset 1 alone, the later ones get what is left of it, 0 (not the delta again)."""
    _, pool, step = one_pair()
    pooled = step.forward(np.random.default_rng(28).normal(size=(2, 8, 8, 1)))
    step.z[0], step.z[1:] = -1.0, 2.0
    pooled[...] = 2.0  # relu(max z) of every window (pool.a is this array)
    grad = np.random.default_rng(29).normal(size=pooled.shape)
    dz = pool.backward(grad)
    assert dz[1].tobytes() == grad.reshape(2, -1).tobytes()
    assert not dz[0].any() and not dz[2].any() and not dz[3].any()


def test_a_float16_input_or_delta_into_a_float32_pair_computes_in_float32() -> None:
    """x float16 into a float32 pair: z float32 (their common dtype, not float64); a float16
    delta: dC/dz float16, the input gradient float32 (dC/dz with the float32 kernel)."""
    conv, pool, step = one_pair(dtype="float32")
    x = np.random.default_rng(30).normal(size=(2, 8, 8, 1)).astype(np.float16)
    pooled = step.forward(x)
    assert step.z.dtype == pooled.dtype == np.float32
    grad = np.random.default_rng(31).normal(size=pooled.shape).astype(np.float16)
    dz = pool.backward(grad)
    assert dz.dtype == np.float16
    assert conv.backward(dz, need_input_gradient=True).dtype == np.float32
