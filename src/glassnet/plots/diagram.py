"""The network diagram, written as SVG by hand (no Graphviz) or drawn by matplotlib.

Units are circles by layer (inputs labelled x0, x1, ...); a bias is a "+1" square feeding the next
layer; each weight is a line coloured by its sign (blue positive, orange negative: the one
convention of ``glassnet.plots.colors``) and as thick as its magnitude, with its value written on
it for small networks, where there is room (``glassnet.plots.labels``: no two labels overlap; a
value left out is still in its edge's hover title). Columns are headed "layer 1", "layer 2" and
the weights between them "W1", "W2" (with "b1" ... for biases): the narration's names. Wide
layers collapse into a box.

>>> import xml.etree.ElementTree as ET
>>> from glassnet.seed import seed_network
>>> svg = network_svg(seed_network())
>>> root = ET.fromstring(svg)
>>> ns = "{http://www.w3.org/2000/svg}"
>>> len(root.findall(f".//{ns}circle")), len(root.findall(f".//{ns}line[@class='edge weight']"))
(8, 16)
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassnet.plots.blocks import legend_y, weights_text
from glassnet.plots.colors import NEGATIVE, POSITIVE, sign_colour
from glassnet.plots.labels import (
    GAP,
    HEADING_Y,
    HOVER_NOTE,
    LEGEND,
    ValueLabel,
    hover_note_fits,
    value_labels,
    weight_names,
)
from glassnet.plots.layout import (
    DEFAULT_MAX_UNITS,
    RADIUS,
    Layout,
    network_layout,
    wants_values,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

FONT = "font-family='Helvetica, Arial, sans-serif'"
UNIT_FILL = "#f8fafc"
UNIT_STROKE = "#334155"
BUNDLE_FILL = "#cbd5e1"
BIAS_FILL = "#fef9c3"


def network_svg(
    model: Sequential,
    show_values: bool | None = None,
    max_units: int = DEFAULT_MAX_UNITS,
    title: str | None = None,
) -> str:
    """The diagram of a built model as an SVG document (a string).

    ``show_values``: write each weight on its edge (None: only when there are at most 24 edges);
    a value with no free spot on its edge is left out, and the legend says to hover an edge.
    ``max_units``: a layer with more units is drawn collapsed, as one box ("784 inputs").
    Circles: one per unit of every column not collapsed; lines of class ``edge weight``: one per
    kernel entry W[i, j]; ``edge bias``: one per bias value b[j].
    """
    layout = network_layout(model, max_units=max_units, title=title)
    values = wants_values(layout, show_values)
    width, height = round(layout.width), round(layout.height)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' {FONT} font-size='12' role='img'>",
        f"<title>{_escape(layout.title)}</title>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        f"<text x='{width / 2:.1f}' y='24' text-anchor='middle' font-size='15' "
        f"font-weight='bold' fill='#0f172a'>{_escape(layout.title)}</text>",
    ]
    labels = value_labels(layout) if values else []
    parts += _bundles_svg(layout)
    parts += _edges_svg(layout, labels)
    parts += _columns_svg(layout)
    parts += [
        f"<text class='weights-name' x='{x:.1f}' y='{HEADING_Y:g}' text-anchor='middle' "
        f"font-weight='bold' fill='#64748b'>{_escape(name)}</text>"
        for name, x in weight_names(layout)
    ]
    left_out = values and len(labels) < len(layout.edges)
    parts.append(_legend_svg(layout, left_out))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _escape(text: str) -> str:
    """``text`` as SVG character data: &, < and > escaped (quotes need no escape there)."""
    return html.escape(text, quote=False)


def _quoted(text: str) -> str:
    """``text`` as a double-quoted SVG attribute value."""
    return '"' + _escape(text).replace('"', "&quot;") + '"'


def save_network_svg(
    model: Sequential,
    path: str | Path,
    show_values: bool | None = None,
    max_units: int = DEFAULT_MAX_UNITS,
) -> Path:
    """Write ``network_svg(model)`` to ``path`` (UTF-8, atomically) and return the path. A
    ``path`` that is not a writable regular file (a FIFO, a device, a folder, a read-only file)
    or is in a missing folder is refused and left alone (``OutputFileError``, a ValueError)."""
    from glassnet._outputs import check_output_target, write_text_atomically

    what = "the network diagram (SVG)"
    check_output_target(path, what, "network.svg")  # before drawing
    return write_text_atomically(
        path, network_svg(model, show_values, max_units), what, "network.svg"
    )


def _bundles_svg(layout: Layout) -> list[str]:
    parts = []
    for bundle in layout.bundles:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in bundle.corners)
        parts.append(
            f"<polygon class='bundle' points='{points}' fill='{BUNDLE_FILL}' opacity='0.6'>"
            f"<title>{_escape(bundle.layer)}: {weights_text(bundle.count)}</title></polygon>"
        )
        mid_x, mid_y = bundle.middle
        parts.append(
            f"<text x='{mid_x:.1f}' y='{mid_y:.1f}' text-anchor='middle' fill='#334155'>"
            f"{weights_text(bundle.count)}</text>"
        )
    return parts


def _noun(column: Any) -> str:
    if column.shape is not None:  # an image model's box: "8x8x1" / "image"
        return "image" if "x" in column.shape else "values"
    return "inputs" if column.heading == "inputs" else "units"


def _count(column: Any) -> str:
    """The bold text of a collapsed box: its units, or an image model's example shape."""
    return column.shape if column.shape is not None else str(column.units)


def _edges_svg(layout: Layout, labels: list[ValueLabel]) -> list[str]:
    """One line per edge, with its name and full value as its hover title; then the values
    that fit (``labels``), each with the same title."""
    parts = []
    for edge in layout.edges:
        colour, width = layout.stroke(edge.value)
        parts.append(
            f"<line class='edge {edge.kind}' x1='{edge.x1:.1f}' y1='{edge.y1:.1f}' "
            f"x2='{edge.x2:.1f}' y2='{edge.y2:.1f}' stroke='{colour}' "
            f"stroke-width='{width:.2f}' stroke-opacity='0.75' "
            f"data-layer={_quoted(edge.layer)} data-value='{edge.value!r}'>"
            f"<title>{_escape(edge.name)} = {edge.value!r}</title></line>"
        )
    for label in labels:
        edge = label.edge
        box = label.box  # a white card under the text, so a thick edge never runs through it
        width, height = box.right - box.left - 2 * GAP, box.bottom - box.top - GAP
        parts.append(
            f"<g class='value-label' data-edge={_quoted(edge.name)}>"
            f"<title>{_escape(edge.name)} = {edge.value!r}</title>"
            f"<rect class='value-card' x='{box.left + GAP:.1f}' y='{box.top + GAP:.1f}' "
            f"width='{width:.1f}' height='{height:.1f}' rx='2' fill='white' fill-opacity='0.9'/>"
            f"<text class='value' x='{label.x:.1f}' y='{label.baseline:.1f}' "
            f"text-anchor='middle' font-size='10' fill='{sign_colour(edge.value)}' "
            f"stroke='white' stroke-width='4' paint-order='stroke'>{label.text}</text></g>"
        )
    return parts


def _columns_svg(layout: Layout) -> list[str]:
    parts = []
    for column in layout.columns:
        parts.append(
            f"<text x='{column.x:.1f}' y='{HEADING_Y:g}' text-anchor='middle' "
            f"font-weight='bold' fill='#0f172a'>{_escape(column.heading)}</text>"
        )
        if column.collapsed:
            x, y, width, height = column.box
            parts.append(
                f"<rect class='collapsed' x='{x:.1f}' y='{y:.1f}' width='{width:g}' "
                f"height='{height:.1f}' rx='14' fill='{UNIT_FILL}' "
                f"stroke='{UNIT_STROKE}' stroke-width='1.5'/>"
                f"<text x='{column.x:.1f}' y='{column.ys[0] - 4:.1f}' text-anchor='middle' "
                f"font-weight='bold'>{_count(column)}</text>"
                f"<text x='{column.x:.1f}' y='{column.ys[0] + 12:.1f}' text-anchor='middle'>"
                f"{_noun(column)}</text>"
            )
        else:
            for label, y in zip(column.labels, column.ys, strict=True):
                parts.append(
                    f"<circle class='unit' cx='{column.x:.1f}' cy='{y:.1f}' r='{RADIUS:.0f}' "
                    f"fill='{UNIT_FILL}' stroke='{UNIT_STROKE}' stroke-width='1.5'/>"
                    f"<text x='{column.x:.1f}' y='{y + 4:.1f}' text-anchor='middle'>"
                    f"{_escape(label)}</text>"
                )
        if column.bias_y is not None:
            x, y, width, height = column.bias_box
            parts.append(
                f"<rect class='bias' x='{x:.1f}' y='{y:.1f}' width='{width:g}' "
                f"height='{height:g}' rx='4' fill='{BIAS_FILL}' stroke='{UNIT_STROKE}'/>"
                f"<text x='{column.x:.1f}' y='{column.bias_y + 4:.1f}' text-anchor='middle'>"
                f"+1</text>"
            )
        for k, line in enumerate(column.caption_lines):
            if line:
                parts.append(
                    f"<text class='caption' x='{column.x:.1f}' y='{column.caption_y + 16 * k:.1f}'"
                    f" text-anchor='middle' fill='#334155'>{_escape(line)}</text>"
                )
        parts.append(
            f"<text x='{column.x:.1f}' y='{column.symbol_y:.1f}' text-anchor='middle' "
            f"font-style='italic' fill='#64748b'>{_escape(column.symbol)}</text>"
        )
    return parts


def _legend_svg(layout: Layout, left_out: bool = False) -> str:
    """The legend: the edges' colours (a network of units; with ``left_out``, and room, a note
    that hovering an edge shows its value), or an image model's lines."""
    if layout.legend:  # an image model's blocks: what a box and a band stand for
        lines = "".join(
            f"<text x='10' y='{legend_y(layout, k):.1f}'>{_escape(line)}</text>"
            for k, line in enumerate(layout.legend)
        )
        return f"<g class='legend' font-size='11' fill='#475569'>{lines}</g>"
    y = layout.height - 12
    parts = [
        f"<line x1='{swatch:g}' y1='{y - 4:.1f}' x2='{swatch + 24:g}' y2='{y - 4:.1f}' "
        f"stroke='{colour}' stroke-width='3'/><text x='{x:g}' y='{y:.1f}'>{words}</text>"
        for (swatch, x, words), colour in zip(LEGEND, (POSITIVE, NEGATIVE), strict=True)
    ]
    if left_out and hover_note_fits(layout):
        parts.append(f"<text class='hover-note' x='350' y='{y:.1f}'>{HOVER_NOTE}</text>")
    return f"<g class='legend' font-size='11' fill='#475569'>{''.join(parts)}</g>"


def network_figure(
    model: Sequential,
    show_values: bool | None = None,
    max_units: int = DEFAULT_MAX_UNITS,
    title: str | None = None,
) -> Any:
    """The same diagram as a matplotlib Figure (one pixel of the SVG is 1/100 inch)."""
    from glassnet.plots._matplotlib import new_figure

    layout = network_layout(model, max_units=max_units, title=title)
    figure = new_figure(figsize=(layout.width / 100, layout.height / 100))
    from matplotlib.patches import Circle, Rectangle  # after new_figure: it names the extra

    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, layout.width)
    ax.set_ylim(layout.height, 0)  # y grows downwards, as in the SVG
    ax.set_axis_off()
    ax.text(layout.width / 2, 24, layout.title, ha="center", va="center", weight="bold")
    for bundle in layout.bundles:
        xs, ys = zip(*bundle.corners, strict=True)
        ax.fill(xs, ys, color=BUNDLE_FILL, alpha=0.6, zorder=1)
        ax.text(*bundle.middle, weights_text(bundle.count), ha="center", va="center", zorder=5)
    for edge in layout.edges:
        colour, width = layout.stroke(edge.value)
        ax.plot([edge.x1, edge.x2], [edge.y1, edge.y2], color=colour, lw=width * 0.72, alpha=0.75)
    shown = wants_values(layout, show_values)
    labels = value_labels(layout) if shown else []
    left_out = len(layout.edges) - len(labels) if shown else 0
    if labels:
        for label in labels:  # the SVG's spots: no two overlap
            ax.text(
                label.x,
                label.baseline,
                label.text,
                color=sign_colour(label.edge.value),
                fontsize=7,
                ha="center",
                va="baseline",
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
                zorder=4,
            )
    for name, x in weight_names(layout):
        ax.text(x, HEADING_Y, name, ha="center", weight="bold", color="#64748b")
    for column in layout.columns:
        ax.text(column.x, HEADING_Y, column.heading, ha="center", weight="bold")
        if column.collapsed:
            x, y, width, height = column.box
            ax.add_patch(Rectangle((x, y), width, height, fc=UNIT_FILL, ec=UNIT_STROKE, zorder=3))
            ax.text(
                column.x,
                column.ys[0],
                f"{_count(column)}\n{_noun(column)}",
                ha="center",
                va="center",
                zorder=5,
            )
        else:
            for label, y in zip(column.labels, column.ys, strict=True):
                ax.add_patch(Circle((column.x, y), RADIUS, fc=UNIT_FILL, ec=UNIT_STROKE, zorder=3))
                ax.text(column.x, y, label, ha="center", va="center", fontsize=8, zorder=5)
        if column.bias_y is not None:
            x, y, width, height = column.bias_box
            ax.add_patch(Rectangle((x, y), width, height, fc=BIAS_FILL, ec=UNIT_STROKE, zorder=3))
            ax.text(column.x, column.bias_y, "+1", ha="center", va="center", fontsize=8, zorder=5)
        for k, line in enumerate(column.caption_lines):
            ax.text(column.x, column.caption_y + 16 * k, line, ha="center", fontsize=8)
        ax.text(column.x, column.symbol_y, column.symbol, ha="center", fontsize=8, style="italic")
    if layout.legend:
        for k, line in enumerate(layout.legend):
            ax.text(10, legend_y(layout, k), line, fontsize=7, color="#475569")
        return figure
    y = layout.height - 14
    for x, colour, words in ((10, POSITIVE, "positive weight"), (140, NEGATIVE, "negative")):
        ax.plot([x, x + 24], [y, y], color=colour, lw=2.5)
        ax.text(x + 28, y, words, va="center", fontsize=7, color="#475569")
    if left_out and hover_note_fits(layout):  # a picture has no hover: say how many are missing
        words = f"{left_out} value{'s' if left_out > 1 else ''} left out for room"
        ax.text(350, y, words, va="center", fontsize=7, color="#475569")
    return figure
