"""The CNN's fast paths (issue 20) compute the readable forms' numbers: the windows copied per
kernel offset (``copy_windows``) are ``window_matrix``'s, the tiled bias add is ``z + b``, and a
layer whose work arrays are kept across steps gives every step the numbers a fresh layer gives.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.model
from glassnet.layers import Conv2D
from glassnet.layers.conv_pool import training_steps
from glassnet.layers.convolution import conv_backward_loop, conv_forward_loop, pad_images
from glassnet.layers.windows import (
    FEW_CHANNELS,
    add_bias,
    copy_pooled_windows,
    copy_pooled_windows_transposed,
    copy_windows,
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


def padded_in_order(x, order: str, window, strides, padding, rng) -> np.ndarray:
    """x (n, h, w, c) in memory ``order`` (C, Fortran, or a strided view of other numbers),
    padded as a Conv2D of this geometry pads it."""
    if order == "F":
        x = np.asfortranarray(x)
    elif order == "view":  # a strided view, as x[:, ::-1] or a channel slice would give
        x = np.concatenate([x, x], axis=3)[:, ::-1, :, ::2]
    layer = Conv2D(2, window, strides=strides, padding=padding)
    layer.build(x.shape[1:], np.float32, rng)
    return pad_images(x, layer.pads)


@pytest.mark.parametrize("case", WINDOWS, ids=[str(c) for c in WINDOWS])
@pytest.mark.parametrize("order", ["C", "F", "view"])
def test_copy_windows_is_the_readable_window_matrix_bit_for_bit(case, order: str) -> None:
    h, w, channels, window, strides, padding = case
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, h, w, channels)).astype(np.float32)
    x[0, 0, 0, 0], x[1, 1, 1, 0] = -0.0, np.nan
    padded = padded_in_order(x, order, window, strides, padding, rng)
    expected = window_matrix(padded, window, strides)
    out = np.full(expected.shape, 7.0, np.float32)  # a used buffer: every number overwritten
    got = copy_windows(padded, window, strides, out)
    assert got is out and got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()  # every bit, NaN and -0.0 included


POOLED_WINDOWS = [
    # (h, w, channels, window, strides, padding, pool, batch)
    (13, 13, 8, (3, 3), (1, 1), "valid", (2, 2), 3),  # the benchmark's second conv: 11 -> 5
    (9, 11, FEW_CHANNELS, (2, 3), (2, 1), "same", (2, 3), 1),
    (10, 9, 5, (3, 2), (1, 2), "valid", (3, 2), 2),
    (9, 9, 1, (3, 3), (1, 1), "valid", (2, 2), 2),  # few channels: one copy per offset
    (8, 7, 2, (2, 2), (2, 2), "same", (1, 2), 1),
]


@pytest.mark.parametrize("case", POOLED_WINDOWS, ids=[str(c) for c in POOLED_WINDOWS])
@pytest.mark.parametrize("order", ["C", "F", "view"])
def test_copy_pooled_windows_is_the_readable_window_matrix_regrouped(case, order: str) -> None:
    """out[i, j, :, y, x] is window_matrix's row for the output position (y*ph + i, x*pw + j),
    bit for bit (NaN and -0.0 included), the positions no pooling window reads left out."""
    h, w, channels, window, strides, padding, (ph, pw), batch = case
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, h, w, channels)).astype(np.float32)
    x[0, 0, 0, 0], x[-1, 1, 1, -1] = -0.0, np.nan
    padded = padded_in_order(x, order, window, strides, padding, rng)
    full = window_matrix(padded, window, strides)  # (n, out_h, out_w, kh, kw, c)
    pooled_h, pooled_w = full.shape[1] // ph, full.shape[2] // pw
    kept = full[:, : pooled_h * ph, : pooled_w * pw]
    expected = kept.reshape(batch, pooled_h, ph, pooled_w, pw, *full.shape[3:])
    expected = np.ascontiguousarray(expected.transpose(2, 4, 0, 1, 3, 5, 6, 7))
    out = np.full(expected.shape, 7.0, np.float32)  # a used buffer: every number overwritten
    got = copy_pooled_windows(padded, window, strides, (ph, pw), out)
    assert got is out and got.tobytes() == expected.tobytes()
    # the transposed copy (few channels, conv_pool.py): the same numbers, axes moved
    transposed = np.full(expected.transpose(5, 6, 7, 0, 1, 2, 3, 4).shape, 7.0, np.float32)
    got = copy_pooled_windows_transposed(padded, window, strides, (ph, pw), transposed)
    assert got is transposed
    assert np.ascontiguousarray(got.transpose(3, 4, 5, 6, 7, 0, 1, 2)).tobytes() == out.tobytes()


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


# -- the fused Conv2D(relu) -> MaxPooling2D training step (layers/conv_pool.py) -----------------
PAIRS = [
    # (image (h, w, c), conv kwargs, pool kwargs)
    ((9, 9, 1), {"kernel_size": 3}, {"pool_size": 2}),  # 7 -> 3: the last row/column unread
    ((8, 10, 5), {"kernel_size": (3, 2), "padding": "same"}, {"pool_size": 2}),
    ((11, 11, 2), {"kernel_size": 3, "strides": 2}, {"pool_size": (2, 3)}),
    ((9, 8, 6), {"kernel_size": 2, "use_bias": False}, {"pool_size": 3}),
    ((7, 7, 3), {"kernel_size": 3, "kernel_regularizer": "l2"}, {"pool_size": 1}),
]


def pair_model(image, conv_kwargs, pool_kwargs, dtype="float64", seed=0):
    """image -> Conv2D(4, relu) -> MaxPooling2D -> Conv2D(3, relu) -> MaxPooling2D(1 or 2)
    -> Flatten -> Dense(3, softmax): two fused pairs, the second one's input gradient used."""
    conv2d = gn.layers.Conv2D
    first = gn.layers.MaxPooling2D(**pool_kwargs)
    model = gn.Sequential(
        [gn.Input(shape=image), conv2d(4, activation="relu", **conv_kwargs), first], seed=seed
    )
    model.dtype = np.dtype(dtype)
    h, w, _ = model._shape_after(2)
    model.add(conv2d(3, 1 if min(h, w) < 4 else 2, activation="relu"))
    model.add(gn.layers.MaxPooling2D(2 if min(h, w) >= 4 else 1))
    model.add(gn.layers.Flatten())
    model.add(gn.layers.Dense(3, activation="softmax"))
    model.compile(optimizer=gn.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


def readable(monkeypatch) -> None:
    """From here on, models train through each layer's own (readable) forward and backward."""
    monkeypatch.setattr(glassnet.model, "training_steps", lambda layers: layers)


def data(image, dtype, seed=1, rows=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, *image)).astype(dtype)
    x[0] = np.round(x[0])  # integers: exact ties in the windows, and exact zeros
    x[1, :2] = 0.0
    x[1, 2:4] = -0.0
    return x, rng.integers(0, 3, size=rows)


@pytest.mark.parametrize("case", PAIRS, ids=[str(c) for c in PAIRS])
def test_a_fused_pair_trains_as_the_readable_layers(case, monkeypatch) -> None:
    """Forward values, every gradient and three SGD steps: equal to 1e-12 in float64 (the same
    sums in another order); the pooled outputs to the bit."""
    image, conv_kwargs, pool_kwargs = case
    fused = pair_model(image, conv_kwargs, pool_kwargs)
    x, y = data(image, "float64")
    fused.build((None, *image))
    slow = pair_model(image, conv_kwargs, pool_kwargs)
    slow.build((None, *image))
    slow.set_weights(fused.get_weights())
    assert [type(s).__name__ for s in training_steps(fused.layers)][:2] == ["ConvPool", "ConvPool"]
    fused_loss = fused.compute_gradients(x, y)
    fused_grads = [g.copy() for layer in fused.layers for g in layer.gradients]
    fused_out = [fused.layers[i].a.copy() for i in (1, 3)]
    readable(monkeypatch)
    slow_loss = slow.compute_gradients(x, y)
    assert abs(fused_loss - slow_loss) <= 1e-12
    for ours, theirs in zip(fused_out, [slow.layers[i].a for i in (1, 3)], strict=True):
        assert ours.tobytes() == theirs.tobytes()  # relu(max) is max(relu), -0.0 included
    slow_grads = [g for layer in slow.layers for g in layer.gradients]
    for ours, theirs in zip(fused_grads, slow_grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    monkeypatch.undo()
    for _ in range(3):
        fused.train_on_batch(x, y)
    readable(monkeypatch)
    for _ in range(3):
        slow.train_on_batch(x, y)
    for ours, theirs in zip(fused.get_weights(), slow.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_the_fused_pair_in_float32_is_within_1e6_of_the_readable_one(monkeypatch) -> None:
    image = (13, 13, 1)
    fused = pair_model(image, {"kernel_size": 3}, {"pool_size": 2}, dtype="float32")
    slow = pair_model(image, {"kernel_size": 3}, {"pool_size": 2}, dtype="float32")
    x, y = data(image, "float32", rows=16)
    fused.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    readable(monkeypatch)
    slow.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    for ours, theirs in zip(fused.get_weights(), slow.get_weights(), strict=True):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


@pytest.mark.parametrize("case", PAIRS[:3], ids=[str(c) for c in PAIRS[:3]])
def test_after_a_fused_step_the_layers_show_the_readable_numbers(case, monkeypatch) -> None:
    """z, a, delta, the pool's padded input, the windows: made when read, by the readable
    formulas from what the step kept, so they are the readable path's bits (where what they are
    made from is); and the weights they were made with are the step's, not the updated ones."""
    image, conv_kwargs, pool_kwargs = case
    fused = pair_model(image, conv_kwargs, pool_kwargs)
    slow = pair_model(image, conv_kwargs, pool_kwargs)
    x, y = data(image, "float64")
    fused.build((None, *image))
    slow.build((None, *image))
    slow.set_weights(fused.get_weights())
    fused.train_on_batch(x, y)  # the update comes after: the lazy z must use the old kernel
    readable(monkeypatch)
    slow.train_on_batch(x, y)
    for index in range(4):
        ours, theirs = fused.layers[index], slow.layers[index]
        for name in ("z", "a", "delta", "padded", "input_gradient"):
            if name in vars(theirs):
                mine = getattr(ours, name)
                assert mine.shape == getattr(theirs, name).shape, (index, name)
                expected = getattr(theirs, name)
                np.testing.assert_allclose(mine, expected, rtol=0, atol=1e-12, err_msg=name)
                # bit for bit: the forward numbers, and the last pair's deltas (the first pair's
                # come through the second's input gradient, the same sums in another order)
                if name in ("z", "a", "padded") or (name == "delta" and index >= 2):
                    assert mine.tobytes() == expected.tobytes(), (index, name)
        assert ours.__dict__.get("_fused") is not None
    np.testing.assert_array_equal(fused.layers[0].columns, slow.layers[0].columns)
    with pytest.raises(AttributeError, match="'Conv2D' object has no attribute 'nothing'"):
        fused.layers[0].nothing  # noqa: B018


def test_the_trace_of_a_fused_model_is_the_readable_trace(monkeypatch) -> None:
    image = (9, 9, 2)
    fused = pair_model(image, {"kernel_size": 3}, {"pool_size": 2})
    slow = pair_model(image, {"kernel_size": 3}, {"pool_size": 2})
    x, y = data(image, "float64")
    fused.build((None, *image))
    slow.build((None, *image))
    slow.set_weights(fused.get_weights())
    fused.train_on_batch(x, y)  # a fused step before: its lazy attributes must not leak in
    ours = fused.trace_step(x, y)
    readable(monkeypatch)
    slow.train_on_batch(x, y)
    theirs = slow.trace_step(x, y)
    assert ours.symbols() == theirs.symbols()
    assert "dC/da1" in ours.symbols() and "delta1" in ours.symbols()
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.equation == other.equation
        np.testing.assert_allclose(mine.value, other.value, rtol=0, atol=1e-12, err_msg=mine.symbol)


def test_layers_called_on_their_own_run_their_readable_path() -> None:
    """Only the model's training forward fuses: conv.forward(training=True) still returns
    relu(z) in (batch, h, w, filters), and the pool's backward after its own forward routes
    dC/da as ever."""
    image = (9, 9, 1)
    model = pair_model(image, {"kernel_size": 3}, {"pool_size": 2})
    x, y = data(image, "float64")
    model.train_on_batch(x, y)
    conv, pool = model.layers[0], model.layers[1]
    a = conv.forward(x, training=True)
    assert a.shape == (6, 7, 7, 4) and np.array_equal(a, np.maximum(conv.z, 0.0))
    pooled = pool.forward(a, training=True)
    grad = np.ones_like(pooled)
    routed = pool.backward(grad)
    assert routed.shape == a.shape and routed.sum() == grad.size  # every delta to one input
    assert "_fused" not in vars(conv) and "_fused" not in vars(pool)


def test_only_relu_convs_into_tiling_max_pools_fuse() -> None:
    conv2d, pool2d = gn.layers.Conv2D, gn.layers.MaxPooling2D
    cases = {
        "fused": (conv2d(2, 3, activation="relu"), pool2d(2)),
        "tanh": (conv2d(2, 3, activation="tanh"), pool2d(2)),
        "overlapping": (conv2d(2, 3, activation="relu"), pool2d(3, strides=2)),
        "same": (conv2d(2, 3, activation="relu"), pool2d(2, padding="same")),
        "average": (conv2d(2, 3, activation="relu"), gn.layers.AveragePooling2D(2)),
    }
    for name, (conv, pool) in cases.items():
        model = gn.Sequential([gn.Input(shape=(9, 9, 1)), conv, pool])
        steps = training_steps(model.layers)
        assert (len(steps) == 1) == (name == "fused"), name
    mlp = [gn.layers.Dense(2)]
    assert training_steps(mlp) is mlp  # nothing to fuse: the list itself


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_routing_of_inf_and_nan_deltas_is_the_readable_routing(dtype: str) -> None:
    """inf * 0 is NaN: deltas that are not finite take the loop that hands each window's delta
    to its first maximum only; the readable path's dC/dz is the same numbers (NaN where NaN)."""
    image = (8, 8, 1)
    model = pair_model(image, {"kernel_size": 3}, {"pool_size": 2}, dtype=dtype)
    x, _ = data(image, dtype)
    model.build((None, *image))
    conv, pool = model.layers[0], model.layers[1]
    step = training_steps(model.layers)[0]
    pooled = step.forward(x)
    grad = np.random.default_rng(3).normal(size=pooled.shape).astype(dtype)
    grad.flat[:4] = [np.inf, -np.inf, np.nan, np.inf]
    dead = np.argwhere(pooled == 0)[:3]  # windows whose max is <= 0: relu' turns inf into NaN
    live = np.argwhere(pooled > 0)[-3:]
    assert len(dead) == len(live) == 3
    for where, value in zip([*dead, *live], [np.inf, -np.inf, np.nan] * 2, strict=True):
        grad[tuple(where)] = value
    with np.errstate(invalid="ignore"):  # inf - inf in dC/dK, inf * 0 in relu', as readable
        conv.backward(pool.backward(grad), need_input_gradient=False)
        fused_delta = conv.delta  # made by the readable formulas from the kept delta
    dz = np.zeros_like(conv.z)
    for i in range(2):
        for j in range(2):
            dz[:, i:6:2, j:6:2] = step.dz[2 * i + j].reshape(pooled.shape)
    np.testing.assert_array_equal(dz, fused_delta)  # NaN where the readable path has NaN
    assert np.isnan(dz).any()


GEOMETRIES = [
    *PAIRS,
    ((12, 11, 3), {"kernel_size": (2, 4), "strides": (2, 1)}, {"pool_size": (2, 2)}),
    ((10, 10, 2), {"kernel_size": 5, "padding": "same"}, {"pool_size": 3}),
    ((13, 13, 8), {"kernel_size": 3}, {"pool_size": 2}),  # the benchmark's second conv
]


@pytest.mark.parametrize("case", GEOMETRIES, ids=[str(c) for c in GEOMETRIES])
def test_the_fused_input_gradient_is_the_readable_one(case) -> None:
    """One product with the kernel spread over (shift, place) blocks and a few shifted adds:
    the readable per-offset sums, in another order (1e-12 in float64)."""
    image, conv_kwargs, pool_kwargs = case
    conv = gn.layers.Conv2D(4, activation="relu", **conv_kwargs)
    pool = gn.layers.MaxPooling2D(**pool_kwargs)
    gn.Sequential([gn.Input(shape=image), conv, pool], dtype="float64", seed=3)
    rng = np.random.default_rng(4)
    if conv.use_bias:
        conv.bias[...] = rng.normal(size=conv.bias.shape)
    x = rng.normal(size=(3, *image))
    step = training_steps([conv, pool])[0]
    pooled = step.forward(x)
    grad = rng.normal(size=pooled.shape)
    fused = conv.backward(pool.backward(grad)).copy()
    expected = conv._input_gradient(conv.delta)  # the readable code, on the readable delta
    assert fused.shape == expected.shape == x.shape
    np.testing.assert_allclose(fused, expected, rtol=0, atol=1e-12)
    assert np.abs(expected).max() > 0.1


class FortranNormal(gn.initializers.Initializer):
    """A custom initializer returning a Fortran-ordered kernel (it once left dC/dK a copy)."""

    def __call__(self, shape, dtype, rng):
        values = np.random.default_rng(0).normal(0.0, 0.3, size=shape).astype(dtype)
        return np.asfortranarray(values)


@pytest.mark.parametrize("frozen", [False, True])
def test_a_fortran_kernel_and_a_frozen_conv_train_fused_as_readable(frozen, monkeypatch) -> None:
    image = (12, 12, 2)

    def model():
        conv = gn.layers.Conv2D(3, 3, activation="relu", kernel_initializer=FortranNormal())
        net = gn.Sequential(
            [
                gn.Input(shape=image),
                conv,
                gn.layers.MaxPooling2D(2),
                gn.layers.Flatten(),
                gn.layers.Dense(3, activation="softmax"),
            ],
            dtype="float64",
            seed=2,
        )
        conv.trainable = not frozen
        net.compile(optimizer=gn.SGD(0.2), loss="sparse_categorical_crossentropy")
        return net

    fused, slow = model(), model()
    assert (
        fused.layers[0].kernel.flags.f_contiguous and not fused.layers[0].kernel.flags.c_contiguous
    )
    x, y = data(image, "float64")
    for _ in range(3):
        fused.train_on_batch(x, y)
    readable(monkeypatch)
    for _ in range(3):
        slow.train_on_batch(x, y)
    start = FortranNormal()((3, 3, 2, 3), "float64", None)
    kernel = fused.get_weights()[0]
    assert np.array_equal(kernel, start) == frozen  # it moved, unless frozen
    for ours, theirs in zip(fused.get_weights(), slow.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("how", ["fit", "fit with a batch callback", "train_on_batch"])
def test_every_training_entry_runs_the_pairs_fused(how) -> None:
    """fit (through the step plan, glassnet/_step_plan.py), fit with a batch hook (the model's
    _train_step) and train_on_batch all take the fused pair: the layers say so after a step.
    (The step plan once ran each layer's own forward and left the fusion out.)"""
    image, conv_kwargs, pool_kwargs = PAIRS[0]
    model = pair_model(image, conv_kwargs, pool_kwargs)
    x, y = data(image, "float64")
    if how == "train_on_batch":
        model.train_on_batch(x, y)
    else:
        hook = gn.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None)
        callbacks = [hook] if how == "fit with a batch callback" else []
        model.fit(x, y, epochs=1, batch_size=3, verbose=0, callbacks=callbacks)
    assert model.layers[0].__dict__.get("_fused") is not None
    assert model.layers[2].__dict__.get("_fused") is not None


def test_fit_and_train_on_batch_take_the_fused_step() -> None:
    """The training step's plan (glassnet/_step_plan.py) runs the fused pairs, as
    Sequential.forward(training=True) does: once it ran the layers one by one, so the CNN
    trained at 1.9x the hand-written loop's time instead of 1.25x."""
    image = (9, 9, 1)
    model = pair_model(image, {"kernel_size": 3}, {"pool_size": 2})
    x, y = data(image, "float64")
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    steps = training_steps(model.layers)
    assert all(vars(model.layers[i]).get("_fused") is steps[i // 2] for i in range(4))
    for layer in model.layers[:4]:
        layer.__dict__.pop("_fused")
    model.train_on_batch(x, y)
    assert all(vars(model.layers[i]).get("_fused") is steps[i // 2] for i in range(4))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_an_inf_delta_reaches_the_same_inputs_as_on_the_readable_path(dtype: str) -> None:
    """An inf in dC/dz reaches the inputs of its own window only: the fused product with the
    spread kernel (zeros outside the kernel) would make inf * 0 = NaN at inputs outside it."""
    image = (9, 9, 2)
    conv = gn.layers.Conv2D(3, 3, activation="relu")
    second = gn.layers.Conv2D(4, 3, activation="relu")
    pool = gn.layers.MaxPooling2D(2)
    model = gn.Sequential([gn.Input(shape=image), conv, second, pool], dtype=dtype, seed=5)
    x = np.random.default_rng(6).normal(size=(2, *image)).astype(dtype)
    step = training_steps(model.layers)[1]
    pooled = step.forward(conv.forward(x))
    grad = np.zeros_like(pooled)
    live = np.argwhere(pooled > 0)[0]
    grad[tuple(live)] = np.inf
    with np.errstate(invalid="ignore"):  # inf * 0 in dC/dK, as on the readable path
        fused = second.backward(pool.backward(grad), need_input_gradient=True).copy()
        readable = second._input_gradient(second.delta)
    np.testing.assert_array_equal(np.isnan(fused), np.isnan(readable))
    np.testing.assert_array_equal(fused, readable)
    assert np.isinf(fused).any()
