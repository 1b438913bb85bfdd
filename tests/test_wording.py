"""Words that a user reads: the seed command's help, and a CSV's bad target named as a target."""

from __future__ import annotations

import pytest

import glassnet as gn
from glassnet.cli import main


def test_seed_help_is_one_grammatical_sentence(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["seed", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    # before: "rerun the seed notebook's NumPy cell ... and prints its numbers"
    assert (
        "glassnet seed: reruns the seed notebook's NumPy cell with the library's own API and "
        "prints its numbers in the notebook's format" in text
    )
    assert "rerun the seed" not in text


@pytest.fixture
def model_file(tmp_path):
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", "binary_crossentropy")
    path = tmp_path / "m.glassnet"
    model.save(path)
    return path


@pytest.mark.parametrize(
    ("target_cell", "message"),
    [
        ("x", "line 4, column 't': the target 'x' is not a number, while 3 of the column's 4 "),
        ("", "line 4, column 't': the target is empty. Fill in or drop rows without a target."),
        ("inf", "line 4, column 't': the target is not finite."),
    ],
)
def test_predict_names_a_bad_target_as_a_target(
    tmp_path, model_file, capsys, target_cell, message
) -> None:
    # before: "'x' is not a number. Every feature must be numeric" for the target column
    csv = tmp_path / "rows.csv"
    csv.write_text(f"a,b,t\n1,2,0\n3,4,1\n5,6,{target_cell}\n7,8,1\n", encoding="utf-8")
    assert main(["predict", "--model", str(model_file), "--input", str(csv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet predict: ") and message in err
    assert "feature" not in err


def test_a_bad_feature_is_still_named_a_feature(tmp_path, model_file, capsys) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text("a,b,t\n1,2,0\n3,y,1\n5,6,x\n", encoding="utf-8")
    assert main(["predict", "--model", str(model_file), "--input", str(csv)]) == 2
    err = capsys.readouterr().err
    assert "line 3, column 'b': 'y' is not a number. Every feature must be numeric" in err
