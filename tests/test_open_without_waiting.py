"""Every reader opens its file without waiting and checks what it opened (``fstat``), so a path
that passed the first ``stat`` but is a FIFO by the time it is opened (swapped in between) is
refused at once instead of blocking for ever. The swap is simulated by making the first check
see a regular file."""

from __future__ import annotations

import os
import stat as stat_module
from pathlib import Path

import pytest

import glassnet as gn
from glassnet import _files, idxfiles


def fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


def test_the_opener_refuses_a_fifo_without_blocking(tmp_path) -> None:
    path = fifo(tmp_path, "pipe")
    kinds: list[str] = []
    with pytest.raises(ValueError, match="is a named pipe"):
        _files.open_without_waiting(path, kinds.append)
    assert kinds == ["a named pipe (FIFO)"]


def test_a_csv_swapped_for_a_fifo_after_the_check_is_refused(tmp_path, monkeypatch) -> None:
    path = fifo(tmp_path, "data.csv")
    monkeypatch.setattr(Path, "is_file", lambda self: True)  # the first check saw a file
    with pytest.raises(ValueError, match=r"is not a regular file \(a FIFO, socket or device\)"):
        gn.datasets.load_csv(path)


def test_an_idx_file_swapped_for_a_fifo_after_the_check_is_refused(tmp_path, monkeypatch) -> None:
    path = fifo(tmp_path, "train-labels-idx1-ubyte")
    monkeypatch.setattr(idxfiles, "regular_file", lambda path, what: path)  # the check passed
    with pytest.raises(idxfiles.MnistFileError, match="is not a regular file"):
        idxfiles.read_idx(path, 1)
    with pytest.raises(idxfiles.MnistFileError, match="is not a regular file"):
        idxfiles.read_npz(path)


def test_a_model_file_swapped_for_a_fifo_after_the_check_is_refused(tmp_path, monkeypatch) -> None:
    path = fifo(tmp_path, "m.glassnet")
    real_stat = os.stat

    def first_stat(target, *args, **kwargs):  # the stat before opening sees a regular file
        info = real_stat(target, *args, **kwargs)
        if os.fspath(target) == str(path):
            return os.stat_result((stat_module.S_IFREG | 0o644, *info[1:]))
        return info

    monkeypatch.setattr(_files.os, "stat", first_stat)
    with pytest.raises(gn.ModelFileError, match=r"is a named pipe \(FIFO\), not a regular file"):
        gn.load_model(path)
