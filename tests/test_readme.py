"""The README's Python examples run, and print what the README says they print."""

from __future__ import annotations

import builtins
import contextlib
import io
import re
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def run(block: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(README), "exec"), {})
    return out.getvalue()


def test_readme_has_the_two_commands() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text


def test_api_example_learns_xor() -> None:
    block = next(b for b in python_blocks() if "binary_crossentropy" in b)
    out = run(block)
    values = [float(v) for v in re.findall(r"\d\.\d+|\b[01]\.?\b", out.split("]")[0])]
    assert len(values) == 4
    assert [v > 0.5 for v in values] == [False, True, True, False]
    assert out.strip().endswith("1.0")


def test_seed_example_prints_the_commented_numbers() -> None:
    block = next(b for b in python_blocks() if "HalfSumSquaredError" in b)
    out = run(block).splitlines()
    expected = re.findall(r"# (\[.*\])", block)
    assert out == expected == ["[0.758 0.771 0.791 0.801]", "[[0.925]]"]


def printed_by_line(block: str) -> dict[int, list[str]]:
    """Run ``block``; for each line of it that calls print, the text each call printed there."""
    printed: dict[int, list[str]] = {}

    def recording_print(*args, **kwargs) -> None:
        text = io.StringIO()
        builtins.print(*args, **{**kwargs, "file": text})
        frame = sys._getframe(1)
        while frame.f_code.co_filename != str(README):  # a print inside a helper of the block
            frame = frame.f_back
        printed.setdefault(frame.f_lineno, []).append(text.getvalue().rstrip("\n"))

    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # what else the block writes (progress bars)
        exec(compile(block, str(README), "exec"), {"print": recording_print})
    return printed


#: a print's trailing comment is its output, optionally followed by ": explanation"; a comment
#: ending in " ..." gives the beginning of the output
COMMENTED_PRINT = re.compile(r"^\s*print\(.*\)\s+# (?P<comment>.+)$")


def claimed(comment: str, printed: str) -> bool:
    """Whether ``printed`` is what ``comment`` says: all of it, or the part before ': ', or (for
    a comment ending in ' ...') its beginning."""
    if comment.endswith(" ..."):
        return printed.startswith(comment[: -len(" ...")])
    value = comment.split(": ", 1)[0] if printed != comment else comment
    return printed == value


def test_every_python_block_runs_and_prints_its_comments(tmp_path, monkeypatch) -> None:
    """Each `print(...)  # value` line printed exactly that value (not merely somewhere)."""
    monkeypatch.chdir(tmp_path)  # every example runs as written, in a scratch folder
    checked = 0
    for block in python_blocks():
        printed = printed_by_line(block)
        for number, line in enumerate(block.splitlines(), start=1):
            match = COMMENTED_PRINT.match(line)
            if match is None:
                continue
            outputs = printed.get(number)
            assert outputs, f"README line {line.strip()!r} printed nothing"
            for output in outputs:
                assert claimed(match["comment"], output), (line.strip(), output)
            checked += 1
    assert checked >= 17  # the README's commented prints, all of them


@pytest.mark.parametrize(
    ("comment", "printed", "ok"),
    [
        ("True", "True", True),
        ("True", "False", False),
        ("True", "False True", False),  # used to pass: "True" appeared somewhere in the output
        ("True True", "True False", False),
        ("True True", "True True", True),
        ("14: 9 trainable + 5", "14", True),
        ("14: 9 trainable + 5", "15", False),
        ("x has missing values ...", "x has missing values in 1 column", True),
        ("x has missing values ...", "y has missing values", False),
        ("[0.758 0.771]", "[0.758 0.772]", False),
    ],
)
def test_a_comment_is_compared_with_its_own_print(comment, printed, ok) -> None:
    assert claimed(comment, printed) is ok
