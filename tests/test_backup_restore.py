"""BackupAndRestore: a training process killed mid-run resumes, bit for bit, from its last
finished epoch; hostile backup folders and records are refused clearly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.callbacks import BackupAndRestore, BackupError

SCRIPT = """
import os, signal, sys
import numpy as np
import glassnet as gn
from glassnet.callbacks import BackupAndRestore, LambdaCallback

backup, out, kill_epoch, kill_batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
x, y = gn.datasets.moons(200, noise=0.2, seed=0)
model = gn.Sequential(
    [gn.Input(shape=(2,)), gn.layers.Dense(16, "relu"), gn.layers.Dropout(0.3),
     gn.layers.Dense(1, "sigmoid")],
    seed=1,
)
model.compile(gn.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
state = {"epoch": None}

def begin(epoch, logs):
    state["epoch"] = epoch

def batch_end(batch, logs):  # killed inside an epoch: its half-done work is lost
    if state["epoch"] == kill_epoch and batch == kill_batch:
        os.kill(os.getpid(), signal.SIGKILL)

def end(epoch, logs):  # killed right after an epoch (and its backup) finished
    if kill_batch < 0 and epoch == kill_epoch:
        os.kill(os.getpid(), signal.SIGKILL)

callbacks = [] if backup == "-" else [BackupAndRestore(backup)]
callbacks.append(LambdaCallback(on_epoch_begin=begin, on_batch_end=batch_end, on_epoch_end=end))
history = model.fit(x, y, epochs=5, batch_size=32, verbose=0, callbacks=callbacks)
np.savez(out, *model.get_weights(), epochs=np.array(history.epoch))
"""


def _run(tmp_path: Path, backup: str, out: str, kill_epoch: int = -1, kill_batch: int = -1):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(gn.__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, str(script), backup, str(tmp_path / out), str(kill_epoch),
         str(kill_batch)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _weights(path: Path):
    with np.load(path) as archive:
        return [archive[k] for k in archive.files if k != "epochs"], list(archive["epochs"])


@pytest.mark.parametrize(("kill_epoch", "kill_batch"), [(1, -1), (2, 3)])
def test_a_killed_training_resumes_bit_for_bit(tmp_path, kill_epoch, kill_batch):
    """Killed (SIGKILL) after epoch 2 has finished, or inside epoch 3 at its 4th batch: the
    rerun starts at epoch 3 and ends with exactly the weights of a run never interrupted
    (Adam's moments and step count, the shuffling and dropout generators all restored)."""
    whole = _run(tmp_path, "-", "whole.npz")
    assert whole.returncode == 0, whole.stderr
    backup = tmp_path / "backup"
    killed = _run(tmp_path, str(backup), "never.npz", kill_epoch, kill_batch)
    assert killed.returncode == -signal.SIGKILL
    assert json.loads((backup / "latest.json").read_text()) == {
        "epoch": 2,
        "model": "epoch-2.glassnet",
    }
    assert sorted(os.listdir(backup)) == ["epoch-2.glassnet", "latest.json"]
    resumed = _run(tmp_path, str(backup), "resumed.npz")
    assert resumed.returncode == 0, resumed.stderr
    ours, epochs = _weights(tmp_path / "resumed.npz")
    theirs, all_epochs = _weights(tmp_path / "whole.npz")
    assert epochs == [2, 3, 4] and all_epochs == [0, 1, 2, 3, 4]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not backup.exists()  # finished normally: the backup is removed


def _model():
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(3), gn.layers.Dense(1)], seed=0)
    model.compile("adam", "mse")
    return model


X, Y = np.zeros((8, 2)), np.zeros((8, 1))


def test_only_its_own_files_are_removed_at_the_end(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    history = _model().fit(X, Y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    assert history.epoch == [0, 1]
    assert os.listdir(tmp_path) == ["notes.txt"]  # Keras would delete the whole folder
    kept = tmp_path / "kept"
    _model().fit(X, Y, epochs=2, verbose=0, callbacks=[BackupAndRestore(kept, "epoch", False)])
    assert sorted(os.listdir(kept)) == ["epoch-2.glassnet", "latest.json"]


def test_hostile_backup_folders_are_refused_before_training(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    cases = [
        (a_file, f"BackupAndRestore needs a folder, but {str(a_file)!r} is not one."),
        (fifo, f"BackupAndRestore needs a folder, but {str(fifo)!r} is not one."),
        (locked, f"BackupAndRestore cannot write in {str(locked)!r}: the folder is read-only."),
        (tmp_path / "no" / "b", f"the folder {str(tmp_path / 'no')!r} does not exist."),
    ]
    try:
        for folder, text in cases:
            model = _model()
            with pytest.raises(BackupError) as caught:
                model.fit(X, Y, epochs=2, verbose=0, callbacks=[BackupAndRestore(folder)])
            assert text in str(caught.value)
            assert model.optimizer.iterations == 0
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize(
    "record",
    ["{", "[]", '{"epoch": 2}', '{"epoch": -1, "model": "epoch--1.glassnet"}',
     '{"epoch": true, "model": "epoch-True.glassnet"}',
     '{"epoch": 2, "model": "../../etc/passwd"}', '{"epoch": 2.5, "model": "epoch-2.5.glassnet"}',
     "<script>alert(1)</script>"],
)  # fmt: skip
def test_a_record_it_did_not_write_is_refused(tmp_path, record):
    (tmp_path / "latest.json").write_text(record)
    model = _model()
    with pytest.raises(BackupError) as caught:
        model.fit(X, Y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    assert str(caught.value) == (
        f"BackupAndRestore cannot resume: {str(tmp_path / 'latest.json')!r} is not a backup "
        f"record it wrote. Remove the folder {str(tmp_path)!r} to start afresh."
    )
    assert model.optimizer.iterations == 0


def test_a_backup_of_another_model_is_refused(tmp_path):
    _model().fit(X, Y, epochs=1, verbose=0, callbacks=[BackupAndRestore(tmp_path, "epoch", False)])
    other = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(5), gn.layers.Dense(1)])
    other.compile("adam", "mse")
    with pytest.raises(BackupError, match=r"the backup is of another model \(") as caught:
        other.fit(X, Y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    assert "Remove the folder to start afresh." in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        (dict(backup_dir=""), ValueError, "backup_dir to be a folder name such as 'backup', got ''"),
        (dict(backup_dir=None), TypeError, "got NoneType None"),
        (dict(backup_dir=float("nan")), TypeError, "got float nan"),
        (dict(backup_dir=True), TypeError, "got bool True"),
        (dict(backup_dir="a\0b"), ValueError, "got 'a\\x00b'"),
        (dict(backup_dir="b", save_freq=5), ValueError, "expected save_freq='epoch', got 5"),
        (dict(backup_dir="b", save_freq="batch"), ValueError, "got 'batch'"),
        (dict(backup_dir="b", delete_checkpoint="no"), TypeError, "got str 'no'"),
        (dict(backup_dir="b", delete_checkpoint=0), TypeError, "got int 0"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused(kwargs, error, text):
    with pytest.raises(error) as caught:
        BackupAndRestore(**kwargs)
    assert text in str(caught.value)
