"""``--data xor`` has 3 features (x1, x2 and the seed's constant 1): --help and train's first line
say so, and a validation split holding out fewer than 10 examples gets a note."""

from __future__ import annotations

import pytest

from glassnet.cli import build_parser, main

XOR_SAID = "xor has 3 features: x1, x2 and the seed's constant 1"


def _help(command: str) -> str:
    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    return " ".join(sub.format_help().split())


@pytest.mark.parametrize("command", ["train", "explain", "gradcheck", "parity"])
def test_the_data_help_says_xor_has_the_constant_column(command: str) -> None:
    assert XOR_SAID in _help(command)


def test_predict_help_says_a_xor_model_takes_3_columns() -> None:
    assert "a model trained on --data xor takes 3: x1, x2 and the seed's constant 1" in _help(
        "predict"
    )


def test_train_first_line_names_the_three_features(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data", "xor", "--epochs", "1"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (
        "glassnet train: xor: 4 examples, 3 features (x1, x2 and the seed's constant 1)"
    )


def test_a_split_holding_out_one_xor_point_gets_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data", "xor", "--epochs", "1", "--validation-split", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "note: --validation-split 0.1 holds out 1 of the 4 examples; a val_accuracy on " in out
    assert "fewer than 10 examples says little" in out


def test_a_large_enough_split_gets_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["train", "--data", "moons", "--epochs", "1", "--validation-split", "0.2"]
    assert main(args) == 0
    assert "note:" not in capsys.readouterr().out
