"""Activation functions: each value beside its derivative.

Every activation maps the pre-activation ``z`` (batch, units) to the activation ``a`` (batch, units)
and knows how to send a gradient back: given ``dC/da`` it returns ``dC/dz``. For the element-wise
ones that is ``dC/dz = dC/da * f'(z)``, and the table below says, for each ``f'``, whether it is
written with ``z`` or with the output ``a`` (the sigmoid's is cheapest from ``a``).

=============  ===========================  =====================================
name           a = f(z)                     f'(z), written as
=============  ===========================  =====================================
linear         z                            1
sigmoid        1 / (1 + exp(-z))            a * (1 - a)           (from the output a)
tanh           tanh(z)                      1 - a**2              (from the output a)
relu           max(z, 0)                    1 if z > 0 else 0     (0 at the kink z = 0)
leaky_relu     z if z > 0 else s * z        1 if z > 0 else s     (s at the kink z = 0)
softmax        exp(z_i) / sum_j exp(z_j)    not element-wise: dC/dz = a * (g - sum(g * a))
elu            z if z > 0 else al(e^z - 1)  1 if z > 0 else a + al (from a; al = alpha)
selu           sc * elu(z) (al = 1.6733)    sc if z > 0 else a + sc * al (sc = 1.0507)
gelu           z * Phi(z)                   Phi(z) + z * phi(z)   (Phi, phi: normal cdf, pdf)
gelu (tanh)    z/2 (1 + tanh(u))            see ``GELU``          (u = c (z + 0.044715 z**3))
silu (swish)   z * sigmoid(z)               s * (1 + z * (1 - s)) (s = sigmoid(z))
softplus       log(1 + exp(z))              sigmoid(z)
softsign       z / (1 + |z|)                1 / (1 + |z|)**2
hard_sigmoid   relu6(z + 3) / 6             1/6 if -3 < z < 3 else 0 (0 at the kinks)
=============  ===========================  =====================================

These follow ``torch.nn`` (``ELU``, ``SELU``, ``GELU``, ``SiLU``, ``Softplus``, ``Softsign``,
``Hardsigmoid``) and Keras 3's ``keras.activations`` of the same names, whose definitions agree
(Keras 3's ``hard_sigmoid`` is PyTorch's relu6(z + 3) / 6, not Keras 2's 0.2 z + 0.5; its
``gelu`` is exact unless ``approximate=True``, as PyTorch's ``approximate="none"``). One
difference: ``torch.nn.Softplus`` (and Keras on its torch backend) returns z itself past z = 20,
where log(1 + exp(z)) is z + 2e-9; glassnet keeps the formula (the same number in float32).

>>> import numpy as np
>>> sig = get("sigmoid")
>>> sig(np.array([[0.0]]))
array([[0.5]])
>>> sig.backward(np.array([[0.0]]), np.array([[0.5]]), np.array([[1.0]]))
array([[0.25]])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._header_bounds import bounded
from glassnet._names import from_config as from_config_of
from glassnet._names import lookup
from glassnet._validation import finite_float, shown

Array = NDArray[np.floating[Any]]


class Activation:
    """Base class. ``__call__(z) -> a``; ``backward(z, a, grad_a) -> grad_z``.

    Element-wise activations implement ``derivative(z, a)`` (= f'(z), shape of z) and inherit
    ``backward``; an activation whose Jacobian is not diagonal (softmax) overrides ``backward``.
    """

    name: str = "activation"
    elementwise: bool = True

    def __call__(self, z: Array) -> Array:
        raise NotImplementedError

    def derivative(self, z: Array, a: Array) -> Array:
        """f'(z) element by element; ``a`` is ``f(z)``, passed so nothing is computed twice."""
        raise NotImplementedError

    def quietly(self, z: Array) -> Array:
        """``self(z)`` for a layer's float array z inside the training step, which is already in
        ``np.errstate(over="ignore", invalid="ignore")``: the same numbers, without entering a
        quiet state of its own a second time (the sigmoid's costs as much as its arithmetic on
        a small batch)."""
        return self(z)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        """dC/dz = dC/da * f'(z): (batch, units) -> (batch, units)."""
        return grad_a * self.derivative(z, a)

    def backward_into(self, z: Array, a: Array, grad_a: Array, out: Array | None) -> Array:
        """``backward(z, a, grad_a)``, written into ``out`` where the activation can (ReLU),
        else a new array as ``backward``'s. ``out`` (shape and dtype of the result, held by no
        one else: ``layers.core.reusable``) or None. The training step's form; the same numbers
        (tests/test_mlp_speed.py)."""
        return self.backward(z, a, grad_a)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Activation):
    """a = z; f'(z) = 1. The identity: a layer with it outputs its raw weighted sum."""

    name = "linear"

    def __call__(self, z: Array) -> Array:
        return z

    def derivative(self, z: Array, a: Array) -> Array:
        return np.ones_like(z)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        return grad_a  # f'(z) = 1, so dC/dz is dC/da itself


class Sigmoid(Activation):
    """a = 1 / (1 + exp(-z)); f'(z) = a * (1 - a), computed from the output ``a``.

    For very negative z, exp(-z) overflows to inf and a = 1/inf = 0 exactly, which is the right
    limit, so the overflow warning is silenced rather than the input clipped.
    """

    name = "sigmoid"

    def __call__(self, z: Array) -> Array:
        # a 0-d array takes the formula: np.negative of it is a NumPy scalar, which out= refuses
        if not (isinstance(z, np.ndarray) and z.dtype.kind == "f" and z.ndim):
            with np.errstate(over="ignore"):
                return 1.0 / (1.0 + np.exp(-z))
        with np.errstate(over="ignore"):
            return self.quietly(z)

    def quietly(self, z: Array) -> Array:
        """The formula's operations in place, in one array: -z, exp, + 1, 1 / (test_fast_paths);
        exp's overflow (to inf, so a = 0) silenced by the caller."""
        a = np.negative(z)
        np.exp(a, out=a)
        a += 1.0
        return np.divide(1.0, a, out=a)

    def derivative(self, z: Array, a: Array) -> Array:
        return a * (1.0 - a)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        """dC/dz = dC/da * a * (1 - a), as the base class's, in one array when the shapes and
        dtypes match (the products commute exactly, so the numbers are the same)."""
        if not (
            isinstance(grad_a, np.ndarray)
            and isinstance(a, np.ndarray)
            and grad_a.shape == a.shape
            and grad_a.dtype == a.dtype
        ):
            return super().backward(z, a, grad_a)
        slope = np.subtract(1.0, a)  # 1 - a
        slope *= a  # f'(z) = (1 - a) a
        slope *= grad_a
        return slope


class Tanh(Activation):
    """a = tanh(z); f'(z) = 1 - a**2, computed from the output ``a``."""

    name = "tanh"

    def __call__(self, z: Array) -> Array:
        return np.tanh(z)

    def derivative(self, z: Array, a: Array) -> Array:
        return 1.0 - a * a


#: the most numbers for which ReLU's step compares with an array of zeros (``zeros_for``)
ZEROS_UP_TO = 1 << 17
#: the kept arrays of zeros, by (shape, dtype); at most ZEROS_KEPT of them
_ZEROS: dict[tuple[tuple[int, ...], np.dtype[Any]], Array] = {}
ZEROS_KEPT = 8


def zeros_for(z: Array) -> Array | None:
    """A read-only array of zeros of z's shape and dtype (made once per shape and dtype, then
    kept; at most ``ZEROS_KEPT``, all let go when one more comes), for ReLU's step to compare z with
    instead of the scalar 0: NumPy's ``maximum`` and ``greater`` run their vectorised loops on
    two contiguous arrays but not on an array and a scalar (max(z, 0) on (32, 256) float32:
    2.9 µs against 8.3; on (128, 256): 5.9 against 26.5). None for anything but a C-contiguous
    float array of at most ``ZEROS_UP_TO`` numbers: then the scalar it is."""
    if type(z) is not np.ndarray or z.size > ZEROS_UP_TO or z.dtype.kind != "f":
        return None
    if not z.flags.c_contiguous:
        return None
    key = (z.shape, z.dtype)
    zeros = _ZEROS.get(key)
    if zeros is None:
        if len(_ZEROS) >= ZEROS_KEPT:
            _ZEROS.clear()  # one call: safe beside another thread's training (the playground)
        zeros = np.zeros(z.shape, z.dtype)
        zeros.setflags(write=False)  # an operand only: nothing may change a zero
        _ZEROS[key] = zeros
    return zeros


class ReLU(Activation):
    """a = max(z, 0); f'(z) = 1 where z > 0, else 0 (0 at the kink z = 0, as PyTorch)."""

    name = "relu"

    def __call__(self, z: Array) -> Array:
        return np.maximum(z, 0.0)

    def quietly(self, z: Array) -> Array:
        """``self(z)`` in the training step, max(z, 0) with the 0 as an array of zeros of z's
        shape (``zeros_for``): the same function, the same numbers (NaN, -0.0 and the NaNs'
        payloads included: tests/test_mlp_speed.py), in its vectorised loop."""
        zeros = zeros_for(z)
        return np.maximum(z, 0.0) if zeros is None else np.maximum(z, zeros)

    def derivative(self, z: Array, a: Array) -> Array:
        return (z > 0).astype(z.dtype)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        return grad_a * (z > 0)  # the boolean mask is f'(z); multiplying keeps grad_a's dtype

    def backward_into(self, z: Array, a: Array, grad_a: Array, out: Array | None) -> Array:
        """grad_a * (z > 0), the same product, into ``out`` when given one (no new array for
        the result; grad_a's shape and dtype)."""
        if (
            out is None
            or type(grad_a) is not np.ndarray
            or grad_a.shape != out.shape
            or grad_a.dtype != out.dtype
        ):
            return self.backward(z, a, grad_a)
        zeros = zeros_for(z)  # z > 0 against an array of zeros: the same mask, vectorised
        return np.multiply(grad_a, z > 0 if zeros is None else np.greater(z, zeros), out=out)


class LeakyReLU(Activation):
    """a = z where z > 0, else negative_slope * z; f'(z) = 1 where z > 0, else negative_slope.

    ``negative_slope`` defaults to 0.01, PyTorch's ``nn.LeakyReLU`` default (Keras 3 uses 0.2;
    pass ``LeakyReLU(0.2)`` for that). At the kink z = 0 the derivative is ``negative_slope``.
    It must lie in [0, 3.4e38], an ordinary float32 number (Keras refuses a negative one too;
    1e300 would be inf in float32 and turn every negative input into -inf).
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        slope = finite_float(negative_slope, "LeakyReLU's negative_slope")
        if slope < 0:
            raise ValueError(f"LeakyReLU expects a finite negative_slope >= 0, got {slope!r}.")
        self.negative_slope = bounded(
            slope, "LeakyReLU's negative_slope", 0.0, "negative_slope=0.01"
        )

    def __call__(self, z: Array) -> Array:
        return np.where(z > 0, z, z * self.negative_slope)

    def derivative(self, z: Array, a: Array) -> Array:
        return np.where(z > 0, 1.0, self.negative_slope).astype(z.dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "negative_slope": self.negative_slope}

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Softmax(Activation):
    """a_i = exp(z_i) / sum_j exp(z_j) over the units of each example (rows sum to 1).

    The max of each row is subtracted first, which changes nothing mathematically and keeps
    exp from overflowing. The Jacobian is da_i/dz_j = a_i * (delta_ij - a_j), so
    dC/dz = a * (g - sum_j g_j * a_j) with g = dC/da. Paired with cross-entropy the model skips
    this and uses the fused, stable dC/dz = (a - y) / n instead.
    """

    name = "softmax"
    elementwise = False

    def __call__(self, z: Array) -> Array:
        # over the last axis, as Keras: the units, or an image's channels (batch, h, w, c)
        # z.max and e.sum over the last axis, as the ufunc reductions those methods call
        e = z - np.maximum.reduce(z, axis=-1, keepdims=True)  # (batch, units)
        np.exp(e, out=e)  # in place: e = exp(z - max), no second array
        e /= np.add.reduce(e, axis=-1, keepdims=True)
        return e

    quietly = __call__  # nothing to silence (exp(z - max) <= 1): one call less in the step

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))  # (batch, units)


def _slope_like(value: object, name: str, example: str) -> float:
    """A finite float in [0, 3.4e38] (ELU's alpha), or a clear error."""
    number = finite_float(value, name)
    if number < 0:
        raise ValueError(f"Expected {name} >= 0 (e.g. {example}), got {number!r}.")
    return bounded(number, name, 0.0, example)


class ELU(Activation):
    """a = z where z > 0, else alpha * (exp(z) - 1); f'(z) = 1 where z > 0, else a + alpha
    (= alpha * exp(z), read off the output). ``torch.nn.ELU(alpha)``, ``keras.activations.elu``.
    At the kink z = 0 the derivative is alpha (both sides agree when alpha = 1)."""

    name = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = _slope_like(alpha, "ELU's alpha", "alpha=1.0")

    def __call__(self, z: Array) -> Array:
        with np.errstate(over="ignore"):  # exp of a large z, in the branch not taken
            return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0)))

    def derivative(self, z: Array, a: Array) -> Array:
        return np.where(z > 0, 1.0, a + self.alpha).astype(z.dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha})"


class SELU(Activation):
    """a = scale * (z where z > 0, else alpha * (exp(z) - 1)), with the self-normalizing
    constants alpha = 1.6732632423543772, scale = 1.0507009873554805 (``torch.nn.SELU``,
    ``keras.activations.selu``); f'(z) = scale where z > 0, else a + scale * alpha."""

    name = "selu"
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def __call__(self, z: Array) -> Array:
        negative = (self.scale * self.alpha) * np.expm1(np.minimum(z, 0))
        return np.where(z > 0, self.scale * z, negative)

    def derivative(self, z: Array, a: Array) -> Array:
        return np.where(z > 0, self.scale, a + self.scale * self.alpha).astype(z.dtype)


_ERFC = np.frompyfunc(math.erfc, 1, 1)  # NumPy has no erf; math.erfc is libm's, to the last bit
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _normal_cdf(z: Array) -> Array:
    """Phi(z) = erfc(-z / sqrt(2)) / 2 in float64 (erfc, not 1 + erf, keeps the digits of a
    small Phi for a very negative z, which 1 + erf(...) would cancel away)."""
    return 0.5 * _ERFC(np.asarray(z, np.float64) * -math.sqrt(0.5)).astype(np.float64)


class GELU(Activation):
    """Gaussian error linear unit, ``torch.nn.GELU(approximate=...)``, ``keras.activations.gelu``.

    Exact (``approximate=False``, PyTorch's ``"none"``, Keras's default): a = z * Phi(z), with
    Phi(z) = (1 + erf(z / sqrt(2))) / 2 the normal cdf; f'(z) = Phi(z) + z * phi(z), phi(z) =
    exp(-z**2 / 2) / sqrt(2 pi).

    Phi is computed in float64 as erfc(-z / sqrt(2)) / 2 (math.erfc, element by element: NumPy
    has none), then cast to z's dtype.

    Tanh approximation (``approximate=True`` or ``"tanh"``): with u = sqrt(2/pi) (z + 0.044715
    z**3) and t = tanh(u), a = z (1 + t) / 2 and f'(z) = (1 + t) / 2 + z (1 - t**2) / 2 *
    sqrt(2/pi) (1 + 3 * 0.044715 z**2).

    ``approximate`` takes Keras's True/False or PyTorch's "none"/"tanh"; the config keeps
    Keras's bool.
    """

    name = "gelu"

    def __init__(self, approximate: bool | str = False) -> None:
        if isinstance(approximate, bool | np.bool_):
            self.approximate = bool(approximate)
        elif approximate in ("none", "tanh"):
            self.approximate = approximate == "tanh"
        else:
            raise ValueError(
                f"Expected GELU's approximate to be False or True (Keras) or 'none' or 'tanh' "
                f"(PyTorch), got {approximate!r:.40}."
            )

    def __call__(self, z: Array) -> Array:
        if self.approximate:
            return 0.5 * z * (1.0 + np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z**3)))
        return (z * _normal_cdf(z)).astype(z.dtype, copy=False)

    def derivative(self, z: Array, a: Array) -> Array:
        if self.approximate:
            t = np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z**3))
            du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * z * z)
            return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * du
        wide = np.asarray(z, np.float64)
        pdf = np.exp(-0.5 * wide * wide) / math.sqrt(2.0 * math.pi)
        return (_normal_cdf(z) + wide * pdf).astype(z.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "approximate": self.approximate}

    def __repr__(self) -> str:
        return f"GELU(approximate={self.approximate})"


class SiLU(Activation):
    """a = z * sigmoid(z) (SiLU, also called swish: ``torch.nn.SiLU``, ``keras.activations.silu``);
    f'(z) = s * (1 + z * (1 - s)) with s = sigmoid(z)."""

    name = "silu"

    def __call__(self, z: Array) -> Array:
        return z * Sigmoid()(z)

    def derivative(self, z: Array, a: Array) -> Array:
        s = Sigmoid()(z)
        return s * (1.0 + z * (1.0 - s))


class Softplus(Activation):
    """a = log(1 + exp(z)), computed as logaddexp(0, z) so a large z does not overflow;
    f'(z) = sigmoid(z). (``torch.nn.Softplus``, ``keras.activations.softplus``.)"""

    name = "softplus"

    def __call__(self, z: Array) -> Array:
        return np.logaddexp(0.0, z).astype(z.dtype, copy=False)

    def derivative(self, z: Array, a: Array) -> Array:
        return Sigmoid()(z)


class Softsign(Activation):
    """a = z / (1 + |z|); f'(z) = 1 / (1 + |z|)**2. (``torch.nn.Softsign``,
    ``keras.activations.softsign``.)"""

    name = "softsign"

    def __call__(self, z: Array) -> Array:
        return z / (1.0 + np.abs(z))

    def derivative(self, z: Array, a: Array) -> Array:
        return 1.0 / (1.0 + np.abs(z)) ** 2


class HardSigmoid(Activation):
    """a = relu6(z + 3) / 6 = min(max((z + 3) / 6, 0), 1), Keras 3's and ``torch.nn.Hardsigmoid``;
    f'(z) = 1/6 where -3 < z < 3, else 0 (0 at the kinks z = -3 and z = 3, as PyTorch)."""

    name = "hard_sigmoid"

    def __call__(self, z: Array) -> Array:
        return np.clip(z + 3.0, 0.0, 6.0) / 6.0

    def derivative(self, z: Array, a: Array) -> Array:
        return np.where((z > -3.0) & (z < 3.0), 1.0 / 6.0, 0.0).astype(z.dtype)


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls
    for cls in (
        Linear,
        Sigmoid,
        Tanh,
        ReLU,
        LeakyReLU,
        Softmax,
        ELU,
        SELU,
        GELU,
        SiLU,
        Softplus,
        Softsign,
        HardSigmoid,
    )
}
#: Keras's other names for the same functions
ALIASES: dict[str, str] = {"swish": "silu"}


def get(identifier: str | Activation | None) -> Activation:
    """An activation from its name (``"relu"``), an instance, or None (linear)."""
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        identifier = ALIASES.get(identifier.lower(), identifier)
    if callable(identifier):  # a function: Keras's / PyTorch's own, by name (below)
        return from_callable(identifier)
    return lookup("activation", identifier, ACTIVATIONS)()


def from_config(config: dict[str, Any]) -> Activation:
    """Rebuild an activation from ``get_config()``."""
    return from_config_of("activation", config, ACTIVATIONS)


# -- Keras's spelling: ``activations.relu`` and friends, callables a layer takes -------------------
#: libraries whose activation functions mean what glassnet's of the same name mean, when given
#: as ``activation=keras.activations.relu`` (or ``torch.relu``)
KNOWN_LIBRARIES = ("keras", "tensorflow", "tf_keras", "torch")


def __getattr__(name: str) -> Activation:
    """``activations.relu``, ``activations.sigmoid``, ...: Keras's lowercase names, one shared
    instance each (PEP 562), for every activation in ``ACTIVATIONS``. Each is a callable, a = f(z),
    that any layer takes as ``activation=``."""
    if name in ALIASES:  # activations.swish is activations.silu, as in Keras
        return __getattr__(ALIASES[name])
    if name in ACTIVATIONS:
        globals()[name] = _taking_array_likes(ACTIVATIONS[name])()  # later: plain reads
        return globals()[name]
    from glassnet._not_here import missing  # a Keras name glassnet leaves out: the reason why

    raise missing(__name__, name)


def _taking_array_likes(kind: type[Activation]) -> type[Activation]:
    """``kind`` whose call also takes what Keras's ``activations.relu(x)`` takes: a list, a
    number, an integer array (before, ``activations.softmax([[1.0, 2.0]])`` raised a bare
    AttributeError from inside). A float array goes straight through, as in the layers."""

    class TakingArrayLikes(kind):  # type: ignore[misc, valid-type]
        def __call__(self, z: Any) -> Array:
            given = z
            if not (isinstance(z, np.ndarray) and z.dtype.kind == "f"):
                try:
                    z = np.asarray(z, dtype=np.float64) if z is not None else None
                except (TypeError, ValueError):
                    z = None
                if z is None:  # np.asarray(None, float) is a NaN: refused too
                    raise TypeError(
                        f"activations.{self.name} expects numbers (a NumPy array or a nested "
                        f"list of numbers), got {type(given).__name__} {shown(given, 40)}."
                    )
            if z.ndim == 0 and not self.elementwise:
                raise ValueError(
                    f"activations.{self.name} works along the last axis, so it needs an array "
                    f"of at least one axis, e.g. [[1.0, 2.0]]; got the single number {z}."
                )
            return super().__call__(z)

    TakingArrayLikes.__name__ = TakingArrayLikes.__qualname__ = kind.__name__
    return TakingArrayLikes


def from_callable(function: Any) -> Activation:
    """The glassnet activation for a function passed as ``activation=``: Keras's, TensorFlow's
    or PyTorch's function of one of glassnet's names (``keras.activations.relu``,
    ``torch.tanh``); ``keras.activations.leaky_relu`` keeps Keras's slope, 0.2. Any other
    callable is refused: glassnet trains only through activations whose derivative it has."""
    name = getattr(function, "__name__", None)
    library = (getattr(function, "__module__", None) or "").split(".")[0]
    known = isinstance(name, str) and name in ACTIVATIONS
    if known and library in KNOWN_LIBRARIES:
        if name == "leaky_relu" and library != "torch":
            return ACTIVATIONS[name](negative_slope=0.2)  # keras.activations.leaky_relu's default
        return ACTIVATIONS[name]()
    valid = ", ".join(repr(key) for key in ACTIVATIONS)
    shown_name = name if isinstance(name, str) else repr(function)
    kind = "class" if isinstance(function, type) else "callable"
    what = f"the {kind} {shown_name[:60]}"
    hint = f" Its name matches glassnet's: pass activation={name!r}." if known else ""
    raise TypeError(
        f"Expected an activation name or a glassnet activation (e.g. activation='relu' or "
        f"glassnet.activations.relu), got {what}. glassnet writes each activation's derivative "
        f"by hand, so it cannot train through an arbitrary function.{hint} Valid names: {valid}."
    )
