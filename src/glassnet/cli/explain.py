"""``glassnet explain``: narrate a training step in words, with its real numbers.

With no arguments it tells step 0 of the seed notebook's network (initial output 0.758 ...) at the
kid's level. ``--step N`` trains N full-batch steps first; ``--example K`` follows example K,
counted from 0 as NumPy counts rows (example 0 is the first row; every narration says so);
``--level``, ``--format`` and ``--output`` choose how; ``--model FILE --data NAME|CSV`` narrate
a saved network (``model.save``) on a data set instead, ``--batch N`` on its first N examples;
for an image network ``--channel C --position Y,X`` pick the spot of the first Conv2D's output
that the narration follows (crops and worked sums around it). ``--width N`` wraps text and
Markdown lines at N characters (``narrate(..., width=N)``; ``--width none``: one line a
paragraph, for a program to read).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from glassnet import explain as explain_module
from glassnet import seed as seed_module
from glassnet._validation import shown
from glassnet.cli._args import (
    MAX_STEPS,
    check_output_file,
    cli_count,
    cli_non_negative_int,
    cli_path,
    cli_positive_int,
    emit,
    write_output,
)
from glassnet.cli._data import DATA_SETS, XOR_HELP, load_model_and_data
from glassnet.explain.images import check_model_focus
from glassnet.trace import trace_step


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``glassnet explain``."""
    parser = commands.add_parser(
        "explain",
        help="narrate a training step in words, with its real numbers",
        description=__doc__,
    )
    parser.add_argument(
        "--level",
        choices=explain_module.LEVELS,
        default="kid",
        help="how much to say: kid (plain words), student (equations), expert (tensors)",
    )
    parser.add_argument(
        "--format",
        choices=explain_module.FORMATS,
        default="text",
        help="text for the terminal, markdown, or an HTML fragment",
    )
    parser.add_argument(
        "--width",
        type=_width,
        default=None,
        metavar="N",
        help=f"text and markdown: wrap lines at N characters, {MIN_WIDTH} to {MAX_WIDTH:,}, or "
        f"none for one line a paragraph (default: {explain_module.WIDTH}; in a terminal, its "
        f"width)",
    )
    parser.add_argument(
        "--output",
        type=cli_path,
        help="write to this file instead of the terminal (default: the terminal)",
    )
    parser.add_argument(
        "--step",
        type=cli_count(0, MAX_STEPS),
        default=0,
        help=f"train N full-batch steps first, at most {MAX_STEPS:,} (default 0)",
    )
    parser.add_argument(
        "--example",
        type=cli_non_negative_int,
        default=None,
        metavar="K",
        help="follow example K, counted from 0: example 0 is the first row of the batch, as in "
        "NumPy (default: every example, and example 0 at the kid's level)",
    )
    parser.add_argument(
        "--channel",
        type=cli_non_negative_int,
        default=None,
        metavar="C",
        help="an image network: follow channel C of the first Conv2D's output (default: the "
        "channel that reacts most to the example)",
    )
    parser.add_argument(
        "--position",
        default=None,
        metavar="Y,X",
        help="an image network: follow row Y, column X of the first Conv2D's output, counted "
        "from 0 at the top-left (default: where the channel reacts most)",
    )
    parser.add_argument(
        "--model", help="a saved network (.glassnet file) (default: the seed notebook's)"
    )
    parser.add_argument(
        "--data",
        help=f"with --model: a data set ({', '.join(DATA_SETS)}) or a CSV file path; "
        f"{XOR_HELP} (default: none; --model needs it)",
    )
    parser.add_argument(
        "--batch",
        type=cli_positive_int,
        default=None,
        help="with --data: step on the first N examples (default: all of them, as one batch)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.output:  # before any work, and never over the files read
        check_output_file("--output", args.output, ("--model", args.model), ("--data", args.data))
    position = _position(args.position)
    if args.width is not None and args.format == "html":
        raise ValueError(
            "--width goes with --format text or md; an HTML page wraps its lines to the "
            "browser's window. Leave --width out."
        )
    model, x, y = _network(args)  # errors become one line from glassnet.cli.main
    check_model_focus(model, args.channel, position)  # before the --step training steps
    for _ in range(args.step):
        model.train_on_batch(x, y)
    trace = trace_step(model, x, y)
    focus = {"channel": args.channel, "position": position}
    if args.output is None and args.format == "text" and sys.stdout.isatty():
        document = explain_module.document(trace, args.level, args.example, **focus)
        explain_module.print_rich(document, width=args.width)
        return 0
    width = {None: explain_module.WIDTH, "none": None}.get(args.width, args.width)  # none: 1 line
    text = explain_module.narrate(
        trace, level=args.level, format=args.format, example=args.example, width=width, **focus
    )
    if args.output:
        write_output("--output", args.output, text, "narration.txt")
        print(f"narration written to {args.output}")
    else:
        emit(text)
    return 0


#: ``--width``'s range: ``narrate``'s (``glassnet.explain.check_options``)
MIN_WIDTH, MAX_WIDTH = 40, 10_000


def _width(text: str) -> int | str:
    """An argparse type: ``--width N``, a whole number from 40 to 10,000, or ``none``."""
    word = text.strip().lower()
    if word == "none":
        return "none"
    digits = word.isascii() and word.isdigit() and len(word) < 19
    if not (digits and MIN_WIDTH <= int(word) <= MAX_WIDTH):
        raise argparse.ArgumentTypeError(
            f"expected a whole number of characters from {MIN_WIDTH} to {MAX_WIDTH:,}, or none "
            f"for one line a paragraph, got {shown(text, 40)}"
        )
    return int(word)


def _position(text: str | None) -> tuple[int, int] | None:
    """``--position Y,X`` as (y, x), or a clear error."""
    if text is None:
        return None
    parts = text.split(",")
    digits = [part.strip() for part in parts]
    if len(parts) != 2 or not all(d.isascii() and d.isdigit() and len(d) < 19 for d in digits):
        raise ValueError(
            f"--position expects Y,X, two whole numbers from 0 (row, column), e.g. "
            f"--position 3,4; got {text[:40]!r}."
        )
    return int(digits[0]), int(digits[1])


def _network(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    if args.model is None:
        if args.data is not None:
            raise ValueError("--data goes with --model; without --model the seed's XOR is used.")
        if args.batch is not None:
            raise ValueError(
                "--batch goes with --model and --data; the seed's batch is its 4 rows."
            )
        return seed_module.seed_network(), seed_module.XOR_X, seed_module.XOR_Y
    model, x, y = load_model_and_data(
        args.model,
        args.data,
        args.batch,
        missing_data="--model needs --data: a data set name or a CSV file to step on.",
        one_hot=False,
    )
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise ValueError(
            f"The model in {args.model} was saved without compile(); compile it (optimizer and "
            f"loss) and save it again, so a training step can be narrated."
        )
    return model, x, y
