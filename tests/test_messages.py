"""Hostile strings in messages: every user value a message echoes is cut to about 80 characters,
with its length said, and its control and bidi characters escaped (``glassnet._validation.shown``),
at the Python API and on the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import glassnet as gn
from glassnet._validation import shown
from glassnet.cli import main
from glassnet.datasets import load_csv

HOSTILE = {
    "huge": "x" * 100_000,
    "markup": "<script>alert(1)</script>" * 4_000,
    "bidi": "\u202e" + "y" * 100_000 + "\u202e",
    "escape": "\x1b[31m" * 20_000,
}


def _model() -> gn.Sequential:
    return gn.Sequential([gn.layers.Input((2,)), gn.layers.Dense(1)])


def _duplicate_layer(name: str) -> None:
    gn.Sequential(
        [gn.layers.Input((2,)), gn.layers.Dense(1, name=name), gn.layers.Dense(1, name=name)]
    )


def _shared_optimizer(name: str) -> None:
    first = gn.Sequential([gn.layers.Input((2,)), gn.layers.Dense(1)], name=name)
    optimizer = gn.optimizers.SGD()
    first.compile(optimizer=optimizer, loss="mse")
    _model().compile(optimizer=optimizer, loss="mse")


CALLS: dict[str, Callable[[str], Any]] = {
    "activation=": lambda v: gn.layers.Dense(2, activation=v),
    "Activation(name)": lambda v: gn.layers.Activation(v),
    "kernel_initializer=": lambda v: gn.layers.Dense(2, kernel_initializer=v),
    "loss=": lambda v: _model().compile(loss=v),
    "optimizer=": lambda v: _model().compile(optimizer=v, loss="mse"),
    "metrics=[...]": lambda v: _model().compile(loss="mse", metrics=[v]),
    "metrics= a string": lambda v: _model().compile(loss="mse", metrics=v),
    "layer name=": _duplicate_layer,
    "Sequential name=": _shared_optimizer,
    "load_csv(path)": lambda v: load_csv(v),
    "load_csv(target=)": lambda v: load_csv(_CSV, target=v),
    "circles(factor=)": lambda v: gn.datasets.circles(factor=v),
    "moons(noise=)": lambda v: gn.datasets.moons(noise=v),
    "train_test_split(test_size=)": lambda v: gn.datasets.train_test_split(
        [[1.0]] * 4, [1] * 4, test_size=v
    ),
}


@pytest.fixture(autouse=True)
def _csv(tmp_path: Path) -> None:
    global _CSV
    _CSV = tmp_path / "d.csv"
    _CSV.write_text("a,b\n1,0\n2,1\n")


_CSV = Path("unset")


def _check(message: str, value: str) -> None:
    assert len(message) < 400, message[:500]
    assert "\u202e" not in message and "\x1b" not in message
    assert f"({len(value)} characters)" in message or "too long" in message, message


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("call", CALLS)
def test_the_python_api_echoes_a_hostile_string_short_and_escaped(call: str, kind: str) -> None:
    value = HOSTILE[kind]
    with pytest.raises((ValueError, TypeError, OSError)) as caught:
        CALLS[call](value)
    _check(str(caught.value), value)


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("flag", ["--activation", "--loss", "--optimizer", "--data"])
def test_the_cli_echoes_a_hostile_string_short_and_escaped(
    flag: str, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    value = HOSTILE[kind][:10_000]  # an argument of the command line is at most 128 KiB
    args = ["train", "--data", "xor", "--epochs", "1", flag, value]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("glassnet train: error: ")
    assert len(err) < 400 and "\u202e" not in err and "\x1b" not in err, err[:500]


def test_a_cell_of_100001_digits_is_cut_in_the_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a,b\n1,0\n" + "9" * 100_001 + ",1\n")
    assert main(["train", "--data", str(path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "line 3, column 'a': '999" in err and "... (100001 characters)" in err
    assert len(err) < 400


def test_a_hostile_header_name_and_a_long_path_are_cut(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("\u202e" * 50_000 + ",b\nnope,1\n")
    with pytest.raises(ValueError) as caught:
        load_csv(path)
    assert len(str(caught.value)) < 400 and "\u202e" not in str(caught.value)
    assert "(50000 characters)" in str(caught.value)
    long = tmp_path / ("d" * 200) / ("e" * 200) / "x.csv"
    with pytest.raises(FileNotFoundError) as missing:
        load_csv(long)
    assert len(str(missing.value)) < 400 and f"({len(str(long))} characters)" in str(missing.value)


def test_shown_cuts_escapes_and_says_the_length() -> None:
    assert shown("relu") == "'relu'"
    assert shown("a" * 100_001) == "'" + "a" * 79 + "... (100001 characters)"
    assert shown("\u202e\x1b") == "'\\u202e\\x1b'"
    assert shown(10**500) == "an integer of about 501 digits"


@pytest.mark.parametrize(
    "path",
    [
        ("d" * 250 + "/") * 40 + "m.glassnet",
        "missing\u202e/" + ("e" * 200 + "/") * 14 + "m.glassnet",
    ],
)
def test_a_hostile_output_path_is_cut_in_the_cli_error(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--data", "xor", "--epochs", "1", "--save", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet train: error: ") and err.count("\n") == 1
    assert len(err) < 600 and "\u202e" not in err, err[:700]
