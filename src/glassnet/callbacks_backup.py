"""``BackupAndRestore``: resume an interrupted ``fit`` from its last finished epoch, exactly.

Re-exported by ``glassnet.callbacks``. Files in ``backup_dir``:

``epoch-N.glassnet``   the model after N epochs (``model.save``: weights, optimizer state with
                       its step count, every random generator's state), written atomically
``latest.json``        ``{"epoch": N, "model": "epoch-N.glassnet"}``, replaced atomically after
                       the model file is complete, so it always names a whole file

A process killed at any moment leaves either the previous pair or the new one; the next ``fit``
with the same callback loads that model into the one being trained and starts at epoch N (as
``initial_epoch=N``), so the weights it ends with are bit for bit those of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from typing import Any

from glassnet._validation import shown
from glassnet.callbacks import Callback, Logs

_LATEST = "latest.json"


class BackupError(ValueError):
    """The backup folder cannot be used, or what is in it cannot be resumed from."""


class BackupAndRestore(Callback):
    """Back the training up at each epoch end and resume from it, as Keras 3's callback.

    ``backup_dir`` is a folder (made if missing). With ``delete_checkpoint=True`` (Keras's
    default) the backup is removed when ``fit`` finishes normally; an interrupted ``fit`` (an
    error, Ctrl-C, a killed process) leaves it for the next run. Unlike Keras, only glassnet's
    own two kinds of file are removed (``latest.json`` and ``epoch-N.glassnet``), and the folder
    only when that leaves it empty: Keras deletes the whole folder, whatever else is in it.
    ``save_freq`` is ``"epoch"`` only (Keras's per-batch backups are not offered).
    """

    def __init__(
        self, backup_dir: Any, save_freq: str = "epoch", delete_checkpoint: bool = True
    ) -> None:
        super().__init__()
        try:
            folder = os.fsdecode(os.fspath(backup_dir))
        except TypeError:
            raise TypeError(
                f"Expected BackupAndRestore's backup_dir to be a folder path (a str or "
                f"pathlib.Path), got {type(backup_dir).__name__} {shown(backup_dir, 40)}."
            ) from None
        if not folder or "\0" in folder:
            raise ValueError(
                f"Expected BackupAndRestore's backup_dir to be a folder name such as 'backup', "
                f"got {shown(folder, 40)}."
            )
        if save_freq != "epoch":
            raise ValueError(
                f"BackupAndRestore backs up at each epoch end only: expected save_freq='epoch', "
                f"got {shown(save_freq, 20)}."
            )
        if not isinstance(delete_checkpoint, bool):
            raise TypeError(
                f"Expected BackupAndRestore's delete_checkpoint to be True or False, got "
                f"{type(delete_checkpoint).__name__} {shown(delete_checkpoint, 20)}."
            )
        self.backup_dir = folder
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self.restored_epoch: int | None = None  # the epoch the last fit resumed from

    # -- the folder --------------------------------------------------------------------------
    def _path(self, name: str) -> str:
        return os.path.join(self.backup_dir, name)

    def _check_folder(self) -> None:
        try:
            info = os.stat(self.backup_dir)
        except FileNotFoundError:
            parent = os.path.dirname(os.path.abspath(self.backup_dir))
            if not os.path.isdir(parent):
                raise BackupError(
                    f"BackupAndRestore cannot make {shown(self.backup_dir)}: the folder "
                    f"{shown(parent)} does not exist. Create it first (os.makedirs)."
                ) from None
            return
        except OSError as error:
            raise BackupError(
                f"BackupAndRestore cannot use {shown(self.backup_dir)}: {error.strerror or error}."
            ) from None
        if not stat.S_ISDIR(info.st_mode):
            raise BackupError(
                f"BackupAndRestore needs a folder, but {shown(self.backup_dir)} is not one. Give "
                f"a folder name, e.g. 'backup'."
            )
        if not info.st_mode & 0o222 or not os.access(self.backup_dir, os.W_OK | os.X_OK):
            raise BackupError(
                f"BackupAndRestore cannot write in {shown(self.backup_dir)}: the folder is "
                f"read-only. Choose a folder you can write to."
            )

    def _latest(self) -> dict[str, Any] | None:
        path = self._path(_LATEST)
        if not os.path.exists(path):
            return None
        try:
            with open(path, encoding="utf-8") as file:
                latest = json.loads(file.read(4096))
            epoch, name = latest["epoch"], latest["model"]
            ok = isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0
            ok = ok and name == f"epoch-{epoch}.glassnet"
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise BackupError(
                f"BackupAndRestore cannot resume: {shown(path)} is not a backup record it wrote. "
                f"Remove the folder {shown(self.backup_dir)} to start afresh."
            )
        return latest

    # -- the hooks ---------------------------------------------------------------------------
    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._check_folder()
        self.restored_epoch = None
        latest = self._latest()
        if latest is None:
            return
        from glassnet.io import load_model

        saved = load_model(self._path(latest["model"]))
        model = self.model
        model._ensure_built()
        try:
            model.set_weights(saved.get_weights())
            if model.optimizer is not None and saved.optimizer is not None:
                if model.optimizer.schedule is None and saved.optimizer.schedule is None:
                    model.optimizer.learning_rate = saved.optimizer.learning_rate
                model.optimizer.set_state(saved.optimizer.get_state(), model._parameters)
        except (ValueError, TypeError) as error:
            raise BackupError(
                f"BackupAndRestore cannot resume this model from {shown(self.backup_dir)}: the "
                f"backup is of another model ({error}). Remove the folder to start afresh."
            ) from None
        for ours, theirs in zip(model._generators(), saved._generators(), strict=False):
            ours.bit_generator.state = theirs.bit_generator.state
        model._initial_epoch = latest["epoch"]  # fit starts there, as Keras's does
        self.restored_epoch = latest["epoch"]

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        previous = self._latest()
        name = f"epoch-{epoch + 1}.glassnet"
        self.model.save(self._path(name))  # atomic: a whole file or none
        record = self._path(f".{_LATEST}.tmp")
        with open(record, "w", encoding="utf-8") as file:
            file.write(json.dumps({"epoch": epoch + 1, "model": name}))
            file.flush()
            os.fsync(file.fileno())
        os.replace(record, self._path(_LATEST))  # now it names the new file
        if previous is not None and previous["model"] != name:
            self._remove(previous["model"])

    def on_train_end(self, logs: Logs | None = None) -> None:
        if not self.delete_checkpoint or not os.path.isdir(self.backup_dir):
            return
        latest = self._latest()
        self._remove(_LATEST)
        if latest is not None:
            self._remove(latest["model"])
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # only when nothing else is in it

    def _remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path(name))
