"""The diagram of an image model: one block a layer with its kind, window and output shape, boxes
as tall as their images, and no two labels overlapping (checked on the labels' boxes)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import glassnet as gn
from glassnet import plots
from glassnet.layers import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    MaxPooling2D,
    Rescaling,
)
from glassnet.plots.blocks import label_boxes, text_width
from glassnet.plots.layout import network_layout

SVG = "{http://www.w3.org/2000/svg}"


def mnist_cnn() -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Input(shape=(28, 28, 1)),
            Rescaling(1 / 255),
            Conv2D(8, 3, activation="relu"),
            MaxPooling2D(),
            Conv2D(16, 3, strides=2, padding="same", activation="relu"),
            BatchNormalization(),
            AveragePooling2D(),
            Flatten(),
            Dense(10, activation="softmax"),
        ],
        seed=0,
    )


MODELS = {
    "mnist": mnist_cnn,
    "one conv": lambda: gn.Sequential([gn.Input(shape=(8, 8, 1)), Conv2D(2, 3)]),
    "long names": lambda: gn.Sequential(
        [
            gn.Input(shape=(64, 64, 3)),
            Conv2D(128, 5, strides=3, padding="same", activation="leaky_relu", name="c" * 200),
            MaxPooling2D(3, strides=1, padding="same", name="p" * 90),
            Flatten(name="f" * 40),
            Dense(1000, activation="softmax", name="<b>d</b>" * 20),
        ],
        name="m" * 250,
    ),
}


def overlaps(labels) -> list[tuple[str, str]]:
    return [
        (a.text, b.text) for i, a in enumerate(labels) for b in labels[i + 1 :] if a.overlaps(b)
    ]


@pytest.mark.parametrize("name", list(MODELS))
def test_no_two_labels_of_an_image_diagram_overlap(name) -> None:
    layout = network_layout(MODELS[name]())
    labels = label_boxes(layout)
    assert len(labels) > 4 * len(layout.columns)
    assert overlaps(labels) == []
    for label in labels:  # and each stays inside the picture
        assert label.left >= 0 and label.right <= layout.width, label.text
        assert label.top >= 0 and label.bottom <= layout.height, label.text


def test_the_label_check_would_see_an_overlap() -> None:
    layout = network_layout(mnist_cnn())
    labels = label_boxes(layout)
    first = next(label for label in labels if label.text == "Conv2D 8 3x3")
    # the old one-line caption "Conv2D 16 3x3 stride 2x2 same, relu" at the old spacing (190 px)
    old = "Conv2D 16 3x3 stride 2x2 same, relu"
    assert text_width(old, 12) > 190 - text_width("MaxPooling2D 2x2", 12) / 2
    moved = type(first)(first.text, first.left + 5, first.top, first.right + 5, first.bottom)
    assert overlaps([first, moved]) != []


def test_blocks_carry_kind_window_and_output_shape() -> None:
    svg = plots.network_svg(mnist_cnn())
    root = ET.fromstring(svg)  # well-formed, names escaped
    texts = [element.text for element in root.iter(f"{SVG}text")]
    for expected in (
        "28x28x1",
        "26x26x8",
        "13x13x8",
        "7x7x16",
        "3x3x16",
        "Conv2D 8 3x3",
        "relu",
        "MaxPooling2D 2x2",
        "Conv2D 16 3x3",
        "stride 2x2, same, relu",
        "AveragePooling2D 2x2",
        "Rescaling x 1/255",
        "80 weights",
        "no weights",
        "box: what one example is after the layer (height x width x channels)",
    ):
        assert expected in texts, expected
    assert "positive weight" not in svg  # an image diagram has no signed edges to explain
    assert "0 weights" not in texts
    layout = network_layout(mnist_cnn())
    heights = {column.shape: column.box_height for column in layout.columns}
    assert heights["28x28x1"] > heights["13x13x8"] > heights["7x7x16"] > heights["10"]


def test_blocks_are_named_as_the_narration_names_them() -> None:
    root = ET.fromstring(plots.network_svg(mnist_cnn()))
    texts = [element.text for element in root.iter(f"{SVG}text")]
    headings = [text for text in texts if text and text.startswith("layer ")]
    assert headings == [f"layer {n}" for n in range(1, 9)]
    names = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "weights-name"]
    assert names == ["K2, b2", "K4, b4", "gamma5, beta5", "W8, b8"]
    assert not [text for text in texts if text and re.search(r"\bconv2d|\bdense", text)]


def test_long_names_are_cut_and_markup_escaped() -> None:
    svg = plots.network_svg(MODELS["long names"]())
    texts = [element.text or "" for element in ET.fromstring(svg).iter(f"{SVG}text")]
    # columns are headed as the narration counts them ("layer 1"), not by the layers' names
    assert "layer 1" in texts and not [text for text in texts if "ccc" in text]
    assert max(len(text) for text in texts[1:]) <= 70
    assert "c" * 200 + ": 9728 weights" in svg  # the band's tooltip keeps the whole name
    assert "<b>" not in svg and "&lt;b&gt;" in svg
