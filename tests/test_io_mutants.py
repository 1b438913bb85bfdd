"""Model files at the edges that mutation testing found untested (issue 21, `make mutate`'s io).

Each test pins what a caller sees: a loaded model's name and weights, or a refusal with its whole
message, for files forged as a forger could write them (re-signed and re-sealed), read back from
the disk. ``tests/MUTANTS.md`` lists the mutants each one kills and the ones left as equivalent.
"""

from __future__ import annotations

import copy
import errno
import io
import json
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import io as model_io
from glassnet.io import ModelFileError
from glassnet.layers import Dense, Dropout
from helpers import header_of, read_members


def _npy(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version, allow_pickle=False)
    return buffer.getvalue()


def raw_file(path, members: dict[str, bytes]):
    """A sealed archive of raw member bytes (name without .npy -> the .npy file's bytes)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = model_io.SEAL_PREFIX + b"0" * 64
        for name, data in members.items():
            archive.writestr(name + ".npy", data)
    with open(path, "r+b") as file:
        model_io._seal(file)
    return path


def signed(arrays: dict[str, np.ndarray], header: dict) -> dict[str, bytes]:
    """Every member as .npy bytes, ``header`` re-signed over the weights."""
    body = {name: array for name, array in arrays.items() if name != "header"}
    header = dict(header, checksum=model_io._checksum(header, body))
    text = np.frombuffer(json.dumps(header).encode(), np.uint8)
    return {"header": _npy(text), **{name: _npy(array) for name, array in body.items()}}


def refusal(path) -> str:
    with pytest.raises(ModelFileError) as caught:
        gn.load_model(path)
    return str(caught.value).replace(repr(str(path)), "PATH")


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, np.ndarray]:
    """A small compiled model's members: Dense(3) on 16 inputs (weights/0 is (16, 3) float32,
    192 bytes), Dense(1)."""
    model = gn.Sequential([gn.Input((16,)), Dense(3), Dense(1)], seed=0)
    model.compile("sgd", "mse")
    path = tmp_path_factory.mktemp("io") / "m.glassnet"
    model.save(path)
    return read_members(path)


def test_save_refuses_what_load_would_refuse_naming_the_path(tmp_path) -> None:
    # a layer's seed of 51 digits: the header's integers have at most 40
    model = gn.Sequential([gn.Input((2,)), Dropout(0.5, seed=10**50), Dense(1)])
    path = tmp_path / "m.glassnet"
    with pytest.raises(ModelFileError) as caught:
        model.save(path)
    assert str(caught.value) == (
        f"Cannot save the model to {str(path)!r}: its layers[0].seed is an integer of 51 digits, "
        f"and a model file holds at most 40 (load_model could not read it back). Give it a "
        f"smaller value, e.g. seed=0."
    )
    assert not path.exists()


def test_a_loaded_model_keeps_its_name(tmp_path) -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(1)], name="house_prices", seed=0)
    path = tmp_path / "m.glassnet"
    model.save(path)
    assert gn.load_model(path).name == "house_prices"


def test_a_float32_model_of_twenty_thousand_weights_loads_bit_for_bit(tmp_path) -> None:
    # its weights take 4 bytes each: the file (about 80 kB) is less than 8 bytes a weight, and
    # the bound "the weights cannot take more bytes than the file" must use float32's 4
    model = gn.Sequential([gn.Input((199,)), Dense(100)], seed=0)  # 19,900 + 100 weights
    path = tmp_path / "m.glassnet"
    model.save(path)
    assert path.stat().st_size < 8 * 20_000
    loaded = gn.load_model(path)
    for old, new in zip(model.get_weights(), loaded.get_weights(), strict=True):
        assert new.dtype == np.float32
        np.testing.assert_array_equal(old, new)


def _with_units(saved: dict, units: int, name: str = "m") -> dict[str, bytes]:
    """``saved`` with the first Dense forged to ``units`` units (its arrays left as they are)."""
    header = copy.deepcopy(header_of(saved))
    header["layers"][0]["units"] = units
    header["name"] = name
    return signed(saved, header)


def test_an_architecture_larger_than_the_file_is_refused_before_allocating(tmp_path, saved) -> None:
    # Dense(300) on 16 inputs, then Dense(1): 16 * 300 + 300 + 300 + 1 = 5401 float32
    # parameters, 21,604 bytes, in a file of about 2.7 kB (more than 5401 / 4)
    path = raw_file(tmp_path / "big.glassnet", _with_units(saved, 300))
    size = path.stat().st_size
    assert 5401 / 4 < size < 5401 * 4
    assert refusal(path) == (
        f"PATH: the architecture declares 5401 parameters, more than the file's {size} bytes "
        f"can hold; it is truncated or its header was changed."
    )


def test_an_architecture_exactly_as_large_as_the_file_passes_that_bound(tmp_path, saved) -> None:
    # the bound refuses more parameter bytes than the file has, not as many: a header whose
    # parameters take exactly the file's size goes on to the members (which do not match it).
    # Dense(u) on 16 inputs, then Dense(1): 18u + 1 float32 parameters; the model's name (one
    # byte a character in the header) pads the file to exactly 4 (18u + 1) bytes
    path = tmp_path / "exact.glassnet"
    units = 5
    while True:
        raw_file(path, _with_units(saved, units))
        pad = 4 * (18 * units + 1) - path.stat().st_size
        if pad >= 0:
            break
        units += 1
    raw_file(path, _with_units(saved, units, "m" * (1 + pad)))
    assert path.stat().st_size == 4 * (18 * units + 1)
    assert refusal(path) == (
        f"The weights/0 array has shape (16, 3), but the architecture expects (16, {units})."
    )


def test_a_forged_input_shape_of_two_sizes_is_refused(tmp_path, saved) -> None:
    header = copy.deepcopy(header_of(saved))
    header["input_shape"] = [4, 4]  # 16 = input_features, but not (height, width, channels)
    path = raw_file(tmp_path / "f.glassnet", signed(saved, header))
    assert refusal(path) == (
        "PATH: the header's input_shape must be [height, width, channels], positive integers "
        "whose product is input_features (16), found [4, 4]."
    )


def test_a_header_member_that_is_not_bytes_is_refused(tmp_path, saved) -> None:
    raw = signed(saved, header_of(saved))
    text = np.lib.format.read_array(io.BytesIO(raw["header"]))
    raw["header"] = _npy(text.astype(np.float32))
    assert refusal(raw_file(tmp_path / "f.glassnet", raw)) == (
        "PATH: the header must be uint8 bytes, found float32."
    )


def test_an_npy_version_glassnet_does_not_read_is_named(tmp_path, saved) -> None:
    raw = signed(saved, header_of(saved))
    raw["weights/1"] = _npy(saved["weights/1"], version=(3, 0))  # NumPy's utf-8 header
    assert refusal(raw_file(tmp_path / "f.glassnet", raw)) == (
        "The weights/1 array is not a valid .npy array (unsupported .npy version (3, 0))."
    )


def test_a_member_declaring_more_bytes_than_it_stores_is_refused_before_reading(
    tmp_path, saved
) -> None:
    raw = signed(saved, header_of(saved))
    kernel = raw["weights/0"]  # (16, 3) float32: a 128-byte .npy header and 192 bytes
    assert len(kernel) == 128 + 192
    raw["weights/0"] = kernel[:128]  # the header alone
    assert refusal(raw_file(tmp_path / "f.glassnet", raw)) == (
        "The weights/0 array declares (16, 3) of float32, more than its 128 stored bytes: the "
        "file is truncated or corrupt."
    )
    # stored exactly as many bytes as its data needs (192 = 128 + 64): not "more than", so the
    # member is read, and found short
    raw["weights/0"] = kernel[: 128 + 64]
    assert refusal(raw_file(tmp_path / "f.glassnet", raw)) == (
        "The weights/0 array should hold 192 bytes, found 64: the file is truncated or corrupt."
    )


def test_a_disk_error_while_reading_a_member_is_said_in_words(tmp_path, saved, monkeypatch) -> None:
    path = raw_file(tmp_path / "m.glassnet", signed(saved, header_of(saved)))
    assert gn.load_model(path).count_params() == 55

    def failing_read(self, n=-1):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(zipfile.ZipExtFile, "read", failing_read)
    assert refusal(path) == "Could not read the model file PATH: [Errno 5] Input/output error."
