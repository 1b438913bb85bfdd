"""Looking things up by name, with an error that lists the names that exist."""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from glassnet._validation import shown

T = TypeVar("T")


def lookup(kind: str, name: object, table: Mapping[str, T]) -> T:
    """``table[name]``, or a ValueError naming the ``kind`` and listing every valid name.

    >>> lookup("activation", "relu", {"relu": 1})
    1
    >>> lookup("activation", "rleu", {"relu": 1, "tanh": 2})
    Traceback (most recent call last):
    ...
    ValueError: Unknown activation 'rleu'. Valid names: 'relu', 'tanh'.
    """
    if not isinstance(name, str):
        a = "an" if kind[:1] in "aeiou" else "a"  # "an activation", "an optimizer"
        raise TypeError(
            f"Expected {a} {kind} name (a string) or {a} {kind} object, got {type(name).__name__} "
            f"{shown(name)}.{keras_hint(name, table)}"
        )
    key = name.lower()
    if key not in table:
        valid = ", ".join(repr(k) for k in table)
        raise ValueError(f"Unknown {kind} {shown(name)}. Valid names: {valid}.")
    return table[key]


def keras_hint(given: object, table: Mapping[str, Any]) -> str:
    """For a Keras object where glassnet's goes (``kernel_initializer=keras.initializers.
    HeNormal()``): glassnet's name for the class of the same name, or "" for anything else.

    >>> class HeNormal: ...
    >>> HeNormal.__module__ = "keras.src.initializers"
    >>> print(keras_hint(HeNormal(), {"he_normal": HeNormal})[:64])
     It is Keras's HeNormal; glassnet computes with its own objects:
    >>> keras_hint(object(), {"he_normal": HeNormal})
    ''
    """
    if type(given).__module__.split(".")[0] not in ("keras", "tf_keras", "tensorflow"):
        return ""
    cls = type(given).__name__
    names = [
        key for key, value in table.items() if getattr(value, "__name__", "").lower() == cls.lower()
    ]
    instead = (
        f"{names[0]!r}, or glassnet's {table[names[0]].__name__}(...) with the same settings"
        if names
        else "one of glassnet's names"
    )
    return f" It is Keras's {cls}; glassnet computes with its own objects: pass {instead}."


def from_config(kind: str, config: object, table: Mapping[str, Any], key: str = "name") -> Any:
    """Rebuild an object from its ``get_config()`` dict: ``table[config[key]](**the rest)``; a
    setting the class does not take is refused by name, with the ones it takes.

    >>> class Step:
    ...     def __init__(self, size=1):
    ...         self.size = size
    >>> from_config("step", {"name": "step", "size": 2}, {"step": Step}).size
    2
    """
    if not isinstance(config, dict) or key not in config:
        raise ValueError(
            f"Expected a {kind} config, a dict with a {key!r} entry, got {shown(config)}."
        )
    config = dict(config)
    name = config.pop(key)
    cls = lookup(kind, name, table)
    allowed = [p for p in inspect.signature(cls).parameters if p != "self"]
    unknown = [setting for setting in config if setting not in allowed]
    if unknown:  # else Python's "__init__() got an unexpected keyword argument" would say it
        raise ValueError(
            f"Unknown setting {shown(unknown[0], 40)} for the {name!r} {kind}; its settings "
            f"are: {', '.join(map(repr, allowed)) or 'none'}."
        )
    return cls(**config)


def config_repr(obj: Any) -> str:
    """``Name(arg=value, ...)`` from ``obj.get_config()``, leaving out its ``name``."""
    args = ", ".join(f"{k}={v!r}" for k, v in obj.get_config().items() if k != "name")
    return f"{type(obj).__name__}({args})"


# -- layers' default names, as Keras 3 gives them ----------------------------------------------
def snake_case(class_name: str) -> str:
    """A class name in Keras's snake case (``keras.src.utils.naming.to_snake_case``): a
    layer's default name.

    >>> [snake_case(n) for n in ("Dense", "Conv2D", "GlobalAveragePooling2D", "LeakyReLU")]
    ['dense', 'conv2d', 'global_average_pooling2d', 'leaky_re_lu']
    """
    name = re.sub(r"\W+", "", class_name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
