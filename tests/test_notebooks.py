"""The notebooks under examples/, run in a real Jupyter kernel (nbclient + ipykernel), the way a
user runs them: no errors, no "install ipywidgets" warning, fit(verbose=1)'s progress lines with
the final numbers, glassnet's figures and the user's own pyplot figure shown as images."""

from __future__ import annotations

import io
import json
import re
import sys
import types
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from glassnet.progress import in_jupyter

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
KERNEL = "glassnet-test-python"


@pytest.fixture
def kernel(tmp_path, monkeypatch) -> str:
    """A kernelspec for this interpreter, found first on JUPYTER_PATH (a "python3" kernelspec
    installed for the user could point at another Python); the kernel picks its own matplotlib
    backend (ipykernel's inline one), as in a fresh notebook."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "glassnet tests", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    return KERNEL


class RecordingClient(NotebookClient):
    """nbclient's client, also keeping (message type, display_id) of every output message: the
    stored notebook holds only each display's last state, the messages show it was updated."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.messages: list[tuple[str, str | None]] = []

    def process_message(self, msg, cell, cell_index):
        transient = msg.get("content", {}).get("transient") or {}
        self.messages.append((msg["msg_type"], transient.get("display_id")))
        return super().process_message(msg, cell, cell_index)


def run_notebook(
    notebook: str | nbformat.NotebookNode, kernel: str, directory: Path
) -> RecordingClient:
    """Execute examples/<name> (or a notebook) in a fresh kernel (cwd ``directory``); any error
    raises. The executed notebook is ``client.nb``."""
    if isinstance(notebook, str):
        notebook = nbformat.read(EXAMPLES / notebook, as_version=4)
    client = RecordingClient(
        notebook,
        kernel_name=kernel,
        timeout=120,  # a hang guard per cell, not a speed test: each notebook takes seconds
        resources={"metadata": {"path": str(directory)}},
    )
    client.execute()
    return client


def outputs(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return list(cell.get("outputs", []))


def code_cell(notebook: nbformat.NotebookNode, start: str) -> nbformat.NotebookNode:
    """The code cell whose source starts with ``start``."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(start)]
    assert len(cells) == 1, f"expected one code cell starting {start!r}, found {len(cells)}"
    return cells[0]


def all_text(notebook: nbformat.NotebookNode) -> str:
    """Every text the notebook's outputs hold (streams, text/plain, text/html, tracebacks)."""
    parts = []
    for cell in notebook.cells:
        for output in outputs(cell):
            parts.append(output.get("text", ""))
            parts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
            parts += output.get("traceback", [])
    return "\n".join(parts)


def kinds(cell: nbformat.NotebookNode) -> set[str]:
    """The MIME types (and stream names) among a cell's outputs."""
    found = set()
    for output in outputs(cell):
        found |= set(output.get("data", {}))
        if output.output_type == "stream":
            found.add(output.name)
    return found


def assert_clean(notebook: nbformat.NotebookNode) -> None:
    """No error outputs, nothing on stderr, and no rich "install ipywidgets" warning."""
    for cell in notebook.cells:
        for output in outputs(cell):
            assert output.output_type != "error", output
            assert output.get("name") != "stderr", output.text
    assert "ipywidgets" not in all_text(notebook)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    """The notebooks in git carry code and words only; the tests run them for the outputs."""
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_there_are_the_three_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "cnn_from_the_ground_up.ipynb",
        "explain_seed.ipynb",
        "train_moons.ipynb",
    ]


def test_training_notebook_shows_progress_and_figures(kernel, tmp_path) -> None:
    client = run_notebook("train_moons.ipynb", kernel, tmp_path)
    notebook = client.nb
    assert_clean(notebook)
    assert "text/html" in kinds(code_cell(notebook, "import glassnet"))  # the model's table
    fit = code_cell(notebook, "history = model.fit(")
    printed = [o.text for o in outputs(fit) if o.output_type == "stream"]
    final_loss = re.fullmatch(r"final loss (\d\.\d{4})\n", "".join(printed)).group(1)
    lines = [o.data["text/plain"] for o in outputs(fit) if o.output_type == "display_data"]
    # one line per epoch, updated in place to the epoch's final numbers
    assert [line.split(" ")[:2] for line in lines] == [["Epoch", f"{k}/15"] for k in range(1, 16)]
    assert all("160/160 samples" in line for line in lines)
    assert f"loss: {final_loss} - accuracy: " in lines[-1] and "val_loss: " in lines[-1]
    shown = {key for kind, key in client.messages if kind == "display_data" and key}
    updated = {key for kind, key in client.messages if kind == "update_display_data"}
    assert len(shown) == 15 and shown == updated  # each epoch's line was updated in place
    assert "text/html" in kinds(code_cell(notebook, "history  #"))
    for start in (
        "plots.history_figure(",
        "plots.decision_boundary_figure(",
        "plots.weight_heatmap_figure(",
        "import matplotlib.pyplot as plt",  # the user's own plot, after glassnet's
    ):
        assert "image/png" in kinds(code_cell(notebook, start)), start


def test_explain_seed_notebook_runs_and_shows_its_numbers(kernel, tmp_path) -> None:
    notebook = run_notebook("explain_seed.ipynb", kernel, tmp_path).nb
    assert_clean(notebook)
    text = all_text(notebook)
    assert "[0.758 0.771 0.791 0.801]" in text  # the seed notebook's first output
    assert "after training: [[0.925]]" in text  # and its last
    assert "Training step 0, told simply" in text
    assert "<caption>glassnet trace of step 0</caption>" in text
    assert "text/html" in kinds(code_cell(notebook, "import numpy"))  # the model's table
    assert "text/html" in kinds(code_cell(notebook, "from glassnet.trace import"))  # History
    assert "image/png" in kinds(code_cell(notebook, "from glassnet import plots"))
    narration = code_cell(notebook, "from IPython.display import HTML")
    html = "".join(o.data.get("text/html", "") for o in outputs(narration))
    assert html.startswith('<section class="glassnet-explain">') and "</section>" in html


def test_cnn_notebook_works_by_hand_then_checks_then_trains(kernel, tmp_path) -> None:
    """The CNN notebook, end to end. Its strings were read off a run of the notebook itself
    (nbclient, this kernel): the hand-worked sums, glassnet's narration of the same pixel, the
    loop/fast-path differences, the gradient check, the PyTorch parity and the MNIST accuracy
    (0.9470 with seed 0, 2 epochs; the notebook asserts > 0.9)."""
    notebook = run_notebook("cnn_from_the_ground_up.ipynb", kernel, tmp_path).nb
    assert_clean(notebook)
    text = all_text(notebook)
    # 1. by hand: z, C, dC/dK, dC/dx as sums a reader can check on paper
    assert "z[0,0] = 1*1 + 2*0 + 0*(-1) + 1*2 = 3" in text
    assert "(-1)**2 + (-1)**2) = 11\n" in text
    hand_kernel_gradient = "1*0 + 2*1 + 0*(-3) + 0*(-2) + 1*(-1) + 3*1 + 2*2 + 0*(-1) + 1*(-1) = 7"
    assert f"dC/dK[0,0] = {hand_kernel_gradient}" in text
    assert "dC/dx[1,1] = 0*2 + 1*(-1) + (-2)*0 + (-1)*1 = -2" in text
    # 2. glassnet's trace and narration of the same step
    assert "glassnet's trace matches the hand-worked z, C, delta and dC/dK" in text
    assert "1.0000 * (-1.0000) + 2.0000 * 2.0000 = 6.0000" in text  # z1[0, 1, 2, 0], narrated
    # 3. loop reference == fast path, stride 2, "same"
    differences = re.findall(r"max \|fast - loop\| of (\S+): (\S+)", text)
    assert [name for name, _ in differences] == ["z", "dC/dK", "dC/db", "dC/da_prev"]
    assert all(float(value) < 1e-12 for _, value in differences), differences
    # 4, 5. the gradient check and PyTorch parity
    assert re.search(r"^PASS \(largest relative error \d\.\de-\d\d\)$", text, re.M)
    parity = float(re.search(r"largest difference over 20 steps: (\S+)", text).group(1))
    assert parity <= 1e-12
    # 6. MNIST: accuracy, then three figures
    accuracy = re.search(r"test accuracy (\d\.\d{4}) on 1000 digits", text).group(1)
    assert float(accuracy) > 0.9
    for start in (
        "plots.feature_maps_figure(",
        "plots.kernels_figure(",
        "plots.confusion_matrix_figure(",
    ):
        assert "image/png" in kinds(code_cell(notebook, start)), start


def test_cnn_notebook_fails_on_a_wrong_number(kernel, tmp_path) -> None:
    """The notebook's asserts compare glassnet with the hand-worked numbers: glassnet given
    another kernel than the hand-worked one (K + 1) fails the notebook at the first of them."""
    notebook = nbformat.read(EXAMPLES / "cnn_from_the_ground_up.ipynb", as_version=4)
    first_check = notebook.cells.index(code_cell(notebook, 'assert np.allclose(trace["z1"]'))
    notebook.cells = notebook.cells[: first_check + 1]  # sections 1 and 2: seconds
    setting = code_cell(notebook, "import glassnet as gn")
    assert "set_weights([K.reshape(2, 2, 1, 1)])" in setting.source
    setting.source = setting.source.replace("K.reshape(2, 2, 1, 1)", "K.reshape(2, 2, 1, 1) + 1")
    with pytest.raises(CellExecutionError, match="AssertionError"):
        run_notebook(notebook, kernel, tmp_path)


COUSINS = """
import contextlib, io
from glassnet.explain import document, print_rich
from glassnet.progress import ProgressBar
from glassnet.seed import XOR_X, XOR_Y, seed_network

given = io.StringIO()  # a stream given to the bar: the bar goes there, as rich draws it
seed_network().fit(XOR_X, XOR_Y, epochs=2, verbose=0, callbacks=[ProgressBar(stream=given)])
redirected = io.StringIO()  # stdout redirected: the bar follows it
with contextlib.redirect_stdout(redirected):
    seed_network().fit(XOR_X, XOR_Y, epochs=2, verbose=1)
print("given:", "Epoch 2/2" in given.getvalue(), "redirected:", "Epoch 2/2" in redirected.getvalue())
seed_network().fit(XOR_X, XOR_Y, epochs=2, verbose=2)
print_rich(document(seed_network().trace_step(XOR_X, XOR_Y)))
many = seed_network()  # many numbers: the line is longer than any screen, and keeps them all
many.compile("sgd", "mse", metrics=["binary_accuracy", "mean_squared_error", "mean_absolute_error"])
history = many.fit(XOR_X, XOR_Y, epochs=1, validation_data=(XOR_X, XOR_Y))
"""


def test_other_printers_in_a_notebook(kernel, tmp_path) -> None:
    """The bar on a stream of the user's or a redirected stdout, verbose=2, and explain's rich
    printer, in a kernel: none asks for ipywidgets, each prints where it should."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(COUSINS)])
    run_notebook(notebook, kernel, tmp_path)
    assert_clean(notebook)
    text = all_text(notebook)
    assert "given: True redirected: True" in text
    assert "Epoch 2/2 - loss: " in text  # verbose=2
    assert "Training step 0, told simply" in text  # rich's own notebook output (HTML)
    lines = [line for line in text.splitlines() if "val_mean_absolute_error" in line]
    assert len(lines) == 1 and len(lines[0]) > 250, lines
    assert lines[0].startswith("Epoch 1/1 ") and re.search(r"error: \d\.\d{4}$", lines[0]), lines


def test_jupyter_is_recognised_by_its_shell_and_its_stdout(monkeypatch) -> None:
    """in_jupyter: a ZMQ shell (or a subclass, as Colab's) with stdout the kernel's stream; a
    terminal IPython, or a kernel whose stdout the user redirected, is not Jupyter for the bar."""
    assert not in_jupyter()  # pytest, here

    class ZMQInteractiveShell:
        pass

    class ColabShell(ZMQInteractiveShell):
        pass

    class TerminalInteractiveShell:
        pass

    class OutStream(io.StringIO):
        pass

    OutStream.__module__ = "ipykernel.iostream"
    shell: object = ColabShell()
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    monkeypatch.setattr(sys, "stdout", OutStream())
    assert in_jupyter()
    shell = TerminalInteractiveShell()
    assert not in_jupyter()
    shell = ZMQInteractiveShell()
    assert in_jupyter()
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # contextlib.redirect_stdout in a cell
    assert not in_jupyter()
