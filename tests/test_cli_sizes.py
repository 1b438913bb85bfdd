"""Sizes (issue 14, point 13): a layer, a data set or a network too big for memory is refused
before anything is allocated, with the number of bytes, on the command line and in the Python
API; float32 weights are drawn without a float64 copy of their full size, to the same bits."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers
from helpers import run_cli


def test_dense_of_a_billion_units_refuses_with_the_bytes_before_allocating() -> None:
    model = gn.Sequential([gn.Input(shape=(2,))])
    with pytest.raises(ValueError) as error:
        model.add(gn.layers.Dense(10**9))  # builds: the kernel (2, 10**9) in float32
    # the numbers: 2 * 10**9 float32 values, as Sequential.add(Dense(10**9)) printed them
    assert str(error.value).startswith(
        "weights of shape (2, 1000000000) in float32 would take about 7.5 GiB (8,000,000,000 "
        "bytes), more than glassnet allows: "
    )
    assert "raise glassnet.initializers.MAX_ALLOCATION_BYTES" in str(error.value)


@pytest.mark.parametrize(
    "initializer",
    [
        initializers.Zeros(),
        initializers.Constant(0.5),
        initializers.RandomUniform(),
        initializers.RandomUniform(seed=1),
        initializers.GlorotUniform(),
        initializers.HeNormal(),
    ],
    ids=lambda init: init.name,
)
def test_every_initializer_checks_the_size_first(initializer) -> None:
    with pytest.raises(ValueError, match=r"^weights of shape \(100000, 100000\) in float64"):
        initializer((100_000, 100_000), np.float64, np.random.default_rng(0))


def test_the_limit_is_a_documented_setting(monkeypatch) -> None:
    assert initializers.memory_limit() <= initializers.MAX_ALLOCATION_BYTES == 4 * 2**30
    monkeypatch.setattr(initializers, "MAX_ALLOCATION_BYTES", 1000)
    with pytest.raises(ValueError, match=r"more than glassnet allows: 0\.0 GiB"):
        initializers.Zeros()((100, 100), np.float32, None)
    assert initializers.Zeros()((10, 10), np.float32, None).shape == (10, 10)


@pytest.mark.parametrize("make", [initializers.GlorotUniform, initializers.RandomUniform])
@pytest.mark.parametrize("seeded", [False, True])
def test_float32_weights_drawn_in_chunks_are_the_same_bits(make, seeded) -> None:
    # more values than one chunk, so the chunked path runs; the reference is the old one-shot draw
    shape = (3, initializers._CHUNK + 5)
    ours = (
        make(seed=7)((shape), np.float32, None)
        if seeded
        else make()(shape, np.float32, np.random.default_rng(7))
    )
    if make is initializers.GlorotUniform:
        limit = np.sqrt(6.0 / sum(shape))
        reference = np.random.default_rng(7).uniform(-limit, limit, size=shape)
    elif seeded:  # RandomUniform's own seed draws from NumPy's legacy RandomState
        reference = np.random.RandomState(7).uniform(-0.05, 0.05, size=shape)
    else:
        reference = np.random.default_rng(7).uniform(-0.05, 0.05, size=shape)
    assert ours.dtype == np.float32 and ours.shape == shape
    np.testing.assert_array_equal(ours, reference.astype(np.float32))


def test_a_seeded_initializer_continues_its_stream_across_chunks() -> None:
    init = initializers.RandomUniform(0.0, 1.0, seed=3)
    first = init((2, initializers._CHUNK), np.float32, None)
    second = init((4, 1), np.float32, None)
    legacy = np.random.RandomState(3)
    np.testing.assert_array_equal(
        first, legacy.uniform(0, 1, (2, initializers._CHUNK)).astype("f4")
    )
    np.testing.assert_array_equal(second, legacy.uniform(0, 1, (4, 1)).astype("f4"))


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (
            ["--data", "xor", "--layers", "1000000000"],
            "glassnet train: error: a network of 5,000,000,001 parameters, trained with its "
            "gradients, optimizer state and activations, would take about 152.7 GiB "
            "(164,000,000,276 bytes)",
        ),
        (
            ["--data", "moons", "--samples", str(10**11)],
            "glassnet train: error: n_samples=100,000,000,000: the arrays for that many examples",
        ),
        (
            ["--data", "moons", "--layers", "30000,30000"],
            "glassnet train: error: a network of 900,150,001 parameters",
        ),
    ],
)
def test_train_refuses_sizes_beyond_memory_in_one_line(capsys, argv, start) -> None:
    # the numbers are what `glassnet train --data xor --layers 1000000000` printed
    code, out, err = run_cli(["train", *argv, "--epochs", "1"], capsys)
    assert code == 2
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith(start), err
