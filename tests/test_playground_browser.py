"""The playground page in Debian's Chromium, driven by Playwright, against a real uvicorn server.

A learner's path: build a 2-4-1 net on XOR, train until the loss is small, step one example
forward and backward with the narration, export the script and run it (it prints the loss the page
shows), upload a CSV. No console errors; screenshots go to pytest's tmp_path. Then the hostile
side: links with markup in every field, a CSV whose names and classes are markup, files too large,
all under the server's Content-Security-Policy: no script runs and the page names the bad value. Set
GLASSNET_PLAYGROUND_SCREENSHOT to a path to also save the README's picture there.
"""

from __future__ import annotations

import csv as csv_module
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, sync_playwright

from glassnet.playground import server as playground_server
from glassnet.playground.app import create_app
from glassnet.playground.config import parse_config
from glassnet.playground.sessions import Session
from helpers import CHROMIUM, CHROMIUM_ARGS, XOR_241

LOSS_BOUND = 0.05


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    sock = playground_server.bind("127.0.0.1", 0)  # a free port, as `glassnet playground` takes it
    port = sock.getsockname()[1]
    instance = playground_server.make_server(create_app(port=port), "127.0.0.1", port)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    instance.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def page(server: str) -> Iterator[tuple[Page, list[str]]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1150}, accept_downloads=True)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.goto(server)
        settle(page)
        yield page, problems
        browser.close()


def settle(page: Page) -> None:
    """Wait until the page has a session and no request is in flight."""
    # functions, not expression strings: Playwright evaluates those with eval, which the CSP forbids
    page.wait_for_function("() => window.playground.session && document.body.dataset.busy === '0'")


def hover_edge(page: Page, selector: str) -> None:
    """Move the mouse onto a point of the line that no other line covers, as a person would."""
    point = page.evaluate(
        """(selector) => {
            const line = document.querySelector(selector);
            line.scrollIntoView({block: "center"});  // stepping scrolls the page to the narration
            const box = line.ownerSVGElement.getBoundingClientRect();
            const [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map((a) => Number(line.getAttribute(a)));
            for (let t = 0.1; t < 0.9; t += 0.02) {
                const x = box.left + x1 + t * (x2 - x1), y = box.top + y1 + t * (y2 - y1);
                if (document.elementFromPoint(x, y) === line) return [x, y];
            }
            return null;
        }""",
        selector,
    )
    assert point is not None, f"no uncovered point on {selector}"
    page.mouse.move(*point)
    page.wait_for_selector("#tooltip:not([hidden])")


def engine_session(steps: int) -> Session:
    session = Session("engine", parse_config(XOR_241))
    session.train(steps)
    return session


def test_learner_builds_trains_steps_through_and_exports(page, tmp_path):
    page, problems = page
    # build a 2-4-1 net on XOR through the controls
    page.select_option("#dataset", "xor")
    page.fill("#learning-rate", "0.5")
    page.fill("#batch-size", "4")
    page.click("#build")
    settle(page)
    assert page.text_content("#shape") == "2-4-1"
    assert page.locator(".node").count() == 2 + 4 + 1
    assert page.locator("#edges line").count() == 2 * 4 + 4 * 1

    # train with Play until the loss falls below the bound, then pause
    page.fill("#speed", "40")
    page.click("#play")
    page.wait_for_function(
        f"() => Number(document.querySelector('#train-loss').textContent) < {LOSS_BOUND}",
        timeout=20000,
    )
    page.click("#play")
    settle(page)
    page.wait_for_timeout(200)  # a last frame may land after the pause
    settle(page)
    steps = int(page.text_content("#step-count"))
    shown_loss = page.text_content("#train-loss")
    assert float(shown_loss) < LOSS_BOUND and page.text_content("#train-acc") == "100.0%"

    # the numbers shown are the engine's for the same seed and the same steps
    engine = engine_session(steps)
    assert shown_loss == f"{engine.history[-1]['loss']:#.6g}".rstrip(".")
    hover_edge(page, '#edges line[data-edge="1,0,2"]')
    tooltip = page.text_content("#tooltip")
    weight = float(tooltip.split("\n")[0].split("=")[1])
    assert weight == pytest.approx(float(engine.model.layers[0].kernel[0, 2]), rel=1e-5)
    page.screenshot(path=tmp_path / "trained.png", full_page=True)

    # step one example forward and backward, and read the narration
    page.fill("#trace-example", "1")
    page.select_option("#level", "student")
    page.click("#trace")
    page.wait_for_selector("#narration section")
    assert "Forward pass" in page.text_content("#narration")
    assert page.text_content("#stage-title").startswith("1 / 7: input")
    titles = []
    for _ in range(6):
        page.click("#next")
        titles.append(page.text_content("#stage-title"))
        if "backward, layer 2" in titles[-1]:
            assert page.locator(".node.back").count() == 1  # the output unit
            assert page.locator("#edges line.back").count() == 4
            assert "delta2" in page.text_content("#stage")
            assert page.text_content("#narration .current").startswith("Layer 2")  # followed
    assert [t.split(": ")[1] for t in titles] == [
        "forward, layer 1",
        "forward, layer 2",
        "loss",
        "backward, layer 2",
        "backward, layer 1",
        "update",
    ]
    assert "dC/dW1" in page.text_content("#stage") or "W1_new" in page.text_content("#stage")
    page.click("#prev")
    assert "dC/dW1" in page.text_content("#stage")
    # hover a weight while stepping: its formulas, this example's numbers plugged in
    hover_edge(page, '#edges line[data-edge="1,1,0"]')
    tooltip = page.text_content("#tooltip")
    assert "forward:  a0[1] * W1[1,0] = 1 * " in tooltip  # example 1 is x = (0, 1)
    assert "backward: dC/dW1[1,0] = a0[1] * delta1[0] = 1 * " in tooltip
    page.screenshot(path=tmp_path / "step_through.png", full_page=True)
    if os.environ.get("GLASSNET_PLAYGROUND_SCREENSHOT"):
        page.screenshot(path=os.environ["GLASSNET_PLAYGROUND_SCREENSHOT"], full_page=False)

    # export the script, run it: it prints the loss the page shows
    with page.expect_download() as download:
        page.click("#export-py")
    script = tmp_path / "exported.py"
    download.value.save_as(script)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    printed = float(out.stdout.split("train loss ")[1].split()[0])
    assert printed == engine.history[-1]["loss"]
    assert f"{printed:#.6g}".rstrip(".") == shown_loss
    assert problems == []


def test_csv_upload_the_url_and_an_error_message(page, tmp_path, server):
    page, problems = page
    csv = tmp_path / "fruit.csv"
    rows = [
        f"{0.1 * (i % 10):.1f},{0.1 * (i // 10):.1f},{'apple' if i % 10 > i // 10 else 'pear'}"
        for i in range(100)
    ]
    csv.write_text("sweetness,size,fruit\n" + "\n".join(rows) + "\n")
    page.select_option("#dataset", "csv")
    page.set_input_files("#csv-file", str(csv))
    page.wait_for_function("() => window.playground.session.features[0] === 'sweetness'")
    settle(page)
    assert page.locator(".node .value").first.text_content() == "sweetness"
    assert page.text_content("#csv-name") == "fruit.csv: 100 rows"  # the header is no row
    legend = page.text_content("#class-legend")
    assert "apple" in legend and "pear" in legend
    page.click("#epoch")
    settle(page)
    assert page.text_content("#epoch-count") == "1"
    assert float(page.text_content("#test-loss")) > 0
    page.screenshot(path=tmp_path / "csv.png", full_page=True)
    assert problems == []

    # the setup travels in the URL: a new page opened on it builds the same network
    url = page.url
    assert "%22layers%22" in url and "sweetness" not in url
    page.goto("about:blank")
    page.goto(server + "#" + url.split("#")[1].replace("%22csv%22", "%22moons%22"))
    settle(page)
    assert page.input_value("#dataset") == "moons"
    assert page.is_hidden("#error")  # its "target": null is no bad value

    # a value the server refuses comes back as JSON, and the page shows its message (the page's
    # own checks pass it: the page does not know the training set's size)
    page.fill("#batch-size", "1000")
    page.click("#build")
    page.wait_for_selector("#error:not([hidden])")
    assert "batch_size: expected at most the 150 training examples, got 1000" in page.text_content(
        "#error-text"
    )
    assert [p for p in problems if "400" not in p] == []
    assert Path(tmp_path / "csv.png").stat().st_size > 10_000


# -- hostile input: a shared link, a CSV and a model file try to run script in the page ----------
PWN = "window.__pwned = (window.__pwned || 0) + 1"
PAYLOADS = [
    f'<img src=x onerror="{PWN}">',
    f'"><script>{PWN}</script>',
    f"javascript:{PWN}",
    f'</select><svg onload="{PWN}">',
]
# (path into the setup, the name the page's message gives the field)
FIELDS = [
    (("dataset", "name"), "dataset.name"),
    (("dataset", "n_samples"), "dataset.n_samples"),
    (("dataset", "noise"), "dataset.noise"),
    (("dataset", "classes"), "dataset.classes"),
    (("dataset", "test_fraction"), "dataset.test_fraction"),
    (("dataset", "target"), "dataset.target"),
    (("layers", 0, "units"), "layers[0].units"),
    (("layers", 0, "activation"), "layers[0].activation"),
    (("layers",), "layers"),
    (("layers", 0), "layers[0]"),
    (("loss",), "loss"),
    (("optimizer",), "optimizer"),
    (("learning_rate",), "learning_rate"),
    (("batch_size",), "batch_size"),
    (("l2",), "l2"),
    (("seed",), "seed"),
    (("dataset",), "dataset"),
]
# what the page's scripts see when a CSP violation happens (Playwright's init script bypasses it)
WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def hostile_setup(path: tuple, payload: str) -> dict:
    setup = json.loads(json.dumps({**XOR_241, "dataset": {"name": "moons", "n_samples": 40}}))
    target = setup
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = payload
    return setup


@pytest.fixture
def guarded(server: str) -> Iterator[tuple[Page, list[str]]]:
    """A page that records dialogs (alert, confirm), page errors and CSP violations."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.add_init_script(WATCH)
        seen: list[str] = []
        page.on(
            "dialog", lambda dialog: (seen.append(f"dialog {dialog.message}"), dialog.dismiss())
        )
        page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
        yield page, seen
        browser.close()


def assert_nothing_ran(page: Page, seen: list[str]) -> None:
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => window.__csp") == []  # nothing was even tried and blocked
    charts = "#edges, #loss-chart, #acc-chart, #img-loss-chart, #img-acc-chart"  # the page's own
    injected = f"img, iframe, object, embed, script:not([src]), svg:not({charts})"
    assert page.evaluate(f"() => document.querySelectorAll('{injected}').length") == 0
    assert seen == []


def test_hostile_links_run_no_script_and_name_the_bad_field(guarded, server):
    # before: the hash's layer units went through innerHTML, and <img onerror> ran
    page, seen = guarded
    for case, (path, where) in enumerate(FIELDS):
        payload = PAYLOADS[case % len(PAYLOADS)]
        if path == ("dataset", "target"):
            payload = PAYLOADS[0]  # any other text is a column name a CSV may have
        link = quote(json.dumps(hostile_setup(path, payload)))
        page.goto(f"{server}?case={case}#{link}")  # the query makes each a fresh page load
        page.wait_for_selector("#error:not([hidden])")
        settle(page)  # it still builds, from the defaults for the bad field
        message = page.text_content("#error-text")
        assert message.startswith("This link's setup has bad values, replaced by the defaults:")
        assert f"{where}: expected " in message, (where, message)
        assert json.dumps(payload)[1:30] in message, (where, message)  # the value, as text
        assert_nothing_ran(page, seen)
    # the whole hash as markup, and a field whose name is markup
    for case, (fragment, said) in enumerate(
        [
            (quote(PAYLOADS[0]), "the setup is not readable JSON"),
            (quote(json.dumps({PAYLOADS[1]: 1})), 'unknown field "\\"><script>'),
            (quote(json.dumps({"dataset": {PAYLOADS[3]: 1}})), 'dataset: unknown field "</select>'),
        ]
    ):
        page.goto(f"{server}?whole={case}#{fragment}")
        page.wait_for_selector("#error:not([hidden])")
        settle(page)
        assert said in page.text_content("#error-text")
        assert_nothing_ran(page, seen)


def test_hostile_csv_names_and_classes_are_shown_as_text(guarded, server, tmp_path):
    page, seen = guarded
    page.goto(server)
    settle(page)
    header = [PAYLOADS[0], "javascript:alert(1)", "class"]
    rows = [[i % 7, i % 3, PAYLOADS[1] if i % 2 else PAYLOADS[3]] for i in range(30)]
    csv = tmp_path / "hostile.csv"
    with csv.open("w", newline="") as file:
        csv_module.writer(file).writerows([header, *rows])
    page.select_option("#dataset", "csv")
    page.set_input_files("#csv-file", str(csv))
    page.wait_for_function("() => window.playground.session.features[1] === 'javascript:alert(1)'")
    settle(page)
    assert page.locator(".node .value").first.text_content() == header[0]
    legend = page.text_content("#class-legend")
    assert PAYLOADS[1] in legend and PAYLOADS[3] in legend
    assert_nothing_ran(page, seen)


def test_examples_are_counted_from_0_as_the_cli_counts_them(page):
    # issue 15: one numbering everywhere; "example 0" is row 0 of x, as `glassnet explain
    # --example 0` and NumPy have it
    page, problems = page
    page.fill("#trace-example", "0")
    page.click("#trace")
    page.wait_for_selector("#narration section")
    intro = page.text_content("#stage .intro")
    assert intro.startswith("Example 0 of the train set (row 0, counted from 0): x = (0, 0)")
    assert "from 0" in page.text_content("label[title*='counted from 0']")
    assert problems == []


def test_files_too_large_are_refused_before_the_page_reads_them(guarded, server, tmp_path):
    page, seen = guarded
    page.goto(server)
    settle(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    big = tmp_path / "big.csv"
    big.write_text("a,b\n" + "1,0\n" * 80_000)  # 320 kB
    page.set_input_files("#csv-file", str(big))
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error-text") == (
        "big.csv has 320004 bytes; the playground takes a CSV file of at most 200000 bytes. "
        "Choose a smaller file."
    )
    huge = tmp_path / "huge.glassnet"
    huge.write_bytes(b"\0" * 1_000_001)
    page.set_input_files("#import-file", str(huge))
    page.wait_for_function(
        "() => document.querySelector('#error-text').textContent.startsWith('huge.glassnet')"
    )
    assert "a .glassnet file of at most 1000000 bytes" in page.text_content("#error-text")
    assert requests == [] and seen == []
