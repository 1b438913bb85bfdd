"""One numbering for examples: example K is row K of x, counted from 0, in every level and format,
in ``model.explain``, ``glassnet explain --example`` and the playground's step-through (which
traces one row alone and tells the narrator that row's number)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from starlette.testclient import TestClient

from glassnet.cli import main
from glassnet.explain import FORMATS, LEVELS, narrate
from glassnet.playground.app import create_app
from glassnet.seed import XOR_X, XOR_Y, seed_network

MENTION = re.compile(r"\bexample (\d+)(:?)", re.IGNORECASE)


def mentions(text: str) -> tuple[list[int], list[int]]:
    """(the numbers of the followed example's mentions, the numbers of the kid's per-example list
    items "Example k: ...")."""
    followed, listed = [], []
    for match in MENTION.finditer(text):
        (listed if match.group(2) else followed).append(int(match.group(1)))
    return followed, listed


def check(text: str, followed_number: int, batch_numbers: list[int]) -> None:
    followed, listed = mentions(text)
    assert followed, text[:400]
    assert set(followed) == {followed_number}, (followed, text)
    assert listed in ([], batch_numbers)  # the kid's list walks the batch in order


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("example", [0, 2, None])
def test_every_example_mention_names_the_followed_row(level, fmt, example) -> None:
    # before the fix the student's chain table said "value (example 3)" for --example 2, and
    # "example 1" with no example given, while the chain beside it said "example 2's share"
    text = narrate(seed_network().trace_step(XOR_X, XOR_Y), level, fmt, example=example, width=None)
    check(text, 0 if example is None else example, [0, 1, 2, 3])
    if level == "student":
        # one factor table a Dense layer, each headed by the followed example's number
        assert text.count(f"value (example {0 if example is None else example})") == 2


@pytest.mark.parametrize("example", [0, 2])
def test_cli_and_model_explain_print_k(example, capsys: pytest.CaptureFixture[str]) -> None:
    for level in LEVELS:
        assert main(["explain", "--level", level, "--example", str(example)]) == 0
        check(capsys.readouterr().out, example, [0, 1, 2, 3])
        text = seed_network().explain(XOR_X, XOR_Y, level=level, example=example)
        check(text, example, [0, 1, 2, 3])


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_slice_is_narrated_with_its_rows_numbers(level, fmt) -> None:
    """A step traced on x[2:3] with first_example=2 calls its one row example 2."""
    trace = seed_network().trace_step(XOR_X[2:3], XOR_Y[2:3])
    text = narrate(trace, level, fmt, example=0, first_example=2, width=None)
    check(text, 2, [2])
    if level != "kid":
        assert "row 0 of this step" in text  # the subscripts [0] index the traced batch
    # without an example the kid follows the slice's first row, under its own number too
    check(narrate(trace, level, fmt, first_example=2, width=None), 2, [2])


def test_first_example_is_checked() -> None:
    trace = seed_network().trace_step(XOR_X, XOR_Y)
    with pytest.raises(ValueError, match=r"Expected first_example in \[0, \d+\] .*got -1\."):
        narrate(trace, first_example=-1, width=None)
    with pytest.raises(ValueError, match=r"got 10000000000000000000\.\.\.\.$"):
        narrate(trace, first_example=10**400, width=None)  # refused, and not echoed in 401 digits
    with pytest.raises(TypeError, match=r"Expected first_example to be a whole number.*float"):
        narrate(trace, first_example=1.5, width=None)
    with pytest.raises(TypeError, match=r"Expected first_example .*bool"):
        narrate(trace, first_example=True, width=None)


@pytest.mark.parametrize("level", LEVELS)
def test_playground_step_through_names_the_chosen_row(level) -> None:
    # before the fix: "Let us follow example 0 ... Example 0: the network guessed 0.477"
    client = TestClient(create_app(), base_url="http://127.0.0.1:8000")
    config = {
        "dataset": {"name": "moons", "n_samples": 40},
        "layers": [{"units": 4, "activation": "tanh"}],
    }
    created = client.post("/api/sessions", json=config)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    response = client.post(f"/api/sessions/{sid}/trace", json={"example": 5, "level": level})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["example"] == 5
    check(result["narration"], 5, [5])
    x0 = np.asarray(result["stages"][0]["entries"][0]["value"])
    assert x0.shape == (1, 2) and np.array_equal(x0[0], result["x"])  # row 5, traced alone
