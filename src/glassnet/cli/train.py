"""``glassnet train``: build an MLP (or, with --conv, a small CNN) from flags, train it on a data
set or a CSV file, save it.

    glassnet train --data digits --layers 64 --activation relu --optimizer adam --lr 0.005 \\
        --epochs 40 --validation-split 0.2 --seed 0 --save digits.glassnet
    glassnet train --data digits-images --conv --epochs 20 --save cnn.glassnet

``--conv`` (image data: ``digits-images``, the 8x8 digits as (n, 8, 8, 1), or ``mnist``, the
5,000 MNIST digits ``glassnet.datasets.mnist()`` loads) builds
``Conv2D(8, 3, activation) -> MaxPooling2D(2) -> Flatten() -> [--layers Dense] -> output``, with
no hidden Dense layer unless --layers asks for some. Image data without --conv is flattened
first and goes through the MLP. Image pixels are divided by their top value (16 or 255) by a
first ``Rescaling`` layer.

The output layer and the loss follow from the targets unless given: two classes get one sigmoid
unit and binary cross-entropy, more get a softmax and sparse categorical cross-entropy, real
numbers a linear unit and mean squared error.

The scaling of the inputs is part of the saved model, so ``glassnet predict`` and
``load_model(...).predict`` take the raw data: ``digits`` pixels (0..16) are divided by 16 by a
first ``Rescaling(1/16)`` layer; ``--standardize``, or a CSV file with wide ranges (a value beyond
+-10, or feature spreads differing more than 100-fold), puts a ``Normalization`` layer first,
adapted on the data (each feature minus its mean, divided by its standard deviation);
``--no-standardize`` keeps a CSV's values as they come.

Whole-number targets 0 .. K-1 are classes when K is at most 1000; other numbers are regressed on.
A set of fewer than 50 examples (xor has 4) is trained on whole, with no validation split unless
--validation-split asks for one. Every flag is checked before the data is read or anything is
trained, and --save and --report before training. ``--report DIR`` writes an HTML page of the
run; for image data it shows the network as blocks, the curves, the confusion matrix and the
examples most wrong (on the validation part), the feature maps of one example, the kernels before
and after training and one step's kernel gradients.
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import numpy as np

from glassnet._validation import shown
from glassnet.cli._args import (
    MAX_EPOCHS,
    check_output_file,
    check_output_folder,
    cli_count,
    cli_fraction,
    cli_non_negative_float,
    cli_path,
    cli_positive_float,
    cli_positive_int,
    cli_seed,
    same_file,
)
from glassnet.cli._data import (
    DATA_SETS,
    GENERATED,
    IMAGE_SETS,
    XOR_FEATURES,
    XOR_HELP,
    load_data,
)
from glassnet.initializers import check_allocation

DEFAULT_SPLIT = 0.2  # of the examples held out to validate on ...
SMALL_SET = 50  # ... unless there are fewer examples than this: then none (xor has 4)
#: whole-number targets 0..K-1 are class labels when K is at most this; beyond, values to regress
MAX_CLASSES = 1000
#: the losses that need class labels, and the most classes each takes
CLASS_LOSSES = {
    "binary_crossentropy": 2,
    "sparse_categorical_crossentropy": MAX_CLASSES,
    "categorical_crossentropy": MAX_CLASSES,
}


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "train", help="train an MLP on a data set or CSV file", description=__doc__
    )
    parser.add_argument(
        "--data",
        required=True,
        help=f"one of {', '.join(DATA_SETS)}, or a CSV file (last column = target); {XOR_HELP}",
    )
    parser.add_argument(
        "--layers",
        default=None,
        help="hidden Dense units per layer, comma-separated (default: 16,16; none with --conv)",
    )
    parser.add_argument(
        "--conv",
        action="store_true",
        help="a small CNN, Conv2D(8, 3) -> MaxPooling2D(2) -> Flatten, for --data digits-images "
        "or mnist",
    )
    parser.add_argument("--activation", default="relu", help="hidden activation")
    parser.add_argument("--loss", default=None, help="loss name (default: chosen from the targets)")
    parser.add_argument("--optimizer", default="adam", help="sgd, rmsprop, adam, adamw or adagrad")
    parser.add_argument("--lr", type=cli_positive_float, default=0.01, help="learning rate")
    parser.add_argument(
        "--epochs",
        type=cli_count(1, MAX_EPOCHS),
        default=100,
        help=f"passes over the data, at most {MAX_EPOCHS:,}",
    )
    parser.add_argument(
        "--batch-size",
        type=cli_positive_int,
        default=None,
        help="examples per step, at most the training examples (default: 32, or all of them "
        "when fewer)",
    )
    parser.add_argument(
        "--validation-split",
        type=cli_fraction,
        default=None,
        help=f"fraction of the examples held out to validate on (default: {DEFAULT_SPLIT}, or "
        f"none for a set of fewer than {SMALL_SET} examples)",
    )
    parser.add_argument("--l2", type=cli_non_negative_float, default=0.0, help="L2 weight penalty")
    parser.add_argument(
        "--samples",
        type=cli_positive_int,
        default=None,
        help=f"examples to generate, for {', '.join(GENERATED)} (default: the generator's)",
    )
    parser.add_argument(
        "--noise",
        type=cli_non_negative_float,
        default=None,
        help=f"noise of the generated {', '.join(GENERATED)} (default: the generator's)",
    )
    parser.add_argument(
        "--seed", type=cli_seed, default=0, help="seed for data, weights, shuffling"
    )
    parser.add_argument(
        "--save",
        default=None,
        type=cli_path,
        help="write the trained model to this file (default: not saved)",
    )
    parser.add_argument(
        "--report",
        default=None,
        type=cli_path,
        metavar="FOLDER",
        help="write an HTML report into this folder, as FOLDER/index.html (default: none)",
    )
    parser.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="put an adapted Normalization layer first (default: only for a CSV with wide ranges)",
    )
    parser.add_argument(
        "--verbose", type=int, default=1, choices=(0, 1, 2), help="0 quiet, 1 bar, 2 lines"
    )
    parser.set_defaults(run=run)


def _head(y: np.ndarray, loss: str | None) -> tuple[int, str | None, str]:
    """(output units, output activation, loss) for targets ``y``. Whole numbers 0..K-1 with
    K <= MAX_CLASSES are class labels; other numbers are values to regress on."""
    whole = np.issubdtype(y.dtype, np.integer) or bool(np.all(y == np.round(y)))
    labels = whole and y.ndim == 1 and y.min() >= 0
    classes = int(y.max()) + 1 if labels and y.max() < MAX_CLASSES else 0
    if loss is None:
        if classes == 2:
            loss = "binary_crossentropy"
        elif classes > 2:
            loss = "sparse_categorical_crossentropy"
        else:
            loss = "mse"
    wanted = CLASS_LOSSES.get(loss)
    # binary cross-entropy also takes soft targets in [0, 1], as Keras's does
    soft = loss == "binary_crossentropy" and bool(np.all((y >= 0) & (y <= 1)))
    if wanted is not None and not soft and not 2 <= classes <= wanted:
        expected = "0 and 1" if wanted == 2 else f"0, 1, ... (at most {MAX_CLASSES} classes)"
        first = ", ".join(f"{v:g}" for v in np.ravel(y)[:5])
        raise ValueError(
            f"--loss {loss} needs class labels {expected} in the target column; found values "
            f"from {y.min():g} to {y.max():g} (first ones: {first}). Use --loss mse for "
            f"real-valued targets."
        )
    if loss == "binary_crossentropy":
        return 1, "sigmoid", loss
    if loss in ("sparse_categorical_crossentropy", "categorical_crossentropy"):
        return classes, "softmax", loss
    width = 1 if y.ndim == 1 else y.shape[1]
    return width, None, loss


def _scaling(data: str, x: np.ndarray, standardize: bool | None) -> list[Any]:
    """The preprocessing layers that go first in the model, so that it takes raw data."""
    import glassnet as gn
    from glassnet.datasets import wide_ranges

    csv = data not in DATA_SETS
    if standardize or (standardize is None and csv and wide_ranges(x)):
        normalization = gn.layers.Normalization()  # (x - mean) / sqrt(variance), per feature
        normalization.adapt(x)
        return [normalization]
    if data == "digits":
        return [gn.layers.Rescaling(1 / 16)]  # pixels 0..16 -> 0..1
    if data in IMAGE_SETS:  # pixels 0..16 or 0..255 -> 0..1
        return [gn.layers.Rescaling(IMAGE_SETS[data])]
    return []


def _stem(args: argparse.Namespace, shape: tuple[int, ...]) -> list[Any]:
    """What turns images into a row of features for the Dense layers: --conv's convolution and
    pooling, then Flatten (Keras's channels-last order); nothing for rows of features."""
    import glassnet as gn

    if len(shape) == 1:
        return []
    if not args.conv:
        return [gn.layers.Flatten()]
    return [
        gn.layers.Conv2D(8, 3, activation=args.activation),  # (h - 2, w - 2, 8)
        gn.layers.MaxPooling2D(2),  # ((h - 2) // 2, (w - 2) // 2, 8)
        gn.layers.Flatten(),
    ]


def _hidden(text: str) -> list[int]:
    """The hidden layers' unit counts from ``--layers`` ("16,16"); an empty item ("16,,16",
    ",") is refused, not skipped."""
    parts = [part.strip() for part in text.split(",")]
    try:
        units = [int(part) for part in parts]
    except ValueError:
        units = [0]
    if not text.strip() or any(u <= 0 for u in units):
        raise ValueError(
            f"--layers expects positive unit counts separated by commas, like 16,16 (one number "
            f"per hidden layer, none empty); got {shown(text)}."
        )
    return units


#: a validation set smaller than this gets a note: its accuracy moves in steps of 10% or more
MIN_VALIDATION = 10


def _split_and_batch(args: argparse.Namespace, n: int) -> tuple[float, int, str | None]:
    """(validation split, batch size, a note to print or None) for ``n`` examples, refusing a
    split that leaves no side and a batch larger than the training examples (as ``fit`` does)."""
    note = None
    split = args.validation_split
    if split is None:
        split = DEFAULT_SPLIT if n >= SMALL_SET else 0.0
        if not split:
            note = (
                f"{n} examples, fewer than {SMALL_SET}: training on all of them, no validation "
                f"split (give --validation-split to hold some out)"
            )
    train = int(n * (1.0 - split)) if split else n
    if split and not 0 < train < n:
        raise ValueError(
            f"--validation-split {split:g} leaves {train} of the {n} examples for training and "
            f"{n - train} to validate on; choose a split that leaves examples on both sides, or "
            f"--validation-split 0."
        )
    if split and n - train < MIN_VALIDATION:
        note = (
            f"--validation-split {split:g} holds out {n - train} of the {n} examples; a "
            f"val_accuracy on fewer than {MIN_VALIDATION} examples says little (on 1 it is 0 or "
            f"1). Use more data, a larger split, or --validation-split 0"
        )
    if args.batch_size is None:
        return split, min(32, train), note
    if args.batch_size > train:
        raise ValueError(
            f"--batch-size {args.batch_size} is larger than the {train} training examples; use "
            f"--batch-size {train} for full-batch training, or leave it unset."
        )
    return split, args.batch_size, note


def _check_model_size(widths: list[int], batch: int) -> None:
    """Refuse, before building, a network whose training would not fit in memory: float32
    weights, their gradients, two optimizer slots (Adam's moments) and one update each (5 copies
    of the parameters), plus a batch's activations and their gradients forward and back."""
    parameters = sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(widths))
    activations = 4 * batch * sum(widths)
    check_allocation(
        4 * (5 * parameters + activations),
        f"a network of {parameters:,} parameters, trained with its gradients, optimizer state "
        f"and activations,",
    )


def _check_data_options(args: argparse.Namespace) -> None:
    """--samples and --noise shape generated sets only, --conv takes images, --standardize flat
    features; anything else is refused, not ignored."""
    if args.conv and args.data not in IMAGE_SETS:
        raise ValueError(
            f"--conv builds a convolutional network, which takes images; --data {shown(args.data)} "
            f"holds rows of features. Use --data {' or --data '.join(IMAGE_SETS)}, or drop --conv."
        )
    if args.standardize and args.data in IMAGE_SETS:
        raise ValueError(
            f"--standardize applies to rows of features; the images of {args.data} are scaled to "
            f"0..1 by a Rescaling layer already. Drop --standardize."
        )
    for flag, value in (("--samples", args.samples), ("--noise", args.noise)):
        if value is not None and args.data not in GENERATED:
            raise ValueError(
                f"{flag} applies to the generated data sets ({', '.join(GENERATED)}); "
                f"{args.data} has fixed rows. Drop {flag}."
            )


def _check_outputs(args: argparse.Namespace) -> None:
    """Say now, not after the whole training, that --save or --report cannot be written."""
    if args.save:
        check_output_file(
            "--save", args.save, ("--data", args.data), example="model.glassnet", model_file=True
        )
        from glassnet._files import check_save_target

        check_save_target(args.save)  # .keras, a read-only or foreign file: refused before training
    if args.report:
        check_output_folder("--report", args.report, files=("index.html",))
        if args.save and same_file(args.save, args.report):
            raise ValueError("--save and --report name the same path; give each its own.")
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise ImportError(
                "--report needs matplotlib, which is not installed: pip install 'glassnet[plots]'"
            )


def run(args: argparse.Namespace) -> int:
    import glassnet as gn
    from glassnet import datasets

    _check_data_options(args)
    hidden = _hidden(args.layers) if args.layers is not None else [] if args.conv else [16, 16]
    _check_outputs(args)
    x, y = load_data(args.data, args.seed, args.samples, args.noise)
    split, batch, note = _split_and_batch(args, len(x))
    units, head, loss = _head(y, args.loss)
    shape = x.shape[1:]  # (features,) or (height, width, channels)
    features = int(np.prod(shape))
    # --conv: 8 filters of a 3x3 window, halved twice by the pooling: at most 2 * features
    _check_model_size([2 * features if args.conv else features, *hidden, units], batch)
    if loss == "categorical_crossentropy" and y.ndim == 1:
        y = datasets.one_hot(y, units)
    regularizer = gn.regularizers.L2(args.l2) if args.l2 else None
    scaling = _scaling(args.data, x, args.standardize)
    layers = [gn.layers.Dense(n, args.activation, kernel_regularizer=regularizer) for n in hidden]
    # built here, with Input: weights too big for memory are refused before anything is printed
    model = gn.Sequential(
        [
            gn.Input(shape=shape),
            *scaling,
            *_stem(args, shape),
            *layers,
            gn.layers.Dense(units, head),
        ],
        seed=args.seed,
    )
    optimizer = gn.optimizers.get(args.optimizer)
    optimizer.learning_rate = args.lr
    classify = head in ("sigmoid", "softmax")
    model.compile(optimizer, loss, metrics=["accuracy"] if classify else [])
    if args.save and scaling:  # the header load_model would refuse: said now, not after training
        from glassnet.io import MAX_HEADER_BYTES, header_size

        if header_size(model) > MAX_HEADER_BYTES:
            raise ValueError(
                f"--save {args.save}: a Normalization over {features} features keeps more "
                f"numbers than a model file's {MAX_HEADER_BYTES}-byte header holds. Pass "
                f"--no-standardize, or use fewer features."
            )
    # shuffle once (seeded) so the validation split is not just the file's last rows
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    if args.verbose:
        extra = f" ({XOR_FEATURES})" if args.data == "xor" else ""
        what = f"{'x'.join(map(str, shape))} images" if len(shape) > 1 else f"{features} features"
        print(f"glassnet train: {args.data}: {len(x)} examples, {what}{extra}")
        if note:
            print(f"glassnet train: note: {note}")
        model.summary()
    before = model.get_weights() if args.report else None  # the report's "before training"
    history = model.fit(
        x, y, epochs=args.epochs, batch_size=batch, validation_split=split, verbose=args.verbose
    )
    last = {key: values[-1] for key, values in history.history.items()}
    parts = [f"{key} {value:.4f}" for key, value in last.items()]
    epochs = len(history.epoch)
    print(f"Trained {epochs} epoch{'' if epochs == 1 else 's'}: " + ", ".join(parts))
    if args.save:
        model.save(args.save)
        print(f"Model saved to {args.save} (load it with glassnet.load_model)")
    if args.report:
        from glassnet.plots.report import training_report

        judged = (x, y)
        if len(shape) > 1 and split:  # an image model is judged on the held-out examples only
            from glassnet.training import split_off

            judged = split_off(x, y, split)[2]
        path = training_report(
            args.report,
            model,
            history,
            *judged,
            weights_before=before if len(shape) > 1 else None,
            title=f"glassnet train: {args.data}",
        )
        print(f"Report written to {path}")
    return 0
