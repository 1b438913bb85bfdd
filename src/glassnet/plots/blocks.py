"""An image model's diagram: one block a layer, with what one example looks like after it.

A convolutional network has thousands of units, too many to draw one by one, so each layer is a
box holding the shape of one example after it ("28x28x1 image", "26x26x8 image", "10 values"),
the box as tall as the image is high (a vector's box is the smallest), joined by bands that carry
the layer's weight count. Under each box: what the layer does on two lines ("Conv2D 8 3x3" and
"stride 2x2, same, relu"), then its symbol (a1, a2, ...).

Columns are headed as the narration counts the layers ("layer 2"), with the weights between them
named as it names them ("K2, b2"); a layer's own name is in its band's tooltip. No two labels
overlap: the columns are set as far apart as the widest label needs, a label too long for any room
(a model name of 250 characters) is cut with "...", and ``label_boxes(layout)`` gives every label's
box (estimated from its length and font size) so a test can check that.

>>> import glassnet as gn
>>> from glassnet.layers import Conv2D, Flatten, MaxPooling2D
>>> model = gn.Sequential([gn.Input(shape=(28, 28, 1)), Conv2D(8, 3), MaxPooling2D(), Flatten()])
>>> layout = image_layout(model)
>>> layout.title
'sequential: 28x28x1 -> 26x26x8 -> 13x13x8 -> 1352'
>>> [column.caption_lines for column in layout.columns[1:3]]
[['Conv2D 8 3x3', ''], ['MaxPooling2D 2x2', '']]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glassnet.plots.layout import (
    COLUMN_GAP,
    MARGIN_BOTTOM,
    MARGIN_SIDE,
    Bundle,
    Column,
    Layout,
    place,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

CHAR_WIDTH = 0.62  # a Helvetica character's width, in font sizes, generously (bold: 0.66)
SMALLEST_BOX = 52.0  # px, the box of a vector (and of the smallest image)
TALLEST_BOX = 150.0  # px, the box of the tallest image
LONGEST_LABEL = 30  # characters: a longer heading is cut
LEGEND = (
    "box: what one example is after the layer (height x width x channels)",
    "band: the layer's weights (its parameter count)",
)


def shape_text(shape: tuple[int, ...]) -> str:
    """An example's shape as the diagram writes it: (8, 8, 1) -> "8x8x1"."""
    return "x".join(str(n) for n in shape)


def layer_caption(layer: Any) -> tuple[str, str]:
    """What a layer does, as two short lines: ("Conv2D 8 3x3", "stride 2x2, same, relu")."""
    details = []
    if layer.kind == "Conv2D":
        first = f"Conv2D {layer.filters} {shape_text(layer.kernel_size)}"
        if layer.strides != (1, 1):
            details.append(f"stride {shape_text(layer.strides)}")
        if layer.padding != "valid":
            details.append(layer.padding)
    elif layer.kind in ("MaxPooling2D", "AveragePooling2D"):
        first = f"{layer.kind} {shape_text(layer.pool_size)}"
        if layer.strides != layer.pool_size:
            details.append(f"stride {shape_text(layer.strides)}")
        if layer.padding != "valid":
            details.append(layer.padding)
    elif layer.kind == "Dense":
        first = f"Dense({layer.units})"
    elif layer.kind == "Rescaling":
        inverse = 1 / layer.scale
        whole = abs(inverse - round(inverse)) < 1e-9 * abs(inverse) and abs(inverse) > 1
        first = f"Rescaling x 1/{round(inverse)}" if whole else f"Rescaling x {layer.scale:.4g}"
        if layer.offset:
            details.append(f"{layer.offset:+.4g}")
    else:
        first = layer.kind
    activation = getattr(getattr(layer, "activation", None), "name", "linear")
    if activation != "linear":
        details.append(activation)
    return first, ", ".join(details)


def layer_description(layer: Any) -> str:
    """``layer_caption`` on one line: "Conv2D 8 3x3, relu"."""
    return ", ".join(part for part in layer_caption(layer) if part)


def parameters_name(layer: Any, position: int) -> str:
    """A layer's weights as the narration names them: "K2, b2" (a Conv2D), "W5, b5" (a Dense),
    "gamma3, beta3" (a BatchNormalization); "" for a layer without weights."""
    letters = {"kernel": "K" if layer.kind == "Conv2D" else "W", "bias": "b"}
    return ", ".join(f"{letters.get(name, name)}{position}" for name in layer.parameter_names)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in px of ``text`` at font ``size``, estimated generously."""
    return len(text) * size * (CHAR_WIDTH + (0.04 if bold else 0.0))


def cut(text: str, limit: int = LONGEST_LABEL) -> str:
    """``text``, or its start and "..." when longer than ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def weights_text(count: int) -> str:
    """A band's label: "no weights", "1 weight", "80 weights"."""
    return "no weights" if count == 0 else f"{count} weight{'' if count == 1 else 's'}"


def image_layout(model: Sequential, title: str | None = None) -> Layout:
    """The blocks of a built image model (see the module's docstring)."""
    shape = model.example_shape
    shapes = [shape]
    columns = [Column("inputs", f"{shape_text(shape)} image\n", "a0 = x", math.prod(shape), [])]
    bundles = []
    for index, layer in enumerate(model.layers, start=1):
        shape = layer.compute_output_shape(shape)
        shapes.append(shape)
        caption = "\n".join(layer_caption(layer))
        # headed as the narration counts ("layer 2"); its weights named as it names them ("K2, b2")
        column = Column(f"layer {index}", caption, f"a{index}", math.prod(shape), [])
        column.weights_name = parameters_name(layer, index)
        columns.append(column)
        bundles.append(Bundle(layer.name, layer.count_params(), columns[-2], column))
    tallest = max((example[0] for example in shapes if len(example) == 3), default=1)
    for column, example in zip(columns, shapes, strict=True):
        column.collapsed = True
        column.shape = shape_text(example)
        ratio = example[0] / tallest if len(example) == 3 else 0.0
        column.box_height = SMALLEST_BOX + (TALLEST_BOX - SMALLEST_BOX) * ratio
        column.box_width = max(68.0, text_width(column.shape, 12, bold=True) + 14)
    gap = _column_gap(columns, bundles)
    side = max(MARGIN_SIDE, max(_widest(column) for column in (columns[0], columns[-1])) / 2 + 12)
    place(columns, gap, side)
    caption_top = max(column.bottom for column in columns)
    for column in columns:
        column.caption_top = caption_top  # one baseline for every caption
    height = columns[0].symbol_y + 14 + 22 * len(LEGEND) + MARGIN_BOTTOM / 3
    legend_width = max(text_width(line, 11) for line in LEGEND) + 20
    width = max(2 * side + gap * (len(columns) - 1), legend_width)
    chain = " -> ".join(column.shape or "" for column in columns)
    full = title or f"{model.name}: {chain}"
    room = int((width - 20) / (15 * (CHAR_WIDTH + 0.04)))
    return Layout(cut(full, room), width, height, columns, [], bundles, 0.0, LEGEND)


def _column_gap(columns: list[Column], bundles: list[Bundle]) -> float:
    """Room between column centres: the widest heading or caption line, or a band's label
    between two boxes, each with a margin."""
    widest = max(_widest(column) for column in columns)
    band = max(text_width(weights_text(b.count), 12) for b in bundles) if bundles else 0.0
    boxes = max(column.box_width for column in columns)
    return max(COLUMN_GAP, widest + 24, band + boxes + 24)


def _widest(column: Column) -> float:
    """The widest label of a column: its heading, a caption line, its box or the name of the
    weights before it (between it and the column before: counted whole, generously)."""
    lines = [text_width(line, 12) for line in column.caption_lines]
    heading = text_width(column.heading, 12, bold=True)
    return max(heading + text_width(column.weights_name, 12, bold=True), column.box_width, *lines)


@dataclass
class Label:
    """One piece of text of a diagram and its box (px, y down): the test for overlaps."""

    text: str
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Label) -> bool:
        return not (
            self.right <= other.left
            or other.right <= self.left
            or self.bottom <= other.top
            or other.bottom <= self.top
        )


def _label(
    text: str, x: float, baseline: float, size: float, bold: bool = False, anchor: str = "middle"
) -> Label:
    width = text_width(text, size, bold)
    left = x - width / 2 if anchor == "middle" else x
    return Label(text, left, baseline - 0.8 * size, left + width, baseline + 0.25 * size)


def label_boxes(layout: Layout) -> list[Label]:
    """Every text an image model's SVG diagram writes, with its estimated box; empty texts are
    left out."""
    labels = [_label(layout.title, layout.width / 2, 24, 15, bold=True)]
    for column in layout.columns:
        labels.append(_label(column.heading, column.x, 52, 12, bold=True))
        labels.append(_label(column.shape or "", column.x, column.ys[0] - 4, 12, bold=True))
        labels.append(_label(_noun(column), column.x, column.ys[0] + 12, 12))
        for k, line in enumerate(column.caption_lines):
            labels.append(_label(line, column.x, column.caption_y + 16 * k, 12))
        labels.append(_label(column.symbol, column.x, column.symbol_y, 12))
    for bundle in layout.bundles:
        labels.append(_label(weights_text(bundle.count), *bundle.middle, 12))
    for left, right in zip(layout.columns[:-1], layout.columns[1:], strict=True):
        labels.append(_label(right.weights_name, (left.x + right.x) / 2, 52, 12, bold=True))
    for k, line in enumerate(layout.legend):
        labels.append(_label(line, 10, legend_y(layout, k), 11, anchor="start"))
    return [label for label in labels if label.text]


def legend_y(layout: Layout, line: int) -> float:
    """The baseline of the legend's line ``line`` (image models: below the symbols)."""
    return layout.height - 10 - 18 * (len(layout.legend) - 1 - line)


def _noun(column: Column) -> str:
    return "image" if column.shape is not None and "x" in column.shape else "values"
