"""Gradient checking: every hand-written gradient against central differences, in float64.

For each parameter entry w (and, on request, each input entry x), the numerical derivative is

    dC/dw ~ (C(w + eps) - C(w - eps)) / (2 eps)

whose truncation error shrinks as eps**2 but whose rounding error grows as 1/eps: each cost is
computed from numbers of order 1 (probabilities, activations) in float64, so it carries an error
of about u * max(|C|, 1) (u = 2.2e-16, the float64 unit roundoff; a well-fitted model's C of
0.001 still comes from a log of p = 0.999...), and the difference quotient an error of about
u * max(|C|, 1) / eps per entry: 2e-10 at eps = 1e-6, whatever the gradient's own size.

So the analytic gradient a (from ``backward``) passes against the numeric n when, in norms over
the whole parameter (size N),

    |a - n| <= tolerance * (|a| + |n|) + floor,   floor = 8 u max(|C|, 1) / eps * sqrt(N)

a relative error of ``tolerance`` (1e-7) on top of the rounding floor, 8 times the per-entry
rounding error. A plain relative error fails correct gradients that are nearly zero (a trained
model's 1e-8 entries, where 1e-10 of rounding is a relative 1e-2); the floor is far below any
real bug's size (a gradient off by 1%, a transposed kernel gradient still fail). The report
shows both the relative error and the floor; a failure lists the worst entries with the analytic
and numeric values side by side, as HIPS/autograd's ``check_grads`` does.

Where C has a kink (relu at z = 0, a max-pooling window whose maximum is tied, as in every blank
region of an image under a positive bias), the difference quotient of an entry whose +-eps
crosses it is the mean of two one-sided slopes, not a derivative. The check notes which side of
every kink each forward pass took; an entry whose step changed one is left out of the comparison
and counted in the report ("52 of 6272 entries left out"), as cs231n's notes advise.

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.layers.Dense(3, "tanh"), gn.layers.Dense(1)], dtype="float64", seed=0)
>>> model.compile("sgd", "mse")
>>> report = check_gradients(model, np.ones((2, 2)), np.zeros((2, 1)))
>>> report.passed
True
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.model import Sequential

Array = NDArray[np.float64]
INPUT = "input"  # the "layer" name under which the check with respect to x is reported
SHOWN_ENTRIES = 5  # entries printed side by side for a failed check
ROUNDING_SAFETY = 8  # the floor: this many times u * max(|C|, 1) / eps per entry (module doc)


@dataclass
class ParameterCheck:
    """The comparison for one parameter array (e.g. layer 'dense' kernel)."""

    layer: str
    parameter: str
    analytic: Array
    numeric: Array
    max_abs_error: float
    relative_error: float
    passed: bool
    floor: float = 0.0  # the rounding floor allowed on |a - n| (norm over the parameter)
    kinks: int = 0  # entries whose +-eps crossed a kink: left out of the comparison
    crossed: NDArray[np.bool_] | None = None  # where they are (the shape of the parameter)

    def side_by_side(self, limit: int = SHOWN_ENTRIES) -> str:
        """The ``limit`` worst entries: index, analytic, numeric, and their difference."""
        diff = np.abs(self.analytic - self.numeric).ravel()
        if self.crossed is not None:  # an entry left out at a kink is not one of the worst
            diff[self.crossed.ravel()] = -1.0
            limit = min(limit, int(np.count_nonzero(diff >= 0)))
        lines = [f"    {'entry':<12}{'analytic':>16}{'numeric':>16}{'abs error':>12}"]
        for flat in np.argsort(-diff, kind="stable")[:limit]:
            index = np.unravel_index(flat, self.analytic.shape)
            where = str(tuple(int(i) for i in index))
            lines.append(
                f"    {where:<12}{self.analytic[index]:>16.8e}{self.numeric[index]:>16.8e}"
                f"{diff[flat]:>12.3e}"
            )
        return "\n".join(lines)


@dataclass
class GradientReport:
    """Every parameter's check, and whether all passed at ``tolerance``."""

    checks: list[ParameterCheck] = field(default_factory=list)
    tolerance: float = 1e-7
    eps: float = 1e-6

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def max_relative_error(self) -> float:
        return max((check.relative_error for check in self.checks), default=0.0)

    @property
    def failures(self) -> list[ParameterCheck]:
        return [check for check in self.checks if not check.passed]

    def by_layer(self) -> dict[str, list[ParameterCheck]]:
        """The checks grouped by layer name, in network order (the input first, if checked)."""
        groups: dict[str, list[ParameterCheck]] = {}
        for check in self.checks:
            groups.setdefault(check.layer, []).append(check)
        return groups

    def table(self) -> str:
        """A table per layer, one line per parameter: max absolute error, relative error, pass
        or FAIL; each failure followed by its worst entries, analytic beside numeric."""
        lines = [
            f"{'layer / parameter':<28}{'max abs error':>15}{'rel error':>12}{'floor':>12}  result"
        ]
        for layer, checks in self.by_layer().items():
            worst = max(c.relative_error for c in checks)
            verdict = "pass" if all(c.passed for c in checks) else "FAIL"
            lines.append(f"{layer:<28}{'':>15}{worst:>12.3e}{'':>12}  {verdict}")
            for c in checks:
                lines.append(
                    f"  {c.parameter:<26}{c.max_abs_error:>15.3e}{c.relative_error:>12.3e}"
                    f"{c.floor:>12.3e}  "
                    f"{'pass' if c.passed else 'FAIL'}"
                )
                if c.kinks:
                    lines.append(
                        f"    {c.kinks} of {c.analytic.size} entries left out: their +-eps "
                        f"crossed a kink (relu at 0, a max-pooling tie), where no derivative exists"
                    )
                if not c.passed:
                    lines.append(c.side_by_side())
        lines.append(
            f"tolerance: |a - n| <= {self.tolerance:g} * (|a| + |n|) + rounding floor "
            f"8 u max(|C|, 1) / eps * sqrt(size) (norms per parameter; eps = {self.eps:g})"
        )
        return "\n".join(lines)


def float64_copy(model: Sequential) -> Sequential:
    """A float64 twin of a built, compiled model: same layers (subclasses too), weights, loss and
    optimizer settings, with fresh optimizer state. The original is not touched."""
    model._ensure_built()
    twin = copy.deepcopy(model)
    twin.dtype = np.dtype(np.float64)
    for layer in twin.layers:
        for name in layer.parameter_names:
            setattr(layer, name, getattr(layer, name).astype(np.float64))
            setattr(
                layer, name + "_gradient", getattr(layer, name + "_gradient").astype(np.float64)
            )
        for name in layer.state_names:  # BatchNormalization's moving statistics
            setattr(layer, name, getattr(layer, name).astype(np.float64))
    twin._collect_parameters()  # also gives the optimizer fresh state for the new arrays
    return twin


@contextmanager
def _same_randomness(net: Sequential) -> Iterator[Callable[[], None]]:
    """Yield a function that rewinds every generator, so each forward pass draws the same
    dropout masks, and every moving statistic; both are left where they were afterwards."""
    generators = net._generators()
    states = [g.bit_generator.state for g in generators]
    # BatchNormalization's moving statistics, which each training-mode forward pass moves
    moving = [(w, w.copy()) for layer in net.layers for w in layer.weights[len(layer.parameters) :]]

    def rewind() -> None:
        for generator, state in zip(generators, states, strict=True):
            generator.bit_generator.state = state
        for array, value in moving:
            array[...] = value

    try:
        yield rewind
    finally:
        rewind()


def check_gradients(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    eps: float = 1e-6,
    tolerance: float = 1e-7,
    check_input: bool = False,
    sample_weight: ArrayLike | None = None,
) -> GradientReport:
    """Compare every parameter's analytic gradient on (x, y) with central differences.

    The model must be compiled (its loss is the C being differentiated). A float32 model is
    checked through a float64 copy, so the check measures the formulas, not float32 rounding.
    The model's own weights are left exactly as they were. With ``check_input=True`` the gradient
    with respect to the input, dC/dx (n_samples, n_features), is checked too (reported as layer
    ``'input'``). Random layers (dropout) draw the same mask in every forward pass of the check.
    ``sample_weight`` (n,) checks the weighted loss sum_i w_i loss_i / n and its gradient.
    """
    for name, value in (("eps", eps), ("tolerance", tolerance)):
        if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
            raise ValueError(f"Expected {name} to be a positive number (e.g. 1e-6), got {value!r}.")
    model._check_compiled("checking gradients")
    model._features(x)
    net = model if model.dtype == np.float64 else float64_copy(model)
    x, y = net._data(x, y)
    weights = net._weights(y, sample_weight)  # (n,) or None, checked as fit checks them
    x = x.copy()  # perturbed in place for the input check
    report = GradientReport(tolerance=tolerance, eps=eps)

    with _same_randomness(net) as rewind:

        def cost() -> float:
            rewind()
            return net._cost(y, net.forward(x, training=True), weights)

        def numeric_gradient(array: Array) -> tuple[Array, NDArray[np.bool_]]:
            """(dC/d array by central differences, where the +-eps crossed a kink)."""
            numeric = np.zeros_like(array)
            crossed = np.zeros(array.shape, dtype=bool)
            for index in np.ndindex(array.shape):
                original = array[index]
                array[index] = original + eps
                plus = cost()
                crossed[index] = _crossed(net, sides)
                array[index] = original - eps
                minus = cost()
                crossed[index] |= _crossed(net, sides)
                array[index] = original  # restored exactly: the model is left unchanged
                numeric[index] = (plus - minus) / (2.0 * eps)
            return numeric, crossed

        # the rounding error of one cost evaluation, carried into each difference quotient
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            base = cost()
        sides = list(_kink_sides(net))  # which side of every kink the unperturbed pass took
        if not np.isfinite(base):
            raise ValueError(
                f"The cost at the model's weights is {base} (not finite), so no gradient can be "
                f"checked there. Check the weights and data for values that overflow (e.g. an "
                f"exp of a huge pre-activation)."
            )
        rounding = ROUNDING_SAFETY * np.finfo(np.float64).eps * max(abs(base), 1.0) / eps

        # one forward and backward fills every parameter's gradient, and dC/dx when asked
        rewind()
        analytic_input = net.backward(
            y, net.forward(x, training=True), input_gradient=check_input, sample_weight=weights
        )
        analytic_gradients = [[g.copy() for g in layer.gradients] for layer in net.layers]
        if check_input:
            analytic = np.array(analytic_input)  # (n_samples, n_features)
            numeric, crossed = numeric_gradient(x)
            report.checks.append(
                _compare(INPUT, "x", analytic, numeric, tolerance, rounding, crossed)
            )
        for layer, gradients in zip(net.layers, analytic_gradients, strict=True):
            for name, param, analytic in zip(
                layer.parameter_names, layer.parameters, gradients, strict=True
            ):
                numeric, crossed = numeric_gradient(param)
                report.checks.append(
                    _compare(
                        layer.name or "", name, analytic, numeric, tolerance, rounding, crossed
                    )
                )
    return report


#: the activations with a kink at z = 0, where the derivative jumps
KINKED_ACTIVATIONS = ("relu", "leaky_relu")


def _kink_sides(net: Sequential) -> Iterator[NDArray[Any]]:
    """Which side of every kink the last forward pass took: the sign of z before a relu or
    leaky_relu, and the winner of each max-pooling window (the first maximum, as backward routes
    it). When a +-eps step changes one, the step crossed a kink: C is not differentiable
    between the two points, and the difference quotient mixes two one-sided slopes (in a blank
    region of an image every window of a positive ReLU output ties, and each pixel's step breaks
    the tie its own way; cs231n's "kinks in the objective")."""
    for layer in net.layers:  # one at a time, so a comparison can stop at the first change
        activation = getattr(layer, "activation", None)
        if getattr(activation, "name", None) in KINKED_ACTIVATIONS:
            yield np.asarray(layer.z) > 0
        if layer.kind == "MaxPooling2D":
            winner = np.full(layer.a.shape, -1)  # (batch, out_h, out_w, channels)
            for k, (values, _) in enumerate(layer._offsets(layer.padded)):
                winner[(values == layer.a) & (winner < 0)] = k
            yield winner


def _crossed(net: Sequential, sides: list[NDArray[Any]]) -> bool:
    """True when the last forward pass took another side of some kink than ``sides``."""
    return bool(sides) and any(
        not np.array_equal(now, then) for now, then in zip(_kink_sides(net), sides, strict=True)
    )


def _norm(values: Any) -> float:
    """The Euclidean norm, scaled by the largest |entry| when needed: np.linalg.norm squares the
    entries, so gradients past 1e154 (weights of sample_weight=1e300) overflowed to inf and a
    check read inf <= tolerance * inf, a pass with a NaN relative error."""
    values = np.abs(np.asarray(values, dtype=np.float64))
    with np.errstate(over="ignore"):
        plain = float(np.linalg.norm(values))
    if math.isfinite(plain) or not values.size:
        return plain  # the usual case: the very number np.linalg.norm gives
    scale = float(values.max())
    if not math.isfinite(scale):
        return scale  # an inf or NaN entry: the check fails on it
    return scale * float(np.linalg.norm(values / scale))


def _compare(
    layer: str,
    name: str,
    analytic: Any,
    numeric: Any,
    tolerance: float,
    rounding: float,
    crossed: NDArray[np.bool_] | None = None,
) -> ParameterCheck:
    """|a - n| <= tolerance * (|a| + |n|) + rounding * sqrt(size), norms over the parameter,
    over the entries whose +-eps crossed no kink (``crossed`` marks the others: left out)."""
    kept = np.ones(np.shape(analytic), dtype=bool) if crossed is None else ~crossed
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, and a NaN error fails below
        diff = np.where(kept, analytic - numeric, 0.0)
    error = _norm(diff)
    size = _norm(analytic[kept]) + _norm(numeric[kept])
    relative = error / max(size, 1e-300)
    floor = rounding * float(np.sqrt(diff.size))
    max_abs = float(np.abs(diff).max()) if diff.size else 0.0
    # an inf or NaN gradient never passes (inf <= tolerance * inf would read as a pass)
    passed = math.isfinite(error) and math.isfinite(size) and error <= tolerance * size + floor
    kinks = int(kept.size - kept.sum())
    return ParameterCheck(
        layer, name, analytic, numeric, max_abs, relative, passed, floor, kinks, ~kept
    )


# -- every built-in combination ------------------------------------------------------------------
@dataclass
class Case:
    """One small random network that ``check_builtins`` checks: a layer kind, an activation and a
    loss, with its data."""

    layer_kind: str
    activation: str
    loss: str
    model: Sequential
    x: Array
    y: Array

    @property
    def name(self) -> str:
        return f"{self.layer_kind} + {self.activation} -> {self.loss}"


def _hidden_block(kind: str, cls: type, activation: str) -> list[Any]:
    """The hidden layers that put a layer kind to work with an activation."""
    from glassnet.layers import Activation, Dense

    if kind == "dense":
        return [Dense(4, activation)]
    if kind == "activation":
        return [Dense(4), Activation(activation)]
    if kind == "normalization":  # given its state, which adapt() would otherwise learn
        return [Dense(4, activation), cls(mean=0.5, variance=2.0)]
    if getattr(cls, "takes_images", False):  # the 4 units as a 2x2 image, then flat again
        return _image_block(kind, cls, activation)
    return [Dense(4, activation), cls(0.25)]  # any other kind: after a Dense, with one argument


def _image_block(kind: str, cls: type, activation: str) -> list[Any]:
    """An image layer kind between flat ones: Dense(4) -> (2, 2, 1) image -> the layer -> flat.
    Before a convolution or a window pooling the Dense is linear, so the image holds no exact
    zeros or ties (relu's kink, max pooling's tie), and the activation is the convolution's own
    or an Activation after the pooling."""
    from glassnet.layers import Activation, Dense, Flatten, Reshape

    image = [Dense(4), Reshape((2, 2, 1))]
    if kind == "reshape":
        return [Dense(4, activation), cls((2, 2, 1)), Flatten()]
    if kind == "flatten":
        return [Dense(4, activation), Reshape((2, 2, 1)), cls()]
    if kind == "globalaveragepooling2d":  # two channels: a softmax's mean is then not constant
        return [Dense(8, activation), Reshape((2, 2, 2)), cls()]
    if kind == "conv2d":
        return [*image, cls(2, 2, padding="same", activation=activation), Flatten()]
    if kind == "batchnormalization":  # per channel of a 2x2x2 image, in training mode
        return [Dense(8, activation), Reshape((2, 2, 2)), cls(), Flatten()]
    if kind == "dropout":  # one mask entry per element of a 2x2x2 image
        return [Dense(8, activation), Reshape((2, 2, 2)), cls(0.25), Flatten()]
    # the window poolings
    return [*image, cls(2, strides=1, padding="same"), Flatten(), Activation(activation)]


def _loss_variants() -> list[Any]:
    """One instance of every loss class in the loss table, and its from_logits form if any."""
    import inspect

    from glassnet.losses import LOSSES

    variants = []
    for cls in dict.fromkeys(LOSSES.values()):
        variants.append(cls())
        if "from_logits" in inspect.signature(cls).parameters:
            variants.append(cls(from_logits=True))
    return variants


def _loss_label(loss: Any) -> str:
    return loss.name + (" (from_logits)" if loss.from_logits else "")


def random_targets(loss: Any, n: int, units: int, rng: np.random.Generator) -> Array:
    """``n`` random targets that ``loss`` takes for ``units`` outputs: class labels, one-hot
    rows, 0/1 columns, or normal numbers (also ``glassnet parity``'s, for random images)."""
    if loss.target_kind == "labels":
        return rng.integers(0, units, size=n)
    if loss.fused_activation == "softmax":
        return np.eye(units)[rng.integers(0, units, size=n)]
    if loss.fused_activation == "sigmoid":
        return rng.integers(0, 2, size=(n, units)).astype(np.float64)
    return rng.normal(size=(n, units))


def _away_from_kinks(model: Sequential, x: Array) -> bool:
    """True when no pre-activation is within 1e-3 of a kink at 0 (relu, leaky_relu), in the
    inference pass and in the training pass the check makes (whose dropout masks it draws)."""

    def clear() -> bool:
        return all(np.all(np.abs(layer.z) > 1e-3) for layer in model.layers if hasattr(layer, "z"))

    model.predict(x)
    if not clear():
        return False
    with _same_randomness(model):  # the masks check_gradients will draw, then rewound
        model.forward(x, training=True)
        return clear()


def builtin_cases(seed: int = 0) -> tuple[list[Case], list[str]]:
    """Every layer kind x activation x loss, read from the tables (``layers.LAYERS``,
    ``activations.ACTIVATIONS``, ``losses.LOSSES``), so a new piece is included when it is
    registered. Returns the cases and the combinations that could not be built (with why).

    The output activation is the loss's fused one (softmax, sigmoid), linear for from_logits, and
    otherwise the hidden activation itself, so every activation's unfused backward is checked at
    the output too.
    """
    from glassnet.activations import ACTIVATIONS
    from glassnet.layers import LAYERS, Dense, Input

    rng = np.random.default_rng(seed)
    cases, uncovered = [], []
    for kind, cls in LAYERS.items():
        for activation in ACTIVATIONS:
            for loss in _loss_variants():
                label = f"{kind} + {activation} -> {_loss_label(loss)}"
                # the loss's fused output activation, linear for logits, else the hidden one
                output = "linear" if loss.from_logits else loss.fused_activation or activation
                units = 3 if loss.fused_activation == "softmax" else 2
                x = rng.normal(size=(5, 3))
                try:
                    for attempt in range(20):  # the first start whose z stays off the kinks
                        model = Sequential(
                            [
                                Input((3,)),
                                *_hidden_block(kind, cls, activation),
                                Dense(units, output),
                            ],
                            dtype="float64",
                            seed=seed * 1000 + attempt,
                        )
                        if _away_from_kinks(model, x):
                            break
                except (TypeError, ValueError) as error:
                    uncovered.append(f"{label}: {error}")
                    continue
                model.compile("sgd", loss)
                y = random_targets(loss, len(x), units, rng)
                cases.append(Case(kind, activation, _loss_label(loss), model, x, y))
    return cases, uncovered
