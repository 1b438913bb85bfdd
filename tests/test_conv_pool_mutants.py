"""The fused Conv2D(relu) -> MaxPooling2D step and the window copies: what `scripts/mutate
conv_pool` found no test for (issue 21).

``window_matrix``, the readable im2col the fast copies are proved equal to, was itself checked
only through those copies (a wrong size in it changed both sides alike): here it is held to the
definition, every window read by hand. The fused step is held to the readable layers' dtypes
and to what a reader of the layers sees after it (the windows read first, the attributes a
layer no longer has once the other one ran on its own, their whole messages).
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.model
from glassnet.layers.conv_pool import training_steps
from glassnet.layers.convolution import output_size
from glassnet.layers.windows import window_matrix

SIZES = [
    # (height, width, channels, window, strides): rows != columns both ways, channels < height
    (8, 7, 1, (3, 3), (1, 1)),
    (6, 9, 2, (2, 3), (2, 1)),
    (9, 5, 3, (3, 2), (3, 2)),
    (5, 5, 2, (5, 5), (1, 1)),  # one window: the whole image
]


@pytest.mark.parametrize("case", SIZES, ids=[str(c) for c in SIZES])
def test_the_readable_window_matrix_is_every_window_read_by_hand(case) -> None:
    """Row (n, y, x) holds padded[n, y*s_h : y*s_h + kh, x*s_w : x*s_w + kw, :], in (i, j, c)
    order, for every output position Conv2D's output_size counts, and nothing else."""
    h, w, channels, (kh, kw), (s_h, s_w) = case
    padded = np.random.default_rng(0).normal(size=(2, h, w, channels))
    got = window_matrix(padded, (kh, kw), (s_h, s_w))
    out_h, out_w = output_size(h, kh, s_h, "valid")[0], output_size(w, kw, s_w, "valid")[0]
    assert got.shape == (2, out_h, out_w, kh, kw, channels)
    for n in range(2):
        for y in range(out_h):
            for x in range(out_w):
                window = padded[n, y * s_h : y * s_h + kh, x * s_w : x * s_w + kw, :]
                assert got[n, y, x].tobytes() == window.tobytes()


def _pair(channels: int, dtype: str):
    """Input (8, 8, channels) -> Conv2D(3, 3, relu) -> MaxPooling2D(2) -> Conv2D(2, 2, relu)
    -> MaxPooling2D(1) -> Flatten -> Dense(2): the second pair's input gradient is needed."""
    model = gn.Sequential(
        [
            gn.Input((8, 8, channels)),
            gn.layers.Conv2D(3, 3, activation="relu"),
            gn.layers.MaxPooling2D(2),
            gn.layers.Conv2D(2, 2, activation="relu"),
            gn.layers.MaxPooling2D(1),
            gn.layers.Flatten(),
            gn.layers.Dense(2),
        ],
        dtype=dtype,
        seed=0,
    )
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("channels", [1, 5])  # the transposed copy and the strided one
def test_a_fused_float32_step_keeps_float32_in_every_gradient(channels) -> None:
    """The readable layers keep float32 throughout; so does the fused step: the second pair's
    dC/da_prev (the kernel spread with a float32 zero), the deltas the layers show after it."""
    model = _pair(channels, "float32")
    assert [type(s).__name__ for s in training_steps(model.layers)][:2] == ["ConvPool"] * 2
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 8, 8, channels)).astype(np.float32)
    model.train_on_batch(x, rng.normal(size=(3, 2)).astype(np.float32))
    second = model.layers[2]
    assert vars(second).get("_fused") is not None  # the step was fused
    assert second.input_gradient.dtype == np.float32
    for pool in (model.layers[1], model.layers[3]):
        assert pool.a.dtype == np.float32  # the pooled output, max and relu of z in float32
    for conv in (model.layers[0], model.layers[2]):
        assert conv._fused.z.dtype == conv._fused.dz.dtype == np.float32
        assert conv.z.dtype == conv.a.dtype == np.float32
    for layer in model.layers[:4]:
        assert layer.delta.dtype == np.float32, layer.name
    for weight in model.get_weights():
        assert weight.dtype == np.float32


def _fused_step(backward: bool = True):
    model = _pair(2, "float64")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(3, 8, 8, 2)), rng.normal(size=(3, 2))
    if backward:
        model.train_on_batch(x, y)
    else:
        model.forward(x, training=True)
    return model, x


def test_the_windows_read_first_after_a_fused_step_are_the_readable_ones() -> None:
    """``columns`` read before ``z``: the readable window matrix of the step's input."""
    model, x = _fused_step()
    conv = model.layers[0]
    columns = conv.columns  # made now, from the step's input
    readable = _pair(2, "float64").layers[0]
    readable.forward(x, training=True)
    np.testing.assert_array_equal(columns, readable.columns)


def test_a_layer_run_on_its_own_after_a_fused_step_drops_the_steps_numbers() -> None:
    """The pool run alone since: the conv's lazy attributes (made from the step's numbers) are
    no longer there, and the pool's own forward made its own; the same the other way round."""
    model, x = _fused_step()
    conv, pool = model.layers[0], model.layers[1]
    pool.forward(np.maximum(np.random.default_rng(3).normal(size=(3, 6, 6, 3)), 0.0))
    for name in ("z", "a", "delta", "columns"):
        with pytest.raises(AttributeError) as caught:
            getattr(conv, name)
        assert str(caught.value) == f"'Conv2D' object has no attribute '{name}'"
    model, x = _fused_step()
    conv, pool = model.layers[0], model.layers[1]
    conv.forward(x, training=True)
    for name in ("delta", "padded"):
        with pytest.raises(AttributeError) as caught:
            getattr(pool, name)
        assert str(caught.value) == f"'MaxPooling2D' object has no attribute '{name}'"


def test_the_deltas_of_a_fused_forward_do_not_exist_before_its_backward() -> None:
    model, _ = _fused_step(backward=False)
    conv, pool = model.layers[0], model.layers[1]
    assert conv.z.shape == (3, 6, 6, 3) and pool.padded.shape == (3, 6, 6, 3)
    for layer, kind in ((conv, "Conv2D"), (pool, "MaxPooling2D")):
        with pytest.raises(AttributeError) as caught:
            layer.delta  # noqa: B018
        assert str(caught.value) == f"'{kind}' object has no attribute 'delta'"


@pytest.mark.parametrize("pool_size", [(2, 1), (1, 2), (1, 3)])
def test_a_fused_pool_of_two_or_three_offsets_takes_the_max_of_all(pool_size, monkeypatch) -> None:
    """Pools of 2 and 3 offsets (one row, one column): the fused pooled output and every
    gradient are the readable layers' (the max over each offset, not the first one alone)."""

    def model():
        net = gn.Sequential(
            [
                gn.Input((6, 6, 2)),
                gn.layers.Conv2D(3, 2, activation="relu"),
                gn.layers.MaxPooling2D(pool_size),
                gn.layers.Flatten(),
                gn.layers.Dense(2),
            ],
            dtype="float64",
            seed=4,
        )
        net.compile("sgd", "mse")
        return net

    fused, slow = model(), model()
    assert type(training_steps(fused.layers)[0]).__name__ == "ConvPool"
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(3, 6, 6, 2)), rng.normal(size=(3, 2))
    fused.compute_gradients(x, y)
    pooled = fused.layers[1].a.copy()
    grads = [g.copy() for layer in fused.layers for g in layer.gradients]
    monkeypatch.setattr(glassnet.model, "training_steps", lambda layers: layers)
    slow.compute_gradients(x, y)
    assert pooled.tobytes() == slow.layers[1].a.tobytes()
    slow_grads = [g for layer in slow.layers for g in layer.gradients]
    for ours, theirs in zip(grads, slow_grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_the_pools_own_backward_after_a_fused_step_routes_as_readable() -> None:
    """Once the step's backward has run, a later pool.backward (a reader, a second pass) is the
    readable routing of the delta it is given, in the conv's output shape: the fused step has
    written dC/dz over its products and must not route it again."""
    model, _ = _fused_step()
    conv, pool = model.layers[0], model.layers[1]
    grad = np.random.default_rng(6).normal(size=pool.a.shape)
    routed = pool.backward(grad)
    assert routed.shape == conv.a.shape == (3, 6, 6, 3)
    np.testing.assert_array_equal(routed, pool._backward_loop(grad))
    readable = gn.layers.MaxPooling2D(2)
    readable.build((6, 6, 3), np.float64, None)
    readable.forward(conv.a)
    np.testing.assert_array_equal(routed, readable.backward(grad))


def test_what_a_reader_saw_after_one_step_is_not_shown_after_the_next() -> None:
    """A fused step forgets the attributes made for the step before it: z, a, the deltas, the
    pool's padded input (made again, from this step), and an input gradient that this step
    does not compute (a first layer's: kept from a readable pass, it would be stale)."""
    model = _pair(2, "float64")
    conv, pool = model.layers[0], model.layers[1]
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 8, 8, 2))
    conv.forward(x, training=True)  # the readable pass, with dC/da_prev
    conv.backward(rng.normal(size=conv.z.shape), need_input_gradient=True)
    assert conv.input_gradient.shape == x.shape
    seen = {}
    for step in range(2):
        x, y = rng.normal(size=(3, 8, 8, 2)), rng.normal(size=(3, 2))
        kernel, bias = conv.kernel.copy(), conv.bias.copy()
        model.train_on_batch(x, y)
        with pytest.raises(AttributeError) as caught:
            conv.input_gradient  # noqa: B018
        assert str(caught.value) == "'Conv2D' object has no attribute 'input_gradient'"
        readable = _pair(2, "float64")
        readable.layers[0].kernel[...], readable.layers[0].bias[...] = kernel, bias
        z = readable.layers[0].forward(x, training=True)
        readable.layers[1].forward(readable.layers[0].a)
        np.testing.assert_array_equal(conv.z, readable.layers[0].z)
        np.testing.assert_array_equal(conv.a, readable.layers[0].a)
        np.testing.assert_array_equal(pool.padded, readable.layers[1].padded)
        assert conv.delta.shape == z.shape and pool.delta.shape == z.shape
        seen[step] = (conv.z.copy(), conv.delta.copy(), pool.delta.copy())
    for before, after in zip(seen[0], seen[1], strict=True):
        assert not np.array_equal(before, after)
