"""The narration's layout (issue 16, Narration): text and Markdown lines within 100 characters at
every level, for the seed, a 2-8-8-1 net, a deeper one, a 784-32-10 net and a CNN; wrapping moves
only whitespace; Markdown gives each quantity one code block; HTML wraps instead of clipping at
an 800-pixel-wide page (measured in headless Chromium)."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain import LEVELS, narrate
from glassnet.explain.document import subject
from glassnet.layers import Dense
from glassnet.seed import XOR_X, XOR_Y, seed_network
from glassnet.trace import Trace
from helpers import chromium_page
from test_explain_images import digits_cnn


@cache
def traced(name: str) -> Trace:
    """The nets of the issue: the seed's 3-4-1, a 2-8-8-1, a deeper 2-6-5-4-3-1 (momentum), a
    784-32-10 (float32, a batch of 16) and the 8x8 digits CNN."""
    rng = np.random.default_rng(0)
    if name == "seed":
        return seed_network().trace_step(XOR_X, XOR_Y)
    if name == "cnn":
        model, x, y = digits_cnn()
        return model.trace_step(x, y)
    shapes = {
        "2-8-8-1": (2, [8, 8]),
        "deep": (2, [6, 5, 4, 3]),
        "784-32-10": (784, [32]),
    }
    inputs, hidden = shapes[name]
    last = Dense(10, "softmax") if name == "784-32-10" else Dense(1, "sigmoid")
    model = gn.Sequential(
        [gn.Input((inputs,)), *(Dense(units, "tanh") for units in hidden), last], seed=0
    )
    if name == "784-32-10":
        model.compile(gn.SGD(0.1), "sparse_categorical_crossentropy")
        return model.trace_step(rng.random((16, 784)), rng.integers(0, 10, 16))
    model.compile(gn.SGD(0.1, momentum=0.9), "binary_crossentropy")
    x, y = rng.normal(size=(10, inputs)), rng.integers(0, 2, 10)
    model.train_on_batch(x, y)  # a second step: momentum is not all zero
    return model.trace_step(x, y)


NETS = ["seed", "2-8-8-1", "deep", "784-32-10", "cnn"]


@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("fmt", ["text", "md"])
def test_no_line_is_wider_than_100_characters(name: str, level: str, fmt: str) -> None:
    text = narrate(traced(name), level, fmt)
    widest = max(text.splitlines(), key=len)
    assert len(widest) <= 100, widest
    # before: the expert's table rows were up to 877 characters, the kid's paragraphs 441
    assert len(max(narrate(traced(name), level, fmt, width=None).splitlines(), key=len)) > 100


def tokens(text: str) -> Counter[str]:
    """The words and numbers of a narration, without the layout: rules (---, -+-), table bars,
    backticks and code fences."""
    words = (re.sub(r"[`|]", "", word) for word in text.split() if word != "```text")
    return Counter(word for word in words if word and not re.fullmatch(r"[-+=~:]+", word))


@pytest.mark.parametrize("name", ["seed", "784-32-10", "cnn"])
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("fmt", ["text", "md"])
def test_wrapping_only_moves_whitespace(name: str, level: str, fmt: str) -> None:
    wrapped = narrate(traced(name), level, fmt)
    assert tokens(wrapped) == tokens(narrate(traced(name), level, fmt, width=None))


def test_long_equations_break_before_an_operator_and_matrices_by_row() -> None:
    student = narrate(traced("784-32-10"), "student")
    lines = student.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("    z1[0,0] = "))
    assert lines[start + 1].startswith("        + ")  # the sum goes on under itself
    assert " + ... + 0.0000 = -0.3274" in " ".join(lines[start : start + 4])
    expert = narrate(traced("784-32-10"), "expert").splitlines()
    label = expert.index("    W1  (784x32) =")
    assert expert[label + 1].startswith("      [0] ")  # row 0 of 32 values, wrapped as NumPy
    assert re.fullmatch(r" {10}[ \d.e+-]+", expert[label + 2])  # goes on under its first number
    second = next(k for k in range(label + 1, len(expert)) if expert[k].startswith("      [1] "))
    end = expert.index("      ...", second)  # 64 values: rows 0 and 1, then "..."
    assert second - (label + 1) == end - second == 4  # 32 values a row, 8 a line
    seed = narrate(traced("seed"), "expert").splitlines()
    w2 = seed.index("    W2  (4x1) =")  # a column vector reads as a column
    assert seed[w2 + 1 : w2 + 5] == [
        "      [0] 0.204452",
        "      [1] 0.878117",
        "      [2] 0.027388",
        "      [3] 0.670468",
    ]  # glassnet explain --level expert


def fenced_blocks(markdown: str) -> list[tuple[int, list[str]]]:
    """Each ```text block: (its number among the blocks, its lines), with a flag in the number's
    sign: negative when only blank lines separate it from the block before."""
    blocks, lines, k, last_end = [], markdown.splitlines(), 0, -10
    while k < len(lines):
        if lines[k] == "```text":
            end = lines.index("```", k + 1)
            touching = all(not line.strip() for line in lines[last_end + 1 : k])
            blocks.append((-len(blocks) if touching else len(blocks), lines[k + 1 : end]))
            last_end, k = end, end + 1
            continue
        k += 1
    return blocks


def first_symbol(lines: list[str]) -> str:
    found = re.match(r"\s*(.+?)(?=\[| = |  \(|: |, |$)", lines[0])
    return found.group(1) if found else ""


@pytest.mark.parametrize("name", ["seed", "784-32-10", "cnn"])
@pytest.mark.parametrize("level", ["student", "expert"])
def test_markdown_gives_each_quantity_one_code_block(name: str, level: str) -> None:
    blocks = fenced_blocks(narrate(traced(name), level, "md"))
    subjects = [first_symbol(lines) for _, lines in blocks]
    for k in range(1, len(blocks)):
        if blocks[k][0] <= 0:  # right after the block before: a different quantity
            assert subjects[k] != subjects[k - 1], (subjects[k], blocks[k][1][0])
    # every matrix or row-by-row quantity is whole inside its block: a label and all its rows
    for _, lines in blocks:
        for at, line in enumerate(lines):
            shape = re.search(r"  \((\d+)x\d+\) =$", line)
            if not shape or "crop" in line or at + 1 == len(lines):
                continue
            one_row = re.search(
                r"\[\d+\](?=[ :]|$)", line.split("  (")[0]
            )  # 'a5 - y[0]': one example
            rows = 1 if one_row else int(shape.group(1))
            body = lines[at + 1 :]
            if body[0].lstrip().startswith("[["):  # a matrix closes in the same block
                assert any(row.rstrip().endswith("]]") for row in body), line
                continue
            indices = [int(m.group(1)) for row in body if (m := re.match(r"\s*\[(\d+)\] ", row))]
            indices = indices[: next((k for k, i in enumerate(indices[1:], 1) if i == 0), None)]
            assert indices == list(range(len(indices))), line
            assert len(indices) == rows or any(r.strip() == "..." for r in body), line
    if name == "seed":
        counts = Counter(subjects)
        quantities = ("z1", "a1", "z2", "a2", "C", "W1_new") if level == "expert" else ()
        for symbol in quantities or ("z1", "a1", "z2", "a2", "C"):
            assert counts[symbol] == 1, (symbol, counts[symbol])  # before: 3 for z1 (student)


def test_markdown_merges_only_blocks_of_one_quantity() -> None:
    from glassnet.explain.document import Block

    assert subject(Block("equation", "z1 = a0 @ W1: (4x3) @ (3x4) -> (4x4)")) == "z1"
    assert subject(Block("equation", "z1[0,0] = 0.0000 * 0.4170 + 0.3968")) == "z1"
    assert subject(Block("matrix", "z1 = a0 @ W1  (4x4)")) == "z1"
    assert subject(Block("matrix", "W1  (3x4)")) == "W1"
    assert subject(Block("equation", "dC/dW1[2,0], example 0's share = ...")) == "dC/dW1"


@pytest.mark.parametrize(
    ("width", "error", "message"),
    [
        (True, TypeError, "got bool"),
        (100.0, TypeError, "got float"),
        ("100", TypeError, "got str"),
        ([100], TypeError, "got list"),
        (39, ValueError, "in [40, 10000] or None, got 39"),
        (-1, ValueError, "got -1"),
        (10**100, ValueError, "got 1000000000000000000000000000000000000000"),
    ],
)
def test_a_bad_width_gets_a_clear_error(width, error, message) -> None:
    with pytest.raises(error, match=re.escape(message)):
        narrate(traced("seed"), "kid", width=width)


def test_numpy_integers_and_the_bounds_are_widths() -> None:
    trace = traced("seed")
    assert narrate(trace, "kid", width=np.int64(100)) == narrate(trace, "kid")
    narrow = narrate(trace, "expert", width=40).splitlines()
    assert max(len(line) for line in narrow if " " in line.strip()) <= 60  # words are kept whole
    assert narrate(trace, "kid", width=10_000) == narrate(trace, "kid", width=None)


OVERFLOW = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('section.glassnet-explain, section.glassnet-explain *')) {
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      bad.push(el.tagName + ' ' + el.scrollWidth + '>' + el.clientWidth + ': '
               + el.textContent.slice(0, 60));
    }
    const box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 1) {
      bad.push(el.tagName + ' right edge ' + Math.round(box.right) + ': '
               + el.textContent.slice(0, 60));
    }
  }
  return bad;
}"""


def test_html_wraps_inside_an_800_pixel_page(tmp_path: Path) -> None:
    pages = {
        (name, level): narrate(traced(name), level, "html") for name in NETS for level in LEVELS
    }
    found = {}
    with chromium_page({"width": 800, "height": 900}) as (page, problems, requests):
        for key, html_page in pages.items():
            page.set_content(html_page, wait_until="load")
            found[key] = page.evaluate(OVERFLOW)
            if key == ("784-32-10", "student"):
                shot = tmp_path / "student_800.png"
                page.screenshot(path=str(shot), full_page=True)
    assert problems == [] and requests == []
    assert {key: bad for key, bad in found.items() if bad} == {}
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 10_000


@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("level", LEVELS)
def test_no_wrapped_markdown_line_starts_a_list_heading_or_quote(name: str, level: str) -> None:
    """A sentence with 'a - y' wrapped before the minus would read as a list item in Markdown."""
    lines = narrate(traced(name), level, "md").splitlines()
    fenced = False
    for before, line in itertools.pairwise(lines):
        fenced ^= before.startswith("```")
        if fenced or not before.strip() or before.startswith(("#", "|", "```")):
            continue  # a new block may start so; only a sentence's next line may not
        in_list = before.startswith(("- ", "  "))  # a list item's next line: "  " then words
        start = r"  " if in_list else r""
        assert not re.match(start + r"(?:[-+*>]|#+|\d+[.)])(?: |$)", line), (before, line)


def test_a_sentence_never_breaks_before_a_minus() -> None:
    from glassnet.explain.document import Document, to_markdown

    doc = Document("t")
    doc.paragraph("The error is " + " ".join(f"a{k} - y{k} + b{k} * c{k}" for k in range(40)))
    doc.bullets(["Then " + " ".join(f"# {k}. > {k})" for k in range(40))])
    text = to_markdown(doc, width=40)
    body = text.splitlines()[2:]
    assert len(body) > 20 and max(len(line) for line in body) <= 40
    paragraph = body[: body.index("")]
    assert not [line for line in paragraph[1:] if re.match(r"[-+*] ", line)]
    assert body[body.index("") + 1].startswith("- Then #")  # signs in a row: plain wrapping


def test_model_explain_passes_the_width_on() -> None:
    """model.explain wraps at 100 like narrate, and width=None gives the one-line paragraphs."""
    model = seed_network()
    wrapped = model.explain(XOR_X, XOR_Y, level="expert")
    plain = model.explain(XOR_X, XOR_Y, level="expert", width=None)
    assert max(map(len, wrapped.splitlines())) <= 100
    assert max(map(len, plain.splitlines())) > 100
    narrow = model.explain(XOR_X, XOR_Y, level="student", width=60)
    assert max(map(len, narrow.splitlines())) < 70  # a 60-wide page: tables may poke out a bit
