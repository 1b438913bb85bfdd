"""The README's "Images" section prints what it says: its Python block's summary is the text block
shown under it, and its commented outputs are the ones printed."""

from __future__ import annotations

import re

from test_readme import README, python_blocks, run

SECTION = README.read_text().split("## Images: a CNN on MNIST", 1)[1].split("\n## ", 1)[0]


def test_the_images_section_shows_real_output(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (block,) = [b for b in python_blocks() if b in SECTION]
    out = run(block)
    summary = re.search(r"```text\n(.*?)```", SECTION, flags=re.DOTALL).group(1)
    assert summary in out  # model.summary(), line for line
    printed = out.replace(summary, "").splitlines()
    commented = re.findall(r"^print\(.*\)  # (.*)$", block, flags=re.MULTILINE)
    assert printed == commented == ["True", "[5 9 0 6 6 8 1 3] [5 9 0 6 6 8 1 3]", "True"]
