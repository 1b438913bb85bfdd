"""Training for real: accuracy on digits and moons, and the train / predict commands."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main


def test_digits_mlp_reaches_96_percent_test_accuracy():
    x, y = gn.datasets.digits()
    x_train, x_test, y_train, y_test = gn.datasets.train_test_split(
        x / 16.0, y, test_size=0.25, seed=0
    )
    model = gn.Sequential([gn.layers.Dense(64, "relu"), gn.layers.Dense(10, "softmax")], seed=0)
    model.compile(gn.Adam(0.005), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test)
    assert accuracy >= 0.96, f"digits test accuracy {accuracy:.4f} (loss {loss:.4f})"


def test_moons_classifier_reaches_97_percent_test_accuracy():
    x, y = gn.datasets.moons(1000, noise=0.15, seed=0)
    x_train, x_test, y_train, y_test = gn.datasets.train_test_split(x, y, test_size=0.25, seed=0)
    model = gn.Sequential(
        [gn.layers.Dense(16, "relu"), gn.layers.Dense(16, "relu"), gn.layers.Dense(1, "sigmoid")],
        seed=0,
    )
    model.compile(gn.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=100, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test)
    assert accuracy >= 0.97, f"moons test accuracy {accuracy:.4f} (loss {loss:.4f})"


def test_validation_split_with_sparse_labels():
    # the held-out targets are prepared once (a second preparation used to reject them)
    x, y = gn.datasets.spiral(90, n_classes=3, seed=0)
    model = gn.Sequential([gn.layers.Dense(8, "tanh"), gn.layers.Dense(3, "softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    expected = model.evaluate(x[72:], y[72:], return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(expected["loss"])


def test_train_command_trains_saves_and_predict_reads_it_back(tmp_path, capsys):
    path = tmp_path / "moons.glassnet"
    flags = ["--layers", "16,16", "--epochs", "40", "--lr", "0.02", "--seed", "0", "--verbose", "1"]
    code = main(["train", "--data", "moons", "--samples", "400", *flags, "--save", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Epoch 40/40" in out and "samples" in out  # the progress bar
    summary = next(line for line in out.splitlines() if line.startswith("Trained 40 epochs"))
    val_accuracy = float(summary.split("val_accuracy ")[1].split(",")[0])
    assert val_accuracy >= 0.9
    model = gn.load_model(path)
    x, _ = gn.datasets.moons(50, seed=7)
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, x, delimiter=",", header="a,b", comments="")
    assert main(["predict", "--model", str(path), "--input", str(rows)]) == 0
    printed = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert printed[0] == ["class", "p1"]
    probabilities = np.array([float(row[1]) for row in printed[1:]])
    np.testing.assert_allclose(probabilities, model.predict(x)[:, 0], rtol=1e-5)
    assert [int(row[0]) for row in printed[1:]] == list((probabilities > 0.5).astype(int))


def test_train_noise_sets_the_spread_of_every_generated_set(tmp_path, capsys):
    """--noise is blobs' std and the others' noise (it used to fail on blobs)."""
    for name in ("moons", "circles", "spiral", "blobs"):
        path = tmp_path / f"{name}.glassnet"
        argv = ["train", "--data", name, "--samples", "60", "--noise", "0.5", "--epochs", "1"]
        assert main([*argv, "--verbose", "0", "--save", str(path)]) == 0, capsys.readouterr().err
        assert path.exists()


def test_train_on_a_csv_file_and_predict_with_targets(tmp_path, capsys):
    x, y = gn.datasets.blobs(150, seed=0)
    data = tmp_path / "blobs.csv"
    np.savetxt(data, np.column_stack([x, y]), delimiter=",", header="u,v,label", comments="")
    model_path = tmp_path / "b.glassnet"
    args = ["train", "--data", str(data), "--layers", "8", "--epochs", "30", "--verbose", "0"]
    assert main([*args, "--save", str(model_path)]) == 0
    out_csv = tmp_path / "pred.csv"
    command = ["predict", "--model", str(model_path), "--input", str(data)]
    assert main([*command, "--output", str(out_csv)]) == 0
    streams = capsys.readouterr()
    assert "accuracy against the file's last column: " in streams.err
    header = out_csv.read_text().splitlines()[0].split(",")
    assert header == ["class"] + [f"p{k}" for k in range(int(y.max()) + 1)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--data", "nope"], "Unknown data set 'nope'. Expected one of xor, moons"),
        (["train", "--data", "moons", "--layers", "16,x"], "--layers expects positive unit"),
        (["train", "--data", "moons", "--optimizer", "nadam"], "nadam"),
        (["train", "--data", "moons", "--lr", "-1"], "--lr: expected a finite number > 0"),
        (["predict", "--model", "missing.glassnet", "--input", "x.csv"], "No model file at"),
    ],
)
def test_train_and_predict_errors_exit_2_with_one_line(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own checks of the flags, one line too
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_predict_refuses_a_csv_of_the_wrong_width(tmp_path, capsys):
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", "binary_crossentropy")
    model.save(tmp_path / "m.glassnet")
    rows = tmp_path / "rows.csv"
    rows.write_text("1,2,3,4\n5,6,7,8\n")
    assert main(["predict", "--model", str(tmp_path / "m.glassnet"), "--input", str(rows)]) == 2
    assert "has 4 columns, but the model takes 2 inputs" in capsys.readouterr().err


def test_train_report_writes_an_offline_page(tmp_path, capsys):
    folder = tmp_path / "report"
    args = ["train", "--data", "circles", "--layers", "8", "--epochs", "5", "--verbose", "0"]
    assert main([*args, "--report", str(folder)]) == 0
    assert f"Report written to {folder / 'index.html'}" in capsys.readouterr().out
    page = (folder / "index.html").read_text()
    assert "glassnet train: circles" in page
    assert "<svg" in page and "data:image/png;base64," in page
    external = re.findall(r"""(?:src|href)=["']?(https?:[^"' >]+)""", page)
    assert external == []  # offline: no script, style or image from the network


def test_train_checks_the_save_path_before_training(tmp_path, capsys, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("fit ran before the --save path was checked")

    monkeypatch.setattr(gn.Sequential, "fit", no_training)
    args = ["train", "--data", "moons", "--epochs", "500", "--save", str(tmp_path)]
    assert main(args) == 2
    assert "--save" in capsys.readouterr().err


def test_constant_initializer_refuses_nan():
    with pytest.raises(ValueError, match=r"Constant expects a finite number for value, got nan"):
        gn.Constant(float("nan"))
    with pytest.raises(TypeError, match=r"Constant expects a number for value, got str"):
        gn.Constant("0.1")


def test_predict_reads_a_csv_with_a_text_target_column(tmp_path, capsys):
    x, y = gn.datasets.blobs(60, seed=1)
    names = np.array(["apple", "banana", "cherry"])[y % 3]
    data = tmp_path / "fruit.csv"
    rows = [f"{a},{b},{name}" for (a, b), name in zip(x, names, strict=True)]
    data.write_text("u,v,fruit\n" + "\n".join(rows) + "\n")
    model_path = tmp_path / "f.glassnet"
    args = ["train", "--data", str(data), "--layers", "8", "--epochs", "5", "--verbose", "0"]
    assert main([*args, "--save", str(model_path)]) == 0
    assert main(["predict", "--model", str(model_path), "--input", str(data)]) == 0
    streams = capsys.readouterr()
    assert len(streams.out.strip().splitlines()) >= 61  # a header and one row per example
    assert "accuracy against the file's last column: " in streams.err
