"""One self-contained HTML page of sections: every picture inline (SVG as markup, PNG as a
``data:`` URI), the CSS inline, no script, nothing fetched from anywhere. It opens offline.

``write_report(directory, title, sections)`` writes ``directory/index.html``;
``training_report(directory, model, history, x, y)`` makes the page for any training run (what
``glassnet train --report DIR`` writes); ``glassnet.plots.demo.demo_report`` makes the seed's
page (what ``glassnet demo`` writes).

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as folder:
...     path = write_report(folder, "Hello", [Section("Numbers", "<p>1 + 1 = 2</p>")])
...     text = path.read_text()
>>> path.name, "<h2 id='numbers'>Numbers</h2>" in text, "http" in text.replace("http://www.w3", "")
('index.html', True, False)
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from glassnet._outputs import check_output_target, prepare_output_folder, write_text_atomically
from glassnet.callbacks import History
from glassnet.plots.figures import history_dict

if TYPE_CHECKING:
    from glassnet.model import Sequential
    from glassnet.plots.recorder import WeightRecorder

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 0;
       background: #f1f5f9; color: #0f172a; line-height: 1.5; }
header { background: #0f172a; color: #f8fafc; padding: 22px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 26px; }
header p { margin: 0; color: #cbd5e1; }
nav { padding: 10px 32px; background: #e2e8f0; font-size: 14px; }
nav a { margin-right: 16px; color: #1d4ed8; text-decoration: none; }
main { max-width: 1120px; margin: 0 auto; padding: 12px 24px 40px 24px; }
section { background: white; border-radius: 10px; padding: 6px 24px 18px 24px; margin: 18px 0;
          box-shadow: 0 1px 3px rgba(15, 23, 42, 0.12); }
h2 { font-size: 20px; border-bottom: 2px solid #e2e8f0; padding-bottom: 6px; }
h3 { font-size: 16px; margin-bottom: 4px; }
figure { margin: 10px 0; }
figure img, figure svg { display: block; width: 100%; height: auto; margin: 0 auto; }
figcaption { color: #475569; font-size: 14px; }
.row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.row > figure { flex: 1 1 320px; min-width: 0; }
.narration h3 { font-size: 17px; border-bottom: 1px solid #e2e8f0; padding-bottom: 3px; }
.narration h4 { font-size: 15px; margin-bottom: 4px; }
.narration h5, .narration h6 { font-size: 14px; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 6px 12px; text-align: left; }
th { background: #f8fafc; }
td.number { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; white-space: pre; }
.match { color: #15803d; font-weight: bold; } .differ { color: #b91c1c; font-weight: bold; }
pre { background: #f8fafc; padding: 10px; border-radius: 6px; overflow-x: auto; font-size: 13px; }
.note { color: #475569; font-size: 14px; }
"""


@dataclass
class Section:
    """One part of the page: a heading (``<h2>``) and the HTML below it."""

    title: str
    body: str

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "section"


#: how far a figure may grow past its drawn size to take the card's width: an SVG (sharp at
#: any size) to 1.5 times, a PNG not at all (it would blur; draw it with more dpi instead)
SVG_GROWTH = 1.5


def figure_html(figure: Any, caption: str = "", dpi: int = 100, alt: str = "") -> str:
    """A matplotlib figure as an inline ``<img>`` (PNG in a data: URI), closing the figure;
    ``alt``: the image's text for readers who cannot see it (default: the caption). The image
    takes the card's width (CSS ``width: 100%``), up to its own width in pixels."""
    from glassnet.plots._matplotlib import png_bytes

    png = png_bytes(figure, dpi=dpi)
    width = int.from_bytes(png[16:20], "big")  # the PNG's IHDR: width, then height
    data = base64.b64encode(png).decode("ascii")
    alt = escape(alt or caption or "figure", quote=True)
    image = f"<img src='data:image/png;base64,{data}' alt='{alt}' style='max-width: {width}px'>"
    return f"<figure>{image}{_figcaption(caption)}</figure>"


def _grown(svg: str) -> tuple[str, float]:
    """``svg`` with a style that lets it take the card's width up to ``SVG_GROWTH`` times its
    own, and that own width (px; 0 when it states none)."""
    match = re.match(r"<svg [^>]*?width='([0-9.]+)'", svg)
    if match is None or " style=" in svg[: svg.find(">")]:
        return svg, 0.0
    width = float(match.group(1))
    style = f" style='max-width: {SVG_GROWTH * width:g}px'"
    return svg.replace("<svg ", f"<svg{style} ", 1), width


def svg_html(svg: str, caption: str = "") -> str:
    """An SVG document placed inline in the page, as wide as the card (up to 1.5 times its own
    width)."""
    return f"<figure>{_grown(svg)[0]}{_figcaption(caption)}</figure>"


def svg_row(items: Sequence[tuple[str, str]]) -> str:
    """SVG documents (with captions) side by side while the card holds them at their own widths;
    on a narrower card each takes a line of its own, as wide as the card."""
    figures = []
    for svg, caption in items:
        grown, width = _grown(svg)
        style = f"flex: 1 1 {width:g}px; min-width: min(100%, {width:g}px)" if width else ""
        figures.append(f"<figure style='{style}'>{grown}{_figcaption(caption)}</figure>")
    return "<div class='row'>" + "".join(figures) + "</div>"


def _figcaption(caption: str) -> str:
    """A figure's ``<figcaption>``, or nothing without a caption."""
    return f"<figcaption>{escape(caption)}</figcaption>" if caption else ""


def demoted_headings(fragment: str, levels: int = 2) -> str:
    """``fragment`` (HTML) with every heading ``levels`` levels lower (h1 -> h3, at most h6), so
    that a page placed inside a section (``glassnet explain``'s narration, whose title is an h1)
    reads as part of it, under the section's h2.

    >>> demoted_headings("<h1>Step 0</h1><h2 class='x'>1. Looking</h2><h6>x</h6>")
    "<h3>Step 0</h3><h4 class='x'>1. Looking</h4><h6>x</h6>"
    """

    if isinstance(levels, bool) or not isinstance(levels, int) or not 0 <= levels <= 5:
        raise ValueError(f"Expected levels to be a whole number from 0 to 5, got {levels!r}.")
    if not isinstance(fragment, str):
        raise TypeError(
            f"Expected fragment to be HTML text (a str), got {type(fragment).__name__}."
        )

    def lower(match: re.Match[str]) -> str:
        return f"<{match.group(1)}h{min(int(match.group(2)) + levels, 6)}"

    return re.sub(r"<(/?)h([1-6])(?=[\s>])", lower, fragment, flags=re.IGNORECASE)


def pre_html(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def values_attribute(values: ArrayLike) -> str:
    """Exact numbers for machines: ``data-values`` holding every float's repr, space separated."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    return "data-values='" + " ".join(repr(float(v)) for v in flat) + "'"


def render_page(title: str, sections: Sequence[Section], subtitle: str = "") -> str:
    """The whole HTML page as a string."""
    anchors = [section.anchor for section in sections]
    if len(set(anchors)) != len(anchors):
        raise ValueError(f"Section titles must differ; got {[s.title for s in sections]}.")
    nav = "".join(f"<a href='#{s.anchor}'>{escape(s.title)}</a>" for s in sections)
    body = "\n".join(
        f"<section><h2 id='{s.anchor}'>{escape(s.title)}</h2>\n{s.body}\n</section>"
        for s in sections
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>\n"
        f"<nav>{nav}</nav>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def write_report(
    directory: str | Path, title: str, sections: Sequence[Section], subtitle: str = ""
) -> Path:
    """Write ``directory/index.html`` (making the directory) and return its path.

    The folder is refused when it is a file, a FIFO or a device, or is not writable; the page is
    written atomically, and an ``index.html`` that is not a writable regular file (a FIFO, a
    device, a folder, a read-only file) is refused and left alone (``OutputFileError``, a
    ``ValueError``)."""
    for section in sections:
        if not isinstance(section, Section):
            raise TypeError(
                f"Expected glassnet.plots.Section items, got {type(section).__name__}; wrap "
                f"HTML as Section('Title', '<p>...</p>')."
            )
    page = render_page(title, sections, subtitle)
    folder = prepare_report_folder(directory)
    return write_text_atomically(folder / "index.html", page, "the report page", "index.html")


def prepare_report_folder(directory: str | Path) -> Path:
    """Check (and make) the report's folder before any drawing: see ``write_report``."""
    folder = prepare_output_folder(directory, "the report", "report")
    check_output_target(folder / "index.html", "the report page", "index.html")
    return folder


def final_numbers_html(history: History | Mapping[str, Sequence[float]]) -> str:
    """A table of each quantity at the first and the last epoch."""
    records = history_dict(history)
    rows = "".join(
        f"<tr><td>{escape(key)}</td><td class='number'>{values[0]:.6g}</td>"
        f"<td class='number' data-key='{escape(key, quote=True)}' "
        f"{values_attribute(values[-1])}>{values[-1]:.6g}</td></tr>"
        for key, values in records.items()
        if values
    )
    return f"<table><tr><th>quantity</th><th>first epoch</th><th>last epoch</th></tr>{rows}</table>"


def training_report(
    directory: str | Path,
    model: Sequential,
    history: History | Mapping[str, Sequence[float]],
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    recorder: WeightRecorder | None = None,
    weights_before: Sequence[ArrayLike] | None = None,
    title: str = "glassnet training report",
    log_scale: bool | Sequence[str] = False,
) -> Path:
    """The page for one training run: the network, the numbers, the curves, the decision surface
    (when x has at least two features; any beyond the first two are held at their means), the
    weights (before and after, when ``weights_before`` is given) and, with a ``WeightRecorder``
    that was passed to ``fit``, the weight and gradient histograms. Returns the page's path.

    For an image model (input (height, width, channels)) the page is
    ``glassnet.plots.image_report``'s: the network as blocks, the numbers, the curves, and with
    (x, y) (best the held-out examples) the confusion matrix, the examples it gets most wrong and
    the feature maps of x[0], then the kernels (before and after with ``weights_before``) and
    one training step's kernel gradients on x[:32].
    """
    from glassnet.plots.diagram import network_svg
    from glassnet.plots.figures import decision_boundary_figure, history_figure
    from glassnet.plots.weights import (
        _weighted_layers,
        weight_heatmap_figure,
        weight_histograms_figure,
        weights_change_figure,
    )

    prepare_report_folder(directory)  # before any drawing
    epochs = max((len(values) for values in history_dict(history).values()), default=0)
    subtitle = f"{model.count_params()} parameters, trained for {epochs} epochs"
    model._ensure_built()
    if len(model.example_shape) > 1:  # an image model: blocks, mistakes, feature maps, kernels
        from glassnet.plots.image_report import image_sections

        sections = image_sections(model, history, x, y, weights_before, log_scale)
        if recorder is not None:
            figure = weight_histograms_figure(recorder)
            sections.append(Section("Weight and gradient histograms", figure_html(figure)))
        return write_report(directory, title, sections, subtitle)
    sections = [
        Section("Network", svg_html(network_svg(model), "edges: blue positive, orange negative")),
        Section("Numbers", final_numbers_html(history) + pre_html(model.summary_text())),
        Section("Training curves", figure_html(history_figure(history, log_scale=log_scale))),
    ]
    if x is not None and y is not None and np.ndim(x) == 2 and np.shape(x)[1] >= 2:
        figure = decision_boundary_figure(model, x, y)
        sections.append(Section("Decision surface", figure_html(figure)))
    if weights_before is not None:
        body = figure_html(weights_change_figure(model, weights_before))
    else:
        body = "".join(
            figure_html(weight_heatmap_figure(model, index))
            for index in range(len(_weighted_layers(model)))
        )
    sections.append(Section("Weights", body))
    if recorder is not None:
        figure = weight_histograms_figure(recorder)
        sections.append(Section("Weight and gradient histograms", figure_html(figure)))
    return write_report(directory, title, sections, subtitle)
