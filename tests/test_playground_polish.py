"""The playground's look, measured in headless Chromium (issue 16): whole labels in every select,
remove buttons inside their panels, one name per input unit while stepping, no scroll trap in
the narration, one colour convention (glassnet.plots.colors) with a legend, charts with labelled
axes and numbered ticks, and each tab's own limits. Each check reads the page: bounding boxes,
computed colours, SVG attributes and text contents, at 1280 and 800 pixels wide."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, sync_playwright

from glassnet.plots import colors
from helpers import CHROMIUM, CHROMIUM_ARGS
from test_playground_browser import server, settle  # noqa: F401  (the module's uvicorn server)
from test_playground_scaling import wide_csv

WIDTHS = [1280, 800]


@pytest.fixture
def browser() -> Iterator:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, server: str, width: int) -> tuple[Page, list[str]]:  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(server)
    settle(page)
    return page, problems


def open_images(page: Page) -> None:
    page.click("#tab-images-button")
    page.wait_for_function("() => Images.session && document.body.dataset.busy === '0'")


def rgb(hex_colour: str) -> str:
    """'#2b7bb9' -> 'rgb(43, 123, 185)', as getComputedStyle writes a colour."""
    red, green, blue = (int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


POSITIVE, NEGATIVE, HIGHLIGHT = rgb(colors.POSITIVE), rgb(colors.NEGATIVE), rgb(colors.HIGHLIGHT)

# every visible select whose longest choice does not fit (the arrow takes about 20 px)
CUT_SELECTS = """() => [...document.querySelectorAll('select')].filter((s) => s.offsetParent)
    .flatMap((select) => {
        const probe = document.createElement('span');
        probe.style.font = getComputedStyle(select).font;
        probe.style.whiteSpace = 'pre';
        document.body.append(probe);
        const cut = [...select.options].filter((option) => {
            probe.textContent = option.textContent;
            return probe.getBoundingClientRect().width > select.clientWidth - 22;
        }).map((option) => `${select.id || select.title || select.className}: ${option.text}`);
        probe.remove();
        return cut;
    })"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_select_shows_its_whole_longest_choice(browser, server, width):  # noqa: F811
    # before: at 1280 px "student" and "train" were cut in the step-through's selects
    page, problems = open_page(browser, server, width)
    page.select_option("#dataset", "spiral")  # every dense control shown
    page.click("#add-layer")
    settle(page)
    assert page.evaluate(CUT_SELECTS) == []
    # a longer choice, as the engine side may add one, widens its select instead of being cut
    page.evaluate(
        """() => ['loss', 'dataset'].forEach((id) => document.getElementById(id).append(
            Object.assign(document.createElement('option'), {textContent: 'half the sum of squares (the seed)'})))"""
    )
    assert page.evaluate(CUT_SELECTS) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    open_images(page)
    page.click("#img-add-layer")
    page.wait_for_function("() => Images.session.config.conv.length === 2")
    assert page.evaluate(CUT_SELECTS) == []
    assert problems == []


# the buttons of every row in a panel: their boxes, and the panel's inner (padding) box
ROW_BUTTONS = """(rows) => [...document.querySelectorAll(rows)].filter((r) => r.offsetParent)
    .flatMap((row) => {
        const panel = row.closest('.panel'), box = panel.getBoundingClientRect();
        const style = getComputedStyle(panel);
        const inner = {left: box.left + parseFloat(style.paddingLeft),
            right: box.right - parseFloat(style.paddingRight)};
        return [...row.querySelectorAll('button, select, input')].map((e) => {
            const b = e.getBoundingClientRect();
            return {what: e.title || e.tagName, left: b.left, right: b.right,
                inner_left: inner.left, inner_right: inner.right};
        });
    })"""


def outside(boxes: list[dict]) -> list[dict]:
    return [
        b for b in boxes if b["left"] < b["inner_left"] - 0.5 or b["right"] > b["inner_right"] + 0.5
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_rows_remove_button_stays_inside_its_panel(browser, server, width):  # noqa: F811
    # before: the conv row's "x" sat on the panel's padding at 1280 px
    page, problems = open_page(browser, server, width)
    for _ in range(2):
        page.click("#add-layer")
    page.wait_for_function("() => window.playground.session.layers.length === 4")
    settle(page)
    boxes = page.evaluate(ROW_BUTTONS, ".layer-row")
    removes = [b for b in boxes if b["what"] == "remove this layer"]
    assert len(removes) == 3 and outside(boxes) == []
    open_images(page)
    page.click("#img-add-layer")
    page.wait_for_function("() => Images.session.config.conv.length === 2")
    boxes = page.evaluate(ROW_BUTTONS, ".conv-row")
    assert len([b for b in boxes if b["what"] == "remove this conv layer"]) == 2
    assert outside(boxes) == []
    assert problems == []


def unit_labels(page: Page) -> dict[int, list[str]]:
    return page.evaluate(
        """() => { const out = {};
            document.querySelectorAll('.node').forEach((n) => {
                const [l] = n.dataset.node.split(',').map(Number);
                (out[l] = out[l] || []).push(n.querySelector('.value').textContent);
            }); return out; }"""
    )


def test_each_unit_label_names_its_own_unit_while_stepping(browser, server):  # noqa: F811
    # before: both inputs read "x=0" at the first stage, and every hidden unit "a=..."
    page, problems = open_page(browser, server, 1280)
    page.fill("#trace-example", "2")  # XOR's row 2: x = (1, 0)
    page.click("#trace")
    page.wait_for_selector("#narration section")
    assert unit_labels(page)["0"] == ["x0=1", "x1=0"]
    seen = []
    while not page.is_disabled("#next"):
        page.click("#next")
        names = [t.split("=")[0] for texts in unit_labels(page).values() for t in texts if t]
        assert len(names) == len(set(names)), names  # no two units share a name
        seen += names
        title = page.text_content("#stage-title")
        if "forward, layer 1" in title:
            assert [t.split("=")[0] for t in unit_labels(page)["1"]] == [
                f"a1[{j}]" for j in range(4)
            ]
        if "backward, layer 2" in title:
            assert [t.split("=")[0] for t in unit_labels(page)["2"]] == ["δ2[0]"]
    assert {"a1[0]", "a2[0]", "δ2[0]", "δ1[3]", "C"} <= set(seen)
    # the images tab: within each stage no two pictures carry the same caption
    open_images(page)
    page.click("#img-trace")
    page.wait_for_selector("#img-pictures canvas")
    stages = 0
    while True:
        captions = page.locator("#img-pictures figcaption, #img-pictures h4").all_text_contents()
        assert len(captions) == len(set(captions)), captions
        stages += 1
        if page.is_disabled("#img-next"):
            break
        page.click("#img-next")
    assert stages == 10 and problems == []


SCROLL_BOX = """(id) => { const e = document.getElementById(id), s = getComputedStyle(e);
    return {overflow: s.overflowY, max: s.maxHeight, scroll: e.scrollHeight, client: e.clientHeight,
        page: document.documentElement.scrollHeight, view: innerHeight}; }"""


@pytest.mark.parametrize("width", WIDTHS)
def test_the_narration_has_no_scroll_trap_the_page_scrolls(browser, server, width):  # noqa: F811
    # before: .narration had max-height 520px and overflow auto: the wheel scrolled the pane
    page, problems = open_page(browser, server, width)
    page.click("#trace")
    page.wait_for_selector("#narration section")
    box = page.evaluate(SCROLL_BOX, "narration")
    assert box["overflow"] == "visible" and box["max"] == "none"
    assert box["scroll"] <= box["client"] + 1 and box["page"] > box["view"]
    page.locator("#narration h3").first.scroll_into_view_if_needed()
    before = page.evaluate("() => scrollY")
    narration = page.locator("#narration").bounding_box()
    page.mouse.move(narration["x"] + 40, max(narration["y"], 0) + 40)
    page.mouse.wheel(0, 300)
    page.wait_for_function("(before) => scrollY > before", arg=before)
    # stepping to the update (far down the narration) scrolls the page to its heading, with the
    # back / next buttons and the stage's numbers still in the window
    while not page.is_disabled("#next"):
        page.click("#next")
    assert page.evaluate("() => scrollY") > 1000
    for element in ["#prev", "#next", "#narration .current", "#stage"]:
        box = page.locator(element).bounding_box()
        assert box["y"] >= 0 and box["y"] + min(box["height"], 40) <= 900, (element, box)
    # a wide equation wraps instead of hiding behind a sideways scroll bar
    wide = page.evaluate(
        "() => [...document.querySelectorAll('#narration pre')]"
        ".filter((p) => p.scrollWidth > p.clientWidth + 1).length"
    )
    assert wide == 0
    open_images(page)
    page.click("#img-trace")
    page.wait_for_selector("#img-pictures canvas")
    box = page.evaluate(SCROLL_BOX, "img-words")
    assert box["overflow"] == "visible" and box["max"] == "none"
    assert problems == []


def test_one_colour_convention_weights_highlight_legend(browser, server):  # noqa: F811
    # before: the lit path was the "positive" blue, so every lit edge read as positive
    page, problems = open_page(browser, server, 1280)
    page.click("#epoch")
    settle(page)
    strokes = page.evaluate(
        "() => [...document.querySelectorAll('#edges line')].map((l) => l.getAttribute('stroke'))"
    )
    kernel = page.evaluate("() => window.playground.session.layers.map((l) => l.kernel.flat())")
    signs = [POSITIVE if w >= 0 else NEGATIVE for layer in kernel for w in layer]
    assert [s.replace(",", ", ") for s in strokes] == signs  # the engine's own signs
    assert page.evaluate(
        "() => getComputedStyle(document.querySelector('#class-legend .dot')).color"
    ) in (NEGATIVE,)  # class 0 of a sigmoid output: the output's low (orange) end
    page.click("#trace")
    page.wait_for_selector("#narration section")
    page.click("#next")  # forward, layer 1
    lit = page.evaluate(
        """() => [...document.querySelectorAll('#edges line.active')]
            .map((l) => getComputedStyle(l).stroke)"""
    )
    assert len(lit) == 8 and set(lit) == {HIGHLIGHT}
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('.node.active')).outlineColor"
    )
    assert outline == HIGHLIGHT
    for _ in range(3):
        page.click("#next")  # backward, layer 2: the same purple, dashed
    assert "backward, layer 2" in page.text_content("#stage-title")
    back = page.evaluate(
        """() => [...document.querySelectorAll('#edges line.back')].map((l) => {
            const s = getComputedStyle(l); return [s.stroke, s.strokeDasharray]; })"""
    )
    assert len(back) == 4 and all(s == HIGHLIGHT and d != "none" for s, d in back)
    # the legend names each colour, drawn in the colour it names
    legend = page.evaluate(
        """() => [...document.querySelectorAll('#colour-legend .swatch')].map((s) =>
            [getComputedStyle(s).color, s.parentElement.textContent.trim()])"""
    )
    named = {colour: text for colour, text in legend}
    assert named[POSITIVE].startswith("■ positive") and named[NEGATIVE].startswith("■ negative")
    assert "lit" in named[HIGHLIGHT]
    # nothing else on the page borrows a sign's or the highlight's colour
    chrome = page.evaluate(
        """() => ['button.primary', '.tab[aria-selected=true]', 'header h1 span', '.stage-title',
            '#stage .equation b'].map((q) => { const s = getComputedStyle(document.querySelector(q));
            return [q, s.color, s.backgroundColor]; })"""
    )
    for query, colour, background in chrome:
        assert {colour, background}.isdisjoint({POSITIVE, NEGATIVE}), query
    # softmax classes (3 arms) borrow neither a sign's colour nor the highlight
    page.select_option("#dataset", "spiral")
    page.wait_for_function("() => window.playground.session.classes === 3")
    settle(page)
    dots = page.evaluate(
        "() => [...document.querySelectorAll('#class-legend .dot')].map((d) => getComputedStyle(d).color)"
    )
    assert len(dots) == 3 and set(dots).isdisjoint({POSITIVE, NEGATIVE, HIGHLIGHT})
    open_images(page)
    page.click("#img-trace")
    page.wait_for_selector("#img-pictures canvas")
    assert page.evaluate("() => ImageSteps.LIT") == colors.HIGHLIGHT
    swatch = page.evaluate("() => getComputedStyle(document.querySelector('.legend .lit')).color")
    assert swatch == HIGHLIGHT
    assert problems == []


def chart_reading(page: Page, chart: str) -> dict:
    return page.evaluate(
        """(id) => { const svg = document.getElementById(id);
            const text = (c) => [...svg.querySelectorAll(c)].map((t) => t.textContent);
            return {x_label: text('.x-label'), y_label: text('.y-label'),
                x_ticks: text('.x-tick'), y_ticks: text('.y-tick'), lines: svg.querySelectorAll(
                'polyline').length, tag: svg.tagName}; }""",
        chart,
    )


def numbered(ticks: list[str]) -> list[float]:
    return [float(t.replace("%", "")) for t in ticks]


def test_charts_have_labelled_axes_and_numbered_ticks(browser, server):  # noqa: F811
    # before: a canvas with "0", the top value and "step N" only, and no axis names
    page, problems = open_page(browser, server, 1280)
    page.select_option("#dataset", "moons")
    settle(page)
    page.wait_for_function("() => window.playground.session.config.dataset.name === 'moons'")
    for _ in range(3):
        page.click("#epoch")
        settle(page)
    steps = int(page.text_content("#step-count"))
    for chart, name in [
        ("loss-chart", "loss"),
        ("acc-chart", "accuracy"),
    ]:
        reading = chart_reading(page, chart)
        assert reading["tag"] == "svg" and reading["lines"] == 2  # train and test
        assert reading["x_label"] == ["step"] and reading["y_label"] == [name]
        xs, ys = numbered(reading["x_ticks"]), numbered(reading["y_ticks"])
        assert len(xs) >= 3 and xs == sorted(xs) and xs[0] == 0 and xs[-1] <= steps
        assert len(ys) >= 3 and ys == sorted(ys) and ys[0] == 0
    losses = [h["loss"] for h in page.evaluate("() => window.playground.session.history")]
    assert numbered(chart_reading(page, "loss-chart")["y_ticks"])[-1] >= max(losses) * 0.5
    assert numbered(chart_reading(page, "acc-chart")["y_ticks"])[-1] == 1
    open_images(page)
    page.click("#img-step")
    page.wait_for_function("() => Images.session.step === 1 && document.body.dataset.busy === '0'")
    for chart, name in [("img-loss-chart", "loss"), ("img-acc-chart", "accuracy")]:
        reading = chart_reading(page, chart)
        assert reading["x_label"] == ["step"] and reading["y_label"] == [name]
        assert len(reading["y_ticks"]) >= 3 and len(reading["x_ticks"]) >= 2
    assert problems == []


def visible_text(page: Page) -> str:
    return page.evaluate("() => document.body.innerText")


def test_each_tab_shows_its_own_limits(browser, server):  # noqa: F811
    # before: the page's one footer showed the dense tab's limits under the images tab too
    page, problems = open_page(browser, server, 1280)
    page.wait_for_function("() => document.querySelector('#limits').textContent.length > 0")
    dense = visible_text(page)
    assert "hidden layers of 8 units" in dense and "conv layers" not in dense
    open_images(page)
    page.wait_for_function("() => document.querySelector('#img-limits').textContent.length > 0")
    images = visible_text(page)
    assert "2 conv layers of 1 to 16 filters" in images and "hidden layers" not in images
    footer = page.locator("#tab-images footer")
    assert footer.is_visible() and "conv layers" in footer.text_content()
    page.click("#tab-dense-button")
    assert "conv layers" not in visible_text(page)
    assert problems == []


def test_a_long_or_hostile_column_name_labels_its_unit_inside_the_diagram(
    browser,
    server,  # noqa: F811
    tmp_path,
):
    # a 60-character name, and one that is markup: cut to 12 characters, shown as text
    page, problems = open_page(browser, server, 800)
    long_name, markup = (
        "the_sweetness_of_the_fruit_measured_in_degrees_brix_" + "x" * 8,
        "<b>size</b>",
    )
    rows = "".join(f"{i % 10 / 10},{i // 10 / 10},{i % 3 == 0:d}\n" for i in range(60))
    path = tmp_path / "long.csv"
    path.write_text(f"{long_name},{markup},fruit\n" + rows)
    page.select_option("#dataset", "csv")
    page.set_input_files("#csv-file", str(path))
    page.wait_for_function("(name) => window.playground.session.features[1] === name", arg=markup)
    settle(page)
    page.fill("#trace-example", "3")
    page.click("#trace")
    page.wait_for_selector("#narration section")
    labels = unit_labels(page)["0"]
    assert [label.split("=")[0] for label in labels] == ["the_sweetne…", "<b>size</b>"]
    assert page.locator(".node b").count() == 0  # the markup is text, not a bold element
    inside = page.evaluate(
        """() => { const d = document.querySelector('#diagram').getBoundingClientRect();
            return [...document.querySelectorAll('.node .value')].every((v) => {
                const b = v.getBoundingClientRect();
                return b.left >= d.left - 0.5 && b.right <= d.right + 0.5; }); }"""
    )
    assert inside and problems == []


HOSTILE_CHART = """(history) => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    Draw.chart(svg, history, 'loss');
    const text = (c) => [...svg.querySelectorAll(c)].map((t) => t.textContent);
    return {x: text('.x-tick'), y: text('.y-tick'), lines: svg.querySelectorAll('polyline').length,
        points: [...svg.querySelectorAll('polyline')].map((p) => p.getAttribute('points'))};
}"""


@pytest.mark.parametrize(
    ("history", "top", "lines"),
    [
        ([], 1, 0),  # nothing trained yet: an empty chart with its axes
        ([{"step": 0, "loss": 0.0}], 1, 1),  # a loss of exactly 0
        ([{"step": 0, "loss": 2e30}, {"step": 5, "loss": 1e30}], 2e30, 1),  # beyond float32
        ([{"step": 0, "loss": 3e-9}, {"step": 1000000, "loss": 1e-9}], 3e-9, 1),
        ([{"step": 0, "loss": 1.0}, {"step": 1, "loss": None}, {"step": 2, "loss": 0.5}], 1, 1),
        ([{"step": 0, "loss": 1.0}, {"step": 1, "loss": float("inf")}], 1, 1),  # no inf top
        ([{"step": 0, "loss": float("nan")}, {"step": 1, "loss": 0.5}], 0.5, 1),
    ],
)
def test_a_chart_of_odd_numbers_keeps_finite_numbered_ticks(browser, server, history, top, lines):  # noqa: F811
    page, problems = open_page(browser, server, 1280)
    reading = page.evaluate(HOSTILE_CHART, history)
    ys, xs = numbered(reading["y"]), numbered(reading["x"])
    assert len(ys) >= 3 and ys[0] == 0 and ys[-1] >= top and ys == sorted(ys)
    assert len(xs) >= 2 and xs[0] == 0 and all(x == int(x) for x in xs)  # steps are whole
    assert reading["lines"] == lines
    assert all("NaN" not in p and "Infinity" not in p for p in reading["points"])
    assert problems == []


def test_after_a_scaling_layer_the_diagram_numbers_layers_as_the_narration_does(
    browser,
    server,  # noqa: F811
    tmp_path,
):
    # before: the first Dense layer was "layer 1" on the diagram and in its hover (W1), while the
    # stage titles, the unit labels and the narration call it layer 2 (W2): a Normalization is 1
    page, problems = open_page(browser, server, 1280)
    path = tmp_path / "wide.csv"
    path.write_text(wide_csv())
    page.select_option("#dataset", "csv")
    page.set_input_files("#csv-file", str(path))
    page.wait_for_function("() => window.playground.session.features[0] === 'size'")
    settle(page)
    page.click("#add-layer")
    page.wait_for_function("() => window.playground.session.layers.length === 3")
    settle(page)
    columns = page.locator(".column-label").all_text_contents()
    assert columns == ["inputs", "layer 2", "layer 3", "output"]
    page.click("#trace")
    page.wait_for_selector("#narration section")
    while "forward, layer 2" not in page.text_content("#stage-title"):
        page.click("#next")
    assert "W2" in page.text_content("#stage")
    assert unit_labels(page)["1"][0].startswith("a2[0]=")
    page.locator('.node[data-node="1,0"]').scroll_into_view_if_needed()
    page.hover('.node[data-node="1,0"]')
    page.wait_for_selector("#tooltip:not([hidden])")
    tip = page.text_content("#tooltip")
    assert tip.startswith("layer 2, unit 0") and "z2[0] = " in tip and "b2[0] = " in tip
    assert problems == []


NARRATION_FITS = """() => { const n = document.querySelector('#narration'), right = n.getBoundingClientRect().right;
    return {pane: n.scrollWidth - n.clientWidth, page: document.documentElement.scrollWidth,
        out: [...n.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > right + 1)
            .map((e) => e.tagName + ': ' + e.textContent.slice(0, 30)).slice(0, 3)}; }"""


@pytest.mark.parametrize("width", [1280, 800, 390])
def test_the_narration_fits_its_pane_at_every_level(browser, server, width):  # noqa: F811
    # before: at 800 px the expert table ran 200 px past the pane and the page scrolled sideways
    # (979 px wide); at 390 px the narration was a 149 px column beside the stage
    page, problems = open_page(browser, server, width)
    page.select_option("#dataset", "spiral")
    page.click("#add-layer")
    page.wait_for_function("() => window.playground.session.layers.length === 3")
    settle(page)
    for level in ["kid", "student", "expert"]:
        page.select_option("#level", level)
        page.click("#trace")
        page.wait_for_selector("#narration section")
        settle(page)
        fits = page.evaluate(NARRATION_FITS)
        assert fits == {"pane": 0, "page": width, "out": []}, (level, fits)
    if width == 390:
        narration, stage = (page.locator(q).bounding_box() for q in ["#narration", "#stage"])
        assert narration["width"] > 300 and narration["y"] >= stage["y"] + stage["height"]
    assert problems == []


@pytest.mark.parametrize("name", ["playground.png", "playground_images.png"])
def test_the_readme_pictures_are_small_and_show_the_pages_colours(name):
    # remade by GLASSNET_PLAYGROUND_SCREENSHOT=docs/playground.png (test_playground_browser.py)
    # and GLASSNET_PLAYGROUND_IMAGES_SCREENSHOT=docs/playground_images.png
    # (test_playground_images_browser.py); before: the lit path was blue, the stamp's window green
    from PIL import Image

    root = Path(__file__).parents[1]
    picture = root / "docs" / name
    assert f"](docs/{name})" in (root / "README.md").read_text()
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size < 400_000
    pixels = np.asarray(Image.open(picture).convert("RGB"))
    counts = {c: int((pixels == c).all(axis=-1).sum()) for c in [(124, 58, 237), (0, 176, 80)]}
    assert counts[(124, 58, 237)] > 100 and counts[(0, 176, 80)] == 0, counts


def test_kernel_captions_stand_apart(browser, server):  # noqa: F811
    # before: 4 px between "filter 0" and "filter 1": the row read as one caption
    page, problems = open_page(browser, server, 1280)
    open_images(page)
    page.select_option(".conv-row select[title=filters]", "16")
    page.wait_for_function("() => Images.session.config.conv[0].filters === 16")
    page.wait_for_function("() => document.body.dataset.busy === '0'")
    boxes = [c.bounding_box() for c in page.locator("#img-kernels figcaption").all()]
    assert len(boxes) == 16
    gaps = [
        b["x"] - (a["x"] + a["width"])
        for a, b in itertools.pairwise(boxes)
        if abs(a["y"] - b["y"]) < 1  # the same row
    ]
    assert gaps and min(gaps) >= 10, gaps
    assert problems == []
