"""``.glassnet`` model files in the playground: export a session's model, import one's weights.

Both go through the engine's own ``model.save(path)`` and ``glassnet.load_model(path)``, which
refuses a hostile file (one declaring more weights than it holds) before allocating anything. An
imported network must fit the session's data: the same number of inputs, and the output layer the
session's loss and classes call for. Its hidden layers replace the session's, its weights become the
session's starting weights (Reset returns to them), and training starts again from step 0.

A first ``Rescaling`` or ``Normalization`` layer (what ``glassnet train`` puts in front for digits
or a CSV with wide ranges) is kept when the session holds an uploaded CSV of the right width: the
session's model then starts with it (and the exported script and file carry it). What the page
cannot represent is refused with a message, never changed on the way in: a layer other than Dense
(after that one first layer), an activation with settings the page's own does not have
(``LeakyReLU(0.9)``: the page's ``leaky_relu`` has slope 0.01), a regularizer other than one L1
and one L2 strength shared by every layer, weights the network cannot evaluate the data with. A
Dense without bias is taken (the page has a bias switch per layer, as the seed's network needs).
An import is all or nothing: the new network is built, given the weights and evaluated on
the session's data first, and only then does the session take it; a refused file leaves the
session as it was.
The session keeps its own optimizer and learning rate (the file's optimizer state is not used).
An image model (inputs of shape (height, width, channels)) is refused by name, with where to look
at it instead, until the page has a view for images.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from typing import Any

import numpy as np

from glassnet._validation import shown
from glassnet.playground.config import ACTIVATIONS, LIMITS, LayerConfig
from glassnet.playground.sessions import build_model, output_layer, preprocessing_layer

#: the Content-Type of a .glassnet file, in an export and in an import request
MEDIA_TYPE = "application/octet-stream"


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
    """Give ``session`` the architecture and weights of the ``.glassnet`` file ``content``, or
    raise ``ValueError`` (saying why) and leave the session exactly as it was."""
    model = load_bytes(content)
    config = _config_for(session, model)  # the input width first
    preprocessing = _preprocessing_of(session, model)
    weights = [np.asarray(w, dtype=np.float64) for w in model.get_weights()]
    first = preprocessing_layer(preprocessing, session.data.x_train)
    trial = build_model(config, session.data.features, session.data.classes, first)
    try:
        trial.set_weights(weights)
        trial.evaluate(session.data.x_train, session.y_train, return_dict=True)
    except (ValueError, TypeError, ArithmeticError) as error:
        raise ValueError(
            f"The file's weights do not work on this data set ({error}); the session is unchanged."
        ) from None
    previous = (session.config, session.imported_weights, session.preprocessing)
    session.config, session.imported_weights = config, weights
    session.preprocessing = preprocessing
    try:
        session.reset()
    except Exception:  # should not happen after the trial; keep the session whole regardless
        session.config, session.imported_weights, session.preprocessing = previous
        session.reset()
        raise


PREPROCESSING = ("Rescaling", "Normalization")


def _preprocessing_of(session: Any, model: Any) -> dict[str, Any] | None:
    """The spec of the file's leading Rescaling or Normalization (None without one), or
    ValueError when the page cannot take it: only an uploaded CSV's session has raw features
    for such a layer to scale, and a per-feature Normalization must fit its width."""
    layers = model.layers
    if not layers or layers[0].kind not in PREPROCESSING:
        return None
    layer = layers[0]
    if session.config.dataset.name != "csv":
        raise ValueError(
            f"The file's network starts with a {layer.kind} layer; the playground keeps one "
            f"only for an uploaded CSV (its generated sets are already on a small scale). Upload "
            f"the CSV the model was trained on, or load the file in Python with "
            f"glassnet.load_model."
        )
    if layer.kind == "Rescaling":
        config = layer.get_config()
        return {"kind": "Rescaling", "scale": config["scale"], "offset": config["offset"]}
    if layer.mean is None or layer.variance is None:
        raise ValueError(
            "The file's Normalization layer was never adapted (it has no mean and variance); "
            "the playground cannot use it. Adapt it on the data before saving the model."
        )
    mean = np.atleast_1d(np.asarray(layer.mean, dtype=np.float64))
    variance = np.atleast_1d(np.asarray(layer.variance, dtype=np.float64))
    if layer.axis != -1 or mean.shape != (session.data.features,):
        raise ValueError(
            f"The file's Normalization layer has {mean.size} mean(s) (axis={layer.axis!r}); "
            f"the playground takes one per feature of this CSV, {session.data.features} in all "
            f"(axis=-1). Export a network built for this data."
        )
    return {"kind": "Normalization", "mean": mean.tolist(), "variance": variance.tolist()}


def _config_for(session: Any, model: Any) -> Any:
    """The session's setup with the file's hidden layers (and L2), or ValueError when the file
    holds what the page cannot show."""
    shape = model.example_shape
    if shape is not None and len(shape) != 1:  # images: (height, width, channels)
        raise ValueError(
            f"The file holds an image model (its input shape is {shape}: height, width, "
            f"channels); the playground's page draws networks of Dense layers on tables of "
            f"features and cannot show it. Load it in Python with glassnet.load_model (summary, "
            f"predict), or narrate it with glassnet explain --model FILE --data digits-images "
            f"(or mnist)."
        )
    layers = list(model.layers)
    if layers and layers[0].kind in PREPROCESSING:
        layers = layers[1:]  # checked by _preprocessing_of
    dense = [layer for layer in layers if layer.kind == "Dense"]
    if len(dense) != len(layers) or not dense:
        kinds = ", ".join(layer.kind for layer in model.layers[:8])
        kinds += f" ... ({len(model.layers)} layers)" if len(model.layers) > 8 else ""
        raise ValueError(
            f"The playground draws networks of Dense layers only, after at most one leading "
            f"Rescaling or Normalization; this file has: {kinds}."
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
                f"The file's layer {shown(layer.name, 80)} is Dense({layer.units}, "
                f"{layer.activation.name!r}); the playground takes at most {LIMITS['max_units']} "
                f"units and the activations {', '.join(ACTIVATIONS)}."
            )
    for layer in dense:
        _check_activation(layer)
    layers = tuple(
        LayerConfig(layer.units, layer.activation.name, bool(layer.use_bias)) for layer in hidden
    )
    l1, l2 = _shared_penalties(dense)
    return dataclasses.replace(
        session.config, layers=layers, l1=l1, l2=l2, output_bias=bool(last.use_bias)
    )


def _check_activation(layer: Any) -> None:
    """Refuse an activation whose settings differ from the page's one of that name."""
    from glassnet.activations import get as get_activation

    own = get_activation(layer.activation.name).get_config()
    theirs = layer.activation.get_config()
    if theirs != own:
        settings = ", ".join(f"{k}={v!r}" for k, v in theirs.items() if k != "name")
        page = ", ".join(f"{k}={v!r}" for k, v in own.items() if k != "name")
        raise ValueError(
            f"The file's layer {shown(layer.name, 80)} uses {layer.activation.name} with "
            f"{settings}; the playground's {layer.activation.name} has {page} and cannot show "
            f"another, so the file is refused rather than changed. Load it in Python with "
            f"glassnet.load_model."
        )


#: the regularizers the page can show, by name: their settings
PENALTIES = {"l1": {"l1"}, "l2": {"l2"}, "l1_l2": {"l1", "l2"}}


def _shared_penalties(dense: list[Any]) -> tuple[float, float]:
    """The one (L1, L2) pair of strengths every layer of the file has ((0, 0) for none), as the
    page sets them: ``L1``, ``L2`` or ``L1L2`` on every kernel alike."""
    strengths = set()
    for layer in dense:
        regularizer = layer.kernel_regularizer
        config = None if regularizer is None else regularizer.get_config()
        if config is None:
            strengths.add((0.0, 0.0))
        elif set(config) - {"name"} == PENALTIES.get(config.get("name")):
            strengths.add((float(config.get("l1", 0.0)), float(config.get("l2", 0.0))))
        else:
            raise ValueError(
                f"The file's layer {shown(layer.name, 80)} has the regularizer "
                f"{shown(config, 80)}; the playground sets one L1 and one L2 strength for every "
                f"layer and nothing else."
            )
    pair = next(iter(strengths))
    if len(strengths) != 1 or not all(0.0 <= value <= 1.0 for value in pair):
        pairs = ", ".join(f"L1 {a:g} L2 {b:g}" for a, b in sorted(strengths))
        raise ValueError(
            f"The file's layers have the penalties {pairs}; the playground sets one L1 and one "
            f"L2 strength, each from 0 to 1, for every layer."
        )
    return pair
