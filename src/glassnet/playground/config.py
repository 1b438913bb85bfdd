"""The playground's setup (data set, architecture, training settings): validated, bounded.

A setup arrives as JSON from the page (or from the URL it shares). ``parse_config`` checks every
field against ``LIMITS`` and returns a ``Config``; anything else raises ``ValueError`` whose
message names the field, what was expected, what was received and the fix. The page shows that
message as it is.

>>> config = parse_config({"dataset": {"name": "xor"}, "layers": [{"units": 4}]})
>>> config.dataset.name, [layer.units for layer in config.layers], config.loss
('xor', [4], 'binary_crossentropy')
>>> parse_config({"layers": [{"units": 99}]})
Traceback (most recent call last):
...
ValueError: layers[0].units: expected an integer from 1 to 8, got 99. Use at most 8 units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from glassnet._validation import shown

#: every bound the playground enforces, shown on the page and returned by GET /api/limits
LIMITS: dict[str, int] = {
    "max_hidden_layers": 6,
    "max_units": 8,
    "min_samples": 10,
    "max_samples": 1000,
    "max_classes": 10,
    "max_csv_bytes": 200_000,
    "max_csv_features": 16,
    "max_steps_per_request": 5000,
    "max_sessions": 64,
    "session_idle_seconds": 1800,
    "max_history_points": 1000,
    "max_body_bytes": 1_000_000,
    "max_request_seconds": 20,  # training stops there and says so
    "body_seconds": 10,  # a request body must arrive within this (else 408)
    "request_head_seconds": 10,  # a request line and headers must arrive within this
    "keep_alive_seconds": 5,  # an idle kept-alive connection is closed after this
}

DATASETS = ("xor", "xor_seed", "moons", "circles", "spiral", "blobs", "sine", "csv")
#: the data sets whose targets are numbers to fit, not classes (a linear output unit)
REGRESSION = ("sine",)
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "linear")
#: "half_sum_squared_error" is the seed notebook's cost, 1/2 sum (a - y)^2 (``glassnet.losses``)
LOSSES = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "mse",
    "half_sum_squared_error",
)
#: the losses that compare numbers, so the only ones a regression set takes
SQUARED_LOSSES = ("mse", "half_sum_squared_error")
OPTIMIZERS = ("sgd", "adam", "rmsprop")
#: the kernels' first values: Keras's default from the setup's seed, or the seed notebook's
#: ``np.random.seed(1)``; ``np.random.random`` draws (uniform in [0, 1), handed out in build order)
INITIALIZERS = ("glorot_uniform", "seed_notebook")

#: the "the seed" button's setup: the notebook's 3-4-1 sigmoid network on its XOR with the third
#: constant input, no biases, its half sum of squares, its weights, full-batch SGD at rate 1
SEED_PRESET: dict[str, Any] = {
    "dataset": {"name": "xor_seed", "test_fraction": 0.0},
    "layers": [{"units": 4, "activation": "sigmoid", "use_bias": False}],
    "output_bias": False,
    "loss": "half_sum_squared_error",
    "optimizer": "sgd",
    "learning_rate": 1.0,
    "batch_size": 4,
    "l1": 0.0,
    "l2": 0.0,
    "initializer": "seed_notebook",
    "seed": 0,
}


@dataclass(frozen=True)
class DatasetConfig:
    """Which data: a generator's name and its knobs, or a CSV text with its target column."""

    name: str = "xor"
    n_samples: int = 200
    noise: float = 0.1
    classes: int = 3
    test_fraction: float = 0.25
    csv: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class LayerConfig:
    """One hidden Dense layer."""

    units: int = 4
    activation: str = "tanh"
    use_bias: bool = True  # False: z = a @ W, no b (the seed's layers)


@dataclass(frozen=True)
class Config:
    """A whole setup. The output layer follows from the loss and the number of classes."""

    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    layers: tuple[LayerConfig, ...] = (LayerConfig(),)
    loss: str = "binary_crossentropy"
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    batch_size: int = 4
    l1: float = 0.0  # l1 * sum |W| on every kernel (with l2: both, as Keras's L1L2)
    l2: float = 0.0
    seed: int = 0
    output_bias: bool = True
    initializer: str = "glorot_uniform"

    @property
    def regression(self) -> bool:
        """True for a data set of numbers to fit (sine): one linear output unit."""
        return self.dataset.name in REGRESSION

    def to_json(self, with_csv: bool = True) -> dict[str, Any]:
        """The setup as JSON (what ``parse_config`` reads back)."""
        dataset = dict(self.dataset.__dict__)
        if not with_csv:
            dataset.pop("csv")
        return {
            "dataset": dataset,
            "layers": [dict(layer.__dict__) for layer in self.layers],
            "loss": self.loss,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "l1": self.l1,
            "l2": self.l2,
            "seed": self.seed,
            "output_bias": self.output_bias,
            "initializer": self.initializer,
        }


def parse_config(raw: Any) -> Config:
    """Check a setup received as JSON and return it as a ``Config`` (missing fields: defaults)."""
    raw = _mapping(raw, "config")
    no_unknown(raw, {f for f in Config.__dataclass_fields__}, "config")
    dataset = _parse_dataset(_mapping(raw.get("dataset", {}), "dataset"))
    layers_raw = raw.get("layers", [{"units": 4, "activation": "tanh"}])
    if not isinstance(layers_raw, list):
        raise ValueError(
            f"layers: expected a list of hidden layers like [{{'units': 4, 'activation': "
            f"'tanh'}}], got {type(layers_raw).__name__}."
        )
    most = LIMITS["max_hidden_layers"]
    if len(layers_raw) > most:
        raise ValueError(
            f"layers: expected at most {most} hidden layers, got {len(layers_raw)}. "
            f"Remove {len(layers_raw) - most}."
        )
    layers = tuple(_parse_layer(item, i) for i, item in enumerate(layers_raw))
    loss = choice(raw.get("loss", "binary_crossentropy"), LOSSES, "loss")
    if (
        loss == "binary_crossentropy"
        and dataset.name in ("spiral", "blobs")
        and dataset.classes > 2
    ):
        raise ValueError(
            f"loss: binary_crossentropy needs 2 classes, but the {dataset.name} data set has "
            f"{dataset.classes}. Use categorical_crossentropy (or mse), or set classes to 2."
        )
    if dataset.name in REGRESSION and loss not in SQUARED_LOSSES:
        raise ValueError(
            f"loss: the {dataset.name} data set holds numbers to fit, not classes, so it takes "
            f"mse or half_sum_squared_error, got {loss!r}. Choose mse (mean squared error)."
        )
    return Config(
        dataset=dataset,
        layers=layers,
        loss=loss,
        optimizer=choice(raw.get("optimizer", "sgd"), OPTIMIZERS, "optimizer"),
        learning_rate=_number(raw.get("learning_rate", 0.1), "learning_rate", 1e-6, 10.0),
        batch_size=integer(raw.get("batch_size", 4), "batch_size", 1, LIMITS["max_samples"]),
        l1=_number(raw.get("l1", 0.0), "l1", 0.0, 1.0),
        l2=_number(raw.get("l2", 0.0), "l2", 0.0, 1.0),
        seed=integer(raw.get("seed", 0), "seed", 0, 2**31 - 1),
        output_bias=boolean(raw.get("output_bias", True), "output_bias"),
        initializer=choice(raw.get("initializer", "glorot_uniform"), INITIALIZERS, "initializer"),
    )


def _parse_dataset(raw: dict[str, Any]) -> DatasetConfig:
    no_unknown(raw, set(DatasetConfig.__dataclass_fields__), "dataset")
    name = choice(raw.get("name", "xor"), DATASETS, "dataset.name")
    csv = raw.get("csv")
    if name == "csv":
        if not isinstance(csv, str) or not csv.strip():
            raise ValueError(
                "dataset.csv: expected the CSV file's text (a header row, then numeric rows), got "
                "nothing. Choose a file with the upload button."
            )
        size = len(csv.encode())
        if size > LIMITS["max_csv_bytes"]:
            raise ValueError(
                f"dataset.csv: expected at most {LIMITS['max_csv_bytes']} bytes, got {size}. "
                f"Use a smaller file (at most {LIMITS['max_samples']} rows)."
            )
    elif csv is not None:
        raise ValueError(f"dataset.csv: only the 'csv' data set takes a file, not {name!r}.")
    target = raw.get("target")
    if target is not None and not isinstance(target, str):
        raise ValueError(f"dataset.target: expected a column name, got {echo(target)}.")
    if target is not None and len(target) > MAX_NAME:
        raise ValueError(
            f"dataset.target: expected a column name of at most {MAX_NAME} characters, got "
            f"{echo(target)}. Give the target column's name as the CSV's header has it."
        )
    return DatasetConfig(
        name=name,
        n_samples=integer(
            raw.get("n_samples", 200),
            "dataset.n_samples",
            LIMITS["min_samples"],
            LIMITS["max_samples"],
        ),
        noise=_number(raw.get("noise", 0.1), "dataset.noise", 0.0, 1.0),
        classes=integer(raw.get("classes", 3), "dataset.classes", 2, 5),
        test_fraction=_number(
            raw.get("test_fraction", 0.0 if name in ("xor", "xor_seed") else 0.25),
            "dataset.test_fraction",
            0.0,
            0.5,
        ),
        csv=csv if name == "csv" else None,
        target=target if name == "csv" else None,
    )


def _parse_layer(raw: Any, index: int) -> LayerConfig:
    where = f"layers[{index}]"
    raw = _mapping(raw, where)
    no_unknown(raw, {"units", "activation", "use_bias"}, where)
    units = raw.get("units", 4)
    most = LIMITS["max_units"]
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= most:
        raise ValueError(
            f"{where}.units: expected an integer from 1 to {most}, got {echo(units, where)}. "
            f"Use at most {most} units."
        )
    activation = choice(raw.get("activation", "tanh"), ACTIVATIONS, f"{where}.activation")
    use_bias = boolean(raw.get("use_bias", True), f"{where}.use_bias")
    return LayerConfig(units=units, activation=activation, use_bias=use_bias)


#: the most characters of a received value a message shows (the rest is cut, its length said)
SHOWN = 80
#: the longest column name the target field takes (the page's own check is the same)
MAX_NAME = 200


def echo(value: Any, where: str = "") -> str:
    """A received value as a message shows it: ``repr`` cut to ``SHOWN`` characters (a long
    string's length said, a huge integer by its digits, every control or bidi character escaped
    by ``repr``), and a boolean named as one: JSON's ``true`` is not the number 1.

    >>> echo("<b>" * 1000)[-30:]
    'b><b><b><... (3000 characters)'
    >>> echo(True, "seed")
    'true (a boolean is not a seed)'
    """
    if isinstance(value, bool):
        noun = "seed" if where == "seed" else "number"
        return f"{str(value).lower()} (a boolean is not a {noun})"
    return shown(value, SHOWN)  # a long string's length is said by shown


def echo_text(text: str) -> str:
    """A received text (a URL path) as a message shows it, unquoted: cut to ``SHOWN``
    characters, control and bidi characters escaped (``\\u202e``) so they cannot reorder it."""
    kept = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:SHOWN])
    return kept + ("..." if len(text) > SHOWN else "")


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(raw).__name__}.")
    return raw


def no_unknown(raw: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        names = ", ".join(echo(name) for name in unknown[:5]) + (" ..." if unknown[5:] else "")
        raise ValueError(
            f"{where}: unknown field(s) {names}. Known fields: {', '.join(sorted(known))}."
        )


def choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise ValueError(
            f"{where}: expected one of {', '.join(map(repr, choices))}, got {echo(value)}."
        )
    return value


def boolean(value: Any, where: str) -> bool:
    """A JSON true or false; anything else (1, "false", null) is refused, not guessed at."""
    if not isinstance(value, bool):
        raise ValueError(f"{where}: expected true or false, got {echo(value, where)}.")
    return value


def integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(
            f"{where}: expected an integer from {low} to {high}, got {echo(value, where)}."
        )
    return value


def _number(value: Any, where: str, low: float, high: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        # an int is finite: math.isfinite(10**400) would raise OverflowError (a 500)
        or (isinstance(value, float) and not math.isfinite(value))
        or not low <= value <= high
    ):
        raise ValueError(
            f"{where}: expected a number from {low:g} to {high:g}, got {echo(value, where)}."
        )
    return float(value)
