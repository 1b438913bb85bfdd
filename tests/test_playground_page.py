"""The playground page's own checks and layout, in headless Chromium (the shared set-up of
test_playground_browser.py): inputs validated before anything is sent, names with bidi or control
characters shown escaped, the CSV's row count, and the layout at 1280x800 and 390x844."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, sync_playwright

from helpers import CHROMIUM, CHROMIUM_ARGS
from test_playground_browser import server, settle  # noqa: F401  (the module's uvicorn server)
from test_playground_scaling import wide_csv


@pytest.fixture
def browser() -> Iterator:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, server: str, width: int = 1280, height: int = 800) -> tuple[Page, list]:  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(server)
    settle(page)
    return page, problems


def upload(page: Page, path, first_feature: str) -> None:
    page.select_option("#dataset", "csv")
    page.set_input_files("#csv-file", str(path))
    page.wait_for_function(
        "(name) => window.playground.session.features[0] === name", arg=first_feature
    )
    settle(page)


def sixty_rows(tmp_path):
    path = tmp_path / "sixty.csv"
    rows = "".join(
        f"{i % 10 / 10},{i // 10 / 10},{'apple' if i % 3 else 'pear'}\n" for i in range(60)
    )
    path.write_text("sweetness,size,fruit\n" + rows)
    return path


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("#learning-rate", "", "learning rate: empty; enter a number from 0.000001 to 10."),
        ("#learning-rate", "1e999", "learning rate: too large"),
        ("#seed", "", "seed: empty; enter a whole number from 0 to 2147483647."),
        ("#batch-size", "2.5", 'batch size: "2.5" is not a whole number; enter a whole number'),
        ("#l2", "7", 'L2: "7" is out of range; enter a number from 0 to 1.'),
    ],
)
def test_inputs_are_checked_in_the_page_before_anything_is_sent(
    browser,
    server,  # noqa: F811
    field,
    typed,
    message,
):
    # before: Number("") is 0, so an empty learning rate was sent as 0 ("got 0") and an empty
    # seed silently became 0; 1e999 empties a number input, and was sent as 0 too
    page, problems = open_page(browser, server)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.fill(field, typed)
    page.click("#build")
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error-text").startswith(message)
    assert sent == [] and problems == []


def test_a_csv_upload_counts_its_rows_not_its_header_and_has_no_bare_file_input(
    browser,
    server,  # noqa: F811
    tmp_path,
):
    # before: "sixty.csv: 61 rows", beside the browser's "Choose File  No file chosen"
    page, problems = open_page(browser, server)
    upload(page, sixty_rows(tmp_path), "sweetness")
    assert page.text_content("#csv-name") == "sixty.csv: 60 rows"
    assert not page.is_visible("#csv-file")
    assert page.is_visible("label:has(#csv-file)")
    assert problems == []


FITS = """() => [...document.querySelectorAll('.build select')].filter((select) =>
    select.offsetParent !== null  // the other tab's controls are hidden: they have no width
).flatMap((select) => {
    const probe = document.createElement('span');
    probe.style.font = getComputedStyle(select).font;
    document.body.append(probe);
    const cut = [...select.options].filter((option) => {
        probe.textContent = option.textContent;
        return probe.offsetWidth > select.clientWidth - 22;  // the arrow takes about 20 px
    }).map((option) => option.textContent);
    probe.remove();
    return cut;
})"""
OFF_CARD = """() => {
    const card = document.querySelector('.toolbar').getBoundingClientRect();
    return [...document.querySelectorAll('.counters div')]
        .filter((e) => e.getBoundingClientRect().right > card.right + 0.5)
        .map((e) => e.textContent.trim());
}"""


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_layout_fits_at_1280_and_390_pixels(browser, server, tmp_path, width, height):  # noqa: F811
    # before: at 1280 px "XOR (the seed'" and "binary cross-er" were cut; at 390 px "TEST ACC"
    # ran off its card
    page, problems = open_page(browser, server, width, height)
    upload(page, sixty_rows(tmp_path), "sweetness")
    page.click("#epoch")
    settle(page)
    page.screenshot(path=tmp_path / f"page_{width}.png")
    assert page.evaluate(FITS) == []
    assert page.evaluate(OFF_CARD) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    # the images tab too: its choices fit, nothing runs off the page
    page.click("#tab-images-button")
    page.wait_for_function("() => Images.session && document.body.dataset.busy === '0'")
    page.click("#img-add-layer")
    page.wait_for_function("() => Images.session.config.conv.length === 2")
    page.wait_for_function("() => document.body.dataset.busy === '0'")
    page.screenshot(path=tmp_path / f"images_{width}.png", full_page=True)
    assert page.locator(".conv-row select").count() == 6
    assert page.evaluate(FITS) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert page.evaluate(IMAGES_INSIDE) == []
    assert problems == []


# the images tab's rows and pictures stay inside their cards (a conv row's "x" ran off at first)
IMAGES_INSIDE = """() => [...document.querySelectorAll('#tab-images .panel')].flatMap((panel) => {
    const card = panel.getBoundingClientRect();
    return [...panel.querySelectorAll('select, button, canvas, input')]
        .filter((e) => e.offsetParent !== null)
        .filter((e) => e.getBoundingClientRect().right > card.right + 0.5)
        .map((e) => e.id || e.className || e.tagName);
})"""


RLO = "\u202e"


def test_bidi_and_control_characters_in_csv_names_are_shown_escaped(browser, server, tmp_path):  # noqa: F811
    # before: the column "\u202eevil" drew as "live" on the diagram
    page, problems = open_page(browser, server)
    path = tmp_path / "bidi.csv"
    rows = "".join(
        f"{i % 7},{i % 3},{RLO + 'yes' if i % 2 else 'no' + chr(0x2066)}\n" for i in range(30)
    )
    path.write_text(f"{RLO}evil,plain,kind\n{rows}", encoding="utf-8")
    upload(page, path, "\\u202eevil")
    labels = page.locator(".node .value").all_text_contents()
    assert labels[:2] == ["\\u202eevil", "plain"]
    legend = page.text_content("#class-legend")
    assert "\\u202eyes" in legend and "no\\u2066" in legend
    assert RLO not in page.text_content("body")
    assert problems == []


def test_a_link_with_a_bidi_control_in_a_value_is_refused_and_named_escaped(browser, server):  # noqa: F811
    # before: a link's target "\u202eevil" was taken and echoed into the page as it is
    page, problems = open_page(browser, server)
    setup = {"dataset": {"name": "moons", "target": RLO + "evil"}, "loss": RLO + "mse"}
    page.goto(f"{server}?bidi=1#{quote(json.dumps(setup))}")
    page.wait_for_selector("#error:not([hidden])")
    settle(page)
    message = page.text_content("#error-text")
    assert "dataset.target: expected a column name" in message
    assert '"\\u202eevil"' in message and '"\\u202emse"' in message
    assert RLO not in message
    assert problems == []


def test_a_wide_csv_says_it_is_standardized_and_steps_through(browser, server, tmp_path):  # noqa: F811
    page, problems = open_page(browser, server)
    path = tmp_path / "wide.csv"
    path.write_text(wide_csv())
    upload(page, path, "size")
    note = page.text_content("#preprocessing-note")
    assert note.startswith("features standardized inside the model (Normalization")
    assert page.text_content("#shape") == "2-4-1"
    page.click("#trace")
    page.wait_for_selector("#narration section")
    # the trace numbers the Normalization layer 1; the diagram draws the Dense layers only
    # (before: the stage of the last layer met no column, a TypeError in the page)
    titles, labels = [], []
    while True:
        titles.append(page.text_content("#stage-title").split(": ", 1)[1])
        labels.append(page.locator(".node .value").all_text_contents())
        if page.is_disabled("#next"):
            break
        page.click("#next")
    assert titles[:4] == ["input", "forward, layer 1", "forward, layer 2", "forward, layer 3"]
    # each unit named as the stage's equations name it (before: "a=" on every unit)
    assert [t.split("=")[0] for t in labels[0][:2]] == ["size", "ratio"]  # x, by feature name
    assert [t.split("=")[0] for t in labels[1][:2]] == ["a1[0]", "a1[1]"]  # the standardized x
    assert [t.split("=")[0] for t in labels[2][2:6]] == [f"a2[{j}]" for j in range(4)]
    assert labels[3][6].startswith("a3[0]=")  # the output unit
    assert problems == []


def test_a_links_number_beyond_float64_is_named_too_large_not_null(browser, server):  # noqa: F811
    # before: JSON.parse reads 1e999 as Infinity, which the message showed as "null"
    page, problems = open_page(browser, server)
    link = quote('{"seed": 1e999}')
    page.goto(f"{server}?big=1#{link}")
    page.wait_for_selector("#error:not([hidden])")
    settle(page)
    message = page.text_content("#error-text")
    assert "seed: expected an integer from 0 to 2147483647, got Infinity (too large)" in message
    assert problems == []
