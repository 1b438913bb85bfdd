"""Regression targets whose square overflows the model's dtype are refused by the loss, naming the
target and suggesting to scale the targets or use float64 (training used to "diverge" and blame
the learning rate: 1e20 squared is inf in float32)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main


def _model(dtype: str = "float32", loss: str = "mse") -> gn.Sequential:
    model = gn.Sequential([gn.layers.Input((1,)), gn.layers.Dense(1)], dtype=dtype)
    model.compile(loss=loss)
    return model


@pytest.mark.parametrize("loss", ["mse", "half_sum_squared_error"])
def test_a_target_of_1e20_is_refused_in_float32_naming_it(loss: str) -> None:
    with pytest.raises(ValueError) as caught:
        _model(loss=loss).fit(np.ones((3, 1)), np.array([1.0, 2.0, 1e20]), epochs=1, verbose=0)
    message = str(caught.value)
    assert "the target 1e+20 (row 2 of y) is too large for a squared error in float32" in message
    assert "Scale the targets" in message and "dtype='float64'" in message
    assert "learning_rate" not in message


def test_float64_holds_it_and_ordinary_targets_pass() -> None:
    history = _model("float64").fit(np.ones((3, 1)), np.array([1.0, 2.0, 1e20]), verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    _model().fit(np.ones((3, 1)), np.array([1.0, 2.0, 1e15]), epochs=1, verbose=0)


def test_the_loss_called_directly_refuses_it_too() -> None:
    y = np.array([[1e20]], dtype=np.float32)
    with pytest.raises(ValueError, match="too large for a squared error in float32"):
        gn.losses.MeanSquaredError()(y, np.zeros((1, 1), dtype=np.float32))


def test_the_cli_says_it_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,t\n1,1\n2,1e20\n3,5.5\n")
    assert main(["train", "--data", str(path), "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the target 1e+20" in err and "Scale the targets" in err
    assert "diverged" not in err
