"""The playground's data: made by ``glassnet.datasets`` from a ``DatasetConfig``, then split.

XOR here is the seed's four points with the two real features (x0, x1); the seed's constant third
column (its stand-in for a bias) is dropped, since the playground's layers have biases. "XOR (the
seed's)", ``xor_seed``, keeps it: three inputs x0, x1, x2 = 1, for the notebook's network without
biases. ``sine`` is a regression set of one feature: y = sin(x) + noise (the author's second
notebook fits a sine). Every other set is generated with the setup's one ``seed``, and split by
``train_test_split`` with that seed, so the exported script can make the very same arrays.

>>> from glassnet.playground.config import DatasetConfig
>>> data = make_data(DatasetConfig(name="moons", n_samples=40), seed=0)
>>> data.x_train.shape, data.x_test.shape, data.classes, data.feature_names
((30, 2), (10, 2), 2, ['x0', 'x1'])
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet import csvfiles, datasets
from glassnet.playground.config import LIMITS, DatasetConfig

Array = NDArray[Any]


@dataclass
class Data:
    """Train and test arrays (x float64 (n, features), y int64 labels (n,), or float64 values
    for a regression set) and their labels (none for a regression set)."""

    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array
    feature_names: list[str]
    class_names: list[str]
    x_all: Array  # every example before the split (the CSV's, embedded in exported scripts)
    y_all: Array
    #: inputs held constant when the plane is drawn (the seed's third column of ones)
    fixed: tuple[float, ...] = ()

    @property
    def regression(self) -> bool:
        """True when y holds numbers to fit: no classes."""
        return not self.class_names

    @property
    def classes(self) -> int:
        return len(self.class_names)

    @property
    def features(self) -> int:
        return int(self.x_train.shape[1])

    def extent(self) -> list[list[float]]:
        """[[x0_min, x0_max], [x1_min, x1_max]]: the plane drawn, the data plus a margin."""
        low, high = self.x_all.min(axis=0), self.x_all.max(axis=0)
        margin = np.maximum((high - low) * 0.15, 0.25)  # (features,)
        if self.fixed:  # a constant input is drawn at its value, not over a range
            kept = len(low) - len(self.fixed)
            low[kept:] = high[kept:] = self.fixed
            margin[kept:] = 0.0
        return [[float(a), float(b)] for a, b in zip(low - margin, high + margin, strict=True)]


#: the sine set's x range: one period, -pi to pi
SINE_RANGE = (-np.pi, np.pi)


def sine(n_samples: int, noise: float, seed: int) -> tuple[Array, Array]:
    """x (n, 1) uniform over one period, y (n,) = sin(x) + noise * N(0, 1), from ``seed``.

    >>> x, y = sine(5, 0.0, seed=0)
    >>> x.shape, y.shape, bool(np.allclose(y, np.sin(x[:, 0])))
    ((5, 1), (5,), True)
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(SINE_RANGE[0], SINE_RANGE[1], size=(n_samples, 1))
    y = np.sin(x[:, 0]) + noise * rng.standard_normal(n_samples)
    return x, y


def generate(config: DatasetConfig, seed: int) -> tuple[Array, Array, list[str]]:
    """All examples of a generated set (not the CSV): x (n, 2) (xor_seed (4, 3), sine (n, 1)),
    y (n,) int labels (sine: float values), names."""
    name = config.name
    if name in ("xor", "xor_seed"):
        x, y = datasets.xor()
        if name == "xor":
            x = x[:, :2].copy()  # the seed's constant third column dropped
        return x, y.ravel().astype(np.int64), ["x0", "x1", "x2"][: x.shape[1]]
    if name == "sine":
        x, y = sine(config.n_samples, config.noise, seed)
        return x, y, ["x"]
    x, y = getattr(datasets, name)(**generator_arguments(config), seed=seed)
    return x, y, ["x0", "x1"]


def generator_arguments(config: DatasetConfig) -> dict[str, Any]:
    """The ``glassnet.datasets`` generator's arguments for a generated set (the exported script
    writes the same ones): the size, the class count where it applies, and the noise (blobs call
    theirs ``std``)."""
    arguments: dict[str, Any] = {"n_samples": config.n_samples}
    if config.name in ("spiral", "blobs"):
        arguments["n_classes"] = config.classes
    arguments[datasets.noise_argument(config.name)] = config.noise
    return arguments


def read_csv(config: DatasetConfig) -> tuple[Array, Array, list[str], list[str]]:
    """The uploaded CSV text, read as ``datasets.load_csv`` reads a file: x (n, features), y (n,)
    labels 0 .. k-1, the feature names and the class names (the target's values, sorted)."""
    target: str | int = config.target if config.target else -1
    _check_width(config.csv or "")
    table = csvfiles.read_csv_text(config.csv or "", "the uploaded CSV", target=target)
    x, y = table.x, table.y
    values, labels = np.unique(y, return_inverse=True)  # the classes, and y as 0 .. k-1
    _check_csv(x, y, values)
    if table.has_header:
        feature_names = table.feature_names
    else:
        feature_names = [f"x{i}" for i in range(x.shape[1])]
    if table.classes is None:
        class_names = [str(value) for value in values.tolist()]
    else:
        class_names = table.classes
    return x, labels.astype(np.int64), feature_names, class_names


def _check_width(text: str) -> None:
    """Refuse a CSV wider than the playground takes before any per-column work: only the first
    non-blank row is read here."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        first = next((row for row in rows if any(cell.strip() for cell in row)), [])
    except csv.Error:
        return  # read_csv_text reports the malformed file
    most = LIMITS["max_csv_features"] + 1
    if len(first) > most:
        raise ValueError(
            f"the uploaded CSV has {len(first)} columns; expected at most {most} (at most "
            f"{LIMITS['max_csv_features']} features and the target). Keep the columns that "
            f"matter."
        )


def _check_csv(x: Array, y: Array, classes: Array) -> None:
    """Refuse what the playground cannot learn; ``classes`` are y's distinct values."""
    if y.dtype.kind == "f":
        whole = bool(np.all(np.isfinite(y)) and np.all(y == np.round(y)))
        if whole:  # beyond 2**53: read as float, not as class labels
            problem = (
                f"numbers too large to be class labels (up to {np.abs(y).max():.3g}; whole "
                f"numbers beyond 2**53 are read as measurements)"
            )
        else:
            fraction = y[y != np.round(y)][0]
            problem = f"fractional numbers (such as {fraction:.6g}), which are not class labels"
        raise ValueError(
            f"the uploaded CSV's target column holds {problem}; the playground learns classes. "
            f"Give the target as class labels (0, 1, 2, ... or words)."
        )
    low, high = LIMITS["min_samples"], LIMITS["max_samples"]
    if not low <= len(x) <= high:
        raise ValueError(
            f"the uploaded CSV has {len(x)} rows; expected {low} to {high}. "
            f"{'Add' if len(x) < low else 'Remove'} rows."
        )
    if len(classes) < 2 or len(classes) > LIMITS["max_classes"]:
        raise ValueError(
            f"the uploaded CSV's target has classes {classes[:12].tolist()}; expected 2 to "
            f"{LIMITS['max_classes']} classes (numbers or words)."
        )


def make_data(config: DatasetConfig, seed: int) -> Data:
    """Generate (or read) the examples and split them with ``datasets.train_test_split``."""
    if config.name == "csv":
        x, y, names, class_names = read_csv(config)
    elif config.name == "sine":
        x, y, names = generate(config, seed)
        class_names = []  # numbers to fit: no classes
    else:
        x, y, names = generate(config, seed)
        class_names = [str(k) for k in range(int(y.max()) + 1)]
    if config.test_fraction > 0:
        x_train, x_test, y_train, y_test = datasets.train_test_split(
            x, y, test_size=config.test_fraction, seed=seed
        )
    else:
        x_train, y_train = x, y
        x_test, y_test = x[:0], y[:0]
    fixed = (1.0,) if config.name == "xor_seed" else ()
    return Data(x_train, y_train, x_test, y_test, names, class_names, x, y, fixed)
