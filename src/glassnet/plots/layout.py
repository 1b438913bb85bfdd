"""Where each unit and edge of a network diagram goes: one layout, drawn as SVG or by matplotlib.

Units are circles in columns, one column per layer (the inputs first). A Dense layer with a bias
gets a bias node ("+1") at the bottom of the column before it, with one edge per bias value. Each
weight W[i, j] of a Dense layer is an edge from unit i of the column before to unit j. A column
wider than ``max_units`` is collapsed into one box ("784 inputs"), and the edges touching it into
one grey band. Coordinates are in pixels, y growing downwards (as SVG has it).

>>> import glassnet as gn
>>> from glassnet.seed import seed_network
>>> layout = network_layout(seed_network())
>>> [column.units for column in layout.columns], len(layout.edges)
([3, 4, 1], 16)
>>> layout.columns[0].labels
['x0', 'x1', 'x2']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from glassnet.plots.colors import sign_colour

if TYPE_CHECKING:
    from glassnet.model import Sequential

COLUMN_GAP = 190.0  # px between columns
UNIT_GAP = 62.0  # px between unit centres in a column
RADIUS = 19.0  # px, a unit's circle
MARGIN_TOP = 70.0  # room for the title and the column headings
MARGIN_BOTTOM = 62.0  # room for the captions
MARGIN_SIDE = 90.0
COLLAPSED_HEIGHT = 150.0  # px, the box standing for a collapsed column
COLLAPSED_WIDTH = 68.0  # px
BIAS_SIZE = 28.0  # px, the side of a bias node's square
DEFAULT_MAX_UNITS = 12
AUTO_VALUES_LIMIT = 24  # edges; show_values=None writes values on edges up to this many
#: the layers a diagram of units can draw (a Dense layer's units; the others change their values);
#: any other (a convolution, a BatchNormalization even on flat inputs) is drawn as blocks
UNIT_KINDS = ("Dense", "Activation", "Dropout")
LEGEND_WIDTH = 350.0  # px, the legend of the edges' colours ("positive weight", "negative ...")

#: short glyphs written inside a unit's circle, by activation name
GLYPHS = {
    "sigmoid": "\u03c3",  # sigma
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": "lrelu",
    "softmax": "soft",
    "linear": "lin",
}


@dataclass
class Column:
    """One column of units: the inputs, or one Dense layer (with any Activation after it)."""

    heading: str  # "inputs", "layer 1" (the narration's numbering: model.layers from 1)
    caption: str  # "Dense(4, sigmoid)", "3 features"
    symbol: str  # the notebook's symbol for the column's values: "a0", "a1" ...
    units: int
    labels: list[str]
    x: float = 0.0
    ys: list[float] = field(default_factory=list)  # unit centres; one entry if collapsed
    collapsed: bool = False
    bias_y: float | None = None  # the bias node feeding the next column, if it has a bias
    shape: str | None = None  # an image model's column: its example shape, "8x8x1" or "10"
    box_height: float = COLLAPSED_HEIGHT  # px, a collapsed column's box (image blocks vary)
    box_width: float = COLLAPSED_WIDTH  # px
    caption_top: float | None = None  # where the caption goes (None: just below the column)
    weights_name: str = ""  # the weights feeding this column, as the narration names them: "W1, b1"

    @property
    def half_height(self) -> float:
        """Half the height of one unit's shape: a circle's radius, or half a collapsed box."""
        return self.box_height / 2 if self.collapsed else RADIUS

    @property
    def top(self) -> float:
        """The top of the first unit's shape."""
        return self.ys[0] - self.half_height

    @property
    def box(self) -> tuple[float, float, float, float]:
        """A collapsed column's box: (left x, top y, width, height)."""
        return self.x - self.box_width / 2, self.top, self.box_width, self.box_height

    @property
    def bias_box(self) -> tuple[float, float, float, float]:
        """The bias node's square (the column must have one): (left x, top y, width, height)."""
        if self.bias_y is None:
            raise ValueError("This column has no bias node; check column.bias_y first.")
        half = BIAS_SIZE / 2
        return self.x - half, self.bias_y - half, BIAS_SIZE, BIAS_SIZE

    @property
    def caption_lines(self) -> list[str]:
        """The caption, a line an entry (an image model's captions have two)."""
        return self.caption.split("\n")

    @property
    def caption_y(self) -> float:
        """The baseline of the caption's first line."""
        return (self.bottom if self.caption_top is None else self.caption_top) + 20

    @property
    def symbol_y(self) -> float:
        """The baseline of the symbol (a1, ...), below the caption."""
        return self.caption_y + 16 * len(self.caption_lines)

    @property
    def bottom(self) -> float:
        low = self.bias_y if self.bias_y is not None else self.ys[-1]
        return low + (self.box_height / 2 if self.collapsed and self.bias_y is None else RADIUS)


@dataclass
class Edge:
    """One weight (W[i, j]) or bias value (b[j]) drawn as a line from (x1, y1) to (x2, y2)."""

    layer: str
    kind: str  # "weight" or "bias"
    source: int  # i (for a bias: -1)
    target: int  # j
    value: float
    x1: float
    y1: float
    x2: float
    y2: float
    label_t: float = 0.3  # where along the edge (0: source, 1: target) its value is written
    symbol: str = ""  # the array, as the narration names it: "W1", "b1" ("": layer.W / layer.b)

    @property
    def name(self) -> str:
        """The entry, as the narration names it: "W1[0, 2]", "b2[0]"."""
        index = f"{self.source}, {self.target}" if self.kind == "weight" else f"{self.target}"
        letter = "W" if self.kind == "weight" else "b"
        return f"{self.symbol or self.layer + '.' + letter}[{index}]"


@dataclass
class Bundle:
    """The edges between two columns when either is collapsed: a band, with the weight count."""

    layer: str
    count: int
    left: Column
    right: Column

    @property
    def corners(self) -> list[tuple[float, float]]:
        """The band's four corners, clockwise from the top left."""
        left, right = self.left, self.right
        return [
            (left.x, left.top),
            (right.x, right.top),
            (right.x, right.ys[-1] + right.half_height),
            (left.x, left.ys[-1] + left.half_height),
        ]

    @property
    def middle(self) -> tuple[float, float]:
        """Where the weight count is written: halfway between the two columns' first units."""
        left, right = self.left, self.right
        return (left.x + right.x) / 2, (left.ys[0] + right.ys[0]) / 2


@dataclass
class Layout:
    title: str
    width: float
    height: float
    columns: list[Column]
    edges: list[Edge]
    bundles: list[Bundle]
    largest: float  # the largest |value| among the edges drawn (for line widths)
    legend: tuple[str, ...] = ()  # an image model's legend lines (a net of units: the edges')

    def stroke(self, value: float) -> tuple[str, float]:
        """Colour by sign, width by magnitude: 0.6 px for zero up to 5.6 px for the largest."""
        colour = sign_colour(value)
        scale = abs(value) / self.largest if self.largest > 0 else 0.0
        return colour, 0.6 + 5.0 * scale


def network_layout(
    model: Sequential, max_units: int = DEFAULT_MAX_UNITS, title: str | None = None
) -> Layout:
    """Place the units, bias nodes and edges of a built ``Sequential`` model."""
    from glassnet.model import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"Expected a glassnet.Sequential model, got {type(model).__name__}.")
    if isinstance(max_units, bool) or not isinstance(max_units, int) or max_units < 1:
        raise ValueError(f"Expected max_units to be a positive integer, got {max_units!r}.")
    if not model.built:
        raise ValueError(
            "The model is not built yet, so it has no weights to draw: call "
            "model.build((None, n_features)) or start it with glassnet.Input(shape=...)."
        )
    if len(model.example_shape) > 1 or any(layer.kind not in UNIT_KINDS for layer in model.layers):
        from glassnet.plots.blocks import image_layout  # it builds on this module's classes

        return image_layout(model, title)
    columns, dense = _columns(model)
    for column in columns:
        column.collapsed = column.units > max_units
    for column, layer in zip(columns[:-1], dense, strict=True):
        column.bias_y = 0.0 if layer.use_bias else None  # placed below
    gap = _column_gap(columns)
    place(columns, gap)
    edges, bundles = _edges(columns, dense, [model.layers.index(layer) + 1 for layer in dense])
    largest = max((abs(edge.value) for edge in edges), default=0.0)
    height = max(column.bottom for column in columns) + MARGIN_BOTTOM
    width = max(2 * MARGIN_SIDE + gap * (len(columns) - 1), LEGEND_WIDTH)
    shape = "-".join(str(column.units) for column in columns)
    return Layout(
        _fitted_title(title or f"{model.name}: {shape}", width),
        width,
        height,
        columns,
        edges,
        bundles,
        largest,
    )


def _column_gap(columns: list[Column]) -> float:
    """Room between column centres: ``COLUMN_GAP``, or more when a caption ("Dense(16,
    leaky_relu) + Dropout") or heading is wider than that, with a margin."""
    from glassnet.plots.blocks import text_width  # blocks builds on this module

    widest = max(
        max(text_width(line, 12) for line in [*column.caption_lines, column.symbol])
        for column in columns
    )
    headings = max(text_width(column.heading, 12, bold=True) for column in columns)
    return max(COLUMN_GAP, widest + 24, headings + 24)


def _fitted_title(title: str, width: float) -> str:
    """``title``, cut with "..." to what fits across ``width`` px in bold 15 px."""
    from glassnet.plots.blocks import CHAR_WIDTH, cut

    return cut(title, int((width - 20) / (15 * (CHAR_WIDTH + 0.04))))


def _columns(model: Sequential) -> tuple[list[Column], list]:
    features = model.input_features
    columns = [
        Column(
            "inputs",
            f"{features} features",
            "a0 = x",
            features,
            [f"x{i}" for i in range(features)],
        )
    ]
    dense = []
    for position, layer in enumerate(model.layers, start=1):  # the narration's numbering
        if layer.kind == "Dense":
            glyph = GLYPHS.get(layer.activation.name, layer.activation.name[:4])
            caption = f"Dense({layer.units}, {layer.activation.name})"
            column = Column(
                f"layer {position}", caption, f"a{position}", layer.units, [glyph] * layer.units
            )
            column.weights_name = f"W{position}" + (f", b{position}" if layer.use_bias else "")
            columns.append(column)
            dense.append(layer)
        else:  # a weightless layer (Activation): it changes the values, not the units
            name = getattr(getattr(layer, "activation", None), "name", layer.kind)
            columns[-1].caption += f" + {name}"
            columns[-1].labels = [GLYPHS.get(name, name[:4])] * columns[-1].units
            columns[-1].symbol = f"a{position}"  # the column shows this layer's output
            if columns[-1].heading.startswith("layer"):
                first = columns[-1].heading.split()[-1].split("-")[0]
                columns[-1].heading = f"layers {first}-{position}"
    return columns, dense


def place(columns: list[Column], gap: float = COLUMN_GAP, side: float = MARGIN_SIDE) -> None:
    """Put the columns ``gap`` px apart, the first ``side`` px from the left edge, each centred
    on the tallest one's middle."""

    def extent(column: Column) -> float:
        body = column.box_height if column.collapsed else UNIT_GAP * (column.units - 1)
        return body + (UNIT_GAP if column.bias_y is not None else 0.0)

    tallest = max(extent(column) for column in columns)
    for index, column in enumerate(columns):
        column.x = side + gap * index
        first = MARGIN_TOP + RADIUS + (tallest - extent(column)) / 2
        if column.collapsed:
            column.ys = [first + column.box_height / 2]
            last = first + column.box_height
        else:
            column.ys = [first + UNIT_GAP * i for i in range(column.units)]
            last = column.ys[-1]
        if column.bias_y is not None:
            column.bias_y = last + UNIT_GAP


def _edges(
    columns: list[Column], dense: list, positions: list[int]
) -> tuple[list[Edge], list[Bundle]]:
    edges: list[Edge] = []
    bundles: list[Bundle] = []
    for left, right, layer, position in zip(
        columns[:-1], columns[1:], dense, positions, strict=True
    ):
        if left.collapsed or right.collapsed:
            bundles.append(Bundle(layer.name, layer.count_params(), left, right))
            continue
        kernel = np.asarray(layer.kernel, dtype=np.float64)  # (n_in, units)
        for i in range(left.units):
            for j in range(right.units):
                edges.append(
                    Edge(
                        layer.name,
                        "weight",
                        i,
                        j,
                        float(kernel[i, j]),
                        left.x,
                        left.ys[i],
                        right.x,
                        right.ys[j],
                        _label_t(j, right.units),
                        f"W{position}",
                    )
                )
        if layer.use_bias:
            for j, value in enumerate(np.asarray(layer.bias, dtype=np.float64)):
                edges.append(
                    Edge(
                        layer.name,
                        "bias",
                        -1,
                        j,
                        float(value),
                        left.x,
                        left.bias_y,
                        right.x,
                        right.ys[j],
                        _label_t(j, right.units),
                        f"b{position}",
                    )
                )
    return edges, bundles


def _label_t(target: int, targets: int) -> float:
    """Stagger the values of the edges leaving one unit along x by their target, so that they
    fan out instead of piling up beside the source (0.15 for the first target up to 0.75)."""
    return 0.15 + 0.6 * (target + 0.5) / targets


def wants_values(layout: Layout, show_values: bool | None) -> bool:
    """``show_values`` None means: values on the edges when there are few enough to read."""
    if show_values is None:
        return len(layout.edges) <= AUTO_VALUES_LIMIT
    return bool(show_values)
