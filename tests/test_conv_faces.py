"""The faces on image models: the network diagram, ``glassnet predict`` on CSV rows of pixels, the
kid's narration of a picture, and the trace's one symbol K for a convolution's kernel."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.explain import narrate
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
from glassnet.plots.diagram import network_figure, network_svg


def digits_cnn(regularizer: str | None = None) -> gn.Sequential:
    model = gn.Sequential(
        [
            gn.Input((8, 8, 1)),
            Conv2D(4, 3, activation="relu", kernel_regularizer=regularizer),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, "softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


# -- the diagram (before: TypeError, model.input_features is None for images) -------------------
def test_the_diagram_draws_an_image_model_as_boxes_with_shapes() -> None:
    svg = network_svg(digits_cnn())
    for text in (
        "8x8x1",
        "6x6x4",
        "3x3x4",
        ">Conv2D 4 3x3<",
        ">relu<",
        "MaxPooling2D 2x2",
        "Flatten",
    ):
        assert text in svg
    assert "sequential: 8x8x1 -&gt; 6x6x4 -&gt; 3x3x4 -&gt; 36 -&gt; 10" in svg  # the title
    assert "40 weights" in svg and "370 weights" in svg  # 3*3*1*4 + 4; 36*10 + 10
    assert "<circle class='unit'" not in svg  # too many units to draw one by one: boxes


def test_the_matplotlib_diagram_of_an_image_model_draws_too() -> None:
    import matplotlib

    matplotlib.use("Agg")
    figure = network_figure(digits_cnn())
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "8x8x1\nimage" in texts and "10\nvalues" in texts
    assert "Conv2D 4 3x3" in texts and "relu" in texts  # the caption's two lines


# -- glassnet predict (before: TypeError from a None feature count) -------------------------------
def test_predict_reads_rows_of_pixels_for_an_image_model(tmp_path, capsys) -> None:
    model = digits_cnn()
    images, y = gn.datasets.digits(images=True)
    images, y = images[:40] / 16.0, y[:40]
    model.fit(images, y, epochs=3, verbose=0)
    model.save(tmp_path / "cnn.glassnet")
    rows = np.column_stack([images.reshape(40, -1), y])  # 64 pixels (channels last), a label
    np.savetxt(tmp_path / "rows.csv", rows, delimiter=",")
    capsys.readouterr()
    args = ["predict", "--model", str(tmp_path / "cnn.glassnet"), "--input"]
    assert main([*args, str(tmp_path / "rows.csv")]) == 0
    streams = capsys.readouterr()
    printed = list(csv.reader(streams.out.splitlines()))
    probabilities = np.array([[float(p) for p in row[1:]] for row in printed[1:]])
    np.testing.assert_allclose(probabilities, model.predict(images), rtol=1e-5, atol=1e-6)
    assert "accuracy against the file's last column" in streams.err


def test_predict_refuses_rows_of_the_wrong_size_for_an_image_model(tmp_path, capsys) -> None:
    digits_cnn().save(tmp_path / "cnn.glassnet")
    np.savetxt(tmp_path / "rows.csv", np.ones((3, 10)), delimiter=",")
    args = ["predict", "--model", str(tmp_path / "cnn.glassnet"), "--input"]
    assert main([*args, str(tmp_path / "rows.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet predict: ")
    assert "has 10 columns, but the model takes 64 inputs" in err


# -- the kid's words and the trace's symbols --------------------------------------------------------
def traced(regularizer: str | None = None) -> gn.trace.Trace:
    x = np.random.default_rng(0).normal(size=(4, 8, 8, 1))
    return digits_cnn(regularizer).trace_step(x, np.array([0, 1, 2, 1]))


def test_the_kid_hears_of_a_picture_and_of_every_knob() -> None:
    text = narrate(traced(), "kid", width=None)
    assert "an 8x8 picture with 1 channel (64 numbers)." in text  # before: "8 numbers"
    assert "a machine with 410 knobs" in text  # count_params: 40 (conv) + 370 (dense)


@pytest.mark.parametrize("regularizer", [None, "l2"])
def test_the_trace_calls_a_convolutions_kernel_k_everywhere(regularizer) -> None:
    trace = traced(regularizer)
    first = [entry for entry in trace.entries if entry.layer == 1]
    symbols = {entry.symbol for entry in first}
    assert {"K1", "dC/dK1", "K1_new", "change_K1", "m_K1", "v_K1"} <= symbols
    assert not any("W1" in entry.symbol or "W1" in entry.equation for entry in first)
    if regularizer:
        assert "dpenalty1/dK1" in symbols
        equations = {entry.symbol: entry.equation for entry in first}
        assert equations["penalty1"] == "penalty1 = 0.01 * sum(K1**2)"
        assert equations["dC/dK1"].endswith(" + dpenalty1/dK1")
    dense = {entry.symbol for entry in trace.entries if entry.layer == 4}
    assert {"W4", "W4_new"} <= dense  # Dense keeps W
