"""A narration as a list of blocks, and the renderers that turn it into text, Markdown or HTML.

The narrators decide what to say and format every number (``number``, ``matrix``); the renderers
only lay the blocks out, so a number reads the same in every format. Inline code is marked with
backticks in block text: kept in Markdown, shown as <code> in HTML, dropped in plain text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

MAX_ROWS = 8  # a matrix shows at most this many rows and columns; the rest is "..."
MAX_COLUMNS = 8


def number(value: float, decimals: int, plain: bool = False) -> str:
    """``value`` with ``decimals`` decimals; very small or large ones in e-notation unless
    ``plain`` (the kid's level shows 0.000 rather than 1.2e-05).

    >>> number(0.75820, 3), number(-1.23e-5, 4), number(-1.23e-5, 3, plain=True), number(0, 4)
    ('0.758', '-1.230e-05', '-0.000', '0.0000')
    """
    value = float(value)
    if plain or value == 0 or 1e-3 <= abs(value) < 1e6 or not np.isfinite(value):
        return f"{value:.{decimals}f}"
    return f"{value:.{decimals - 1}e}"


def shape_text(shape: tuple[int, ...]) -> str:
    """(4, 3) -> '4x3'; a scalar -> '1'."""
    return "x".join(str(n) for n in shape) if shape else "1"


def matrix(value: NDArray[Any], decimals: int, plain: bool = False) -> list[list[str]]:
    """The cells of a 2-D (or 1-D, shown as one row) array as strings, clipped with '...'."""
    array = np.atleast_2d(np.asarray(value, dtype=float))
    if array.ndim > 2:
        array = array.reshape(array.shape[0], -1)
    rows = list(range(array.shape[0]))
    columns = list(range(array.shape[1]))
    if len(rows) > MAX_ROWS:
        rows = [*rows[: MAX_ROWS - 1], -1]
    if len(columns) > MAX_COLUMNS:
        columns = [*columns[: MAX_COLUMNS - 1], -1]
    cells = []
    for i in rows:
        if i == -1:
            cells.append(["..."] * len(columns))
            continue
        cells.append(["..." if j == -1 else number(array[i, j], decimals, plain) for j in columns])
    return cells


@dataclass
class Block:
    """One piece of a narration: kind is heading, paragraph, bullets, equation, matrix, table."""

    kind: str
    text: str = ""
    items: list[str] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    level: int = 2


@dataclass
class Document:
    """A title and the blocks of a narration."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(Block("heading", text, level=level))

    def paragraph(self, text: str) -> None:
        self.blocks.append(Block("paragraph", text))

    def bullets(self, items: list[str]) -> None:
        self.blocks.append(Block("bullets", items=list(items)))

    def equation(self, text: str) -> None:
        self.blocks.append(Block("equation", text))

    def matrix(self, label: str, cells: list[list[str]]) -> None:
        self.blocks.append(Block("matrix", label, cells=cells))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(Block("table", header=header, cells=rows))


def _plain(text: str) -> str:
    return text.replace("`", "")


def _matrix_lines(cells: list[list[str]]) -> list[str]:
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    lines = []
    for i, row in enumerate(cells):
        body = "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        left = "[[" if i == 0 else " ["
        right = "]]" if i == len(cells) - 1 else "]"
        lines.append(f"{left}{body}{right}")
    return lines


def _table_lines(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
    line = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    line.append("-+-".join("-" * w for w in widths))
    line += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return [text.rstrip() for text in line]


def to_text(doc: Document) -> str:
    """Plain text, for a terminal without colour or a file."""
    out = [doc.title, "=" * len(doc.title)]
    for block in doc.blocks:
        if block.kind == "heading":
            text = _plain(block.text)
            out += ["", text, ("-" if block.level == 2 else "~") * len(text)]
        elif block.kind == "paragraph":
            out += ["", _plain(block.text)]
        elif block.kind == "bullets":
            out += [""] + [f"- {_plain(item)}" for item in block.items]
        elif block.kind == "equation":
            out += [f"    {line}" for line in block.text.splitlines()]
        elif block.kind == "matrix":
            out.append(f"    {block.text} =")
            out += [f"      {line}" for line in _matrix_lines(block.cells)]
        elif block.kind == "table":
            out += ["", *_table_lines(block.header, block.cells)]
    return "\n".join(out) + "\n"


def to_markdown(doc: Document) -> str:
    """GitHub-flavoured Markdown: headings, lists, code blocks for equations and matrices."""
    out = [f"# {doc.title}"]
    for block in doc.blocks:
        if block.kind == "heading":
            out += ["", f"{'#' * block.level} {block.text}"]
        elif block.kind == "paragraph":
            out += ["", block.text]
        elif block.kind == "bullets":
            out += [""] + [f"- {item}" for item in block.items]
        elif block.kind in ("equation", "matrix"):
            lines = block.text.splitlines() if block.kind == "equation" else []
            if block.kind == "matrix":
                lines = [f"{block.text} ="] + [f"  {x}" for x in _matrix_lines(block.cells)]
            out += ["", "```text", *lines, "```"]
        elif block.kind == "table":
            escape = [[cell.replace("|", "\\|") for cell in row] for row in block.cells]
            out += ["", "| " + " | ".join(block.header) + " |"]
            out.append("|" + "|".join(" --- " for _ in block.header) + "|")
            out += ["| " + " | ".join(f"`{c}`" if c else "" for c in row) + " |" for row in escape]
    return "\n".join(out) + "\n"


_STYLE = """
.glassnet-explain { font-family: system-ui, sans-serif; line-height: 1.5; max-width: 60rem;
  color: #1d232a; }
.glassnet-explain code, .glassnet-explain pre { font-family: ui-monospace, monospace; }
.glassnet-explain pre.eq { background: #f3f5f8; padding: .4rem .8rem; border-radius: 4px;
  overflow-x: auto; }
.glassnet-explain table.m { border-collapse: collapse; font-family: ui-monospace, monospace;
  margin: .2rem 0 .8rem 1rem; border-left: 2px solid #555; border-right: 2px solid #555; }
.glassnet-explain table.m td { padding: 0 .5rem; text-align: right; }
.glassnet-explain .label { font-family: ui-monospace, monospace; margin-left: 1rem; }
.glassnet-explain table.t { border-collapse: collapse; font-size: .9rem; }
.glassnet-explain table.t td, .glassnet-explain table.t th { border: 1px solid #ccd;
  padding: .15rem .4rem; text-align: left; vertical-align: top; }
"""


def _inline(text: str) -> str:
    parts = re.split(r"`([^`]*)`", text)
    return "".join(
        f"<code>{html.escape(part)}</code>" if i % 2 else html.escape(part)
        for i, part in enumerate(parts)
    )


def to_html(doc: Document, standalone: bool = True) -> str:
    """HTML: a whole offline page, or (``standalone=False``) a <section> fragment with its own
    scoped <style>. No script, no font, no link: nothing is fetched."""
    out = ['<section class="glassnet-explain">', f"<style>{_STYLE}</style>"]
    out.append(f"<h1>{html.escape(doc.title)}</h1>")
    for block in doc.blocks:
        if block.kind == "heading":
            level = min(block.level, 4)
            out.append(f"<h{level}>{_inline(block.text)}</h{level}>")
        elif block.kind == "paragraph":
            out.append(f"<p>{_inline(block.text)}</p>")
        elif block.kind == "bullets":
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items) + "</ul>")
        elif block.kind == "equation":
            out.append(f'<pre class="eq">{html.escape(block.text)}</pre>')
        elif block.kind == "matrix":
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in block.cells
            )
            label = html.escape(block.text)
            out.append(f'<div class="label">{label} =</div><table class="m">{rows}</table>')
        elif block.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.header)
            rows = "".join(
                "<tr>" + "".join(f"<td><code>{html.escape(c)}</code></td>" for c in row) + "</tr>"
                for row in block.cells
            )
            out.append(f'<table class="t"><tr>{head}</tr>{rows}</table>')
    out.append("</section>")
    fragment = "\n".join(out) + "\n"
    if not standalone:
        return fragment
    title = html.escape(doc.title)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{fragment}</body>\n</html>\n"
    )


def print_rich(doc: Document) -> None:
    """Print to the terminal in colour with rich (imported here: the terminal face's extra)."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError as error:  # pragma: no cover - rich is installed with the CLI's extras
        raise ImportError(
            "Colour output needs rich: pip install rich (or use --format text)."
        ) from error
    console = Console(highlight=False)
    console.rule(f"[bold]{doc.title}")
    for block in doc.blocks:
        if block.kind == "heading":
            console.print(f"\n[bold cyan]{_escape(_plain(block.text))}[/]")
        elif block.kind == "paragraph":
            console.print(_rich_inline(block.text))
        elif block.kind == "bullets":
            for item in block.items:
                console.print(" \u2022 " + _rich_inline(item))
        elif block.kind == "equation":
            console.print(f"    [yellow]{_escape(block.text)}[/]")
        elif block.kind == "matrix":
            console.print(f"    [green]{_escape(block.text)} =[/]")
            for line in _matrix_lines(block.cells):
                console.print(f"      {_escape(line)}")
        elif block.kind == "table":
            table = Table(*block.header, show_lines=False)
            for row in block.cells:
                table.add_row(*(_escape(c) for c in row))
            console.print(table)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def _rich_inline(text: str) -> str:
    parts = re.split(r"`([^`]*)`", text)
    return "".join(f"[yellow]{_escape(p)}[/]" if i % 2 else _escape(p) for i, p in enumerate(parts))
