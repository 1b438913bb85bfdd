"""The HTML reports: ``training_report`` for any run and ``glassnet demo``'s page of the seed;
self-contained, and their numbers are the engine's."""

from __future__ import annotations

import contextlib
import io
import re
import sys
import webbrowser
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli, datasets, plots
from glassnet import seed as seed_module
from glassnet.plots import demo
from glassnet.plots.report import Section, render_page, write_report


class _Page(HTMLParser):
    """Collects the tags and attributes of a page, and the report's section headings (the
    ``<h2 id=...>``; an embedded narration has headings of its own, without ids)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_h2 = tag == "h2" and "id" in dict(attrs)

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def assert_self_contained(text: str) -> _Page:
    """No script, no external address: every image a data: URI, every SVG inline."""
    page = _parse(text)
    assert "<script" not in text.lower()
    for tag, attrs in page.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])
    addresses = re.findall(r"(?:https?:)?//[\w.-]+\.\w+", text)
    assert set(addresses) <= {"http://www.w3.org"}, addresses
    assert "@import" not in text and "url(" not in text
    return page


def _values(text: str, row: str) -> np.ndarray:
    match = re.search(rf"<tr id='{row}'>.*?class='number glassnet' data-values='([^']*)'", text)
    assert match, row
    return np.array([float(v) for v in match.group(1).split()])


# -- the page --------------------------------------------------------------------------------
def test_render_page_sections_and_escaping(tmp_path) -> None:
    text = render_page("A <title>", [Section("One & two", "<p>x</p>"), Section("Three", "")])
    assert "<h1>A &lt;title&gt;</h1>" in text and "<h2 id='one-two'>One &amp; two</h2>" in text
    assert "<a href='#three'>Three</a>" in text
    with pytest.raises(ValueError, match="differ"):
        render_page("t", [Section("A", ""), Section("a", "")])
    with pytest.raises(TypeError, match="Section"):
        write_report(tmp_path, "t", ["<p>not a section</p>"])


def test_training_report_for_any_run(tmp_path) -> None:
    x, y = datasets.moons(60, seed=4)
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(6, "tanh"), gn.layers.Dense(1, "sigmoid")], seed=1
    )
    model.compile(gn.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    recorder = plots.WeightRecorder()
    history = model.fit(x, y, epochs=5, validation_split=0.2, verbose=0, callbacks=[recorder])
    path = plots.training_report(
        tmp_path / "run", model, history, x, y, recorder=recorder, weights_before=before
    )
    assert path == tmp_path / "run" / "index.html"
    text = path.read_text(encoding="utf-8")
    page = assert_self_contained(text)
    assert page.headings == [
        "Network",
        "Numbers",
        "Training curves",
        "Decision surface",
        "Weights",
        "Weight and gradient histograms",
    ]
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == 4 and all(a["src"].startswith("data:image/png;base64,") for a in images)
    for key, values in history.history.items():  # the last epoch's numbers, exactly
        match = re.search(rf"data-key='{key}' data-values='([^']*)'", text)
        assert match and float(match.group(1)) == values[-1]
    assert f"{model.count_params()} parameters, trained for 5 epochs" in text


def test_training_report_without_data_or_recorder(tmp_path) -> None:
    x, y = datasets.spiral(60, n_classes=3, seed=0)
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(8, "relu"), gn.layers.Dense(3, "softmax")], seed=0
    )
    model.compile(gn.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, verbose=0)
    text = plots.training_report(tmp_path, model, history, log_scale=True).read_text()
    assert _parse(text).headings == ["Network", "Numbers", "Training curves", "Weights"]
    with_data = plots.training_report(tmp_path / "b", model, history.history, x, y).read_text()
    assert "Decision surface" in _parse(with_data).headings


# -- the demo ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs() -> demo.SeedRuns:
    return demo.run_seed_cells()


def test_demo_runs_are_the_seed_cells(runs) -> None:
    numpy_cell = seed_module.numpy_cell()
    for name in ("initial_output", "last_output", "prediction"):
        np.testing.assert_array_equal(getattr(runs.numpy, name), getattr(numpy_cell, name))
    # the curve's last loss is the half sum of the last iteration's outputs
    half_sum = 0.5 * np.sum((runs.numpy.last_output - seed_module.XOR_Y) ** 2)
    assert runs.numpy_history["loss"][-1] == pytest.approx(half_sum, rel=1e-12)
    assert runs.numpy_history["accuracy"][-1] == 1.0 and len(runs.numpy_history["loss"]) == 1000
    np.testing.assert_array_equal(runs.numpy_weights_before[0], seed_network_kernel())
    keras = seed_module.keras_cell()
    np.testing.assert_array_equal(runs.keras.predictions, keras.predictions)
    assert runs.keras.history.history == keras.history.history
    assert [row.matches for row in demo.notebook_rows(runs)] == [True, True, True]


def seed_network_kernel() -> np.ndarray:
    return seed_module.seed_network().layers[0].kernel


def test_demo_report_numbers_equal_the_engines(tmp_path, runs) -> None:
    text = demo.demo_report(tmp_path, runs=runs).read_text(encoding="utf-8")
    page = assert_self_contained(text)
    assert page.headings == list(demo.SECTION_TITLES)
    for row in ("initial_output", "last_output", "prediction"):
        np.testing.assert_array_equal(_values(text, row), getattr(runs.numpy, row).ravel())
    np.testing.assert_array_equal(
        _values(text, "keras_predictions"), runs.keras.predictions.ravel().astype(np.float64)
    )
    assert _values(text, "keras_parameters").tolist() == [33.0]
    for printed in demo.NOTEBOOK_PRINTED.values():  # the notebook's and glassnet's, side by side
        assert text.count(printed) == 2
    assert text.count("<span class='match'>same</span>") == 3
    assert re.search(r"class=[\"']glassnet-explain", text)  # step 0, narrated
    assert "0.758 too high" in text
    assert text.count("<svg") == 3 and text.count("data:image/png;base64,") == 6


def test_glassnet_demo_command(tmp_path, capsys, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--output", "out", "--open", "--level", "student"]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "out" / "index.html"
    assert path.is_file() and (tmp_path / "out" / "seed_keras_history.json").is_file()
    assert "Initial output              [ 0.758  0.771  0.791  0.801]" in out  # glassnet seed's
    assert "XOR learnt" in out and "Total params: 33" in out  # glassnet seed --cell keras's
    assert f"report written to {path.relative_to(tmp_path)}" in out
    assert out.rstrip().splitlines()[-1] == demo.summary_line(demo.run_seed_cells())
    assert "3/3 printed results match the notebook" in out
    text = path.read_text(encoding="utf-8")
    for printed in ("[ 0.758  0.771  0.791  0.801]", "[ 0.028  0.925  0.925  0.090]", "[ 0.925]"):
        assert printed in text
    assert "dC/dW2 = a1.T @ delta2" in text  # the student's narration
    assert opened == [path.resolve().as_uri()]


def test_glassnet_demo_help_lists_the_options(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    out = capsys.readouterr().out
    assert "--output DIR" in out and "--open" in out


def test_readme_pictures_example_runs(tmp_path, monkeypatch) -> None:
    readme = Path(__file__).resolve().parent.parent / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.DOTALL)
    block = next(b for b in blocks if "plots.training_report(" in b)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(readme), "exec"), {})
    assert out.getvalue().strip() == str(Path("moons-report") / "index.html")
    for name in ("moons.svg", "curves.png", "boundary.png", "weights.png"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert "Weight and gradient histograms" in (tmp_path / "moons-report/index.html").read_text()


def test_glassnet_demo_without_matplotlib_names_the_extra(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    # said before any work (the cells are not run for nothing), as one line with exit status 2
    assert cli.main(["demo", "--output", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("glassnet demo: error: glassnet demo draws its report with matplotlib")
    assert "pip install 'glassnet[plots]'" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out" / "index.html").exists()
