"""``glassnet explain``: narrate a training step in words, with its real numbers.

With no arguments it tells step 0 of the seed notebook's network (initial output 0.758 ...) at the
kid's level. ``--step N`` trains N full-batch steps first; ``--example K`` follows row K;
``--level``, ``--format`` and ``--output`` choose how; ``--model FILE --data NAME|CSV`` narrate
a saved network (``model.save``) on a data set instead, ``--batch N`` on its first N examples.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from glassnet import explain as explain_module
from glassnet import seed as seed_module
from glassnet.trace import trace_step

#: data sets --data accepts by name (glassnet.datasets), besides a CSV path
DATASETS = ("xor", "moons", "circles", "spiral", "blobs", "digits")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``glassnet explain``."""
    parser = commands.add_parser(
        "explain", help="narrate a training step in words, with its real numbers"
    )
    parser.add_argument("--level", choices=explain_module.LEVELS, default="kid")
    parser.add_argument("--format", choices=explain_module.FORMATS, default="text")
    parser.add_argument("--output", help="write to this file instead of the terminal")
    parser.add_argument(
        "--step", type=_non_negative, default=0, help="train N full-batch steps first (default 0)"
    )
    parser.add_argument(
        "--example", type=_non_negative, default=None, help="follow row K of the batch"
    )
    parser.add_argument("--model", help="a saved network (.glassnet file) instead of the seed's")
    parser.add_argument(
        "--data", help=f"with --model: a data set ({', '.join(DATASETS)}) or a CSV file path"
    )
    parser.add_argument(
        "--batch",
        type=_positive,
        default=None,
        help="with --data: step on the first N examples (default: all of them, as one batch)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        model, x, y = _network(args)
        for _ in range(args.step):
            model.train_on_batch(x, y)
        trace = trace_step(model, x, y)
        if args.output is None and args.format == "text" and sys.stdout.isatty():
            explain_module.print_rich(explain_module.document(trace, args.level, args.example))
            return 0
        text = explain_module.narrate(
            trace, level=args.level, format=args.format, example=args.example
        )
    except (ValueError, TypeError, OSError, ImportError) as error:
        print(f"glassnet explain: error: {error}", file=sys.stderr)
        return 2
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"narration written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _network(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    if args.model is None:
        if args.data is not None:
            raise ValueError("--data goes with --model; without --model the seed's XOR is used.")
        if args.batch is not None:
            raise ValueError(
                "--batch goes with --model and --data; the seed's batch is its 4 rows."
            )
        return seed_module.seed_network(), seed_module.XOR_X, seed_module.XOR_Y
    if args.data is None:
        raise ValueError("--model needs --data: a data set name or a CSV file to step on.")
    from glassnet import load_model

    model = load_model(args.model)
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise ValueError(
            f"The model in {args.model} was saved without compile(); compile it (optimizer and "
            f"loss) and save it again, so a training step can be narrated."
        )
    x, y = _data(args.data)
    if args.batch is not None:
        x, y = x[: args.batch], y[: args.batch]
    return model, x, y


def _data(name: str) -> tuple[Any, Any]:
    from glassnet import datasets

    if name in DATASETS:
        return getattr(datasets, name)()
    path = Path(name)
    if not path.is_file():
        raise ValueError(
            f"--data expects a data set name ({', '.join(DATASETS)}) or a CSV file, got {name!r} "
            f"(no such file)."
        )
    return datasets.load_csv(path)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text}")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value
