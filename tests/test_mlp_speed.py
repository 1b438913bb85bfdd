"""The MLP step's fast paths (issue 20) give the readable step's numbers bit for bit.

- Dense's step (``forward_in_step`` and the ``backward`` after it) writes z, the ReLU's delta and
  dC/da_prev into the arrays of the step before (``layers.core.reusable``), only when nothing
  but the layer holds them: tested against ``_readable_step`` (every array new) on the
  benchmark's 784-256-128-10 MLP in float32, a short last batch included, and for holders (a
  kept ``layer.z``, a Linear layer's delta, a trace's snapshot) whose numbers must not change;
- ``ReLU.backward_into`` is ``ReLU.backward`` into a given array, NaN, inf and -0.0 included;
- ``ReLU.quietly`` (the step's forward) and ``backward_into`` compare z with an array of zeros
  (``activations.zeros_for``: NumPy's vectorised loop) where the readable forms take the
  scalar 0: the same numbers, NaN payloads included;
- ``CategoricalCrossEntropy.value_and_gradient``'s fused form (max/min for ``np.clip``, one
  equality for ``_inside``) gives ``compute`` and ``fused_delta``'s numbers at the clip's edges.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.activations import _ZEROS, ZEROS_KEPT, ZEROS_UP_TO, Linear, ReLU, Sigmoid, zeros_for
from glassnet.layers.core import REUSE_FROM, reusable
from glassnet.losses import EPSILON, CategoricalCrossEntropy, SparseCategoricalCrossEntropy
from glassnet.trace import trace_step

KEPT = ("a_prev", "z", "a", "delta", "kernel_gradient", "bias_gradient")


def mlp(optimizer: str = "sgd", hidden: str = "relu", dtype: str = "float32") -> gn.Sequential:
    model = gn.Sequential(
        [
            gn.Input(shape=(784,)),
            gn.layers.Dense(256, hidden),
            gn.layers.Dense(128, hidden),
            gn.layers.Dense(10, "softmax"),
        ],
        seed=0,
        dtype=dtype,
    )
    chosen = gn.SGD(0.1) if optimizer == "sgd" else gn.optimizers.get(optimizer)
    model.compile(optimizer=chosen, loss="sparse_categorical_crossentropy")
    return model


def data(rows: int = 100) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((rows, 784)).astype(np.float32), rng.integers(0, 10, rows)


def assert_same(fast: gn.Sequential, slow: gn.Sequential) -> None:
    for got, expected in zip(fast.get_weights(), slow.get_weights(), strict=True):
        assert got.tobytes() == expected.tobytes()
    for mine, theirs in zip(fast.layers, slow.layers, strict=True):
        for name in KEPT:
            assert getattr(mine, name).tobytes() == getattr(theirs, name).tobytes(), name


@pytest.mark.parametrize(
    ("optimizer", "hidden", "dtype"),
    [
        ("sgd", "relu", "float32"),
        ("adam", "relu", "float32"),
        ("rmsprop", "relu", "float64"),
        ("sgd", "sigmoid", "float32"),
        ("sgd", "linear", "float32"),
    ],
)
def test_mlp_steps_give_the_readable_steps_bits(optimizer: str, hidden: str, dtype: str) -> None:
    fast, slow = mlp(optimizer, hidden, dtype), mlp(optimizer, hidden, dtype)
    x, y = data()
    xs, ys = fast._data(x, y)
    order = np.random.default_rng(1).permutation(len(xs))
    for _ in range(2):  # two epochs: batches of 32, the last one of 4 (another shape)
        for start in range(0, len(xs), 32):
            index = order[start : start + 32]
            xb, yb = xs.take(index, axis=0), ys.take(index, axis=0)
            with np.errstate(over="ignore", invalid="ignore"):
                loss, a = fast._train_step(xb, yb)
                expected_loss, expected_a = slow._readable_step(xb.copy(), yb.copy())
            assert loss == expected_loss
            assert a.tobytes() == expected_a.tobytes()
    assert_same(fast, slow)


def test_fit_reuses_z_delta_and_the_input_gradient_from_step_to_step() -> None:
    model = mlp()
    x, y = data(64)
    model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    first, second = model.layers[0], model.layers[1]
    held = (id(first.z), id(second.z), id(first.delta), id(second.delta))
    gradient = id(second._input_gradient)
    model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    assert (id(first.z), id(second.z), id(first.delta), id(second.delta)) == held
    assert id(second._input_gradient) == gradient
    # the readable forward and backward make new arrays: the step's reference
    z = first.z
    model.forward(x[:32], training=True)
    assert first.z is not z and not first._in_step


def test_small_layers_make_new_arrays_as_the_readable_step_does() -> None:
    """Below REUSE_FROM numbers (batch x the kernel's wider side) checking for reuse costs more
    than a new array: the seed toy's 4 x 4 layers take the readable backward, the same bits."""
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.Dense(4, "sigmoid"), gn.layers.Dense(1, "sigmoid")],
        seed=1,
    )
    model.compile(optimizer=gn.SGD(1.0), loss="mse")
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    first = model.layers[0]
    z = first.z
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert first.z is not z and not first._in_step
    assert 4 * max(first.kernel.shape) < REUSE_FROM
    big = mlp()
    big.fit(*data(32), epochs=1, batch_size=32, shuffle=False, verbose=0)
    assert all(layer._in_step for layer in big.layers)  # 32 x 10 units, but 128 inputs


def test_an_array_someone_holds_is_never_written_again() -> None:
    model = mlp()
    x, y = data(64)
    model.train_on_batch(x[:32], y[:32])
    first = model.layers[0]
    z, delta, a = first.z, first.delta, first.a
    saved = z.copy(), delta.copy(), a.copy()
    model.train_on_batch(x[32:], y[32:])
    for kept, value in zip((z, delta, a), saved, strict=True):
        assert kept.tobytes() == value.tobytes()  # the caller's arrays kept their numbers
    assert first.z is not z and first.delta is not delta
    view = first.z[:, :3]  # a view holds its base too
    before = view.copy()
    model.train_on_batch(x[:32], y[:32])
    assert view.tobytes() == before.tobytes() and first.z is not view.base


def test_a_linear_layers_delta_is_the_input_gradient_it_was_given_and_is_kept() -> None:
    """Dense(linear)'s delta is the dC/da the layer above returned: the layer above must not
    write its next input gradient into it."""
    model = mlp(hidden="linear")
    x, y = data(64)
    model.train_on_batch(x[:32], y[:32])
    first, second = model.layers[0], model.layers[1]
    assert first.delta is second._input_gradient
    kept, delta = first.delta, first.delta.copy()
    model.train_on_batch(x[32:], y[32:])
    assert second._input_gradient is not kept  # held by the layer below: a new one
    assert kept.tobytes() == delta.tobytes()
    assert first.delta is second._input_gradient
    slow = mlp(hidden="linear")
    slow._readable_step(*slow._data(x[:32], y[:32]))
    slow._readable_step(*slow._data(x[32:], y[32:]))
    assert_same(model, slow)


def test_backward_by_hand_after_a_step_takes_lists_and_gives_new_arrays() -> None:
    """After fit's step, calling a layer's backward by hand (a list, or an array) works as the
    readable backward: the same numbers, and the caller's gradient is left as it was."""
    model = mlp()
    x, y = data(64)
    model.train_on_batch(x[:32], y[:32])
    layer = model.layers[1]
    grad = np.ones((32, 128), np.float32)
    expected = layer.activation.backward(layer.z, layer.a, grad) @ layer.kernel.T
    from_list = layer.activation.backward(layer.z, layer.a, grad.tolist()) @ layer.kernel.T
    got = layer.backward(grad.tolist())  # a float64 product, as the readable backward's
    assert isinstance(got, np.ndarray) and got.tobytes() == from_list.tobytes()
    again = layer.backward(grad)
    assert again.tobytes() == expected.tobytes() and (grad == 1).all()
    assert layer.backward_delta(layer.delta.tolist(), need_input_gradient=True).shape == (32, 256)


def test_trace_step_without_update_leaves_the_layers_kept_arrays_as_they_were() -> None:
    model = mlp()
    x, y = data(64)
    model.train_on_batch(x[:32], y[:32])
    before = {name: getattr(model.layers[0], name).copy() for name in ("z", "a", "delta")}
    trace_step(model, x[32:], y[32:], update=False)
    for name, value in before.items():
        assert getattr(model.layers[0], name).tobytes() == value.tobytes(), name


def test_reusable_refuses_arrays_it_must_not_write() -> None:
    layer = gn.layers.Dense(3)
    f32 = np.dtype(np.float32)
    layer.z = np.zeros((2, 3), np.float32)
    assert reusable(layer, "z", (2, 3), f32, f32) is layer.z
    assert reusable(layer, "z", (4, 3), f32, f32) is None  # another batch size
    assert reusable(layer, "z", (2, 3), np.dtype(np.float64), f32) is None  # a mixed pair
    assert reusable(layer, "z", (2, 3), f32, np.dtype(np.float64)) is None
    held = layer.z
    assert reusable(layer, "z", (2, 3), f32, f32) is None  # someone else holds it
    del held
    layer.z.setflags(write=False)
    assert reusable(layer, "z", (2, 3), f32, f32) is None
    layer.z = np.asfortranarray(np.zeros((2, 3), np.float32))
    assert reusable(layer, "z", (2, 3), f32, f32) is None
    layer.z = np.zeros((2, 6), np.float32)[:, :3]  # a view of another array
    assert reusable(layer, "z", (2, 3), f32, f32) is None
    layer.z = [[0.0] * 3] * 2  # not an array at all
    assert reusable(layer, "z", (2, 3), f32, f32) is None
    assert reusable(layer, "missing", (2, 3), f32, f32) is None


SPECIAL = np.array([[-1.5, 0.0, -0.0, 2.0], [np.nan, np.inf, -np.inf, 1e-45]], np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_into_is_backward_bit_for_bit(dtype: type) -> None:
    relu = ReLU()
    rng = np.random.default_rng(2)
    z = np.vstack([SPECIAL, rng.standard_normal((3, 4))]).astype(dtype)
    grad = np.vstack([SPECIAL[::-1], rng.standard_normal((3, 4))]).astype(dtype)
    out = np.empty_like(grad)
    with np.errstate(invalid="ignore"):  # inf * 0, as in backward
        got = relu.backward_into(z, np.maximum(z, 0.0), grad, out)
        expected = relu.backward(z, np.maximum(z, 0.0), grad)
        assert got is out
        assert got.tobytes() == expected.tobytes() and got.dtype == expected.dtype
        # no array, or one of another shape or dtype: backward's own new array
        for given in (None, np.empty((7, 4), dtype), np.empty(grad.shape, np.float16)):
            other = relu.backward_into(z, np.maximum(z, 0.0), grad, given)
            assert other is not given and other.tobytes() == expected.tobytes()
        from_list = relu.backward_into(z, np.maximum(z, 0.0), grad.tolist(), out)  # not an array
        assert from_list is not out
        np.testing.assert_array_equal(from_list, relu.backward(z, z, grad.tolist()))


def nan_payloads(dtype: type) -> np.ndarray:
    """NaNs with payloads and signs of their own (quiet and signalling), as dtype's bits."""
    if dtype is np.float32:
        bits = np.array([0x7FC00001, 0xFFC12345, 0x7F800001, 0xFFBFFFFF], np.uint32)
    else:
        bits = np.array([0x7FF8000000000001, 0xFFF8000000012345, 0x7FF0000000000001], np.uint64)
    return bits.view(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_in_the_step_is_max_with_the_scalar_bit_for_bit(dtype: type) -> None:
    """ReLU.quietly compares z with an array of zeros (NumPy's vectorised loop) where __call__
    takes the scalar 0.0: the same numbers, NaN payloads, -0.0, inf and subnormals included;
    so is backward_into's mask (test_relu_backward_into_is_backward_bit_for_bit)."""
    relu = ReLU()
    tiny = np.finfo(dtype).smallest_subnormal
    special = np.array([-0.0, 0.0, np.inf, -np.inf, tiny, -tiny, 1.0, -1.0], dtype)
    rng = np.random.default_rng(3)
    for rows in (1, 32, 200):  # 200 x 1000: past ZEROS_UP_TO, the scalar itself
        z = rng.standard_normal((rows, 1000)).astype(dtype)
        z.reshape(-1)[: 8 * 4] = np.tile(special, 4)
        z.reshape(-1)[-len(nan_payloads(dtype)) :] = nan_payloads(dtype)
        for given in (z, z[:, ::2], np.asfortranarray(z)):  # contiguous, a view, Fortran order
            got, expected = relu.quietly(given), relu(given)
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
            grad = rng.standard_normal(given.shape).astype(dtype)
            with np.errstate(invalid="ignore"):
                masked = relu.backward_into(given, got, grad, np.empty_like(grad))
                assert masked.tobytes() == relu.backward(given, expected, grad).tobytes()


def test_zeros_for_keeps_a_few_read_only_arrays_of_zeros() -> None:
    _ZEROS.clear()
    z = np.ones((4, 3), np.float32)
    zeros = zeros_for(z)
    assert zeros is not None and zeros.shape == (4, 3) and zeros.dtype == np.float32
    assert not zeros.any() and not zeros.flags.writeable
    assert zeros_for(np.ones((4, 3), np.float32)) is zeros  # kept
    assert zeros_for(np.ones((4, 3))) is not zeros  # another dtype: its own
    for rows in range(ZEROS_KEPT):  # more shapes than are kept: the kept ones let go
        zeros_for(np.ones((rows + 5, 3), np.float32))
    assert len(_ZEROS) < ZEROS_KEPT and (z.shape, z.dtype) not in _ZEROS
    assert zeros_for(z) is not zeros and not zeros_for(z).any()  # made again
    for other in (
        np.ones(ZEROS_UP_TO + 1, np.float32),  # too many numbers to keep zeros for
        np.ones((4, 3), np.int64),  # not a float array
        np.ones((4, 6), np.float32)[:, ::2],  # not contiguous
        [[1.0, 2.0]],  # not an array
    ):
        assert zeros_for(other) is None  # type: ignore[arg-type]
    _ZEROS.clear()


def test_other_activations_backward_into_is_their_backward() -> None:
    z = np.array([[-1.0, 0.5]])
    for activation in (Sigmoid(), Linear()):
        a = activation(z)
        out = np.empty_like(z)
        got = activation.backward_into(z, a, np.ones_like(z), out)
        assert got is not out
        np.testing.assert_array_equal(got, activation.backward(z, a, np.ones_like(z)))


def edge_probabilities(dtype: type) -> np.ndarray:
    """Rows of probabilities at the clip's edges: EPSILON and 1 - EPSILON as dtype rounds them,
    their neighbours, 0 and 1; each row's sum is 1 in dtype, so p = a / sum is a itself."""
    low = np.asarray(EPSILON, dtype)
    high = np.asarray(1.0 - EPSILON, dtype)
    smallest = [0.0, low, np.nextafter(low, dtype(0)), np.nextafter(low, dtype(1))]
    rows = []
    for value in smallest:
        rest = dtype(1) - dtype(value)
        rows.append([value, rest, 0.0])
    for value in (high, np.nextafter(high, dtype(0)), np.nextafter(high, dtype(2)), dtype(1)):
        rows.append([value, dtype(1) - value, 0.0])
    return np.array(rows, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "loss", [CategoricalCrossEntropy(), CategoricalCrossEntropy(reduction="sum")]
)
def test_fused_loss_gives_compute_and_fused_delta_at_the_clips_edges(
    loss: CategoricalCrossEntropy, dtype: type
) -> None:
    a = edge_probabilities(dtype)
    for column in range(3):  # the target on each column: in the clip, at it, beyond it
        y = np.zeros_like(a)
        y[:, column] = 1.0
        value, delta = loss.value_and_gradient(y, a, None, fused=True)
        assert value == loss.compute(y, a)
        assert delta.tobytes() == loss.fused_delta(y, a).tobytes()


def test_fused_loss_keeps_a_nan_row_as_compute_and_fused_delta_do() -> None:
    loss = SparseCategoricalCrossEntropy()
    a = np.array([[0.2, 0.8], [np.nan, np.nan]], np.float32)
    y = loss.prepare_targets(np.array([1, 0]), 2, np.dtype(np.float32))
    with np.errstate(invalid="ignore"):
        value, delta = loss.value_and_gradient(y, a, None, fused=True)
        expected = loss.fused_delta(y, a)
        assert np.isnan(value) and np.isnan(loss.compute(y, a))
    np.testing.assert_array_equal(delta, expected)
