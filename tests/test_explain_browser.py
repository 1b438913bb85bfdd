"""The HTML narration renders in headless Chromium: no console error, no request, a screenshot."""

from __future__ import annotations

from pathlib import Path

import glassnet as gn
from glassnet.explain import narrate
from glassnet.seed import XOR_X, XOR_Y, seed_network
from helpers import chromium_page


def test_html_narration_renders_offline(tmp_path: Path) -> None:
    trace = seed_network().trace_step(XOR_X, XOR_Y)
    page_html = narrate(trace, level="student", format="html")
    fragment = narrate(trace, level="kid", format="html", standalone=False)
    other = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            gn.layers.Dense(5, "relu", kernel_regularizer=gn.regularizers.L2(0.01)),
            gn.layers.Dropout(0.4, seed=1),
            gn.layers.Dense(3, "softmax"),
        ],
        dtype="float64",
        seed=2,
    )
    other.compile(optimizer=gn.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = gn.datasets.spiral(n_samples=12, n_classes=3)
    other_html = narrate(other.trace_step(x, y), level="student", format="html")
    with chromium_page({"width": 1000, "height": 800}) as (page, problems, requests):
        page.set_content(page_html, wait_until="load")
        text = page.inner_text("body")
        cells = page.locator("table.m td").count()
        shot = tmp_path / "student.png"
        page.screenshot(path=str(shot), full_page=True)
        page.set_content(f"<!DOCTYPE html><title>embed</title><body>{fragment}</body>")
        kid_text = page.inner_text("section.glassnet-explain")
        page.set_content(other_html, wait_until="load")
        other_text = page.inner_text("body")
        other_shot = tmp_path / "dropout_adam.png"
        page.screenshot(path=str(other_shot), full_page=True)
    assert problems == [] and requests == []
    assert "dC/dW2 = a1.T @ delta2: (4x4).T @ (4x1) -> (4x1)" in text
    assert "0.7575" in text and cells > 50
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:4] == b"\x89PNG"
    assert "it was 0.758 too high" in kid_text
    assert "mask2 = (u >= 0.4) / (1 - 0.4)" in other_text and "m_W1[0,0] = " in other_text
    assert other_shot.stat().st_size > 10_000
