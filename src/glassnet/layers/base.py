"""The base of every layer: ``Layer`` (build, the two passes, parameters, names, input checks),
``Input`` (the shape of one example), and the example-shape helpers every layer and the model use.

A layer is made in two steps, as in Keras: ``__init__`` only stores hyperparameters, and
``build(input_shape, dtype, rng)`` makes the weights once the number of input features is known.

``forward(x)`` keeps exactly what ``backward`` needs. ``backward(dC/da)`` returns ``dC/da_prev``
(the gradient for the layer's input) and fills the layer's ``gradients``. Gradients are
**overwritten, not accumulated**: calling backward twice on the same forward gives the same
gradients, not twice them. Backward never changes a parameter; the optimizer does that.

The layers themselves are in the family modules beside this one (``core``: Dense and
Activation; ``convolution``, ``pooling``, ...); ``glassnet.layers.core`` also re-exports these
names, where they were first.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet._header_bounds import check_name
from glassnet._layer_api import KerasLayerAPI, declared_input
from glassnet._names import snake_case
from glassnet._validation import shown

Array = NDArray[np.floating[Any]]


Shape = tuple[int, ...]  # the shape of one example, without the batch: (n,) or (h, w, c)
INPUT_RANKS = (1, 3)  # an example is (n_features,) or an image (height, width, channels)


def as_shape(shape: int | Shape) -> Shape:
    """An example shape as a tuple: ``3`` -> ``(3,)``; ``(8, 8, 1)`` unchanged."""
    return (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(n) for n in shape)


def shape_argument(shape: Shape) -> int | Shape:
    """What ``Layer.build`` receives: the width for flat inputs (as ever), the tuple for n-d."""
    return shape[0] if len(shape) == 1 else shape


def show_shape(shape: Shape | None) -> str:
    """A batch shape as Keras prints it: ``(None, 26, 26, 8)``; ``(None, ?)`` when unknown."""
    if shape is None:
        return "(None, ?)"
    return "(" + ", ".join(["None", *(str(n) for n in shape)]) + ")"


class Input:
    """The shape of one example, given as the first element of ``Sequential([...])``:
    ``(n_features,)`` for tables, ``(height, width, channels)`` for images (channels last, as
    Keras's default).

    >>> Input(shape=(3,)).shape
    (3,)
    >>> Input(shape=(28, 28, 1)).shape
    (28, 28, 1)
    """

    def __init__(self, shape: tuple[int, ...] | int) -> None:
        if isinstance(shape, tuple | list):
            shape = tuple(shape)
        elif isinstance(shape, int | np.integer) and not isinstance(shape, bool):
            shape = (shape,)
        else:
            raise TypeError(
                f"Input expects shape, the shape of one example, as a tuple (n_features,), got "
                f"{type(shape).__name__} {shown(shape, 20)}. Example: Input(shape=(3,))."
            )
        if len(shape) not in INPUT_RANKS or not all(
            isinstance(n, int | np.integer)
            and not isinstance(n, bool)
            and 0 < n <= np.iinfo(np.int64).max
            for n in shape
        ):
            gray = (  # Keras's MNIST spelling, (28, 28): glassnet's images name their channels
                f" A grayscale image has one channel: shape=({shape[0]}, {shape[1]}, 1), with x "
                f"reshaped to (n, {shape[0]}, {shape[1]}, 1)."
                if len(shape) == 2 and all(isinstance(n, int) and 0 < n < 10**9 for n in shape)
                else ""
            )
            raise ValueError(
                f"Input expects the shape of one example as (n_features,) with n_features a "
                f"positive integer, got shape={shown(shape, 20)}. For images give (height, width, "
                f"channels), channels last, each a positive integer, without the batch. "
                f"Examples: Input(shape=(3,)), Input(shape=(28, 28, 1)).{gray}"
            )
        self.shape = tuple(int(n) for n in shape)

    def __repr__(self) -> str:
        return f"Input(shape={self.shape})"


class Layer(KerasLayerAPI):
    """Base class of every layer. Subclasses write ``build``, ``forward`` and ``backward``.

    ``get_weights`` / ``set_weights`` and ``trainable`` (freezing) come from ``KerasLayerAPI``.
    Every layer also takes Keras's ``trainable=`` and Keras 3's ``input_shape=`` /
    ``input_dim=`` keywords, which a first layer turns into the model's ``Input`` (with Keras's
    UserWarning); a keyword the layer does not have is refused with the ones it has.
    ``__init_subclass__`` wraps each layer's ``__init__`` once, so no layer spells these out."""

    kind = "Layer"
    #: the Input that ``input_shape=`` / ``input_dim=`` stood for (None without them)
    declared_input: Input | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__init__
        if getattr(init, "takes_input_shape", False):  # inherited from a wrapped layer
            return

        own = [name for name in inspect.signature(init).parameters if name != "self"]

        @functools.wraps(init)
        def init_with_keras_keywords(
            self: Layer,
            *args: Any,
            input_shape: Any = None,
            input_dim: Any = None,
            trainable: Any = True,
            **kw: Any,
        ) -> None:
            unknown = [key for key in kw if key not in own]
            if unknown:  # e.g. Keras's bias_constraint, which glassnet does not have
                raise TypeError(
                    f"{type(self).__name__} got an unexpected keyword argument "
                    f"{shown(unknown[0], 40)}; it takes {', '.join(own)} (and Keras's "
                    f"trainable, input_shape, input_dim)."
                )
            init(self, *args, **kw)
            self.trainable = trainable
            if input_shape is not None or input_dim is not None:
                self.declared_input = declared_input(input_shape, input_dim, type(self).__name__)

        init_with_keras_keywords.takes_input_shape = True  # type: ignore[attr-defined]
        cls.__init__ = init_with_keras_keywords  # type: ignore[method-assign]

    def __init__(self, name: str | None = None) -> None:
        if name is not None:  # at most 256 printable characters, as load_model checks
            check_name(name, f"{type(self).__name__}'s name")
        self.name = name  # None: the model names it (default_name, made unique there)
        self.built = False
        self.input_features: int | None = None
        self.input_shape: Shape | None = None

    #: True for layers that take images (batch, height, width, channels) as they come
    takes_images = False

    # -- building --------------------------------------------------------------------------
    def build(
        self, input_features: int | Shape, dtype: DTypeLike, rng: np.random.Generator
    ) -> None:
        """Make the weights for inputs of shape (batch, input_features), or (batch, *shape) for
        an n-d example shape given as a tuple."""
        self.input_shape = as_shape(input_features)
        self.input_features = self.input_shape[0] if len(self.input_shape) == 1 else None
        self.built = True

    def output_features(self, input_features: int) -> int:
        """Number of features this layer outputs for ``input_features`` inputs."""
        return input_features

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The shape of one output example for one input example of ``input_shape`` (no batch),
        pure arithmetic; a shape the layer cannot take is refused here, naming the layer."""
        if len(input_shape) == 1:
            return (self.output_features(input_shape[0]),)
        return input_shape  # an elementwise layer (Activation, Dropout, Rescaling)

    # -- the two passes --------------------------------------------------------------------
    def forward(self, x: Array, training: bool = False) -> Array:
        raise NotImplementedError

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        raise NotImplementedError

    def forward_in_step(self, x: Array) -> Array:
        """``forward(x, training=True)`` inside the model's training step (glassnet/_step_plan.py),
        where x is the model's checked input or the layer before's output, and the step's
        ``np.errstate`` is on. A layer may skip what that makes redundant (Dense: the shape check
        and its activation's own errstate); the numbers are ``forward``'s."""
        return self.forward(x, training=True)

    # -- parameters --------------------------------------------------------------------------
    parameter_names: tuple[str, ...] = ()

    @property
    def parameters(self) -> list[Array]:
        """The trainable arrays, in Keras order (kernel, then bias). Updated in place."""
        return [getattr(self, n) for n in self.parameter_names]

    #: non-trainable weights (BatchNormalization's moving statistics), after the parameters in
    #: ``get_weights()`` and model files, as Keras orders them; changed by forward, never by the
    #: optimizer
    state_names: tuple[str, ...] = ()

    @property
    def weights(self) -> list[Array]:
        """Every weight, trainable first (``parameters``), then ``state_names``: Keras's order."""
        return [getattr(self, n) for n in self.parameter_names + self.state_names]

    @property
    def gradients(self) -> list[Array]:
        """dC/d(parameter) for each parameter, same order, filled by ``backward``."""
        return [getattr(self, n + "_gradient") for n in self.parameter_names]

    def count_params(self) -> int:
        """Every number the layer holds once built, trainable or not (Keras's count)."""
        return int(sum(w.size for w in self.weights)) if self.built else 0

    def non_trainable_count(self) -> int:
        """How many of ``count_params()`` the optimizer never changes: the ``state_names``
        arrays (BatchNormalization's moving statistics; Normalization counts its own)."""
        return int(sum(getattr(self, n).size for n in self.state_names)) if self.built else 0

    def regularization_penalty(self) -> float:
        """The penalty this layer adds to the cost (0 without a regularizer)."""
        return 0.0

    def parameter_count_for(self, input_features: int) -> int:
        """How many numbers ``build(input_features)`` would allocate (checked before loading)."""
        return 0

    def get_config(self) -> dict[str, Any]:
        return {"class_name": self.kind, "name": self.name, "trainable": self.trainable}

    def default_name(self) -> str:
        """The name a model gives this layer when none was chosen (then ``_1``, ``_2``... if
        taken): Keras's, the class name in snake case: ``dense``, ``conv2d``,
        ``max_pooling2d``, ``global_average_pooling2d``, ``batch_normalization``,
        ``leaky_re_lu`` (and ``my_dense`` for a ``class MyDense(Dense)``)."""
        return snake_case(type(self).__name__)

    def _display_name(self) -> str:
        """The name for a message: the layer's own, or its default name outside a model."""
        return self.name or self.default_name()

    def _check_input(self, x: Array, hint: str = "") -> None:
        """Refuse an input that is not (batch, *input_shape), naming this layer and its kind.

        ``hint`` is a sentence appended to the message, with ``{features}`` (the width expected)
        and ``{got}`` (the width received) filled in only when the check fails, so the forward
        pass that succeeds formats nothing.
        """
        shape = self.input_shape
        if shape is not None and len(shape) > 1:
            if x.shape[1:] != shape:
                raise ValueError(
                    f"Layer '{self._display_name()}' ({self.kind}) expects input of shape "
                    f"{show_shape(shape)}, but received shape {x.shape}."
                )
            return
        if x.ndim != 2 or x.shape[1] != self.input_features:
            raise ValueError(
                f"Layer '{self._display_name()}' ({self.kind}) expects input of shape "
                f"(batch, {self.input_features}), but received shape {x.shape}."
                + hint.format(features=self.input_features, got=x.shape[-1])
            )
