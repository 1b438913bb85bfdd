"""The shared input messages read right for every caller: ``what`` is the argument's name (x,
y, x_val, data), used as a noun and in the fix's code (``data.reshape(-1, 1)``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import glassnet as gn

SRC = Path(gn.__file__).parent


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (
            np.ones(3),
            ValueError,
            "Expected 2-D array data of shape (n_samples, n_features), got 1-D array of shape "
            "(3,) instead. Reshape your data using data.reshape(-1, 1) if it has a single "
            "feature or data.reshape(1, -1) if it is a single example.",
        ),
        (
            "abc",
            TypeError,
            "Expected numeric data, got an array of dtype <U3. Convert it first, e.g. "
            "np.asarray(data, dtype=float); text columns need encoding as numbers.",
        ),
        (
            np.ones((2, 2, 2)),
            ValueError,
            "Expected 2-D array data of shape (n_samples, n_features), got 3-D array of shape "
            "(2, 2, 2). Flatten each example, e.g. data.reshape(len(data), -1).",
        ),
        (
            pd.DataFrame({"a": [1.0, None, 3.0]}, dtype="Float64"),
            ValueError,
            "data has missing values (NaN or pandas.NA) in 1 column(s): 'a' (1 of 3 rows). Drop "
            "those rows (data.dropna(), and the same rows of the other array if there is one) "
            "or fill them in (data.fillna(value)) first.",
        ),
        (
            pd.DataFrame({"a": ["x", "y"]}),
            TypeError,
            "Expected numeric data, but 1 column(s) are not numbers: 'a' (",
        ),
    ],
)
def test_adapt_messages_name_its_argument(data, error, message) -> None:
    # before: "Expected 2-D array the data passed to adapt() of shape ...", "Reshape your data
    # using the data passed to adapt().reshape(-1, 1)", "Expected numeric the data passed to ..."
    with pytest.raises(error) as caught:
        gn.layers.Normalization().adapt(data)
    assert str(caught.value).startswith(message)
    assert "passed to" not in str(caught.value)


CALL = re.compile(r"\b(as_features|pandas_values|check_cast_targets)\((.*)\)")


def test_every_caller_passes_a_name() -> None:
    """Each literal ``what`` given to the shared checks is an identifier (a cousin of adapt's
    description would read "Expected numeric the ..." again)."""
    literals = []
    for path in SRC.rglob("*.py"):
        for call in CALL.finditer(path.read_text(encoding="utf-8")):
            literals += [(path.name, s) for s in re.findall(r"\"([^\"]*)\"", call.group(2))]
    assert ("preprocessing.py", "data") in literals
    for where, literal in literals:
        if literal not in ("", "_val"):  # suffixes joined to a name ("x" + what)
            assert literal.isidentifier(), (where, literal)
