"""glassnet.compare and `glassnet parity` (PyTorch side): the tool can pass, and it can fail."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import seed as seed_module
from glassnet.cli import main
from test_gradcheck import WrongDerivativeDense, broken_network


def test_a_wrong_derivative_is_caught_by_parity() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    report = gn.compare(broken_network(), x, y, "torch", steps=10)
    assert not report.passed
    first = report.first_failure
    assert first.step == 1  # the first step's gradients already differ...
    assert first.output_difference <= 1e-15 and first.loss_difference <= 1e-15  # ...not the forward
    assert first.gradient_difference > 1e-3
    assert "MISMATCH (first at step 1)" in report.table()


def test_the_same_network_without_the_bug_passes() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    model = gn.Sequential(
        [gn.Input((2,)), gn.layers.Dense(3, "sigmoid"), gn.layers.Dense(1, "sigmoid")],
        dtype="float64",
        seed=0,
    )
    model.compile(gn.SGD(0.5), "mse")
    report = gn.compare(model, x, y, "torch", steps=10)
    assert report.passed and report.max_difference <= 1e-14, report.table()


def test_float32_models_are_compared_through_a_float64_copy() -> None:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(2, "tanh"), gn.layers.Dense(1)], seed=0)
    model.compile(gn.SGD(0.1, momentum=0.9), "mse")
    rng = np.random.default_rng(3)
    report = gn.compare(model, rng.normal(size=(6, 3)), rng.normal(size=(6,)), steps=20)
    assert report.passed, report.table()
    assert model.layers[0].kernel.dtype == np.float32


def test_the_report_states_the_translation() -> None:
    report = gn.compare(
        seed_module.seed_network(), seed_module.XOR_X, seed_module.XOR_Y, "torch", steps=3
    )
    text = report.table()
    assert "batches of 4 taken in order from 4 examples, no shuffling" in text
    assert "half sum = 0.5 * ((a - y)**2).sum()" in text
    assert "torch.optim.SGD(lr=1.0, momentum=0.0, nesterov=False), the same update rule" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"framework": "jax"}, "Expected framework 'torch' or 'keras', got 'jax'."),
        ({"batch_size": 5}, "Expected batch_size between 1 and the 4 examples, got 5."),
        ({"steps": 0}, "Expected steps to be a positive integer, got 0."),
    ],
)
def test_bad_arguments_are_explained(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        gn.compare(seed_module.seed_network(), seed_module.XOR_X, seed_module.XOR_Y, **kwargs)


def test_an_uncompiled_model_is_refused() -> None:
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)])
    with pytest.raises(ValueError, match="You must compile the model before comparing"):
        gn.compare(model, np.ones((2, 2)), np.ones((2, 1)))


def test_glassnet_parity_with_torch_shows_the_notebooks_numbers(capsys) -> None:
    assert main(["parity", "--with", "torch"]) == 0
    out = capsys.readouterr().out
    assert "1000 steps of SGD(learning_rate=1.0" in out
    assert "PASS" in out
    assert "outputs after 1000 steps: glassnet [ 0.028  0.925  0.925  0.090]" in out
    assert out.count("[ 0.028  0.925  0.925  0.090]") == 3  # glassnet, torch, the notebook


def test_glassnet_parity_exits_nonzero_on_a_mismatch(monkeypatch, capsys) -> None:
    def broken_seed_network():
        draws = gn.RandomUniform(0.0, 1.0, seed=1)
        model = gn.Sequential(
            [
                gn.Input((3,)),
                WrongDerivativeDense(4, "sigmoid", use_bias=False, kernel_initializer=draws),
                gn.layers.Dense(1, "sigmoid", use_bias=False, kernel_initializer=draws),
            ],
            dtype="float64",
        )
        model.compile(gn.SGD(1.0), gn.HalfSumSquaredError())
        return model

    monkeypatch.setattr(seed_module, "seed_network", broken_seed_network)
    assert main(["parity", "--with", "torch", "--steps", "5"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_glassnet_parity_refuses_a_batch_larger_than_the_data(capsys) -> None:
    assert main(["parity", "--batch-size", "9", "--steps", "2"]) == 2
    assert "Expected batch_size between 1 and the 4 examples, got 9." in capsys.readouterr().err


def test_glassnet_parity_without_torch_names_the_extra(monkeypatch, capsys) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # as in a `make demo` environment
    assert main(["parity", "--steps", "2"]) == 2
    assert "pip install 'glassnet[torch]'" in capsys.readouterr().err


def test_glassnet_parity_passes_on_a_trained_digits_model(tmp_path, capsys) -> None:
    """A correct digits classifier, confident enough that some probabilities pass 1 - 1e-7:
    the PyTorch side computed -(y * log(a)) without glassnet's documented clip, and parity said
    MISMATCH (loss off by ~3e-9 while outputs and gradients agreed to 1e-14) and exited 1."""
    x, y = gn.datasets.digits()
    model = gn.Sequential([gn.layers.Dense(32, "relu"), gn.layers.Dense(10, "softmax")], seed=0)
    model.compile(gn.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x / 16, y, epochs=10, verbose=0)  # `glassnet train`'s digits scaling
    assert history.history["accuracy"][-1] > 0.95
    assert (model.predict(x / 16).max(axis=1) > 1 - 1e-7).any()  # the clip is active
    path = tmp_path / "digits.glassnet"
    model.save(path)
    code = main(["parity", "--model", str(path), "--data", "digits", "--steps", "20"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tolerance 1e-10 (absolute, on every difference): PASS" in out
    assert "MISMATCH" not in out
    report = gn.compare(model, x / 16, y, "torch", steps=20)
    assert max(step.loss_difference for step in report.steps) <= 1e-13, report.table()
