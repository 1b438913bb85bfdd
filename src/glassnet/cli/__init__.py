"""The ``glassnet`` command: one module per subcommand, each with ``add_parser`` and ``run``.

A subcommand module registers itself in ``COMMANDS``; its ``add_parser(commands)`` adds an
argparse sub-parser (its docstring is the description, every option has a help line that ends
with its default) and sets ``run`` as its default, which returns the exit code.

Every failure is one line on stderr, ``glassnet <command>: error: ...``, and exit status 2:
bad arguments (argparse's status), a user's mistake found by the checks that run before any
work, a missing optional extra, a training run that diverged, a number that overflowed, a
request for more memory than there is. An exception nobody expected is one line too, naming
itself as a bug (set ``GLASSNET_TRACEBACK=1`` to see the traceback). When the reader of the
output goes away (``glassnet gradcheck | head``), the command stops quietly with status 141, as a
command killed by SIGPIPE reports in the shell; Ctrl+C stops it with status 130.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

import glassnet
from glassnet.cli._args import CommandParser, cli_message

#: subcommand modules under glassnet.cli, in the order ``glassnet --help`` lists them
COMMANDS = ["seed", "train", "predict", "explain", "gradcheck", "parity", "playground", "demo"]

#: what a user can cause from the command line; each becomes one line and exit status 2
USER_ERRORS = (ValueError, TypeError, OSError, ImportError, ArithmeticError, MemoryError)

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
EXIT_STATUSES = """\
exit status: 0 done; 1 a check found a difference (gradcheck, parity); 2 an error,
said in one line on stderr; 130 interrupted (Ctrl+C); 141 the output's reader went
away (| head). Examples are numbered from 0, as NumPy numbers rows.
'glassnet COMMAND --help' says more."""


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="glassnet",
        description="A neural-network library you can see through.",
        epilog=EXIT_STATUSES,
    )
    parser.add_argument("--version", action="version", version=f"glassnet {glassnet.__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=CommandParser
    )
    for name in COMMANDS:
        module = importlib.import_module(f"glassnet.cli.{name}")
        module.add_parser(commands)
        sub = commands.choices[name]
        # the module's docstring says what the command does; its ``code`` marks are for Sphinx
        sub.description = (sub.description or module.__doc__ or "").replace("``", "")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    prefix = f"glassnet {args.command}:"
    _line_buffered()
    stdout = _stdout_identity()
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a reader gone away shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except SystemExit:
        # rich's progress bar meets a closed pipe by pointing stdout at devnull and raising
        # SystemExit(1): the reader went away, so say it with the same status as above
        if stdout is not None and _stdout_identity() != stdout:
            return EXIT_BROKEN_PIPE
        raise
    except KeyboardInterrupt:
        print(f"{prefix} interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except USER_ERRORS as error:
        # a user's mistake, or an optional extra not installed (its message names it): one line
        print(f"{prefix} error: {cli_message(error)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # a bug: still one line, and the way to see more
        if os.environ.get("GLASSNET_TRACEBACK"):
            raise
        print(
            f"{prefix} error: unexpected {type(error).__name__}: {cli_message(error)} This is a "
            f"bug in glassnet; please report it with the command line (GLASSNET_TRACEBACK=1 "
            f"shows the traceback).",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _stdout_identity() -> tuple[int, int] | None:
    """(device, inode) of the file behind stdout, or None when it has no file descriptor."""
    try:
        info = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _line_buffered() -> None:
    """Send stdout on at each line, as on a terminal, also into a pipe: ``glassnet seed | head -1``
    then gets its line at once, and the command learns that the reader went away at its next
    line (status 141) instead of writing everything at exit into a pipe nobody reads."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # a stream that cannot change (closed, detached) stays as is
        with contextlib.suppress(OSError, ValueError):
            reconfigure(line_buffering=True)


def _reader_gone() -> int:
    """Stop quietly when stdout's reader has gone (``| head``), as the Python documentation's
    note on SIGPIPE recommends: point stdout at devnull, so the flush at exit raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (a test's capture)
        pass
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
