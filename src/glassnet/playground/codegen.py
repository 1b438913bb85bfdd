"""Export a playground session as a runnable glassnet script that ends on the same numbers.

The script rebuilds the data (the same generator and seed, or the uploaded CSV's rows written out),
the same network with the same seed, and replays the same batches: ``fit`` for the whole epochs,
then, if the page stopped inside an epoch, the same loop ``fit`` runs for the batches done so far.
It prints the train (and test) loss and accuracy with ``repr``, so every digit can be compared.

>>> from glassnet.playground.config import parse_config
>>> from glassnet.playground.sessions import Session
>>> session = Session("demo", parse_config({"dataset": {"name": "xor"}}))
>>> "gn.layers.Dense(4, activation='tanh')" in python_script(session)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.playground.data import SINE_RANGE, generator_arguments
from glassnet.playground.sessions import (
    ENGINE_LOSS,
    layer_biases,
    layer_specs,
    metrics_for,
    one_hot_targets,
    optimizer_class,
)


def _array(values: Any) -> str:
    """A NumPy array literal, one row a line; Python's float repr round-trips exactly."""
    rows = np.asarray(values).tolist()
    if rows and isinstance(rows[0], list):
        return "np.array(\n    [\n" + "".join(f"        {row!r},\n" for row in rows) + "    ]\n)"
    return f"np.array({rows!r})"


def _data_lines(session: Any) -> list[str]:
    dataset = session.config.dataset
    name = dataset.name
    if name == "csv":
        lines = [
            "# the uploaded CSV's rows (labels renumbered 0, 1, ...)",
            f"x = {_array(session.data.x_all)}",
            f"y = {_array(session.data.y_all)}",
        ]
    elif name == "xor":
        lines = [
            "# the seed's XOR: its two features x0, x1 (the third column of ones is dropped)",
            "x, y = datasets.xor()",
            "x, y = x[:, :2], y.ravel().astype(int)",
        ]
    elif name == "xor_seed":
        lines = [
            "# the seed's XOR as the notebook has it: x0, x1 and a third input that is always 1",
            "x, y = datasets.xor()",
            "y = y.ravel().astype(int)",
        ]
    elif name == "sine":
        low, high = SINE_RANGE
        lines = [
            "# y = sin(x) + noise, x uniform over one period: numbers to fit, not classes",
            "rng = np.random.default_rng(SEED)",
            f"x = rng.uniform({low!r}, {high!r}, size=({dataset.n_samples}, 1))",
            f"y = np.sin(x[:, 0]) + {dataset.noise!r} * rng.standard_normal({dataset.n_samples})",
        ]
    else:
        arguments = ", ".join(f"{k}={v!r}" for k, v in generator_arguments(dataset).items())
        lines = [f"x, y = datasets.{name}({arguments}, seed=SEED)"]
    lines.append(
        "# x goes in as it is: the playground scales nothing outside the model, so this model\n"
        "# (like the session's .glassnet file) takes raw rows; a scaling would be a layer of it"
    )
    if dataset.test_fraction > 0:
        lines.append(
            "x_train, x_test, y_train, y_test = datasets.train_test_split(\n"
            f"    x, y, test_size={dataset.test_fraction!r}, seed=SEED\n)"
        )
    else:
        lines.append("x_train, y_train = x, y  # no test set")
    if one_hot_targets(session.config, session.data.classes):
        units = session.data.classes
        lines.append(f"y_train = datasets.one_hot(y_train, {units})  # mse compares one-hot rows")
        if dataset.test_fraction > 0:
            lines.append(f"y_test = datasets.one_hot(y_test, {units})")
    return lines


def _model_lines(session: Any) -> list[str]:
    config = session.config
    regularizer, imported = _regularizer(config.l1, config.l2)
    settings = f", kernel_regularizer={regularizer}" if regularizer else ""
    if config.initializer == "seed_notebook":
        settings += ", kernel_initializer=draws"
    layers = [f"gn.Input(shape=({session.data.features},))"]
    first, before = _preprocessing_lines(session.preprocessing)
    layers += first
    layers += [
        f"gn.layers.Dense({units}, activation={activation!r}"
        + ("" if bias else ", use_bias=False")
        + f"{settings})"
        for (units, activation), bias in zip(
            layer_specs(config, session.data.classes), layer_biases(config), strict=True
        )
    ]
    body = "".join(f"        {layer},\n" for layer in layers)
    name = optimizer_class(config).__name__
    optimizer = f"gn.{name}(learning_rate={config.learning_rate!r})"
    lines = [
        f'model = gn.Sequential(\n    [\n{body}    ],\n    dtype="float64",\n    seed=SEED,\n)',
        "model.compile(\n"
        f"    optimizer={optimizer},\n"
        f"    loss={ENGINE_LOSS[config.loss]!r},\n"
        f"    metrics={metrics_for(config)!r},\n)",
    ]
    if config.initializer == "seed_notebook":
        before = [
            "# the seed notebook's first weights: np.random.seed(1), then np.random.random(shape)",
            "# for each kernel in turn; one shared initializer hands out those draws in order",
            "draws = gn.initializers.RandomUniform(0.0, 1.0, seed=1)",
            *before,
        ]
    lines = before + lines
    if session.imported_weights is not None:
        arrays = ",\n".join(_array(w) for w in session.imported_weights)
        lines.append(
            f"# the weights imported from a .glassnet file\nmodel.set_weights([\n{arrays}\n])"
        )
    if imported:
        lines.insert(
            0, f"from glassnet.regularizers import {imported}  # a penalty on every kernel"
        )
    return lines


def _regularizer(l1: float, l2: float) -> tuple[str, str]:
    """(the kernel regularizer's expression, the class to import), as ``regularizer_for``
    makes it: L1, L2, or L1L2 for both; ("", "") for neither."""
    if l1 and l2:
        return f"L1L2(l1={l1!r}, l2={l2!r})", "L1L2"
    if l1:
        return f"L1({l1!r})", "L1"
    return (f"L2({l2!r})", "L2") if l2 else ("", "")


def _preprocessing_lines(spec: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """(the model's first layer entries, the lines that make them) for the session's Rescaling
    or Normalization: the session's own Normalization is adapted on the same training rows."""
    if spec is None:
        return [], []
    if spec["kind"] == "Rescaling":
        return [f"gn.layers.Rescaling({spec['scale']!r}, offset={spec['offset']!r})"], []
    if spec.get("adapt"):
        return ["normalization"], [
            "# the features have wide ranges: the model standardizes them itself, as glassnet",
            "# train does (each feature minus its mean, divided by its standard deviation)",
            "normalization = gn.layers.Normalization()",
            "normalization.adapt(x_train)  # on the training split, as the playground did",
        ]
    return [
        f"gn.layers.Normalization(mean={list(spec['mean'])!r}, variance={list(spec['variance'])!r})"
    ], []


def _training_lines(session: Any) -> list[str]:
    size = session.config.batch_size
    # a regression set has no accuracy: its loss is the measure
    accuracy = "" if session.config.regression else " accuracy {{{0}['accuracy']!r}}"
    per_epoch = session.batches_per_epoch
    epochs, extra = session.epoch, session.batches_done
    lines = [
        f"BATCH_SIZE = {size}",
        f"# {session.step} steps = {epochs} whole epochs of {per_epoch} batches"
        f" + {extra} batches of the next epoch",
    ]
    if epochs:
        lines.append(
            f"model.fit(x_train, y_train, epochs={epochs}, batch_size=BATCH_SIZE, verbose=0)"
        )
    if extra:
        lines += [
            "# the next epoch's first batches, drawn the way fit draws them: one permutation of",
            "# the training set from the model's own random generator, then batches in order",
            "order = model.rng.permutation(len(x_train))",
            f"for start in range(0, {extra} * BATCH_SIZE, BATCH_SIZE):",
            "    batch = order[start : start + BATCH_SIZE]",
            "    model.train_on_batch(x_train[batch], y_train[batch])",
        ]
    lines += [
        "",
        "train = model.evaluate(x_train, y_train, return_dict=True)",
        f'print(f"after {session.step} steps (epoch {session.epoch}, batch '
        f'{session.batches_done} of {per_epoch})")',
        "print(f\"train loss {train['loss']!r}" + accuracy.format("train") + '")',
    ]
    if len(session.data.x_test):
        lines += [
            "test = model.evaluate(x_test, y_test, return_dict=True)",
            "print(f\"test loss {test['loss']!r}" + accuracy.format("test") + '")',
        ]
    return lines


def python_script(session: Any) -> str:
    """The session's data, network and training so far as a runnable Python program."""
    config = session.config
    units = [n for n, _ in layer_specs(config, session.data.classes)]
    sizes = "-".join(str(n) for n in [session.data.features, *units])
    header = (
        f'"""A glassnet playground session: {config.dataset.name}, a {sizes} network, '
        f"{session.step} training steps.\n\n"
        "Run it with Python (glassnet installed). It rebuilds the same data and network from the "
        "same\nseed and trains on the same batches in the same order, so it prints the numbers "
        'the playground\nshowed, to the last digit.\n"""\n'
    )
    parts = [
        header,
        "import numpy as np  # noqa: F401  (used when the data is written out)\n\n"
        "import glassnet as gn\nfrom glassnet import datasets\n",
        f"SEED = {config.seed}\n",
        "\n".join(_data_lines(session)) + "\n",
        "\n".join(_model_lines(session)) + "\n",
        "\n".join(_training_lines(session)) + "\n",
    ]
    return "\n".join(parts)
