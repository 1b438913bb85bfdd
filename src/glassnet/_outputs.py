"""Every file glassnet writes that is not a model file (a report page, an SVG, an ONNX file, a
narration, predictions, a history) goes through one writer: ``write_bytes_atomically`` /
``write_text_atomically``, built on ``model.save``'s ``write_replacing``.

Before anything is written, the target is refused when it is:

- not a regular file: a directory, a FIFO (named pipe), a character or block device, a socket,
  or a symbolic link to one of them (the link is followed and what it points to is judged);
- in a folder that does not exist, or that cannot be written;
- a read-only file: one the caller could not write, and, for root, one without any write bit.

The new content is written to a temporary file beside the target, flushed to disk, and renamed
over it (atomic): a crash leaves the old file whole; a replaced file keeps its mode. The target is
never opened, so a FIFO cannot block the writer; it is looked at again just before the rename.
Unlike model files, these outputs are not refused for holding someone else's content (a page or a
CSV is regenerated, and the command line already refuses an output that is one of its inputs),
with one exception: a glassnet model file (``model.save``'s, found by its seal) is never replaced,
and no output is written under a name ending in ``.glassnet`` (any case, trailing dots or spaces
ignored), so a history, a page or predictions never take a model's place.

A report writes several files into a folder: ``prepare_output_folder`` refuses a folder path that
is a file, a FIFO or a device, or is not writable, makes a missing one, and each file in it is
then written with the writer above.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as folder:
...     page = write_text_atomically(os.path.join(folder, "a.html"), "<p>hi</p>", "the page")
...     os.mkfifo(os.path.join(folder, "pipe"))
...     try:
...         write_text_atomically(os.path.join(folder, "pipe"), "x", "the page")
...     except OutputFileError as error:
...         print(str(error).split(": ", 1)[1][:44])
...     print(page.read_text())
it is a named pipe (FIFO), not a regular fil
<p>hi</p>
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from glassnet._files import (
    _EFFECTIVE,
    is_glassnet_file,
    kind_of,
    normal_name,
    refuse_unwritable,
    write_replacing,
)


class OutputFileError(ValueError):
    """A path glassnet will not write an output file (a page, a picture, a CSV, an ONNX file) to:
    not a regular file, read-only, or in a missing or unwritable folder."""


def output_path(path: Any, what: str, example: str) -> str:
    """``path`` (a str, bytes or ``os.PathLike``) as a str, or a clear error."""
    try:
        text = os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(
            f"Expected the path of {what} to be a str or pathlib.Path, got "
            f"{type(path).__name__} {path!r}. Pass e.g. {example!r}."
        ) from None
    if not text or "\0" in text:
        raise OutputFileError(f"Expected a file name for {what} such as {example!r}, got {text!r}.")
    return text


def check_output_kind(path: str, info: os.stat_result, what: str, example: str) -> None:
    """Refuse an existing ``path`` (``info`` its stat) that is not a writable regular file, or
    that is a glassnet model file."""
    refuse_unwritable(path, path, info, f"write {what}", example, OutputFileError)
    if is_glassnet_file(path):
        raise OutputFileError(
            f"Cannot write {what} to {path!r}: it is a glassnet model file (model.save's), and "
            f"writing over it would lose the model. Choose another name, e.g. {example!r}, or "
            f"remove the model file first if you mean to replace it."
        )


def check_model_name(path: str, what: str, example: str) -> None:
    """Refuse a name ending in ``.glassnet`` (any case, trailing dots and spaces ignored): it is
    the name of a model file, and an output written there would pass for one."""
    if normal_name(path).endswith(".glassnet"):
        raise OutputFileError(
            f"Cannot write {what} to {path!r}: a name ending in .glassnet is a glassnet model "
            f"file's, and glassnet does not put another kind of file there (it could replace a "
            f"model, or pass for one). Choose another name, e.g. {example!r}."
        )


def check_output_target(
    path: Any, what: str, example: str = "out.txt"
) -> tuple[str, os.stat_result | None]:
    """Everything the writer checks before writing ``path``: returns the file to replace
    (symbolic links resolved) and its stat (None when it does not exist yet)."""
    path = output_path(path, what, example)
    if os.path.basename(path) in ("", ".", ".."):
        raise OutputFileError(
            f"Cannot write {what} to {path!r}: it names a folder. Give a file name, e.g. "
            f"{os.path.join(path, example)!r}."
        )
    check_model_name(path, what, example)
    target = os.path.realpath(path)  # through symbolic links: the file they point to
    check_model_name(target, what, example)
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as error:  # a loop of symbolic links, a name too long, a file as a folder
        raise OutputFileError(
            f"Cannot write {what} to {path!r}: {error.strerror or error}. Choose a plain file "
            f"path such as {example!r}."
        ) from None
    if info is not None:
        check_output_kind(path, info, what, example)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise OutputFileError(
            f"Cannot write {what} to {path!r}: the folder {folder!r} does not exist. Create it "
            f"first (os.makedirs), or choose another path."
        )
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=_EFFECTIVE):
        raise OutputFileError(
            f"Cannot write {what} to {path!r}: the folder {folder!r} is not writable. Choose a "
            f"folder you can write to."
        )
    return target, info


def write_bytes_atomically(
    path: Any,
    data: bytes,
    what: str = "the output file",
    example: str = "out.txt",
) -> Path:
    """Write ``data`` to ``path`` atomically after the checks above; returns ``Path(path)``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"Expected bytes to write to {what}, got {type(data).__name__}.")
    target, info = check_output_target(path, what, example)

    def check_again(name: str, now: os.stat_result) -> None:
        check_output_kind(name, now, what, example)

    write_replacing(target, info, lambda file: file.write(data), check_again)
    return Path(os.fsdecode(os.fspath(path)))


def write_text_atomically(
    path: Any, text: str, what: str = "the output file", example: str = "out.txt"
) -> Path:
    """``write_bytes_atomically`` for ``text``, encoded as UTF-8."""
    if not isinstance(text, str):
        raise TypeError(f"Expected text (a str) to write to {what}, got {type(text).__name__}.")
    return write_bytes_atomically(path, text.encode("utf-8"), what, example)


def prepare_output_folder(path: Any, what: str, example: str = "report") -> Path:
    """The folder ``path`` to write several files into, made if missing; refused when it is a
    file, a FIFO, a device or anything else that is not a folder, or is not writable."""
    text = output_path(path, what, example)
    try:
        info = os.stat(text)  # through symbolic links: a link to a folder is a folder
    except FileNotFoundError:
        _make_folder(text, what, example)
        return Path(text)
    except NotADirectoryError:  # report/inner where report is a file
        raise _in_the_way(text, what, example) from None
    except OSError as error:
        raise OutputFileError(
            f"Cannot write {what} into {text!r}: {error.strerror or error}. Choose a plain "
            f"folder path such as {example!r}."
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        kind = kind_of(info.st_mode) or "a file"
        raise OutputFileError(
            f"Cannot write {what} into {text!r}: it is {kind}, not a folder, and glassnet leaves "
            f"it alone. Give a folder path (made if missing), e.g. {example!r}."
        )
    if not os.access(text, os.W_OK | os.X_OK, effective_ids=_EFFECTIVE):
        raise OutputFileError(
            f"Cannot write {what} into {text!r}: the folder is not writable. Choose a folder "
            f"you can write to."
        )
    return Path(text)


def _make_folder(text: str, what: str, example: str) -> None:
    try:
        os.makedirs(text, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise _in_the_way(text, what, example) from None
    except OSError as error:
        raise OutputFileError(
            f"Cannot make the folder {text!r} for {what}: {error.strerror or error}. Choose a "
            f"folder you can write to."
        ) from None


def _in_the_way(text: str, what: str, example: str) -> OutputFileError:
    return OutputFileError(
        f"Cannot write {what} into {text!r}: something that is not a folder (a file, or a "
        f"broken symbolic link) is in the way of it. Choose another path such as {example!r}, "
        f"or move that file."
    )
