"""``Sequential.from_config`` and ``model_from_json``: a model rebuilt from plain data, checked.

The data may come from anywhere (a JSON file someone sent), so it is read as a model file's
header is: at most 1 MiB of JSON, integers of at most 40 digits, finite numbers, known layer
kinds and settings only, at most ``MAX_LAYERS`` layers and ``MAX_PARAMETERS`` parameters counted
before any weight is made, and names of at most 256 printable characters. Anything else is a
``ValueError`` that says what was expected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glassnet._header_bounds import MAX_LAYERS, check_name, check_size, parse_header
from glassnet._keras_api import MAX_JSON_BYTES
from glassnet._validation import shown

if TYPE_CHECKING:
    from glassnet.model import Sequential

KEYS = ("name", "trainable", "dtype", "layers", "build_input_shape")
WHERE = "Sequential.from_config"


def model_from_json(cls: type[Sequential], json_string: Any) -> Sequential:
    """``cls.from_config`` of the ``config`` in ``to_json()``'s text."""
    if isinstance(json_string, str):
        data = json_string.encode("utf-8", "surrogatepass")
    elif isinstance(json_string, bytes | bytearray):
        data = bytes(json_string)
    else:
        raise TypeError(
            f"model_from_json expects the text of model.to_json() (a str), got "
            f"{type(json_string).__name__} {shown(json_string, 40)}."
        )
    if len(data) > MAX_JSON_BYTES:
        raise ValueError(
            f"model_from_json: the text is {len(data)} bytes; a model's JSON is at most "
            f"{MAX_JSON_BYTES} (1 MiB), as a model file's header."
        )
    document = parse_header(data, "model_from_json's text")
    if not isinstance(document, dict) or document.get("class_name") != "Sequential":
        raise ValueError(
            f"model_from_json expects the JSON of model.to_json(), an object with "
            f'"class_name": "Sequential" and a "config", got {shown(document, 60)}. glassnet '
            f"builds Sequential models only."
        )
    return model_from_config(cls, document.get("config"))


def model_from_config(cls: type[Sequential], config: Any) -> Sequential:
    """A new, checked model from ``get_config()``'s dict (fresh weights when the input shape is
    given, else unbuilt)."""
    from glassnet import layers as layers_module
    from glassnet.layers.core import shape_argument
    from glassnet.model import batch_shape

    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(
            f"{WHERE} expects the dict of model.get_config(), with a 'layers' list, got "
            f"{shown(config, 60)}."
        )
    if isinstance(config.get("dtype"), dict):  # Keras's DTypePolicy
        raise ValueError(
            f"{WHERE}: this config is Keras's own (its dtype is a DTypePolicy dict); glassnet "
            f"reads a glassnet model's get_config(). Rebuild the model with glassnet's layers and "
            f"copy the weights with set_weights."
        )
    unknown = [key for key in config if key not in KEYS]
    if unknown:
        raise ValueError(
            f"{WHERE}: unknown entry {shown(unknown[0], 40)}; a model's config has "
            f"{', '.join(map(repr, KEYS))}."
        )
    name, dtype = config.get("name", "sequential"), config.get("dtype", "float32")
    check_name(name, "the model's name")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"{WHERE}: dtype must be 'float32' or 'float64', got {shown(dtype, 20)}.")
    configs = config["layers"]
    if len(configs) > MAX_LAYERS:
        raise ValueError(
            f"{WHERE}: the config has {len(configs)} layers; glassnet builds at most "
            f"{MAX_LAYERS} (glassnet.io.MAX_LAYERS)."
        )
    layers = []
    for index, layer_config in enumerate(configs):
        if not isinstance(layer_config, dict) or "class_name" not in layer_config:
            raise ValueError(
                f"{WHERE}: layer {index}'s config must be a dict with a 'class_name' (a layer's "
                f"get_config()), got {shown(layer_config, 60)}."
            )
        if isinstance(layer_config.get("config"), dict):  # Keras nests, even without 'module'
            raise ValueError(
                f"{WHERE}: layer {index}'s config is Keras's shape (its arguments nested in a "
                f"'config' entry); glassnet's layer config is flat, e.g. {{'class_name': "
                f"'Dense', 'units': 4}}, as a glassnet model's get_config() writes it. Rebuild "
                f"the model with glassnet's layers and copy the weights with set_weights."
            )
        if layer_config.get("name") is not None:
            check_name(layer_config["name"], f"layer {index}'s name")
        try:
            layers.append(layers_module.from_config(layer_config))
        except (TypeError, ValueError, KeyError) as error:
            raise type(error)(f"{WHERE}: layer {index}: {error}") from None
    shape = config.get("build_input_shape")
    if shape is not None:
        shape = batch_shape(shape)
        total, width = 0, shape
        for layer in layers:  # counted before anything is allocated
            total += layer.parameter_count_for(shape_argument(width))
            width = layer.compute_output_shape(width)
        check_size(len(layers), total, WHERE, "build")
    model = cls(dtype=dtype, name=name)
    for layer in layers:
        model.add(layer)
    if shape is not None and layers:
        model.build((None, *shape))
    elif shape is not None:
        model.example_shape = shape
    if config.get("trainable", True) is not True:  # False, or not a bool: said by the setter
        model.trainable = config["trainable"]
    return model
