"""The seed preset, the sine, L1 and "discretize output" in the page, in headless Chromium (the
shared set-up of test_playground_browser.py).

The done-when test of issue 16: a learner clicks "the seed", trains 1000 steps, and reads the
notebook's outputs from the page. The expected numbers are the notebook's own printed output
(tests/snapshots/seed_notebook_printed.txt, its saved cell output), not typed in.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote

import pytest
from playwright.sync_api import Page

from glassnet.playground.config import SEED_PRESET
from test_playground_browser import page, server, settle  # noqa: F401  (the shared fixtures)
from test_playground_seed import notebook_outputs


def shared_setup(page: Page) -> dict:  # noqa: F811
    """The setup the address bar's link carries."""
    return json.loads(unquote(page.evaluate("() => location.hash").lstrip("#")))


def test_the_seed_preset_trains_to_the_notebooks_outputs_on_the_page(page):  # noqa: F811
    page, problems = page
    page.click("#preset-seed")
    page.wait_for_function("() => window.playground.session.config.dataset.name === 'xor_seed'")
    settle(page)
    # the controls show the notebook's network
    assert page.input_value("#dataset") == "xor_seed"
    assert page.input_value("#loss") == "half_sum_squared_error"
    assert page.input_value("#initializer") == "seed_notebook"
    assert page.input_value("#learning-rate") == "1"
    assert not page.is_checked("#output-bias")
    assert not page.is_checked(".layer-row input[type=checkbox]")
    assert page.text_content("#shape").startswith("3-4-1")
    assert shared_setup(page)["initializer"] == "seed_notebook"  # the link holds it too
    page.fill("#train-steps", "1000")
    page.click("#train-n")
    page.wait_for_function("() => window.playground.session.step === 1000")
    settle(page)
    assert page.text_content("#step-count") == "1000"
    shown = page.text_content("#predictions-values")
    assert [float(v) for v in re.findall(r"-?\d+\.\d+", shown)] == notebook_outputs()
    assert page.is_visible("#predictions")
    assert problems == []


def test_the_sine_draws_its_fitted_curve_and_l1_goes_into_the_link(page):  # noqa: F811
    page, problems = page
    page.select_option("#dataset", "sine")
    page.wait_for_function("() => window.playground.session.config.dataset.name === 'sine'")
    settle(page)
    assert page.input_value("#loss") == "mse"  # a regression set takes a squared error
    assert page.text_content("#surface-title") == "Fitted curve"
    assert not page.is_visible("#discretize")  # no classes to discretize
    assert "a number to fit" in page.text_content("#output-note")
    before = page.evaluate("() => document.querySelector('#surface').toDataURL()")
    page.fill("#train-steps", "300")
    page.click("#train-n")
    page.wait_for_function("() => window.playground.session.step === 300")
    settle(page)
    after = page.evaluate("() => document.querySelector('#surface').toDataURL()")
    assert after != before  # the curve moved as it fitted
    page.fill("#l1", "0.002")
    page.press("#l1", "Tab")
    page.wait_for_function("() => window.playground.session.config.l1 === 0.002")
    settle(page)
    assert shared_setup(page)["l1"] == 0.002
    assert page.text_content("#train-acc") == "\u2013"  # a regression has no accuracy (a dash)
    assert problems == []


def test_discretize_shows_the_class_and_is_kept_in_the_link(page, server):  # noqa: F811
    page, problems = page

    def colours() -> int:
        return page.evaluate(
            """() => {
                const canvas = document.querySelector('#surface');
                const data = canvas.getContext('2d').getImageData(0, 0, 200, 200).data;
                const seen = new Set();
                for (let p = 0; p < data.length; p += 4) seen.add(data.slice(p, p + 3).join());
                return seen.size;
            }"""
        )

    page.click("#build")
    settle(page)
    smooth = colours()
    page.check("#discretize")
    page.wait_for_function("() => location.hash.includes('discretize')")
    assert shared_setup(page)["discretize"] is True
    assert colours() < smooth  # full-strength class colours instead of graded probabilities
    step = page.evaluate("() => window.playground.session.step")
    assert step == 0  # a view setting: nothing was rebuilt or trained
    page.goto(f"{server}?again=1{page.evaluate('() => location.hash')}")
    settle(page)
    assert page.is_checked("#discretize")
    assert problems == []


@pytest.mark.parametrize(
    "field, value, where",
    [
        ("l1", "<img src=x onerror=alert(1)>", "l1"),
        ("output_bias", "<svg onload=alert(1)>", "output_bias"),
        ("initializer", '"><script>alert(1)</script>', "initializer"),
        ("discretize", "javascript:alert(1)", "discretize"),
    ],
)
def test_hostile_values_in_the_new_link_fields_are_named_not_run(page, server, field, value, where):  # noqa: F811
    page, problems = page
    link = quote(json.dumps({**SEED_PRESET, field: value}))
    page.goto(f"{server}?hostile={field}#{link}")
    page.wait_for_selector("#error:not([hidden])")
    settle(page)
    message = page.text_content("#error-text")
    assert f"{where}: expected " in message and value[:12] in message
    assert page.evaluate("() => document.querySelectorAll('img, script:not([src])').length") == 0
    assert problems == []


@pytest.mark.parametrize(
    "field, button, typed, message",
    [
        ("#l1", "#build", "7", 'L1: "7" is out of range; enter a number from 0 to 1.'),
        ("#l1", "#build", "", "L1: empty; enter a number from 0 to 1."),
        ("#train-steps", "#train-n", "0", 'steps: "0" is out of range; enter a whole number'),
        ("#train-steps", "#train-n", "2.5", 'steps: "2.5" is not a whole number'),
        ("#train-steps", "#train-n", "1e999", "steps: too large"),
    ],
)
def test_the_new_inputs_are_checked_in_the_page_before_anything_is_sent(
    page,  # noqa: F811
    field,
    button,
    typed,
    message,
):
    page, problems = page
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.fill(field, typed)
    page.click(button)
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error-text").startswith(message)
    assert sent == [] and problems == []


def test_the_sine_step_through_names_the_target_not_a_class(page):  # noqa: F811
    """A regression row has a number to fit: the step-through's intro says "target y = ...",
    never "class 0.53" (a classification word for a regression set)."""
    page, problems = page
    page.select_option("#dataset", "sine")
    page.wait_for_function("() => window.playground.session.config.dataset.name === 'sine'")
    settle(page)
    page.fill("#trace-example", "1")
    page.click("#trace")
    page.wait_for_function(
        "() => document.querySelector('#stage .intro')?.textContent.startsWith('Example 1 ')"
    )
    intro = page.text_content("#stage .intro")
    assert re.search(r"target y = -?\d+(?:\.\d+)?(?:e-?\d+)?\.$", intro), intro
    assert "class" not in intro
    assert problems == []
