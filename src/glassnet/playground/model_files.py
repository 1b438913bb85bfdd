"""``.glassnet`` model files in the playground: export a session's model, import one's weights.

Both go through the engine's own ``model.save(path)`` and ``glassnet.load_model(path)``, which
refuses a hostile file (one declaring more weights than it holds) before allocating anything. An
imported network must fit the session's data: the same number of inputs, and the output layer the
session's loss and classes call for. Its hidden layers replace the session's, its weights become the
session's starting weights (Reset returns to them), and training starts again from step 0.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
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
