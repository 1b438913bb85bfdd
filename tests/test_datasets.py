"""Data sets: shapes, seeds, helpers, and the CSV loader's error messages (tested for their text)."""

from __future__ import annotations

import builtins
import re

import numpy as np
import pytest

from glassnet import datasets

GENERATORS = [datasets.moons, datasets.circles, datasets.spiral, datasets.blobs]


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_are_seeded_and_shaped(make) -> None:
    x, y = make(n_samples=90, seed=3)
    again_x, again_y = make(n_samples=90, seed=3)
    other_x, _ = make(n_samples=90, seed=4)
    assert x.shape == (90, 2) and x.dtype == np.float64
    assert y.shape == (90,) and y.dtype == np.int64
    np.testing.assert_array_equal(x, again_x)
    np.testing.assert_array_equal(y, again_y)
    assert not np.array_equal(x, other_x)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1  # classes balanced


def test_moons_without_noise_lie_on_the_half_circles() -> None:
    x, y = datasets.moons(n_samples=50, noise=0.0)
    outer = x[y == 0]
    inner = x[y == 1]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-12)


def test_circles_radii_and_spiral_classes() -> None:
    x, y = datasets.circles(n_samples=40, noise=0.0, factor=0.3)
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-12)
    _, labels = datasets.spiral(n_samples=100, n_classes=5)
    assert sorted(set(labels.tolist())) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="factor between 0 and 1"):
        datasets.circles(factor=1.5)


def test_xor_is_the_seed_set() -> None:
    x, y = datasets.xor()
    assert x.shape == (4, 3) and y.shape == (4, 1)
    np.testing.assert_array_equal(x[:, 2], 1.0)
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(x[:, 0], x[:, 1]))


def test_digits_loads_and_missing_sklearn_names_the_extra(monkeypatch) -> None:
    x, y = datasets.digits()
    assert x.shape == (1797, 64) and y.shape == (1797,)
    assert x.min() == 0.0 and x.max() == 16.0 and sorted(set(y.tolist())) == list(range(10))
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=re.escape("pip install 'glassnet[datasets]'")):
        datasets.digits()


def test_train_test_split_partitions_and_stratifies() -> None:
    x = np.arange(40).reshape(20, 2)
    y = np.array([0] * 16 + [1] * 4)
    x_train, x_test, y_train, y_test = datasets.train_test_split(x, y, test_size=0.25, seed=1)
    assert len(x_test) == 5 and len(x_train) == 15
    rows = sorted(x_train[:, 0].tolist() + x_test[:, 0].tolist())
    assert rows == list(range(0, 40, 2))  # every example exactly once
    np.testing.assert_array_equal(y_train, y[x_train[:, 0] // 2])  # pairs stay together
    _, _, _, y_test = datasets.train_test_split(x, y, test_size=0.5, stratify=True)
    assert np.bincount(y_test).tolist() == [8, 2]
    with pytest.raises(ValueError, match="leaves 20 of 20 examples for testing"):
        datasets.train_test_split(x, y, test_size=20)


def test_one_hot_and_standardize() -> None:
    np.testing.assert_array_equal(datasets.one_hot([1, 0], n_classes=3), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"Label 3 does not fit n_classes=2 .* Pass n_classes=4"):
        datasets.one_hot([3, 0], n_classes=2)
    with pytest.raises(ValueError, match="Expected non-negative integer class labels"):
        datasets.one_hot([0.5, 1.0])
    x = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])
    z, mean, std = datasets.standardize(x)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(z[:, 0].std(), 1.0, rtol=1e-14)
    assert std[1] == 1.0  # constant column left as it is, not divided by zero
    z_again, _, _ = datasets.standardize(x, mean, std)
    np.testing.assert_array_equal(z_again, z)


# -- the CSV loader --------------------------------------------------------------------------
def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_reads_header_target_by_name_and_position(tmp_path) -> None:
    path = write(tmp_path, "a,b,label\n1,2.5,0\n\n3,4,1\n")
    x, y = datasets.load_csv(path, target="label")
    np.testing.assert_array_equal(x, [[1.0, 2.5], [3.0, 4.0]])
    assert y.tolist() == [0, 1] and y.dtype == np.int64
    x, y = datasets.load_csv(path, target=0)
    np.testing.assert_array_equal(x, [[2.5, 0.0], [4.0, 1.0]])
    assert y.tolist() == [1, 3]
    x, y = datasets.load_csv(write(tmp_path, "1,2,0.5\n3,4,1.5\n", "plain.csv"))
    assert x.shape == (2, 2) and y.dtype == np.float64 and y.tolist() == [0.5, 1.5]
    _, y = datasets.load_csv(write(tmp_path, "f,kind\n1,dog\n2,cat\n3,dog\n", "t.csv"), "kind")
    assert y.tolist() == [1, 0, 1]  # text classes in sorted order: cat 0, dog 1


def test_csv_missing_column_lists_the_columns(tmp_path) -> None:
    path = write(tmp_path, "a,b,label\n1,2,0\n")
    with pytest.raises(ValueError) as error:
        datasets.load_csv(path, target="class")
    assert str(error.value) == (
        f"{path} has no column 'class'; its columns are: 'a', 'b', 'label'. "
        f"Pass target= one of those."
    )


def test_csv_non_numeric_cell_names_line_and_column(tmp_path) -> None:
    path = write(tmp_path, "a,b,label\n1,2,0\n3,abc,1\n")
    with pytest.raises(ValueError) as error:
        datasets.load_csv(path, target="label")
    assert str(error.value) == (
        f"{path}, line 3, column 'b': 'abc' is not a number. Every feature must be numeric; "
        f"encode text as numbers or fill in missing values first."
    )
    with pytest.raises(ValueError, match="line 2, column 'a': an empty cell is not a number"):
        datasets.load_csv(write(tmp_path, "a,b,label\n,2,0\n", "e.csv"), target="label")


def test_csv_ragged_row_is_refused(tmp_path) -> None:
    path = write(tmp_path, "a,b,label\n1,2,0\n3,4\n")
    with pytest.raises(ValueError) as error:
        datasets.load_csv(path)
    assert str(error.value) == (
        f"{path}, line 3 has 2 cells but the header has 3. Every row needs one cell per column; "
        f"check for a missing or extra comma."
    )


def test_csv_empty_file_directory_and_missing_file(tmp_path) -> None:
    empty = write(tmp_path, "\n\n", "empty.csv")
    with pytest.raises(ValueError, match=re.escape(f"{empty} is empty; expected a header row")):
        datasets.load_csv(empty)
    with pytest.raises(ValueError, match="has a header row but no data rows"):
        datasets.load_csv(write(tmp_path, "a,b\n", "h.csv"))
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path} is a directory; expected a CSV")):
        datasets.load_csv(tmp_path)
    with pytest.raises(FileNotFoundError, match="No such CSV file"):
        datasets.load_csv(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match=r"target=5 is out of range: .* has 2 columns"):
        datasets.load_csv(write(tmp_path, "1,2\n", "r.csv"), target=5)


# -- issue 14, point 12: which row and column; a target beyond int64 -----------------------------
def test_csv_one_row_with_a_text_cell_names_the_cell_not_a_missing_data_row(tmp_path) -> None:
    path = write(tmp_path, "1,abc\n", "one.csv")
    expected = (
        f"{path} has no data rows: its one row, line 1, was read as a header because its column "
        f"2 holds 'abc', not a number. If it is a row of data, make every feature a number; if "
        f"it is a header, add rows of numbers below it."
    )
    with pytest.raises(ValueError) as error:
        datasets.load_csv(path)
    assert str(error.value) == expected
    from glassnet.csvfiles import load_csv_for_model  # the reader glassnet predict uses

    with pytest.raises(ValueError) as error:
        load_csv_for_model(path, 2)
    assert str(error.value) == expected
    with pytest.raises(ValueError, match=r"a header row but no data rows\. Add rows of numbers"):
        datasets.load_csv(write(tmp_path, "a,b\n", "h.csv"))


def test_csv_without_header_counts_columns_from_1_as_a_spreadsheet(tmp_path) -> None:
    path = write(tmp_path, "1,2,0\n3,x,1\n", "plain.csv")
    with pytest.raises(ValueError) as error:
        datasets.load_csv(path)
    assert str(error.value).startswith(f"{path}, line 2, column 2: 'x' is not a number.")
    path = write(tmp_path, "1,2,0\n3,4,\n", "target.csv")
    with pytest.raises(ValueError, match=r"line 2, column 3: the target is empty\."):
        datasets.load_csv(path)


def test_csv_a_target_beyond_int64_stays_a_float_and_never_wraps_around(tmp_path) -> None:
    _, y = datasets.load_csv(write(tmp_path, "a,y\n1,1e20\n2,3\n", "big.csv"))
    assert y.dtype == np.float64 and y.tolist() == [1e20, 3.0]
    _, y = datasets.load_csv(write(tmp_path, "a,y\n1,-1e19\n2,3\n", "low.csv"))
    assert y.dtype == np.float64 and y[0] == -1e19
    _, y = datasets.load_csv(write(tmp_path, f"a,y\n1,{2**53}\n2,3\n", "edge.csv"))
    assert y.dtype == np.int64 and y.tolist() == [2**53, 3]


def test_csv_a_target_column_of_numbers_with_one_text_cell_is_a_typo(tmp_path) -> None:
    path = write(tmp_path, "a,y\n1,0\n2,1\n3,l\n", "typo.csv")
    with pytest.raises(ValueError) as error:
        datasets.load_csv(path)
    assert str(error.value) == (
        f"{path}, line 4, column 'y': the target 'l' is not a number, while 2 of the column's 3 "
        f"targets are numbers. Correct it, or write every class as text."
    )
    _, y = datasets.load_csv(write(tmp_path, "a,y\n1,cat\n2,dog\n3,cat\n", "text.csv"))
    assert y.tolist() == [0, 1, 0]  # a text column is still classes


# -- issue 14, point 13: sizes estimated before allocating ---------------------------------------
@pytest.mark.parametrize("make", GENERATORS)
def test_generators_refuse_more_examples_than_memory_before_allocating(make) -> None:
    with pytest.raises(ValueError) as error:
        make(n_samples=10**11, seed=0)
    assert str(error.value).startswith(
        "n_samples=100,000,000,000: the arrays for that many examples (100 bytes each) would "
        "take about 9313.2 GiB (10,000,000,000,000 bytes), more than glassnet allows: "
    )


@pytest.mark.parametrize("make", [datasets.spiral, datasets.blobs])
def test_generators_refuse_too_many_classes_before_allocating(make) -> None:
    with pytest.raises(ValueError, match=r"^n_classes=100,000,000,000: the arrays"):
        make(n_samples=10, n_classes=10**11, seed=0)


def test_an_infinite_noise_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Expected noise to be a finite number >= 0, got inf\."):
        datasets.moons(noise=float("inf"))
    with pytest.raises(ValueError, match=r"Expected std to be a finite number >= 0, got inf\."):
        datasets.blobs(std=float("inf"))


def test_one_hot_of_many_classes_allocates_only_its_rows() -> None:
    rows = datasets.one_hot(np.array([0, 99_999]), n_classes=100_000)  # np.eye: 80 GB
    assert rows.shape == (2, 100_000) and rows.sum() == 2.0
    assert rows[1, 99_999] == 1.0 and rows[0, 0] == 1.0
    with pytest.raises(ValueError, match=r"^one-hot rows of shape \(2, 1000000000000\) in float64"):
        datasets.one_hot(np.array([0, 1]), n_classes=10**12)


def test_one_hot_refuses_a_label_of_1e20_instead_of_wrapping_around() -> None:
    with pytest.raises(
        ValueError, match=r"got dtype float64 with values like \[1e\+20, 1\.0\]\. Encode"
    ):
        datasets.one_hot(np.array([1e20, 1.0]))  # was int64's -9223372036854775808
