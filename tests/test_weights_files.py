"""model.save_weights / model.load_weights (issue 19, "Names and model API"): the model files' safe
format, the .weights.glassnet suffix (as Keras 3 insists on .weights.h5), atomic writes, and
every hostile file refused with nothing changed."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests.helpers import header_of, read_members, write_members

import glassnet as gn
from glassnet import io as model_io
from glassnet._files import ModelFileError


def network(dtype: str = "float32", seed: int = 0, units: int = 4) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Input(shape=(3,)),
            gn.layers.Dense(units, activation="relu"),
            gn.layers.BatchNormalization(),
            gn.layers.Dense(1),
        ],
        seed=seed,
        dtype=dtype,
    )


def same(a: gn.Sequential, b: gn.Sequential) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_bit_for_bit(tmp_path, dtype):
    model = network(dtype)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3))
    model.fit(x, x[:, :1], epochs=2, verbose=0)  # moving statistics move too
    path = tmp_path / "model.weights.glassnet"
    model.save_weights(path)
    other = network(dtype, seed=1)
    assert not same(model, other)
    other.load_weights(str(path))
    assert same(model, other)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    # the layers' names need not match (Keras matches by order too), only kinds and shapes
    renamed = gn.Sequential(
        [
            gn.Input(shape=(3,)),
            gn.layers.Dense(4, activation="relu", name="a"),
            gn.layers.BatchNormalization(name="b"),
            gn.layers.Dense(1, name="c"),
        ],
        dtype=dtype,
    )
    renamed.load_weights(path)
    assert same(model, renamed)


def test_file_is_a_sealed_npz_with_a_header(tmp_path):
    path = tmp_path / "m.weights.glassnet"
    network().save_weights(path)
    members = read_members(path)
    header = header_of(members)
    assert header["format"] == "glassnet-weights" and header["weights"] == 8
    assert [layer["class_name"] for layer in header["layers"]] == [
        "Dense",
        "BatchNormalization",
        "Dense",
    ]
    assert set(members) == {"header"} | {f"weights/{i}" for i in range(8)}
    assert path.read_bytes()[-80:-64] == model_io.SEAL_PREFIX


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("model.weights.h5", "model.weights.glassnet"),
        ("model.h5", "model.weights.glassnet"),
        ("model.keras", "model.weights.glassnet"),
        ("model.glassnet", "model.weights.glassnet"),
        ("model.npz", "model.weights.glassnet"),
        ("model", "model.weights.glassnet"),
        (".weights.glassnet", "model.weights.glassnet"),
        ("<b>x</b>.weights", "<b>x</b>.weights.glassnet"),
    ],
)
def test_the_suffix_is_weights_glassnet(tmp_path, name, suggestion):
    model = network()
    message = (
        r"A weights file's name must end in '\.weights\.glassnet'.*Keras 3 asks for "
        r"'\.weights\.h5'; glassnet writes its own safe format.* Use e\.g\. '.*"
        + suggestion.replace(".", r"\.")
    )
    with pytest.raises(ModelFileError, match=message):
        model.save_weights(tmp_path / name)
    with pytest.raises(ModelFileError, match=message):
        model.load_weights(tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_suffix_is_case_insensitive(tmp_path):
    model = network()
    model.save_weights(tmp_path / "M.WEIGHTS.GLASSNET")
    network(seed=2).load_weights(tmp_path / "M.WEIGHTS.GLASSNET")


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.glassnet"
    network().save_weights(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("glassnet._weights_files._write_archive", crash)
    with pytest.raises(OSError, match="disk full"):
        network(seed=5).save_weights(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.weights.glassnet"]  # no temporary file left


def test_refuses_to_overwrite_what_is_not_a_glassnet_file(tmp_path):
    path = tmp_path / "notes.weights.glassnet"
    path.write_text("my notes")
    with pytest.raises(ModelFileError, match=r"that file exists and is not a glassnet model"):
        network().save_weights(path)
    assert path.read_text() == "my notes"
    folder = tmp_path / "dir.weights.glassnet"
    folder.mkdir()
    with pytest.raises(ModelFileError, match="directory"):
        network().save_weights(folder)


def test_diverged_weights_are_not_saved(tmp_path):
    model = gn.Sequential([gn.Input(shape=(1,)), gn.layers.Dense(1)], seed=0)
    model.layers[0].kernel[...] = np.nan
    with pytest.raises(ModelFileError, match=r"weight array 0 holds NaN or inf"):
        model.save_weights(tmp_path / "m.weights.glassnet")
    assert os.listdir(tmp_path) == []


# -- loading hostile files: a clear error, and the model unchanged -------------------------------
def refused(model: gn.Sequential, path: Path | str, message: str) -> None:
    before = model.get_weights()
    with pytest.raises(ModelFileError, match=message):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_load_refuses_a_fifo_a_folder_and_a_missing_file(tmp_path):
    fifo = tmp_path / "pipe.weights.glassnet"
    os.mkfifo(fifo)
    refused(network(), fifo, r"is a named pipe \(FIFO\), not a regular file")
    folder = tmp_path / "dir.weights.glassnet"
    folder.mkdir()
    refused(network(), folder, r"is a directory")
    refused(network(), tmp_path / "none.weights.glassnet", r"No model file at")


@pytest.mark.parametrize("keep", [0, 10, 100, 1000, -65, -1])
def test_load_refuses_a_truncated_file(tmp_path, keep):
    path = tmp_path / "m.weights.glassnet"
    network().save_weights(path)
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    refused(network(seed=3), path, r"truncated|too short|seal")


def test_load_refuses_a_flipped_byte(tmp_path):
    path = tmp_path / "m.weights.glassnet"
    network().save_weights(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    refused(network(seed=3), path, r"seal does not match")


def test_load_refuses_another_architecture(tmp_path):
    path = tmp_path / "m.weights.glassnet"
    network(units=4).save_weights(path)
    refused(
        network(units=5),
        path,
        r"holds the weights of another architecture: dense \(Dense\) \[3, 4\] \[4\], .*; this "
        r"model is dense \(Dense\) \[3, 5\] \[5\], .*Load it into a model built as the one",
    )
    other_kinds = gn.Sequential([gn.Input(shape=(3,)), gn.layers.Dense(4), gn.layers.Dense(1)])
    refused(other_kinds, path, r"another architecture")


def test_load_refuses_a_whole_model_file(tmp_path):
    model_file = tmp_path / "m.glassnet"
    network().save(model_file)
    renamed = tmp_path / "m.weights.glassnet"
    os.replace(model_file, renamed)
    refused(network(seed=3), renamed, r"is a whole glassnet model file, not a weights file")


def test_load_into_an_unbuilt_model_says_how_to_build_it(tmp_path):
    path = tmp_path / "m.weights.glassnet"
    network().save_weights(path)
    with pytest.raises(ValueError, match=r"The model is not built yet"):
        gn.Sequential([gn.layers.Dense(4)]).load_weights(path)


def forged(tmp_path: Path, change) -> Path:
    """A weights file taken apart, changed by ``change(members, header)``, and resealed (with the
    checksum recomputed, as a deliberate forger would)."""
    path = tmp_path / "m.weights.glassnet"
    network().save_weights(path)
    members = read_members(path)
    header = header_of(members)
    del members["header"]
    change(members, header)
    header["checksum"] = model_io._checksum(
        {k: v for k, v in header.items() if k != "checksum"}, members
    )
    out = tmp_path / "forged.weights.glassnet"
    return write_members(out, members, header)


def test_load_refuses_forged_files(tmp_path):
    def nan(members, header):
        members["weights/0"] = np.full_like(members["weights/0"], np.nan)

    refused(network(seed=3), forged(tmp_path, nan), r"kernel must be finite real numbers")

    def negative_variance(members, header):
        members["weights/5"] = -np.ones_like(members["weights/5"])

    refused(network(seed=3), forged(tmp_path, negative_variance), r"moving_variance must be >= 0")

    def too_large(members, header):
        members["weights/0"] = np.full(members["weights/0"].shape, 1e39)

    refused(network(seed=3), forged(tmp_path, too_large), r"too large for float32")

    def integers(members, header):
        members["weights/0"] = members["weights/0"].astype(np.int64)

    refused(network(seed=3), forged(tmp_path, integers), r"weights/0 must hold floats, found int64")

    def extra_member(members, header):
        members["weights/99"] = np.zeros(1)

    refused(network(seed=3), forged(tmp_path, extra_member), r"members do not match its header")

    def huge_shape(members, header):
        header["layers"][0]["shapes"] = [[10**9, 10**9], [4]]

    refused(network(seed=3), forged(tmp_path, huge_shape), r"another architecture")

    def markup(members, header):
        header["format"] = "<script>alert(1)</script>"

    refused(network(seed=3), forged(tmp_path, markup), r"is not a glassnet weights file")

    def version(members, header):
        header["format_version"] = 99

    refused(network(seed=3), forged(tmp_path, version), r"weights format version 99")


def test_a_float64_file_loads_into_a_float32_model(tmp_path):
    path = tmp_path / "m.weights.glassnet"
    wide = network("float64")
    wide.save_weights(path)
    narrow = network("float32", seed=4)
    narrow.load_weights(path)
    for a, b in zip(narrow.get_weights(), wide.get_weights(), strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b.astype(np.float32))


def test_load_model_of_a_weights_file_says_what_it_is(tmp_path):
    path = tmp_path / "m.weights.glassnet"
    network().save_weights(path)
    with pytest.raises(ModelFileError, match=r"holds weights only \(model\.save_weights\), not a"):
        gn.load_model(path)


def test_overwrite_and_skip_mismatch_as_keras_spells_them(tmp_path):
    path = tmp_path / "m.weights.glassnet"
    network().save_weights(path, overwrite=False)  # a new file: written
    before = path.read_bytes()
    with pytest.raises(ModelFileError, match=r"exists and overwrite=False: the weights were not"):
        network(seed=3).save_weights(path, overwrite=False)
    assert path.read_bytes() == before
    with pytest.raises(TypeError, match=r"expected overwrite=True or False, got str 'no'"):
        network().save_weights(path, overwrite="no")  # before: "got str." without the value
    assert path.read_bytes() == before
    network(seed=3).save_weights(path, overwrite=np.True_)  # NumPy's True, as training= takes
    assert path.read_bytes() != before
    path.write_bytes(before)
    network(seed=3).save_weights(path, overwrite=True)
    assert path.read_bytes() != before
    with pytest.raises(ValueError, match=r"load_weights\(skip_mismatch=True\): glassnet loads"):
        network().load_weights(path, skip_mismatch=True)
    network().load_weights(path, skip_mismatch=False)


def test_model_checkpoint_saves_weights_only_as_keras(tmp_path):
    model = network()
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 3))
    pattern = str(tmp_path / "ckpt-{epoch:02d}.weights.glassnet")
    checkpoint = gn.ModelCheckpoint(pattern, monitor="loss", save_weights_only=True)
    model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01.weights.glassnet", "ckpt-02.weights.glassnet"]
    fresh = network(seed=7)
    fresh.load_weights(tmp_path / "ckpt-02.weights.glassnet")
    assert same(fresh, model)
    with pytest.raises(ModelFileError, match=r"A weights file's name must end in "):
        gn.ModelCheckpoint(str(tmp_path / "best.weights.h5"), save_weights_only=True)
    with pytest.raises(ModelFileError, match=r"Refusing to save a glassnet model as"):
        gn.ModelCheckpoint(str(tmp_path / "best.h5"))


def test_model_checkpoint_refuses_a_weights_name_for_a_whole_model_and_non_bool_flags(tmp_path):
    # before: ModelCheckpoint("w.weights.glassnet") wrote whole models under a weights name
    # (Keras 3 refuses .weights.h5 without save_weights_only), and save_weights_only="no" was
    # truthy, so weights only
    with pytest.raises(ValueError, match=r"a name ending in '\.weights\.glassnet' is for weights"):
        gn.ModelCheckpoint(str(tmp_path / "w.weights.glassnet"))
    for flag in ("save_weights_only", "save_best_only"):
        with pytest.raises(TypeError, match=rf"expects {flag}=True or False, got str 'no'"):
            gn.ModelCheckpoint(str(tmp_path / "w.weights.glassnet"), **{flag: "no"})
    assert os.listdir(tmp_path) == []
    gn.ModelCheckpoint(str(tmp_path / "w.weights.glassnet"), save_weights_only=np.True_)
