"""The README's Python examples run, and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

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


def test_every_python_block_runs(tmp_path, monkeypatch) -> None:
    # every example in the README runs as written (in a scratch folder, for files it writes)
    monkeypatch.chdir(tmp_path)
    for block in python_blocks():
        out = run(block)
        for expected in re.findall(r"# (True|False)$", block, flags=re.MULTILINE):
            assert expected in out
