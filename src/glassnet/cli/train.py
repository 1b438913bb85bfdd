"""``glassnet train``: build an MLP from flags, train it on a data set or a CSV file, save it.

    glassnet train --data digits --layers 64 --activation relu --optimizer adam --lr 0.005 \\
        --epochs 40 --validation-split 0.2 --seed 0 --save digits.glassnet

The output layer and the loss follow from the targets unless given: two classes get one sigmoid
unit and binary cross-entropy, more get a softmax and sparse categorical cross-entropy, real
numbers a linear unit and mean squared error.

The scaling of the inputs is part of the saved model, so ``glassnet predict`` and
``load_model(...).predict`` take the raw data: ``digits`` pixels (0..16) are divided by 16 by a
first ``Rescaling(1/16)`` layer; ``--standardize``, or a CSV file with wide ranges (a value beyond
+-10, or feature spreads differing more than 100-fold), puts a ``Normalization`` layer first,
adapted on the data (each feature minus its mean, divided by its standard deviation);
``--no-standardize`` keeps a CSV's values as they come.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.cli._data import DATA_SETS, load_data


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "train",
        help="train an MLP on a data set or CSV file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data",
        required=True,
        help=f"one of {', '.join(DATA_SETS)}, or a CSV file (last column = target)",
    )
    parser.add_argument(
        "--layers", default="16,16", help="hidden units per layer, e.g. 16,16 (default)"
    )
    parser.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    parser.add_argument("--loss", default=None, help="loss name (default: chosen from the targets)")
    parser.add_argument("--optimizer", default="adam", help="sgd, rmsprop or adam (default adam)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    parser.add_argument(
        "--epochs", type=int, default=100, help="passes over the data (default 100)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="examples per step (default 32)")
    parser.add_argument(
        "--validation-split", type=float, default=0.2, help="fraction held out (default 0.2)"
    )
    parser.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="put an adapted Normalization layer first (default: only for a CSV with wide ranges)",
    )
    parser.add_argument("--l2", type=float, default=0.0, help="L2 weight penalty (default 0)")
    parser.add_argument("--samples", type=int, default=None, help="examples to generate")
    parser.add_argument("--noise", type=float, default=None, help="noise of generated data sets")
    parser.add_argument("--seed", type=int, default=0, help="seed for data, weights, shuffling")
    parser.add_argument("--save", default=None, help="write the trained model to this file")
    parser.add_argument("--report", default=None, help="write an HTML report into this folder")
    parser.add_argument(
        "--verbose", type=int, default=1, choices=(0, 1, 2), help="0 quiet, 1 bar, 2 lines"
    )
    parser.set_defaults(run=run)


def _head(y: np.ndarray, loss: str | None) -> tuple[int, str | None, str]:
    """(output units, output activation, loss) for targets ``y``."""
    whole = np.issubdtype(y.dtype, np.integer) or bool(np.all(y == np.round(y)))
    classes = int(y.max()) + 1 if whole and y.ndim == 1 and y.min() >= 0 else 0
    if loss is None:
        if classes == 2:
            loss = "binary_crossentropy"
        elif classes > 2:
            loss = "sparse_categorical_crossentropy"
        else:
            loss = "mse"
    if loss == "binary_crossentropy":
        return 1, "sigmoid", loss
    if loss in ("sparse_categorical_crossentropy", "categorical_crossentropy"):
        if classes < 2:
            raise ValueError(
                f"--loss {loss} needs integer class labels 0, 1, ... in the target column; "
                f"found {y[:5]!r} ... Use --loss mse for real-valued targets."
            )
        return classes, "softmax", loss
    width = 1 if y.ndim == 1 else y.shape[1]
    return width, None, loss


#: a CSV is standardized by default when a value reaches beyond this ...
WIDE_VALUE = 10.0
#: ... or when its features' standard deviations differ by more than this factor
WIDE_SPREAD_RATIO = 100.0


def _wide(x: np.ndarray) -> bool:
    """True when the features of ``x`` have wide or very unequal ranges (see the module doc)."""
    spreads = x.std(axis=0)
    spreads = spreads[spreads > 0]
    unequal = spreads.size > 0 and spreads.max() > WIDE_SPREAD_RATIO * spreads.min()
    return bool(np.abs(x).max() > WIDE_VALUE or unequal)


def _scaling(data: str, x: np.ndarray, standardize: bool | None) -> list[Any]:
    """The preprocessing layers that go first in the model, so that it takes raw data."""
    import glassnet as gn

    csv = data not in DATA_SETS
    if standardize or (standardize is None and csv and _wide(x)):
        normalization = gn.layers.Normalization()  # (x - mean) / sqrt(variance), per feature
        normalization.adapt(x)
        return [normalization]
    if data == "digits":
        return [gn.layers.Rescaling(1 / 16)]  # pixels 0..16 -> 0..1
    return []


def _hidden(text: str) -> list[int]:
    try:
        units = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        units = [0]
    if any(u <= 0 for u in units):
        raise ValueError(f"--layers expects positive unit counts like 16,16; got {text!r}.")
    return units


def run(args: argparse.Namespace) -> int:
    import glassnet as gn
    from glassnet import datasets

    if args.save:  # say so now, not after the whole training
        folder = Path(args.save).resolve().parent
        if Path(args.save).is_dir() or not folder.is_dir():
            raise ValueError(
                f"--save {args.save}: expected a file path in an existing folder, e.g. "
                f"--save model.glassnet."
            )
    x, y = load_data(args.data, args.seed, args.samples, args.noise)
    units, head, loss = _head(y, args.loss)
    if loss == "categorical_crossentropy" and y.ndim == 1:
        y = datasets.one_hot(y, units)
    regularizer = gn.regularizers.L2(args.l2) if args.l2 else None
    layers = [
        gn.layers.Dense(n, args.activation, kernel_regularizer=regularizer)
        for n in _hidden(args.layers)
    ]
    scaling = _scaling(args.data, x, args.standardize)
    if args.save and scaling:  # say so now, not after the whole training
        import json

        from glassnet.io import MAX_HEADER_BYTES

        if len(json.dumps(scaling[0].get_config())) > MAX_HEADER_BYTES:
            raise ValueError(
                f"--save {args.save}: a Normalization over {x.shape[1]} features keeps more "
                f"numbers than a model file's {MAX_HEADER_BYTES}-byte header holds. Pass "
                f"--no-standardize, or use fewer features."
            )
    model = gn.Sequential(
        [gn.Input(shape=(x.shape[1],)), *scaling, *layers, gn.layers.Dense(units, head)],
        seed=args.seed,
    )
    optimizer = gn.optimizers.get(args.optimizer)
    optimizer.learning_rate = args.lr
    classify = head in ("sigmoid", "softmax")
    model.compile(optimizer, loss, metrics=["accuracy"] if classify else [])
    # shuffle once (seeded) so the validation split is not just the file's last rows
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    if args.verbose:
        print(f"glassnet train: {args.data}, {len(x)} examples, {x.shape[1]} features")
        model.summary()
    batch = min(args.batch_size, max(1, round(len(x) * (1 - args.validation_split))))
    history = model.fit(
        x,
        y,
        epochs=args.epochs,
        batch_size=batch,
        validation_split=args.validation_split,
        verbose=args.verbose,
    )
    last = {key: values[-1] for key, values in history.history.items()}
    parts = [f"{key} {value:.4f}" for key, value in last.items()]
    print(f"Trained {len(history.epoch)} epochs: " + ", ".join(parts))
    if args.save:
        model.save(args.save)
        print(f"Model saved to {args.save} (load it with glassnet.load_model)")
    if args.report:
        from glassnet.plots.report import training_report

        path = training_report(
            args.report, model, history, x, y, title=f"glassnet train: {args.data}"
        )
        print(f"Report written to {path}")
    return 0
