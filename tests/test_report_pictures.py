"""The report's pictures speak the narration's language: captions, headings and figure titles name
the weights W1, b1, ... (as ``glassnet explain`` does), never by the layers' ``dense``/``dense_1``;
the embedded narration's headings sit below the section's; every figure takes the card's width;
the decision surface uses the sign colours as the playground does (0 orange, 1 blue)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest
from matplotlib.colors import to_hex

import glassnet as gn
from glassnet import plots
from glassnet.plots import demo
from glassnet.plots.colors import CLASS_COLOURS, NEGATIVE, POSITIVE, diverging_map
from glassnet.plots.report import CSS, demoted_headings, figure_html, svg_html, svg_row
from glassnet.seed import XOR_X, XOR_Y, seed_network
from helpers import chromium_page


class _Words(HTMLParser):
    """The text a reader sees in headings, figure captions and SVG <text> (not <title>)."""

    WATCHED = ("h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "text")

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.words: list[tuple[str, str]] = []
        self.headings: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)

    def handle_endtag(self, tag):
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, data):
        watched = [tag for tag in self.open if tag in self.WATCHED]
        if watched and "title" not in self.open and data.strip():
            self.words.append((watched[-1], data.strip()))


@pytest.fixture(scope="module")
def demo_page() -> str:
    sections = demo.demo_sections(demo.run_seed_cells(iterations=20))
    return "".join(f"<h2>{section.title}</h2>{section.body}" for section in sections)


def test_demo_captions_and_headings_use_the_narrations_names(demo_page: str) -> None:
    parser = _Words()
    parser.feed(demo_page)
    seen = [text for _, text in parser.words]
    layer_names = [text for text in seen if re.search(r"\bdense(_\d+)?\b|\blayer\d", text)]
    assert layer_names == []  # before: "dense", "dense_1", "layer1" headed the diagrams' columns
    for name in ("W1", "W2", "W1, b1", "W3, b3", "layer 1", "layer 2", "a1", "a2"):
        assert name in seen, name
    captions = " ".join(text for tag, text in parser.words if tag == "figcaption")
    assert "W1 (3x4) and W2 (4x1)" in captions and "W1, W2 and W3" in captions


def test_weight_figures_are_titled_with_the_narrations_names() -> None:
    model = seed_network()
    before = model.get_weights()
    titles = [ax.get_title() for ax in plots.weights_change_figure(model, before).axes[:4]]
    assert titles == ["W1 before", "W1 after", "W2 before", "W2 after"]
    net = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            gn.layers.Dense(3, "tanh"),
            gn.layers.Activation("relu"),
            gn.layers.Dense(1, "sigmoid"),
        ],
        seed=0,
    )
    titles = [ax.get_title() for ax in plots.weights_change_figure(net, net.get_weights()).axes]
    assert titles[:2] == ["W1 and b1 before", "W1 and b1 after"]
    assert titles[2:4] == ["W3 and b3 before", "W3 and b3 after"]  # the Activation is layer 2
    assert plots.weight_heatmap_figure(net, 1).axes[0].get_title() == "W3 (3x1)"
    net.compile(gn.SGD(0.1), "binary_crossentropy")
    recorder = plots.WeightRecorder()
    net.fit(XOR_X[:, :2], XOR_Y, epochs=2, verbose=0, callbacks=[recorder])
    titles = [ax.get_title() for ax in plots.weight_histograms_figure(recorder).axes]
    assert titles[:3] == ["W1 values", "dC/dW1, last batch", "W1 norms"]
    assert "b3 values" in titles and not [t for t in titles if "dense" in t]


def test_recorder_names_a_kernel_k_and_batch_normalization_by_its_parameters() -> None:
    """Cousin: any parameter that was not a kernel was called "b" (gamma and beta too)."""
    model = gn.Sequential(
        [
            gn.Input(shape=(4, 4, 1)),
            gn.layers.Conv2D(2, 3),
            gn.layers.BatchNormalization(),
            gn.layers.Flatten(),
            gn.layers.Dense(1),
        ],
        seed=0,
    )
    model.compile(gn.SGD(0.1), "mse")
    recorder = plots.WeightRecorder()
    x = np.random.default_rng(0).normal(size=(4, 4, 4, 1))
    model.fit(x, np.zeros((4, 1)), epochs=1, verbose=0, callbacks=[recorder])
    assert [record.symbol for record in recorder.records] == [
        "K1",
        "b1",
        "gamma2",
        "beta2",
        "W4",
        "b4",
    ]


def test_the_narration_is_placed_under_the_sections_heading(demo_page: str) -> None:
    narration = demo_page[demo_page.index("<div class='narration'>") :]
    narration = narration[: narration.index("<h2>")]  # up to the next section
    levels = re.findall(r"<h([1-6])[\s>]", narration)
    assert levels and min(int(level) for level in levels) == 3  # the page's own title: h3
    assert demoted_headings("<H1 id='t'>a</H1><h2>b</h2><h5>c</h5><header>x</header>") == (
        "<h3 id='t'>a</h3><h4>b</h4><h6>c</h6><header>x</header>"
    )
    sizes = {
        rule: int(size)
        for rule, size in re.findall(r"(\.narration h\d|^h\d) \{ font-size: (\d+)px", CSS, re.M)
    }
    assert sizes["h2"] > sizes[".narration h3"] > sizes[".narration h4"]


def test_figures_take_the_cards_width() -> None:
    assert re.search(r"figure img, figure svg \{[^}]*width: 100%", CSS)
    from glassnet.plots._matplotlib import new_figure

    figure = new_figure(figsize=(4.0, 2.0))
    figure.subplots().plot([0, 1])
    html = figure_html(figure, dpi=50)
    assert "style='max-width: 200px'" in html  # a PNG is never stretched past its pixels
    svg = plots.network_svg(seed_network())
    width = float(re.search(r"width='([0-9.]+)'", svg).group(1))
    assert f"<svg style='max-width: {1.5 * width:g}px' " in svg_html(svg)  # an SVG to 1.5x
    row = svg_row([(svg, "a"), (svg, "b")])
    assert row.count(f"flex: 1 1 {width:g}px; min-width: min(100%, {width:g}px)") == 2


def test_decision_surface_uses_the_playgrounds_colours() -> None:
    """Before: matplotlib's RdBu_r, in which blue meant output 0 (class 0) while blue means
    positive everywhere else, and the playground paints class 0 orange."""
    model = seed_network()
    figure = plots.decision_boundary_figure(model, XOR_X, XOR_Y, resolution=9, fixed=(1.0,))
    image = figure.axes[0].images[0]
    assert image.get_cmap() is diverging_map() and image.get_clim() == (0, 1)
    assert to_hex(image.get_cmap()(0.0)) == NEGATIVE and to_hex(image.get_cmap()(1.0)) == POSITIVE
    points = figure.axes[0].collections[-1].get_facecolors()
    expected = [NEGATIVE, POSITIVE, POSITIVE, NEGATIVE]  # XOR's classes 0, 1, 1, 0
    assert [to_hex(colour) for colour in points] == expected
    assert figure.axes[1].get_ylabel() == "output a (0: class 0, 1: class 1)"  # the colorbar
    three = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(3, "softmax")], seed=0
    )  # several classes: one colour a region, and a legend for them
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    figure = plots.decision_boundary_figure(three, x, np.array([0, 1, 2]), resolution=9)
    legend = figure.axes[0].get_legend()
    assert [text.get_text() for text in legend.get_texts()] == ["class 0", "class 1", "class 2"]
    colours = [to_hex(c) for c in figure.axes[0].collections[-1].get_facecolors()]
    assert colours == [CLASS_COLOURS[0], CLASS_COLOURS[1], CLASS_COLOURS[2]]


MEASURE = """() => {
    const card = (el) => el.closest('section');
    const inner = (el) => {
        const style = getComputedStyle(el);
        return el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    };
    const pictures = Array.from(document.querySelectorAll('figure > img, figure > svg'));
    return {
        pictures: pictures.map((el) => ({
            width: el.getBoundingClientRect().width,
            figure: inner(el.closest('figure')),
            card: inner(card(el)),
            limit: parseFloat(el.style.maxWidth),
        })),
        section: parseFloat(getComputedStyle(document.querySelector('h2[id]')).fontSize),
        narration: Array.from(document.querySelectorAll('.narration h1, .narration h2, '
            + '.narration h3, .narration h4')).map((h) => parseFloat(getComputedStyle(h).fontSize)),
    };
}"""


def test_the_demo_report_in_chromium_at_two_widths(tmp_path) -> None:
    path = demo.demo_report(tmp_path / "report", runs=demo.run_seed_cells(iterations=20))
    for width in (1280, 800):
        with chromium_page({"width": width, "height": 900}) as (page, problems, _):
            page.goto(path.resolve().as_uri(), wait_until="load")
            found = page.evaluate(MEASURE)
        assert problems == []
        assert len(found["pictures"]) >= 9
        for picture in found["pictures"]:
            # as wide as its figure allows (the card, or half a card in a row), up to its limit
            assert picture["width"] == pytest.approx(
                min(picture["figure"], picture["limit"]), abs=1
            ), (width, picture)
            assert picture["width"] <= picture["card"] + 0.5
        # every picture uses its room: at 1280 px (a card of 1072 px) the smallest is the seed's
        # 3-4-1 diagram, 1.5 times its 560 px; the curves and weights are drawn at ~1050 px
        assert all(p["width"] >= 0.75 * p["figure"] for p in found["pictures"]), width
        assert found["narration"] and max(found["narration"]) < found["section"]


@pytest.mark.parametrize("levels", [-1, 6, True, 1.5, "2"])
def test_demoted_headings_refuses_odd_levels(levels) -> None:
    with pytest.raises(ValueError, match=r"Expected levels to be a whole number from 0 to 5, got"):
        demoted_headings("<h1>a</h1>", levels)
    with pytest.raises(TypeError, match=r"Expected fragment to be HTML text \(a str\), got bytes"):
        demoted_headings(b"<h1>a</h1>")


def test_class_colours_are_the_playgrounds_and_never_a_sign_or_the_highlight() -> None:
    """The report's classes of a softmax output are the playground's (draw.js CLASS_COLOURS), and
    none of them is blue (positive), orange (negative) or purple (look here). Before: class 0
    orange, class 1 blue and class 3 purple, so a class read as a sign or as a highlight."""
    from pathlib import Path

    from glassnet.plots.colors import BINARY_CLASS_COLOURS, HIGHLIGHT

    js = (Path(plots.__file__).parent.parent / "playground/static/draw.js").read_text()
    block = re.search(r"const CLASS_COLOURS = \[(.*?)\];", js, re.S).group(1)
    triples = re.findall(r"\[(\d+), (\d+), (\d+)\]", block)
    playground = ["#" + "".join(f"{int(v):02x}" for v in t) for t in triples]
    assert list(CLASS_COLOURS) == playground
    assert not {POSITIVE, NEGATIVE, HIGHLIGHT} & set(CLASS_COLOURS)
    assert BINARY_CLASS_COLOURS == (NEGATIVE, POSITIVE)  # a one-unit output's two classes
