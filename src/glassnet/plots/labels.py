"""Where a network diagram writes its weights' values, so that no two labels overlap.

Each value is written on its own edge, at a fraction t of the way from the edge's source
(``Edge.label_t``, staggered by target so that the values leaving one unit fan out). When that
spot is taken the label slides along its edge to the nearest free spot between t = 0.12 and
0.88; when the whole edge is taken, the value is left out (the edge's hover ``<title>`` still
holds it, as every edge's does). A spot is free when the label's box stays inside the picture
and meets no other label, no text of the diagram (title, headings, captions, legend) and no
unit or bias square. The largest weights are placed first, so they are the last to be left out.

``text_boxes(layout, labels)`` lists every text of the diagram with its box, estimated from its
length and font size (``glassnet.plots.blocks.text_width``, generous for Helvetica and DejaVu
Sans): the test for overlaps reads it, and a browser test measures the same texts.

>>> from glassnet.seed import seed_network
>>> from glassnet.plots.layout import network_layout
>>> layout = network_layout(seed_network())
>>> labels = value_labels(layout)
>>> len(labels), len(layout.edges), labels[0].text  # room for all 16; the largest goes first
(16, 16, '0.88')
>>> boxes = [label.box for label in labels]
>>> any(a.overlaps(b) for n, a in enumerate(boxes) for b in boxes[n + 1 :])
False
"""

from __future__ import annotations

from dataclasses import dataclass

from glassnet.plots.blocks import Label, text_width, weights_text
from glassnet.plots.layout import RADIUS, Edge, Layout

VALUE_SIZE = 10.0  # px, the font size of a value on an edge
HEADING_Y = 52.0  # the baseline of the column headings and the weights' names between them
TITLE_Y = 24.0
LEGEND_SIZE = 11.0
LOWEST_T, HIGHEST_T, T_STEP = 0.12, 0.88, 0.02  # where along an edge a label may go
GAP = 1.5  # px kept free around a value's box
#: the legend of a network of units: (x of the swatch, x of the text, the text)
LEGEND = ((10.0, 38.0, "positive weight"), (140.0, 168.0, "negative (thicker: larger)"))
HOVER_NOTE = "hover an edge for its value"


@dataclass
class ValueLabel:
    """One weight's value written on its edge: centred on ``x``, its baseline at ``baseline``."""

    edge: Edge
    text: str
    x: float
    baseline: float

    @property
    def box(self) -> Label:
        return value_box(self.text, self.x, self.baseline)


def value_text(value: float) -> str:
    """How a value is written on its edge: two decimals ("-0.17")."""
    return f"{value:.2f}"


def value_box(text: str, x: float, baseline: float) -> Label:
    """The box of a value centred on ``x``, with room ``GAP`` around it."""
    half = text_width(text, VALUE_SIZE) / 2 + GAP
    return Label(
        text, x - half, baseline - 0.8 * VALUE_SIZE - GAP, x + half, baseline + 0.25 * VALUE_SIZE
    )


def baseline_of(y: float) -> float:
    """The baseline that centres a value's text on the point (x, y) of its edge."""
    return y + 0.35 * VALUE_SIZE


def _spots(edge: Edge) -> list[float]:
    """The fractions t to try, nearest ``edge.label_t`` first."""
    steps = round((HIGHEST_T - LOWEST_T) / T_STEP)
    grid = [LOWEST_T + T_STEP * k for k in range(steps + 1)]
    return [edge.label_t, *sorted(grid, key=lambda t: (abs(t - edge.label_t), t))]


class _Taken:
    """The boxes placed so far, filed by ``CELL``-pixel squares of the picture, so that a new box
    is tested only against those in its own squares (testing every box against every other was
    quadratic: 40 s for a 12-unit, 30-layer net drawn with show_values=True). Two boxes that
    overlap share a point, so they share a square: the answers are the same."""

    CELL = 64.0

    def __init__(self, boxes: list[Label]) -> None:
        self.strips: dict[tuple[int, int], list[Label]] = {}
        for box in boxes:
            self.append(box)

    def _strips(self, box: Label) -> list[tuple[int, int]]:
        xs = range(int(box.left // self.CELL), int(box.right // self.CELL) + 1)
        ys = range(int(box.top // self.CELL), int(box.bottom // self.CELL) + 1)
        return [(x, y) for x in xs for y in ys]

    def append(self, box: Label) -> None:
        for strip in self._strips(box):
            self.strips.setdefault(strip, []).append(box)

    def hit(self, box: Label) -> bool:
        return any(box.overlaps(o) for s in self._strips(box) for o in self.strips.get(s, ()))


def value_labels(layout: Layout) -> list[ValueLabel]:
    """The values that fit on their edges, largest |value| first (the rest are left out)."""
    taken = _Taken(obstacles(layout))
    placed: list[ValueLabel] = []
    order = sorted(range(len(layout.edges)), key=lambda k: (-abs(layout.edges[k].value), k))
    for index in order:
        edge = layout.edges[index]
        text = value_text(edge.value)
        for t in _spots(edge):
            x = edge.x1 + t * (edge.x2 - edge.x1)
            label = ValueLabel(edge, text, x, baseline_of(edge.y1 + t * (edge.y2 - edge.y1)))
            box = label.box
            inside = box.left >= 0 and box.top >= 0
            inside = inside and box.right <= layout.width and box.bottom <= layout.height
            if inside and not taken.hit(box):
                placed.append(label)
                taken.append(box)
                break
    return placed


def obstacles(layout: Layout) -> list[Label]:
    """What a value may not cover: every text of the diagram, every unit and bias square."""
    shapes = []
    for column in layout.columns:
        if column.collapsed:
            x, y, width, height = column.box
            shapes.append(Label("", x, y, x + width, y + height))
        else:
            left, right = column.x - RADIUS, column.x + RADIUS
            shapes += [Label("", left, y - RADIUS, right, y + RADIUS) for y in column.ys]
        if column.bias_y is not None:
            x, y, width, height = column.bias_box
            shapes.append(Label("", x, y, x + width, y + height))
    return shapes + text_boxes(layout, [], hover_note=True)


def _text(
    text: str, x: float, baseline: float, size: float, bold: bool = False, start: bool = False
) -> Label:
    width = text_width(text, size, bold)
    left = x if start else x - width / 2
    return Label(text, left, baseline - 0.8 * size, left + width, baseline + 0.25 * size)


def weight_names(layout: Layout) -> list[tuple[str, float]]:
    """The name of each layer's weights ("W1", "W1, b1") and the x it is written at: between
    its two columns, on the headings' line."""
    names = []
    for left, right in zip(layout.columns[:-1], layout.columns[1:], strict=True):
        if right.weights_name:
            names.append((right.weights_name, (left.x + right.x) / 2))
    return names


def hover_note_fits(layout: Layout) -> bool:
    """Whether the legend has room after its two entries for ``HOVER_NOTE``."""
    return 350 + text_width(HOVER_NOTE, LEGEND_SIZE) <= layout.width - 6


def text_boxes(layout: Layout, labels: list[ValueLabel], hover_note: bool = False) -> list[Label]:
    """Every text the SVG diagram of a network of units writes, with its estimated box: the
    title, the headings and weights' names, the units' glyphs and "+1"s, a collapsed column's
    count, the bands' weight counts, the captions, the symbols, the legend and ``labels``.
    ``hover_note``: count the legend's "hover an edge" note as if written (it is written when
    values were left out and it fits)."""
    boxes = [_text(layout.title, layout.width / 2, TITLE_Y, 15, bold=True)]
    for name, x in weight_names(layout):
        boxes.append(_text(name, x, HEADING_Y, 12, bold=True))
    for column in layout.columns:
        boxes.append(_text(column.heading, column.x, HEADING_Y, 12, bold=True))
        if column.collapsed:
            boxes.append(_text(str(column.units), column.x, column.ys[0] - 4, 12, bold=True))
            noun = "inputs" if column.heading == "inputs" else "units"
            boxes.append(_text(noun, column.x, column.ys[0] + 12, 12))
        else:
            for label, y in zip(column.labels, column.ys, strict=True):
                boxes.append(_text(label, column.x, y + 4, 12))
        if column.bias_y is not None:
            boxes.append(_text("+1", column.x, column.bias_y + 4, 12))
        for k, line in enumerate(column.caption_lines):
            boxes.append(_text(line, column.x, column.caption_y + 16 * k, 12))
        boxes.append(_text(column.symbol, column.x, column.symbol_y, 12))
    for bundle in layout.bundles:
        boxes.append(_text(weights_text(bundle.count), *bundle.middle, 12))
    y = layout.height - 12
    for _, x, words in LEGEND:
        boxes.append(_text(words, x, y, LEGEND_SIZE, start=True))
    if hover_note and hover_note_fits(layout):
        boxes.append(_text(HOVER_NOTE, 350, y, LEGEND_SIZE, start=True))
    boxes += [label.box for label in labels]
    return [box for box in boxes if box.text]
