"""Safe model files: ``model.save(path)`` and ``glassnet.load_model(path)``.

A ``.glassnet`` file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays, stored uncompressed)
holding:

=====================  ==========================================================================
member                 contents
=====================  ==========================================================================
``header.npy``         the JSON header as uint8 bytes: format name and version, the architecture
                       (each layer's ``get_config()``), dtype, compile settings, the optimizer's
                       scalar state, the random streams' states, and a SHA-256 checksum
``weights/<i>.npy``    the weights in ``get_weights()`` order (kernel, then bias, per layer; the
                       header's ``trainable`` flags mark BatchNormalization's moving statistics)
``optimizer/...npy``   the optimizer's per-parameter state (momentum, Adam's m and v, ...)
=====================  ==========================================================================

The checksum covers the header (less the checksum itself) and every array's name, dtype, shape
and bytes; the archive's comment ends with a second SHA-256, the *seal*, over every byte of the
file before it. A file truncated, damaged by a bad disk or changed by hand anywhere (zip metadata
included) is refused rather than half-loaded. (The seal catches accidents; a deliberately forged
file with a recomputed seal still meets every check below.)

Loading is for untrusted files: nothing is unpickled (``allow_pickle=False``), only float and
integer arrays are read, every array's declared shape must be the one the architecture implies,
and the total must fit in the file, so a hostile header cannot make the loader allocate much
more memory than the file's own size. Anything wrong raises ``ModelFileError`` (a ``ValueError``)
saying what was expected and what was found. The loader's bounds, all checked before a layer is
built:

- only a regular file is opened (a FIFO or a device is refused, never waited on);
- the header is at most ``MAX_HEADER_BYTES`` (1 MiB) of JSON; its integers have at most
  ``MAX_INTEGER_DIGITS`` (40) digits, its floats are finite (no ``1e400``, ``NaN``, ``Infinity``);
- at most ``MAX_LAYERS`` (1000) layers and ``MAX_PARAMETERS`` (10**9) parameters, and no more
  parameters than the file's bytes can hold;
- a BatchNormalization's moving variance is >= 0 (a negative one would make NaN outputs);
- random-generator states are PCG64 states with every integer in its range; the optimizer's
  slots are its own; its step count is in [0, 2**63); its state arrays are finite, and Adam's
  second moment and RMSprop's mean square are >= 0.

Saving writes a temporary file beside the target, flushes it to disk and renames it over the
target (``os.replace``, atomic on POSIX and Windows): a crash mid-save leaves the old file intact.
It refuses other formats' suffixes (``.keras``, ``.h5``, ``.pt``, ``.onnx``, ...), targets that
are not regular files, read-only files and existing files that are not glassnet files, and a
model the loader would refuse; see ``glassnet._files`` for the paths it writes and their modes.

>>> import os, tempfile
>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1, "sigmoid")], seed=0)
>>> model.compile(optimizer="adam", loss="binary_crossentropy")
>>> path = os.path.join(tempfile.mkdtemp(), "m.glassnet")
>>> model.save(path)
>>> loaded = gn.load_model(path)
>>> bool((loaded.predict(np.eye(2)) == model.predict(np.eye(2))).all())
True
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import zipfile
import zlib
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from glassnet._files import (
    SEAL_PREFIX,
    ModelFileError,
    check_save_target,
    file_path,
    open_regular,
    write_replacing,
)
from glassnet._header_bounds import (
    MAX_INTEGER_DIGITS,
    MAX_LAYERS,
    MAX_PARAMETERS,
    check_name,
    check_rng_state,
    check_size,
    check_slots,
    long_integer,
    parse_header,
)
from glassnet._validation import shown

if TYPE_CHECKING:
    from glassnet.model import Sequential

FORMAT = "glassnet"
FORMAT_VERSION = 1
HEADER_MEMBER = "header.npy"
MAX_HEADER_BYTES = 1 << 20  # 1 MiB of JSON is far more than any architecture needs
_ALLOWED_KINDS = "fi"  # float and signed integer arrays only: never object, never strings
__all__ = [
    "MAX_INTEGER_DIGITS",
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "ModelFileError",
    "load_model",
    "save_model",
]


# -- saving ------------------------------------------------------------------------------------
def save_model(model: Sequential, path: str | os.PathLike[str]) -> None:
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to ``path``.

    The write is atomic: a temporary file in the same folder is renamed over ``path`` only once
    complete, so an interrupted save leaves any earlier file untouched. Refused before anything
    is written (``ModelFileError``): another format's suffix (``.keras``, ``.h5``, ``.pt``,
    ``.onnx``, ...), a target that is not a regular file (a FIFO, a device, a directory), a
    read-only file, an existing file that is not a glassnet model file, and a model larger than
    ``load_model`` reads (``MAX_LAYERS``, ``MAX_PARAMETERS``). See ``glassnet._files``.
    """
    target, info = check_save_target(path)
    model._ensure_built()
    check_size(len(model.layers), model.count_params(), repr(os.fsdecode(path)), "save")
    header, arrays, text = _header(model)
    _check_names(header, f"Cannot save the model to {os.fsdecode(path)!r}")  # load would refuse
    if len(text) > MAX_HEADER_BYTES:  # load_model would refuse it: say so now, before writing
        raise ModelFileError(
            f"Cannot save the model: its JSON header would be {len(text)} bytes, more than the "
            f"{MAX_HEADER_BYTES} a model file may hold (a Normalization layer keeps its mean and "
            f"variance there, about 40 bytes per feature; long layer names count too). Use fewer "
            f"features or shorter names."
        )
    # what load_model would refuse is not written (a layer's seed of 50 digits, say)
    if (found := long_integer(header)) is not None:  # named, not "the header holds ..."
        raise ModelFileError(
            f"Cannot save the model to {os.fsdecode(path)!r}: its {found[0]} is an integer of "
            f"{found[1]} digits, and a model file holds at most {MAX_INTEGER_DIGITS} "
            f"(load_model could not read it back). Give it a smaller value, e.g. seed=0."
        )
    parse_header(text, os.fsdecode(path))
    _check_metric_counts(model, os.fsdecode(path))

    def write(file: IO[bytes]) -> None:
        _write_archive(file, header, arrays)
        _seal(file)

    write_replacing(target, info, write)


def _check_metric_counts(model: Sequential, path: str) -> None:
    """Refuse to save more metric objects or weighted metrics than load_model reads."""
    from glassnet.metric_objects import MAX_METRIC_OBJECTS

    for what, count in [
        ("metric objects", len(model.metric_objects)),
        ("weighted metrics", len(model.weighted_metrics)),
    ]:
        if count > MAX_METRIC_OBJECTS:
            raise ModelFileError(
                f"Cannot save the model to {path!r}: it is compiled with {count} {what}, and "
                f"load_model reads at most {MAX_METRIC_OBJECTS}. Compile it with fewer."
            )


def _header(model: Sequential) -> tuple[dict[str, Any], dict[str, np.ndarray], bytes]:
    """The header (checksum included), the arrays, and the header's JSON as saved."""
    header, arrays = _serialise(model)
    header["checksum"] = _checksum(header, arrays)
    return header, arrays, json.dumps(header).encode("utf-8")


def header_size(model: Sequential) -> int:
    """The bytes of the JSON header ``save_model`` would write for ``model`` (at most
    ``MAX_HEADER_BYTES`` load): ``glassnet train`` checks it before training."""
    return len(_header(model)[2])


def weight_arrays(model: Sequential, action: str = "save") -> dict[str, np.ndarray]:
    """The model's weights as a file's arrays ``weights/0``, ``weights/1``, ... in
    ``get_weights`` order; ModelFileError naming ``action`` when one holds NaN or inf (a model
    whose training diverged is not written)."""
    weights = model.get_weights()
    for index, array in enumerate(weights):
        if not np.isfinite(array).all():
            raise ModelFileError(
                f"Cannot {action}: weight array {index} holds NaN or inf (training diverged). "
                f"Rebuild or reload the model, and train with a smaller learning rate."
            )
    return {f"weights/{i}": w for i, w in enumerate(weights)}


def _serialise(model: Sequential) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays = weight_arrays(model)
    header: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "glassnet_version": _version(),
        "name": model.name,
        "dtype": model.dtype.name,
        # a Generator given as the seed is not a number: its state below is what counts
        "seed": _seed_number(model.seed),
        # images: the flat size here, and the example shape (height, width, channels) below
        "input_features": math.prod(model.example_shape),
        **({"input_shape": list(model.example_shape)} if len(model.example_shape) > 1 else {}),
        "layers": [layer.get_config() for layer in model.layers],
        "weights": len(arrays),
        "trainable": _trainable(model),
        "rng": _rng_state(model.rng),
        "layer_rngs": {
            layer.name: _rng_state(layer.rng)
            for layer in model.layers
            if getattr(layer, "rng", None) is not None and layer.rng is not model.rng
        },
        "compile": None,
    }
    if model.optimizer is not None and model.loss is not None:
        from glassnet._weighted_metrics import saved as weighted_saved

        state = model.optimizer.get_state()
        slots: dict[str, list[bool]] = {}
        for slot in model.optimizer.state_slots:
            present = []
            for i, value in enumerate(state[slot]):
                present.append(value is not None)
                if value is not None:
                    arrays[f"optimizer/{slot}/{i}"] = value
            slots[slot] = present
        header["compile"] = {
            "optimizer": model.optimizer.get_config(),
            "loss": model.loss.get_config(),
            "metrics": list(model.metric_names),
            "iterations": state["iterations"],
            **(
                {"metric_objects": [m.get_config() for m in model.metric_objects]}
                if model.metric_objects
                else {}
            ),
            # compile's loss_weights (absent from files of older versions and unscaled models)
            **({"loss_weights": model.loss_weights} if model.loss_weights is not None else {}),
            # compile's weighted_metrics: names, and objects' configs (absent when none)
            **({"weighted_metrics": weighted_saved(model)} if model.weighted_metrics else {}),
            "slots": slots,
        }
    return header, arrays


def _write_archive(file: IO[bytes], header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    text = json.dumps(header, sort_keys=True).encode("utf-8")
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.comment = SEAL_PREFIX + b"0" * 64  # the seal's place: filled in by _seal
        for name, array in [(HEADER_MEMBER[:-4], np.frombuffer(text, np.uint8)), *arrays.items()]:
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)


def _file_digest(file: IO[bytes], length: int) -> str:
    """SHA-256 of the first ``length`` bytes of ``file``, read in chunks (bounded memory)."""
    digest = hashlib.sha256()
    file.seek(0)
    left = length
    while left > 0:
        chunk = file.read(min(left, 1 << 20))
        if not chunk:
            break
        digest.update(chunk)
        left -= len(chunk)
    return digest.hexdigest()


def _seal(file: IO[bytes]) -> None:
    """Write the SHA-256 of every byte before it into the archive comment's last 64 bytes, so a
    change anywhere in the file (a flipped bit in zip metadata included) is noticed on load."""
    size = file.seek(0, os.SEEK_END)
    seal = _file_digest(file, size - 64).encode("ascii")
    file.seek(size - 64)
    file.write(seal)


def _check_seal(file: IO[bytes], size: int, path: str) -> None:
    minimum = 22 + len(SEAL_PREFIX) + 64  # the zip end record and the seal
    if size < minimum:
        raise ModelFileError(
            f"{path!r} is {size} bytes, too short for a glassnet model file: it is truncated, or "
            f"not a file written by model.save(path)."
        )
    file.seek(size - 64 - len(SEAL_PREFIX))
    prefix, seal = file.read(len(SEAL_PREFIX)), file.read(64)
    if prefix != SEAL_PREFIX:
        raise ModelFileError(
            f"{path!r} is not a glassnet model file, or it is truncated: it does not end with "
            f"glassnet's seal. Expected a file written by model.save(path)."
        )
    if _file_digest(file, size - 64).encode("ascii") != seal:
        raise ModelFileError(
            f"{path!r}: the file's SHA-256 seal does not match its bytes; it was truncated, "
            f"damaged or changed after it was saved. Save the model again from its source."
        )


def _checksum(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    unsigned = {key: value for key, value in header.items() if key != "checksum"}
    digest.update(json.dumps(unsigned, sort_keys=True).encode("utf-8"))
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _rng_state(rng: Any) -> dict[str, Any] | None:
    """The generator's state when it is NumPy's default PCG64 (what ``seed=`` makes); None for
    another bit generator (a Generator passed as the seed): the loaded model then draws afresh."""
    bit_generator = getattr(rng, "bit_generator", None)
    if not isinstance(bit_generator, np.random.PCG64):
        return None
    return bit_generator.state


def _seed_number(seed: Any) -> int | None:
    """The seed as the header keeps it: a whole number of at most ``MAX_INTEGER_DIGITS`` digits,
    else None (the generator's state, saved beside it, is what the loaded model continues)."""
    whole = isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
    return int(seed) if whole and abs(int(seed)) < 10**MAX_INTEGER_DIGITS else None


def _version() -> str:
    import glassnet

    return glassnet.__version__


# -- loading -----------------------------------------------------------------------------------
def load_model(path: str | os.PathLike[str]) -> Sequential:
    """Read a model written by ``model.save``: the same predictions bit for bit, and (when it was
    compiled) the same optimizer state, so ``fit`` continues on the same trajectory.

    Raises ``ModelFileError`` (a ``ValueError``) for anything that is not a sound glassnet file.
    """
    path = file_path(path, "the model file's path")
    try:
        with open_regular(path) as (file, size):
            _check_seal(file, size, path)
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                return _load_archive(archive, size, path)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error) as error:
        raise ModelFileError(
            f"{path!r} is not a glassnet model file, or it is truncated or corrupt ({error}). "
            f"Expected a .npz archive written by model.save(path)."
        ) from None
    except (OSError, EOFError) as error:
        raise ModelFileError(f"Could not read the model file {path!r}: {error}.") from None


def _load_archive(archive: zipfile.ZipFile, file_size: int, path: str) -> Sequential:
    members = {info.filename: info for info in archive.infolist()}
    if HEADER_MEMBER not in members:
        raise ModelFileError(
            f"{path!r} has no glassnet header ({HEADER_MEMBER}); it is not a file written by "
            f"model.save(path)."
        )
    raw = _read_member(archive, members[HEADER_MEMBER], (None,), MAX_HEADER_BYTES, "header")
    if raw.dtype != np.uint8:
        raise ModelFileError(f"{path!r}: the header must be uint8 bytes, found {raw.dtype}.")
    header = parse_header(raw.tobytes(), path)
    _check_header(header, path)
    model = _build_model(header, path, file_size)
    check_slots(model, header["compile"], path)
    shapes = [w.shape for layer in model.layers for w in layer.weights]
    names = [f"weights/{i}" for i in range(len(shapes))]
    compiled = header["compile"]
    if compiled is not None:
        for slot, present in compiled["slots"].items():
            for i, here in enumerate(present):
                if here:
                    names.append(f"optimizer/{slot}/{i}")
                    shapes.append(model._parameters[i].shape)
    expected = {name + ".npy" for name in names} | {HEADER_MEMBER}
    if set(members) != expected:
        extra, missing = sorted(set(members) - expected), sorted(expected - set(members))
        raise ModelFileError(
            f"{path!r}: the archive's members do not match its header (missing: {missing or '-'}; "
            f"unexpected: {extra or '-'}). The file was changed after it was saved."
        )
    # _build_model has bounded the weights by the file's size; each member is read only after
    # its declared shape and size check out
    arrays = {
        name: _read_member(archive, members[name + ".npy"], shape, file_size, name)
        for name, shape in zip(names, shapes, strict=True)
    }
    if _checksum(header, arrays) != header["checksum"]:
        raise ModelFileError(
            f"{path!r}: checksum mismatch; the file was changed or damaged after it was saved. "
            f"Save the model again from its source."
        )
    weights = [arrays[f"weights/{i}"] for i in range(sum(len(x.weights) for x in model.layers))]
    for i, value in enumerate(weights):
        # exactly the model's dtype: set_weights would quietly cast any real numbers
        if value.dtype != model.dtype:
            raise ModelFileError(
                f"{path!r}: weight array {i} must be {model.dtype.name}, found {value.dtype}."
            )
    offset = 0  # where each layer's arrays start in the weights list
    for layer in model.layers:
        if "moving_variance" in layer.state_names:  # BatchNormalization's: a variance is >= 0
            index = offset + len(layer.parameter_names) + layer.state_names.index("moving_variance")
            if (weights[index] < 0).any():
                raise ModelFileError(
                    f"{path!r}: layer {layer.name!r} (BatchNormalization) has a negative moving "
                    f"variance (weight array {index}); a variance is >= 0. The file was changed "
                    f"after it was saved."
                )
        offset += len(layer.weights)
    try:
        model.set_weights(weights)  # refuses NaN and inf
    except ValueError as error:
        raise ModelFileError(f"{path!r}: {error}") from None
    if compiled is not None:
        state: dict[str, Any] = {"iterations": compiled["iterations"]}
        for slot, present in compiled["slots"].items():
            state[slot] = [arrays.get(f"optimizer/{slot}/{i}") for i in range(len(present))]
        try:
            model.optimizer.set_state(state, model._parameters)
        except ValueError as error:
            raise ModelFileError(f"{path!r}: {error}") from None
    return model


def _read_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    shape: tuple[int | None, ...],
    limit: int,
    what: str,
) -> np.ndarray:
    """One ``.npy`` member, checked before its data is read: no pickles, a plain numeric dtype,
    the expected shape (``None`` = any length) and a size that matches the declaration."""
    if info.file_size > limit:
        raise ModelFileError(
            f"The {what} array declares {info.file_size} bytes, more than the {limit} expected."
        )
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            read_header = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }.get(version)
            if read_header is None:
                raise ValueError(f"unsupported .npy version {version}")
            declared, fortran, dtype = read_header(member)
        except ValueError as error:
            raise ModelFileError(f"The {what} array is not a valid .npy array ({error}).") from None
        if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS + "u" or fortran:
            raise ModelFileError(
                f"The {what} array has dtype {dtype} (fortran order: {fortran}); expected a plain "
                f"float array. Model files never hold Python objects."
            )
        if len(declared) != len(shape) or any(
            want is not None and want != got for want, got in zip(shape, declared, strict=False)
        ):
            shown = tuple("n" if s is None else s for s in shape)
            raise ModelFileError(
                f"The {what} array has shape {declared}, but the architecture expects {shown}."
            )
        count = math.prod(declared)  # Python ints: a hostile shape cannot overflow
        if count * dtype.itemsize > info.file_size:
            raise ModelFileError(
                f"The {what} array declares {declared} of {dtype}, more than its "
                f"{info.file_size} stored bytes: the file is truncated or corrupt."
            )
        data = member.read(count * dtype.itemsize + 1)
    if len(data) != count * dtype.itemsize:
        raise ModelFileError(
            f"The {what} array should hold {count * dtype.itemsize} bytes, found {len(data)}: "
            f"the file is truncated or corrupt."
        )
    return np.frombuffer(data, dtype=dtype).reshape(declared).copy()


def _check_names(header: dict[str, Any], where: str) -> None:
    """The model's and each layer's name: 1 to MAX_NAME_CHARS printable characters (a
    100,000-character or multi-line name would flood every message and summary)."""
    names = [("the model's name", header["name"])]
    names += [
        (f"layer {index}'s name", config["name"])
        for index, config in enumerate(header["layers"])
        if isinstance(config, dict) and config.get("name") is not None
    ]
    for what, name in names:
        try:
            check_name(name, what)
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"{where}: {error}") from None


def _check_header(header: Any, path: str) -> None:
    if isinstance(header, dict) and header.get("format") == "glassnet-weights":
        raise ModelFileError(
            f"{path!r} holds weights only (model.save_weights), not a whole model. Build the "
            f"model as it was built, then call model.load_weights(path)."
        )
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a glassnet model file (its header has no format).")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} has format version {version!r}; this glassnet {_version()} reads version "
            f"{FORMAT_VERSION}. Save the model again with this glassnet, or install the glassnet "
            f"that wrote it (it says {header.get('glassnet_version')!r})."
        )
    wanted = {
        "dtype": str,
        "layers": list,
        "checksum": str,
        "weights": int,
        "name": str,
        "input_features": int,
    }
    for key, kind in wanted.items():
        if not isinstance(header.get(key), kind) or isinstance(header.get(key), bool):
            raise ModelFileError(
                f"{path!r}: header field {key!r} should be a {kind.__name__}, found "
                f"{header.get(key)!r}."
            )
    if header["dtype"] not in ("float32", "float64"):
        raise ModelFileError(
            f"{path!r}: dtype must be float32 or float64, got {header['dtype']!r}."
        )
    if len(header["layers"]) > MAX_LAYERS:
        raise ModelFileError(
            f"{path!r}: the header declares {len(header['layers'])} layers; glassnet loads at "
            f"most {MAX_LAYERS} (glassnet.io.MAX_LAYERS)."
        )
    _check_names(header, f"{path!r}")
    compiled = header.get("compile")
    if compiled is not None and not (
        isinstance(compiled, dict)
        and isinstance(compiled.get("slots"), dict)
        and all(isinstance(v, list) for v in compiled["slots"].values())
        and isinstance(compiled.get("metrics"), list)
    ):
        raise ModelFileError(f"{path!r}: the header's compile settings are malformed.")
    metrics = compiled["metrics"] if compiled is not None else []
    if not all(isinstance(m, str) for m in metrics) or len(set(metrics)) != len(metrics):
        # each known name once: 100,000 copies of "accuracy" would be computed at every batch
        raise ModelFileError(
            f"{path!r}: the header's metrics must be distinct names, found {len(metrics)} entries "
            f"({len(set(map(str, metrics)))} distinct)."
        )
    if not isinstance(header.get("layer_rngs", {}), dict):
        raise ModelFileError(f"{path!r}: the header's layer_rngs must be a dict by layer name.")
    for where, state in [("rng", header.get("rng")), *(header.get("layer_rngs") or {}).items()]:
        if state is not None:
            check_rng_state(state, f"{path!r}: random state {where!r}")


def _metric_objects(compiled: dict[str, Any], path: str) -> list[Any]:
    """The header's metric objects (Precision, AUC, ...), each rebuilt through its constructor."""
    from glassnet import metric_objects

    configs = compiled.get("metric_objects", [])
    if not isinstance(configs, list) or len(configs) > metric_objects.MAX_METRIC_OBJECTS:
        raise ModelFileError(
            f"{path!r}: the header's metric_objects must be a list of at most "
            f"{metric_objects.MAX_METRIC_OBJECTS} metric configs."
        )
    return [metric_objects.from_config(config) for config in configs]


def _weighted_metrics(compiled: dict[str, Any], path: str) -> list[Any]:
    """The header's weighted metrics: each name as it is (compile checks it), each object's
    config rebuilt through its constructor."""
    from glassnet import metric_objects

    entries = compiled.get("weighted_metrics", [])
    if not isinstance(entries, list) or len(entries) > metric_objects.MAX_METRIC_OBJECTS:
        raise ModelFileError(
            f"{path!r}: the header's weighted_metrics must be a list of at most "
            f"{metric_objects.MAX_METRIC_OBJECTS} metric names or configs."
        )
    return [e if isinstance(e, str) else metric_objects.from_config(e) for e in entries]


def _build_model(header: dict[str, Any], path: str, file_size: int) -> Sequential:
    from glassnet import layers as layers_module
    from glassnet import losses, optimizers
    from glassnet.layers.core import shape_argument
    from glassnet.model import Sequential

    features = header["input_features"]
    if features <= 0:
        raise ModelFileError(f"{path!r}: input_features must be positive, got {features}.")
    shape = _input_shape(header, path)
    try:
        layers = [layers_module.from_config(config) for config in header["layers"]]
        # count the parameters before any allocation: a hostile header may ask for a huge layer
        total, width = 0, shape
        for layer in layers:
            total += layer.parameter_count_for(shape_argument(width))
            width = layer.compute_output_shape(width)
        check_size(len(layers), total, repr(path), "load")
        if total * np.dtype(header["dtype"]).itemsize > file_size:
            raise ModelFileError(
                f"{path!r}: the architecture declares {total} parameters, more than the file's "
                f"{file_size} bytes can hold; it is truncated or its header was changed."
            )
        seed = header.get("seed")
        model = Sequential(dtype=header["dtype"], seed=seed, name=header["name"])
        for layer in layers:
            model.add(layer)
        model.build((None, *shape))
        _restore_rngs(model, header)
        compiled = header["compile"]
        if compiled is not None:
            model.compile(
                optimizer=optimizers.from_config(compiled["optimizer"]),
                loss=losses.from_config(compiled["loss"]),
                metrics=[*compiled["metrics"], *_metric_objects(compiled, path)],
                loss_weights=compiled.get("loss_weights"),
                weighted_metrics=_weighted_metrics(compiled, path),
            )
    except ModelFileError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ModelFileError(f"{path!r}: the header describes no valid model ({error}).") from None
    trainable = _trainable(model)
    if len(trainable) != header["weights"]:
        raise ModelFileError(
            f"{path!r}: the architecture has {len(trainable)} weight arrays but the "
            f"header lists {header['weights']}."
        )
    # which weights the optimizer trains (BatchNormalization's moving statistics it does not):
    # files written before BatchNormalization have no such list and train every weight
    if header.get("trainable", [True] * len(trainable)) != trainable:
        raise ModelFileError(
            f"{path!r}: the header's trainable flags {shown(header.get('trainable'), 60)} do "
            f"not match its architecture's {shown(trainable, 60)}; the header was changed."
        )
    return model


def _trainable(model: Sequential) -> list[bool]:
    """For each weight in ``get_weights()`` order: True when the optimizer trains it."""
    return [
        trainable
        for layer in model.layers
        for trainable in [True] * len(layer.parameter_names) + [False] * len(layer.state_names)
    ]


def _input_shape(header: dict[str, Any], path: str) -> tuple[int, ...]:
    """The example shape: ``input_shape`` (images, (height, width, channels)) when the header
    has one, each size a positive integer whose product is ``input_features``; else the width."""
    features, shape = header["input_features"], header.get("input_shape")
    if shape is None:
        return (features,)
    if (
        not isinstance(shape, list)
        or len(shape) != 3
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)
        or math.prod(shape) != features
    ):
        raise ModelFileError(
            f"{path!r}: the header's input_shape must be [height, width, channels], positive "
            f"integers whose product is input_features ({features}), found {shape!r:.80}."
        )
    return tuple(shape)


def _restore_rngs(model: Sequential, header: dict[str, Any]) -> None:
    if isinstance(header.get("rng"), dict):
        model.rng.bit_generator.state = header["rng"]
    for layer in model.layers:
        state = (header.get("layer_rngs") or {}).get(layer.name)
        rng = getattr(layer, "rng", None)
        if state is not None and rng is not None and rng is not model.rng:
            rng.bit_generator.state = state
