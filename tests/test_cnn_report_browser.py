"""``glassnet demo --cnn``'s report in Debian's Chromium, driven by Playwright: offline, no console
error, every picture loaded, each section's heading on screen, and no two texts of the network's
diagram overlapping as the browser lays them out (``getBBox``, not an estimate). Set
GLASSNET_CNN_REPORT_SCREENSHOT to a path to also save the README's picture (docs/cnn_report.png)
there: the network and the feature maps, the kernels and the most wrong images, side by side.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

from glassnet import plots
from glassnet.plots.image_report import SECTION_TITLES, train_demo_cnn
from helpers import chromium_page

#: the texts of every inline SVG as the browser lays them out: [text, x, y, width, height]
SVG_TEXT_BOXES = """() => Array.from(document.querySelectorAll('svg text')).filter(
    (t) => t.textContent.trim() !== '').map((t) => {
        const box = t.getBBox();
        return [t.textContent, box.x, box.y, box.width, box.height];
    })"""


def _overlapping(boxes: list) -> list[tuple[str, str]]:
    pairs = []
    for i, (a, ax, ay, aw, ah) in enumerate(boxes):
        for b, bx, by, bw, bh in boxes[i + 1 :]:
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                pairs.append((a, b))
    return pairs


def test_the_cnn_report_in_a_browser(tmp_path) -> None:
    path = plots.cnn_demo_report(tmp_path / "cnn", run=train_demo_cnn(seed=0, epochs=15))
    with chromium_page({"width": 1200, "height": 900}) as (page, problems, requests):
        page.goto(path.resolve().as_uri(), wait_until="load")
        info = page.evaluate(
            """() => ({
                images: Array.from(document.images).map(
                    (img) => [img.complete, img.naturalWidth, img.naturalHeight]),
                headings: Array.from(document.querySelectorAll('h2[id]')).map(
                    (h) => h.textContent),
                wide: document.documentElement.scrollWidth,
            })"""
        )
        boxes = page.evaluate(SVG_TEXT_BOXES)
        shot = page.screenshot(full_page=True)
        if os.environ.get("GLASSNET_CNN_REPORT_SCREENSHOT"):
            _readme_picture(page, os.environ["GLASSNET_CNN_REPORT_SCREENSHOT"])
    assert problems == []
    assert [url for url in requests if not url.startswith(("file://", "data:"))] == []
    assert info["headings"] == list(SECTION_TITLES)
    assert len(info["images"]) == 6
    assert all(done and width > 0 and height > 0 for done, width, height in info["images"])
    assert info["wide"] <= 1200  # nothing pushes the page sideways
    assert len(boxes) > 20 and _overlapping(boxes) == []
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=float)
    assert pixels.std() > 10


def _readme_picture(page, target: str) -> None:
    """The README's picture: at a laptop's width, the sections that show the most (the network,
    the feature maps, the kernels, the mistakes) one under the other, each cut at 680 px."""
    page.set_viewport_size({"width": 1100, "height": 900})
    parts = []
    for anchor in ("network", "feature-maps", "kernels", "most-wrong"):
        box = page.evaluate(
            f"() => {{ const r = document.getElementById('{anchor}').parentElement"
            ".getBoundingClientRect(); return [r.top + window.scrollY, r.height]; }"
        )
        clip = {"x": 0, "y": box[0] - 8, "width": 1100, "height": min(box[1] + 16, 680)}
        parts.append(Image.open(io.BytesIO(page.screenshot(full_page=True, clip=clip))))
    sheet = Image.new("RGB", (1100, sum(part.height for part in parts)), "white")
    y = 0
    for part in parts:
        sheet.paste(part.convert("RGB"), (0, y))
        y += part.height
    sheet.save(target, optimize=True)
