"""Counts of work have an upper bound, said in --help: ``parity --steps 100000000000`` and its
cousins were accepted and ran for hours."""

from __future__ import annotations

import pytest

from glassnet.cli import build_parser, main
from glassnet.cli._args import MAX_EPOCHS, MAX_STEPS

CASES = [
    (["parity", "--steps"], MAX_STEPS, "100000000000"),
    (["explain", "--step"], MAX_STEPS, "100000000000"),
    (["seed", "--iterations"], MAX_STEPS, "10000000000000"),
    (["train", "--data", "xor", "--epochs"], MAX_EPOCHS, "10000000"),
]


@pytest.mark.parametrize(("args", "limit", "value"), CASES)
def test_a_huge_count_is_refused_at_once_with_the_limit(
    args: list[str], limit: int, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*args, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {args[-1]}: expected a whole number from" in err
    assert f"to {limit:,}, got '{value}'" in err and err.count("\n") == 1


@pytest.mark.parametrize(("args", "limit", "value"), CASES)
def test_the_limit_is_in_the_help(args: list[str], limit: int, value: str) -> None:
    sub = build_parser()._subparsers._group_actions[0].choices[args[0]]  # type: ignore[union-attr]
    help_text = " ".join(sub.format_help().split())
    assert f"at most {limit:,}" in help_text


def test_the_limit_itself_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    parsed = build_parser().parse_args(["seed", "--iterations", str(MAX_STEPS)])
    assert parsed.iterations == MAX_STEPS
