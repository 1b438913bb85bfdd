"""A ``Sequential``'s structure: its layers, their shapes, built weights and parameter lists.

``ModelStructure`` (a base of ``Sequential``): ``add``, ``build`` (undone whole if a layer
fails), layer names as Keras gives them (dense, dense_1, ...), the shapes after each layer,
the flat parameter and gradient lists the optimizer updates in place, ``count_params``,
``get_weights`` / ``set_weights``. ``batch_shape`` reads ``build``'s argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._layer_api import assign_weights
from glassnet._validation import all_finite, float64_advice, input_first_message, shown
from glassnet.layers import Input, Layer
from glassnet.layers.core import INPUT_RANKS, Shape, as_shape, shape_argument, show_shape

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]
NO_LAYERS = "The model has no layers; add some, e.g. model.add(Dense(1))."


class ModelStructure:
    """``Sequential``'s layers and their weights: adding, building, shapes, parameters."""

    # -- structure ---------------------------------------------------------------------------
    def add(self: Sequential, item: Layer | Input) -> None:
        """Append a layer (or give the input shape, first). A first layer made with Keras's
        ``input_shape=`` / ``input_dim=`` gives the input shape as an Input first would."""
        declared = getattr(item, "declared_input", None)
        if declared is not None and not self.layers and self.example_shape is None:
            self.add(declared)
        if isinstance(item, Input):
            if self.layers or self.example_shape is not None:
                raise ValueError(input_first_message(len(self.layers)))
            self.example_shape = item.shape
            return
        if not isinstance(item, Layer):
            raise TypeError(
                f"Expected a glassnet layer (e.g. glassnet.layers.Dense(4)) or glassnet.Input, "
                f"got {type(item).__name__}."
            )
        taken = self._names()
        if item.name is None:  # Keras's default name: dense, dense_1, max_pooling2d, ...
            item.name = self._unique_name(item.default_name())
        elif item.name in taken:
            raise ValueError(
                f"Layer names must be unique; {shown(item.name)} is already in the model."
            )
        shape = self._shape_so_far()
        if self.example_shape is not None and shape is not None:
            # the input shape is known (Input first, or already built): make the weights now
            self._build_layer(item, shape)
            self.layers.append(item)
            self._built_end = (item, item.compute_output_shape(shape))
            self._collect_parameters(item)
        else:
            self.layers.append(item)
        taken.add(item.name)

    def _names(self: Sequential) -> set[str]:
        """The layers' names, as a set kept beside ``layers`` (so ``add`` is not quadratic);
        rebuilt whenever ``layers`` was changed by hand."""
        names = getattr(self, "_name_set", None)
        if names is None or len(names) != len(self.layers):
            names = self._name_set = {layer.name for layer in self.layers}
            self._name_counts: dict[str, int] = {}  # per base name, the next suffix to try
        return names

    def _shape_so_far(self: Sequential) -> Shape | None:
        """The output shape of the layers so far when all of them are built (None otherwise):
        remembered from the last ``add`` or ``build``, so adding layer n does not walk n layers."""
        if not self.layers:
            return self.example_shape
        end = getattr(self, "_built_end", None)
        if end is not None and end[0] is self.layers[-1]:
            return end[1]
        if all(layer.built for layer in self.layers):
            return self._shape_after(len(self.layers))
        return None

    def _unique_name(self: Sequential, base: str) -> str:
        """``base``, or ``base_1``, ``base_2``, ... the first not taken (as Keras names layers);
        each base remembers where it got to, so naming n layers is not quadratic."""
        taken = self._names()
        i = self._name_counts.get(base, 0)
        name = base if i == 0 else f"{base}_{i}"
        while name in taken:
            i += 1
            name = f"{base}_{i}"
        self._name_counts[base] = i
        return name

    @property
    def built(self: Sequential) -> bool:
        """Every layer built (and at least one): asked at every train_on_batch, so a plain loop
        (a generator in ``all`` costs more than its two or three layers)."""
        layers = self.layers
        for layer in layers:
            if not layer.built:
                return False
        return bool(layers)

    def build(self: Sequential, input_shape: int | Sequence[int | None]) -> None:
        """Make every layer's weights for inputs of ``input_shape``, the batch first as in Keras:
        (None, n_features) for a table, (None, height, width, channels) for images; or just
        (n_features,)."""
        shape = batch_shape(input_shape)
        if not self.layers:
            raise ValueError(NO_LAYERS)
        before = self._snapshot()
        self.example_shape = shape
        try:
            for layer in self.layers:
                self._build_layer(layer, shape)
                shape = layer.compute_output_shape(shape)
        except BaseException:  # e.g. a layer too large: leave the model as it was
            self._restore(before)
            raise
        self._built_end = (self.layers[-1], shape)
        self._collect_parameters()

    def _snapshot(self: Sequential) -> tuple[Any, ...]:
        """What building changes: the input width, which layers are unbuilt, the generator."""
        unbuilt = [layer for layer in self.layers if not layer.built]
        return self.example_shape, unbuilt, self.rng.bit_generator.state

    def _restore(self: Sequential, snapshot: tuple[Any, ...]) -> None:
        """Undo a build (``_snapshot``'s state): the layers it built are unbuilt again and the
        generator rewound, so the next build draws the very same weights."""
        self.example_shape, unbuilt, state = snapshot
        for layer in unbuilt:
            layer.built = False
        self.rng.bit_generator.state = state

    def _build_layer(self: Sequential, layer: Layer, shape: Shape) -> None:
        if not layer.built:
            layer.compute_output_shape(shape)  # a shape the layer cannot take: said by the layer
            with np.errstate(over="ignore"):  # an initial value beyond the dtype: said below
                layer.build(shape_argument(shape), self.dtype, self.rng)
            if not all_finite(layer.parameters):
                layer.built = False
                wider = float64_advice(self.dtype, ", or dtype='float64'")
                raise ValueError(
                    f"Layer '{layer.name}' ({layer.kind}) got initial weights that are not finite "
                    f"in {self.dtype.name}: an initializer's value is beyond its range (e.g. "
                    f"Constant(1e39) in float32). Use smaller initial values{wider}."
                )
        elif layer.input_shape is not None and layer.input_shape != shape:
            # a layer object built in another model: its weights are for another width
            built_for, here = (
                (f"{layer.input_shape[0]} features", str(shape[0]))
                if len(layer.input_shape) == 1 and len(shape) == 1
                else (f"shape {show_shape(layer.input_shape)}", show_shape(shape))
            )
            raise ValueError(
                f"Layer '{layer.name}' ({layer.kind}) is already built for inputs of "
                f"{built_for}, but here it gets {here}. Use a new layer "
                f"object (layers are not copied when added to a second model)."
            )

    def _shape_after(self: Sequential, index: int, shape: Shape | None = None) -> Shape:
        """The example shape after the first ``index`` layers, for inputs of ``shape`` (default:
        the model's): pure arithmetic, nothing is built."""
        shape = self.example_shape if shape is None else shape
        for layer in self.layers[:index]:
            shape = layer.compute_output_shape(shape)
        return shape

    def _features_after(self: Sequential, index: int, features: int | Shape | None = None) -> int:
        """The width after the first ``index`` layers, for inputs of ``features`` (default: the
        model's), when that output is flat; an image output is refused with the fix."""
        shape = self._shape_after(index, None if features is None else as_shape(features))
        if len(shape) != 1:
            raise ValueError(
                f"The model's output has shape {show_shape(shape)}, but the losses and metrics "
                f"take (batch, units). End the model with Flatten() (or "
                f"GlobalAveragePooling2D()) and a Dense layer."
            )
        return shape[0]

    def _collect_parameters(self: Sequential, added: Layer | None = None) -> None:
        """Flat lists, fixed once built: the optimizer updates these very arrays in place.
        ``added``: the one layer just appended (by ``add``) to lists already collected."""
        previous = self.layers[-2] if len(self.layers) > 1 else None
        if added is not None and getattr(self, "_collected_end", False) is previous:
            self._parameters.extend(added.parameters)  # not rebuilt: add stays linear
            self._gradients.extend(added.gradients)
        else:
            self._parameters = [p for layer in self.layers for p in layer.parameters]
            self._gradients = [g for layer in self.layers for g in layer.gradients]
        self._collected_end = self.layers[-1] if self.layers else None
        if self.optimizer is not None:
            self.optimizer.build(self._parameters)

    def _ensure_built(self: Sequential) -> None:
        if not self.built:
            if self.example_shape is None:
                raise ValueError(
                    "The model is not built yet: pass data to fit/predict, call "
                    "model.build((None, n_features)), or start with glassnet.Input(shape=...)."
                )
            self.build((None, *self.example_shape))

    def _generators(self: Sequential) -> list[np.random.Generator]:
        """Every random generator the model and its layers draw from (shuffling, dropout masks),
        each once: what must be rewound to repeat a step exactly."""
        found = [self.rng]
        for layer in self.layers:
            found += [v for v in vars(layer).values() if isinstance(v, np.random.Generator)]
        return list({id(g): g for g in found}.values())

    @property
    def output_units(self: Sequential) -> int:
        self._ensure_built()
        return self._features_after(len(self.layers))

    def count_params(self: Sequential) -> int:
        """Every number the layers hold, trainable or not (Keras's ``count_params``)."""
        return sum(layer.count_params() for layer in self.layers)

    # -- weights -----------------------------------------------------------------------------
    def get_weights(self: Sequential) -> list[Array]:
        """Copies of every weight, in Keras order: per layer the kernel, then the bias (and
        BatchNormalization's gamma, beta, then its non-trainable moving mean and variance)."""
        self._ensure_built()
        return [w.copy() for layer in self.layers for w in layer.weights]

    def set_weights(self: Sequential, weights: Sequence[ArrayLike]) -> None:
        """Overwrite every parameter (in place), in the order of ``get_weights()``; every array
        is checked (count, shape, finite, dtype range) before any is written."""
        self._ensure_built()
        slots = [
            (layer, name)
            for layer in self.layers
            for name in layer.parameter_names + layer.state_names
        ]
        assign_weights(slots, weights, "set_weights")


def batch_shape(input_shape: Any) -> Shape:
    """The example shape in ``build``'s argument: (None, n) or (None, h, w, c) as in Keras (the
    first entry is the batch, None or a number), or a bare width / (n_features,)."""
    shape = (input_shape,) if isinstance(input_shape, int | np.integer) else input_shape
    try:
        shape = tuple(shape)
    except TypeError:
        shape = None
    example = None if shape is None else (shape if len(shape) == 1 else shape[1:])
    if (
        example is None
        or len(example) not in INPUT_RANKS
        or not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in example)
        or not all(n > 0 for n in example)
    ):
        raise ValueError(
            f"Expected input_shape (None, n_features) or (n_features,), got {input_shape!r}. "
            f"For images give (None, height, width, channels); each size a positive integer."
        )
    return tuple(int(n) for n in example)
