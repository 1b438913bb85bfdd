"""``glassnet predict``: run a saved model on the rows of a CSV file.

    glassnet predict --model digits.glassnet --input rows.csv [--output predictions.csv]

The CSV holds one example per row, with as many numeric columns as the model has inputs (a header
row is allowed); for an image model, each row is one image's height * width * channels
numbers, row by row with the channels last (``x.reshape(len(x), -1)`` of glassnet's or Keras's
(n, height, width, channels) images), as ``datasets.digits()`` lays the 8x8 digits out. A file
with one column more is read as features plus a target column (as
``glassnet train`` reads it): the target is then compared with the predictions. The output is a
CSV: for a classifier, the predicted class and each class's probability; otherwise the outputs.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from typing import Any

import numpy as np

from glassnet._validation import shown
from glassnet.cli._args import check_output_file, cli_path, emit, write_output
from glassnet.cli._data import XOR_FEATURES


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "predict", help="run a saved model on a CSV file", description=__doc__
    )
    parser.add_argument("--model", required=True, help="a file written by model.save / train")
    parser.add_argument(
        "--input",
        required=True,
        help="a CSV file of examples, one column per model input (a model trained on --data "
        f"xor takes 3: {XOR_FEATURES})",
    )
    parser.add_argument(
        "--output",
        default=None,
        type=cli_path,
        help="write the predictions here, not over --model or --input (default: print)",
    )
    parser.set_defaults(run=run)


def read_features(path: str, features: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(x, y or None) from a CSV with ``features`` columns, or ``features + 1`` (last = target)."""
    from glassnet import csvfiles

    return csvfiles.load_csv_for_model(path, features)  # the file is read once


def run(args: argparse.Namespace) -> int:
    import glassnet as gn

    if args.output:  # before any work, and never over the files read
        check_output_file(
            "--output",
            args.output,
            ("--model", args.model),
            ("--input", args.input),
            example="predictions.csv",
        )
    model = gn.load_model(args.model)
    shape = model.example_shape  # (features,) or (height, width, channels)
    x, y = read_features(args.input, math.prod(shape))
    x = x.reshape(len(x), *shape)  # an image model: each row's numbers, channels last
    out = model.predict(x)
    kind = getattr(model.loss, "name", "")
    classify = "crossentropy" in kind
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if classify and out.shape[1] == 1:
        labels = (out[:, 0] > 0.5).astype(int)
        writer.writerow(["class", "p1"])
        writer.writerows([int(c), f"{p:.6g}"] for c, p in zip(labels, out[:, 0], strict=True))
    elif classify:
        labels = out.argmax(axis=1)
        writer.writerow(["class", *(f"p{k}" for k in range(out.shape[1]))])
        writer.writerows(
            [int(c), *(f"{p:.6g}" for p in row)] for c, row in zip(labels, out, strict=True)
        )
    else:
        labels = None
        writer.writerow([f"y{k}" for k in range(out.shape[1])])
        writer.writerows([f"{v:.6g}" for v in row] for row in out)
    if args.output:
        write_output("--output", args.output, buffer.getvalue(), "predictions.csv")
        print(f"{len(x)} predictions written to {args.output}")
    else:
        emit(buffer.getvalue())
    if y is not None and labels is not None and y.ndim == 1:
        _accuracy(labels, y, max(out.shape[1], 2))
    return 0


def _accuracy(labels: np.ndarray, y: np.ndarray, classes: int) -> None:
    """Print the accuracy against the file's last column (n,) when it holds the model's classes
    0 .. classes - 1; otherwise (7, or 0.5, for a binary model) say why there is none."""
    outside = np.flatnonzero(~np.isin(y, np.arange(classes)))
    if outside.size:
        row = int(outside[0])
        print(
            f"glassnet predict: warning: no accuracy: the file's last column holds "
            f"{shown(y[row].item())} (row {row}, counted from 0) and {outside.size - 1} other "
            f"value(s) that are not the model's classes 0 to {classes - 1}; is it the target?",
            file=sys.stderr,
        )
        return
    accuracy = float(np.mean(labels == y))
    print(f"accuracy against the file's last column: {accuracy:.4f}", file=sys.stderr)
