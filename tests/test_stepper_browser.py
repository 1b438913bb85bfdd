"""The playground's step-through in Chromium: the narration beside the stages names the chosen
row, at every level (before: "value (example 1)" and "example 0" for row 2)."""

from __future__ import annotations

import re

import pytest

from test_playground_browser import page, server  # noqa: F401 (fixtures)


@pytest.mark.parametrize("level", ["kid", "student", "expert"])
def test_the_step_through_narrates_the_chosen_row(page, level):  # noqa: F811
    page, problems = page
    page.select_option("#level", level)
    page.fill("#trace-example", "2")
    page.click("#trace")
    page.wait_for_selector("#narration section")
    page.wait_for_function(
        "() => document.querySelector('#stage .intro')?.textContent.startsWith('Example 2 ')"
    )
    text = page.text_content("#narration")
    numbers = {int(n) for n in re.findall(r"(?i)\bexample (\d+)", text)}
    assert numbers == {2}, text
    if level == "student":
        assert "value (example 2)" in text
    assert problems == []
