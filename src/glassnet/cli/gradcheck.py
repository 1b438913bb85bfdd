"""``glassnet gradcheck``: every hand-written gradient against central differences, as tables.

With no arguments it checks every built-in layer kind x activation x loss on small random networks
(read from the tables, so new pieces are included); ``--model m.glassnet --data moons`` checks a
saved model on a data set. Exits 1 when any gradient is off.
"""

from __future__ import annotations

import argparse

from glassnet import gradcheck
from glassnet.cli._args import cli_positive_float, cli_positive_int, emit
from glassnet.cli._data import XOR_HELP, load_model_and_data

SAMPLES = 8  # examples of --data a saved model is checked on, unless --samples says


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``glassnet gradcheck``."""
    parser = commands.add_parser(
        "gradcheck",
        help="check every analytic gradient against central differences",
        description=__doc__,
    )
    parser.add_argument(
        "--model",
        help="a saved model (glassnet.load_model) to check (default: every built-in piece)",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="with --model: a data set of glassnet.datasets (xor, moons, ...) or a CSV file; "
        f"{XOR_HELP} (default: none; --model needs it)",
    )
    parser.add_argument(
        "--samples",
        type=cli_positive_int,
        default=None,
        help=f"with --model: the first N examples of --data are used (default: {SAMPLES})",
    )
    parser.add_argument(
        "--eps", type=cli_positive_float, default=1e-6, help="finite-difference step"
    )
    parser.add_argument(
        "--tolerance",
        type=cli_positive_float,
        default=1e-7,
        help="largest relative error |a - n| / (|a| + |n|) that passes, on top of the rounding "
        "floor 8 u max(|C|, 1) / eps per entry that central differences carry "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print every network's table, not only failures"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.model is not None:
        return _check_saved(args)
    for flag, value in (("--data", args.data), ("--samples", args.samples)):
        if value is not None:
            raise ValueError(
                f"{flag} goes with --model (a saved model to check); add --model FILE."
            )
    return _check_builtins(args)


def _check_builtins(args: argparse.Namespace) -> int:
    cases, uncovered = gradcheck.builtin_cases()
    print(
        f"Central differences (eps = {args.eps:g}) against every analytic gradient, in float64: "
        f"{len(cases)} small random networks, input 3 -> hidden 4 -> output, 5 examples, "
        f"parameters and the input x checked."
    )
    print(f"{'layer kind + activation -> loss':<70}{'max rel error':>14}  result")
    failures = 0
    for case in cases:
        report = gradcheck.check_gradients(
            case.model, case.x, case.y, eps=args.eps, tolerance=args.tolerance, check_input=True
        )
        verdict = "pass" if report.passed else "FAIL"
        print(f"{case.name:<70}{report.max_relative_error:>14.3e}  {verdict}")
        if args.verbose or not report.passed:
            emit(_indent(report.table()) + "\n")
        failures += not report.passed
    for line in uncovered:
        print(f"not checked (could not build): {line}")
    kinds = sorted({case.layer_kind for case in cases})
    print(
        f"{len(cases) - failures} of {len(cases)} networks pass at relative error <= "
        f"{args.tolerance:g} above the rounding floor (layer kinds: {', '.join(kinds)})."
    )
    return 1 if failures else 0


def _check_saved(args: argparse.Namespace) -> int:
    model, x, y = load_model_and_data(args.model, args.data, args.samples or SAMPLES)
    print(
        f"Gradient check of {args.model} on {len(x)} examples of {args.data}, float64, "
        f"eps = {args.eps:g}"
    )
    report = gradcheck.check_gradients(
        model, x, y, eps=args.eps, tolerance=args.tolerance, check_input=True
    )
    emit(report.table() + "\n")
    print("PASS" if report.passed else f"FAIL: {len(report.failures)} gradient(s) off")
    return 0 if report.passed else 1


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
