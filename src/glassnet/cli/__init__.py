"""The ``glassnet`` command: one module per subcommand, each with ``add_parser`` and ``run``.

A subcommand module registers itself in ``COMMANDS``; its ``add_parser(commands)`` adds an
argparse sub-parser and sets ``run`` as its default, which returns the exit code. Bad arguments
exit with code 2 and a one-line message (argparse's convention), and so do a user's mistakes and
a missing optional extra (``run`` raises ValueError, TypeError, OSError or ImportError).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import glassnet
from glassnet.cli._args import cli_message

#: subcommand modules under glassnet.cli, in the order ``glassnet --help`` lists them
COMMANDS = ["seed", "train", "predict", "explain", "gradcheck", "parity", "playground", "demo"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassnet", description="A neural-network library you can see through."
    )
    parser.add_argument("--version", action="version", version=f"glassnet {glassnet.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"glassnet.cli.{name}").add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (ValueError, TypeError, OSError, ImportError) as error:
        # a user's mistake, or an optional extra not installed (its message names it): one line
        print(f"glassnet {args.command}: error: {cli_message(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
