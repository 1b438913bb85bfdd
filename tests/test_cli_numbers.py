"""Numbers on the command line: ``glassnet explain --width`` (the Python API's ``width=``), and
negative numbers read as values, not flags (``--position -1,-1``, ``--lr -1e-3``), so that each
gets its option's own one-line error."""

from __future__ import annotations

import re

import pytest

from glassnet import explain
from glassnet.cli import main
from glassnet.seed import XOR_X, XOR_Y, seed_network
from helpers import assert_one_line, run_cli


def seed_trace():
    return seed_network().trace_step(XOR_X, XOR_Y)


# -- glassnet explain --width ---------------------------------------------------------------------
# Before: "glassnet explain: error: unrecognized arguments: --width 60", though model.explain and
# narrate took width= (and the CLI's lines were always 100 characters at most).
@pytest.mark.parametrize(("level", "fmt"), [("kid", "text"), ("student", "md"), ("expert", "text")])
def test_explain_width_is_narrates_width(level, fmt, capsys) -> None:
    code, out, err = run_cli(
        ["explain", "--level", level, "--format", fmt, "--width", "72"], capsys
    )
    assert (code, err) == (0, "")
    assert out == explain.narrate(seed_trace(), level, fmt, width=72)
    assert out != explain.narrate(seed_trace(), level, fmt)  # the default is 100
    assert max(len(line) for line in out.splitlines()) <= 72


def test_explain_width_none_keeps_a_paragraph_on_one_line(capsys) -> None:
    code, out, _ = run_cli(["explain", "--level", "student", "--width", "none"], capsys)
    assert code == 0
    assert out == explain.narrate(seed_trace(), "student", width=None)
    assert max(len(line) for line in out.splitlines()) > 100
    code, upper, _ = run_cli(["explain", "--level", "student", "--width", "None"], capsys)
    assert (code, upper) == (0, out)


def test_explain_width_in_a_terminal_sets_riches_width(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["explain", "--level", "student", "--width", "60"]) == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert max(len(line) for line in plain.splitlines()) <= 60
    assert main(["explain", "--level", "student"]) == 0  # without it: the terminal's 200
    plain = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert 100 < max(len(line) for line in plain.splitlines()) <= 200


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "39", "10001", "9" * 30, "9" * 100_000, "abc", "", "nan", "inf", "1e3",
     "80.0", "<b>80</b>", "\u0668\u0660", "60,70"],
)  # fmt: skip
def test_explain_refuses_a_hostile_width_in_one_line(value, capsys) -> None:
    code, out, err = run_cli(["explain", "--width", value], capsys)
    assert code == 2 and out == ""
    assert_one_line(
        err,
        "explain",
        "argument --width: expected a whole number of characters from 40 to 10,000, or none for "
        "one line a paragraph, got ",
    )
    assert len(err) < 300


def test_explain_width_with_html_is_refused_before_any_work(tmp_path, capsys) -> None:
    page = tmp_path / "step.html"
    code, out, err = run_cli(
        ["explain", "--format", "html", "--width", "80", "--step", "3", "--output", str(page)],
        capsys,
    )
    assert code == 2 and out == "" and not page.exists()
    assert_one_line(err, "explain", "--width goes with --format text or md; an HTML page wraps")


def test_explain_help_shows_width(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--width N text and markdown: wrap lines at N characters, 40 to 10,000, or none" in out
    assert "(default: 100; in a terminal, its width)" in out


# -- negative numbers are values, not flags -------------------------------------------------------
# Before: argparse (Python < 3.13) took only "-1" and "-0.5" as values; "-1,-1", "-1e-3" and
# "-inf" were read as flags, so each of these said "argument --X: expected one argument".
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["explain", "--position", "-1,-1"],
            "--position expects Y,X, two whole numbers from 0 (row, column), e.g. --position 3,4; "
            "got '-1,-1'.",
        ),
        (["explain", "--position", "-1,2"], "--position expects Y,X, two whole numbers from 0"),
        (["explain", "--width", "-inf"], "argument --width: expected a whole number of characters"),
        (["explain", "--example", "-1e3"], "argument --example: expected a whole number >= 0"),
        (
            ["train", "--data", "xor", "--lr", "-1e-3"],
            "argument --lr: expected a finite number > 0",
        ),
        (["train", "--data", "xor", "--lr", "-inf"], "argument --lr: expected a finite number > 0"),
        (["train", "--data", "xor", "--lr", "-NaN"], "argument --lr: expected a finite number > 0"),
        (["train", "--data", "moons", "--noise", "-1e5"], "argument --noise: expected a finite"),
        (["train", "--data", "xor", "--l2", "-Infinity"], "argument --l2: expected a finite"),
        (["train", "--data", "xor", "--epochs", "-1e9"], "argument --epochs: expected a whole"),
        (["gradcheck", "--eps", "-1e-6"], "argument --eps: expected a finite number > 0"),
        (["parity", "--tolerance", "-1e-10"], "argument --tolerance: expected a finite number > 0"),
        (["seed", "--seed", "-1e3"], "argument --seed: expected a whole number >= 0"),
        (["train", "--data", "xor", "--layers", "-8,8"], "--layers expects positive unit counts"),
    ],
)
def test_a_negative_number_gets_its_options_own_message(argv, message, tmp_path, capsys) -> None:
    saved = tmp_path / "m.glassnet"
    extra = ["--save", str(saved)] if argv[0] == "train" else []
    code, out, err = run_cli([*argv, *extra], capsys)
    assert code == 2 and out == "" and not saved.exists()
    assert_one_line(err, argv[0], message)
    assert "expected one argument" not in err


def test_a_dash_word_is_still_a_flag(capsys) -> None:
    code, _, err = run_cli(["explain", "--position", "-x"], capsys)
    assert code == 2
    assert_one_line(err, "explain", "argument --position: expected one argument")
