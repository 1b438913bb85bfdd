"""``python -m benchmarks.accelerators`` runs end to end on tiny shapes, so it cannot rot, and says
what to install when numexpr or SciPy is missing. No timing is asserted: benchmarks are not
tests (the README's Speed section gives the measured numbers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from benchmarks import accelerators

ROOT = Path(__file__).resolve().parent.parent
HEADER = "| piece | shape | threads | NumPy µs | numexpr µs | SciPy axpy µs | same bits |"


def rows(output: str) -> list[list[str]]:
    lines = [line for line in output.splitlines() if line.startswith("| ") and "---" not in line]
    assert lines[0] == HEADER
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def test_the_table_has_every_piece_at_every_thread_count(capsys: pytest.CaptureFixture) -> None:
    assert accelerators.main(["--tiny", "--repeats", "1", "--calls", "1"]) == 0
    found = rows(capsys.readouterr().out)
    pieces = ["relu backward", "relu backward", "softmax", "SGD update", "Adam update"]
    assert [row[0] for row in found] == pieces * 2
    assert [row[2] for row in found] == ["1"] * 5 + ["2"] * 5
    for row in found:
        assert float(row[3]) > 0  # NumPy's microseconds
        assert float(row[4].split()[0]) > 0  # numexpr's (installed with the dev extras)
    sgd = found[3]
    assert float(sgd[5].split()[0]) > 0  # SciPy's axpy, for the update only
    assert sgd[6] in ("yes / yes", "yes / no", "no / yes", "no / no")
    assert found[0][5] == "-" and found[0][6].endswith("/ -")


def test_a_missing_library_leaves_its_column_empty_and_says_what_to_install(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "numexpr", None)  # import numexpr raises ImportError
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)
    assert accelerators.numexpr_module() is None and accelerators.scipy_blas() is None
    assert accelerators.main(["--tiny", "--repeats", "1", "--calls", "1", "--threads", "1"]) == 0
    output = capsys.readouterr().out
    assert "numexpr is not installed: pip install numexpr (its column is left empty)" in output
    assert "SciPy is not installed: pip install scipy (its axpy column is left empty)" in output
    for row in rows(output):
        assert row[4] == row[5] == "-" and row[6] == "- / -"


def test_each_accelerated_form_computes_the_same_numbers_to_rounding() -> None:
    """The forms time the same work: numexpr's and axpy's results are NumPy's within float32's
    rounding (the table says whether they are the same bits)."""
    ne, blas = accelerators.numexpr_module(), accelerators.scipy_blas()
    for piece in accelerators.pieces(accelerators.TINY, ne, blas):
        piece.reset()
        piece.numpy()
        expected = piece.result().copy()
        for run in (piece.numexpr, piece.axpy):
            if run is None:
                continue
            piece.reset()
            run()
            np.testing.assert_allclose(piece.result(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--repeats", "0"], "--repeats must be at least 1, got 0"),
        (["--calls", "-1"], "--calls must be at least 1, got -1"),
        (["--threads", "0"], "--threads must be >= 1, got [0]"),
    ],
)
def test_accelerators_refuse_counts_below_one_in_words(argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as caught:
        accelerators.main(argv)
    assert str(caught.value) == f"python -m benchmarks.accelerators: {message}"


def test_it_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.accelerators", "--tiny", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert HEADER in done.stdout and "Adam update" in done.stdout
