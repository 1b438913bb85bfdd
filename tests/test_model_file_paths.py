"""Where model files go: what ``model.save`` refuses to write over, what ``load_model`` refuses to
open, and the modes and names of what it writes (issue 14, points 5, 6 and 9, and their cousins).

Every refusal leaves the target exactly as it was, and leaves no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import ModelFileError

X = np.array([[0.0, 0.0], [1.0, 1.0]])


def model() -> gn.Sequential:
    net = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    net.compile("adam", "binary_crossentropy")
    return net


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- point 5: non-regular targets ------------------------------------------------------------
def test_save_refuses_a_fifo_and_leaves_it_a_fifo(tmp_path) -> None:
    fifo = tmp_path / "m.glassnet"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match=r"it is a named pipe \(FIFO\), not a regular file"):
        model().save(fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # os.replace used to swap it for a file
    assert files(tmp_path) == ["m.glassnet"]


def test_save_refuses_a_device_node_and_leaves_it_alone(tmp_path) -> None:
    # as root, model.save("/dev/null") used to replace /dev/null with a regular file. The test
    # makes its own copy of that device (1, 3) rather than risk the machine's on a regression.
    null = tmp_path / "null.glassnet"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    with pytest.raises(ModelFileError, match=r"it is a character device, not a regular file"):
        model().save(null)
    info = os.stat(null)
    assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)
    link = tmp_path / "link.glassnet"  # through a symbolic link: the same refusal
    link.symlink_to(null)
    with pytest.raises(ModelFileError, match=r"character device"):
        model().save(link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat(null).st_mode)
    assert files(tmp_path) == ["link.glassnet", "null.glassnet"]


def test_save_refuses_a_socket(tmp_path) -> None:
    import socket

    path = tmp_path / "s.glassnet"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(ModelFileError, match=r"it is a socket, not a regular file"):
            model().save(path)
        assert stat.S_ISSOCK(os.stat(path).st_mode)


def test_save_refuses_a_directory_and_a_name_that_is_a_folder(tmp_path) -> None:
    with pytest.raises(ModelFileError, match=r"it is a directory. Give a file name"):
        model().save(tmp_path)
    for name in (str(tmp_path) + "/", str(tmp_path / ".."), str(tmp_path / ".")):
        with pytest.raises(ModelFileError, match=r"names a folder|is a directory"):
            model().save(name)


# -- point 5: permissions and modes ----------------------------------------------------------
def test_a_read_only_file_is_not_replaced_even_by_root(tmp_path) -> None:
    path = tmp_path / "m.glassnet"
    model().save(path)
    content = path.read_bytes()
    path.chmod(0o444)
    # this suite runs as root, who may write anything: glassnet still honours the write bits
    with pytest.raises(ModelFileError, match=r"read-only \(mode 0o444\).*chmod u\+w"):
        model().save(path)
    assert path.read_bytes() == content and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert files(tmp_path) == ["m.glassnet"]
    path.chmod(0o644)
    model().save(path)  # writable again: replaced


def test_a_new_file_gets_the_umasks_mode_and_a_replaced_one_keeps_its_own(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "m.glassnet"
        model().save(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # mkstemp's 0600 before
        os.umask(0o077)
        other = tmp_path / "private.glassnet"
        model().save(other)
        assert stat.S_IMODE(other.stat().st_mode) == 0o600
        path.chmod(0o640)
        model().save(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640  # kept, whatever the umask
        path.chmod(0o664)
        model().save(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_a_replaced_file_keeps_its_owner(tmp_path) -> None:
    path = tmp_path / "m.glassnet"
    model().save(path)
    os.chown(path, 1234, 5678)  # root may give it away; saving again must not take it back
    model().save(path)
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (1234, 5678)


def test_a_symbolic_link_is_followed_and_kept(tmp_path) -> None:
    real = tmp_path / "real.glassnet"
    model().save(real)
    link = tmp_path / "link.glassnet"
    link.symlink_to(real)
    net = model()
    net.set_weights([np.full((2, 1), 0.5), np.zeros(1)])
    net.save(link)
    assert link.is_symlink()  # os.replace used to put a regular file in the link's place
    np.testing.assert_array_equal(gn.load_model(real).get_weights()[0], np.full((2, 1), 0.5))


def test_a_250_character_name_is_saved(tmp_path) -> None:
    # the temporary name '.<name>.<random>.tmp' used to pass NAME_MAX (255): errno 36
    name = "m" * 241 + ".glassnet"
    assert len(name) == 250
    model().save(tmp_path / name)
    assert files(tmp_path) == [name]
    limit = "m" * 246 + ".glassnet"  # exactly NAME_MAX (255): still legal, still saved
    model().save(tmp_path / limit)
    assert files(tmp_path) == sorted([name, limit])
    longest = "é" * 118 + ".glassnet"  # 245 bytes in UTF-8: counted in bytes, as the disk does
    model().save(tmp_path / longest)
    np.testing.assert_array_equal(gn.load_model(tmp_path / longest).predict(X), model().predict(X))


# -- point 9: other formats' suffixes --------------------------------------------------------
@pytest.mark.parametrize(
    "suffix",
    [".keras", ".h5", ".hdf5", ".pt", ".pth", ".onnx", ".pkl", ".safetensors", ".npz", ".csv"],
)
def test_save_refuses_other_formats_suffixes_and_names_glassnet(tmp_path, suffix) -> None:
    path = tmp_path / f"m{suffix}"
    path.write_bytes(b"someone else's file")
    with pytest.raises(
        ModelFileError, match=rf"'\{suffix}' is the suffix of .* Use the \.glassnet suffix"
    ):
        model().save(path)
    assert path.read_bytes() == b"someone else's file"
    with pytest.raises(ModelFileError, match=r"m\.glassnet"):
        model().save(tmp_path / f"m{suffix.upper()}")  # any case, new file or not


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("m.keras.", "m.glassnet"),  # Windows drops trailing dots and spaces: m.keras there
        ("m.keras ", "m.glassnet"),
        ("m.keras. . ", "m.glassnet"),
        ("M.Keras", "M.glassnet"),
        (".keras", "model.glassnet"),  # a bare suffix is Keras's too (it checks endswith)
        ("x.PT.", "x.glassnet"),
        ("data.csv ", "data.glassnet"),
    ],
)
def test_save_normalises_a_name_before_the_suffix_check(tmp_path, name, suggested) -> None:
    with pytest.raises(ModelFileError, match=r"is the suffix of .* Use the \.glassnet suffix") as e:
        model().save(tmp_path / name)
    assert repr(str(tmp_path / suggested)) in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_to_destroy_a_file_that_is_not_a_glassnet_file(tmp_path) -> None:
    # cousin of point 9: a Keras file, a data file or a script under any other name
    for name, content in {"model.bin": b"PK\x03\x04 a keras zip", "notes": b"my notes\n"}.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ModelFileError, match=r"exists and is not a glassnet model file"):
            model().save(path)
        assert path.read_bytes() == content
    empty = tmp_path / "empty"  # an empty file (tempfile.NamedTemporaryFile) holds nothing
    empty.touch()
    model().save(empty)
    model().save(empty)  # and a glassnet file is replaced, as before
    assert gn.load_model(empty).predict(X).shape == (2, 1)


# -- cousins: odd paths ------------------------------------------------------------------------
def test_odd_paths_are_refused_clearly(tmp_path) -> None:
    with pytest.raises(ModelFileError, match=r"file name such as 'model.glassnet', got ''"):
        model().save("")
    with pytest.raises(ModelFileError, match=r"file name such as 'model.glassnet'"):
        model().save(str(tmp_path / "a\0b.glassnet"))  # os.stat said "embedded null byte"
    with pytest.raises(TypeError, match=r"a file path \(a str or pathlib.Path\), got int 3"):
        model().save(3)
    with pytest.raises(ModelFileError, match=r"the folder .* does not exist"):
        model().save(tmp_path / "nope" / "m.glassnet")
    with pytest.raises(ModelFileError, match=r"file name such as 'model.glassnet', got ''"):
        gn.load_model("")
    with pytest.raises(ModelFileError, match=r"file name such as"):
        gn.load_model("a\0b")
    loop = tmp_path / "loop.glassnet"
    loop.symlink_to(tmp_path / "loop.glassnet")  # os.stat used to raise OSError (ELOOP)
    with pytest.raises(ModelFileError, match=r"Too many levels of symbolic links"):
        model().save(loop)
    with pytest.raises(ModelFileError, match=r"Too many levels of symbolic links"):
        gn.load_model(loop)
    with pytest.raises(ModelFileError, match=r"File name too long"):
        model().save(tmp_path / ("m" * 300 + ".glassnet"))
    assert files(tmp_path) == ["loop.glassnet"]
    model().save(os.fsencode(tmp_path / "bytes.glassnet"))  # bytes paths work, as in open()
    assert gn.load_model(os.fsencode(tmp_path / "bytes.glassnet")).predict(X).shape == (2, 1)


@contextlib.contextmanager
def as_nobody() -> Iterator[None]:
    """Run the block with the effective user id of ``nobody`` (this suite runs as root, who may
    write anything): what an ordinary user's save meets."""
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder anyone may enter and write (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="glassnet-paths-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


def test_a_read_only_folder_is_refused_before_writing(open_folder) -> None:
    folder = open_folder / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    net = model()
    with as_nobody(), pytest.raises(ModelFileError, match=r"the folder .* is not writable"):
        net.save(folder / "m.glassnet")
    assert files(folder) == []


def test_a_file_the_user_cannot_write_is_not_replaced(open_folder) -> None:
    # for an ordinary user os.replace needs only the folder's write permission: the file's own
    # permissions are what must be checked
    path = open_folder / "theirs.glassnet"
    model().save(path)
    path.chmod(0o644)  # root's file, readable by all, writable by root only
    content, net = path.read_bytes(), model()
    with as_nobody(), pytest.raises(ModelFileError, match=r"read-only \(mode 0o644\)"):
        net.save(path)
    assert path.read_bytes() == content
    assert files(open_folder) == ["theirs.glassnet"]


# -- point 6: loading from non-regular files -------------------------------------------------
LOAD_FIFO = textwrap.dedent(
    """
    import sys
    import glassnet as gn
    try:
        gn.load_model(sys.argv[1])
    except gn.ModelFileError as error:
        print("refused:", error)
    """
)


def test_load_model_refuses_a_fifo_without_hanging(tmp_path) -> None:
    fifo = tmp_path / "m.glassnet"
    os.mkfifo(fifo)
    start = time.perf_counter()
    # in a child process: the old loader blocked for ever in open() (no writer ever comes)
    result = subprocess.run(
        [sys.executable, "-c", LOAD_FIFO, str(fifo)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused:" in result.stdout and "is a named pipe (FIFO), not a regular file" in (
        result.stdout
    )
    assert time.perf_counter() - start < 30
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_load_model_refuses_devices_and_sockets(tmp_path) -> None:
    for device in ("/dev/zero", "/dev/null", "/dev/urandom"):
        with pytest.raises(ModelFileError, match=r"is a character device, not a regular file"):
            gn.load_model(device)
    import socket

    path = tmp_path / "s.glassnet"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(ModelFileError, match=r"is a socket, not a regular file"):
            gn.load_model(path)


def test_load_model_refuses_an_unreadable_file_clearly(open_folder) -> None:
    path = open_folder / "m.glassnet"
    model().save(path)
    path.chmod(0o600)
    with as_nobody(), pytest.raises(ModelFileError, match=r"Could not read .*Permission denied"):
        gn.load_model(path)


# -- cousin: the checkpoint callback writes model files too ----------------------------------
def test_model_checkpoint_refuses_a_bad_target_before_training(tmp_path) -> None:
    x, y = np.array([[0.0, 1.0]] * 4), np.array([0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ModelFileError, match=r"'\.keras' is the suffix of Keras files"):
        gn.ModelCheckpoint(str(tmp_path / "ckpt-{epoch}.keras"), monitor="loss")
    fifo = tmp_path / "ckpt.glassnet"
    os.mkfifo(fifo)
    net = model()
    checkpoint = gn.ModelCheckpoint(str(fifo), monitor="loss")
    with pytest.raises(ModelFileError, match=r"named pipe \(FIFO\)"):
        net.fit(x, y, epochs=3, verbose=0, callbacks=[checkpoint])
    assert net.optimizer.iterations == 0  # refused before the first step, not after an epoch
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
