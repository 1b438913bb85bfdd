"""``.glassnet`` model files in the playground: export a session's model, import one's weights.

Both go through the engine's own ``model.save(path)`` and ``glassnet.load_model(path)``. An
imported network must fit the session's data: the same number of inputs, and the output layer the
session's loss and classes call for. Its hidden layers replace the session's, its weights become the
session's starting weights (Reset returns to them), and training starts again from step 0.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from glassnet.playground.config import ACTIVATIONS, LIMITS, LayerConfig
from glassnet.playground.sessions import output_layer


def to_bytes(model: Any) -> bytes:
    """The model as a ``.glassnet`` file's bytes (written by ``model.save``)."""
    with tempfile.TemporaryDirectory(prefix="glassnet-export-") as folder:
        path = os.path.join(folder, "model.glassnet")
        model.save(path)
        with open(path, "rb") as file:
            return file.read()


def load_bytes(content: bytes) -> Any:
    """A model from a ``.glassnet`` file's bytes (read by ``glassnet.load_model``)."""
    import glassnet

    if not content:
        raise ValueError("The import is empty: send the bytes of a .glassnet file.")
    _check_declared_size(content)
    with tempfile.TemporaryDirectory(prefix="glassnet-import-") as folder:
        path = os.path.join(folder, "model.glassnet")
        with open(path, "wb") as file:
            file.write(content)
        try:
            return glassnet.load_model(path)
        except (ValueError, TypeError, KeyError, OSError, EOFError, NotImplementedError) as error:
            message = str(error).replace(path, "the uploaded file")
            raise ValueError(f"Could not read that .glassnet file: {message}") from None


def import_into(session: Any, content: bytes) -> None:
    """Give ``session`` the architecture and weights of the ``.glassnet`` file ``content``."""
    model = load_bytes(content)
    dense = [layer for layer in model.layers if layer.kind == "Dense"]
    if len(dense) != len(model.layers) or not dense:
        kinds = ", ".join(layer.kind for layer in model.layers)
        raise ValueError(
            f"The playground draws networks of Dense layers only; this file has: {kinds}."
        )
    if model.input_features != session.data.features:
        raise ValueError(
            f"The file's network takes {model.input_features} inputs, but this data set has "
            f"{session.data.features} features. Choose a data set with "
            f"{model.input_features} features, or export a network built for this one."
        )
    units, activation = output_layer(session.config, session.data.classes)
    last = dense[-1]
    if (last.units, last.activation.name) != (units, activation):
        raise ValueError(
            f"The file's output layer is Dense({last.units}, {last.activation.name!r}); with the "
            f"loss {session.config.loss} and {session.data.classes} classes this session needs "
            f"Dense({units}, {activation!r}). Change the loss or the data set to match."
        )
    hidden = dense[:-1]
    if len(hidden) > LIMITS["max_hidden_layers"]:
        raise ValueError(
            f"The file's network has {len(hidden)} hidden layers; the playground shows at most "
            f"{LIMITS['max_hidden_layers']}."
        )
    for layer in hidden:
        if layer.units > LIMITS["max_units"] or layer.activation.name not in ACTIVATIONS:
            raise ValueError(
                f"The file's layer {layer.name!r} is Dense({layer.units}, "
                f"{layer.activation.name!r}); the playground takes at most {LIMITS['max_units']} "
                f"units and the activations {', '.join(ACTIVATIONS)}."
            )
        if not layer.use_bias:
            raise ValueError(f"The file's layer {layer.name!r} has no bias; the playground's do.")
    layers = tuple(LayerConfig(layer.units, layer.activation.name) for layer in hidden)
    session.config = dataclasses.replace(session.config, layers=layers)
    session.imported_weights = [np.asarray(w, dtype=np.float64) for w in model.get_weights()]
    session.reset()


def _check_declared_size(content: bytes) -> None:
    """Refuse, before ``glassnet.load_model`` builds anything, a file whose header declares a
    network far beyond the playground's bounds: a few hostile bytes could otherwise ask the
    server for gigabytes of weights. Reads only the header, checked as ``glassnet.io`` does."""
    unreadable = "Could not read that .glassnet file: its header is missing or damaged."
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("header.npy")
            if info.file_size > len(content) + 1024:
                raise ValueError(unreadable)
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version != (1, 0):
                    raise ValueError(unreadable)
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
                if dtype != np.uint8 or fortran or len(shape) != 1 or shape[0] > info.file_size:
                    raise ValueError(unreadable)
                header = json.loads(member.read(shape[0]).decode("utf-8"))
    except (
        KeyError,
        ValueError,
        EOFError,
        OSError,
        NotImplementedError,
        RecursionError,
        zipfile.BadZipFile,
    ):
        raise ValueError(unreadable) from None
    features = header.get("input_features") if isinstance(header, dict) else None
    layers = header.get("layers") if isinstance(header, dict) else None
    if not isinstance(features, int) or not isinstance(layers, list):
        raise ValueError(unreadable)
    most_units = max(LIMITS["max_units"], LIMITS["max_classes"])
    units = [layer.get("units") for layer in layers if isinstance(layer, dict)]
    too_big = (
        features > LIMITS["max_csv_features"]
        or len(layers) > 2 * (LIMITS["max_hidden_layers"] + 1)
        or any(isinstance(u, int) and u > most_units for u in units)
    )
    if too_big:
        shown = ", ".join(str(u) for u in units[:8]) + (" ..." if len(units) > 8 else "")
        raise ValueError(
            f"The file's network is larger than the playground takes: {features} inputs, "
            f"{len(layers)} layers of {shown} units ({math.prod([features, *units[:1]])} weights "
            f"in the first alone). The playground takes at most "
            f"{LIMITS['max_csv_features']} inputs and {most_units} units per layer."
        )
