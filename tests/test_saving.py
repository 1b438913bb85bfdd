"""model.save / glassnet.load_model: bit-for-bit round trips, resumed training, refusals."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import ModelFileError
from helpers import header_of, read_members, write_members


def _model(optimizer, dtype="float32", dropout=False, compiled=True):
    layers = [gn.layers.Dense(8, "tanh", kernel_regularizer=gn.regularizers.L2(1e-3))]
    if dropout:
        layers.append(gn.layers.Dropout(0.25))
    layers.append(gn.layers.Dense(3, "softmax"))
    model = gn.Sequential([gn.Input(shape=(2,)), *layers], dtype=dtype, seed=3)
    if compiled:
        model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


OPTIMIZERS = {
    "sgd": lambda: gn.SGD(0.1),
    "momentum": lambda: gn.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: gn.RMSprop(0.01, momentum=0.5, centered=True),
    "adam": lambda: gn.Adam(0.01),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_round_trip_predicts_and_resumes_bit_for_bit(tmp_path, name, dtype):
    x, y = gn.datasets.spiral(60, n_classes=3, seed=0)
    model = _model(OPTIMIZERS[name](), dtype=dtype, dropout=True)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    path = tmp_path / "m.glassnet"
    model.save(path)
    loaded = gn.load_model(path)
    assert loaded.dtype == model.dtype
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # the same shuffles, dropout masks and optimizer moments: the same trajectory
    before = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    after = loaded.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    assert before == after
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.optimizer.iterations == model.optimizer.iterations > 0


def test_uncompiled_model_round_trips(tmp_path):
    model = _model(None, compiled=False)
    model.save(tmp_path / "m.glassnet")
    loaded = gn.load_model(tmp_path / "m.glassnet")
    assert loaded.optimizer is None
    x = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_file_is_an_npz_that_numpy_reads_without_pickle(tmp_path):
    model = _model(gn.Adam())
    model.save(tmp_path / "m.glassnet")
    with np.load(tmp_path / "m.glassnet", allow_pickle=False) as archive:
        names = set(archive.files)
        header = json.loads(archive["header"].tobytes())
        kernel = archive["weights/0"]
    assert {"header", "weights/0", "weights/3", "optimizer/first_moments/0"} <= names
    assert header["format"] == "glassnet" and header["format_version"] == 1
    assert len(header["checksum"]) == 64
    np.testing.assert_array_equal(kernel, model.layers[0].kernel)


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.glassnet"
    first = _model(gn.SGD(0.1))
    first.save(path)
    old = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(OSError, match=r"disk full"):
        _model(gn.Adam()).save(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.glassnet"]  # no temporary file left behind


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "m.glassnet"
    _model(gn.Adam()).save(path)
    return path


def test_missing_file_and_directory_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match=r"No model file at .*Check the path"):
        gn.load_model(tmp_path / "nope.glassnet")
    with pytest.raises(ModelFileError, match=r"is a directory; expected a .glassnet file"):
        gn.load_model(tmp_path)
    with pytest.raises(ModelFileError, match=r"it is a directory. Give a file name"):
        _model(gn.SGD()).save(tmp_path)


def test_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "m.glassnet"
    path.write_text("hello")
    with pytest.raises(ModelFileError, match=r"too short for a glassnet model file"):
        gn.load_model(path)
    path.write_bytes(b"PK" + b"x" * 500)
    with pytest.raises(ModelFileError, match=r"does not end with glassnet's seal"):
        gn.load_model(path)


def test_any_flipped_bit_or_truncation_breaks_the_seal(saved):
    data = saved.read_bytes()
    for index in range(0, len(data), 97):  # every 97th byte: zip metadata, header and arrays
        changed = bytearray(data)
        changed[index] ^= 0x10
        saved.write_bytes(bytes(changed))
        with pytest.raises(ModelFileError):
            gn.load_model(saved)
    saved.write_bytes(data[:-1])
    with pytest.raises(ModelFileError, match=r"truncated"):
        gn.load_model(saved)
    saved.write_bytes(data)
    gn.load_model(saved)


def test_tampered_weights_fail_the_checksum(saved):
    arrays = read_members(saved)
    arrays["weights/0"][0, 0] += 1
    write_members(saved, arrays)  # a forger can recompute the seal: the deeper checks must hold
    with pytest.raises(ModelFileError, match=r"checksum mismatch"):
        gn.load_model(saved)


#: a header field changed (the keys that lead to it, its new value), and the refusal it meets
HEADER_TAMPERING = {
    "learning_rate": (
        ("compile", "optimizer", "learning_rate"),
        10.0,
        r"checksum mismatch",
    ),
    "version": (
        ("format_version",),
        99,
        r"format version 99; this glassnet .* reads version 1",
    ),
    "huge_layer": (
        ("layers", 0, "units"),
        10**12,
        r"declares .* parameters|needs .* bytes",
    ),
    "unknown_layer_kind": (
        ("layers", 0, "class_name"),
        "Lambda",
        r"describes no valid model .*Lambda",
    ),
}


@pytest.mark.parametrize(
    ("keys", "value", "message"), HEADER_TAMPERING.values(), ids=list(HEADER_TAMPERING)
)
def test_a_tampered_header_is_refused(saved, keys, value, message):
    arrays = read_members(saved)
    header = header_of(arrays)
    *path, last = keys
    field = header
    for key in path:
        field = field[key]
    field[last] = value
    write_members(saved, arrays, header)
    with pytest.raises(ModelFileError, match=message):
        gn.load_model(saved)


def test_pickled_object_array_is_refused_without_unpickling(saved):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > /dev/null",))

    arrays = read_members(saved)
    arrays["weights/0"] = np.array([Boom()], dtype=object)
    write_members(saved, arrays)
    with pytest.raises(ModelFileError, match=r"Model files never hold Python objects"):
        gn.load_model(saved)


def test_non_finite_weights_are_not_saved(tmp_path):
    model = _model(gn.SGD())
    model.layers[0].kernel[0, 0] = np.nan
    with pytest.raises(ModelFileError, match=r"holds NaN or inf .* smaller learning rate"):
        model.save(tmp_path / "m.glassnet")
    assert not (tmp_path / "m.glassnet").exists()


def test_a_model_seeded_with_a_generator_or_a_huge_seed_saves_and_loads(tmp_path):
    # a Generator as the seed made the JSON header fail (TypeError: ndarray is not serializable)
    x = np.random.default_rng(0).normal(size=(4, 2))
    for seed in (np.random.Generator(np.random.MT19937(0)), 10**50, np.int64(7)):
        model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(2, "tanh")], seed=seed)
        model.save(tmp_path / "m.glassnet")
        loaded = gn.load_model(tmp_path / "m.glassnet")
        np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
        assert loaded.seed == (7 if isinstance(seed, np.int64) else None)


def test_save_refuses_what_load_would_refuse(tmp_path):
    # a layer seed of 51 digits is a legal NumPy seed, but no header may hold it: said at save
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dropout(0.5, seed=10**50)])
    with pytest.raises(ModelFileError, match=r"its layers\[0\]\.seed is an integer of 51 digits"):
        model.save(tmp_path / "m.glassnet")
    assert list(tmp_path.iterdir()) == []


def test_initial_weights_beyond_float32_are_refused_at_build():
    # cousin of point 15: Constant(1e39) in float32 made every kernel entry inf, silently

    def make():
        return gn.layers.Dense(1, kernel_initializer=gn.initializers.Constant(1e39))

    with pytest.raises(ValueError, match=r"'dense' \(Dense\) got initial weights that are not"):
        gn.Sequential([gn.Input((2,)), make()])
    model = gn.Sequential([gn.layers.Dense(3), make()], seed=0)
    with pytest.raises(ValueError, match=r"Constant\(1e39\) in float32"):
        model.build((None, 2))
    assert not model.built and model.input_features is None
    assert not model.layers[0].built  # the whole build undone, not half of it
    wide = gn.Sequential([gn.Input((2,)), make()], dtype="float64")
    assert wide.get_weights()[0][0, 0] == 1e39
