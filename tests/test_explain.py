"""Narrations: the seed's step 0 as snapshots, every printed number is the engine's, every piece
has words, and the command line.

Snapshots are made by code: ``GLASSNET_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_explain.py``
rewrites tests/snapshots/ (then read them once before committing).
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import activations, layers, losses, optimizers
from glassnet.cli import main
from glassnet.explain import FORMATS, LEVELS, narrate, words
from glassnet.explain.common import rows
from glassnet.seed import XOR_X, XOR_Y, seed_network
from glassnet.trace import Trace

SNAPSHOTS = Path(__file__).parent / "snapshots"
SUFFIX = {"text": "txt", "md": "md", "html": "html"}
NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[+-]?\d+)?")


def seed_trace() -> Trace:
    return seed_network().trace_step(XOR_X, XOR_Y)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_seed_step0_snapshot(level: str, fmt: str) -> None:
    text = narrate(seed_trace(), level=level, format=fmt)
    path = SNAPSHOTS / f"seed_step0_{level}.{SUFFIX[fmt]}"
    if os.environ.get("GLASSNET_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_seed_story_at_each_level() -> None:
    trace = seed_trace()
    kid = narrate(trace, "kid")
    assert "the network guessed 0.758 but the answer was 0; it was 0.758 too high" in kid
    assert "it was 0.229 too low" in kid
    student = narrate(trace, "student")
    assert "dC/dW2 = a1.T @ delta2: (4x4).T @ (4x1) -> (4x1)" in student
    assert "dC/dW1 = dC/da2 * da2/dz2 * dz2/da1 * da1/dz1 * dz1/dW1" in student
    for name in ("Eq (A)", "Eq (B)", "dC_dw2_1", "dC_dw2", "dC_dw1", "delta2 = (a2-y)"):
        assert name in student
    assert "1/2 cancels the 2" in student
    expert = narrate(trace, "expert")
    assert "0.757519" in expert and "Eq (A)" in expert


def test_html_fragment_and_page() -> None:
    trace = seed_trace()
    page = narrate(trace, "student", "html")
    fragment = narrate(trace, "student", "html", standalone=False)
    assert page.startswith("<!DOCTYPE html>") and fragment.startswith("<section")
    assert fragment in page
    for text in (page, fragment):
        assert not re.search(r"<script|<link|https?://|src=", text)


# -- every number printed is the engine's ---------------------------------------------------
def networks() -> dict[str, tuple[gn.Sequential, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 3))

    def build(layer_list, loss, optimizer):
        model = gn.Sequential([gn.Input(shape=(3,)), *layer_list], dtype="float64", seed=1)
        model.compile(optimizer=optimizer, loss=loss)
        return model

    dense = gn.layers.Dense
    return {
        "softmax_adam": (
            build(
                [dense(4, "tanh"), dense(3, "softmax")],
                "sparse_categorical_crossentropy",
                gn.Adam(0.01),
            ),
            x,
            rng.integers(0, 3, size=5),
        ),
        "relu_momentum": (
            build(
                [dense(4, "linear"), gn.layers.Activation("leaky_relu"), dense(2, "relu")],
                "mse",
                gn.SGD(0.05, momentum=0.9, nesterov=True),
            ),
            x,
            rng.normal(size=(5, 2)),
        ),
        "logits_rmsprop": (
            build(
                [dense(3, "sigmoid"), dense(1, "linear")],
                gn.BinaryCrossEntropy(from_logits=True),
                gn.RMSprop(0.01, momentum=0.5, centered=True),
            ),
            x,
            rng.integers(0, 2, size=5),
        ),
        "bce_fused": (
            build([dense(2, "relu"), dense(1, "sigmoid")], "binary_crossentropy", "sgd"),
            x,
            rng.integers(0, 2, size=5),
        ),
    }


def allowed_values(trace: Trace) -> np.ndarray:
    values = [np.ravel(entry.value).astype(float) for entry in trace]
    config = trace.info["optimizer"]
    values.append(np.array([v for v in config.values() if isinstance(v, int | float)], float))
    flat = np.concatenate(values)
    return np.unique(np.concatenate([flat, np.abs(flat)]))


def readable(text: str, fmt: str) -> str:
    if fmt != "html":
        return text
    text = re.sub(r"<style>.*?</style>", "", text, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def tolerance(token: str) -> float:
    mantissa, _, exponent = token.partition("e")
    decimals = len(mantissa.split(".")[1])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals) * (1 + 1e-9) + 1e-300


def check_numbers(text: str, trace: Trace) -> int:
    allowed = allowed_values(trace)
    tokens = NUMBER.findall(text)
    for token in tokens:
        value, tol = float(token), tolerance(token)
        where = np.searchsorted(allowed, value)
        near = allowed[max(where - 1, 0) : where + 1]
        assert np.any(np.abs(near - value) <= tol), f"{token} is no value of the step"
    return len(tokens)


@pytest.mark.parametrize("name", ["seed", *networks()])
def test_every_printed_number_is_the_engines(name: str) -> None:
    if name == "seed":
        model, x, y = seed_network(), XOR_X, XOR_Y
    else:
        model, x, y = networks()[name]
        model.train_on_batch(x, y)  # a second step: the optimizer state is not all zero
    trace = model.trace_step(x, y)
    counted = 0
    for level in LEVELS:
        for fmt in FORMATS:
            for example in (None, 1):
                text = narrate(trace, level, fmt, example=example)
                counted += check_numbers(readable(text, fmt), trace)
    assert counted > 500


@pytest.mark.parametrize("example", [None, 2])
def test_expert_tables_print_each_entry_in_order(example: int | None) -> None:
    model, x, y = networks()["softmax_adam"]
    trace = model.trace_step(x, y)
    text = narrate(trace, "expert", "text", example=example)
    checked = 0
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split(" | ")]
        if len(cells) != 4 or cells[0] == "symbol":
            continue
        entry = trace[re.sub(r"\[\d+\]$", "", cells[0])]
        printed = [float(t) for t in cells[3].replace(";", " ").split()]
        expected = np.ravel(rows(trace, entry, example))
        assert len(printed) == expected.size
        assert all(
            abs(p - e) <= 5e-7 * max(1.0, abs(e)) for p, e in zip(printed, expected, strict=True)
        )
        checked += 1
    assert checked == len(trace)


# -- every piece has words -------------------------------------------------------------------
def test_every_activation_loss_optimizer_layer_has_words() -> None:
    assert set(activations.ACTIVATIONS) <= set(words.ACTIVATION_WORDS)
    assert {cls.name for cls in losses.LOSSES.values()} <= set(words.LOSS_WORDS)
    assert set(optimizers.OPTIMIZERS) <= set(words.OPTIMIZER_WORDS)
    assert {cls.kind for cls in layers.LAYERS.values()} <= set(words.LAYER_WORDS)
    regularizers = getattr(gn, "regularizers", None)
    if regularizers is None:
        import glassnet.regularizers as regularizers
    assert set(regularizers.REGULARIZERS) <= set(words.REGULARIZER_WORDS)
    for table, keys in (
        (words.ACTIVATION_WORDS, {"formula", "derivative", "kid", "student"}),
        (words.LOSS_WORDS, {"formula", "gradient", "kid", "why"}),
        (words.OPTIMIZER_WORDS, {"rule", "kid", "student"}),
        (words.LAYER_WORDS, {"kid", "student"}),
        (words.REGULARIZER_WORDS, {"formula", "gradient", "kid", "student"}),
    ):
        for name, entry in table.items():
            assert keys <= set(entry), f"{name} lacks {keys - set(entry)}"


@pytest.mark.parametrize("activation", sorted(activations.ACTIVATIONS))
def test_each_activation_is_narrated(activation: str) -> None:
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(3, activation), gn.layers.Dense(1)], seed=0
    )
    model.compile(optimizer="sgd", loss="mse")
    trace = model.trace_step(np.array([[0.5, -1.0], [2.0, 0.3]]), np.array([1.0, 0.0]))
    kid, student = narrate(trace, "kid"), narrate(trace, "student")
    assert words.ACTIVATION_WORDS[activation]["kid"] in kid
    assert words.ACTIVATION_WORDS[activation]["student"] in student


@pytest.mark.parametrize("loss", sorted({cls.name for cls in losses.LOSSES.values()}))
def test_each_loss_is_narrated(loss: str) -> None:
    output = "softmax" if "categorical" in loss else "sigmoid"
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(2, output)], seed=0)
    model.compile(optimizer="adam", loss=loss)
    y = np.array([1, 0]) if loss.startswith("sparse") else np.array([[1.0, 0.0], [0.0, 1.0]])
    trace = model.trace_step(np.array([[0.5, -1.0], [2.0, 0.3]]), y)
    student = narrate(trace, "student")
    assert words.LOSS_WORDS[loss]["formula"] in student
    assert words.LOSS_WORDS[loss]["why"] in student
    assert ("Fused gradient" in student) == trace.info["fused"]


@pytest.mark.parametrize("optimizer", sorted(optimizers.OPTIMIZERS))
def test_each_optimizer_is_narrated(optimizer: str) -> None:
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)], seed=0)
    model.compile(optimizer=optimizer, loss="mse")
    trace = model.trace_step(np.array([[0.5, -1.0]]), np.array([1.0]))
    assert words.OPTIMIZER_WORDS[optimizer]["kid"] in narrate(trace, "kid")
    assert words.OPTIMIZER_WORDS[optimizer]["student"] in narrate(trace, "student")


def test_bad_level_format_example() -> None:
    trace = seed_trace()
    with pytest.raises(ValueError, match="Unknown level 'baby'; expected one of kid"):
        narrate(trace, "baby")
    with pytest.raises(ValueError, match="Unknown format 'pdf'"):
        narrate(trace, format="pdf")
    with pytest.raises(ValueError, match=r"must be in \[0, 3\], got 4"):
        narrate(trace, example=4)
    with pytest.raises(TypeError, match=r"model\.trace_step"):
        narrate("not a trace")


# -- model.explain and the command -----------------------------------------------------------
def test_model_explain_steps_first() -> None:
    model = seed_network()
    text = model.explain(XOR_X, XOR_Y, level="expert", step=2)
    assert text.startswith("Training step 2")
    assert model.optimizer.iterations == 2  # the two steps stay, the narrated one does not
    assert model.explain(XOR_X, XOR_Y, format="md", example=3).startswith("# Training step 2")


def test_cli_explain_default_is_the_seeds_step0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    assert out == narrate(seed_trace(), "kid")
    assert "the network guessed 0.758 but the answer was 0" in out


def test_cli_explain_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "step.html"
    args = ["explain", "--step", "3", "--example", "1", "--level", "student", "--format", "html"]
    assert main([*args, "--output", str(target)]) == 0
    model = seed_network()
    for _ in range(3):
        model.train_on_batch(XOR_X, XOR_Y)
    expected = narrate(model.trace_step(XOR_X, XOR_Y), "student", "html", example=1)
    assert target.read_text(encoding="utf-8") == expected
    assert main(["explain", "--example", "7"]) == 2
    assert "must be in [0, 3], got 7" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["explain", "--level", "toddler"])


def test_example_notebook_cells_run_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    notebook = Path(__file__).parent.parent / "examples" / "explain_seed.ipynb"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), str(notebook), "exec"), namespace)
    out = capsys.readouterr().out
    assert "[0.758 0.771 0.791 0.801]" in out
    assert "it was 0.758 too high" in out and "Eq (A)" in out
    assert "after training: [[0.925]]" in out
    assert [t.step for t in namespace["recorder"].traces] == [0, 250, 500, 750]


def test_readme_excerpt_is_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Explain a step", 1)[1]
    excerpt = re.search(r"```text\n(.*?)```", section, flags=re.DOTALL).group(1)
    assert main(["explain", "--level", "kid"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in excerpt.splitlines() if line and line != "[...]"]
    assert len(lines) > 10 and all(line in out.splitlines() for line in lines)
