"""The report of a CNN: ``plots.cnn_demo_report`` / ``glassnet demo --cnn`` and ``glassnet train
--data digits-images --conv --report``: every section there, every picture embedded and
rendering, no script, nothing fetched."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet import plots
from glassnet.cli import main
from glassnet.layers import Conv2D, Dense, Flatten
from glassnet.plots.image_report import SECTION_TITLES, train_demo_cnn


@pytest.fixture(scope="module")
def run():
    return train_demo_cnn(seed=0, epochs=3)


def pictures(page: str) -> list[np.ndarray]:
    """Every PNG embedded in the page, decoded to pixels."""
    found = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    return [
        np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"), dtype=float)
        for data in found
    ]


def headings(page: str) -> list[str]:
    return re.findall(r"<h2 id='[a-z0-9-]+'>([^<]+)</h2>", page)


def test_the_cnn_report_has_every_section_and_renders(tmp_path, run) -> None:
    path = plots.cnn_demo_report(tmp_path / "report", run=run)
    page = path.read_text()
    assert headings(page) == list(SECTION_TITLES)
    images = pictures(page)
    assert len(images) == 6  # curves, confusion, mistakes, feature maps, kernels, gradients ...
    for pixels in images:  # ... each a real picture, not a blank
        assert pixels.shape[0] > 100 and pixels.shape[1] > 200 and pixels.std() > 10
    assert page.count("<svg") == 1  # the network's blocks, inline
    assert "<script" not in page.lower() and "<iframe" not in page.lower()
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "digits_cnn: 8x8x1 -&gt; 8x8x1 -&gt; 6x6x8 -&gt; 3x3x8 -&gt; 72 -&gt; 10" in page
    assert f"On the {len(run.x_test)} examples given to the report" in page
    assert "before training (above) and after (below)" in page


def test_glassnet_demo_cnn_writes_the_report(tmp_path, capsys) -> None:
    folder = tmp_path / "cnn"
    assert main(["demo", "--cnn", "--output", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"report written to {folder / 'index.html'}" in out
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.9  # measured 0.956 with --seed 0 (glassnet demo --cnn)
    assert headings((folder / "index.html").read_text()) == list(SECTION_TITLES)


def test_glassnet_demo_cnn_refuses_level_before_any_work(tmp_path, capsys) -> None:
    folder = tmp_path / "cnn"
    assert main(["demo", "--cnn", "--level", "student", "--output", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet demo: ") and "the --cnn report has no narration" in err
    assert not folder.exists()


def test_glassnet_train_conv_report(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["train", "--data", "digits-images", "--conv", "--epochs", "1", "--verbose", "0"]
    assert main([*args, "--report", "rep"]) == 0
    page = (tmp_path / "rep" / "index.html").read_text()
    assert headings(page) == list(SECTION_TITLES)
    assert "On the 360 examples given to the report" in page  # the 20% held out of 1797
    assert len(pictures(page)) == 6


def test_an_image_report_leaves_out_what_does_not_apply(tmp_path) -> None:
    x = np.random.default_rng(0).uniform(size=(12, 5, 5, 1))
    regressor = gn.Sequential([gn.Input(shape=(5, 5, 1)), Conv2D(2, 3), Flatten(), Dense(1)])
    regressor.compile("sgd", "mse")
    history = regressor.fit(x, x.mean(axis=(1, 2, 3)), epochs=1, verbose=0)
    page = plots.training_report(tmp_path / "r", regressor, history, x, x[:, 0, 0, 0]).read_text()
    assert headings(page) == [
        "Network",
        "Numbers",
        "Training curves",
        "Feature maps",
        "Kernels",
        "Kernel gradients",
    ]  # a regressor has no confusion matrix
    flat = gn.Sequential([gn.Input(shape=(5, 5, 1)), Flatten(), Dense(2, "softmax")])
    flat.compile("sgd", "sparse_categorical_crossentropy")
    labels = np.arange(12) % 2
    history = flat.fit(x, labels, epochs=1, verbose=0)
    page = plots.training_report(tmp_path / "f", flat, history, x, labels).read_text()
    assert headings(page) == [
        "Network",
        "Numbers",
        "Training curves",
        "Confusion matrix",
        "Most wrong",
    ]  # no convolution: no feature maps, no kernels


def test_an_image_report_refuses_examples_of_the_wrong_shape(tmp_path, run) -> None:
    with pytest.raises(ValueError, match="expects input of shape"):
        plots.training_report(
            tmp_path / "r", run.model, run.history, np.ones((3, 4, 4, 1)), [0] * 3
        )
    assert not (tmp_path / "r" / "index.html").exists()


def test_the_report_folder_is_checked_before_training(tmp_path, monkeypatch) -> None:
    trained = []
    monkeypatch.setattr(
        "glassnet.plots.image_report.train_demo_cnn", lambda seed=0: trained.append(seed)
    )
    target = tmp_path / "file"
    target.write_text("not a folder")
    with pytest.raises(ValueError, match="report"):
        plots.cnn_demo_report(target)
    assert trained == [] and target.read_text() == "not a folder"


def test_readme_cnn_report_picture_is_small() -> None:
    picture = Path(__file__).resolve().parents[1] / "docs" / "cnn_report.png"
    assert picture.stat().st_size < 400_000
    width, height = Image.open(picture).size
    assert width >= 800 and height >= 600
