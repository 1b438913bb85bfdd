"""glassnet.compare and `glassnet parity --model` on image models: the same steps in PyTorch
float64 (to_torch's module: Conv2d, BatchNorm2d in training mode) report every weight within
1e-12; a broken convolution backward is caught; a model parity cannot mirror is refused in one
line, exit status 2."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
    Rescaling,
)
from glassnet.layers.convolution import Conv2D as Conv2DClass


def small_cnn(batchnorm: bool, shape: tuple[int, int, int] = (9, 8, 2)) -> gn.Sequential:
    """conv (valid) [-> BN -> relu] -> pool -> conv (same, stride 2: pads 0/1) -> flatten ->
    dense softmax."""
    first = (
        [Conv2D(4, 3, use_bias=False), BatchNormalization(momentum=0.9), Activation("relu")]
        if batchnorm
        else [Conv2D(4, 3, activation="relu")]
    )
    model = gn.Sequential(
        [
            gn.Input(shape),
            *first,
            MaxPooling2D(2),
            Conv2D(3, 2, strides=2, padding="same"),
            Flatten(),
            Dense(3, "softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    return model


def data(n: int = 20, shape: tuple[int, int, int] = (9, 8, 2)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, *shape)), rng.integers(0, 3, size=n)


@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd_momentum", "adam"])
def test_compare_trains_a_cnn_with_pytorch_within_1e_12(batchnorm: bool, optimizer: str) -> None:
    model = small_cnn(batchnorm)
    chosen = gn.SGD(0.05, momentum=0.9) if optimizer == "sgd_momentum" else gn.Adam(0.01)
    model.compile(chosen, "sparse_categorical_crossentropy")
    x, y = data()
    report = gn.compare(model, x, y, "torch", steps=100, batch_size=8)
    assert report.passed, report.table()
    assert report.max_weight_difference <= 1e-12
    assert report.max_difference <= 1e-12
    ours, theirs = report.outputs  # predict after training: the moving statistics
    if batchnorm:  # PyTorch's running_var is unbiased: the report says so
        assert "its running_var moves by the unbiased batch variance" in report.table()
        assert 1e-12 < np.abs(theirs - ours).max() < 1e-3
    else:
        np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)


def test_a_wrong_convolution_backward_is_caught(monkeypatch) -> None:
    original = Conv2DClass.backward

    def off_by_one_percent(self, grad_output, need_input_gradient=True):
        result = original(self, grad_output, need_input_gradient)
        self.kernel_gradient *= 1.01
        return result

    monkeypatch.setattr(Conv2DClass, "backward", off_by_one_percent)
    model = small_cnn(False)
    model.compile(gn.SGD(0.05), "sparse_categorical_crossentropy")
    x, y = data()
    report = gn.compare(model, x, y, "torch", steps=3, batch_size=8)
    assert not report.passed
    first = report.first_failure
    assert first.step == 1 and first.output_difference <= 1e-15 < first.gradient_difference


def saved(tmp_path, model: gn.Sequential, name: str) -> str:
    path = tmp_path / name
    model.save(path)
    return str(path)


@pytest.mark.parametrize("batchnorm", [False, True])
def test_glassnet_parity_model_on_random_images(tmp_path, capsys, batchnorm: bool) -> None:
    model = small_cnn(batchnorm)
    model.compile(gn.Adam(0.01), "sparse_categorical_crossentropy")
    path = saved(tmp_path, model, f"cnn{int(batchnorm)}.glassnet")
    code = main(["parity", "--model", path, "--steps", "30", "--batch-size", "8"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{path} on 32 random images (9, 8, 2) (seed 0)" in out
    assert "tolerance 1e-10 (absolute, on every difference): PASS" in out
    largest = next(line for line in out.splitlines() if line.startswith("largest over 30 steps"))
    weight = float(largest.rsplit("weight ", 1)[1])  # the max weight difference, reported
    assert weight <= 1e-12


def test_glassnet_parity_model_on_the_digit_images(tmp_path, capsys) -> None:
    model = gn.Sequential(
        [
            gn.Input((8, 8, 1)),
            Rescaling(1 / 16),
            Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            BatchNormalization(),
            AveragePooling2D(2, padding="same"),
            Flatten(),
            Dense(10, "softmax"),
        ],
        seed=0,
    )  # float32: compared through a float64 copy
    model.compile(gn.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy")
    path = saved(tmp_path, model, "digits_cnn.glassnet")
    code = main(["parity", "--model", path, "--data", "digits-images", "--steps", "20"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "on 1797 examples of digits-images" in out and "PASS" in out


def test_glassnet_parity_with_keras_on_a_cnn(tmp_path, capsys) -> None:
    model = small_cnn(True)
    model.compile(gn.SGD(0.05), "sparse_categorical_crossentropy")
    path = saved(tmp_path, model, "cnn.glassnet")
    code = main(["parity", "--with", "keras", "--model", path, "--steps", "10"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tolerance 1e-05 (absolute, on every difference): PASS" in out


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            [Conv2D(2, 3), Dropout(0.5), Flatten(), Dense(2, "softmax")],
            r"^glassnet parity: error: Layer 'dropout' \(Dropout\) cannot be compared step by step \(a "
            r"dropout mask is random in each framework; compare the network without Dropout\)\. "
            r"Parity supports Dense, .*BatchNormalization\.$",
        ),
        (
            [Conv2D(2, 3, kernel_regularizer="l2"), Flatten(), Dense(2, "softmax")],
            r"^glassnet parity: error: Layer 'conv2d' has a kernel_regularizer; parity compares the "
            r"loss alone\. Compare the network without regularizers\.$",
        ),
        (
            [Conv2D(2, 3, activation="softmax")],
            r"^glassnet parity: error: Model 'sequential' ends in images of shape \(None, 3, 3, 2\); "
            r"parity compares models whose output is \(batch, units\)\. End it with Flatten\(\)",
        ),
    ],
)
def test_what_parity_cannot_mirror_is_one_line_and_exit_2(tmp_path, capsys, layers, message):
    model = gn.Sequential([gn.Input((5, 5, 1)), *layers], seed=0)
    model.compile("sgd", "mse")
    path = saved(tmp_path, model, "odd.glassnet")
    assert main(["parity", "--model", path, "--steps", "2"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert __import__("re").search(message, err.strip()), err


def test_a_flat_model_still_needs_data_and_image_data_must_fit(tmp_path, capsys) -> None:
    flat = gn.Sequential([gn.Input((3,)), Dense(1)])
    flat.compile("sgd", "mse")
    assert main(["parity", "--model", saved(tmp_path, flat, "flat.glassnet")]) == 2
    assert "--model needs --data" in capsys.readouterr().err
    cnn = small_cnn(False)
    cnn.compile("sgd", "sparse_categorical_crossentropy")
    path = saved(tmp_path, cnn, "cnn.glassnet")
    assert main(["parity", "--model", path, "--data", "digits-images", "--steps", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet parity: ") and "(9, 8, 2)" in err and "(8, 8, 1)" in err
