"""The bad-input battery (scikit-learn's ``check_estimator`` idea, for glassnet): every case is
refused with ``ValueError``/``TypeError`` whose message names what was expected, what was
received and the fix; on the command line, exit code 2 and one line, never a traceback.

``tests/test_bad_input.py`` holds the first cases (wrong feature count, 1-D/3-D input, unknown
names, ...); this file adds the rest, so that the two together cover the list of the hardening
issue. ``CASES`` below is counted by ``test_the_battery_is_big_enough``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import datasets
from glassnet.cli import main
from glassnet.layers import Dense

PYTHON_M_GLASSNET = (sys.executable, "-m", "glassnet")
X = np.zeros((4, 3))
Y = np.zeros((4, 1))


def mse_model() -> gn.Sequential:
    model = gn.Sequential([gn.Input((3,)), Dense(4, "tanh", name="hidden"), Dense(1, "sigmoid")])
    model.compile("sgd", "mse", metrics=["accuracy"])
    return model


def classifier(loss: str, units: int = 3, activation: str = "softmax") -> gn.Sequential:
    model = gn.Sequential([gn.Input((3,)), Dense(units, activation)], seed=0)
    model.compile("sgd", loss)
    return model


def with_value(array: np.ndarray, index: tuple[int, int], value: float) -> np.ndarray:
    array = array.copy()
    array[index] = value
    return array


# (id, call, error, pattern): the pattern is searched in the message (re.search)
API_CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # -- what goes in as x -------------------------------------------------------------------
    (
        "x-object-array",
        lambda: mse_model().fit(np.array([[1, 2, None]] * 4, dtype=object), Y, verbose=0),
        TypeError,
        r"Expected numeric x, got an array of dtype object\. Convert it first, e\.g\. "
        r"np\.asarray\(x, dtype=float\)",
    ),
    (
        "x-none",
        lambda: mse_model().predict(None),
        TypeError,
        r"Expected numeric x, got an array of dtype object",
    ),
    (
        "x-scalar",
        lambda: mse_model().predict(3.0),
        ValueError,
        r"Expected 2-D array x of shape \(n_samples, n_features\), got 0-D array of shape \(\)\. "
        r"Flatten each example",
    ),
    (
        "x-infinity-located",
        lambda: mse_model().fit(with_value(X, (1, 2), np.inf), Y, verbose=0),
        ValueError,
        r"Input x contains NaN or infinity \(first at row 1, column 2\)\. Remove or impute",
    ),
    (
        "x-too-large-for-float32",
        lambda: mse_model().predict(with_value(X, (0, 1), 1e300)),
        ValueError,
        r"Input x has a value too large for float32 \(first at row 0, column 1: 1e\+300\)\. "
        r"Scale the data .* or build the model with dtype='float64'\.",
    ),
    (
        "x-empty-features",
        lambda: mse_model().predict(np.zeros((4, 0))),
        ValueError,
        r"Expected at least one example and one feature in x, got shape \(4, 0\)",
    ),
    (
        "x-nan-in-evaluate",
        lambda: mse_model().evaluate(with_value(X, (3, 0), np.nan), Y),
        ValueError,
        r"Input x contains NaN or infinity \(first at row 3, column 0\)",
    ),
    (
        "x-1d-in-train-on-batch",
        lambda: mse_model().train_on_batch(np.zeros(3), Y),
        ValueError,
        r"got 1-D array of shape \(3,\) instead\. Reshape your data using x\.reshape\(-1, 1\)",
    ),
    (
        "x-val-wrong-feature-count",
        lambda: mse_model().fit(
            X, Y, validation_data=(np.zeros((2, 2)), np.zeros((2, 1))), verbose=0
        ),
        ValueError,
        r"Layer 'hidden' \(Dense\) expects input of shape \(batch, 3\), but x_val has shape "
        r"\(2, 2\)\. Give every example 3 features",
    ),
    # -- what goes in as y -------------------------------------------------------------------
    (
        "y-infinity",
        lambda: mse_model().fit(X, np.full((4, 1), np.inf), verbose=0),
        ValueError,
        r"Targets y contain NaN or infinity; clean or drop those rows\.",
    ),
    (
        "y-strings",
        lambda: mse_model().fit(X, np.array(["a", "b", "a", "b"]), verbose=0),
        TypeError,
        r"Expected numeric targets y, got an array of dtype <U1\. Convert them with "
        r"np\.asarray\(y, dtype=float\), or encode text labels as integers\.",
    ),
    (
        "y-complex",
        lambda: mse_model().fit(X, np.zeros((4, 1), dtype=complex), verbose=0),
        TypeError,
        r"Expected numeric targets y, got an array of dtype complex128",
    ),
    (
        "y-none",
        lambda: mse_model().fit(X, None, verbose=0),
        TypeError,  # was "Expected numeric targets y, got an array of dtype object"
        r"^fit needs the targets too: call fit\(x, y\), with y one row per row of x\.$",
    ),
    (
        "y-empty",
        lambda: mse_model().fit(X, np.zeros((0, 1)), verbose=0),
        ValueError,
        r"x has 4 examples but y has 0 labels; they must have the same length",
    ),
    (
        "y-3d",
        lambda: mse_model().fit(X, np.zeros((4, 1, 1)), verbose=0),
        ValueError,
        r"MeanSquaredError expects targets y of shape \(n_samples, 1\) to match the model's "
        r"output, got shape \(4, 1, 1\)",
    ),
    (
        "sparse-labels-fractional",
        lambda: classifier("sparse_categorical_crossentropy").fit(
            X, np.array([0, 1.5, 2, 1]), verbose=0
        ),
        ValueError,
        r"SparseCategoricalCrossEntropy expects whole-number class labels, got fractional "
        r"values\. Use CategoricalCrossEntropy for soft targets\.",
    ),
    (
        "sparse-labels-negative",
        lambda: classifier("sparse_categorical_crossentropy").fit(
            X, np.array([0, -1, 2, 1]), verbose=0
        ),
        ValueError,
        r"got labels from -1 to 2, but the output has 3 units, so labels must be in \[0, 2\]",
    ),
    (
        "one-hot-of-the-wrong-width",
        lambda: classifier("categorical_crossentropy").fit(X, np.eye(4), verbose=0),
        ValueError,
        r"CategoricalCrossEntropy expects targets y of shape \(n_samples, 3\) to match the "
        r"model's output, got shape \(4, 4\)",
    ),
    (
        "categorical-targets-out-of-range",
        lambda: classifier("categorical_crossentropy").fit(
            X, np.array([[-1, 2, 0]] * 4), verbose=0
        ),
        ValueError,
        r"CategoricalCrossEntropy expects one-hot \(or probability\) targets between 0 and 1, "
        r"got values from -1\.0 to 2\.0\. For integer class labels use "
        r"SparseCategoricalCrossEntropy",
    ),
    (
        "binary-given-one-hot",
        lambda: classifier("binary_crossentropy", 1, "sigmoid").fit(
            X, np.eye(2)[[0, 1, 1, 0]], verbose=0
        ),
        ValueError,
        r"BinaryCrossEntropy expects targets y of shape \(n_samples, 1\) to match the model's "
        r"output, got shape \(4, 2\)",
    ),
    (
        "binary-negative-labels",
        lambda: classifier("binary_crossentropy", 1, "sigmoid").fit(
            X, np.array([0, -1, 1, 0]), verbose=0
        ),
        ValueError,
        r"BinaryCrossEntropy expects targets between 0 and 1, got values from -1\.0 to 1\.0\. "
        r"For more than two classes use CategoricalCrossEntropy",
    ),
    # -- fit's and predict's settings --------------------------------------------------------
    (
        "batch-size-negative",
        lambda: mse_model().fit(X, Y, batch_size=-1, verbose=0),
        ValueError,
        r"Expected batch_size >= 1, got -1\.",
    ),
    (
        "predict-batch-size-zero",
        lambda: mse_model().predict(X, batch_size=0),
        ValueError,
        r"Expected batch_size >= 1, got 0\.",
    ),
    (
        "epochs-float",
        lambda: mse_model().fit(X, Y, epochs=2.0, verbose=0),
        TypeError,
        r"Expected epochs to be an integer, got float 2\.0\.",
    ),
    (
        "epochs-string",
        lambda: mse_model().fit(X, Y, epochs="3", verbose=0),
        TypeError,
        r"Expected epochs to be an integer, got str '3'\.",
    ),
    (
        "validation-split-negative",
        lambda: mse_model().fit(X, Y, validation_split=-0.1, verbose=0),
        ValueError,
        r"Expected validation_split between 0 and 1, got -0\.1\.",
    ),
    (
        "shuffle-not-a-bool",
        lambda: mse_model().fit(X, Y, shuffle="yes", verbose=0),
        TypeError,
        r"Expected shuffle to be True or False, got 'yes'\.",
    ),
    (
        "verbose-unknown",
        lambda: mse_model().fit(X, Y, verbose="loud"),
        ValueError,
        r"Expected verbose to be 0 \(silent\), 1 \(a progress bar\) or 2 \(one line per "
        r"epoch\), got 'loud'\.",
    ),
    (
        "callbacks-not-a-list",
        lambda: mse_model().fit(X, Y, callbacks=gn.callbacks.History(), verbose=0),
        TypeError,
        r"Expected callbacks to be a list of glassnet\.callbacks\.Callback instances, got "
        r"History\. Wrap it in a list: callbacks=\[\.\.\.\]\.",
    ),
    # -- optimizers and compile --------------------------------------------------------------
    (
        "learning-rate-infinite",
        lambda: gn.Adam(learning_rate=float("inf")),
        ValueError,
        r"Expected learning_rate to be a finite number, got inf\.",
    ),
    (
        "learning-rate-none",
        lambda: gn.Adam(learning_rate=None),
        TypeError,
        r"Expected learning_rate to be a number, got NoneType None\.",
    ),
    (
        "adam-beta-out-of-range",
        lambda: gn.Adam(0.01, beta_1=1.5),
        ValueError,
        r"Expected beta_1 in \[0\.0, 1\.0\), got 1\.5\.",
    ),
    (
        "rmsprop-rho-negative",
        lambda: gn.RMSprop(0.01, rho=-1),
        ValueError,
        r"Expected rho in \[0\.0, 1\.0\), got -1\.0\.",
    ),
    (
        "rmsprop-epsilon-negative",
        lambda: gn.RMSprop(0.01, epsilon=-1),
        ValueError,
        r"Expected epsilon >= 0\.0, got -1\.0\.",
    ),
    (
        "optimizer-of-the-wrong-type",
        lambda: gn.Sequential([Dense(1)]).compile(5, "mse"),
        TypeError,
        r"Expected an optimizer name \(a string\) or an optimizer object, got int 5\.",
    ),
    (
        "activation-of-the-wrong-type",  # before: "a activation ... a activation object"
        lambda: Dense(1, activation=3),
        TypeError,
        r"Expected an activation name \(a string\) or an activation object, got int 3\.",
    ),
    (
        "loss-of-the-wrong-type",
        lambda: gn.Sequential([Dense(1)]).compile("sgd", 5),
        TypeError,
        r"Expected a loss name \(a string\) or a loss object, got int 5\.",
    ),
    (
        "metrics-as-a-string",
        lambda: gn.Sequential([Dense(1)]).compile("sgd", "mse", metrics="accuracy"),
        TypeError,
        r"Expected metrics to be a list of names, e\.g\. metrics=\['accuracy'\], got str "
        r"'accuracy'\. Wrap it in a list",
    ),
    # -- the model itself --------------------------------------------------------------------
    (
        "seed-string",
        lambda: gn.Sequential(seed="a"),
        TypeError,
        r"Expected seed to be a whole number >= 0 \(or None\), got str 'a'\. Use e\.g\. seed=0\.",
    ),
    (
        "seed-negative",
        lambda: gn.Sequential(seed=-3),
        ValueError,
        r"Expected seed >= 0, got -3\. Use e\.g\. seed=0\.",
    ),
    (
        "dtype-not-a-dtype",
        lambda: gn.Sequential(dtype="banana"),
        ValueError,
        r"Expected dtype 'float32' or 'float64', got 'banana'\. Use dtype='float64'",
    ),
    (
        "dense-units-float",
        lambda: Dense(2.5),
        ValueError,
        r"Dense expects units to be a positive integer, got 2\.5\. Example: Dense\(4, "
        r"activation='sigmoid'\)\.",
    ),
    (
        "dense-units-string",
        lambda: Dense("4"),
        ValueError,
        r"Dense expects units to be a positive integer, got '4'\.",
    ),
    (
        "dense-units-bool",
        lambda: Dense(True),
        ValueError,
        r"Dense expects units to be a positive integer, got True\.",
    ),
    (
        "input-shape-negative",
        lambda: gn.Input(shape=(-1,)),
        ValueError,
        r"Input expects the shape of one example as \(n_features,\) with n_features a positive "
        r"integer, got shape=\(-1,\)",
    ),
    (
        "build-with-zero-features",
        lambda: gn.Sequential([Dense(1)]).build((None, 0)),
        ValueError,
        r"Expected input_shape \(None, n_features\) or \(n_features,\), got \(None, 0\)\.",
    ),
    (
        "predict-with-no-layers",
        lambda: gn.Sequential().predict(X),
        ValueError,
        r"The model has no layers; add some, e\.g\. model\.add\(Dense\(1\)\)\.",
    ),
    (
        "input-after-a-layer",
        lambda: gn.Sequential([Dense(1), gn.Input((2,))]),
        ValueError,
        r"Input\(shape=\.\.\.\) must come first, before any layer, and only once; got it "
        r"after 1 layer\(s\)\. Put glassnet\.Input\(shape=\(n_features,\)\) at the start",
    ),
    (
        "input-twice",
        lambda: gn.Sequential([gn.Input((2,)), gn.Input((2,))]),
        ValueError,
        r"must come first, before any layer, and only once; got it a second time\.",
    ),
    (
        "duplicate-layer-names",
        lambda: gn.Sequential([gn.Input((2,)), Dense(1, name="a"), Dense(1, name="a")]),
        ValueError,
        r"Layer names must be unique; 'a' is already in the model\.",
    ),
    (
        "dropout-rate-too-large",
        lambda: gn.layers.Dropout(1.5),
        ValueError,
        r"Dropout expects rate, the fraction of inputs to drop, in \[0, 1\), got 1\.5\. "
        r"Example: Dropout\(0\.2\)\.",
    ),
    (
        "l2-negative",
        lambda: gn.regularizers.L2(-1),
        ValueError,
        r"Expected l2 to be a finite number >= 0, got -1\.",
    ),
    (
        "random-uniform-empty-range",
        lambda: gn.RandomUniform(1.0, 0.0),
        ValueError,
        r"RandomUniform expects finite minval < maxval, got minval=1\.0, maxval=0\.0\.",
    ),
    # -- set_weights -------------------------------------------------------------------------
    (
        "set-weights-not-a-list",
        lambda: mse_model().set_weights(5),
        TypeError,
        r"Expected set_weights to get a list of arrays in the order of get_weights\(\), got "
        r"int\. Pass e\.g\. model\.set_weights\(other\.get_weights\(\)\)\.",
    ),
    (
        "set-weights-ragged",
        lambda: mse_model().set_weights([[[1, 2], [3]], *mse_model().get_weights()[1:]]),
        ValueError,
        r"Layer 'hidden' kernel could not be made into an array: its rows have different "
        r"lengths\. Give a rectangular array of numbers",
    ),
    (
        "set-weights-strings",
        lambda: mse_model().set_weights(["a"] * 4),
        TypeError,
        r"Layer 'hidden' kernel must be real numbers, got an array of dtype <U1\.",
    ),
    (
        "set-weights-nan",
        lambda: mse_model().set_weights(
            [np.full_like(w, np.nan) for w in mse_model().get_weights()]
        ),
        ValueError,
        r"Layer 'hidden' kernel must be finite real numbers\.",
    ),
    # -- explain and the gradient check ------------------------------------------------------
    (
        "explain-unknown-level",
        lambda: mse_model().explain(X, Y, level="baby"),
        ValueError,
        r"Unknown level 'baby'; expected one of kid, student, expert\.",
    ),
    (
        "explain-unknown-format",
        lambda: mse_model().explain(X, Y, format="pdf"),
        ValueError,
        r"Unknown format 'pdf'; expected one of text, md, html\.",
    ),
    (
        "explain-example-out-of-range",
        lambda: mse_model().explain(X, Y, example=10),
        ValueError,
        r"This step's batch has 4 examples, so example must be in \[0, 3\], got 10\.",
    ),
    (
        "gradient-check-before-compile",
        lambda: gn.check_gradients(gn.Sequential([gn.Input((3,)), Dense(1)]), X, Y),
        ValueError,
        r"You must compile the model before checking gradients: call model\.compile",
    ),
    # -- data set helpers --------------------------------------------------------------------
    (
        "one-hot-negative-label",
        lambda: datasets.one_hot([0, -1]),
        ValueError,
        r"Expected non-negative integer class labels \(0, 1, 2, \.\.\.\), got dtype int64 with "
        r"values like \[0, -1\]\. Encode class names as integers first",
    ),
    (
        "one-hot-too-few-classes",
        lambda: datasets.one_hot([0, 3], n_classes=2),
        ValueError,
        r"Label 3 does not fit n_classes=2 .* Pass n_classes=4 or more\.",
    ),
    (
        "split-lengths-differ",
        lambda: datasets.train_test_split(np.zeros((4, 2)), np.zeros(3)),
        ValueError,
        r"x has 4 examples but y has 3; they must have the same length\.",
    ),
    (
        "split-test-size-two",
        lambda: datasets.train_test_split(np.zeros((4, 2)), np.zeros(4), test_size=2.0),
        ValueError,
        r"Expected test_size as a fraction between 0 and 1, got 2\.0\.",
    ),
    (
        "split-nothing-to-test",
        lambda: datasets.train_test_split(np.zeros((4, 2)), np.zeros(4), test_size=0),
        ValueError,
        r"test_size=0 leaves 0 of 4 examples for testing; choose a size that leaves examples "
        r"in both parts\.",
    ),
    (
        "moons-no-samples",
        lambda: datasets.moons(n_samples=0),
        ValueError,
        r"Expected n_samples >= 2, got 0\.",
    ),
    (
        "moons-noise-nan",
        lambda: datasets.moons(noise=float("nan")),
        ValueError,
        r"Expected noise to be a finite number >= 0, got nan\.",
    ),
    (
        "spiral-fractional-classes",
        lambda: datasets.spiral(n_classes=2.5),
        TypeError,
        r"Expected n_classes to be an integer, got float 2\.5\.",
    ),
    (
        "blobs-negative-std",
        lambda: datasets.blobs(std=-1),
        ValueError,
        r"Expected std to be a finite number >= 0, got -1\.",
    ),
    (
        "standardize-1d",
        lambda: datasets.standardize(np.zeros(3)),
        ValueError,
        r"Expected x of shape \(n_samples, n_features\), got shape \(3,\)\. Reshape it",
    ),
    (
        "standardize-text",
        lambda: datasets.standardize(np.array([["a"]])),
        TypeError,
        r"Expected numeric x, got an array of dtype <U1\. Convert it first",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [case[1:] for case in API_CASES],
    ids=[case[0] for case in API_CASES],
)
def test_api_refuses_with_a_clear_message(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern) as info:
        call()
    assert type(info.value) in (ValueError, TypeError), type(info.value)
    assert "\n" not in str(info.value)


# -- the CSV loader ----------------------------------------------------------------------------
CSV_CASES: list[tuple[str, str | bytes, dict, type[Exception], str]] = [
    (
        "whitespace-only",
        "  \n \n",
        {},
        ValueError,
        r"is empty; expected a header row and rows of numbers\.",
    ),
    ("header-only", "a,b,c\n", {}, ValueError, r"has a header row but no data rows\."),
    (
        "text-feature",
        "a,b\n1,0\nx,1\n",
        {},
        ValueError,
        r", line 3, column 'a': 'x' is not a number\. Every feature must be numeric; encode "
        r"text as numbers or fill in missing values first\.",
    ),
    (
        "empty-feature-cell",
        "a,b\n,1\n",
        {},
        ValueError,
        r", line 2, column 'a': an empty cell is not a number\.",
    ),
    (
        "empty-target-cell",
        "a,b\n1,\n2,x\n",
        {},
        ValueError,
        r", line 2, column 'b': the target is empty\. Fill in or drop rows without a target\.",
    ),
    (
        "nan-feature",
        "a,b\nnan,1\n",
        {},
        ValueError,
        r", line 2, column 'a': 'nan' is not a finite number\. Remove or impute",
    ),
    (
        "infinite-target",
        "a,b\n1,inf\n",
        {},
        ValueError,
        r", line 2, column 'b': the target is not finite\.",
    ),
    (
        "ragged-long-row",
        "a,b\n1,2\n3,4,5\n",
        {},
        ValueError,
        r", line 3 has 3 cells but the header has 2\. Every row needs one cell per column; "
        r"check for a missing or extra comma\.",
    ),
    (
        "only-the-target",
        "a\n1\n2\n",
        {},
        ValueError,
        r"has only one column \('a'\), the target; a CSV to learn from needs at least one "
        r"feature column",
    ),
    (
        "missing-target-name",
        "1,2,3\n4,5,6\n",
        {"target": "label"},
        ValueError,
        r"has no column 'label'; its columns are: '0', '1', '2'\. Pass target= one of those\.",
    ),
    (
        "target-position-out-of-range",
        "a,b\n1,2\n",
        {"target": 5},
        ValueError,
        r"target=5 is out of range: .* has 2 columns \(positions 0 to 1, or -1 for the last\)",
    ),
    (
        "target-bool",
        "a,b\n1,2\n",
        {"target": True},
        TypeError,
        r"Expected target to be a column name or position, got True\. Use e\.g\. "
        r"target='label', or target=-1 for the last column\.",
    ),
    (
        "duplicate-column-names",
        "a,a,b\n1,2,3\n",
        {},
        ValueError,
        r"has more than one column named 'a'; every column needs its own name\. Rename",
    ),
    (
        "nul-byte",
        "a,b\n1,\x002\n",
        {},
        ValueError,
        r", line 2 holds a NUL byte; expected a text CSV file\. .* Export it as CSV first\.",
    ),
    (
        "binary-file",
        b"\xff\xfe\x00\x01\x89PNG",
        {},
        ValueError,
        r"is not a UTF-8 text file; expected a CSV file\.",
    ),
    (
        "field-too-large",
        "a,b\n" + "1" * 200_000 + ",1\n",
        {},
        ValueError,
        r"is not a valid CSV file: field larger than field limit",
    ),
]


@pytest.mark.parametrize(
    ("content", "kwargs", "error", "pattern"),
    [case[1:] for case in CSV_CASES],
    ids=[case[0] for case in CSV_CASES],
)
def test_csv_loader_refuses_with_a_clear_message(tmp_path, content, kwargs, error, pattern) -> None:
    path = tmp_path / "data.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(error, match=pattern) as info:
        datasets.load_csv(path, **kwargs)
    if error is ValueError:
        assert str(path) in str(info.value)  # it says which file


def test_csv_loader_paths_of_the_wrong_kind(tmp_path) -> None:
    with pytest.raises(
        TypeError,
        match=r"Expected path to be a CSV file's path \(a str or pathlib\.Path\), got int 5\.",
    ):
        datasets.load_csv(5)
    with pytest.raises(
        ValueError, match=r"is a directory; expected a CSV file, e\.g\. .*data\.csv"
    ):
        datasets.load_csv(tmp_path)


# -- the command line --------------------------------------------------------------------------
CLI_CASES: list[tuple[str, list[str], str]] = [
    (
        "seed-negative-iterations",
        ["seed", "--iterations", "-5"],
        r"argument --iterations: expected a whole number >= 1, got '-5'\. See glassnet seed --help",
    ),
    (
        "seed-iterations-text",
        ["seed", "--iterations", "abc"],
        r"--iterations: expected a whole number >= 1, got 'abc'",
    ),
    ("seed-seed-text", ["seed", "--seed", "x"], r"--seed: expected a whole number >= 0, got 'x'"),
    ("explain-negative-step", ["explain", "--step", "-1"], r"expected a whole number >= 0"),
    (
        "explain-example-out-of-range",
        ["explain", "--example", "99"],
        r"This step's batch has 4 examples, so example must be in \[0, 3\], got 99\.",
    ),
    (
        "explain-data-without-model",
        ["explain", "--data", "moons"],
        r"--data goes with --model; without --model the seed's XOR is used\.",
    ),
    (
        "explain-output-is-a-directory",
        ["explain", "--output", "{tmp}"],
        r"glassnet explain: error: --output .* is a folder; expected a file path, e\.g\. "
        r".*out\.txt\.",
    ),
    (
        "explain-output-folder-missing",
        ["explain", "--output", "{tmp}/no/such/folder/out.txt"],
        r"glassnet explain: error: --output .*out\.txt: the folder .*folder does not exist\. "
        r"Create it first",
    ),
    ("gradcheck-zero-eps", ["gradcheck", "--eps", "0"], r"--eps: expected a finite number > 0"),
    (
        "gradcheck-nan-tolerance",
        ["gradcheck", "--tolerance", "nan"],
        r"--tolerance: expected a finite number > 0, got 'nan'",
    ),
    (
        "gradcheck-zero-samples",
        ["gradcheck", "--samples", "0"],
        r"--samples: expected a whole number >= 1, got '0'",
    ),
    (
        "gradcheck-data-without-model",
        ["gradcheck", "--data", "xor"],
        r"--data goes with --model \(a saved model to check\); add --model FILE\.",
    ),
    ("parity-zero-rows", ["parity", "--rows", "0"], r"--rows: expected a whole number >= 1"),
    (
        "parity-nan-tolerance",
        ["parity", "--tolerance", "nan"],
        r"--tolerance: expected a finite number > 0, got 'nan'",
    ),
    (
        "parity-zero-steps",
        ["parity", "--steps", "0"],
        r"--steps: expected a whole number >= 1, got '0'",
    ),
    (
        "parity-batch-larger-than-data",
        ["parity", "--batch-size", "99", "--steps", "1"],
        r"Expected batch_size between 1 and the 4 examples, got 99\. Leave it unset",
    ),
    ("playground-port-text", ["playground", "--port", "abc"], r"expected a port from 1 to 65535"),
    (
        "playground-remote-host",
        ["playground", "--host", "0.0.0.0"],
        r"--host 0\.0\.0\.0 is not a loopback address\. .* add --allow-remote\.",
    ),
    ("unknown-command", ["bogus"], r"invalid choice: 'bogus'"),
    (
        "train-unknown-data-set",
        ["train", "--data", "nope"],
        r"glassnet train: error: Unknown data set 'nope'\. Expected one of xor, moons",
    ),
    (
        "train-non-numeric-csv",
        ["train", "--data", "{tmp}/text.csv", "--epochs", "1"],
        r"text\.csv, line 3, column 'b': 'x' is not a number\. Every feature must be numeric",
    ),
    (
        "train-data-is-a-directory",
        ["train", "--data", "{tmp}"],
        r"is a directory; expected a CSV file, e\.g\. .*data\.csv\.",
    ),
    (
        "train-bad-layers",
        ["train", "--data", "xor", "--layers", "16,abc"],
        r"--layers expects positive unit counts separated by commas, like 16,16 \(one number "
        r"per hidden layer, none empty\); got '16,abc'\.",
    ),
    (
        "train-negative-learning-rate",
        ["train", "--data", "xor", "--lr", "-1"],
        r"argument --lr: expected a finite number > 0, got '-1'",
    ),
    (
        "train-negative-epochs",
        ["train", "--data", "xor", "--epochs", "-1"],
        r"argument --epochs: expected a whole number >= 1, got '-1'",
    ),
    (
        "train-unknown-optimizer",
        ["train", "--data", "xor", "--optimizer", "adamax"],
        r"Unknown optimizer 'adamax'\. Valid names: 'sgd', 'rmsprop', 'adam', 'adamw', "
        r"'adagrad'\.",
    ),
    (
        "predict-model-is-a-directory",
        ["predict", "--model", "{tmp}", "--input", "{tmp}/data.csv"],
        r"glassnet predict: error: .* is a directory; expected a \.glassnet file",
    ),
    (
        "explain-model-is-a-directory",
        ["explain", "--model", "{tmp}", "--data", "xor"],
        r"is a directory; expected a \.glassnet file written by model\.save\(path\)\.",
    ),
    (
        "gradcheck-model-missing",
        ["gradcheck", "--model", "{tmp}/missing.glassnet", "--data", "xor"],
        r"No model file at .*missing\.glassnet'\. Check the path, or save one with model\.save",
    ),
    (
        "parity-model-is-a-csv",
        ["parity", "--model", "{tmp}/data.csv", "--data", "xor"],
        r"too short for a glassnet model file|is not a glassnet model file",
    ),
]


@pytest.mark.parametrize(
    ("argv", "pattern"), [case[1:] for case in CLI_CASES], ids=[case[0] for case in CLI_CASES]
)
def test_cli_exits_2_with_one_line(tmp_path, capsys, argv, pattern) -> None:
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    (tmp_path / "data.csv").write_text("a,b\n1,0\n2,1\n")
    (tmp_path / "text.csv").write_text("a,b,c\n1,2,0\n3,x,1\n")
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    # the message: one line on stderr (argparse's usage text too is replaced by one line),
    # with the prefix that says who is speaking, "glassnet <command>:"
    message = err.splitlines()
    assert len(message) == 1, err
    assert re.search(pattern, message[0]), message[0]
    speaker = "glassnet:" if argv[0] == "bogus" else f"glassnet {argv[0]}:"
    assert message[0].startswith(speaker), message[0]


def test_cli_in_a_real_process_prints_no_traceback(tmp_path) -> None:
    tmp = str(tmp_path)
    result = subprocess.run(
        [*PYTHON_M_GLASSNET, "seed", "--cell", "keras", "--iterations", "1", "--history-out", tmp],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"glassnet seed: error: --history-out {tmp_path} is a folder; expected a file path, "
        f"e.g. {tmp_path}/history.json."
    ]


def test_the_battery_is_big_enough() -> None:
    cases = len(API_CASES) + len(CSV_CASES) + 2 + len(CLI_CASES) + 1
    assert cases >= 40, cases
    assert Path(__file__).name == "test_bad_inputs.py"  # the name the hardening issue gives
