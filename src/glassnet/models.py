"""Keras's ``keras.models`` names: ``Sequential``, ``load_model``, ``save_model``,
``model_from_json`` and ``clone_model``.

glassnet has only ``Sequential``: Keras's ``Model`` (the functional API and subclassing) has no
glassnet counterpart, and asking for it says so.

>>> import glassnet as gn
>>> model = gn.models.Sequential([gn.Input(shape=(3,)), gn.layers.Dense(2, activation="relu")])
>>> again = gn.models.model_from_json(model.to_json())
>>> again.output_shape, again.get_layer(index=0).name
((None, 2), 'dense')
"""

from __future__ import annotations

from typing import Any

from glassnet.io import load_model, save_model
from glassnet.model import Sequential


def model_from_json(json_string: str | bytes) -> Sequential:
    """A new model (fresh weights) from ``model.to_json()``: the layers, their settings and
    the input shape; no weights, no compile settings (Keras's ``model_from_json``)."""
    return Sequential.from_json(json_string)


def clone_model(model: Sequential) -> Sequential:
    """A new model with ``model``'s architecture and fresh initial weights (Keras's
    ``clone_model``: the weights are not copied; use ``set_weights(model.get_weights())``)."""
    if not isinstance(model, Sequential):
        raise TypeError(
            f"clone_model expects a glassnet Sequential model, got {type(model).__name__}."
        )
    return Sequential.from_config(model.get_config())


def __getattr__(name: str) -> Any:
    from glassnet._not_here import missing  # Model: the reason why, not a bare AttributeError

    raise missing("glassnet.models", name)


__all__ = ["Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
