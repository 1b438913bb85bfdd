"""The gradient check on real images: a blank region makes every max-pooling window of a
positive ReLU output a tie, and each pixel's +-eps breaks the tie its own way, so the central
difference there is the mean of two one-sided slopes, not a derivative. Such entries are found
(the step changed which side of a kink the forward pass took) and left out, with a count; before,
``glassnet gradcheck --model cnn.glassnet --data mnist`` (or digits-images) said FAIL on dC/dx
of a correct network."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.cli import main
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D


def tied_cnn(conv: type = Conv2D) -> gn.Sequential:
    """Conv2D with a positive bias and ReLU: over a blank (zero) region every output is the bias,
    so each 2x2 max-pooling window holds four equal maxima."""
    model = gn.Sequential(
        [
            gn.Input(shape=(6, 6, 1)),
            conv(2, 3, padding="same", activation="relu", bias_initializer=gn.Constant(0.5)),
            MaxPooling2D(),
            Flatten(),
            Dense(3, activation="softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def images_with_a_blank_border() -> np.ndarray:
    x = np.zeros((2, 6, 6, 1))
    x[:, 2:4, 2:4, 0] = np.random.default_rng(0).uniform(0.5, 1.0, size=(2, 2, 2))  # the middle
    return x


def test_entries_whose_step_crosses_a_max_pooling_tie_are_left_out_and_counted() -> None:
    report = gn.check_gradients(
        tied_cnn(), images_with_a_blank_border(), np.array([0, 2]), check_input=True
    )
    assert report.passed, report.table()
    x_check = report.checks[0]
    assert (x_check.layer, x_check.parameter) == ("input", "x")
    assert 0 < x_check.kinks < x_check.analytic.size  # some entries, not all, left out
    assert x_check.crossed is not None and x_check.crossed.sum() == x_check.kinks
    assert (
        f"{x_check.kinks} of 72 entries left out: their +-eps crossed a kink (relu at 0, a "
        "max-pooling tie), where no derivative exists" in report.table()
    )
    # where a step crossed, the two sides' slopes differ: the numbers really are not a gradient
    crossed = x_check.crossed
    assert np.abs(x_check.analytic[crossed] - x_check.numeric[crossed]).max() > 1e-3
    # the weights' checks cross no tie here and leave nothing out
    assert all(check.kinks == 0 for check in report.checks[1:])


class KernelOnePercentOff(Conv2D):
    """Test-only: the kernel gradient 1% too big."""

    def backward(self, grad_output, need_input_gradient=True):
        result = super().backward(grad_output, need_input_gradient)
        self.kernel_gradient *= 1.01
        return result


def test_a_wrong_gradient_still_fails_beside_the_ties() -> None:
    report = gn.check_gradients(
        tied_cnn(KernelOnePercentOff), images_with_a_blank_border(), np.array([0, 2])
    )
    # the layer is named by its own class, as Keras names a subclass
    assert [(c.layer, c.parameter) for c in report.failures] == [
        ("kernel_one_percent_off", "kernel")
    ]


def test_smooth_networks_leave_nothing_out() -> None:
    rng = np.random.default_rng(0)
    model = gn.Sequential(
        [gn.Input(shape=(3,)), Dense(4, "tanh"), Dense(2, "softmax")], dtype="float64", seed=0
    )
    model.compile("sgd", "sparse_categorical_crossentropy")
    report = gn.check_gradients(model, rng.normal(size=(5, 3)), np.arange(5) % 2, check_input=True)
    assert report.passed and all(check.kinks == 0 for check in report.checks)
    assert "left out" not in report.table()


def test_glassnet_gradcheck_passes_a_saved_cnn_on_mnist(tmp_path, capsys) -> None:
    # before: exit 1, "FAIL: 1 gradient(s) off" on dC/dx (entries in the digits' blank margins)
    model = gn.Sequential(
        [
            gn.Input(shape=(28, 28, 1)),
            gn.layers.Rescaling(1 / 255),
            Conv2D(2, 3, activation="relu", bias_initializer=gn.Constant(0.5)),
            MaxPooling2D(),
            Flatten(),
            Dense(10, activation="softmax"),
        ],
        seed=0,
    )
    model.compile(gn.Adam(0.01), "sparse_categorical_crossentropy")
    model.save(tmp_path / "cnn.glassnet")
    capsys.readouterr()
    args = ["gradcheck", "--model", str(tmp_path / "cnn.glassnet"), "--data", "mnist"]
    assert main([*args, "--samples", "2"]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("PASS") and "FAIL" not in out
    assert "of 1568 entries left out: their +-eps crossed a kink" in out
