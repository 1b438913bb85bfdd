"""Helpers shared by the tests."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import glassnet as gn
from glassnet import io as model_io

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: every loss with the output activation it is meant for (and a linear one for from_logits)
LOSS_CASES = {
    "mse": ("linear", lambda: gn.MeanSquaredError()),
    "half_sum": ("sigmoid", lambda: gn.HalfSumSquaredError()),
    "bce": ("sigmoid", lambda: gn.BinaryCrossEntropy()),
    "bce_logits": ("linear", lambda: gn.BinaryCrossEntropy(from_logits=True)),
    "cce": ("softmax", lambda: gn.CategoricalCrossEntropy()),
    "cce_logits": ("linear", lambda: gn.CategoricalCrossEntropy(from_logits=True)),
    "sparse_cce": ("softmax", lambda: gn.SparseCategoricalCrossEntropy()),
    "sparse_cce_logits": ("linear", lambda: gn.SparseCategoricalCrossEntropy(from_logits=True)),
}


def targets_for(loss: gn.losses.Loss, n: int, units: int, rng: np.random.Generator) -> np.ndarray:
    """Random targets of the kind ``loss`` expects for an output of ``units`` units."""
    if isinstance(loss, gn.SparseCategoricalCrossEntropy):
        return rng.integers(0, units, size=n)
    if isinstance(loss, gn.CategoricalCrossEntropy):
        return np.eye(units)[rng.integers(0, units, size=n)]
    if isinstance(loss, gn.BinaryCrossEntropy):
        return rng.integers(0, 2, size=(n, units)).astype(float)
    return rng.normal(size=(n, units))


#: the playground's 2-4-1 tanh net on XOR, as its page posts it (the API and browser tests)
XOR_241 = {
    "dataset": {"name": "xor"},
    "layers": [{"units": 4, "activation": "tanh"}],
    "loss": "binary_crossentropy",
    "optimizer": "sgd",
    "learning_rate": 0.5,
    "batch_size": 4,
    "seed": 0,
}


#: Debian's Chromium (installed by scripts/ensure-chromium), driven by Playwright headless, with
#: everything that would reach the network switched off
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium_page(viewport: dict[str, int]) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A page of headless Chromium (closed on leaving) with ``viewport``, and two lists it fills:
    ``problems`` (console errors and warnings, page errors, failed requests) and ``requests``
    (the URL of every request the page makes)."""
    from playwright.sync_api import sync_playwright  # only the browser tests need Playwright

    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
            page.on("request", lambda request: requests.append(request.url))
            yield page, problems, requests
        finally:
            browser.close()


# -- model files, taken apart and put back together -----------------------------------------------
def read_members(source: bytes | Path) -> dict[str, np.ndarray]:
    """The arrays of a .glassnet file (a path, or the file's bytes) by member name without
    ``.npy``: ``"header"``, ``"weights/0"``, ... Never unpickles."""
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
        return {
            name.removesuffix(".npy"): np.lib.format.read_array(
                archive.open(name), allow_pickle=False
            )
            for name in archive.namelist()
        }


def header_of(arrays: dict[str, np.ndarray]) -> dict:
    """The JSON header among ``read_members``' arrays."""
    return json.loads(arrays["header"].tobytes())


def write_members(
    path: Path, arrays: dict[str, np.ndarray], header: dict | None = None, seal: bool = True
) -> Path:
    """An archive as ``model.save`` writes it, from ``arrays`` (and a header to put in), sealed
    like a real file (a forger can recompute the seal: the checks behind it must hold anyway)."""
    arrays = dict(arrays)
    if header is not None:
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with zipfile.ZipFile(path, "w") as archive:
        if seal:
            archive.comment = model_io.SEAL_PREFIX + b"0" * 64
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=array.dtype.hasobject)
    if seal:
        with open(path, "r+b") as file:
            model_io._seal(file)
    return path


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``glassnet argv``, argparse's own exits included."""
    from glassnet.cli import main

    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str, command: str, text: str) -> None:
    """The CLI's error contract: one line on stderr, ``glassnet <command>: error: ...``, with
    ``text`` in it and no traceback."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"glassnet {command}: error: "), lines[0]
    assert text in lines[0], lines[0]
    assert "Traceback" not in err


def diverging(rate: float) -> Callable[[], gn.Sequential]:
    """The seed toy without sigmoids, taught with a rate that sends it to inf within epochs."""

    def make() -> gn.Sequential:
        model = gn.Sequential(
            [gn.Input(shape=(3,)), gn.layers.Dense(4), gn.layers.Dense(1)],
            seed=2,
            dtype="float64",
        )
        model.compile(optimizer=gn.SGD(rate), loss=gn.losses.HalfSumSquaredError())
        return model

    return make
