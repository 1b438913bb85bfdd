"""The seed notebook's golden numbers, from the API and from `glassnet seed`.

The expected strings are the notebook's own printed output (its saved cell outputs in
../shared/seed/), not values typed in by guess.
"""

from __future__ import annotations

import json

import numpy as np

import glassnet as gn
from glassnet import cli, seed


def notebook_loop(iterations: int = 1000):
    """The notebook's NumPy cell, line for line, as the reference for bit-level comparison."""

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def derv_sigmoid(x):
        return sigmoid(x) * (1 - sigmoid(x))

    np.random.seed(1)
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0, 1, 1, 0]]).T
    weight1 = np.random.random((3, 4))
    weight2 = np.random.random((4, 1))
    outputs = []
    for _ in range(iterations):
        z1 = np.dot(x, weight1)
        a1 = sigmoid(z1)
        z2 = np.dot(a1, weight2)
        a2 = sigmoid(z2)
        outputs.append(a2)
        delta2 = a2 - y
        dC_dw2_1 = delta2 * derv_sigmoid(z2)
        dC_dw2 = a1.T.dot(dC_dw2_1)
        dC_dw1 = np.multiply(dC_dw2_1, weight2.T) * derv_sigmoid(z1)
        dC_dw1 = x.T.dot(dC_dw1)
        weight2 = weight2 - 1 * dC_dw2
        weight1 = weight1 - 1 * dC_dw1
    return outputs, weight1, weight2


def test_seed_numbers_from_the_api() -> None:
    result = seed.numpy_cell()
    assert seed.format_outputs(result.initial_output) == "[ 0.758  0.771  0.791  0.801]"
    assert seed.format_outputs(result.last_output) == "[ 0.028  0.925  0.925  0.090]"
    assert seed.format_outputs(result.prediction) == "[ 0.925]"


def test_seed_initial_weights_are_the_notebooks_draws() -> None:
    np.random.seed(1)
    w1, w2 = np.random.random((3, 4)), np.random.random((4, 1))
    model = seed.seed_network()
    kernel1, kernel2 = model.get_weights()
    np.testing.assert_array_equal(kernel1, w1)
    np.testing.assert_array_equal(kernel2, w2)
    assert model.count_params() == 16


def test_seed_matches_the_notebook_loop_through_all_1000_iterations() -> None:
    outputs, weight1, weight2 = notebook_loop()
    model = seed.seed_network()
    for step, expected in enumerate(outputs):
        model.train_on_batch(seed.XOR_X, seed.XOR_Y)
        np.testing.assert_allclose(
            model.layers[-1].a, expected, rtol=0, atol=1e-14, err_msg=f"{step}"
        )
    final1, final2 = model.get_weights()
    np.testing.assert_allclose(final1, weight1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(final2, weight2, rtol=0, atol=1e-12)


def test_glassnet_seed_command_prints_the_notebooks_numbers(capsys) -> None:
    assert cli.main(["seed"]) == 0
    out = capsys.readouterr().out
    assert "Initial output              [ 0.758  0.771  0.791  0.801]" in out
    assert "Output at iteration 1000    [ 0.028  0.925  0.925  0.090]" in out
    assert "Prediction for [1, 0, 1]    [ 0.925]" in out


def test_keras_cell_has_33_parameters_and_learns_xor(tmp_path, capsys) -> None:
    history_path = tmp_path / "history.json"
    assert cli.main(["seed", "--cell", "keras", "--history-out", str(history_path)]) == 0
    out = capsys.readouterr().out
    assert "Total params: 33" in out
    for line in (
        "layer1 (Dense)  (None, 3)     12",
        "layer2 (Dense)  (None, 4)     16",
        "layer3 (Dense)  (None, 1)     5",
    ):
        assert line in out
    assert "XOR learnt" in out
    saved = json.loads(history_path.read_text())
    assert len(saved["accuracy"]) == 1000 and saved["accuracy"][-1] == 1.0
    assert saved["loss"][-1] < saved["loss"][0]


def test_keras_cell_predictions_are_on_the_right_side() -> None:
    result = seed.keras_cell()
    assert np.array_equal(result.predictions > 0.5, seed.XOR_Y > 0.5)
    assert result.model.count_params() == 33
    assert result.model.dtype == np.float32


def test_seed_loss_scaling_matches_mse_with_learning_rate_n_over_2() -> None:
    """Half-sum with lr 1 on a full batch of 4 is the same step as mse with lr 4/2 = 2."""
    half = seed.seed_network()
    mse = seed.seed_network()
    mse.compile(gn.SGD(learning_rate=2.0), "mse")
    for _ in range(5):
        half.train_on_batch(seed.XOR_X, seed.XOR_Y)
        mse.train_on_batch(seed.XOR_X, seed.XOR_Y)
    for a, b in zip(half.get_weights(), mse.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)
