"""``glassnet train`` puts the scaling it applies into the model, so predict takes raw data."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.datasets import load_digits

import glassnet as gn
from glassnet.cli import main
from glassnet.layers import Normalization, Rescaling
from test_readme import python_blocks, run


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("digits") / "digits.glassnet"
    argv = ["train", "--data", "digits", "--layers", "64", "--epochs", "4", "--lr", "0.005"]
    assert main([*argv, "--seed", "0", "--verbose", "0", "--save", str(path)]) == 0
    return str(path)


def test_a_digits_model_takes_the_raw_pixels_load_digits_gives(digits_model) -> None:
    model = gn.load_model(digits_model)
    first = model.layers[0]
    assert isinstance(first, Rescaling) and first.scale == 1 / 16 and first.offset == 0.0
    bunch = load_digits()  # raw pixels 0..16, no division anywhere in this test
    probabilities = model.predict(bunch.data)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == bunch.target))
    assert accuracy > 0.95
    # before the model carried its scaling, 99% of the rows had a top probability above 0.9999
    sure = float(np.mean(probabilities.max(axis=1) > 0.9999))
    assert sure < 0.2, f"{sure:.0%} of the rows are >0.9999 sure: the pixels were not scaled"


def test_the_readme_predict_example_works_on_raw_digits(
    digits_model, tmp_path, capsys, monkeypatch
) -> None:
    block = next(b for b in python_blocks() if "rows.csv" in b)  # the README's own code
    monkeypatch.chdir(tmp_path)
    run(block)
    bunch = load_digits()
    capsys.readouterr()
    assert main(["predict", "--model", digits_model, "--input", "rows.csv"]) == 0
    streams = capsys.readouterr()
    printed = list(csv.reader(streams.out.splitlines()))
    assert printed[0] == ["class", *(f"p{k}" for k in range(10))]
    classes = np.array([int(row[0]) for row in printed[1:]])
    assert float(np.mean(classes == bunch.target[: len(classes)])) > 0.95
    accuracy = float(streams.err.split("accuracy against the file's last column: ")[1])
    assert accuracy > 0.95


def wide_csv(path, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    x, y = gn.datasets.blobs(150, seed=seed)
    x = x * [1000.0, 0.001] + [50_000.0, 2.0]  # a price and a small measurement
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="price,size,label", comments="")
    return x, y


def test_a_csv_with_wide_ranges_is_standardized_inside_the_model(tmp_path, capsys) -> None:
    data = tmp_path / "wide.csv"
    x, y = wide_csv(data)
    path = tmp_path / "wide.glassnet"
    argv = ["train", "--data", str(data), "--layers", "8", "--epochs", "30", "--verbose", "0"]
    assert main([*argv, "--save", str(path)]) == 0
    model = gn.load_model(path)
    first = model.layers[0]
    assert isinstance(first, Normalization) and first.adapted
    np.testing.assert_allclose(first.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(first.variance, x.var(axis=0), rtol=1e-12)
    assert float(np.mean(model.predict(x).argmax(axis=1) == y)) > 0.9  # raw rows in


@pytest.mark.parametrize(
    ("data", "flag", "kind"),
    [
        ("wide", "--no-standardize", "Dense"),
        ("moons", None, "Dense"),  # a generated set is used as it comes
        ("moons", "--standardize", "Normalization"),
        ("digits", "--standardize", "Normalization"),
    ],
)
def test_standardize_flag_decides_the_first_layer(tmp_path, data, flag, kind) -> None:
    if data == "wide":
        data = str(tmp_path / "wide.csv")
        wide_csv(data)
    path = tmp_path / "m.glassnet"
    argv = ["train", "--data", data, "--layers", "4", "--epochs", "1", "--verbose", "0"]
    argv += [flag] if flag else []
    assert main([*argv, "--save", str(path)]) == 0
    assert gn.load_model(path).layers[0].kind == kind


def test_a_small_range_csv_is_left_as_it_comes(tmp_path) -> None:
    x, y = gn.datasets.moons(80, seed=0)
    data = tmp_path / "small.csv"
    np.savetxt(data, np.column_stack([x, y]), delimiter=",")
    path = tmp_path / "m.glassnet"
    argv = ["train", "--data", str(data), "--layers", "4", "--epochs", "1", "--verbose", "0"]
    assert main([*argv, "--save", str(path)]) == 0
    assert [layer.kind for layer in gn.load_model(path).layers] == ["Dense", "Dense"]


def test_the_playground_exports_take_raw_rows_too(tmp_path) -> None:
    """The playground scales nothing outside the model: the page's numbers, the script's and the
    .glassnet file's all come from the CSV's raw rows."""
    from starlette.testclient import TestClient

    from glassnet.playground.app import create_app

    prices, sizes = np.linspace(1000, 9000, 40), np.linspace(0.001, 0.002, 40)
    rows = "".join(f"{a:.1f},{b:.5f},{int(a > 5000)}\n" for a, b in zip(prices, sizes, strict=True))
    client = TestClient(create_app(), base_url="http://127.0.0.1:8000")
    config = {"dataset": {"name": "csv", "csv": rows}, "layers": [{"units": 4}], "seed": 0}
    sid = client.post("/api/sessions", json=config).json()["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 5}).json()
    script = client.get(f"/api/sessions/{sid}/export.py").text
    assert "scales nothing outside the model" in script and "9000.0" in script  # raw rows
    path = tmp_path / "p.glassnet"
    path.write_bytes(client.get(f"/api/sessions/{sid}/export.glassnet").content)
    model = gn.load_model(path)
    data = client.get(f"/api/sessions/{sid}").json()["data"]
    assert max(max(row) for row in data["x_train"]) > 5000  # the page trains on raw rows
    x_train, y_train = np.array(data["x_train"]), np.array(data["y_train"])
    loss = model.evaluate(x_train, y_train, return_dict=True)["loss"]
    assert loss == pytest.approx(state["metrics"]["loss"], rel=1e-12)


def test_a_normalization_too_big_to_save_is_refused_before_training(
    tmp_path, capsys, monkeypatch
) -> None:
    from glassnet.cli import train as command

    x = np.random.default_rng(0).normal(size=(3, 30_000)) * 1000  # wide: standardized
    # (the data as a CSV file would take the same path; reading 30,000 columns is slow)
    monkeypatch.setattr(command, "load_data", lambda *args: (x, np.array([0, 1, 0])))

    def no_training(*args, **kwargs):
        raise AssertionError("fit ran before the header size was checked")

    monkeypatch.setattr(gn.Sequential, "fit", no_training)
    argv = ["train", "--data", "wide.csv", "--epochs", "1", "--verbose", "0"]
    assert main([*argv, "--save", str(tmp_path / "m.glassnet")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("glassnet train: error: --save ") and len(err.splitlines()) == 1
    assert "a Normalization over 30000 features keeps more numbers than" in err
    assert "--no-standardize" in err and not (tmp_path / "m.glassnet").exists()
