"""Layers: each forward pass above its hand-written backward pass: Dense and Activation.

The base ``Layer``, ``Input`` and the example-shape helpers are in ``glassnet.layers.base``
(importable from here too, as before): how a layer is built, and what ``forward`` and
``backward`` promise.

In the formulas, ``a_prev`` is the layer's input (``a0 = x`` for the first layer), ``W`` its
kernel (n_in, units), ``b`` its bias (units,), and ``delta = dC/dz`` the error at its weighted sum.

Inside ``fit`` and ``train_on_batch`` (``forward_in_step`` and the ``backward`` after it), Dense
writes z, the ReLU's delta and dC/da_prev into the arrays of the step before, with the same
numbers, when nothing but the layer holds them (``reusable``): an array you kept, such as
``layer.z`` after a step, is never written again; the layer makes a new one instead.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from glassnet import activations as activations_module
from glassnet import initializers as initializers_module
from glassnet import regularizers as regularizers_module
from glassnet._names import lookup
from glassnet._validation import shown
from glassnet.activations import Activation as ActivationFunction
from glassnet.layers.base import (  # noqa: F401 (glassnet.layers.core's names, as before)
    INPUT_RANKS,
    Array,
    Input,
    Layer,
    Shape,
    as_shape,
    shape_argument,
    show_shape,
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
