"""The diagram of a network of units: the weights' values are written where there is room and
never overlap one another nor any other text, unit or bias square; every edge keeps its name and
full value as a hover title; the headings use the narration's names (layer 1, W1, b1, a1).
Checked on the estimated boxes (``glassnet.plots.labels``) and on the boxes Chromium lays out
(``getBBox``)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import glassnet as gn
from glassnet import plots
from glassnet.plots.labels import obstacles, text_boxes, value_labels
from glassnet.plots.layout import network_layout
from glassnet.seed import seed_network
from helpers import chromium_page

SVG = "{http://www.w3.org/2000/svg}"


def dense_net(*sizes: int, activation: str = "tanh") -> gn.Sequential:
    layers = [gn.layers.Dense(units, activation) for units in sizes[1:]]
    return gn.Sequential([gn.Input(shape=(sizes[0],)), *layers], seed=0)


NETS = {
    "seed 3-4-1": seed_network,
    "2-8-8-1": lambda: dense_net(2, 8, 8, 1),
    "4-16-3": lambda: dense_net(4, 16, 3, activation="relu"),
}
#: (net, max_units): 4-16-3 both with every unit drawn and with its hidden layer collapsed
CASES = [
    ("seed 3-4-1", 12),
    ("2-8-8-1", 12),
    ("4-16-3", 16),
    ("4-16-3", 12),
]


def overlapping(boxes) -> list[tuple[str, str]]:
    return [(a.text, b.text) for n, a in enumerate(boxes) for b in boxes[n + 1 :] if a.overlaps(b)]


@pytest.mark.parametrize(("net", "max_units"), CASES)
def test_estimated_label_boxes_never_meet(net: str, max_units: int) -> None:
    layout = network_layout(NETS[net](), max_units=max_units)
    labels = value_labels(layout)
    boxes = text_boxes(layout, labels)
    assert overlapping(boxes) == []
    for box in boxes:  # inside the picture
        assert box.left >= 0 and box.right <= layout.width, box.text
        assert box.top >= 0 and box.bottom <= layout.height, box.text
    shapes = [shape for shape in obstacles(layout) if not shape.text]  # units, +1 squares
    assert [
        (label.text, shape) for label in labels for shape in shapes if label.box.overlaps(shape)
    ] == []
    for label in labels:  # each value is written on its own edge, between its two ends
        edge = label.edge
        t = (label.x - edge.x1) / (edge.x2 - edge.x1)
        assert 0.1 < t < 0.9
        assert label.text == f"{edge.value:.2f}"


def test_the_seed_network_keeps_every_value_and_big_nets_drop_some() -> None:
    seed = network_layout(seed_network())
    assert len(value_labels(seed)) == len(seed.edges) == 16  # room for all 16 weights
    big = network_layout(dense_net(2, 8, 8, 1))
    kept = value_labels(big)
    assert 0 < len(kept) < len(big.edges)  # 105 edges: no room for all
    # the largest weights are the last to go: each value left out is no larger than the smallest
    # kept value on its side of the picture would need; at least the largest is always kept
    assert max(abs(edge.value) for edge in big.edges) == max(abs(lab.edge.value) for lab in kept)


def test_every_edge_keeps_a_title_with_its_full_value() -> None:
    model = dense_net(2, 8, 8, 1)
    root = ET.fromstring(plots.network_svg(model, show_values=True))
    lines = root.findall(f".//{SVG}line[@class='edge weight']") + root.findall(
        f".//{SVG}line[@class='edge bias']"
    )
    assert len(lines) == 2 * 8 + 8 * 8 + 8 + 8 + 8 + 1
    titles = {line.find(f"{SVG}title").text for line in lines}
    kernel = model.layers[1].kernel  # W2, (8, 8)
    assert f"W2[3, 5] = {float(kernel[3, 5])!r}" in titles  # the full value, not 2 decimals
    assert f"b3[0] = {float(model.layers[2].bias[0])!r}" in titles
    written = root.findall(f".//{SVG}g[@class='value-label']")
    assert 0 < len(written) < len(lines)
    for group in written:  # a written value carries the same title as its edge
        assert group.find(f"{SVG}title").text in titles
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "hover-note"]
    assert legend == ["hover an edge for its value"]  # some values were left out
    seed = ET.fromstring(plots.network_svg(seed_network()))
    assert not [t for t in seed.iter(f"{SVG}text") if t.get("class") == "hover-note"]


def test_headings_use_the_narrations_names() -> None:
    model = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            gn.layers.Dense(3),
            gn.layers.Activation("relu"),
            gn.layers.Dense(1, "sigmoid", use_bias=False),
        ],
        seed=0,
    )
    model.compile("sgd", "mse")
    trace = model.trace_step([[0.0, 1.0]], [[1.0]])
    assert {"W1", "b1", "a2", "W3", "a3"} <= set(trace.symbols())  # the narration's names
    root = ET.fromstring(plots.network_svg(model))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert [t for t in texts if t in ("inputs", "layers 1-2", "layer 3")] == [
        "inputs",
        "layers 1-2",
        "layer 3",
    ]
    assert "W1, b1" in texts and "W3" in texts and "a2" in texts and "a3" in texts
    assert not [t for t in texts if t and "dense" in t]
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "W3[2, 0] = " + repr(float(model.layers[2].kernel[2, 0])) in titles


def test_long_captions_and_titles_keep_their_distance() -> None:
    """Cousins: a caption wider than the columns' gap, a model name of 250 characters."""
    model = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            gn.layers.Dense(3, "leaky_relu"),
            gn.layers.Dropout(0.5),
            gn.layers.Activation("softmax"),
            gn.layers.Dense(2, "leaky_relu"),
        ],
        name="m" * 250,
    )
    layout = network_layout(model)
    boxes = text_boxes(layout, value_labels(layout))
    assert overlapping(boxes) == []
    assert all(box.left >= 0 and box.right <= layout.width for box in boxes)
    assert layout.title.endswith("...")


SVG_TEXT_BOXES = """() => Array.from(document.querySelectorAll('svg')).map((svg) => ({
    width: svg.viewBox.baseVal.width, height: svg.viewBox.baseVal.height,
    texts: Array.from(svg.querySelectorAll('text')).filter(
        (t) => t.textContent.trim() !== '').map((t) => {
            const box = t.getBBox();
            return [t.textContent, box.x, box.y, box.width, box.height];
        }),
}))"""


def test_label_boxes_in_chromium_never_meet() -> None:
    svgs = [
        plots.network_svg(NETS[net](), show_values=True, max_units=units) for net, units in CASES
    ]
    page_html = "<!DOCTYPE html><html><body>" + "".join(svgs) + "</body></html>"
    with chromium_page({"width": 1200, "height": 900}) as (page, problems, _):
        page.set_content(page_html)
        found = page.evaluate(SVG_TEXT_BOXES)
    assert problems == []
    assert len(found) == len(CASES)
    for (net, _units), svg in zip(CASES, found, strict=True):
        boxes = svg["texts"]
        assert len(boxes) > 10
        pairs = [
            (a, b)
            for n, (a, ax, ay, aw, ah) in enumerate(boxes)
            for b, bx, by, bw, bh in boxes[n + 1 :]
            if ax < bx + bw - 0.5
            and bx < ax + aw - 0.5
            and ay < by + bh - 0.5
            and by < ay + ah - 0.5
        ]
        assert pairs == [], net
        for text, x, y, width, height in boxes:  # inside the picture
            assert x >= 0 and y >= 0, (net, text)
            assert x + width <= svg["width"] and y + height <= svg["height"], (net, text)


def test_a_flat_net_with_dropout_or_batch_normalization_is_drawn() -> None:
    """Cousin: Dropout and BatchNormalization take images too, so a flat net holding one was
    sent to the image blocks, which looked for an image and failed (max() of nothing)."""
    dropout = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(3), gn.layers.Dropout(0.5), gn.layers.Dense(1)]
    )
    root = ET.fromstring(plots.network_svg(dropout))
    assert len(root.findall(f".//{SVG}circle")) == 2 + 3 + 1  # drawn unit by unit
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Dense(3, linear) + Dropout" in texts and "layers 1-2" in texts
    normalized = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            gn.layers.Dense(3),
            gn.layers.BatchNormalization(),
            gn.layers.Dense(1),
        ]
    )
    root = ET.fromstring(plots.network_svg(normalized))  # as blocks, one a layer
    assert len(root.findall(f".//{SVG}rect[@class='collapsed']")) == 4


def test_the_matplotlib_diagram_writes_the_same_values_and_says_how_many_are_missing() -> None:
    model = dense_net(2, 8, 8, 1)
    layout = network_layout(model)
    kept = value_labels(layout)
    figure = plots.network_figure(model, show_values=True)
    texts = [text.get_text() for text in figure.axes[0].texts]
    assert sorted(t for t in texts if re.fullmatch(r"-?\d+\.\d\d", t)) == sorted(
        label.text for label in kept
    )
    missing = len(layout.edges) - len(kept)
    assert missing >= 1 and f"{missing} value{'s' * (missing > 1)} left out for room" in texts
    seed = [text.get_text() for text in plots.network_figure(seed_network()).axes[0].texts]
    assert not [text for text in seed if "left out" in text]  # all 16 fit


def test_a_huge_weight_is_left_out_or_fits_never_spills() -> None:
    """A weight of 1e30 writes 34 characters, wider than the gap between two columns: no spot
    holds it, so it is left out (1e15's 19 characters still fit)."""
    model = seed_network()
    kernel = model.layers[0].kernel.copy()
    kernel[0, 0], kernel[1, 1] = 1e30, 1e15
    model.layers[0].set_weights([kernel])
    layout = network_layout(model)
    labels = value_labels(layout)
    boxes = text_boxes(layout, labels)
    assert overlapping(boxes) == []
    assert all(box.left >= 0 and box.right <= layout.width for box in boxes)
    written = [label.text for label in labels]
    assert "1000000000000000.00" in written and not [text for text in written if len(text) > 30]
    svg = plots.network_svg(model)
    assert "W1[0, 0] = 1e+30</title>" in svg  # the hover title still has it


def test_placing_values_tests_each_box_only_against_its_neighbours(monkeypatch) -> None:
    """Each value was tested against every box placed before it: 17 million overlap tests for a
    12-unit, 10-layer net (40 s at 30 layers with show_values=True). Filed by strips of x, the
    same labels come out with about a million (counted, not timed)."""
    from glassnet.plots import blocks

    model = gn.Sequential(
        [gn.Input((12,)), *(gn.layers.Dense(12, "tanh") for _ in range(10))], seed=0
    )
    layout = network_layout(model)

    def brute_force() -> list[tuple[str, float, float]]:  # the rule as the docstring says it
        taken, placed = obstacles(layout), []
        order = sorted(range(len(layout.edges)), key=lambda k: (-abs(layout.edges[k].value), k))
        for index in order:
            edge = layout.edges[index]
            for label in value_labels_spots(edge):
                box = label.box
                inside = box.left >= 0 and box.top >= 0
                inside = inside and box.right <= layout.width and box.bottom <= layout.height
                if inside and not any(box.overlaps(other) for other in taken):
                    placed.append((label.text, label.x, label.baseline))
                    taken.append(box)
                    break
        return placed

    calls = []
    overlaps = blocks.Label.overlaps
    monkeypatch.setattr(blocks.Label, "overlaps", lambda a, b: calls.append(1) or overlaps(a, b))
    got = [(label.text, label.x, label.baseline) for label in value_labels(layout)]
    assert len(calls) < 3_000_000  # 17,028,556 before
    assert got == brute_force() and len(got) > 1000


def value_labels_spots(edge):
    """Every spot ``value_labels`` tries for an edge's value, in its order."""
    from glassnet.plots.labels import ValueLabel, _spots, baseline_of, value_text

    text = value_text(edge.value)
    for t in _spots(edge):
        x = edge.x1 + t * (edge.x2 - edge.x1)
        yield ValueLabel(edge, text, x, baseline_of(edge.y1 + t * (edge.y2 - edge.y1)))
