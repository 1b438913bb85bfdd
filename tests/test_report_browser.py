"""``glassnet demo``'s report in Debian's Chromium, driven by Playwright: offline (no request but
file: and data:), no console error, every image loaded, a full-page screenshot that is not empty
and shows each section's heading. Set GLASSNET_REPORT_SCREENSHOT to a path to also save the
README's picture (the top of the page) there.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

import glassnet as gn
from glassnet import datasets, plots
from glassnet.plots import demo
from helpers import chromium_page


def _training_report(folder: Path) -> Path:
    x, y = datasets.circles(60, noise=0.05, seed=0)
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(6, "tanh"), gn.layers.Dense(1, "sigmoid")], seed=0
    )
    model.compile(gn.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    recorder = plots.WeightRecorder()
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[recorder])
    return plots.training_report(folder, model, history, x, y, recorder=recorder)


def _not_blank(png: bytes) -> np.ndarray:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)
    assert pixels.std() > 10
    return pixels


def test_reports_render_offline(tmp_path: Path) -> None:
    pages = {
        "demo": demo.demo_report(tmp_path / "demo"),
        "training": _training_report(tmp_path / "training"),
    }
    headings_of = {"demo": list(demo.SECTION_TITLES), "training": None}
    shots: dict[str, bytes] = {}
    found: dict[str, dict] = {}
    with chromium_page({"width": 1200, "height": 900}) as (page, problems, requests):
        for name, path in pages.items():
            page.goto(path.resolve().as_uri(), wait_until="load")
            found[name] = page.evaluate(
                """() => ({
                    images: Array.from(document.images).map(
                        (img) => [img.complete, img.naturalWidth, img.naturalHeight]),
                    svgs: Array.from(document.querySelectorAll('svg')).map(
                        (svg) => svg.getBoundingClientRect().width),
                    headings: Array.from(document.querySelectorAll('h2[id]')).map((h) => {
                        const box = h.getBoundingClientRect();
                        return [h.textContent, box.top + window.scrollY, box.left,
                                box.width, box.height];
                    }),
                    height: document.documentElement.scrollHeight,
                    text: document.body.innerText,
                })"""
            )
            shots[name] = page.screenshot(full_page=True)
            if name == "demo" and os.environ.get("GLASSNET_REPORT_SCREENSHOT"):
                page.set_viewport_size({"width": 1100, "height": 1400})
                page.screenshot(path=os.environ["GLASSNET_REPORT_SCREENSHOT"])
                page.set_viewport_size({"width": 1200, "height": 900})
    assert problems == []
    outside = [url for url in requests if not url.startswith(("file://", "data:"))]
    assert outside == []
    for name, info in found.items():
        assert info["images"] and all(
            done and width > 0 and height > 0 for done, width, height in info["images"]
        ), name
        assert info["svgs"] and all(width > 100 for width in info["svgs"]), name
        pixels = _not_blank(shots[name])
        assert pixels.shape[1] == 1200 and pixels.shape[0] >= info["height"] - 1
        titles = [heading[0] for heading in info["headings"]]
        if headings_of[name] is not None:
            assert titles == headings_of[name]
        for title, top, left, width, height in info["headings"]:
            assert width > 0 and height > 0, title
            # the heading is in the screenshot, where the page put it: dark text on white
            crop = pixels[int(top) : int(top + height), int(left) : int(left + width)]
            assert crop.size and crop.min() < 100 and crop.max() > 200, title
    demo_text = found["demo"]["text"]
    assert "[ 0.758  0.771  0.791  0.801]" in demo_text and "0.758 too high" in demo_text
    assert len(found["demo"]["images"]) == 6 and len(found["demo"]["svgs"]) == 3
