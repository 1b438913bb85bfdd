"""Wide CSV files: reading is linear in the number of cells, and a bad cell is still named.

A 3-row x 30,000-column file took 13 s: every cell worked out its column's label again, which
compared the whole header with "0", "1", ... (quadratic). These tests count that work instead of
timing it; the measurement (100,000 columns x 3 rows in about 0.1 s) is in the engineer's report.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from glassnet import csvfiles, datasets


def wide_file(tmp_path, columns: int, header: bool = True, cells: dict | None = None) -> str:
    """A CSV of 3 rows x ``columns`` features and a label; ``cells`` {(row, column): text}."""
    rows = [[f"{r + c / 10:g}" for c in range(columns)] + [str(r % 2)] for r in range(3)]
    for (r, c), text in (cells or {}).items():
        rows[r][c] = text
    lines = [",".join(row) for row in rows]
    if header:
        lines.insert(0, ",".join([f"f{c}" for c in range(columns)] + ["label"]))
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("header", [True, False])
def test_labels_are_worked_out_once_per_read_not_per_cell(tmp_path, monkeypatch, header) -> None:
    """The old reader called column_label (a pass over every name) for each of the 3 x 2,000
    cells; now the header is looked at once, and a label is made only for a bad cell."""
    calls = []
    real = csvfiles._labeller

    def counted(names):
        calls.append(len(names))
        return real(names)

    monkeypatch.setattr(csvfiles, "_labeller", counted)
    monkeypatch.setattr(csvfiles, "column_label", lambda *a: calls.append("label") or "")
    path = wide_file(tmp_path, 2000, header)
    x, y = datasets.load_csv(path)
    assert x.shape == (3, 2000) and y.tolist() == [0, 1, 0]
    assert x[2, 1999] == pytest.approx(2 + 199.9)
    assert datasets.load_csv_features(path).shape == (3, 2001)
    assert len(calls) <= 3  # the features once per read, the target's label once (was 6,003)


def test_a_hundred_thousand_columns_are_read_exactly(tmp_path) -> None:
    path = wide_file(tmp_path, 100_000)
    x, y = datasets.load_csv(path, target="label")
    assert x.shape == (3, 100_000) and x.dtype == np.float64
    np.testing.assert_array_equal(x[1, :3], [1.0, 1.1, 1.2])
    assert x[2, -1] == pytest.approx(2 + 9999.9) and y.tolist() == [0, 1, 0]


def test_a_bad_cell_far_to_the_right_is_named(tmp_path) -> None:
    path = wide_file(tmp_path, 100_000, cells={(1, 99_998): "abc"})
    with pytest.raises(ValueError, match=re.escape("line 3, column 'f99998': 'abc' is not a num")):
        datasets.load_csv(path)
    path = wide_file(tmp_path, 100_000, header=False, cells={(2, 99_999): "inf"})
    with pytest.raises(ValueError, match=re.escape("line 3, column 100000: 'inf' is not a finite")):
        datasets.load_csv_features(path)


def test_the_first_bad_cell_in_reading_order_is_named(tmp_path) -> None:
    """A row with a NaN before a word reports the NaN; an earlier row's inf comes before both."""
    path = wide_file(tmp_path, 50, cells={(1, 3): "nan", (1, 7): "x"})
    with pytest.raises(ValueError, match=re.escape("line 3, column 'f3': 'nan' is not a finite")):
        datasets.load_csv(path)
    path = wide_file(tmp_path, 50, cells={(0, 40): "-inf", (1, 2): "x"})
    with pytest.raises(ValueError, match=re.escape("line 2, column 'f40': '-inf' is not a finite")):
        datasets.load_csv(path)
    path = wide_file(tmp_path, 50, cells={(2, 0): "1e999"})  # beyond float64: inf
    with pytest.raises(ValueError, match=re.escape("line 4, column 'f0': '1e999' is not a finite")):
        datasets.load_csv(path)


def test_the_cli_trains_on_and_predicts_a_wide_file(tmp_path, capsys) -> None:
    """glassnet train and predict on 3 rows x 30,000 columns answer (each under a second here,
    measured in the report; reading the file alone took 13 s before)."""
    from glassnet.cli import main

    path = wide_file(tmp_path, 30_000)
    model = str(tmp_path / "wide.glassnet")
    argv = ["train", "--data", path, "--epochs", "1", "--verbose", "0", "--no-standardize"]
    assert main([*argv, "--layers", "4", "--save", model]) == 0
    assert "Trained 1 epoch" in capsys.readouterr().out
    assert main(["predict", "--model", model, "--input", path]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "class,p1" and len(out.splitlines()) == 4  # one row per row
    assert err.startswith("accuracy against the file's last column: ")
