"""``glassnet parity --with torch|keras``: train the same network in glassnet and in PyTorch or
Keras, step by step, and print the largest differences of outputs, loss, gradients and weights.

By default it runs the seed notebook's 3-4-1 network for the notebook's 1000 iterations, full
batch, so it shows the notebook's numbers come out of PyTorch and Keras too. ``--model FILE``
compares a saved model instead, dense or convolutional, on ``--data`` (an image model without
``--data`` trains on 32 random images of its input shape, pixels uniform in [0, 1), with random
targets for its loss, seed 0). Exits 1 on a difference beyond the tolerance, 2 (one line) on a
model it cannot mirror (Dropout, a regularizer, an output that is not (batch, units)).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from glassnet import parity
from glassnet import seed as seed_module
from glassnet.cli._args import MAX_STEPS, cli_count, cli_positive_float, cli_positive_int, emit
from glassnet.cli._data import XOR_HELP, load_model_and_data

#: how many random images an image model is compared on without --data
RANDOM_IMAGES = 32
NETWORKS = {
    "seed": "the seed notebook's 3-4-1 sigmoid network, no biases, half sum of squares, SGD 1.0",
    "keras-cell": "the notebook's Keras cell: Dense 3, 4, 1, sigmoid, biases, mse, SGD 1.0",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``glassnet parity``."""
    parser = commands.add_parser(
        "parity",
        help="train side by side with PyTorch or Keras and compare every step",
        description=__doc__,
    )
    parser.add_argument(
        "--with",
        dest="framework",
        choices=list(parity.FRAMEWORKS),
        default="torch",
        help="the framework to compare with (default: torch)",
    )
    parser.add_argument(
        "--network",
        choices=list(NETWORKS),
        default=None,
        help="which built-in network to compare (default: seed)",
    )
    parser.add_argument(
        "--model",
        help="compare a saved model (glassnet.load_model) instead (default: --network's)",
    )
    parser.add_argument(
        "--data",
        help=f"with --model: xor, moons, circles, digits-images, mnist ... or a CSV file; "
        f"{XOR_HELP} (default: none; a dense --model needs it, an image model then trains on "
        f"{RANDOM_IMAGES} random images of its input shape)",
    )
    parser.add_argument(
        "--steps",
        type=cli_count(1, MAX_STEPS),
        default=seed_module.ITERATIONS,
        help=f"training steps, at most {MAX_STEPS:,}",
    )
    parser.add_argument(
        "--batch-size",
        type=cli_positive_int,
        default=None,
        help="examples per step (default: all, up to 32)",
    )
    parser.add_argument(
        "--tolerance",
        type=cli_positive_float,
        default=None,
        help="largest absolute difference allowed (default 1e-10 torch, 1e-5 keras)",
    )
    parser.add_argument(
        "--rows", type=cli_positive_int, default=10, help="about how many steps to print"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.model is not None:
        if args.network is not None:
            raise ValueError(
                f"--network {args.network} and --model are two networks; give one of them."
            )
        model, x, y, what = _model_and_data(args.model, args.data)
        title = f"{args.model} on {len(x)} {what}"
    else:
        if args.data is not None:
            raise ValueError(
                "--data goes with --model (a saved model to compare); the built-in networks "
                "train on the seed notebook's XOR set."
            )
        args.network = args.network or "seed"
        network = seed_module.seed_network if args.network == "seed" else seed_module.keras_network
        model = network()
        x, y = seed_module.XOR_X, seed_module.XOR_Y
        title = f"{NETWORKS[args.network]}, on the notebook's XOR set"
    report = parity.compare(
        model, x, y, args.framework, args.steps, args.batch_size, args.tolerance
    )
    print(f"Parity with {args.framework}: {title}")
    emit(report.table(rows=args.rows) + "\n")
    ours, theirs = report.outputs
    fmt = seed_module.format_outputs
    if len(x) <= 8 and ours.shape[1] == 1:
        print(f"outputs after {args.steps} steps: glassnet {fmt(ours)}")
        print(f"{'':<{len(str(args.steps)) + 20}}{args.framework:<9}{fmt(theirs)}")
        if args.model is None and args.network == "seed" and args.batch_size in (None, 4):
            print("(the seed notebook printed [ 0.028  0.925  0.925  0.090] after 1000 iterations)")
    else:
        print(
            f"largest output difference after {args.steps} steps: {np.abs(ours - theirs).max():.2e}"
        )
    return 0 if report.passed else 1


def _model_and_data(path: str, data: str | None) -> tuple[Any, np.ndarray, np.ndarray, str]:
    """(model, x, y, what the examples are): ``data`` by name or path, or for an image model
    without it, ``RANDOM_IMAGES`` random images of its input shape and random targets."""
    if data is not None:
        model, x, y = load_model_and_data(path, data)
        return model, x, y, f"examples of {data}"
    from glassnet import load_model
    from glassnet.gradcheck import random_targets

    model = load_model(path)
    shape = tuple(model.example_shape)
    if len(shape) == 1:
        raise ValueError(
            "--model needs --data (xor, moons, circles, spiral, blobs, digits, or a CSV file) for "
            "a model of flat features; only an image model can go without it (random images)."
        )
    model._check_compiled("comparing with another framework")
    parity.check_comparable(model)  # before making targets for its output
    rng = np.random.default_rng(0)
    x = rng.random((RANDOM_IMAGES, *shape))  # (n, height, width, channels), pixels in [0, 1)
    y = random_targets(model.loss, RANDOM_IMAGES, model.output_units, rng)
    return model, x, y, f"random images {shape} (seed 0)"
