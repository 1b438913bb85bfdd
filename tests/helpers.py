"""Helpers shared by the tests."""

from __future__ import annotations

import numpy as np

import glassnet as gn

#: every loss with the output activation it is meant for (and a linear one for from_logits)
LOSS_CASES = {
    "mse": ("linear", lambda: gn.MeanSquaredError()),
    "half_sum": ("sigmoid", lambda: gn.HalfSumSquaredError()),
    "bce": ("sigmoid", lambda: gn.BinaryCrossEntropy()),
    "bce_logits": ("linear", lambda: gn.BinaryCrossEntropy(from_logits=True)),
    "cce": ("softmax", lambda: gn.CategoricalCrossEntropy()),
    "cce_logits": ("linear", lambda: gn.CategoricalCrossEntropy(from_logits=True)),
    "sparse_cce": ("softmax", lambda: gn.SparseCategoricalCrossEntropy()),
    "sparse_cce_logits": ("linear", lambda: gn.SparseCategoricalCrossEntropy(from_logits=True)),
}


def targets_for(loss: gn.losses.Loss, n: int, units: int, rng: np.random.Generator) -> np.ndarray:
    """Random targets of the kind ``loss`` expects for an output of ``units`` units."""
    if isinstance(loss, gn.SparseCategoricalCrossEntropy):
        return rng.integers(0, units, size=n)
    if isinstance(loss, gn.CategoricalCrossEntropy):
        return np.eye(units)[rng.integers(0, units, size=n)]
    if isinstance(loss, gn.BinaryCrossEntropy):
        return rng.integers(0, 2, size=(n, units)).astype(float)
    return rng.normal(size=(n, units))


#: Debian's Chromium (installed by scripts/ensure-chromium), driven by Playwright headless, with
#: everything that would reach the network switched off
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
