"""Words and numbering of the command line (issue 15, "Numbering and words"): every subcommand
and option is described with its default, examples are numbered from 0 everywhere, "1 epoch",
and no validation split on a set as small as xor."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from glassnet import explain
from glassnet import seed as seed_module
from glassnet.cli import COMMANDS, build_parser, main
from glassnet.trace import trace_step


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_subcommand_has_a_description_and_a_one_line_help() -> None:
    parsers = subparsers()
    assert list(parsers) == COMMANDS
    listed = " ".join(build_parser().format_help().split())
    for name, parser in parsers.items():
        assert parser.description and f"glassnet {name}" in parser.description, name
        assert f" {name} " in listed, name  # listed in glassnet --help, with what it does


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help_that_says_its_default(name) -> None:
    parser = subparsers()[name]
    formatter = parser._get_formatter()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, (name, action.option_strings)
        text = formatter._expand_help(action)
        assert "default" in text or "(required)" in text, (name, action.option_strings, text)
        if action.default not in (None, False) and "default:" in text:
            assert str(action.default) in text, (name, action.option_strings, text)


def test_help_shows_defaults_of_zero_and_switches(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "seed for data, weights, shuffling (default: 0)" in out
    assert "L2 weight penalty (default: 0.0)" in out
    assert "(required)" in out
    with pytest.raises(SystemExit):
        main(["playground", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "port to listen on (default: 8000)" in out
    assert "open the page in a web browser (default: off)" in out


def test_explain_help_states_the_numbering(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "follow example K, counted from 0: example 0 is the first row of the batch" in out


# -- one numbering: example K is row K of x, in every narration -----------------------------
@pytest.mark.parametrize("level", ["kid", "student", "expert"])
@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_example_k_is_called_k_at_every_level_and_format(level, fmt) -> None:
    trace = trace_step(seed_module.seed_network(), seed_module.XOR_X, seed_module.XOR_Y)
    text = explain.narrate(trace, level=level, format=fmt, example=2, width=None)
    words = text.replace("&#x27;", "'")
    if level == "kid":
        assert "Let us follow example 2 (examples are numbered from 0" in words
        assert "For example 2 it gives" in words
        assert "Example 3" in words and "Example 4" not in words  # rows 0..3 of 4
        assert "[1, 0, 1]" in words  # row 2 of x
    elif level == "student":
        assert "Following example 2 (numbered from 0: row 2 of the batch)" in words
    else:
        assert "Per-example rows show example 2 (numbered from 0) only" in words
    assert "example 3's share" not in words
    if level != "kid":
        assert "example 2's share" in words


def test_the_kid_follows_example_0_by_default() -> None:
    trace = trace_step(seed_module.seed_network(), seed_module.XOR_X, seed_module.XOR_Y)
    text = explain.narrate(trace, level="kid")
    assert "Let us follow example 0 (examples are numbered from 0" in text
    assert "- Example 0: the network guessed 0.758" in text  # the seed's first output, row 0
    assert "Example 0's share of its blame" in text


def test_cli_explain_example_k_narrates_row_k(capsys) -> None:
    assert main(["explain", "--example", "3"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # sentences wrap at 100 characters
    assert "Let us follow example 3 (examples are numbered from 0" in out
    assert "It goes in as [1, 1, 1]" in out  # XOR_X[3]
    assert np.array_equal(seed_module.XOR_X[3], [1, 1, 1])


# -- words of glassnet train ---------------------------------------------------------------
def test_one_epoch_is_singular(capsys) -> None:
    assert main(["train", "--data", "moons", "--epochs", "1", "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Trained 1 epoch: loss ")
    assert main(["train", "--data", "moons", "--epochs", "2", "--verbose", "0"]) == 0
    assert capsys.readouterr().out.startswith("Trained 2 epochs: loss ")


def test_xor_trains_on_all_four_points_with_a_note(capsys) -> None:
    assert main(["train", "--data", "xor", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert (
        "glassnet train: note: 4 examples, fewer than 50: training on all of them, no "
        "validation split (give --validation-split to hold some out)"
    ) in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("Trained 2 epochs: loss ") and "val_" not in last


def test_a_set_of_50_or_more_keeps_the_default_split(capsys) -> None:
    argv = ["train", "--data", "moons", "--samples", "50", "--epochs", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "note:" not in out and "val_accuracy" in out.strip().splitlines()[-1]
    assert main([*argv[:-2], "--epochs", "1", "--samples", "49"]) == 0
    out = capsys.readouterr().out
    assert "49 examples, fewer than 50" in out and "val_" not in out.strip().splitlines()[-1]


def test_an_explicit_split_on_xor_is_kept(capsys) -> None:
    argv = ["train", "--data", "xor", "--epochs", "1", "--validation-split", "0.25"]
    assert main([*argv, "--verbose", "0"]) == 0
    assert "val_accuracy" in capsys.readouterr().out


def test_glassnet_help_lists_the_exit_statuses_and_the_numbering(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "exit status: 0 done; 1 a check found a difference (gradcheck, parity); 2 an error" in out
    )
    assert "141 the output's reader went away" in out
    assert "Examples are numbered from 0, as NumPy numbers rows." in out


def test_descriptions_show_no_markup(capsys) -> None:
    for name in COMMANDS:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        out = capsys.readouterr().out
        assert "``" not in out, name
        assert f"glassnet {name}" in out, name
