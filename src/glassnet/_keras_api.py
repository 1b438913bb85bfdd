"""What a Keras user reaches for on a model, beyond compile/fit/evaluate/predict.

``KerasModelAPI`` (a base of ``Sequential``): ``model(x)``, ``predict_on_batch``,
``test_on_batch``, ``trainable``, ``weights`` / ``trainable_weights`` / ``non_trainable_weights``,
``get_layer``, ``input_shape`` / ``output_shape``, ``pop``, ``get_config`` / ``from_config`` /
``to_json`` / ``from_json``, ``save_weights`` / ``load_weights``. A layer's side (its
``get_weights`` / ``set_weights`` and ``trainable``) is ``glassnet._layer_api``.

A frozen layer (``layer.trainable = False``) still passes gradients back to the layers before
it, but the optimizer never changes its weights, and its optimizer state (momentum, Adam's
moments) is left as it was; its regularizer adds nothing to the cost, as in Keras. Unlike
Keras, no second ``compile`` is needed after freezing or unfreezing: the flag is read at every
step.

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(3, name="hidden"),
...                        gn.layers.Dense(1)], seed=0)
>>> model.input_shape, model.output_shape
((None, 2), (None, 1))
>>> model.get_layer("hidden").trainable = False
>>> [w.shape for w in model.trainable_weights]
[(3, 1), (1,)]
>>> model(np.zeros((4, 2))).shape
(4, 1)
"""

from __future__ import annotations

import json
import numbers
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._validation import first_non_finite, float64_advice, shown

if TYPE_CHECKING:
    from glassnet.layers.core import Layer
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]
#: a model's JSON (``to_json``) is at most this long, as a model file's header
MAX_JSON_BYTES = 1 << 20


# -- the model ---------------------------------------------------------------------------------
class KerasModelAPI:
    """Keras's model methods that ``Sequential`` has beyond compile/fit/evaluate/predict."""

    # -- calling -----------------------------------------------------------------------------
    def __call__(self: Sequential, x: ArrayLike, training: bool = False) -> Array:
        """The outputs for x in one forward pass (no batching; Keras's ``model(x)``). With
        ``training=True`` Dropout drops and BatchNormalization uses (and moves) batch statistics,
        as in Keras. A NumPy array comes back (Keras gives a backend tensor)."""
        if not isinstance(training, bool | np.bool_):
            raise TypeError(f"Expected training=True or False, got {shown(training, 20)}.")
        x = self._features(x)
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, once, clearly
            outputs = self.forward(x, training=bool(training))
        if (bad := first_non_finite(outputs)) is not None:
            wider = float64_advice(self.dtype, ", or use Sequential(..., dtype='float64')")
            raise FloatingPointError(
                f"The network's output overflowed {self.dtype.name} (inf or NaN), first for row "
                f"{bad[0]} of x. Scale the inputs{wider}."
            )
        return outputs

    def predict_on_batch(self: Sequential, x: ArrayLike) -> Array:
        """``predict`` on x as one batch (Keras's ``predict_on_batch``)."""
        x = self._features(x)
        return self._predict(x, batch_size=len(x))

    def test_on_batch(
        self: Sequential,
        x: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        return_dict: bool = False,
    ) -> Any:
        """Loss (and metrics) on one batch without training (Keras's ``test_on_batch``); with
        ``sample_weight`` the loss is weighted as ``evaluate``'s."""
        self._check_compiled("test_on_batch()")
        check_return_dict(return_dict, "test_on_batch")
        x, y = self._data(x, y)
        weights = self._example_weights(y, sample_weight)  # times loss_weights in _logs
        return _result(self._evaluate(x, y, len(x), weights), return_dict)

    # -- freezing the whole model ------------------------------------------------------------
    _frozen_model = False

    @property
    def trainable(self: Sequential) -> bool:
        """False freezes the whole model, as Keras's ``model.trainable = False``: every layer's
        ``trainable`` is set with it, and while it is False no weight is trained, whatever a
        layer's own flag says (a layer added or unfrozen later included)."""
        return not self._frozen_model

    @trainable.setter
    def trainable(self: Sequential, value: bool) -> None:
        if not isinstance(value, bool | np.bool_):
            raise TypeError(
                f"Expected model.trainable to be True or False, got {type(value).__name__} "
                f"{shown(value, 20)}."
            )
        self._frozen_model = not value
        for layer in self.layers:
            layer.trainable = bool(value)

    def _trains(self: Sequential, layer: Layer) -> bool:
        """Whether the optimizer changes ``layer``'s parameters (the model and it trainable)."""
        return layer.trainable and not self._frozen_model

    # -- weights as Keras lists them -----------------------------------------------------------
    @property
    def weights(self: Sequential) -> list[Array]:
        """Every weight array itself (not a copy: changing it changes the model), in Keras's
        order: layer by layer, trainable first, then the layer's non-trainable state."""
        return [w for layer in self.layers if layer.built for w in layer.weights]

    @property
    def trainable_weights(self: Sequential) -> list[Array]:
        """The arrays the optimizer changes: the parameters of every layer still trainable."""
        return [
            p
            for layer in self.layers
            if layer.built and self._trains(layer)
            for p in layer.parameters
        ]

    @property
    def non_trainable_weights(self: Sequential) -> list[Array]:
        """The other arrays: every weight of a frozen layer, and the moving statistics."""
        return [
            w
            for layer in self.layers
            if layer.built
            for w in (
                layer.weights[len(layer.parameter_names) :]
                if self._trains(layer)
                else layer.weights
            )
        ]

    def _apply_update(self: Sequential) -> None:
        """One optimizer step on the trainable parameters only. With a frozen layer, the
        optimizer sees the trainable parameters and their state (each ``state_slots`` list
        narrowed to them, then written back), so clipping, weight decay and step counts are
        over the trainable weights (Keras's ``trainable_variables``) and a frozen weight's
        momentum or moments stay exactly as they were."""
        optimizer, parameters, gradients = self.optimizer, self._parameters, self._gradients
        keep = self._trainable_indices()
        if keep is None:
            optimizer.apply(parameters, gradients)
            return
        if not keep:  # nothing to train: no step at all (Keras's apply with no variables)
            return
        full = {
            slot: values
            for slot in optimizer.state_slots
            if len(values := getattr(optimizer, slot, [])) == len(parameters)
        }
        for slot, values in full.items():
            setattr(optimizer, slot, [values[i] for i in keep])
        try:
            optimizer.apply([parameters[i] for i in keep], [gradients[i] for i in keep])
        finally:
            for slot, values in full.items():
                for position, index in enumerate(keep):
                    values[index] = getattr(optimizer, slot)[position]  # a buffer made just now
                setattr(optimizer, slot, values)

    def _trainable_indices(self: Sequential) -> list[int] | None:
        """Positions in ``_parameters`` of the trainable layers' parameters; None when every
        layer is trainable (the usual case, which costs one pass over the layers)."""
        if not self._frozen_model and all(layer.trainable for layer in self.layers):
            return None
        keep, index = [], 0
        for layer in self.layers:
            count = len(layer.parameter_names)
            if self._trains(layer):
                keep.extend(range(index, index + count))
            index += count
        return keep

    def non_trainable_count(self: Sequential) -> int:
        """Numbers the optimizer never changes: frozen layers' weights and moving statistics."""
        return sum(
            layer.non_trainable_count() if self._trains(layer) else layer.count_params()
            for layer in self.layers
        )

    # -- layers by name or position ------------------------------------------------------------
    def get_layer(self: Sequential, name: str | None = None, index: int | None = None) -> Layer:
        """The layer called ``name``, or at position ``index`` (0 is the first layer after the
        Input, as in Keras; negative counts from the end)."""
        if (name is None) == (index is None):
            raise ValueError(
                f"get_layer takes either a layer name or an index, not "
                f"{'both' if name is not None else 'neither'}. Example: "
                f"model.get_layer('dense') or model.get_layer(index=0)."
            )
        names = [layer.name for layer in self.layers]
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, numbers.Integral):
                raise TypeError(
                    f"get_layer's index must be a whole number, got {type(index).__name__} "
                    f"{shown(index, 20)}."
                )
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"get_layer(index={shown(index, 20)}): the model has {len(self.layers)} "
                    f"layers, so index runs from {-len(self.layers)} to {len(self.layers) - 1}."
                )
            return self.layers[int(index)]
        if not isinstance(name, str):
            raise TypeError(
                f"get_layer's name must be a string, got {type(name).__name__} {shown(name, 20)}."
            )
        for layer in self.layers:
            if layer.name == name:
                return layer
        listed = ", ".join(repr(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")
        raise ValueError(f"No layer named {shown(name, 40)}. The layers are: {listed or 'none'}.")

    # -- shapes, with the batch first -----------------------------------------------------------
    @property
    def input_shape(self: Sequential) -> tuple[int | None, ...]:
        """The input's shape with the batch first, as Keras: (None, n_features) or
        (None, height, width, channels). ``model.example_shape`` is the same without the batch."""
        if self.example_shape is None:
            raise AttributeError(
                f"The model {self.name!r} has no input shape yet: start it with "
                f"glassnet.Input(shape=...), call model.build((None, n_features)), or fit it."
            )
        return (None, *self.example_shape)

    @property
    def output_shape(self: Sequential) -> tuple[int | None, ...]:
        """The output's shape with the batch first, e.g. (None, 10)."""
        if self.example_shape is None or not self.layers:
            raise AttributeError(
                f"The model {self.name!r} has no output shape yet: it needs layers and an input "
                f"shape (glassnet.Input(shape=...) first, or model.build((None, n_features)))."
            )
        return (None, *self._shape_after(len(self.layers)))

    # -- editing -------------------------------------------------------------------------------
    def pop(self: Sequential) -> Layer:
        """Remove the last layer and return it (Keras's ``pop``). The compile settings stay; the
        optimizer keeps its step count and the other layers' state, and drops the popped one's."""
        if not self.layers:
            raise ValueError("pop(): the model has no layers to remove.")
        layer = self.layers.pop()
        gone = len(layer.parameters) if layer.built else 0
        self._built_end = None
        if self.built or not self.layers:
            count = len(getattr(self, "_parameters", []))  # none yet when never built
            kept = max(count - gone, 0)
            optimizer = self.optimizer
            saved = {} if optimizer is None else _slot_lists(optimizer, count)
            self.optimizer = None  # not rebuilt here: its state is cut below instead
            self._collect_parameters()
            self.optimizer = optimizer
            for slot, values in saved.items():
                setattr(optimizer, slot, values[:kept])
        return layer

    # -- configuration (JSON, no weights) --------------------------------------------------------
    def get_config(self: Sequential) -> dict[str, Any]:
        """The architecture as plain data, Keras's keys: ``name``, ``trainable``, ``dtype``,
        ``layers`` (each
        layer's ``get_config()``), ``build_input_shape`` ([None, ...] or None). No weights."""
        shape = None if self.example_shape is None else [None, *self.example_shape]
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype.name,
            "layers": [layer.get_config() for layer in self.layers],
            "build_input_shape": shape,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """A new model (fresh weights) from ``get_config()``; every entry is checked, and the
        parameters are counted before any array is made (at most ``glassnet.io.MAX_PARAMETERS``)."""
        from glassnet._model_config import model_from_config

        return model_from_config(cls, config)

    def to_json(self: Sequential, **kwargs: Any) -> str:
        """``{"class_name": "Sequential", "config": get_config()}`` as JSON (Keras's shape);
        ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``)."""
        return json.dumps({"class_name": "Sequential", "config": self.get_config()}, **kwargs)

    @classmethod
    def from_json(cls, json_string: str | bytes) -> Sequential:
        """A new model from ``to_json()``'s text (``glassnet.models.model_from_json``)."""
        from glassnet._model_config import model_from_json

        return model_from_json(cls, json_string)

    # -- weights files -------------------------------------------------------------------------
    def save_weights(
        self: Sequential, filepath: str | os.PathLike[str], overwrite: bool = True
    ) -> None:
        """Write only the weights to ``filepath``, which must end in ``.weights.glassnet`` (as
        Keras 3 wants ``.weights.h5`` for its own format): model files' safe format (``.npz`` +
        JSON header, checksum and seal, atomic write). Read back with ``load_weights``.
        ``overwrite=False`` refuses an existing file (Keras would ask on the terminal)."""
        from glassnet._weights_files import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(
        self: Sequential, filepath: str | os.PathLike[str], skip_mismatch: bool = False
    ) -> None:
        """Read weights written by ``save_weights`` into this model, which must have the same
        architecture (each weight's shape, in order); checked whole before any weight changes.
        Keras's ``skip_mismatch=True`` (load what fits, skip the rest) is refused: glassnet
        loads a whole architecture or nothing."""
        from glassnet._weights_files import load_weights

        if skip_mismatch is not False:
            raise ValueError(
                f"load_weights(skip_mismatch={shown(skip_mismatch, 20)}): glassnet loads the "
                f"weights of a whole architecture or none. Copy the layers that match one by "
                f"one: model.get_layer(...).set_weights(other.get_layer(...).get_weights())."
            )
        load_weights(self, filepath)


def _slot_lists(optimizer: Any, count: int) -> dict[str, list[Any]]:
    """The optimizer's per-parameter state lists (``state_slots``) that hold ``count`` entries."""
    return {
        slot: list(values)
        for slot in optimizer.state_slots
        if len(values := getattr(optimizer, slot, [])) == count
    }


def check_return_dict(return_dict: Any, who: str) -> None:
    """Refuse a ``return_dict`` that is not True or False before any work (a string such as
    'no' is truthy, and train_on_batch would have taken its step before a late failure)."""
    if not isinstance(return_dict, bool | np.bool_):
        raise TypeError(
            f"{who}: expected return_dict=True or False, got {type(return_dict).__name__} "
            f"{shown(return_dict, 20)}."
        )


def _result(logs: dict[str, float], return_dict: bool) -> Any:
    if return_dict:
        return logs
    return logs["loss"] if len(logs) == 1 else list(logs.values())
