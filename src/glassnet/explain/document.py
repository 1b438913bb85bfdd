"""A narration as a list of blocks, and the renderers that turn it into text, Markdown or HTML.

The narrators decide what to say and format every number (``number``, ``matrix``); the renderers
only lay the blocks out, so a number reads the same in every format. Inline code is marked with
backticks in block text: kept in Markdown, shown as <code> in HTML, dropped in plain text.

Text and Markdown keep every line within ``WIDTH`` characters: sentences wrap at spaces (a
bullet's next lines indented two spaces), a long equation breaks before one of its ``=``, ``+``,
``*`` or ``;`` with the rest indented four more spaces, a matrix row that does not fit goes on
under its first number as NumPy wraps it (each row labelled with its index), and a table's wide
cells wrap inside their column. HTML wraps the same pieces in the browser instead.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

MAX_ROWS = 8  # a matrix shows at most this many rows and columns; the rest is "..."
MAX_COLUMNS = 8
WIDTH = 100  # text and Markdown lines are at most this wide
HTML_VALUES_WIDTH = 72  # an HTML values row's characters a line (an 800-pixel page holds them)


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
    """One piece of a narration: kind is heading, paragraph, bullets, equation, matrix, values
    (a quantity row by row, the expert's), table."""

    kind: str
    text: str = ""
    items: list[str] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    level: int = 2
    indexed: bool = False  # a values block's rows are labelled [0], [1], ...
    more: bool = False  # a values block left values out ("..." after its rows)


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

    def values(self, label: str, rows: list[list[str]], indexed: bool, more: bool) -> None:
        """A quantity's values, row by row: ``label`` ("W1  (3x4)"), each row's cells, whether
        rows are labelled with their index ([0], [1], ...) and whether values were left out."""
        self.blocks.append(Block("values", label, cells=rows, indexed=indexed, more=more))


def _plain(text: str) -> str:
    return text.replace("`", "")


#: a space before what would start a list, a heading or a quote at the head of a Markdown line
_MARKER = re.compile(r" (?=(?:[-+*>]|#+|\d+[.)])(?: |$))")
_GLUE = "\u00a0"  # a no-break space: textwrap never breaks there


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken at spaces only (a word longer
    than a line stays whole); ``first`` and ``rest`` start the first and the other lines. No
    line but the first starts with ``- ``, ``+ ``, ``* ``, ``> ``, ``# `` or ``1. `` (the
    space before such a sign never breaks, unless so many signs follow one another that a line
    would grow too long): Markdown would read it as a list, a heading or a quote.

    >>> _wrap("the error is a - y and then b + c", 15)
    ['the error is', 'a - y and then', 'b + c']
    """
    options = {"break_long_words": False, "break_on_hyphens": False}
    plain = textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest, **options)
    glued = textwrap.wrap(
        _MARKER.sub(_GLUE, text), width, initial_indent=first, subsequent_indent=rest, **options
    )
    if max(map(len, glued), default=0) > max(map(len, plain), default=0):
        return plain or [first.rstrip()]  # signs in a row glued a run too long for a line
    return [line.replace(_GLUE, " ") for line in glued] or [first.rstrip()]


_BREAKS = (  # where a long equation may break, best first: before = and +, after ;, before *
    re.compile(r" (?=[=+] )|(?<=;) "),
    re.compile(r" (?=\* )"),
    re.compile(" "),
)


def _wrap_equation(line: str, width: int) -> list[str]:
    """A long equation line broken before an ``=`` or ``+`` (after a ``;``; before a ``*`` or
    at a space only when none fits), its next lines indented four more spaces and starting with
    that operator."""
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    lines: list[str] = []
    while len(line) > width:
        low = 0 if lines else len(line) - len(line.lstrip())  # never a cut in the indent
        limit = width - (len(indent) if lines else 0)
        head = line.lstrip() if lines else line
        cuts: list[int] = []
        for breaks in _BREAKS:
            cuts = [m.start() for m in breaks.finditer(head) if low < m.start() <= limit]
            if cuts:
                break
        if not cuts:
            break
        lines.append((indent if lines else "") + head[: cuts[-1]].rstrip())
        line = indent + head[cuts[-1] :].lstrip()
    return [*lines, line if not lines else indent + line.lstrip()]


def _matrix_lines(cells: list[list[str]], width: int | None = None) -> list[str]:
    """A matrix as NumPy prints it; a row wider than ``width`` goes on in lines that start
    under its first number, as NumPy wraps at its linewidth."""
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    per_line = len(widths)
    if width is not None:
        while per_line > 1 and 2 + sum(widths[:per_line]) + 2 * (per_line - 1) + 2 > width:
            per_line -= 1
    lines = []
    for i, row in enumerate(cells):
        parts = [c.rjust(w) for c, w in zip(row, widths, strict=True)]
        chunks = [parts[k : k + per_line] for k in range(0, len(parts), per_line)]
        for k, chunk in enumerate(chunks):
            left = ("[[" if i == 0 else " [") if k == 0 else "  "
            right = ("]]" if i == len(cells) - 1 else "]") if k == len(chunks) - 1 else ""
            lines.append(f"{left}{'  '.join(chunk)}{right}")
    return lines


def _values_lines(block: Block, width: int) -> list[str]:
    """A quantity's rows, right-aligned in columns; a row wider than ``width`` goes on in
    lines that start under its first number (as NumPy wraps), each row labelled [i]."""
    rows = block.cells
    cell = max((len(c) for row in rows for c in row), default=1)
    labels = [f"[{i}] " if block.indexed else "" for i in range(len(rows))]
    pad = max((len(label) for label in labels), default=0)
    per_line = max(1, (width - pad + 2) // (cell + 2))
    lines = []
    for label, row in zip(labels, rows, strict=True):
        cells = [c.rjust(cell) for c in row]
        for start in range(0, max(len(cells), 1), per_line):
            lead = label.ljust(pad) if start == 0 else " " * pad
            lines.append((lead + "  ".join(cells[start : start + per_line])).rstrip())
    return lines + ["..."] * block.more


def _table_lines(header: list[str], rows: list[list[str]], width: int | None = None) -> list[str]:
    """A plain table; when wider than ``width``, its widest columns are narrowed and their
    cells wrap inside the column (a row's next lines leave the other columns blank)."""
    widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
    if width is not None:
        words = [
            max(len(w) for r in [header, *rows] for w in r[j].split() or [""])
            for j in range(len(header))
        ]
        while sum(widths) + 3 * (len(widths) - 1) > width:  # narrow the widest column
            narrowable = [k for k in range(len(widths)) if widths[k] > max(words[k], 8)]
            if not narrowable:
                break
            widths[max(narrowable, key=lambda k: widths[k])] -= 1
    line = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    line.append("-+-".join("-" * w for w in widths))
    for row in rows:
        wrapped = [_wrap(c, w) if len(c) > w else [c] for c, w in zip(row, widths, strict=True)]
        for k in range(max(len(cell) for cell in wrapped)):
            parts = [
                (c[k] if k < len(c) else "").ljust(w) for c, w in zip(wrapped, widths, strict=True)
            ]
            line.append(" | ".join(parts))
    return [text.rstrip() for text in line]


def to_text(doc: Document, width: int | None = WIDTH) -> str:
    """Plain text, for a terminal without colour or a file; lines at most ``width`` characters
    (None: one line a paragraph).

    >>> doc = Document("Step")
    >>> doc.equation("z1[0,0] = 0.1000 * 0.2000 + 0.3000 * 0.4000 + 0.5000 * 0.6000 = 0.4400")
    >>> doc.values("W1  (2x6)", [["0.1"] * 6, ["-2.5"] * 6], indexed=True, more=False)
    >>> print(to_text(doc, width=42))
    Step
    ====
        z1[0,0] = 0.1000 * 0.2000
            + 0.3000 * 0.4000
            + 0.5000 * 0.6000 = 0.4400
        W1  (2x6) =
          [0]  0.1   0.1   0.1   0.1   0.1
               0.1
          [1] -2.5  -2.5  -2.5  -2.5  -2.5
              -2.5
    <BLANKLINE>
    """
    wide = 10**9 if width is None else width
    out = [doc.title, "=" * len(doc.title)]
    for block in doc.blocks:
        if block.kind == "heading":
            text = _plain(block.text)
            out += ["", text, ("-" if block.level == 2 else "~") * len(text)]
        elif block.kind == "paragraph":
            out += ["", *_wrap(_plain(block.text), wide)]
        elif block.kind == "bullets":
            out.append("")
            for item in block.items:
                out += _wrap(_plain(item), wide, "- ", "  ")
        elif block.kind == "equation":
            for line in block.text.splitlines():
                out += _wrap_equation(f"    {line}", wide)
        elif block.kind == "matrix":
            out += _wrap_equation(f"    {block.text} =", wide)
            out += [f"      {line}" for line in _matrix_lines(block.cells, wide - 6)]
        elif block.kind == "values":
            out += _wrap_equation(f"    {block.text} =", wide)
            out += [f"      {line}" for line in _values_lines(block, wide - 6)]
        elif block.kind == "table":
            out += ["", *_table_lines(block.header, block.cells, width)]
    return "\n".join(out) + "\n"


def _code_lines(block: Block, width: int) -> list[str]:
    """An equation, matrix or values block as the lines of a Markdown code block."""
    if block.kind == "equation":
        return [part for line in block.text.splitlines() for part in _wrap_equation(line, width)]
    head = _wrap_equation(f"{block.text} =", width)
    if block.kind == "matrix":
        return head + [f"  {x}" for x in _matrix_lines(block.cells, width - 2)]
    return head + [f"  {x}" for x in _values_lines(block, width - 2)]


def subject(block: Block) -> str:
    """The quantity a code block is about: what its first line starts with, up to an index, an
    ``=``, a shape or a colon ('z1' for 'z1 = a0 @ W1: ...', 'z1[0,0] = ...' and
    'z1 = a0 @ W1  (4x4) ='; 'a2 - y' for 'a2 - y  (4x1) =')."""
    found = re.match(r"\s*(.+?)(?=\[| = |  \(|: |, |$)", block.text.splitlines()[0])
    return found.group(1) if found else ""


def to_markdown(doc: Document, width: int | None = WIDTH) -> str:
    """GitHub-flavoured Markdown: headings, lists, one code block per quantity (its shapes,
    worked numbers and values together); lines at most ``width`` characters (None: one line a
    paragraph). A table too wide for one line a row is shown as the text table, in a code
    block."""
    wide = 10**9 if width is None else width
    out = [f"# {doc.title}"]
    previous = None  # the open code block's quantity
    for block in doc.blocks:
        code = block.kind in ("equation", "matrix", "values")
        if code and previous is not None and subject(block) == previous:
            out[-1:-1] = _code_lines(block, wide)  # the same quantity: into the open block
            continue
        previous = subject(block) if code else None
        if block.kind == "heading":
            out += ["", f"{'#' * block.level} {block.text}"]
        elif block.kind == "paragraph":
            out += ["", *_wrap(block.text, wide)]
        elif block.kind == "bullets":
            out.append("")
            for item in block.items:
                out += _wrap(item, wide, "- ", "  ")
        elif code:
            out += ["", "```text", *_code_lines(block, wide), "```"]
        elif block.kind == "table":
            escape = [[cell.replace("|", "\\|") for cell in row] for row in block.cells]
            rows = ["| " + " | ".join(block.header) + " |"]
            rows.append("|" + "|".join(" --- " for _ in block.header) + "|")
            rows += ["| " + " | ".join(f"`{c}`" if c else "" for c in row) + " |" for row in escape]
            if max(len(row) for row in rows) > wide:
                plain = [[_plain(c) for c in row] for row in block.cells]
                rows = ["```text", *_table_lines(block.header, plain, width), "```"]
            out += ["", *rows]
    return "\n".join(out) + "\n"


_STYLE = """
.glassnet-explain { font-family: system-ui, sans-serif; line-height: 1.5; max-width: 60rem;
  color: #1d232a; }
.glassnet-explain code, .glassnet-explain pre { font-family: ui-monospace, monospace; }
.glassnet-explain pre.eq, .glassnet-explain pre.v { background: #f3f5f8; padding: .4rem .8rem;
  border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
.glassnet-explain pre.v { background: none; margin: .2rem 0 .8rem 1rem; padding: 0; }
.glassnet-explain p, .glassnet-explain li, .glassnet-explain td { overflow-wrap: anywhere; }
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
        elif block.kind == "values":
            label = html.escape(block.text)
            # 72 characters of monospace fit an 800-pixel page; narrower ones wrap (pre-wrap)
            lines = html.escape("\n".join(_values_lines(block, HTML_VALUES_WIDTH)))
            out.append(f'<div class="label">{label} =</div><pre class="v">\n{lines}</pre>')
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


def print_rich(doc: Document, width: int | str | None = None) -> None:
    """Print to the terminal in colour with rich (imported here: the terminal face's extra).
    ``width``: lines wrap at this many characters; None, the terminal's width; "none", never
    (the terminal wraps them)."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError as error:  # pragma: no cover - rich is installed with the CLI's extras
        raise ImportError(
            "Colour output needs rich: pip install rich (or use --format text)."
        ) from error
    if width == "none":
        console = Console(highlight=False, soft_wrap=True)
    else:
        console = Console(highlight=False, width=width if isinstance(width, int) else None)
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
        elif block.kind == "values":
            console.print(f"    [green]{_escape(block.text)} =[/]")
            for line in _values_lines(block, console.width - 6):
                console.print(f"      {_escape(line)}", soft_wrap=True)
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
