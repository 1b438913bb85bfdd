"""Model files on disk: which paths ``model.save`` may write over, and which ``load_model`` opens.

Saving refuses, before anything is written:

- a name ending in another format's suffix (``.keras``, ``.h5``, ``.pt``, ``.onnx``, ``.npz``,
  ``.csv``, ... see ``FOREIGN_SUFFIXES``): that file belongs to another tool;
- a target that is not a regular file (a directory, a FIFO, a device such as ``/dev/null``, a
  socket): ``os.replace`` would swap it for a regular file;
- a read-only file: one the caller could not write (``os.access``), and, for root, who may write
  anything, one with no write bit at all (as ``rm`` asks before removing it);
- an existing non-empty file that is not a glassnet model file (it does not end with glassnet's
  seal): your data, a notebook or another framework's model under an unexpected name.

A symbolic link is followed: the file it points to is replaced and the link keeps pointing at it.
A new file gets the mode the umask gives (0644 under umask 022), as ``open(path, "w")`` would; a
replaced file keeps its mode (and, where the caller may set it, its owner and group). The
temporary file beside the target is named so that a legal file name (up to ``NAME_MAX`` bytes,
255 on Linux) stays legal.

Loading opens only regular files: a FIFO would block the reader for ever, a device would stream
without end. The path is checked with ``stat`` before it is opened, opened without blocking, and
checked again on the open descriptor, so a file swapped in between is caught.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from typing import IO, Any

#: the archive's comment ends with this, then the file's SHA-256 in hex (glassnet.io's seal)
SEAL_PREFIX = b"glassnet-sha256:"
SEAL_BYTES = len(SEAL_PREFIX) + 64

#: suffixes of other tools' files, which ``model.save`` refuses to write (checked lower-case)
FOREIGN_SUFFIXES = {
    ".keras": "Keras",
    ".h5": "Keras/HDF5",
    ".hdf5": "HDF5",
    ".pt": "PyTorch",
    ".pth": "PyTorch",
    ".ckpt": "a checkpoint",
    ".onnx": "ONNX",
    ".pb": "TensorFlow",
    ".tflite": "TensorFlow Lite",
    ".safetensors": "safetensors",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "joblib",
    ".npz": "NumPy (np.savez)",
    ".npy": "NumPy (np.save)",
    ".csv": "CSV data",
    ".json": "JSON",
    ".py": "Python source",
    ".ipynb": "a Jupyter notebook",
}


#: check permissions as the process acts (its effective user), where the system can
_EFFECTIVE = os.access in os.supports_effective_ids


class ModelFileError(ValueError):
    """A model file that cannot be loaded (missing, not a glassnet file, corrupt, tampered, of an
    unknown format version, describing something glassnet will not build), or a path that
    ``model.save`` will not write over."""


def file_path(path: Any, what: str) -> str:
    """``path`` (a str, bytes or ``os.PathLike``) as a str, or a clear error."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(
            f"Expected {what} to be a file path (a str or pathlib.Path), got "
            f"{type(path).__name__} {path!r}. Pass e.g. 'model.glassnet'."
        ) from None
    path = os.fsdecode(path)
    if not path or "\0" in path:
        raise ModelFileError(
            f"Expected {what} to be a file name such as 'model.glassnet', got {path!r}."
        )
    return path


def kind_of(mode: int) -> str | None:
    """A non-regular file's kind in words ("a named pipe (FIFO)", ...); None if it is regular."""
    if stat.S_ISREG(mode):
        return None
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((words for test, words in kinds if test(mode)), "not a regular file")


# -- saving ------------------------------------------------------------------------------------
def normal_name(path: str) -> str:
    """The last part of ``path`` as the file system may read it: trailing dots and spaces
    stripped (Windows drops them: ``m.keras.`` and ``m.keras `` are ``m.keras`` there) and
    case-folded (``M.KERAS`` is a Keras file on a case-insensitive disk)."""
    return os.path.basename(path).rstrip(". ").casefold()


def check_suffix(path: str) -> None:
    """Refuse a name that ends in another tool's suffix (``FOREIGN_SUFFIXES``), once normalised
    (``normal_name``): ``m.keras.``, ``m.keras ``, ``M.KERAS`` and a bare ``.keras`` included
    (Keras itself takes any name ending in ``.keras`` as its own, a bare one too)."""
    name = normal_name(path)
    suffix = next((end for end in FOREIGN_SUFFIXES if name.endswith(end)), None)
    if suffix is not None:
        base = os.path.basename(path)
        stem = base.rstrip(". ")[: -len(suffix)] or "model"
        raise ModelFileError(
            f"Refusing to save a glassnet model as {path!r}: {suffix!r} is the suffix of "
            f"{FOREIGN_SUFFIXES[suffix]} files, and glassnet's file is not one (it would replace "
            f"such a file with glassnet's format). Use the .glassnet suffix, e.g. "
            f"{os.path.join(os.path.dirname(path), stem + '.glassnet')!r}."
        )


def check_save_target(path: Any) -> tuple[str, os.stat_result | None]:
    """Everything ``model.save(path)`` checks before writing; returns the file to replace
    (symbolic links resolved) and its ``stat`` (None when it does not exist yet)."""
    path = file_path(path, "the path to save to")
    check_suffix(path)
    if os.path.basename(path) in ("", ".", ".."):
        raise ModelFileError(
            f"Cannot save the model to {path!r}: it names a folder. Give a file name, e.g. "
            f"{os.path.join(path, 'model.glassnet')!r}."
        )
    target = os.path.realpath(path)  # through symbolic links: the file they point to
    check_suffix(target)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise ModelFileError(
            f"Cannot save the model to {path!r}: the folder {folder!r} does not exist. Create it "
            f"first (os.makedirs)."
        )
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as error:  # a loop of symbolic links, a name too long, ...
        raise ModelFileError(
            f"Cannot save the model to {path!r}: {error.strerror or error}. Give a plain file "
            f"name such as 'model.glassnet'."
        ) from None
    if info is not None:
        _check_replaceable(path, target, info)
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=_EFFECTIVE):
        raise ModelFileError(
            f"Cannot save the model to {path!r}: the folder {folder!r} is not writable. Choose "
            f"a folder you can write to."
        )
    return target, info


def refuse_unwritable(
    path: str,
    target: str,
    info: os.stat_result,
    doing: str,
    example: str,
    error: type[ValueError] = ModelFileError,
) -> None:
    """Refuse (``error``) an existing ``target`` (``info`` its stat; ``path`` as the caller
    wrote it) that glassnet must not replace: a directory, anything that is not a regular file (a
    FIFO, a device, a socket), or a file the caller could not write. ``doing`` names the action
    ("save the model"), ``example`` a file name to suggest. Model files and every other output
    share this check."""
    kind = kind_of(info.st_mode)
    if kind == "a directory":
        raise error(
            f"Cannot {doing} to {path!r}: it is a directory. Give a file name, e.g. "
            f"{os.path.join(path, example)!r}."
        )
    if kind is not None:
        raise error(
            f"Cannot {doing} to {path!r}: it is {kind}, not a regular file, and glassnet "
            f"leaves it alone. Write to a regular file instead, e.g. {example!r}."
        )
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK, effective_ids=_EFFECTIVE):
        raise error(
            f"Cannot {doing} to {path!r}: the file is read-only (mode "
            f"{stat.S_IMODE(info.st_mode):#o}), and glassnet does not replace a file you could "
            f"not write. Make it writable (chmod u+w) or remove it first, or choose another name."
        )


def _check_replaceable(path: str, target: str, info: os.stat_result) -> None:
    refuse_unwritable(path, target, info, "save the model", "model.glassnet")
    if info.st_size > 0 and not is_glassnet_file(target):
        raise ModelFileError(
            f"Cannot save the model to {path!r}: that file exists and is not a glassnet model "
            f"file ({info.st_size} bytes that do not end with glassnet's seal), so saving would "
            f"destroy it. Choose another name, or remove the file first if you mean to replace "
            f"it."
        )


def is_glassnet_file(path: str) -> bool:
    """True when the regular file ``path`` ends with glassnet's seal (a quick look, no checks)."""
    try:
        with open_regular(path) as (file, size):
            if size < SEAL_BYTES:
                return False
            file.seek(size - SEAL_BYTES)
            return file.read(len(SEAL_PREFIX)) == SEAL_PREFIX
    except (OSError, ModelFileError):
        return False


def _temporary_name(folder: str, base: str) -> str:
    """``.<base>.<random>.tmp`` in ``folder``, with ``base`` shortened so that the whole name
    stays within the folder's NAME_MAX (counted in bytes, as the file system counts it)."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not POSIX
        limit = 255
    import secrets  # here, not at import: it loads hashlib (~5 ms of import glassnet)

    tail = f".{secrets.token_hex(4)}.tmp"
    room = limit - 1 - len(tail)
    while len(os.fsencode(base)) > room:
        base = base[:-1]
    return os.path.join(folder, f".{base}{tail}")


def write_replacing(
    target: str,
    info: os.stat_result | None,
    write: Callable[[IO[bytes]], None],
    check: Callable[[str, os.stat_result], None] | None = None,
) -> None:
    """Write a new file with ``write(file)`` beside ``target``, flush it to disk, then rename it
    over ``target`` (atomic): a crash leaves the old file whole. ``info`` is ``target``'s stat
    (None if new): its mode, owner and group are kept. ``check(target, stat)`` looks at the
    target again just before the rename (default: a model file's checks)."""
    folder, base = os.path.split(target)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = _temporary_name(folder, base)
        try:
            handle = os.open(temporary, flags, 0o666)  # the umask applies, as for open(..., "w")
            break
        except FileExistsError:  # pragma: no cover - 32 random bits taken: try another
            continue
    else:  # pragma: no cover
        raise ModelFileError(f"Could not create a temporary file in {folder!r}.")
    try:
        with os.fdopen(handle, "w+b") as file:
            if info is not None and hasattr(os, "fchown"):  # POSIX
                with contextlib.suppress(OSError):  # only root (or the owner, its groups) may
                    os.fchown(file.fileno(), info.st_uid, info.st_gid)
                os.fchmod(file.fileno(), stat.S_IMODE(info.st_mode) & 0o777)
            write(file)
            file.flush()
            os.fsync(file.fileno())
        try:  # the target may have become a FIFO meanwhile: look again just before the rename
            now = os.stat(target)
        except FileNotFoundError:
            pass
        else:
            if check is None:
                _check_replaceable(target, target, now)
            else:
                check(target, now)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Flush the rename itself to disk (POSIX); harmless where folders cannot be opened."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(handle)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(handle)


# -- loading -----------------------------------------------------------------------------------
def open_without_waiting(path: str | os.PathLike[str], refuse: Callable[[str], None]) -> IO[bytes]:
    """``path`` opened for reading (binary) without ever waiting: opened with O_NONBLOCK, so a FIFO
    without a writer does not block, then checked with ``fstat`` on what was actually opened, so a
    file swapped for a FIFO or a device after an earlier ``stat`` is still caught. For anything
    but a regular file ``refuse(kind)`` raises the caller's own error (``kind`` in words, e.g. "a
    named pipe (FIFO)"). OSError from opening passes through. Model files, CSV files and MNIST
    files are all read through it."""
    nonblocking = getattr(os, "O_NONBLOCK", 0)  # POSIX: opening a FIFO must not wait
    flags = os.O_RDONLY | nonblocking | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    handle = os.open(path, flags)
    try:
        kind = kind_of(os.fstat(handle).st_mode)
        if kind is not None:
            refuse(kind)
            raise ValueError(f"{os.fsdecode(path)!r} is {kind}, not a regular file.")
        if nonblocking:
            os.set_blocking(handle, True)
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


@contextlib.contextmanager
def open_regular(path: str) -> Iterator[tuple[IO[bytes], int]]:
    """Open the regular file ``path`` for reading: ``(file, size)``. Anything else (missing, a
    directory, a FIFO, a device, a socket) is refused with ``ModelFileError`` without blocking."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ModelFileError(
            f"No model file at {path!r}. Check the path, or save one with model.save(path)."
        ) from None
    except OSError as error:
        raise ModelFileError(f"Could not read the model file {path!r}: {error}.") from None
    _check_readable_kind(path, info.st_mode)
    try:
        file = open_without_waiting(path, lambda kind: _check_readable_kind(path, kind))
    except FileNotFoundError:
        raise ModelFileError(f"No model file at {path!r} (it was just removed).") from None
    except OSError as error:
        raise ModelFileError(f"Could not read the model file {path!r}: {error}.") from None
    info = os.fstat(file.fileno())
    with file:
        yield file, info.st_size


def _check_readable_kind(path: str, mode_or_kind: int | str) -> None:
    kind = kind_of(mode_or_kind) if isinstance(mode_or_kind, int) else mode_or_kind
    if kind == "a directory":
        raise ModelFileError(
            f"{path!r} is a directory; expected a .glassnet file written by model.save(path)."
        )
    if kind is not None:
        raise ModelFileError(
            f"{path!r} is {kind}, not a regular file; glassnet reads model files only from "
            f"regular files (a pipe or a device could block or never end). Copy it to a file "
            f"first."
        )
