"""``glassnet COMMAND | head -1``: every subcommand exits with status 141 when the reader of its
output goes away, as the README promises (a command killed by SIGPIPE reports 141 in the shell).

Each command runs in a real subprocess whose stdout is a pipe made small (4 KiB, the least Linux
allows) so that the output overflows it; the test reads one line, closes its end and waits.
Before the fix, predict and explain wrote their output in one call, and CPython's buffered writer
dropped the EPIPE after the partial write (status 0); seed, parity and train wrote everything at
exit, or rich's progress bar turned the broken pipe into SystemExit(1)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn

F_SETPIPE_SZ = 1031  # Linux's fcntl command to set a pipe's capacity


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pipes")
    model = gn.Sequential([gn.layers.Input((2,)), gn.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy")
    model.save(folder / "m.glassnet")
    rows = np.random.default_rng(0).random((5_000, 2))
    np.savetxt(folder / "rows.csv", rows, delimiter=",", header="a,b", comments="")
    return folder


def _status_when_the_reader_leaves(
    args: list[str], cwd: Path, read_first: bool = True
) -> tuple[int, str]:
    """The command's exit status and stderr when the reader reads one line and leaves, or (for
    a command whose whole output fits in the pipe, so that it could finish before the reader
    leaves) when the reader is gone before the command writes anything."""
    read, write = os.pipe()
    fcntl.fcntl(write, F_SETPIPE_SZ, 4096)
    env = {**os.environ, "PYTHONPATH": str(Path(gn.__file__).parents[1])}
    with (cwd / "stderr.txt").open("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "glassnet", *args], stdout=write, stderr=err, cwd=cwd, env=env
        )
        os.close(write)
        first = b"not read"
        if read_first:  # byte by byte: a buffered readline would drain the pipe, letting a
            first = b""  # command whose output is a little over 4 KiB finish before the close
            while not first.endswith(b"\n") and (byte := os.read(read, 1)):
                first += byte
        os.close(read)
        assert first, "the command printed nothing"
        code = process.wait(timeout=300)
        err.seek(0)
        return code, err.read()


COMMANDS = {
    "predict": ["predict", "--model", "m.glassnet", "--input", "rows.csv"],
    "explain": ["explain", "--level", "expert"],
    "seed keras": ["seed", "--cell", "keras"],
    "seed": ["seed"],
    "parity": ["parity", "--steps", "300", "--rows", "300"],
    "gradcheck": ["gradcheck"],
    "train": ["train", "--data", "xor", "--epochs", "300"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_exits_141_when_its_reader_goes_away(name: str, files: Path) -> None:
    # the seed cells print under 1 KiB: with a line read first they could finish before the close
    small = name in ("seed", "seed keras")
    code, err = _status_when_the_reader_leaves(COMMANDS[name], files, read_first=not small)
    assert code == 141, (code, err[-2000:])
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]
