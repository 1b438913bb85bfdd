"""Every file glassnet writes besides model files goes through one writer (glassnet._outputs) that
refuses a target that is not a writable regular file, without blocking on a FIFO, and leaves it
exactly as it was (issue 14, points 5 and 6: the cousins of ``model.save``'s refusals).

Each writer of the Python API meets each hostile target kind; then the command line's flags; then
the writers' other inputs (markup in titles and names, a newline in a path, /dev/stdout).
Device nodes are the tests' own (os.mknod in tmp_path), never the machine's.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet._files import ModelFileError
from glassnet._outputs import OutputFileError, write_bytes_atomically, write_text_atomically
from glassnet.export import export_onnx
from glassnet.plots.demo import demo_report
from glassnet.plots.diagram import save_network_svg
from glassnet.plots.figures import history_figure, save_figure
from glassnet.plots.report import Section, training_report, write_report
from helpers import run_cli

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])
PRECIOUS = b"precious bytes, not to be lost\n"
NULL = os.makedev(1, 3)  # the numbers of /dev/null, on the test's own node in tmp_path


def model() -> gn.Sequential:
    net = gn.Sequential(
        [gn.Input((2,)), gn.layers.Dense(2, "tanh"), gn.layers.Dense(1, "sigmoid")], seed=0
    )
    net.compile("sgd", "binary_crossentropy")
    return net


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` (links not followed): its kind, device numbers, mode, bytes."""
    state = {}
    for folder, names, files in os.walk(root):
        for name in names + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            content = Path(path).read_bytes() if stat.S_ISREG(info.st_mode) else None
            link = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
            state[os.path.relpath(path, root)] = (
                stat.S_IFMT(info.st_mode),
                info.st_rdev,
                stat.S_IMODE(info.st_mode),
                content,
                link,
            )
    return state


def hostile(kind: str, path: Path) -> Path:
    """Put a hostile ``kind`` of thing at ``path``; return the path a writer is given."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        os.mknod(path, 0o666 | stat.S_IFCHR, NULL)
    elif kind == "directory":
        path.mkdir()
        (path / "keep.txt").write_bytes(PRECIOUS)
    elif kind == "read-only":
        path.write_bytes(PRECIOUS)
        path.chmod(0o444)
    elif kind == "link-to-device":
        device = path.parent.parent / f"node-{path.parent.name}"
        os.mknod(device, 0o666 | stat.S_IFCHR, NULL)
        path.symlink_to(device)
    elif kind == "link-to-fifo":
        fifo = path.parent.parent / f"fifo-{path.parent.name}"
        os.mkfifo(fifo)
        path.symlink_to(fifo)
    elif kind == "missing-folder":
        return path.parent / "missing" / path.name
    else:  # pragma: no cover
        raise AssertionError(kind)
    return path


#: what each kind's refusal says (the writers' own wording and model.save's share these words)
MESSAGES = {
    "fifo": r"it is a named pipe \(FIFO\), not a regular file",
    "device": r"it is a character device, not a regular file",
    "directory": r"it is a directory\. Give a file name",
    "read-only": r"read-only \(mode 0o444\).*chmod u\+w",
    "link-to-device": r"it is a character device, not a regular file",
    "link-to-fifo": r"it is a named pipe \(FIFO\), not a regular file",
    "missing-folder": r"the folder '.*missing' does not exist",
}


def checkpoint(target: Path) -> None:
    """Train 3 epochs with a ``{epoch}`` pattern whose epoch-2 name is ``target``."""
    pattern = str(target).replace("ckpt-2", "ckpt-{epoch}")
    callback = gn.ModelCheckpoint(pattern, monitor="loss")
    model().fit(X, Y, epochs=3, verbose=0, callbacks=[callback])


#: (name of the target file, write it given the target's path, the file is in a report folder)
WRITERS: dict[str, tuple[str, Callable[[Path], object], bool]] = {
    "write_text_atomically": ("out.txt", lambda p: write_text_atomically(p, "new", "a text"), 0),
    "write_bytes_atomically": ("out.bin", lambda p: write_bytes_atomically(p, b"\0new"), 0),
    "export_onnx": ("m.onnx", lambda p: export_onnx(model(), p), 0),
    "save_network_svg": ("net.svg", lambda p: save_network_svg(model(), p), 0),
    "ModelCheckpoint": ("ckpt-2.glassnet", checkpoint, 0),
    "save_figure": ("curves.png", lambda p: save_figure(history_figure({"loss": [1.0]}), p), 0),
    "write_report": (
        "index.html",
        lambda p: write_report(p.parent, "T", [Section("S", "<p>x</p>")]),
        1,
    ),
    "training_report": (
        "index.html",
        lambda p: training_report(p.parent, model(), {"loss": [1.0, 0.5]}),
        1,
    ),
    "demo_report": ("index.html", lambda p: demo_report(p.parent), 1),
}
KINDS = list(MESSAGES)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_writer_refuses_every_hostile_target_and_leaves_it_alone(
    tmp_path, writer, kind
) -> None:
    name, write, in_report = WRITERS[writer]
    if in_report and kind == "missing-folder":  # a report makes its folder: see below
        kind = "link-to-fifo"
    folder = tmp_path / "out"
    folder.mkdir()
    target = hostile(kind, folder / name)
    before = snapshot(tmp_path)
    error = ModelFileError if writer == "ModelCheckpoint" else OutputFileError
    with pytest.raises(error, match=MESSAGES[kind]) as caught:
        write(target)
    assert isinstance(caught.value, ValueError)
    named = target.parent if kind == "missing-folder" else target  # checkpoint names epoch 1's
    assert repr(str(named)) in str(caught.value) or repr(str(named)) + "/" in str(caught.value)
    assert snapshot(tmp_path) == before  # the FIFO still a FIFO, the bytes unchanged, no temp file


REPORT_FOLDER_KINDS = {
    "fifo": r"it is a named pipe \(FIFO\), not a folder",
    "device": r"it is a character device, not a folder",
    "file": r"it is a file, not a folder",
    "link-to-device": r"it is a character device, not a folder",
    "file-in-the-way": r"something that is not a folder .* is in the way",
}


@pytest.mark.parametrize("kind", list(REPORT_FOLDER_KINDS))
@pytest.mark.parametrize("writer", ["write_report", "training_report", "demo_report"])
def test_a_report_refuses_a_folder_that_is_not_one(tmp_path, writer, kind) -> None:
    room = tmp_path / "out"
    room.mkdir()
    place = room / "report"
    if kind == "file":
        place.write_bytes(PRECIOUS)
    elif kind == "file-in-the-way":
        place.write_bytes(PRECIOUS)
        place = place / "inner"
    else:
        place = hostile(kind, place)
    before = snapshot(tmp_path)
    with pytest.raises(OutputFileError, match=REPORT_FOLDER_KINDS[kind]):
        WRITERS[writer][1](place / "index.html")
    assert snapshot(tmp_path) == before


def test_the_writers_replace_atomically_keep_the_mode_and_follow_links(tmp_path) -> None:
    page = tmp_path / "page.html"
    page.write_text("old")
    page.chmod(0o640)
    link = tmp_path / "link.html"
    link.symlink_to(page)
    assert write_text_atomically(link, "new", "a page") == link
    assert page.read_text() == "new" and stat.S_IMODE(page.stat().st_mode) == 0o640
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == [
        "link.html",
        "page.html",
    ]
    fresh = save_network_svg(model(), tmp_path / "new.svg")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~_umask()
    assert fresh.read_text().startswith("<svg")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("name", ["curves.png", "curves.SVG", "curves.pdf"])
def test_save_figure_writes_the_format_its_suffix_names(tmp_path, name) -> None:
    path = save_figure(history_figure({"loss": [1.0, 0.5]}), tmp_path / name)
    head = path.read_bytes()[:8]
    assert head.startswith(
        {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[path.suffix.lower()]
    )


def test_save_figure_refuses_a_name_without_a_picture_suffix(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"expected a name ending in .png, .svg, .pdf, got '.gif'"):
        save_figure(history_figure({"loss": [1.0]}), tmp_path / "a.gif")
    assert list(tmp_path.iterdir()) == []


def test_export_onnx_keeps_a_glassnet_model_and_writes_a_real_onnx_file(tmp_path) -> None:
    import onnx

    saved = tmp_path / "m.glassnet"
    model().save(saved)
    before = saved.read_bytes()
    with pytest.raises(OutputFileError, match=r"a name ending in .glassnet is a glassnet model"):
        export_onnx(model(), saved)
    assert saved.read_bytes() == before
    out = export_onnx(model(), tmp_path / "m.onnx")
    assert [n.op_type for n in onnx.load(str(out)).graph.node][:2] == ["MatMul", "Add"]


def test_checkpoint_names_for_later_epochs_are_checked_before_training(tmp_path) -> None:
    os.mkfifo(tmp_path / "ckpt-03.glassnet")  # epoch 3's name: caught before epoch 1 saves
    callback = gn.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}.glassnet"), monitor="loss")
    with pytest.raises(ModelFileError, match=r"ckpt-03.glassnet.*named pipe \(FIFO\)"):
        model().fit(X, Y, epochs=3, verbose=0, callbacks=[callback])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-03.glassnet"]
    missing = str(tmp_path / "nowhere" / "ckpt-{epoch}-{loss:.3f}.glassnet")
    with pytest.raises(ModelFileError, match=r"the folder '.*nowhere' does not exist"):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[gn.ModelCheckpoint(missing, "loss")])


# -- the command line: one line, exit status 2, the target unchanged ---------------------------
CLI_MESSAGES = {
    "fifo": "is not a regular file (a FIFO, socket or device)",
    "device": "is not a regular file (a FIFO, socket or device)",
    "directory": "is a folder; expected a file path",
    "read-only": "the file is read-only (mode 0o444)",
    "link-to-device": "is not a regular file (a FIFO, socket or device)",
    "link-to-fifo": "is not a regular file (a FIFO, socket or device)",
    "missing-folder": "does not exist. Create it first",
}


def cli_inputs(tmp_path: Path) -> tuple[Path, Path]:
    saved = tmp_path / "m.glassnet"
    net = model()
    net.save(saved)
    rows = tmp_path / "rows.csv"
    rows.write_text("a,b\n0,1\n1,1\n")
    return saved, rows


def cli_argv(command: str, saved: Path, rows: Path, target: Path) -> list[str]:
    return {
        "explain": ["explain", "--output", str(target)],
        "explain-model": [
            "explain",
            "--model",
            str(saved),
            "--data",
            "xor",
            "--output",
            str(target),
        ],
        "predict": [
            "predict",
            "--model",
            str(saved),
            "--input",
            str(rows),
            "--output",
            str(target),
        ],
        "seed": ["seed", "--cell", "keras", "--history-out", str(target)],
    }[command]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ["explain", "explain-model", "predict", "seed"])
def test_every_output_flag_refuses_every_hostile_target(tmp_path, capsys, command, kind) -> None:
    saved, rows = cli_inputs(tmp_path)
    folder = tmp_path / "out"
    folder.mkdir()
    target = hostile(kind, folder / "out.txt")
    before = snapshot(tmp_path)
    code, out, err = run_cli(cli_argv(command, saved, rows, target), capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"glassnet {command.split('-')[0]}: error: ")
    assert CLI_MESSAGES[kind] in lines[0] and str(target) in lines[0]
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["fifo", "device", "file", "link-to-device"])
def test_demo_refuses_an_output_folder_that_is_not_one(tmp_path, capsys, kind) -> None:
    place = tmp_path / "report"
    if kind == "file":
        place.write_bytes(PRECIOUS)
    else:
        place = hostile(kind, place)
    before = snapshot(tmp_path)
    code, out, err = run_cli(["demo", "--output", str(place)], capsys)
    assert code == 2 and out == ""
    assert err.startswith("glassnet demo: error: --output") and len(err.splitlines()) == 1
    assert "expected a folder to write into" in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("inside", ["index.html", "seed_keras_history.json"])
def test_demo_refuses_a_fifo_inside_its_folder_before_any_work(tmp_path, capsys, inside) -> None:
    place = tmp_path / "report"
    place.mkdir()
    os.mkfifo(place / inside)
    code, out, err = run_cli(["demo", "--output", str(place)], capsys)
    assert code == 2 and out == ""  # nothing printed: the cells did not run
    assert "named pipe (FIFO), not a regular file" in err and inside in err
    assert stat.S_ISFIFO(os.stat(place / inside).st_mode)


def test_outputs_to_stdout_and_to_the_redirected_file_still_work(tmp_path) -> None:
    saved, rows = cli_inputs(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(gn.__file__).parents[1])}
    command = [sys.executable, "-m", "glassnet", "predict", "--model", str(saved)]
    command += ["--input", str(rows), "--output", "/dev/stdout"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("class,p1\n") and "2 predictions written" in done.stdout
    # --output names the very file the shell sent stdout to: written there, the file kept
    out = tmp_path / "out.csv"
    with out.open("w") as file:
        inode = os.fstat(file.fileno()).st_ino
        command[-1] = str(out)
        done = subprocess.run(command, stdout=file, stderr=subprocess.PIPE, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_ino == inode and out.read_text().startswith("class,p1\n")


# -- the writers' other inputs -----------------------------------------------------------------
def test_markup_in_titles_layer_names_and_data_names_is_escaped(tmp_path) -> None:
    markup = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    net = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1, "sigmoid", name="d<b>")], seed=0)
    net.compile("sgd", "binary_crossentropy")
    page = training_report(tmp_path / "r", net, {"loss<i>": [1.0, 0.5]}, title=markup).read_text()
    assert "<script>" not in page and "<img src=x" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "loss&lt;i&gt;" in page and "d&lt;b&gt;" in page
    page = write_report(tmp_path / "w", markup, [Section(markup, "<p>ok</p>")], markup)
    text = page.read_text()
    assert "<script>" not in text and "onerror=alert(2)>" not in text
    svg = save_network_svg(net, tmp_path / "n.svg").read_text()
    assert "<b>" not in svg and "d&lt;b&gt;" in svg


def test_a_path_with_a_newline_is_written_and_named_on_one_line(tmp_path, capsys) -> None:
    odd = tmp_path / "two\nlines.svg"
    assert save_network_svg(model(), odd).read_text().startswith("<svg")
    os.mkfifo(tmp_path / "pipe\nname.txt")
    with pytest.raises(OutputFileError, match=r"pipe\\nname\.txt"):
        write_text_atomically(tmp_path / "pipe\nname.txt", "x", "a text")
    code, _out, err = run_cli(["explain", "--output", str(tmp_path / "pipe\nname.txt")], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "not a regular file" in err


@pytest.mark.parametrize(
    ("path", "data", "error", "text"),
    [
        ("", b"x", OutputFileError, "Expected a file name for a test output"),
        ("a\0b", b"x", OutputFileError, "Expected a file name for a test output"),
        (3.5, b"x", TypeError, "to be a str or pathlib.Path, got float"),
        ("ok.bin", "text", TypeError, "Expected bytes to write to a test output, got str"),
        (".", b"x", OutputFileError, "it names a folder"),
    ],
)
def test_the_writer_refuses_wrong_kinds_of_path_and_data(tmp_path, path, data, error, text) -> None:
    os.chdir(tmp_path)
    with pytest.raises(error, match=text):
        write_bytes_atomically(path, data, "a test output")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "read-only", "link-to-fifo"])
def test_train_report_refuses_a_hostile_index_html_before_training(tmp_path, capsys, kind) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = hostile(kind, folder / "index.html")
    before = snapshot(tmp_path)
    argv = ["train", "--data", "xor", "--epochs", "1", "--verbose", "0", "--report", str(folder)]
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""  # no summary, no training
    assert len(err.splitlines()) == 1 and err.startswith("glassnet train: error: ")
    assert re.search(MESSAGES[kind], err), err
    assert str(target) in err and snapshot(tmp_path) == before


def test_train_report_names_a_fifo_where_its_folder_should_be(tmp_path, capsys) -> None:
    os.mkfifo(tmp_path / "report")
    argv = ["train", "--data", "xor", "--epochs", "1", "--report", str(tmp_path / "report")]
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert "is a named pipe (FIFO); expected a folder to write into" in err
    assert stat.S_ISFIFO(os.stat(tmp_path / "report").st_mode)


# -- a glassnet model is never replaced by another kind of file (tester's point 1) -------------
NOT_MODELS = [name for name in WRITERS if name != "ModelCheckpoint"]  # that one writes models


@pytest.mark.parametrize("writer", NOT_MODELS)
def test_no_writer_replaces_a_glassnet_model_file_whatever_its_name(tmp_path, writer) -> None:
    name, write, _in_report = WRITERS[writer]
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / name  # a model under the writer's own name (out.txt, m.onnx, index.html)
    model().save(tmp_path / "saved.glassnet")
    os.rename(tmp_path / "saved.glassnet", target)  # model.save refuses .onnx, say: moved there
    before = snapshot(tmp_path)
    with pytest.raises(OutputFileError, match=r"it is a glassnet model file .*lose the model"):
        write(target)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["m.glassnet", "M.GLASSNET", "m.glassnet.", "m.glassnet "])
@pytest.mark.parametrize("saved", [True, False], ids=["model-there", "new-file"])
@pytest.mark.parametrize("writer", [w for w in NOT_MODELS if not WRITERS[w][2]])
def test_no_writer_writes_under_a_glassnet_name(tmp_path, writer, saved, name) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / name
    if saved:
        model().save(target)
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=re.escape(repr(str(target)))) as caught:
        WRITERS[writer][1](target)
    message = str(caught.value)
    if writer == "save_figure":  # refused first for its suffix, which names a picture's
        assert "expected a name ending in .png, .svg, .pdf" in message
    else:
        assert "a name ending in .glassnet is a glassnet model file's" in message
        assert "Choose another name, e.g." in message
    assert snapshot(tmp_path) == before


def test_a_link_to_a_model_is_not_written_through(tmp_path) -> None:
    saved = tmp_path / "m.glassnet"
    model().save(saved)
    link = tmp_path / "page.html"
    link.symlink_to(saved)
    before = snapshot(tmp_path)
    with pytest.raises(OutputFileError, match=r"m\.glassnet'.*glassnet model file"):
        write_text_atomically(link, "<p>x</p>", "a page", "page.html")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["explain", "predict", "seed"])
@pytest.mark.parametrize("name", ["m.glassnet", "other.glassnet", "model-as.csv"])
def test_no_output_flag_replaces_or_mimics_a_model(tmp_path, capsys, command, name) -> None:
    saved, rows = cli_inputs(tmp_path)  # the model the command reads is tmp_path/m.glassnet
    folder = tmp_path if name == "m.glassnet" else tmp_path / "out"
    folder.mkdir(exist_ok=True)
    target = folder / name
    if name == "model-as.csv":
        model().save(tmp_path / "keep.glassnet")
        os.rename(tmp_path / "keep.glassnet", target)  # a model under a CSV's name
    before = snapshot(tmp_path)
    argv = cli_argv(command, saved, rows, target)
    argv += {"seed": ["--iterations", "1"], "explain": ["--format", "html"]}.get(command, [])
    code, _out, err = run_cli(argv, capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"glassnet {command.split('-')[0]}: error: ")
    assert str(target) in lines[0] and "Choose another" in lines[0]
    if name == "m.glassnet" and command != "seed":  # read as an input: that check comes first
        assert "glassnet model file" in lines[0] or "same file as" in lines[0]
    else:
        assert "glassnet model file" in lines[0]
    assert snapshot(tmp_path) == before
