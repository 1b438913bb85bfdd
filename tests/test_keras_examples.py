"""examples/keras/: Keras scripts that run on glassnet with only the import line changed (issue 19).

Each glassnet script has a stored Keras twin under examples/keras/keras_versions/ with the same
name. The twin must differ from it in the import line only, both must run, and both must print
numbers that clear the same bounds (glassnet's and Keras's trainings use different random
weights, so the numbers are compared by bound, not digit for digit).
"""

from __future__ import annotations

import csv
import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

KERAS_EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "keras"
TWINS = KERAS_EXAMPLES / "keras_versions"
NAMES = ["finetune_frozen.py", "imbalanced_class_weight.py", "regression_huber.py"]


def run_glassnet(name: str, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [sys.executable, str(KERAS_EXAMPLES / name)],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    return result.stdout


def run_keras(name: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "KERAS_BACKEND": "torch"}  # keras reads it on import
    result = subprocess.run(
        [sys.executable, str(TWINS / name)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=cwd,
    )
    return result.stdout


def number(out: str, label: str) -> float:
    """The number printed after `label` (the whole line is `label NUMBER`)."""
    found = re.search(rf"^{re.escape(label)} (-?\d+\.\d+)$", out, re.MULTILINE)
    assert found is not None, f"no line {label!r} in:\n{out}"
    return float(found.group(1))


def test_every_keras_example_has_a_twin_and_no_twin_is_orphaned() -> None:
    assert sorted(p.name for p in KERAS_EXAMPLES.glob("*.py")) == NAMES
    assert sorted(p.name for p in TWINS.glob("*.py")) == NAMES


def test_each_twin_differs_from_its_glassnet_script_in_the_import_line_only() -> None:
    for name in NAMES:
        ours = (KERAS_EXAMPLES / name).read_text().splitlines()
        theirs = (TWINS / name).read_text().splitlines()
        changed = [
            line
            for line in difflib.unified_diff(theirs, ours, lineterm="", n=0)
            if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
        ]
        assert changed == ["-import keras", "+import glassnet as keras"], (name, changed)
        # and at the same place in the file
        index = theirs.index("import keras")
        assert ours[index] == "import glassnet as keras"
        assert ours[:index] + ours[index + 1 :] == theirs[:index] + theirs[index + 1 :]


def test_the_diff_check_catches_a_second_changed_line() -> None:
    # the check above is not vacuous: one more changed line shows up in the diff
    ours = ["import numpy as np", "import glassnet as keras", "x = 1"]
    theirs = ["import numpy as np", "import keras", "x = 2"]
    changed = [
        line
        for line in difflib.unified_diff(theirs, ours, lineterm="", n=0)
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    assert changed != ["-import keras", "+import glassnet as keras"]


# Bounds measured with `python examples/keras/regression_huber.py` (glassnet: test mae 0.1166)
# and `KERAS_BACKEND=torch python examples/keras/keras_versions/regression_huber.py` (Keras 3.15.1
# on torch 2.13.0: test mae 0.1060). Predicting the training mean scores an MAE of 0.8836 on the
# same 200 test rows, so 0.2 is a model that learned the function.
def test_regression_huber_runs_on_glassnet_and_on_keras_with_the_same_quality() -> None:
    ours = run_glassnet("regression_huber.py")
    theirs = run_keras("regression_huber.py")
    our_mae, their_mae = number(ours, "test mae"), number(theirs, "test mae")
    assert our_mae < 0.2, ours
    assert their_mae < 0.2, theirs
    assert abs(our_mae - their_mae) < 0.1
    for out in (ours, theirs):
        # Huber(delta=1) is half the squared error below 1: the test loss is below the MAE's bound
        assert 0.0 < number(out, "test huber") < 0.05
        # the validation rows hold outliers of +-5 (30 of the 1000 training rows), so its loss
        # is dominated by their linear part, |e| - 0.5 ~ 4.5 on 3% of the rows
        assert 0.05 < number(out, "final val_loss") < 0.3


# Measured with `python examples/keras/finetune_frozen.py` (glassnet: 0.8333 before, 0.8533
# after) and `KERAS_BACKEND=torch python examples/keras/keras_versions/finetune_frozen.py`
# (Keras: 0.8600 before, 0.8867 after); three blobs whose overlap caps the accuracy near 0.9.
def test_finetune_frozen_keeps_the_first_layer_on_glassnet_and_on_keras() -> None:
    ours = run_glassnet("finetune_frozen.py")
    theirs = run_keras("finetune_frozen.py")
    for out in (ours, theirs):
        assert "first layer unchanged: True" in out, out
        assert "trainable weights: 2 of 4" in out, out
        before = number(out, "before fine-tuning, accuracy on the shifted data")
        after = number(out, "after fine-tuning, accuracy on the shifted data")
        assert 0.75 < before <= 1.0
        assert 0.8 < after <= 1.0
    ours_after = number(ours, "after fine-tuning, accuracy on the shifted data")
    theirs_after = number(theirs, "after fine-tuning, accuracy on the shifted data")
    assert abs(ours_after - theirs_after) < 0.1


# Measured with `python examples/keras/imbalanced_class_weight.py` (glassnet: recall of the 9s
# 0.0000 unweighted, 0.8833 with class_weight, precision 0.6974; 5 learning-rate cuts, 0.1 to
# 0.003125) and `KERAS_BACKEND=torch python examples/keras/keras_versions/imbalanced_class_weight.py`
# (Keras 3.15.1: recall 0.0000 and 0.8667, precision 0.7222, 5 cuts, 0.1 to 0.003125); 60 of
# the 597 test digits are 9s, 35 of the 1115 training digits.
def test_imbalanced_class_weight_finds_the_rare_class_on_glassnet_and_on_keras(
    tmp_path: Path,
) -> None:
    ours_dir, theirs_dir = tmp_path / "glassnet", tmp_path / "keras"
    ours_dir.mkdir()
    theirs_dir.mkdir()
    ours = run_glassnet("imbalanced_class_weight.py", cwd=ours_dir)
    theirs = run_keras("imbalanced_class_weight.py", cwd=theirs_dir)
    for out, folder in ((ours, ours_dir), (theirs, theirs_dir)):
        assert "training 9s 35 of 1115" in out, out
        plain, weighted = number(out, "unweighted recall"), number(out, "class_weight recall")
        assert plain < 0.3, out  # the unweighted model mostly says "not a 9"
        assert weighted > 0.75, out  # class_weight finds most of the 9s
        assert weighted - plain > 0.5
        assert number(out, "class_weight precision") > 0.5, out  # not "everything is a 9"
        # ReduceLROnPlateau halved the rate when the validation loss stalled, and the CSV says so
        cuts = re.search(r"^class_weight learning rate cuts (\d+), from 0.1 to ", out, re.M)
        assert cuts is not None and int(cuts.group(1)) >= 1, out
        for log in ("imbalanced_unweighted.csv", "imbalanced_classweight.csv"):
            rows = list(csv.DictReader((folder / log).open(newline="")))
            assert len(rows) == 20
            assert list(rows[0]) == [
                "epoch",
                "accuracy",
                "learning_rate",
                "loss",
                "val_accuracy",
                "val_loss",
            ]
            assert [int(row["epoch"]) for row in rows] == list(range(20))
    ours_recall = number(ours, "class_weight recall")
    assert abs(ours_recall - number(theirs, "class_weight recall")) < 0.1
