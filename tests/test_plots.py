"""The pictures: the network diagram (SVG and figure), the curves, the decision boundary and the
weight views, for several networks and data sets."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet import datasets, plots
from glassnet.plots._matplotlib import png_bytes
from glassnet.plots.colors import NEGATIVE, POSITIVE
from glassnet.seed import XOR_X, XOR_Y, seed_network

SVG = "{http://www.w3.org/2000/svg}"


def _moons():
    x, y = datasets.moons(80, noise=0.15, seed=1)
    layers = [gn.layers.Dense(5, "tanh"), gn.layers.Dense(1, "sigmoid")]
    return x, y, layers, "binary_crossentropy", 2


def _circles():
    x, y = datasets.circles(80, noise=0.05, seed=2)
    layers = [gn.layers.Dense(6, "relu"), gn.layers.Dense(4, "tanh"), gn.layers.Dense(1, "sigmoid")]
    return x, y, layers, "binary_crossentropy", 2


def _spiral():
    x, y = datasets.spiral(90, n_classes=3, seed=3)
    layers = [gn.layers.Dense(10, "relu"), gn.layers.Dense(3, "softmax")]
    return x, datasets.one_hot(y), layers, "categorical_crossentropy", 2


def _xor():
    x, y = datasets.xor()
    layers = [gn.layers.Dense(4, "sigmoid", use_bias=False), gn.layers.Dense(1, "sigmoid")]
    return x, y, layers, "mse", 3


CASES = {"moons": _moons, "circles": _circles, "spiral": _spiral, "xor": _xor}


@pytest.fixture(scope="module", params=sorted(CASES))
def trained(request):
    """(name, model, x, y, history, recorder, weights before) for each data set."""
    x, y, layers, loss, features = CASES[request.param]()
    model = gn.Sequential([gn.Input(shape=(features,)), *layers], seed=0)
    model.compile(gn.Adam(learning_rate=0.03), loss, metrics=["accuracy"])
    before = [w.copy() for w in model.get_weights()]
    recorder = plots.WeightRecorder(every=2, bins=12)
    if len(x) > 10:
        options = {"batch_size": 16, "validation_split": 0.25}
    else:  # the 4 XOR examples: full batch, validated on themselves
        options = {"validation_data": (x, y)}
    history = model.fit(x, y, epochs=6, verbose=0, callbacks=[recorder], **options)
    return request.param, model, x, y, history, recorder, before


def _png_checks(figure, dpi: int = 50) -> Image.Image:
    """Render at ``dpi``: the PNG has the figure's size in pixels and is not blank."""
    width, height = figure.get_size_inches()
    data = png_bytes(figure, dpi=dpi)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert abs(image.size[0] - width * dpi) <= 1 and abs(image.size[1] - height * dpi) <= 1
    pixels = np.asarray(image, dtype=np.float64)
    assert pixels.std() > 10  # not one flat colour
    assert (pixels.min(axis=2) < 200).mean() > 0.01  # something dark drawn on the white
    return image


# -- the diagram ------------------------------------------------------------------------------
def _units_and_parameters(model):
    dense = [layer for layer in model.layers if layer.kind == "Dense"]
    units = model.input_features + sum(layer.units for layer in dense)
    weights = sum(layer.kernel.size for layer in dense)
    biases = sum(layer.bias.size for layer in dense if layer.use_bias)
    return units, weights, biases


def test_svg_has_one_circle_per_unit_and_one_edge_per_weight(trained) -> None:
    _, model, *_ = trained
    svg = plots.network_svg(model)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    units, weights, biases = _units_and_parameters(model)
    assert len(root.findall(f".//{SVG}circle")) == units
    assert len(root.findall(f".//{SVG}line[@class='edge weight']")) == weights
    assert len(root.findall(f".//{SVG}line[@class='edge bias']")) == biases
    dense = [layer for layer in model.layers if layer.kind == "Dense"]
    for kind, arrays in (
        ("weight", [layer.kernel for layer in dense]),
        ("bias", [layer.bias for layer in dense if layer.use_bias]),
    ):
        lines = root.findall(f".//{SVG}line[@class='edge {kind}']")
        drawn = [float(line.get("data-value")) for line in lines]
        expected = np.concatenate([a.ravel() for a in arrays]).tolist() if arrays else []
        assert sorted(drawn) == sorted(float(v) for v in expected)
    for line in root.findall(f".//{SVG}line[@class='edge weight']"):
        colour = line.get("stroke")
        assert colour == (POSITIVE if float(line.get("data-value")) >= 0 else NEGATIVE)


def test_seed_diagram_labels_inputs_and_shows_values() -> None:
    model = seed_network()
    root = ET.fromstring(plots.network_svg(model))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"x0", "x1", "x2"} <= set(texts)
    assert "+1" not in texts  # the seed network has no bias
    kernel = model.layers[0].kernel
    assert f"{kernel[0, 0]:.2f}" in texts  # values on the edges of a small network
    weights = root.findall(f".//{SVG}line[@class='edge weight']")
    widths = {float(w.get("data-value")): float(w.get("stroke-width")) for w in weights}
    largest, smallest = max(widths, key=abs), min(widths, key=abs)
    assert widths[largest] > widths[smallest]  # thickness by magnitude
    hidden = ET.fromstring(plots.network_svg(model, show_values=False))
    assert not hidden.findall(f".//{SVG}text[@class='value']")


def test_bias_nodes_are_drawn_where_used() -> None:
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(3, "tanh"), gn.layers.Dense(1, use_bias=False)]
    )
    root = ET.fromstring(plots.network_svg(model))
    assert len(root.findall(f".//{SVG}rect[@class='bias']")) == 1
    assert len(root.findall(f".//{SVG}line[@class='edge bias']")) == 3


def test_wide_layers_collapse() -> None:
    model = gn.Sequential(
        [gn.Input(shape=(784,)), gn.layers.Dense(8, "relu"), gn.layers.Dense(3, "softmax")]
    )
    svg = plots.network_svg(model)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "784" in texts and "inputs" in texts and f"{784 * 8 + 8} weights" in texts
    assert len(root.findall(f".//{SVG}circle")) == 8 + 3  # the 784 inputs are one box
    assert len(root.findall(f".//{SVG}rect[@class='collapsed']")) == 1
    assert len(root.findall(f".//{SVG}line[@class='edge weight']")) == 8 * 3
    narrow = ET.fromstring(plots.network_svg(model, max_units=784))
    assert len(narrow.findall(f".//{SVG}circle")) == 784 + 8 + 3
    _png_checks(plots.network_figure(model), dpi=40)


def test_save_network_svg_and_errors(tmp_path) -> None:
    path = plots.save_network_svg(seed_network(), tmp_path / "seed.svg")
    assert ET.parse(path).getroot().tag == f"{SVG}svg"
    with pytest.raises(ValueError, match="not built"):
        plots.network_svg(gn.Sequential([gn.layers.Dense(2)]))
    with pytest.raises(ValueError, match="max_units"):
        plots.network_svg(seed_network(), max_units=0)
    with pytest.raises(TypeError, match="Sequential"):
        plots.network_svg("model")


def test_network_figure(trained) -> None:
    _, model, *_ = trained
    _png_checks(plots.network_figure(model))


# -- curves, boundaries, weights --------------------------------------------------------------
def test_history_figure(trained) -> None:
    _, _, _, _, history, *_ = trained
    figure = plots.history_figure(history)
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]
    assert all(len(ax.lines) == 2 for ax in figure.axes)  # train and validation
    _png_checks(figure)
    logged = plots.history_figure(history, log_scale=True)
    assert [ax.get_yscale() for ax in logged.axes] == ["log", "log"]
    _png_checks(logged)
    some = plots.history_figure(history.history, log_scale=["loss"], xlabel="iteration")
    assert [ax.get_yscale() for ax in some.axes] == ["log", "linear"]
    assert some.axes[0].get_xlabel() == "iteration"
    with pytest.raises(ValueError, match="no numbers"):
        plots.history_figure({})


def test_decision_boundary(trained) -> None:
    name, model, x, y, *_ = trained
    fixed = (1.0,) if name == "xor" else ()
    bounds = ((-1.5, 2.5), (-1.5, 1.5))
    grid = plots.decision_grid(model, bounds, resolution=7, fixed=fixed)
    expected = model.predict(grid.inputs).reshape(7, 7, -1)
    np.testing.assert_array_equal(grid.outputs, expected)
    assert grid.inputs[1, 0] == grid.xs[1] and grid.inputs[7, 1] == grid.ys[1]
    figure = plots.decision_boundary_figure(model, x, y, resolution=40)
    _png_checks(figure)


def test_decision_boundary_errors() -> None:
    with pytest.raises(ValueError, match="fixed"):
        plots.decision_grid(seed_network(), ((0, 1), (0, 1)))
    with pytest.raises(ValueError, match="at least 2 features"):
        plots.decision_boundary_figure(seed_network(), np.ones((4, 1)), [0, 1, 1, 0])


def test_weight_views(trained) -> None:
    _, model, _, _, _, recorder, before = trained
    _png_checks(plots.weight_heatmap_figure(model, 0))
    _png_checks(plots.weight_heatmap_figure(model, -1))
    _png_checks(plots.weights_change_figure(model, before))
    _png_checks(plots.weight_histograms_figure(recorder))
    with pytest.raises(ValueError, match="out of range"):
        plots.weight_heatmap_figure(model, 9)
    with pytest.raises(ValueError, match="no layer with weights named"):
        plots.weight_heatmap_figure(model, "nope")


def test_weight_recorder_numbers(trained) -> None:
    _, model, _, _, _, recorder, before = trained
    assert recorder.epochs == [0, 2, 4, 6]
    slots = [(layer, name) for layer in model.layers for name in layer.parameter_names]
    assert len(recorder.records) == len(slots) == len(before)
    for record, (layer, name), first in zip(recorder.records, slots, before, strict=True):
        assert record.weight_norms[0] == pytest.approx(np.linalg.norm(first), rel=1e-6)
        assert record.weight_norms[-1] == pytest.approx(np.linalg.norm(getattr(layer, name)))
        assert record.gradient_norms[0] is None
        gradient = getattr(layer, f"{name}_gradient")
        assert record.gradient_norms[-1] == pytest.approx(np.linalg.norm(gradient))
        counts, edges = record.weight_histograms[-1]
        assert counts.sum() == getattr(layer, name).size and len(edges) == len(counts) + 1 == 13


def test_weight_histograms_need_training() -> None:
    with pytest.raises(ValueError, match="holds no training"):
        plots.weight_histograms_figure(plots.WeightRecorder())
    with pytest.raises(ValueError, match="every"):
        plots.WeightRecorder(every=0)


def test_seed_net_decision_surface_over_unit_square() -> None:
    figure = plots.decision_boundary_figure(
        seed_network(), XOR_X, XOR_Y, bounds=((0, 1), (0, 1)), fixed=(1.0,), resolution=20
    )
    assert figure.axes[0].get_xlim() == (0.0, 1.0)
    _png_checks(figure)


# -- the face stays a face --------------------------------------------------------------------
def test_core_and_plots_import_without_matplotlib() -> None:
    code = (
        "import sys, glassnet, glassnet.plots, glassnet.cli.demo\n"
        "from glassnet.seed import seed_network\n"
        "glassnet.plots.network_svg(seed_network())\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_matplotlib_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[plots\]'"):
        plots.history_figure({"loss": [1.0, 0.5]})


DRAW_EVERYTHING = """
import sys, tempfile
import matplotlib
import matplotlib.figure

matplotlib.use("svg")  # the user's choice of backend, made before glassnet draws
import glassnet as gn
from glassnet import datasets, plots
from glassnet.plots import demo
from glassnet.plots._matplotlib import png_bytes
from glassnet.plots.report import figure_html

x, y = datasets.moons(40, noise=0.1, seed=0)
model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(3, "tanh"),
                       gn.layers.Dense(1, "sigmoid")], seed=0)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
before = model.get_weights()
recorder = plots.WeightRecorder()
history = model.fit(x, y, epochs=2, verbose=0, callbacks=[recorder])
figures = [
    plots.network_figure(model),
    plots.history_figure(history),
    plots.decision_boundary_figure(model, x, y, resolution=10),
    plots.weight_heatmap_figure(model, 0),
    plots.weights_change_figure(model, before),
    plots.weight_histograms_figure(recorder),
]
directory = tempfile.mkdtemp()
plots.save_network_svg(model, directory + "/net.svg")
plots.training_report(directory + "/run", model, history, x, y, recorder, before)
demo.demo_report(directory + "/demo", runs=demo.run_seed_cells(iterations=20))
figure_html(figures[0]) and png_bytes(figures[1])
figures[2].savefig(directory + "/boundary.svg")
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
print(all(isinstance(f, matplotlib.figure.Figure) for f in figures))
print(all(hasattr(f, "_repr_png_") and f._repr_png_()[:4] == b"\\x89PNG" for f in figures))
"""


def test_drawing_leaves_the_backend_alone_and_pyplot_unimported() -> None:
    """Every plots function, in a fresh interpreter: the backend the user chose is still in
    force afterwards and pyplot was never imported (a notebook's own plt.plot keeps showing), and
    each figure can still show itself as PNG (Jupyter calls ``_repr_png_`` for a cell's value)."""
    out = subprocess.run(
        [sys.executable, "-c", DRAW_EVERYTHING], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["svg", "False", "True", "True"]
