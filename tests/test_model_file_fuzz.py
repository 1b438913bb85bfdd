"""Model files are hostile input: fuzz ``glassnet.load_model``.

A small saved model is truncated at every byte, has every byte flipped, gets another model's
header, a pickled object, absurd declared shapes, a deeply nested header: every case is refused
with ``ModelFileError`` (a ``ValueError``), quickly and within bounded memory, or (for a change
that touches nothing that matters, such as a zip timestamp) loads the very same model. A save
killed by SIGKILL midway leaves the previous file intact and loadable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import io as model_io
from glassnet.io import ModelFileError
from helpers import header_of, read_members, write_members

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def small_model(seed: int = 0, units: int = 3) -> gn.Sequential:
    model = gn.Sequential(
        [gn.Input((2,)), gn.layers.Dense(units, "tanh"), gn.layers.Dense(1, "sigmoid")], seed=seed
    )
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(X, np.array([0, 1, 1, 0]), epochs=2, verbose=0)
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[bytes, np.ndarray]:
    path = tmp_path_factory.mktemp("fuzz") / "small.glassnet"
    model = small_model()
    model.save(path)
    return path.read_bytes(), model.predict(X)


def signed(header: dict, arrays: dict[str, np.ndarray]) -> dict:
    """``header`` with a checksum that matches: the loader's deeper checks must still hold."""
    header = dict(header)
    body = {name: array for name, array in arrays.items() if name != "header"}
    header["checksum"] = model_io._checksum(header, body)
    return header


def refused_or_same(path: Path, expected: np.ndarray) -> str:
    """'refused' for a ModelFileError; 'same' when it loads the very same model; else fail."""
    try:
        model = gn.load_model(path)
    except ModelFileError as error:
        assert str(error) and "\n" not in str(error)
        return "refused"
    assert model.predict(X).tobytes() == expected.tobytes()
    return "same"


def test_truncated_at_every_byte_is_refused(saved, tmp_path) -> None:
    content, _ = saved
    path = tmp_path / "cut.glassnet"
    start = time.perf_counter()
    for size in range(len(content)):
        path.write_bytes(content[:size])
        with pytest.raises(ModelFileError):
            gn.load_model(path)
    assert time.perf_counter() - start < 30, "each refusal must be quick"


def test_every_flipped_byte_is_refused_or_harmless(saved, tmp_path) -> None:
    content, expected = saved
    path = tmp_path / "flipped.glassnet"
    outcomes = {"refused": 0, "same": 0}
    unexpected: dict[str, list[int]] = {}
    for index in range(len(content)):
        damaged = bytearray(content)
        damaged[index] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            outcomes[refused_or_same(path, expected)] += 1
        except Exception as error:  # anything but ModelFileError is a failure of the loader
            unexpected.setdefault(repr(error), []).append(index)
    # the file's SHA-256 seal covers every byte, zip timestamps and .npy padding included
    assert unexpected == {}
    assert outcomes == {"refused": len(content), "same": 0}


def test_another_models_header_is_refused(saved, tmp_path) -> None:
    content, _ = saved
    ours = read_members(content)
    other_path = tmp_path / "other.glassnet"
    small_model(seed=1).save(other_path)
    theirs = read_members(other_path)
    wider_path = tmp_path / "wider.glassnet"
    small_model(seed=1, units=5).save(wider_path)
    wider = read_members(wider_path)
    cases = {
        "same architecture, other weights": write_members(
            tmp_path / "a.glassnet", ours, header_of(theirs)
        ),
        "other architecture": write_members(tmp_path / "b.glassnet", ours, header_of(wider)),
        "other architecture, re-signed": write_members(
            tmp_path / "c.glassnet", ours, signed(header_of(wider), ours)
        ),
    }
    for what, path in cases.items():
        with pytest.raises(ModelFileError, match=r"checksum mismatch|does not match|expects"):
            gn.load_model(path)
        assert what


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda h: h | {"format": "keras"}, r"is not a glassnet model file"),
        (lambda h: h | {"format_version": 99}, r"has format version 99; this glassnet .* reads"),
        (lambda h: h | {"dtype": "object"}, r"dtype must be float32 or float64, got 'object'"),
        (lambda h: h | {"layers": "Dense"}, r"header field 'layers' should be a list"),
        (lambda h: h | {"layers": [{"class_name": "Lambda"}]}, r"describes no valid model"),
        (
            lambda h: h | {"layers": [{"class_name": "Dense", "units": 2, "activation": "eval"}]},
            r"describes no valid model",
        ),
        (lambda h: h | {"input_features": -1}, r"input_features must be positive"),
        (lambda h: h | {"weights": 7}, r"weight arrays but the header lists 7"),
        (lambda h: h | {"compile": {"slots": 3}}, r"compile settings are malformed"),
        (
            lambda h: h | {"rng": {"bit_generator": "MT19937"}},
            r"random state 'rng' is not a PCG64 state",
        ),
    ],
)
def test_a_changed_header_is_refused_even_when_re_signed(saved, tmp_path, change, pattern) -> None:
    content, _ = saved
    arrays = read_members(content)
    path = write_members(
        tmp_path / "changed.glassnet", arrays, signed(change(header_of(arrays)), arrays)
    )
    with pytest.raises(ModelFileError, match=pattern):
        gn.load_model(path)


def test_a_header_that_is_not_json_is_refused(saved, tmp_path) -> None:
    content, _ = saved
    arrays = read_members(content)
    for raw in (b"\xff\xfe not json", b"null", b"[]", b'{"format": "glassnet"'):
        arrays["header"] = np.frombuffer(raw, np.uint8)
        with pytest.raises(ModelFileError):
            gn.load_model(write_members(tmp_path / "header.glassnet", arrays))


def test_a_header_nested_too_deeply_is_refused(saved, tmp_path) -> None:
    content, _ = saved
    arrays = read_members(content)
    arrays["header"] = np.frombuffer(b"[" * 100_000 + b"]" * 100_000, np.uint8)
    path = write_members(tmp_path / "deep.glassnet", arrays)
    with pytest.raises(ModelFileError):
        gn.load_model(path)


def test_a_pickled_object_is_never_unpickled(saved, tmp_path) -> None:
    content, _ = saved
    arrays = read_members(content)
    marker = tmp_path / "pwned"

    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    hostile = np.empty(1, dtype=object)
    hostile[0] = Boom()
    for name in ("weights/0", "header", "optimizer/first_moments/0"):
        changed = dict(arrays)
        changed[name] = hostile
        path = write_members(tmp_path / f"pickle-{name.replace('/', '-')}.glassnet", changed)
        with pytest.raises(ModelFileError, match=r"dtype object|Python objects|header"):
            gn.load_model(path)
    extra = write_members(tmp_path / "extra.glassnet", arrays | {"payload": hostile})
    with pytest.raises(ModelFileError, match=r"unexpected: \['payload\.npy'\]"):
        gn.load_model(extra)
    # an .npz made by np.savez with a pickled object: refused too
    plain = tmp_path / "savez.glassnet"
    with open(plain, "wb") as file:
        np.savez(file, header=arrays["header"], payload=hostile)
    with pytest.raises(ModelFileError):
        gn.load_model(plain)
    assert not marker.exists()


def npy_declaring(shape: tuple[int, ...], dtype: str = "<f4", data: bytes = b"") -> bytes:
    """A .npy member whose header declares ``shape`` but holds only ``data``."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    text = repr(header).encode()
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


def test_huge_declared_array_shapes_are_refused_without_allocating(saved, tmp_path) -> None:
    content, _ = saved
    arrays = read_members(content)
    for shape in [(10**12,), (2, 3), (3, 10**9), (2**62, 2**62)]:
        path = write_members(
            tmp_path / "huge.glassnet",
            {k: v for k, v in arrays.items() if k != "weights/0"},
            seal=False,
        )
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("weights/0.npy", npy_declaring(shape, data=b"\0" * 24))
            archive.comment = model_io.SEAL_PREFIX + b"0" * 64
        with open(path, "r+b") as file:
            model_io._seal(file)
        start = time.perf_counter()
        with pytest.raises(ModelFileError):
            gn.load_model(path)
        assert time.perf_counter() - start < 1


HOSTILE_ARCHITECTURE = textwrap.dedent(
    """
    import json, resource, sys, zipfile
    import numpy as np
    import glassnet as gn
    from glassnet import io as model_io
    from glassnet.io import ModelFileError

    # at most 1 GiB of address space beyond what is mapped now: a loader that allocates what
    # a hostile header declares dies here instead of swapping the machine
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (mapped + (1 << 30), hard))
    source, target, features, units = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with zipfile.ZipFile(source) as archive:
        header = json.loads(np.load(archive.open("header.npy")).tobytes())
        members = {n: archive.read(n) for n in archive.namelist() if n != "header.npy"}
    header["input_features"] = features
    header["layers"][0]["units"] = units
    header["layers"][1]["units"] = 1
    with zipfile.ZipFile(target, "w") as archive:
        archive.comment = model_io.SEAL_PREFIX + b"0" * 64
        text = np.frombuffer(json.dumps(header).encode(), np.uint8)
        with archive.open("header.npy", "w") as member:
            np.lib.format.write_array(member, text)
        for name, data in members.items():
            archive.writestr(name, data)
    with open(target, "r+b") as file:
        model_io._seal(file)  # forged like a real file: the seal alone must not be the defence
    try:
        gn.load_model(target)
    except ModelFileError as error:
        print("refused:", error)
    """
)


@pytest.mark.parametrize(
    ("features", "units"),
    [(10**6, 10**6), (10**15, 4), (40_000, 40_000), (20_000, 20_000), (2, 10**8)],
)
def test_huge_declared_architectures_are_refused_in_bounded_memory(
    saved, tmp_path, features, units
) -> None:
    content, _ = saved
    source = tmp_path / "source.glassnet"
    source.write_bytes(content)
    target, sizes = tmp_path / "big.glassnet", (str(features), str(units))
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", HOSTILE_ARCHITECTURE, str(source), str(target), *sizes],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("refused:"), result.stdout
    assert time.perf_counter() - start < 20


SAVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import glassnet as gn

    path = sys.argv[1]
    model = gn.Sequential([gn.Input((1000,)), gn.layers.Dense(1000), gn.layers.Dense(1)], seed=0)
    model.compile("adam", "mse")
    weights = model.get_weights()
    generation = 0
    while True:
        generation += 1
        model.set_weights([np.full_like(w, generation) for w in weights])
        print("start", generation, flush=True)
        model.save(path)
        print("done", generation, flush=True)
    """
)


def test_a_save_killed_midway_leaves_the_previous_file_intact(tmp_path) -> None:
    path = tmp_path / "big.glassnet"
    rng = np.random.default_rng(0)
    interrupted = 0
    for attempt in range(6):
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True
        )
        try:
            while saver.stdout.readline().split() != ["done", "1"]:
                pass
            started = int(saver.stdout.readline().split()[1])  # a later save has begun
            deadline = time.monotonic() + 10
            while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
                if time.monotonic() > deadline:  # pragma: no cover - a very slow machine
                    break
            time.sleep(rng.uniform(0.0, 0.01))  # somewhere inside the write
        finally:
            saver.send_signal(signal.SIGKILL)
            saver.wait(timeout=30)
        temporary = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        interrupted += bool(temporary)
        for leftover in temporary:  # what a crash leaves: a stray temporary file, never more
            assert leftover.name.startswith(".big.glassnet.")
            leftover.unlink()
        model = gn.load_model(path)  # the last complete file, whole
        kernel = model.get_weights()[0]
        assert kernel.shape == (1000, 1000)
        assert np.all(kernel == kernel[0, 0]), attempt
        assert kernel[0, 0] in (started - 1, started), (attempt, kernel[0, 0], started)
    assert interrupted >= 3, f"only {interrupted} of 6 kills landed inside a write"
    assert [p.name for p in tmp_path.iterdir()] == ["big.glassnet"]


def test_not_a_model_file_at_all(tmp_path) -> None:
    cases = {
        "empty.glassnet": b"",
        "text.glassnet": b"hello, this is not a zip",
        "png.glassnet": b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ModelFileError, match=r"(is not|too short for) a glassnet model file"):
            gn.load_model(tmp_path / name)
    with pytest.raises(ModelFileError, match=r"is a directory; expected a \.glassnet file"):
        gn.load_model(tmp_path)
    with pytest.raises(ModelFileError, match=r"No model file at .*Check the path"):
        gn.load_model(tmp_path / "missing.glassnet")
    assert issubclass(ModelFileError, ValueError)
