"""Layers: each forward pass above its hand-written backward pass.

A layer is made in two steps, as in Keras: ``__init__`` only stores hyperparameters, and
``build(input_shape, dtype, rng)`` makes the weights once the number of input features is known.

``forward(x)`` keeps exactly what ``backward`` needs. ``backward(dC/da)`` returns ``dC/da_prev``
(the gradient for the layer's input) and fills the layer's ``gradients``. Gradients are
**overwritten, not accumulated**: calling backward twice on the same forward gives the same
gradients, not twice them. Backward never changes a parameter; the optimizer does that.

In the formulas, ``a_prev`` is the layer's input (``a0 = x`` for the first layer), ``W`` its
kernel (n_in, units), ``b`` its bias (units,), and ``delta = dC/dz`` the error at its weighted sum.

Inside ``fit`` and ``train_on_batch`` (``forward_in_step`` and the ``backward`` after it), Dense
writes z, the ReLU's delta and dC/da_prev into the arrays of the step before, with the same
numbers, when nothing but the layer holds them (``reusable``): an array you kept, such as
``layer.z`` after a step, is never written again; the layer makes a new one instead.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from glassnet import activations as activations_module
from glassnet import initializers as initializers_module
from glassnet import regularizers as regularizers_module
from glassnet._header_bounds import check_name
from glassnet._layer_api import KerasLayerAPI, declared_input
from glassnet._names import lookup, snake_case
from glassnet._validation import shown
from glassnet.activations import Activation as ActivationFunction

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


#: the fewest numbers (batch x the wider side of the kernel) for which a Dense layer's step
#: reuses its arrays; below it, making new ones is cheaper than ``reusable``'s checks
REUSE_FROM = 2048


def _sole_holder_count() -> int:
    """What ``sys.getrefcount`` says, in ``reusable``'s own code shape, of an array that only
    an attribute holds (3 on CPython 3.10-3.13: the attribute, the local name, the call's
    argument). Measured once at import rather than written as 3: interpreters differ in which
    references they count, and a count too low would let the step overwrite an array a user
    kept."""
    holder = types.SimpleNamespace(array=np.empty(0))
    old = vars(holder).get("array")
    return sys.getrefcount(old)


_SOLE_HOLDER = _sole_holder_count()


def reusable(
    layer: Layer, name: str, shape: Shape, dtype: np.dtype[Any], other: np.dtype[Any]
) -> Array | None:
    """The layer's own array ``name`` from the last step, to be written again with ``out=``, or
    None (then the caller makes a new one, as the readable pass does).

    Only when nothing but the layer holds it (``sys.getrefcount`` no more than for an array only
    an attribute holds, ``_SOLE_HOLDER``: the layer's attribute, this function's name and the
    call's argument): a trace's snapshot, a callback or a user who kept
    ``layer.z`` keeps their numbers, and a new array is made instead. It must also be a plain
    writable C-contiguous array of its own memory, of the ``shape`` and ``dtype`` the product
    would have (``other`` is the other operand's dtype: a mixed pair takes the readable path).
    The same ufuncs and BLAS calls with ``out=`` give the same numbers as without it
    (tests/test_step_plan.py, tests/test_mlp_speed.py)."""
    old = vars(layer).get(name)
    if (
        type(old) is not np.ndarray
        or dtype != other
        or old.shape != shape
        or old.dtype != dtype
        or sys.getrefcount(old) > _SOLE_HOLDER
        or old.base is not None
    ):
        return None
    flags = old.flags
    if flags.c_contiguous and flags.writeable:
        return old
    return None


class Dense(Layer):
    """A fully connected layer: z = a_prev @ W + b; a = f(z).

    Shapes: a_prev (batch, n_in), W (n_in, units), b (units,), z and a (batch, units).

    ``Dense(units, input_shape=(n,))`` or ``input_dim=n`` as the first layer stands for a first
    ``Input(shape=(n,))``, as Keras 3 still takes it (with the same UserWarning; see ``Layer``).

    >>> import numpy as np
    >>> layer = Dense(2, activation="linear", kernel_initializer="zeros")
    >>> layer.build(3, np.float64, np.random.default_rng(0))
    >>> layer.kernel.shape, layer.bias.shape, layer.count_params()
    ((3, 2), (2,), 8)
    """

    kind = "Dense"

    def __init__(
        self,
        units: int,
        activation: str | ActivationFunction | None = None,
        use_bias: bool = True,
        kernel_initializer: str | initializers_module.Initializer = "glorot_uniform",
        bias_initializer: str | initializers_module.Initializer = "zeros",
        kernel_regularizer: str | regularizers_module.Regularizer | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if (
            isinstance(units, bool)
            or not isinstance(units, int | np.integer)
            or not 0 < units <= np.iinfo(np.int64).max  # beyond: no NumPy shape holds it
        ):
            raise ValueError(
                f"Dense expects units to be a positive integer, got {shown(units, 20)}. "
                f"Example: Dense(4, activation='sigmoid')."
            )
        self.units = int(units)
        self.activation = activations_module.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_module.get(kernel_initializer)
        self.bias_initializer = initializers_module.get(bias_initializer)
        self.kernel_regularizer = regularizers_module.get(kernel_regularizer)
        self.parameter_names = ("kernel", "bias") if self.use_bias else ("kernel",)

    def build(
        self, input_features: int | Shape, dtype: DTypeLike, rng: np.random.Generator
    ) -> None:
        self.compute_output_shape(as_shape(input_features))  # images: "add Flatten()"
        shape = (int(as_shape(input_features)[0]), self.units)
        self.kernel = self.kernel_initializer(shape, dtype, rng)  # W: (n_in, units)
        self.kernel_gradient = np.zeros_like(self.kernel)  # dC/dW: (n_in, units)
        self._reuse_rows = -(-REUSE_FROM // max(shape))  # batches from which the step reuses
        if self.use_bias:
            self.bias = self.bias_initializer((self.units,), dtype, rng)  # b: (units,)
            self.bias_gradient = np.zeros_like(self.bias)  # dC/db: (units,)
        super().build(input_features, dtype, rng)

    def output_features(self, input_features: int) -> int:
        return self.units

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 1:
            raise ValueError(
                f"Layer '{self._display_name()}' (Dense) expects flat input of shape "
                f"(batch, n_features), but it would receive {show_shape(input_shape)}. Add "
                f"Flatten() before it (or GlobalAveragePooling2D() after convolutions)."
            )
        return (self.units,)

    def parameter_count_for(self, input_features: int | Shape) -> int:
        width = as_shape(input_features)
        self.compute_output_shape(width)  # images: "add Flatten()"
        return width[0] * self.units + (self.units if self.use_bias else 0)

    def forward(self, x: Array, training: bool = False) -> Array:
        """z = a_prev @ W + b; a = f(z). (batch, n_in) -> (batch, units)."""
        self._check_input(
            x, " Give each example {features} features, or rebuild the model for {got} features."
        )
        self.a_prev = x  # (batch, n_in), kept for dC/dW
        z = x @ self.kernel  # (batch, units)
        if self.use_bias:
            z += self.bias
        self.z = z
        self.a = self.activation(z)  # (batch, units)
        self._in_step = False  # the readable backward follows
        return self.a

    def forward_in_step(self, x: Array) -> Array:
        """``forward(x, training=True)`` in the training step: x's shape is the model's to check
        (its input, or the layer before's output), and the step's errstate is on, so the
        activation runs ``quietly``. z goes into the last step's z array when nothing else holds
        it (``reusable``), and the ``backward`` that follows may reuse delta and dC/da_prev the
        same way (tests/test_step_plan.py: the same z, a, delta and dC/dW, bit for bit)."""
        self.a_prev = x  # (batch, n_in)
        kernel = self.kernel
        # small arrays cost less to make new than to check for reuse (the seed toy's 4 x 4)
        big = x.shape[0] >= self._reuse_rows  # batch x the kernel's wider side >= REUSE_FROM
        z = reusable(self, "z", (x.shape[0], self.units), x.dtype, kernel.dtype) if big else None
        z = x @ kernel if z is None else np.matmul(x, kernel, out=z)  # (batch, units)
        if self.use_bias:
            z += self.bias
        self.z = z
        self.a = self.activation.quietly(z)  # (batch, units)
        self._in_step = big
        return self.a

    #: the smallest batch whose step reuses its arrays, set by ``build`` (batch x the kernel's
    #: wider side >= REUSE_FROM); unbuilt, as large as REUSE_FROM itself
    _reuse_rows = REUSE_FROM

    #: True after ``forward_in_step`` (the step's backward may reuse its arrays), False after
    #: ``forward`` (the readable backward, every array new: the reference the step is proved by)
    _in_step = False

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """delta = dC/da * f'(z); dC/dW = a_prev.T @ delta; dC/db = sum(delta);
        dC/da_prev = delta @ W.T."""
        if not self._in_step or type(grad_output) is not np.ndarray:  # (a list, called by hand)
            delta = self.activation.backward(self.z, self.a, grad_output)  # (batch, units)
            return self.backward_delta(delta, need_input_gradient)
        z = self.z
        out = reusable(self, "delta", z.shape, grad_output.dtype, z.dtype)
        delta = self.activation.backward_into(z, self.a, grad_output, out)  # (batch, units)
        return self.backward_delta(delta, need_input_gradient)

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """Backward from delta = dC/dz, already known (a loss fused with this activation).

        With a kernel regularizer, dC/dW = a_prev.T @ delta + dpenalty/dW (e.g. + 2 * l2 * W)."""
        self.delta = delta
        np.matmul(self.a_prev.T, delta, out=self.kernel_gradient)  # (n_in, batch) @ (batch, units)
        if self.kernel_regularizer is not None:
            self.kernel_gradient += self.kernel_regularizer.gradient(self.kernel)  # (n_in, units)
        if self.use_bias:
            np.add.reduce(delta, axis=0, out=self.bias_gradient)  # sum over the batch: (units,)
        if not need_input_gradient:
            return None
        kernel = self.kernel
        if not self._in_step or type(delta) is not np.ndarray:
            return delta @ kernel.T  # (batch, units) @ (units, n_in) -> (batch, n_in)
        shape = (delta.shape[0], kernel.shape[0])
        out = reusable(self, "_input_gradient", shape, delta.dtype, kernel.dtype)
        grad = delta @ kernel.T if out is None else np.matmul(delta, kernel.T, out=out)
        self._input_gradient = grad  # kept to be reused at the next step, when let go of
        return grad

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation.get_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer.get_config(),
            "bias_initializer": self.bias_initializer.get_config(),
            "kernel_regularizer": (
                None if self.kernel_regularizer is None else self.kernel_regularizer.get_config()
            ),
        }

    def regularization_penalty(self) -> float:
        """penalty(W) of the kernel regularizer, e.g. l2 * sum(W**2); 0 without one."""
        if self.kernel_regularizer is None or not self.built:
            return 0.0
        return self.kernel_regularizer(self.kernel)

    def __repr__(self) -> str:
        return f"Dense({self.units}, activation={self.activation.name!r}, use_bias={self.use_bias})"


class Activation(Layer):
    """An activation on its own, with no weights: a = f(z), where z is the layer's input.

    >>> import numpy as np
    >>> layer = Activation("relu")
    >>> layer.build(2, np.float64, None)
    >>> layer.forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """

    kind = "Activation"

    def __init__(self, activation: str | ActivationFunction, name: str | None = None) -> None:
        super().__init__(name)
        self.activation = activations_module.get(activation)

    def forward(self, x: Array, training: bool = False) -> Array:
        """a = f(z). (batch, n) -> (batch, n)."""
        self._check_input(x)
        self.z = x
        self.a = self.activation(x)
        return self.a

    def backward(self, grad_output: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/dz = dC/da * f'(z) (the layer's input is z, so this is dC/da_prev)."""
        self.delta = self.activation.backward(self.z, self.a, grad_output)
        return self.delta

    def backward_delta(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """dC/dz already known (fused loss): it is the gradient for the input."""
        self.delta = delta
        return delta

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": self.activation.get_config()}

    def __repr__(self) -> str:
        return f"Activation({self.activation.name!r})"


LAYERS: dict[str, type[Layer]] = {"dense": Dense, "activation": Activation}


def from_config(config: dict[str, Any]) -> Layer:
    """Rebuild a layer (unbuilt) from ``get_config()``."""
    config = dict(config)
    cls = lookup("layer", config.pop("class_name"), LAYERS)
    trainable = config.pop("trainable", True)  # set after construction (KerasLayerAPI)
    if "from_config" in vars(cls):  # a layer with saved state of its own (Normalization)
        layer = cls.from_config(config)
        layer.trainable = trainable
        return layer
    if "activation" in config:
        config["activation"] = activations_module.from_config(config["activation"])
    for key in ("kernel_initializer", "bias_initializer"):
        if key in config:
            config[key] = initializers_module.from_config(config[key])
    if "kernel_regularizer" in config:
        config["kernel_regularizer"] = regularizers_module.from_config(config["kernel_regularizer"])
    layer = cls(**config)
    layer.trainable = trainable
    return layer
