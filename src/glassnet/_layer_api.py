"""What a Keras user reaches for on a layer: ``get_weights`` / ``set_weights``, ``trainable``,
and Keras 3's ``input_shape=`` / ``input_dim=`` keywords (``declared_input``).

``checked_weight`` / ``assign_weights`` are the checks every ``set_weights`` makes (a model's and
a layer's): the same shape (with the transposes people make named), finite, a variance >= 0,
within the dtype, and all arrays checked before any is written.

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1, name="out")], seed=0)
>>> layer = model.get_layer("out")
>>> layer.set_weights([np.ones((2, 1)), np.zeros(1)])
>>> layer.get_weights()[0].ravel().tolist(), layer.trainable
([1.0, 1.0], True)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._validation import first_non_finite, shown, weight_array, weight_list

if TYPE_CHECKING:
    from glassnet.layers.core import Layer

Array = NDArray[np.floating[Any]]


# -- one weight array, checked (set_weights of a model or of a layer) -------------------------
def checked_weight(layer: Layer, name: str, value: Any) -> Array:
    """``value`` for ``layer``'s weight ``name``, checked and cast to its dtype: the same shape
    (with the transposes people make named), finite, a variance >= 0, and within the dtype."""
    target = getattr(layer, name)
    value = weight_array(value, f"Layer '{layer.name}' {name}")
    if value.shape != target.shape:
        raise ValueError(
            f"Layer '{layer.name}' {name} expects shape {target.shape}, got {value.shape}."
            + (" Did you mean its transpose?" if value.shape == target.shape[::-1] else "")
            + (
                " That is PyTorch's (out, in, kh, kw) layout; glassnet and Keras keep "
                "(kh, kw, in, out): pass w.transpose(2, 3, 1, 0)."
                if len(target.shape) == 4
                and value.shape == tuple(target.shape[i] for i in (3, 2, 0, 1))
                else ""
            )
        )
    if not np.isfinite(value).all():  # weight_array has refused non-numbers
        raise ValueError(f"Layer '{layer.name}' {name} must be finite real numbers.")
    if name == "moving_variance" and (value < 0).any():  # sqrt(var + eps): NaN outputs
        raise ValueError(
            f"Layer '{layer.name}' moving_variance must be >= 0 (a variance), got "
            f"{float(value.min()):g}. Pass the variances in Keras's order: gamma, beta, "
            f"moving_mean, moving_variance."
        )
    with np.errstate(over="ignore"):  # an overflow is reported just below
        cast = value.astype(target.dtype)
    if (bad := first_non_finite(cast)) is not None:
        raise ValueError(
            f"Layer '{layer.name}' {name} has a value too large for {target.dtype.name} "
            f"(first at index {bad}: {float(value[bad]):g}); {target.dtype.name} holds "
            f"at most {float(np.finfo(target.dtype).max):.4g}. Build the model with "
            f"dtype='float64', or scale the weights."
        )
    return cast


def assign_weights(slots: list[tuple[Layer, str]], weights: Any, who: str) -> None:
    """Overwrite the weights ``slots`` (layer, attribute name) in place with ``weights``, all
    checked before any is written: a refused list leaves every weight as it was."""
    expected = ", ".join(
        f"{layer.name}.{name} {getattr(layer, name).shape}" for layer, name in slots
    )
    weights = weight_list(weights)
    if len(weights) != len(slots):
        raise ValueError(f"{who} expected {len(slots)} arrays ({expected}), got {len(weights)}.")
    arrays = [
        (getattr(layer, name), checked_weight(layer, name, value))
        for (layer, name), value in zip(slots, weights, strict=True)
    ]
    for target, value in arrays:
        target[...] = value


# -- layers ------------------------------------------------------------------------------------
#: Keras 3.15's warning for a layer given ``input_shape=`` / ``input_dim=``, word for word
INPUT_SHAPE_WARNING = (
    "Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential "
    "models, prefer using an `Input(shape)` object as the first layer in the model instead."
)


def declared_input(input_shape: Any, input_dim: Any, owner: str) -> Any:
    """The ``glassnet.Input`` that a layer's ``input_shape=`` / ``input_dim=`` stands for (None
    when neither is given), with Keras's UserWarning; ``Sequential.add`` puts it first when the
    layer is the model's first. Checked as ``Input(shape=...)`` checks its shape."""
    if input_shape is None and input_dim is None:
        return None
    from glassnet.layers.core import Input

    warnings.warn(INPUT_SHAPE_WARNING, UserWarning, stacklevel=3)
    dim = None if input_dim is None else Input(input_dim)
    shape = None if input_shape is None else Input(input_shape)
    if dim is not None and shape is not None and dim.shape != shape.shape:
        raise ValueError(
            f"{owner} got input_shape={shape.shape} and input_dim={dim.shape[0]}, which disagree. "
            f"Give one of them, or better a first glassnet.Input(shape={shape.shape})."
        )
    return shape if shape is not None else dim


class KerasLayerAPI:
    """``get_weights`` / ``set_weights`` / ``trainable`` on every layer, as in Keras."""

    name: str | None
    built: bool
    kind: str
    parameter_names: tuple[str, ...]
    state_names: tuple[str, ...]
    _trainable = True

    @property
    def trainable(self) -> bool:
        """False freezes the layer: the optimizer leaves its weights (and its state for them)
        alone, while gradients still flow through it to the layers before it."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if not isinstance(value, bool | np.bool_):
            raise TypeError(
                f"Expected layer.trainable to be True or False, got {type(value).__name__} "
                f"{shown(value, 20)}."
            )
        self._trainable = bool(value)

    def _check_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"Layer '{self._display_name()}' ({self.kind}) has no weights yet: it "
                f"is built once the model knows its input shape. Start the model with "
                f"glassnet.Input(shape=...) or call model.build(...) before {what}."
            )

    def get_weights(self) -> list[Array]:
        """Copies of the layer's weights in Keras's order: trainable (kernel, bias), then the
        non-trainable state (BatchNormalization's moving mean and variance)."""
        self._check_built("get_weights()")
        return [np.array(getattr(self, n), copy=True) for n in self._weight_names()]

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        """Overwrite the layer's weights in place, in ``get_weights()`` order; every array is
        checked (count, shape, finite, dtype range) before any is written."""
        self._check_built("set_weights()")
        slots = [(self, name) for name in self._weight_names()]
        assign_weights(slots, weights, f"Layer '{self.name}' set_weights")  # type: ignore[arg-type]

    def _weight_names(self) -> tuple[str, ...]:
        return self.parameter_names + self.state_names
