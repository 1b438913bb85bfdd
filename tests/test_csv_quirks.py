"""CSV and predict quirks: ``1_000`` is not a number in a CSV (Python's float reads it, no
spreadsheet writes it); predict's accuracy needs targets that are the model's classes; a pandas
Series without a name is called "y", not "0"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.datasets import load_csv, load_csv_features


def test_an_underscore_digit_separator_is_refused_in_a_feature(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("a,b,t\n1,2,0\n1_000,3,1\n")
    with pytest.raises(ValueError) as caught:
        load_csv(path)
    assert "line 3, column 'a': '1_000' is not a number" in str(caught.value)
    assert "write 1000, not 1_000" in str(caught.value)
    with pytest.raises(ValueError, match="'1_000' is not a number"):
        load_csv_features(path)


def test_an_underscore_in_a_numeric_target_column_is_a_typo(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,t\n1,0\n2,1\n3,1_0\n")
    with pytest.raises(ValueError, match="the target '1_0' is not a number"):
        load_csv(path)


@pytest.fixture
def binary_model(tmp_path: Path) -> Path:
    model = gn.Sequential([gn.layers.Input((2,)), gn.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy")
    model.save(tmp_path / "m.glassnet")
    return tmp_path / "m.glassnet"


@pytest.mark.parametrize("targets", [("7", "7"), ("0.5", "1")])
def test_predict_gives_no_accuracy_for_targets_that_are_not_classes(
    targets: tuple[str, str], binary_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = binary_model.parent / "rows.csv"
    rows.write_text(f"a,b,t\n1,2,{targets[0]}\n0.5,1,{targets[1]}\n")
    assert main(["predict", "--model", str(binary_model), "--input", str(rows)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("class,p1\n") and len(out.splitlines()) == 3
    assert "accuracy" not in err.replace("no accuracy", "")
    assert "warning: no accuracy: the file's last column holds" in err
    assert "not the model's classes 0 to 1" in err


def test_predict_still_gives_accuracy_for_classes(
    binary_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = binary_model.parent / "rows.csv"
    rows.write_text("a,b,t\n1,2,1\n0.5,1,0\n")
    assert main(["predict", "--model", str(binary_model), "--input", str(rows)]) == 0
    assert "accuracy against the file's last column: " in capsys.readouterr().err


def test_a_series_without_a_name_is_called_y() -> None:
    model = gn.Sequential([gn.layers.Input((1,)), gn.layers.Dense(1)])
    model.compile(loss="mse")
    with pytest.raises(ValueError) as caught:
        model.fit(np.ones((3, 1)), pd.Series([1.0, None, 2.0]), verbose=0)
    assert "in 1 column(s): 'y' (1 of 3 rows)" in str(caught.value)
    with pytest.raises(ValueError, match="in 1 column\\(s\\): 'price'"):
        model.fit(np.ones((3, 1)), pd.Series([1.0, None, 2.0], name="price"), verbose=0)
