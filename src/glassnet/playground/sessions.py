"""A playground session: one setup, its data, its glassnet model, and the order of its batches.

The batch order is the one ``Sequential.fit(shuffle=True)`` uses, made explicit so that training
can stop after any batch: at the start of each epoch the model's own generator draws
``order = model.rng.permutation(n_train)``, and batch b is ``order[b * batch_size:][:batch_size]``.
So ``fit(epochs=E)`` followed by the same loop for the remaining batches gives the same numbers,
which is what the exported script does.

The ``SessionStore`` keeps at most ``LIMITS["max_sessions"]`` sessions and forgets the one used
least recently when a new one arrives; a session unused for ``LIMITS["session_idle_seconds"]``
ends, so memory stays bounded however many pages come and go.

>>> from glassnet.playground.config import parse_config
>>> session = Session("demo", parse_config({"dataset": {"name": "xor"}, "batch_size": 1}))
>>> session.train(steps=3)  # three batches of one example: three quarters of an epoch
3
>>> session.step, session.epoch, session.position
(3, 0, 3)
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

import glassnet as gn
from glassnet import datasets
from glassnet._validation import shown
from glassnet.playground.config import LIMITS, SQUARED_LOSSES, Config
from glassnet.playground.data import make_data
from glassnet.plots.figures import decision_grid

Array = NDArray[Any]
ENGINE_LOSS = {
    "binary_crossentropy": "binary_crossentropy",
    "categorical_crossentropy": "sparse_categorical_crossentropy",
    "mse": "mse",
    "half_sum_squared_error": "half_sum_squared_error",  # the seed's 1/2 sum (a - y)^2
}
SURFACE_RESOLUTION = 50  # the decision surface's grid is 50 x 50 points
UNIT_RESOLUTION = 20  # each unit's small heatmap is 20 x 20 points
CURVE_POINTS = 100  # a regression's fitted curve: the model's output at 100 x values
MAX_LISTED = 8  # a data set of at most this many examples has every prediction listed


def output_layer(config: Config, classes: int) -> tuple[int, str]:
    """(units, activation) of the output layer: one linear unit for a regression set (sine),
    one sigmoid unit for two classes under binary cross-entropy or a squared error (mse, the
    seed's half sum), else one softmax unit per class."""
    if config.regression:
        return 1, "linear"
    if config.loss == "binary_crossentropy" or (config.loss in SQUARED_LOSSES and classes == 2):
        return 1, "sigmoid"
    return classes, "softmax"


def layer_specs(config: Config, classes: int) -> list[tuple[int, str]]:
    """(units, activation) of every Dense layer, the hidden ones and then the output."""
    hidden = [(layer.units, layer.activation) for layer in config.layers]
    return [*hidden, output_layer(config, classes)]


def layer_biases(config: Config) -> list[bool]:
    """Whether each Dense layer has a bias, the hidden ones and then the output."""
    return [layer.use_bias for layer in config.layers] + [config.output_bias]


def regularizer_for(config: Config) -> Any:
    """The kernels' penalty: L1, L2, both (``L1L2``, as Keras's), or None for neither."""
    if config.l1 and config.l2:
        return gn.regularizers.L1L2(l1=config.l1, l2=config.l2)
    if config.l1:
        return gn.regularizers.L1(config.l1)
    return gn.regularizers.L2(config.l2) if config.l2 else None


def initializer_for(config: Config) -> Any:
    """The kernels' initializer: None for Dense's default (Glorot uniform, from the model's
    seed), or, for "seed_notebook", one ``RandomUniform(0, 1, seed=1)`` shared by every layer: it
    hands out the draws of the notebook's ``np.random.seed(1)``; ``np.random.random(shape)`` in
    build order, so the 3-4-1 network starts from the notebook's very weights."""
    if config.initializer == "seed_notebook":
        return gn.initializers.RandomUniform(0.0, 1.0, seed=1)
    return None


def metrics_for(config: Config) -> list[str]:
    """["accuracy"] for classes; none for a regression set (its loss is the measure)."""
    return [] if config.regression else ["accuracy"]


def optimizer_class(config: Config) -> type[gn.optimizers.Optimizer]:
    """The glassnet optimizer class the setup names (SGD, Adam, RMSprop)."""
    return gn.optimizers.OPTIMIZERS[config.optimizer]


def scaling_for(config: Config, x_train: Array) -> dict[str, Any] | None:
    """The preprocessing layer a new session's model starts with, as a spec: an uploaded CSV
    whose features have wide ranges (``datasets.wide_ranges``, the rule ``glassnet train``
    follows) gets a ``Normalization`` adapted on the training split; anything else None."""
    if config.dataset.name == "csv" and datasets.wide_ranges(x_train):
        return {"kind": "Normalization", "adapt": True}
    return None


def preprocessing_layer(spec: dict[str, Any] | None, x_train: Array) -> Any:
    """The layer a preprocessing spec describes (None for none): ``{"kind": "Normalization",
    "adapt": True}`` adapted on ``x_train``; ``{"kind": "Normalization", "mean": [...],
    "variance": [...]}`` or ``{"kind": "Rescaling", "scale": s, "offset": o}`` as given (an
    imported file's)."""
    if spec is None:
        return None
    if spec["kind"] == "Rescaling":
        return gn.layers.Rescaling(spec["scale"], offset=spec["offset"])
    if spec.get("adapt"):
        layer = gn.layers.Normalization()  # (x - mean) / sqrt(variance), per feature
        try:
            layer.adapt(x_train)
        except ValueError:  # a variance beyond float64
            raise ValueError(
                f"the uploaded CSV holds values up to {np.abs(x_train).max():.3g}, too large to "
                f"standardize (their variance overflows float64 above about 1e154). Divide those "
                f"columns by a large constant first."
            ) from None
        return layer
    return gn.layers.Normalization(mean=spec["mean"], variance=spec["variance"])


def preprocessing_words(spec: dict[str, Any] | None, rows: int) -> str | None:
    """The page's line about the preprocessing layer, or None."""
    if spec is None:
        return None
    if spec["kind"] == "Rescaling":
        return (
            f"features rescaled inside the model (Rescaling: x * {spec['scale']:g} + "
            f"{spec['offset']:g}), from the imported file"
        )
    source = f"adapted on the {rows} training rows" if spec.get("adapt") else "from the file"
    return (
        f"features standardized inside the model (Normalization, {source}): each feature "
        f"minus its mean, divided by its standard deviation; the model takes raw rows"
    )


def build_model(
    config: Config, features: int, classes: int, preprocessing: Any = None
) -> gn.Sequential:
    """The setup's network, compiled: what the exported script writes out, line for line.
    ``preprocessing`` (a Rescaling or Normalization layer, or None) goes first."""
    regularizer = regularizer_for(config)
    draws = initializer_for(config)
    settings: dict[str, Any] = {} if draws is None else {"kernel_initializer": draws}
    layers: list[Any] = [gn.Input(shape=(features,))]
    if preprocessing is not None:
        layers.append(preprocessing)
    layers += [
        gn.layers.Dense(
            units,
            activation=activation,
            use_bias=bias,
            kernel_regularizer=regularizer,
            **settings,
        )
        for (units, activation), bias in zip(
            layer_specs(config, classes), layer_biases(config), strict=True
        )
    ]
    model = gn.Sequential(layers, dtype="float64", seed=config.seed)
    optimizer = optimizer_class(config)(learning_rate=config.learning_rate)
    model.compile(optimizer=optimizer, loss=ENGINE_LOSS[config.loss], metrics=metrics_for(config))
    return model


def one_hot_targets(config: Config, classes: int) -> bool:
    """True when the loss compares one-hot rows: a squared error over several (softmax) output
    units."""
    return config.loss in SQUARED_LOSSES and output_layer(config, classes)[0] > 1


def targets(config: Config, labels: Array, classes: int) -> Array:
    """y as the loss wants it: labels for cross-entropy and one-unit mse, one-hot for mse."""
    return datasets.one_hot(labels, classes) if one_hot_targets(config, classes) else labels


class Session:
    """One live setup: data, model, counters, history. ``reset`` starts training over."""

    def __init__(self, session_id: str, config: Config) -> None:
        self.id = session_id
        self.lock = threading.Lock()  # one request at a time works on a session
        self.config = config
        self.data = make_data(config.dataset, config.seed)
        if config.batch_size > len(self.data.x_train):
            raise ValueError(
                f"batch_size: expected at most the {len(self.data.x_train)} training examples, "
                f"got {config.batch_size}. Lower the batch size."
            )
        self.y_train = targets(config, self.data.y_train, self.data.classes)
        self.y_test = targets(config, self.data.y_test, self.data.classes)
        self.imported_weights: list[Array] | None = None
        self.preprocessing = scaling_for(config, self.data.x_train)
        self.reset()

    def reset(self) -> None:
        """A fresh model from the seed (or the imported weights): step 0, no history."""
        first = preprocessing_layer(self.preprocessing, self.data.x_train)
        self.model = build_model(self.config, self.data.features, self.data.classes, first)
        if self.imported_weights is not None:
            self.model.set_weights(self.imported_weights)
        self.epoch = 0
        self.position = 0  # examples of the current epoch already trained on
        self.order: Array | None = None
        self.history: list[dict[str, float | int | None]] = []
        self.record()

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.data.x_train) // self.config.batch_size)

    @property
    def step(self) -> int:
        """Optimizer updates since the start (or the last reset)."""
        return self.epoch * self.batches_per_epoch + self.batches_done

    @property
    def batches_done(self) -> int:
        """Batches of the current epoch already trained on."""
        return -(-self.position // self.config.batch_size)

    def train(self, steps: int, deadline: float | None = None) -> int:
        """``steps`` optimizer updates, one batch each, in ``fit``'s seeded order; stops early
        (after at least one) once ``time.monotonic()`` passes ``deadline``. Returns the number
        of steps taken."""
        n, size = len(self.data.x_train), self.config.batch_size
        done = 0
        while done < steps and (deadline is None or done == 0 or time.monotonic() < deadline):
            if self.position == 0:
                self.order = self.model.rng.permutation(n)  # as fit draws it, once per epoch
            index = self.order[self.position : self.position + size]
            self.model.train_on_batch(self.data.x_train[index], self.y_train[index])
            self.position += size
            if self.position >= n:
                self.position = 0
                self.epoch += 1
            done += 1
            time.sleep(0)  # hand the GIL over: the server's event loop answers between steps
        self.record()
        return done

    def evaluate(self) -> dict[str, float | None]:
        """Loss and accuracy on the whole train and test sets, with the current weights."""
        train = self.model.evaluate(self.data.x_train, self.y_train, return_dict=True)
        result: dict[str, float | None] = {
            "loss": train["loss"],
            "accuracy": train.get("accuracy"),  # none for a regression set
            "test_loss": None,
            "test_accuracy": None,
        }
        if len(self.data.x_test):
            test = self.model.evaluate(self.data.x_test, self.y_test, return_dict=True)
            result.update(test_loss=test["loss"], test_accuracy=test.get("accuracy"))
        return result

    def record(self) -> None:
        """Add the current numbers to the history (thinned to stay under the bound)."""
        self.history.append({"step": self.step, "epoch": self.epoch, **self.evaluate()})
        if len(self.history) > LIMITS["max_history_points"]:
            self.history = self.history[:-1:2] + self.history[-1:]

    # -- what the page draws -----------------------------------------------------------------
    def network(self) -> list[dict[str, Any]]:
        """Per Dense layer: kernel W (n_in, units), bias b, and the last batch's dC/dW, dC/db
        (a layer without bias: ``use_bias`` false and empty lists for b and dC/db)."""
        return [
            {
                "name": layer.name,
                "units": layer.units,
                "activation": layer.activation.name,
                "use_bias": layer.use_bias,
                "kernel": layer.kernel.tolist(),
                "bias": layer.bias.tolist() if layer.use_bias else [],
                "kernel_gradient": layer.kernel_gradient.tolist(),
                "bias_gradient": layer.bias_gradient.tolist() if layer.use_bias else [],
            }
            for layer in self.dense_layers()
        ]

    def dense_layers(self) -> list[Any]:
        """The model's Dense layers: the columns the page draws (a Rescaling or Normalization
        first is not a column; ``state["preprocessing"]`` says it is there)."""
        return [layer for layer in self.model.layers if layer.kind == "Dense"]

    def grids(self) -> dict[str, Any] | None:
        """For 2-D inputs (and the seed's XOR, its third input held at 1): every unit's output
        over a grid, and the predicted class and its probability over a finer grid (the
        decision surface). None for other inputs and for a regression set."""
        fixed = self.data.fixed
        if self.data.regression and self.data.features == 1:
            return self.line_grids()
        if self.data.features != 2 + len(fixed) or self.data.regression:
            return None
        extent = self.data.extent()
        # points of the plane row by row from the top (x1 falling), as an image is drawn
        bounds = (extent[0], extent[1][::-1])
        units = []
        decision_grid(self.model, bounds, UNIT_RESOLUTION, fixed)  # fills every layer's a
        for layer in self.dense_layers():
            a = layer.a  # (points, units)
            units.append([np.round(a[:, j], 4).tolist() for j in range(a.shape[1])])
        surface = decision_grid(self.model, bounds, SURFACE_RESOLUTION, fixed).outputs
        out = surface.reshape(SURFACE_RESOLUTION**2, -1)  # (points, output units)
        if out.shape[1] == 1:
            label = (out[:, 0] > 0.5).astype(int)
            confidence = np.where(label == 1, out[:, 0], 1.0 - out[:, 0])
        else:
            label = out.argmax(axis=1)
            confidence = out.max(axis=1)
        return {
            "extent": extent,
            "unit_resolution": UNIT_RESOLUTION,
            "surface_resolution": SURFACE_RESOLUTION,
            "units": units,
            "label": label.tolist(),
            "confidence": np.round(confidence, 4).tolist(),
        }

    def line_grids(self) -> dict[str, Any]:
        """For a one-feature regression (sine): every unit's output along x, drawn as a square
        whose columns are x (left to right) and whose rows repeat, so the diagram's squares read
        as they do over a plane. The data set draws a curve, not a surface: no labels."""
        ((low, high),) = self.data.extent()
        xs = np.linspace(low, high, UNIT_RESOLUTION)
        self.model.predict(xs[:, None])  # fills every layer's a: (UNIT_RESOLUTION, units)
        units = [
            [
                np.tile(np.round(layer.a[:, j], 4), UNIT_RESOLUTION).tolist()
                for j in range(layer.units)
            ]
            for layer in self.dense_layers()
        ]
        return {
            "extent": [[low, high], [0.0, 0.0]],
            "unit_resolution": UNIT_RESOLUTION,
            "surface_resolution": 0,
            "units": units,
            "label": [],
            "confidence": [],
        }

    def curve(self) -> dict[str, Any] | None:
        """For a regression set of one feature (sine): the fitted curve, the model's output at
        ``CURVE_POINTS`` x values evenly over the drawn range, and that range (None otherwise)."""
        if not self.data.regression or self.data.features != 1:
            return None
        ((low, high),) = self.data.extent()
        xs = np.linspace(low, high, CURVE_POINTS)
        ys = self.model.predict(xs[:, None])[:, 0]
        values = np.concatenate([ys, self.data.y_all])
        finite = values[np.isfinite(values)]
        top = float(np.abs(finite).max()) if finite.size else 1.0
        return {
            "extent": [low, high],
            "y_extent": [-top * 1.15 - 0.1, top * 1.15 + 0.1],
            "x": np.round(xs, 6).tolist(),
            "y": np.round(ys, 6).tolist(),
        }

    def predictions(self) -> list[list[float]] | None:
        """For a data set of at most ``MAX_LISTED`` examples (the XORs): the model's output for
        every example, in the data set's own row order (one list per row); None for larger."""
        if len(self.data.x_all) > MAX_LISTED:
            return None
        return np.asarray(self.model.predict(self.data.x_all), dtype=np.float64).tolist()

    def state(self, with_data: bool = False) -> dict[str, Any]:
        """Everything the page shows, as JSON."""
        state: dict[str, Any] = {
            "id": self.id,
            "config": self.config.to_json(with_csv=False),
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self.batches_done,
            "batches_per_epoch": self.batches_per_epoch,
            "classes": self.data.classes,
            "features": self.data.feature_names,
            "class_names": self.data.class_names,
            "imported": self.imported_weights is not None,
            "preprocessing": preprocessing_words(self.preprocessing, len(self.data.x_train)),
            "metrics": self.history[-1],
            "history": self.history,
            "layers": self.network(),
            "grids": self.grids(),
            "regression": self.data.regression,
            "curve": self.curve(),
            "predictions": self.predictions(),
        }
        if with_data:
            data = self.data
            state["data"] = {
                "x_train": data.x_train.tolist(),
                "y_train": data.y_train.tolist(),
                "x_all": data.x_all.tolist() if len(data.x_all) <= MAX_LISTED else None,
                "y_all": data.y_all.tolist() if len(data.x_all) <= MAX_LISTED else None,
                "x_test": data.x_test.tolist(),
                "y_test": data.y_test.tolist(),
            }
        return state


class SessionStore:
    """At most ``capacity`` sessions; the least recently used is forgotten first, and a session
    unused for ``idle_seconds`` ends. ``clock`` (seconds, monotonic) is for tests; ``kind``
    makes a session from (id, config): ``Session``, or the images tab's ``ImageSession``."""

    def __init__(
        self,
        capacity: int = LIMITS["max_sessions"],
        idle_seconds: float = LIMITS["session_idle_seconds"],
        clock: Callable[[], float] = time.monotonic,
        kind: Callable[[str, Any], Session] | None = None,
    ) -> None:
        self.kind = Session if kind is None else kind
        self.capacity = capacity
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()  # requests run in worker threads

    def _expire(self) -> None:
        """Forget the sessions idle for longer than ``idle_seconds`` (oldest first)."""
        now = self.clock()
        while self._sessions:
            oldest = next(iter(self._sessions))
            if now - self._used[oldest] <= self.idle_seconds:
                break
            self._forget(oldest)

    def _forget(self, session_id: str) -> None:
        del self._sessions[session_id]
        del self._used[session_id]

    def create(self, config: Any) -> Session:
        session = self.kind(secrets.token_hex(16), config)  # the work, outside the lock
        with self._lock:
            self._expire()
            self._sessions[session.id] = session
            self._used[session.id] = self.clock()
            while len(self._sessions) > self.capacity:
                self._forget(next(iter(self._sessions)))
        return session

    def get(self, session_id: str) -> Session:
        with self._lock:
            return self._get(session_id)

    def _get(self, session_id: str) -> Session:
        self._expire()
        if session_id not in self._sessions:
            raise KeyError(
                f"No session {shown(session_id, 80)}: it has ended (the playground keeps the "
                f"{self.capacity} most recently used, each until it is "
                f"{self.idle_seconds / 60:g} minutes idle) or never existed. Press Build to "
                f"start a new one."
            )
        self._sessions.move_to_end(session_id)
        self._used[session_id] = self.clock()
        return self._sessions[session_id]

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._sessions)
