"""``glassnet seed``: reruns the seed notebook's NumPy cell with the library's own API and prints
its numbers in the notebook's format; ``glassnet seed --cell keras`` reruns its Keras cell.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from glassnet import seed as seed_module
from glassnet.cli._args import (
    MAX_STEPS,
    check_output_file,
    cli_count,
    cli_seed,
    emit,
    write_output,
)


def print_numpy_cell(result: seed_module.NumpyCellResult, iterations: int) -> None:
    """What ``glassnet seed`` prints for the NumPy cell."""
    fmt = seed_module.format_outputs
    print("The seed notebook's NumPy cell, run with glassnet")
    print("network 3-4-1, sigmoid, no bias, HalfSumSquaredError, SGD(learning_rate=1.0), float64")
    print(f"Initial output              {fmt(result.initial_output)}")
    print(f"Output at iteration {iterations:<7} {fmt(result.last_output)}")
    print(f"Prediction for [1, 0, 1]    {fmt(result.prediction)}")


def print_keras_cell(
    result: seed_module.KerasCellResult,
    iterations: int,
    seed: int,
    history_out: str | Path,
    flag: str = "--history-out",
) -> None:
    """What ``glassnet seed --cell keras`` prints; the history goes to ``history_out`` as JSON
    (``flag`` names it in an error)."""
    print("The seed notebook's Keras cell, run with glassnet")
    emit(result.summary + "\n")
    history = result.history.history
    last = ", ".join(f"{key} {values[-1]:.4f}" for key, values in history.items())
    print(f"fit(epochs={iterations}, batch_size=1, seed={seed}): last epoch {last}")
    print(f"prediction {seed_module.format_outputs(result.predictions)}")
    print(
        "XOR learnt: every prediction is on the right side of 0.5"
        if result.learnt
        else "XOR not learnt with this seed: the network settled on a plateau; try another --seed"
    )
    path = Path(history_out)
    record = {"epoch": result.history.epoch, **history}
    lines = ",\n".join(
        f" {json.dumps(key)}: {json.dumps(values)}" for key, values in record.items()
    )
    write_output(flag, str(path), "{\n" + lines + "\n}\n", "history.json")
    print(f"accuracy history written to {path}")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``glassnet seed``."""
    seed = commands.add_parser(
        "seed", help="rerun the seed notebook's cells with glassnet", description=__doc__
    )
    seed.add_argument(
        "--cell",
        choices=["numpy", "keras"],
        default="numpy",
        help="which notebook cell to run (default: numpy)",
    )
    seed.add_argument(
        "--iterations",
        type=cli_count(1, MAX_STEPS),
        default=seed_module.ITERATIONS,
        help=f"training iterations (numpy) or epochs (keras), at most {MAX_STEPS:,}",
    )
    seed.add_argument(
        "--seed",
        type=cli_seed,
        default=seed_module.KERAS_CELL_SEED,
        help="random seed of the keras cell's initial weights and shuffling",
    )
    seed.add_argument(
        "--history-out",
        default="seed_keras_history.json",
        help="where the keras cell writes its history as JSON",
    )
    seed.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.cell == "keras":
        check_output_file(
            "--history-out", args.history_out, example="history.json"
        )  # before the training, not after
        result = seed_module.keras_cell(seed=args.seed, epochs=args.iterations)
        print_keras_cell(result, args.iterations, args.seed, args.history_out)
    else:
        print_numpy_cell(seed_module.numpy_cell(args.iterations), args.iterations)
    return 0
