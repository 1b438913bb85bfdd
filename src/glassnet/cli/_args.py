"""What the ``glassnet`` commands share about their arguments and errors: argparse types for
numbers, the checks of output paths made before any work, the help layout, and the one line an
error a user can fix is reported with."""

from __future__ import annotations

import argparse
import math
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any, NoReturn

from glassnet._validation import shown, shown_path

#: the longest error line the command prints; a longer one (a message that echoed a hostile
#: value whole, from code that did not cut it with ``shown``) is cut, with its length said
LONGEST_MESSAGE = 1000


def cli_message(error: BaseException) -> str:
    """One line for the ``glassnet`` command to print for an error a user can fix."""
    line = one_line(_message(error)) or type(error).__name__
    if len(line) > LONGEST_MESSAGE:
        line = f"{line[:LONGEST_MESSAGE]}... (the message had {len(line)} characters)"
    return line


def _message(error: BaseException) -> str:
    if isinstance(error, IsADirectoryError):
        return (
            f"{shown_path(error.filename)} is a directory; expected a file. Give a file path, "
            f"e.g. {shown_path(os.path.join(error.filename, 'out.txt'))}."
        )
    if isinstance(error, FileNotFoundError) and error.filename:
        return (
            f"No such file or folder: {shown_path(error.filename)}. Check the path; a folder "
            f"to write into must exist first."
        )
    if isinstance(error, PermissionError) and error.filename:
        return (
            f"Permission denied: {shown_path(error.filename)}. Choose a path you may read or write."
        )
    if isinstance(error, FileExistsError | NotADirectoryError) and error.filename:
        return (
            f"{shown_path(error.filename)}: a file is in the way of a folder to write into. "
            f"Choose another path, or move the file."
        )
    if isinstance(error, OSError) and error.filename:  # e.g. "File name too long"
        return f"{error.strerror or type(error).__name__}: {shown_path(error.filename)}."
    if isinstance(error, MemoryError):
        detail = str(error)
        return (
            f"out of memory{': ' + detail if detail else ''}. Use fewer examples, fewer units or "
            f"fewer layers."
        )
    return str(error)


def one_line(text: str) -> str:
    """``text`` on one line of plain characters: runs of white space (newlines too) become one
    space, and other control characters (a terminal's escape sequences, say from a file name)
    are shown escaped, as ``repr`` writes them, instead of being sent to the terminal."""
    flat = " ".join(text.split())
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in flat)


def emit(text: str) -> None:
    """Print ``text`` (a whole table or CSV, say) on stdout so that a reader who went away is
    noticed: BrokenPipeError, which ``glassnet`` turns into exit status 141.

    One big ``sys.stdout.write`` is not enough: when the reader closes the pipe during it, the
    system call returns the part it wrote and CPython's buffered writer drops the EPIPE of the
    rest, so ``glassnet predict ... | head -1`` exited 0. ``os.write`` in a loop raises it. A
    stdout with no file descriptor (a test's capture, a notebook) is written the ordinary way.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        sys.stdout.write(text)
        return
    sys.stdout.flush()  # what print() buffered goes first
    data = memoryview(text.encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict"))
    while data:
        data = data[os.write(fd, data) :]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written (the command modules' docstrings); every option's help ends with
    its default, "(default: X)", "(default: off)" for a switch, or "(required)", unless the help
    already says what the default is."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "default" in text or not action.option_strings or default is argparse.SUPPRESS:
            return text
        if action.required:
            return f"{text} (required)"
        if action.nargs == 0 and default is False:  # a switch: store_true
            return f"{text} (default: off)"
        if default is None:
            return text  # its help says in words what happens without it
        if f"({default})" in text:  # "port to listen on (8000)"
            return text.replace(f"({default})", "(default: %(default)s)")
        return f"{text} (default: %(default)s)"


#: what argparse reads as a (negative) number rather than a flag: "-" and a digit, as Python
#: 3.13's argparse does (-1,-1, -1e-3, -.5), and the words of NumPy's and Python's infinities
NEGATIVE_NUMBER = re.compile(r"-\.?\d|-(inf|infinity|nan)$", re.IGNORECASE)


class CommandParser(argparse.ArgumentParser):
    """The parser of ``glassnet`` and of each subcommand: the help layout above, and a mistake in
    the arguments is one line on stderr, ``glassnet <command>: error: ...``, exit status 2
    (argparse's status), with where to read more instead of the whole usage text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        # A value that starts with "-" and a digit is a value, not a flag: argparse before
        # Python 3.13 took only "-1" and "-0.5" so, and read --position -1,-1, --lr -1e-3 and
        # --lr -inf as a missing value ("expected one argument"); now each reaches its option's
        # check and gets that check's message. (glassnet has no flag that looks like a number.)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message: str) -> NoReturn:
        text = one_line(message)
        self.exit(2, f"{self.prog}: error: {text}. See {self.prog} --help.\n")


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {shown(text)}")
    return value


#: the most training steps, iterations or epochs a command takes (seed --iterations, parity
#: --steps, explain --step): 10**11 was accepted and ran for hours; this many take minutes
MAX_STEPS = 100_000
#: the most epochs ``glassnet train --epochs`` takes
MAX_EPOCHS = 1_000_000


def cli_count(minimum: int, maximum: int) -> Any:
    """An argparse type: a whole number from ``minimum`` to ``maximum`` (a count of work)."""

    def count(text: str) -> int:
        value = _whole_number(text, minimum)
        if value > maximum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {minimum} to {maximum:,}, got {shown(text, 20)}; "
                f"more would run for hours"
            )
        return value

    count.__name__ = "whole number"  # argparse names the type in its own messages
    return count


def cli_non_negative_int(text: str) -> int:
    """An argparse type: a whole number >= 0 (a ``--seed``, ``--step`` or ``--example``)."""
    return _whole_number(text, 0)


#: the largest --seed: int64's, so that a seed fits every file and generator that keeps it
MAX_SEED = 2**63 - 1


def cli_seed(text: str) -> int:
    """An argparse type: a seed, a whole number from 0 to ``MAX_SEED``."""
    value = _whole_number(text, 0)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"expected a seed from 0 to 2**63 - 1 ({MAX_SEED}), got {shown(text)}"
        )
    return value


def cli_positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    return _whole_number(text, 1)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def cli_path(text: str) -> str:
    """An argparse type: a path to write, not empty nor blank. Before it, ``--save ""`` (an
    unset shell variable) trained and saved nothing, with exit status 0."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"expected a path, got {shown(text)}; leave the flag out for its default"
        )
    return text


def cli_positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    value = _float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {shown(text)}")
    return value


def cli_non_negative_float(text: str) -> float:
    """An argparse type: a finite number >= 0 (a penalty, a noise level)."""
    value = _float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {shown(text)}")
    return value


def cli_fraction(text: str) -> float:
    """An argparse type: a fraction in [0, 1) (a validation split)."""
    value = _float(text)
    if not (math.isfinite(value) and 0 <= value < 1):
        raise argparse.ArgumentTypeError(
            f"expected a fraction from 0 up to (not including) 1, e.g. 0.2, got {shown(text)}"
        )
    return value


# -- paths, checked before any work -------------------------------------------------------------
def same_file(first: str | os.PathLike[str], second: str | os.PathLike[str]) -> bool:
    """True when both paths name one file (``os.path.samefile``: through links and different
    spellings); False when either does not exist."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def check_output_file(
    flag: str,
    path: str,
    *inputs: tuple[str, str | None],
    example: str = "out.txt",
    model_file: bool = False,
) -> None:
    """Refuse, before any work, an output ``path`` given with ``flag`` that could not be written
    or would destroy an input: a folder, a path whose folder is missing, a file that is not a
    regular file (a FIFO or a device; ``/dev/stdout`` is allowed), or the same file as one of the
    ``inputs`` ((flag, path) pairs, e.g. ``("--model", args.model)``). ``example`` is a file name
    the messages suggest. A ``model_file`` (``train --save``) may replace an existing model file:
    ``_files.check_save_target`` checks it as ``model.save`` does, not the writer of other
    outputs, which refuses every ``.glassnet`` name."""
    target = Path(path)
    shown_flag = f"{flag} {shown_path(path)}"  # a hostile path is cut and escaped
    if target.is_dir():
        raise ValueError(
            f"{shown_flag} is a folder; expected a file path, e.g. {shown_path(target / example)}."
        )
    folder = target.absolute().parent
    if not folder.is_dir():
        raise ValueError(
            f"{shown_flag}: the folder {shown_path(folder)} does not exist. Create it first, "
            f"or choose another path."
        )
    for input_flag, input_path in inputs:
        if input_path is not None and same_file(path, input_path):
            raise ValueError(
                f"{shown_flag} is the same file as {input_flag} {shown_path(input_path)}; "
                f"writing it would destroy the input. Choose another {flag} path."
            )
    if target.exists() and not _regular_or_terminal(target):
        raise ValueError(
            f"{shown_flag} is not a regular file (a FIFO, socket or device); expected a file "
            f"path to write, e.g. {example}."
        )
    if target.exists() and not _own_stream(path) and not model_file:
        from glassnet._outputs import check_output_target

        check_output_target(path, f"the {flag} file", example)  # a read-only file, say


def write_output(flag: str, path: str, text: str, example: str = "out.txt") -> None:
    """Write ``text`` to the file ``path`` given with ``flag``: onto the command's own stdout or
    stderr when ``path`` is one of them (``/dev/stdout``, or the file the shell redirected it
    to), else atomically with glassnet's one writer, which refuses (``OutputFileError``) a path
    that is not a writable regular file and leaves it alone."""
    from glassnet._outputs import write_text_atomically

    stream = _own_stream(path)
    if stream is not None:
        stream.write(text)
        stream.flush()
        return
    write_text_atomically(path, text, f"the {flag} file", example)


def _own_stream(path: str) -> Any:
    """sys.stdout or sys.stderr when ``path`` names the same file; else None."""
    for stream in (sys.stdout, sys.stderr):
        if _has_fileno(stream) and same_file(path, f"/dev/fd/{stream.fileno()}"):
            return stream
    return None


def _regular_or_terminal(path: Path) -> bool:
    mode = path.stat().st_mode
    if stat.S_ISREG(mode):
        return True
    # the terminal and the command's own output streams are fine places for text
    return any(
        same_file(path, f"/dev/fd/{stream.fileno()}")
        for stream in (sys.stdout, sys.stderr)
        if _has_fileno(stream)
    )


def _has_fileno(stream: Any) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def check_output_folder(flag: str, path: str, files: tuple[str, ...] = ()) -> None:
    """Refuse, before any work, a folder ``path`` to write into (made if missing) when a file
    stands at it or in its way, or it cannot be written, or one of the ``files`` to be written
    in it is there and is not a writable regular file (a FIFO, a device, a read-only file)."""
    from glassnet._files import kind_of
    from glassnet._outputs import check_output_target

    target = Path(path).absolute()
    if target.is_dir():
        for name in files:
            if (target / name).exists() or (target / name).is_symlink():
                check_output_target(Path(path) / name, f"the {flag} file {name}", name)
    for place in (target, *target.parents):
        if place.exists():
            if not place.is_dir():
                kind = kind_of(place.stat().st_mode) or "a file"
                what = f"is {kind}" if place == target else f"needs {place} to be a folder"
                raise ValueError(
                    f"{flag} {path} {what}; expected a folder to write into (it is made if "
                    f"missing). Choose another path."
                )
            if not os.access(place, os.W_OK | os.X_OK):
                raise ValueError(f"{flag} {path}: {place} is not writable. Choose another path.")
            return
