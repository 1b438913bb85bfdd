"""``model.save_weights(path)`` and ``model.load_weights(path)``: the weights alone, safely.

A weights file is a model file without the rest (``glassnet.io``'s format: an uncompressed
``.npz`` of ``weights/<i>.npy`` arrays and a JSON ``header.npy``, a SHA-256 checksum over both, a
seal over every byte, written to a temporary file and renamed over the target). Its header says
``"format": "glassnet-weights"`` and lists each layer's name, kind and weight shapes, so loading
into another architecture (other layer kinds or weight shapes, in order: the layers' names may
differ, as in Keras) is refused, naming both, before any weight changes.

The name must end in ``.weights.glassnet``. Keras 3 insists on ``.weights.h5`` for its own
format; glassnet's files are not HDF5, so it asks for its own suffix the same way, and a Keras
name (``.weights.h5``, ``.h5``, ``.keras``) gets an error that gives the glassnet name to use.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from glassnet._files import (
    ModelFileError,
    check_save_target,
    file_path,
    open_regular,
    write_replacing,
)
from glassnet._header_bounds import check_size, parse_header
from glassnet._validation import shown
from glassnet.io import (
    HEADER_MEMBER,
    MAX_HEADER_BYTES,
    _check_seal,
    _checksum,
    _read_member,
    _seal,
    _version,
    _write_archive,
    weight_arrays,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

SUFFIX = ".weights.glassnet"
FORMAT = "glassnet-weights"
FORMAT_VERSION = 1


def check_weights_suffix(path: str) -> None:
    """Refuse a weights file name that does not end in ``.weights.glassnet``."""
    name = os.path.basename(path).rstrip(". ").casefold()
    if name.endswith(SUFFIX) and len(name) > len(SUFFIX):
        return
    stem = os.path.basename(path).rstrip(". ")
    for end in (SUFFIX, ".weights.h5", ".h5", ".keras", ".weights", ".glassnet", ".npz"):
        if stem.casefold().endswith(end):
            stem = stem[: -len(end)]
            break
    suggestion = os.path.join(os.path.dirname(path), (stem or "model") + SUFFIX)
    raise ModelFileError(
        f"A weights file's name must end in {SUFFIX!r}, got {path!r}. (Keras 3 asks for "
        f"'.weights.h5'; glassnet writes its own safe format, not HDF5, and asks for its own "
        f"suffix.) Use e.g. {suggestion!r}."
    )


def _layout(model: Sequential) -> list[dict[str, Any]]:
    """Each layer's name, kind and weight shapes: what a weights file must match."""
    return [
        {
            "name": layer.name,
            "class_name": layer.kind,
            "shapes": [list(w.shape) for w in layer.weights],
        }
        for layer in model.layers
    ]


def save_weights(model: Sequential, path: Any, overwrite: bool = True) -> None:
    """Write ``model``'s weights to ``path`` (``.weights.glassnet``), atomically; an existing
    file is replaced unless ``overwrite`` is False."""
    path = file_path(path, "the weights file's path")
    check_weights_suffix(path)
    if not isinstance(overwrite, bool | np.bool_):
        raise TypeError(
            f"save_weights: expected overwrite=True or False, got {type(overwrite).__name__} "
            f"{shown(overwrite, 20)}."
        )
    target, info = check_save_target(path)
    if info is not None and not overwrite:
        raise ModelFileError(
            f"{path!r} exists and overwrite=False: the weights were not saved. Pass "
            f"overwrite=True to replace it, or choose another name."
        )
    model._ensure_built()
    check_size(len(model.layers), model.count_params(), repr(path), "save")
    arrays = weight_arrays(model, "save the weights")
    header: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "glassnet_version": _version(),
        "dtype": model.dtype.name,
        "layers": _layout(model),
        "weights": len(arrays),
    }
    header["checksum"] = _checksum(header, arrays)

    def write(file: IO[bytes]) -> None:
        _write_archive(file, header, arrays)
        _seal(file)

    write_replacing(target, info, write)


def load_weights(model: Sequential, path: Any) -> None:
    """Read a ``save_weights`` file into ``model`` (same architecture), all or nothing."""
    path = file_path(path, "the weights file's path")
    check_weights_suffix(path)
    model._ensure_built()
    try:
        with open_regular(path) as (file, size):
            _check_seal(file, size, path)
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                weights = _read_weights(model, archive, size, path)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error) as error:
        raise ModelFileError(
            f"{path!r} is not a glassnet weights file, or it is truncated or corrupt ({error}). "
            f"Expected a file written by model.save_weights(path)."
        ) from None
    except (OSError, EOFError) as error:
        raise ModelFileError(f"Could not read the weights file {path!r}: {error}.") from None
    try:
        model.set_weights(weights)  # checks every array before writing any
    except ValueError as error:
        raise ModelFileError(f"{path!r}: {error}") from None


def _read_weights(
    model: Sequential, archive: zipfile.ZipFile, size: int, path: str
) -> list[np.ndarray]:
    members = {info.filename: info for info in archive.infolist()}
    if HEADER_MEMBER not in members:
        raise ModelFileError(f"{path!r} has no glassnet header; it is not a weights file.")
    raw = _read_member(archive, members[HEADER_MEMBER], (None,), MAX_HEADER_BYTES, "header")
    if raw.dtype != np.uint8:
        raise ModelFileError(f"{path!r}: the header must be uint8 bytes, found {raw.dtype}.")
    header = parse_header(raw.tobytes(), path)
    if isinstance(header, dict) and header.get("format") == "glassnet":
        raise ModelFileError(
            f"{path!r} is a whole glassnet model file, not a weights file. Load it with "
            f"glassnet.load_model(path), or copy its weights: "
            f"model.set_weights(glassnet.load_model(path).get_weights())."
        )
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a glassnet weights file (its header has no format).")
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} has weights format version {header.get('format_version')!r:.20}; this "
            f"glassnet reads version {FORMAT_VERSION}."
        )
    expected = _layout(model)
    found = header.get("layers")
    if not isinstance(found, list) or [_kind_shapes(x) for x in found] != [
        _kind_shapes(x) for x in expected
    ]:  # matched by order, kind and shape (as Keras matches), not by the layers' names
        raise ModelFileError(
            f"{path!r} holds the weights of another architecture: {_describe(found)}; "
            f"this model is {_describe(expected)}. Load it into a model built as the one that "
            f"saved it (same layers, same input shape)."
        )
    shapes = [tuple(shape) for layer in expected for shape in layer["shapes"]]
    names = [f"weights/{i}" for i in range(len(shapes))]
    if set(members) != {name + ".npy" for name in names} | {HEADER_MEMBER}:
        raise ModelFileError(
            f"{path!r}: the archive's members do not match its header; the file was changed "
            f"after it was saved."
        )
    arrays = {
        name: _read_member(archive, members[name + ".npy"], shape, size, name)
        for name, shape in zip(names, shapes, strict=True)
    }
    for name, array in arrays.items():
        if array.dtype.kind != "f":
            raise ModelFileError(f"{path!r}: {name} must hold floats, found {array.dtype}.")
    if _checksum(header, arrays) != header.get("checksum"):
        raise ModelFileError(
            f"{path!r}: checksum mismatch; the file was changed or damaged after it was saved."
        )
    return [arrays[name] for name in names]


def _kind_shapes(layer: Any) -> Any:
    return (layer.get("class_name"), layer.get("shapes")) if isinstance(layer, dict) else None


def _describe(layout: Any) -> str:
    """A layout as a short line: ``dense (Dense) [3, 4] [4], ...`` (at most 200 characters)."""
    if not isinstance(layout, list):
        return "unreadable"
    parts = []
    for layer in layout:
        if not isinstance(layer, dict):
            return "unreadable"
        shapes = " ".join(str(s) for s in layer.get("shapes", []))
        parts.append(
            f"{str(layer.get('name'))[:40]} ({str(layer.get('class_name'))[:30]}) {shapes}"
        )
    text = ", ".join(parts) or "no layers"
    return text if len(text) <= 200 else text[:197] + "..."
