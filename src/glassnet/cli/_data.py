"""The data the ``glassnet`` commands take with ``--data``: a data set of ``glassnet.datasets`` by
name, or a CSV file whose last column is the target. ``train``, ``explain`` and ``gradcheck`` read
it the same way, so a model trained on ``--data digits`` is explained on the same pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: the data sets --data accepts by name
DATA_SETS = ("xor", "moons", "circles", "spiral", "blobs", "digits")


def load_data(
    name: str, seed: int = 0, samples: int | None = None, noise: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) for a data set name (generated with ``seed``, ``samples`` and ``noise`` where they
    apply) or a CSV file's path. ``xor`` gives labels of shape (4,); ``digits`` pixels in 0..1."""
    from glassnet import datasets

    if name not in DATA_SETS:
        if Path(name).exists():
            return datasets.load_csv(name)
        raise ValueError(
            f"Unknown data set {name!r}. Expected one of {', '.join(DATA_SETS)}, or the path of "
            f"a CSV file (its last column is the target); there is no such file."
        )
    if name == "xor":
        x, y = datasets.xor()
        return x, y.ravel()
    if name == "digits":
        x, y = datasets.digits()
        return x / 16.0, y  # pixels 0..16 -> 0..1
    options: dict[str, Any] = {"seed": seed}
    if samples is not None:
        options["n_samples"] = samples
    if noise is not None:
        options[datasets.noise_argument(name)] = noise
    return getattr(datasets, name)(**options)
