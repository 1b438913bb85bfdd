"""The glassnet commands on an image model and image data: train --save over an earlier model file,
gradcheck/explain --model with the digits as flat rows or as images of the wrong size, and predict
given hostile rows of pixels. Each works, or says what is wrong in one line (status 2)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D, Rescaling


@pytest.fixture
def cnn_file(tmp_path) -> str:
    """An untrained 8x8 digits CNN (float64), saved."""
    model = gn.Sequential(
        [
            gn.Input(shape=(8, 8, 1)),
            Rescaling(1 / 16),
            Conv2D(2, 3, activation="tanh"),
            MaxPooling2D(),
            Flatten(),
            Dense(10, activation="softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    path = str(tmp_path / "cnn.glassnet")
    model.save(path)
    return path


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line
    return err


def test_train_save_replaces_an_earlier_model_file(tmp_path, capsys) -> None:
    # before: the second run was refused before training, "a name ending in .glassnet is a
    # glassnet model file's, and glassnet does not put another kind of file there"
    path = str(tmp_path / "cnn.glassnet")
    args = ["train", "--data", "digits-images", "--conv", "--epochs", "1", "--verbose", "0"]
    assert main([*args, "--save", path]) == 0
    assert main([*args, "--seed", "1", "--save", path]) == 0
    assert "Model saved to" in capsys.readouterr().out
    model = gn.load_model(path)
    assert model.example_shape == (8, 8, 1)
    (tmp_path / "notes.glassnet").write_text("my notes")  # not a model file: still refused
    assert main([*args, "--save", str(tmp_path / "notes.glassnet")]) == 2
    assert "notes.glassnet" in error_line(capsys)
    assert (tmp_path / "notes.glassnet").read_text() == "my notes"


def test_gradcheck_reads_the_flat_digits_as_images_for_an_image_model(cnn_file, capsys) -> None:
    # before: "Expected 4-D array x of shape (n_samples, 8, 8, 1) ... Reshape it, e.g.
    # x.reshape(-1, 8, 8, 1)", which a user of the command line cannot do
    assert main(["gradcheck", "--model", cnn_file, "--data", "digits", "--samples", "2"]) == 0
    assert capsys.readouterr().out.strip().endswith("PASS")


def test_a_csv_of_pixel_rows_is_read_as_images_too(cnn_file, tmp_path, capsys) -> None:
    x, y = gn.datasets.digits()
    np.savetxt(tmp_path / "rows.csv", np.column_stack([x[:3], y[:3]]), delimiter=",", fmt="%g")
    args = ["gradcheck", "--model", cnn_file, "--data", str(tmp_path / "rows.csv")]
    assert main(args) == 0
    assert "on 3 examples" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("data", "given"),
    [("mnist", "images of shape (28, 28, 1)"), ("moons", "2 features")],
)
@pytest.mark.parametrize("command", ["gradcheck", "explain"])
def test_data_of_another_shape_is_refused_in_one_line(cnn_file, capsys, data, given, command):
    assert main([command, "--model", cnn_file, "--data", data]) == 2
    assert error_line(capsys) == (
        f"glassnet {command}: error: --data '{data}' gives {given}, but the model takes images "
        "of shape (8, 8, 1) (height, width, channels), or rows of 64 numbers. Give the data it "
        "was trained on (digits-images for 8x8 digits, mnist for 28x28), or a CSV file of such "
        "rows.\n"
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (np.r_[np.ones((1, 64)), np.full((1, 64), np.nan)], "line 2, column 1: 'nan' is not a"),
        (np.ones((2, 100_000)), "has 100000 columns, but the model takes 64 inputs"),
        (np.full((2, 64), 1e39), "too large for float32"),
        (np.ones((2, 784)), "has 784 columns, but the model takes 64 inputs"),  # mnist's rows
    ],
)
def test_predict_refuses_hostile_rows_of_pixels_in_one_line(
    tmp_path, capsys, rows, message
) -> None:
    model = gn.Sequential(
        [gn.Input(shape=(8, 8, 1)), Conv2D(2, 3), Flatten(), Dense(10, "softmax")], seed=0
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.save(tmp_path / "cnn.glassnet")
    np.savetxt(tmp_path / "rows.csv", rows, delimiter=",", fmt="%g")
    args = ["predict", "--model", str(tmp_path / "cnn.glassnet"), "--input"]
    assert main([*args, str(tmp_path / "rows.csv")]) == 2
    line = error_line(capsys)
    assert line.startswith("glassnet predict: error: ") and message in line
