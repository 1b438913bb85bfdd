"""Gradient checking: every hand-written gradient against central differences, in float64.

For each parameter entry w, the numerical derivative is

    dC/dw ~ (C(w + eps) - C(w - eps)) / (2 eps)

whose error shrinks as eps**2. The analytic gradient (from ``backward``) passes when its relative
error ``|analytic - numeric| / max(|analytic| + |numeric|, 1e-12)`` (norms over the whole
parameter) is at most ``tolerance``.

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.layers.Dense(3, "tanh"), gn.layers.Dense(1)], dtype="float64", seed=0)
>>> model.compile("sgd", "mse")
>>> report = check_gradients(model, np.ones((2, 2)), np.zeros((2, 1)))
>>> report.passed
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet import layers as layers_module
from glassnet.model import Sequential

Array = NDArray[np.float64]


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

    def table(self) -> str:
        """One line per parameter: max absolute error, relative error, pass or FAIL."""
        lines = [f"{'parameter':<24}{'max abs error':>15}{'rel error':>12}  result"]
        for c in self.checks:
            verdict = "pass" if c.passed else "FAIL"
            name = f"{c.layer}.{c.parameter}"
            lines.append(f"{name:<24}{c.max_abs_error:>15.3e}{c.relative_error:>12.3e}  {verdict}")
        lines.append(f"tolerance: relative error <= {self.tolerance:g} (eps = {self.eps:g})")
        return "\n".join(lines)


def float64_copy(model: Sequential) -> Sequential:
    """A float64 twin of a built, compiled model: same layers, weights and loss."""
    twin = Sequential(
        [layers_module.from_config(layer.get_config()) for layer in model.layers], dtype="float64"
    )
    twin.build((None, model.input_features))
    twin.set_weights(model.get_weights())
    twin.compile(optimizer="sgd", loss=model.loss)
    return twin


def check_gradients(
    model: Sequential, x: ArrayLike, y: ArrayLike, eps: float = 1e-6, tolerance: float = 1e-7
) -> GradientReport:
    """Compare every parameter's analytic gradient on (x, y) with central differences.

    The model must be compiled (its loss is the C being differentiated). A float32 model is
    checked through a float64 copy, so the check measures the formulas, not float32 rounding.
    The model's own weights are left exactly as they were.
    """
    model._check_compiled("checking gradients")
    model._features(x)
    net = model if model.dtype == np.float64 else float64_copy(model)
    x, y = net._data(x, y)

    def cost() -> float:
        return net.loss(y, net.forward(x, training=True))

    net._compute_gradients(x, y)
    report = GradientReport(tolerance=tolerance, eps=eps)
    for layer in net.layers:
        for name, param, grad in zip(
            layer.parameter_names, layer.parameters, layer.gradients, strict=True
        ):
            analytic = grad.copy()
            numeric = np.zeros_like(param)
            for index in np.ndindex(param.shape):
                original = param[index]
                param[index] = original + eps
                plus = cost()
                param[index] = original - eps
                minus = cost()
                param[index] = original  # restored exactly: the model is left unchanged
                numeric[index] = (plus - minus) / (2.0 * eps)
            report.checks.append(_compare(layer.name or "", name, analytic, numeric, tolerance))
    return report


def _compare(
    layer: str, name: str, analytic: Any, numeric: Any, tolerance: float
) -> ParameterCheck:
    diff = analytic - numeric
    scale = max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), 1e-12)
    relative = float(np.linalg.norm(diff)) / scale
    max_abs = float(np.abs(diff).max()) if diff.size else 0.0
    return ParameterCheck(layer, name, analytic, numeric, max_abs, relative, relative <= tolerance)
