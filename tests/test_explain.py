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
from glassnet.explain.common import example_rows
from glassnet.explain.rates import rate_effects
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
    kid = narrate(trace, "kid", width=None)
    assert "the network guessed 0.758 but the answer was 0; it was 0.758 too high" in kid
    assert "it was 0.229 too low" in kid
    student = narrate(trace, "student", width=None)
    assert "dC/dW2 = a1.T @ delta2: (4x4).T @ (4x1) -> (4x1)" in student
    assert "dC/dW1 = dC/da2 * da2/dz2 * dz2/da1 * da1/dz1 * dz1/dW1" in student
    for name in ("Eq (A)", "Eq (B)", "dC_dw2_1", "dC_dw2", "dC_dw1", "delta2 = (a2-y)"):
        assert name in student
    assert "1/2 cancels the 2" in student
    expert = narrate(trace, "expert", width=None)
    assert "0.757519" in expert and "Eq (A)" in expert


def test_html_fragment_and_page() -> None:
    trace = seed_trace()
    page = narrate(trace, "student", "html", width=None)
    fragment = narrate(trace, "student", "html", standalone=False, width=None)
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
        "dropout_l2_l1": (
            build(
                [
                    dense(4, "relu", kernel_regularizer=gn.regularizers.L2(0.01)),
                    gn.layers.Dropout(0.5, seed=3),
                    dense(2, "softmax", kernel_regularizer=gn.regularizers.L1(0.02)),
                ],
                "categorical_crossentropy",
                gn.SGD(0.1, momentum=0.9),
            ),
            x,
            np.eye(2)[rng.integers(0, 2, size=5)],
        ),
        "one_path_adam": (
            build(
                [dense(3, "tanh"), gn.layers.Activation("sigmoid"), dense(1, "linear")],
                "mse",
                gn.Adam(0.05),
            ),
            x,
            rng.normal(size=5),
        ),
    }


def example_shares(trace: Trace) -> list[np.ndarray]:
    """Each example's share of each dC/dW_l: a_{l-1}[r, i] * delta_l[r, j], for every r, i, j.
    Their sum over r (plus the penalty's gradient) is the engine's dC/dW_l."""
    shares = []
    for index, layer in enumerate(trace.info["layers"], start=1):
        if layer["kind"] != "Dense":
            continue
        a_prev, delta = trace[f"a{index - 1}"].value, trace[f"delta{index}"].value
        share = a_prev[:, :, None] * delta[:, None, :]  # (batch, n_in, units)
        penalty = trace.get(f"dpenalty{index}/dW{index}")
        total = share.sum(axis=0) + (0 if penalty is None else penalty.value)
        np.testing.assert_allclose(total, trace[f"dC/dW{index}"].value, rtol=1e-12, atol=1e-14)
        shares.append(np.ravel(share))
    return shares


def allowed_values(trace: Trace) -> np.ndarray:
    values = [np.ravel(entry.value).astype(float) for entry in trace]
    values += example_shares(trace)
    config = trace.info["optimizer"]
    values.append(np.array([v for v in config.values() if isinstance(v, int | float)], float))
    # the learning-rate lesson's what-ifs (tests/test_explain_lessons.py recomputes them)
    for e in rate_effects(trace) or []:
        values.append(np.array([e.rate, e.new, e.new - e.old, e.cost], float))
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


def worked_values(trace: Trace) -> np.ndarray:
    """The numbers an image narration derives from the trace's (products, the sums of the rest,
    shares of a delta); tests/test_explain_images.py binds each to its index and recomputes them."""
    from glassnet.explain import image_layers, images

    focus = images.make_focus(trace, 0)
    if focus is None:
        return np.zeros(0)
    values = []
    for index, layer in enumerate(trace.info["layers"], start=1):
        kind = layer["kind"]
        if kind == "Conv2D":
            sums = [images.conv_pixel(trace, index, focus)]
            sums.append(images.kernel_gradient_entry(trace, index, focus))
            sums.append(images.input_gradient_pixel(trace, index, focus))
            for worked in filter(None, sums):
                values += [*worked.products(), worked.rest]
        elif kind == "GlobalAveragePooling2D":
            found = image_layers.global_pool(trace, index, focus)
            values += [found["total"], found["delta"].value / found["count"]]
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            values += image_layers.pool_window(trace, index, focus).shares
    return np.array(values, dtype=float)


def check_numbers(text: str, trace: Trace) -> int:
    allowed = np.unique(np.concatenate([allowed_values(trace), np.abs(worked_values(trace))]))
    allowed = np.unique(np.concatenate([allowed, -allowed]))
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
                text = narrate(trace, level, fmt, example=example, width=None)
                counted += check_numbers(readable(text, fmt), trace)
    assert counted > 500


#: a row of an expert's quantity: "[3]  0.1  -2.5e-04", its next line "  0.3  0.4", or "..."
VALUES_ROW = re.compile(r"\s*(?:\[\d+\])?[-\d.e+\s]*(?:\.\.\.)?\s*")


def expert_values(text: str, trace: Trace) -> dict[str, list[float]]:
    """Each quantity the expert prints, by symbol: the numbers of its rows (or of its one line
    for a scalar). A quantity's label starts a line: 'a1 = sigmoid(z1)  (4x4) =', 'W1  (3x4) =',
    'a2_new: a2 with the new weights  (4x1) =', 'C = ... = 0.655919'; rows follow it."""
    lines = text.splitlines()
    found = {}
    for entry in trace:
        label = re.compile(re.escape(entry.symbol) + r"(?:\[[^\]]*\])?(?:  \(| = |: )")
        k = next(k for k, line in enumerate(lines) if label.match(line.strip()))
        if entry.value.ndim == 0:
            while not re.search(NUMBER.pattern + "$", lines[k]):
                k += 1  # a long scalar line goes on to its value
            found[entry.symbol] = [float(NUMBER.findall(lines[k])[-1])]
            continue
        while not lines[k].endswith(") ="):
            k += 1  # a long label goes on to its shape
        rows = []
        while k + 1 < len(lines) and lines[k + 1].strip() and VALUES_ROW.fullmatch(lines[k + 1]):
            k += 1
            rows.append(re.sub(r"^\s*\[\d+\]", "", lines[k]))
        found[entry.symbol] = [float(t) for t in NUMBER.findall(" ".join(rows))]
    return found


@pytest.mark.parametrize("example", [None, 2])
@pytest.mark.parametrize("width", [None, 100])
def test_expert_prints_each_entry_in_order(example: int | None, width: int | None) -> None:
    model, x, y = networks()["softmax_adam"]
    trace = model.trace_step(x, y)
    text = narrate(trace, "expert", "text", example=example, width=width)
    printed = expert_values(text, trace)
    assert list(printed) == [entry.symbol for entry in trace]
    for entry in trace:
        expected = np.ravel(example_rows(entry, example)[0])
        values = printed[entry.symbol]
        assert len(values) == expected.size, entry.symbol
        assert all(
            abs(p - e) <= 5e-7 * max(1.0, abs(e)) for p, e in zip(values, expected, strict=True)
        )


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
    kid, student = narrate(trace, "kid", width=None), narrate(trace, "student", width=None)
    assert words.ACTIVATION_WORDS[activation]["kid"] in kid
    assert words.ACTIVATION_WORDS[activation]["student"] in student


@pytest.mark.parametrize("loss", sorted({cls.name for cls in losses.LOSSES.values()}))
def test_each_loss_is_narrated(loss: str) -> None:
    output = "softmax" if "categorical" in loss else "sigmoid"
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(2, output)], seed=0)
    model.compile(optimizer="adam", loss=loss)
    y = np.array([1, 0]) if loss.startswith("sparse") else np.array([[1.0, 0.0], [0.0, 1.0]])
    trace = model.trace_step(np.array([[0.5, -1.0], [2.0, 0.3]]), y)
    student = narrate(trace, "student", width=None)
    assert words.LOSS_WORDS[loss]["formula"] in student
    assert words.LOSS_WORDS[loss]["why"] in student
    assert ("Fused gradient" in student) == trace.info["fused"]


@pytest.mark.parametrize("optimizer", sorted(optimizers.OPTIMIZERS))
def test_each_optimizer_is_narrated(optimizer: str) -> None:
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)], seed=0)
    model.compile(optimizer=optimizer, loss="mse")
    trace = model.trace_step(np.array([[0.5, -1.0]]), np.array([1.0]))
    assert words.OPTIMIZER_WORDS[optimizer]["kid"] in narrate(trace, "kid", width=None)
    assert words.OPTIMIZER_WORDS[optimizer]["student"] in narrate(trace, "student", width=None)


def test_bad_level_format_example() -> None:
    trace = seed_trace()
    with pytest.raises(ValueError, match="Unknown level 'baby'; expected one of kid"):
        narrate(trace, "baby", width=None)
    with pytest.raises(ValueError, match="Unknown format 'pdf'"):
        narrate(trace, format="pdf", width=None)
    with pytest.raises(ValueError, match=r"must be in \[0, 3\], got 4"):
        narrate(trace, example=4, width=None)
    with pytest.raises(TypeError, match=r"model\.trace_step"):
        narrate("not a trace", width=None)


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
    expected = narrate(model.trace_step(XOR_X, XOR_Y), "student", "html", example=1, width=None)
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


# -- the chain rule, factor by factor; the plugged-in arithmetic ------------------------------
def test_the_chain_equation_names_the_factors_of_its_table() -> None:
    """A fused loss over a separate Activation layer: z2 is a1, so the chain has no da2/da1.
    The written equation once kept that factor while the table of factors left it out."""
    from glassnet.explain.chain import chain_factors

    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(3), gn.layers.Activation("softmax")],
        dtype="float64",
        seed=0,
    )
    model.compile(optimizer=gn.SGD(0.1), loss="categorical_crossentropy")
    x, y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.eye(3)[[0, 2]]
    trace = model.trace_step(x, y)
    names = [name.split(" ")[0] for name, _ in chain_factors(trace, 1, row=0)]
    assert names == ["dC/dz2", "da1/dz1", "dz1/dW1"]
    student = gn.explain.narrate(trace, level="student")
    assert "dC/dW1 = dC/dz2 * da1/dz1 * dz1/dW1" in student
    assert "da2/da1" not in student


def test_seed_chain_factors_are_the_traced_values() -> None:
    from glassnet.explain.chain import chain_factors, chain_path

    trace = seed_trace()
    factors = chain_factors(trace, 1, row=2)
    assert [name.split(" ")[0] for name, _ in factors] == [
        "dC/da2",
        "da2/dz2",
        "dz2/da1",
        "da1/dz1",
        "dz1/dW1",
    ]
    expected = [
        trace["dC/da2"].value[2],
        trace["da2/dz2"].value[2],
        trace["W2"].value,
        trace["da1/dz1"].value[2],
        trace["a0"].value[2],
    ]
    for (_, printed), value in zip(factors, expected, strict=True):
        numbers = [float(t) for t in re.findall(r"-?\d+\.\d+(?:e[+-]?\d+)?", printed)]
        np.testing.assert_allclose(numbers, np.ravel(value), atol=5e-5)
    text, (i, j) = chain_path(trace, 1, row=2)
    *_, factor_text, share = re.split(r" = ", text.splitlines()[-1])
    product = np.prod([float(t.strip("()")) for t in factor_text.split(" * ")])
    exact = trace["a0"].value[2, i] * trace["delta1"].value[2, j]
    assert abs(float(share) - exact) <= 5e-5 and abs(product - exact) <= 1e-3 * abs(exact) + 5e-5
    # the chain, multiplied out exactly, is the engine's delta1 times a0
    path = (
        trace["dC/da2"].value[2, 0]
        * trace["da2/dz2"].value[2, 0]
        * trace["W2"].value[j, 0]
        * trace["da1/dz1"].value[2, j]
        * trace["a0"].value[2, i]
    )
    assert path == pytest.approx(exact, rel=1e-12)


ARITHMETIC = re.compile(r"^[-+*/() .\d]*(?:(?:sqrt|e[-+])[-+*/() .\d]*)*$")
RESULT = re.compile(r"^-?\d+\.\d+(?:e[+-]?\d+)?$")


def plugged_lines(text: str) -> list[tuple[str, float]]:
    """(arithmetic, printed result) for each line ending "= <numbers and operators> = <number>"."""
    found = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split(" = ")]
        if len(parts) < 2 or not RESULT.match(parts[-1]):
            continue
        expression = parts[-2].lstrip("= ").strip()
        if any(op in expression for op in "*+/") and ARITHMETIC.match(expression):
            found.append((expression, float(parts[-1])))
    return found


@pytest.mark.parametrize("name", ["seed", *networks()])
def test_plugged_in_arithmetic_gives_the_printed_result(name: str) -> None:
    if name == "seed":
        model, x, y = seed_network(), XOR_X, XOR_Y
    else:
        model, x, y = networks()[name]
        model.train_on_batch(x, y)
    text = narrate(model.trace_step(x, y), "student", example=1, width=None)
    lines = plugged_lines(text)
    assert len(lines) >= 8
    for expression, printed in lines:
        value = eval(expression.replace("^", "**"), {"sqrt": np.sqrt})  # numbers only
        assert abs(value - printed) <= 0.02 * abs(printed) + 2e-3, f"{expression} = {printed}"


# -- dropout, regularizers, biases, optimizer variants ---------------------------------------
def test_dropout_and_regularizers_are_traced_and_narrated() -> None:
    model, x, y = networks()["dropout_l2_l1"]
    before = [w.copy() for w in model.get_weights()]
    trace = model.trace_step(x, y)
    first, last = model.layers[0], model.layers[2]
    assert trace["penalty1"].value == pytest.approx(0.01 * np.sum(before[0] ** 2), rel=1e-12)
    assert trace["penalty3"].value == pytest.approx(0.02 * np.sum(np.abs(before[2])), rel=1e-12)
    data_part = trace["categorical_crossentropy(y, a3)"].value
    total = data_part + trace["penalty1"].value + trace["penalty3"].value
    assert trace["C"].value == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(trace["dpenalty1/dW1"].value, 0.02 * before[0], rtol=1e-12)
    np.testing.assert_allclose(
        trace["dC/dW1"].value - trace["dpenalty1/dW1"].value,
        trace["a0"].value.T @ trace["delta1"].value,
        atol=1e-14,
    )
    assert trace["dC/dW1"].equation == "dC/dW1 = a0.T @ delta1 + dpenalty1/dW1"
    mask = trace["mask2"].value
    assert set(np.unique(mask)) <= {0.0, 2.0}
    np.testing.assert_array_equal(trace["a2"].value, trace["a1"].value * mask)
    np.testing.assert_array_equal(trace["dC/da1"].value, trace["dC/da2"].value * mask)
    assert first.kernel_regularizer is not None and last.kernel_regularizer is not None
    kid, student, expert = (narrate(trace, level, width=None) for level in LEVELS)
    assert words.REGULARIZER_WORDS["l2"]["kid"] in kid and "fines for big knobs" in kid
    assert words.LAYER_WORDS["Dropout"]["kid"] in kid
    assert words.REGULARIZER_WORDS["l1"]["student"] in student
    assert "C = categorical_crossentropy(y, a3) + penalty1 + penalty3 = " in student
    assert "da2/da1 = mask2" in student and "dC/da1 = dC/da2 * mask2" in student
    assert words.LAYER_WORDS["Dropout"]["student"] in expert
    assert words.REGULARIZER_WORDS["l2"]["gradient"] in expert


def test_biases_are_narrated() -> None:
    model, x, y = networks()["one_path_adam"]
    trace = model.trace_step(x, y)
    np.testing.assert_allclose(trace["dC/db1"].value, trace["delta1"].value.sum(axis=0))
    student = narrate(trace, "student", width=None)
    assert "dC/db1 = sum(delta1, axis=0): (5x3) -> (3)" in student
    assert "z1 = a0 @ W1 + b1: (5x3) @ (3x3) + (3) -> (5x3)" in student
    assert "its own extra knob (the bias)" in narrate(trace, "kid", width=None)
    assert "m_b3[0] = " in student and "b3_new[0] = " in student


@pytest.mark.parametrize(
    ("optimizer", "lines"),
    [
        (gn.SGD(0.1), ["W_new = W - learning_rate * dC/dW"]),
        (
            gn.SGD(0.1, momentum=0.9),
            ["momentum_W = mu * momentum_W + dC/dW", "W_new = W - learning_rate * momentum_W"],
        ),
        (
            gn.SGD(0.1, momentum=0.9, nesterov=True),
            ["W_new = W - learning_rate * (dC/dW + mu * momentum_W)"],
        ),
        (gn.RMSprop(0.01), ["v_W = rho * v_W + (1 - rho) * (dC/dW)**2"]),
        (
            gn.RMSprop(0.01, centered=True),
            [
                "mean_W = rho * mean_W + (1 - rho) * dC/dW",
                "W_new = W - learning_rate * dC/dW / (sqrt(v_W - mean_W**2) + eps)",
            ],
        ),
        (
            gn.RMSprop(0.01, momentum=0.5, centered=True),
            ["momentum_W = mu * momentum_W + dC/dW / (sqrt(v_W - mean_W**2) + eps)"],
        ),
        (
            gn.Adam(0.01),
            [
                "m_W = beta_1 * m_W + (1 - beta_1) * dC/dW",
                "v_W = beta_2 * v_W + (1 - beta_2) * (dC/dW)**2",
            ],
        ),
    ],
)
def test_each_optimizer_variant_states_its_rule(optimizer, lines: list[str]) -> None:
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(2, "tanh"), gn.layers.Dense(1)],
        dtype="float64",
        seed=0,
    )
    model.compile(optimizer=optimizer, loss="mse")
    x, y = np.array([[0.5, -1.0], [2.0, 0.3]]), np.array([1.0, 0.0])
    model.train_on_batch(x, y)
    trace = model.trace_step(x, y)
    student, expert = narrate(trace, "student", width=None), narrate(trace, "expert", width=None)
    for line in lines:
        assert f"    {line}\n" in student
        assert line in expert
    assert len(plugged_lines(student)) >= 6


# -- --model and --data: a saved network on a data set --------------------------------------
def saved_moons_model(folder: Path) -> Path:
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(4, "tanh"), gn.layers.Dense(1, "sigmoid")],
        dtype="float64",
        seed=5,
    )
    model.compile(optimizer=gn.Adam(0.02), loss="binary_crossentropy")
    x, y = gn.datasets.moons()
    model.fit(x, y, epochs=2, batch_size=50, verbose=0)
    path = folder / "moons.glassnet"
    model.save(path)
    return path


def test_cli_explain_a_saved_model_on_a_named_data_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved_moons_model(tmp_path)
    saved = path.read_bytes()
    args = ["explain", "--model", str(path), "--data", "moons", "--batch", "8"]
    assert main([*args, "--level", "student", "--step", "1"]) == 0
    out = capsys.readouterr().out
    x, y = gn.datasets.moons()
    model = gn.load_model(path)
    model.train_on_batch(x[:8], y[:8])
    trace = model.trace_step(x[:8], y[:8])
    assert out == narrate(trace, "student")
    np.testing.assert_array_equal(trace["a2"].value, model.predict(x[:8]))
    assert "a batch of 8 examples" in out and "Fused gradient" in out
    assert trace.step == model.optimizer.iterations == 8 + 1  # 2 epochs of 4 batches, then one
    check_numbers(out, trace)
    assert path.read_bytes() == saved  # explaining never writes the model file


def test_cli_explain_a_saved_model_on_a_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved_moons_model(tmp_path)
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,label\n0.5,0.2,1\n-1.0,0.8,0\n1.5,-0.4,1\n", encoding="utf-8")
    assert main(["explain", "--model", str(path), "--data", str(csv), "--level", "kid"]) == 0
    out = capsys.readouterr().out
    x, y = gn.datasets.load_csv(csv)
    assert out == narrate(gn.load_model(path).trace_step(x, y), "kid")
    assert "looks at 3 examples" in out


def test_cli_explain_model_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = saved_moons_model(tmp_path)
    assert main(["explain", "--model", str(path)]) == 2
    assert "--model needs --data" in capsys.readouterr().err
    assert main(["explain", "--data", "moons"]) == 2
    assert "--data goes with --model" in capsys.readouterr().err
    assert main(["explain", "--batch", "2"]) == 2
    assert "--batch goes with --model" in capsys.readouterr().err
    assert main(["explain", "--model", str(path), "--data", "nowhere.csv"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["explain", "--model", str(tmp_path / "missing.glassnet"), "--data", "xor"]) == 2
    assert capsys.readouterr().err.startswith("glassnet explain: error:")
    assert main(["explain", "--model", str(path), "--data", "xor"]) == 2  # 3 features, not 2
    assert "expects input of shape (batch, 2)" in capsys.readouterr().err
    uncompiled = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)], seed=0)
    uncompiled.save(tmp_path / "bare.glassnet")
    assert main(["explain", "--model", str(tmp_path / "bare.glassnet"), "--data", "moons"]) == 2
    assert "compile" in capsys.readouterr().err


def test_cli_in_a_terminal_prints_colour_with_rich(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["explain", "--level", "student"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" in out  # ANSI colour
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "dC/dW2 = a1.T @ delta2: (4x4).T @ (4x1) -> (4x1)" in plain
    assert "dC/dW1[2,0], example 0's share" in plain and "Eq (A)" in plain


@pytest.mark.parametrize(
    "loss",
    [cls for cls in losses.LOSSES.values() if "from_logits" in cls.__init__.__code__.co_varnames],
)
def test_each_loss_from_logits_is_narrated(loss) -> None:
    instance = loss(from_logits=True)
    assert instance.from_logits
    units = 1 if instance.name == "binary_crossentropy" else 3
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(units)], dtype="float64", seed=0)
    model.compile(optimizer="sgd", loss=instance)
    x = np.array([[0.5, -1.0], [2.0, 0.3]])
    y = {
        "binary_crossentropy": np.array([1.0, 0.0]),
        "categorical_crossentropy": np.eye(3)[[2, 0]],
        "sparse_categorical_crossentropy": np.array([2, 0]),
    }[instance.name]
    trace = model.trace_step(x, y)
    squash = activations.get("sigmoid" if units == 1 else "softmax")
    np.testing.assert_allclose(trace["p"].value, squash(trace["a1"].value), rtol=1e-15)
    np.testing.assert_allclose(
        trace["dC/da1"].value, (trace["p - y"].value) / trace["a1"].value.size * units, atol=1e-15
    )
    student = narrate(trace, "student", width=None)
    assert words.LOGITS_WORDS[instance.name]["formula"] in student
    assert words.LOGITS_WORDS[instance.name]["why"] in student
    kid = narrate(trace, "kid", width=None)
    assert "raw score" in kid
    check_numbers(student, trace)
    check_numbers(kid, trace)


@pytest.mark.parametrize("name", list(networks()))
def test_the_narrated_trace_is_the_engines_step(name: str) -> None:
    """The values the narrations print (checked above against the trace) are the engine's own:
    a twin model trained by train_on_batch has the traced gradients, new weights and outputs."""
    (model, x, y), (twin, _, _) = networks()[name], networks()[name]
    for net in (model, twin):
        net.train_on_batch(x, y)
    trace = model.trace_step(x, y, update=True)
    loss = twin.train_on_batch(x, y)
    assert float(trace["C"].value) == pytest.approx(loss, rel=1e-12)
    for index, layer in enumerate(twin.layers, start=1):
        if layer.kind != "Dense":
            continue
        np.testing.assert_array_equal(trace[f"dC/dW{index}"].value, layer.kernel_gradient)
        np.testing.assert_array_equal(trace[f"W{index}_new"].value, layer.kernel)
        np.testing.assert_array_equal(trace[f"dC/db{index}"].value, layer.bias_gradient)
        np.testing.assert_array_equal(trace[f"b{index}_new"].value, layer.bias)
    out = f"a{len(twin.layers)}"
    np.testing.assert_allclose(trace[f"{out}_new"].value, twin.predict(x), rtol=1e-12)


LAYER_CASES = {
    "Dense": lambda: gn.layers.Dense(3, "tanh"),
    "Activation": lambda: gn.layers.Activation("tanh"),
    "Dropout": lambda: gn.layers.Dropout(0.5, seed=0),
    "Rescaling": lambda: gn.layers.Rescaling(0.5, offset=0.25),
    "Normalization": lambda: gn.layers.Normalization(
        mean=[0.1, -0.2, 0.3], variance=[4.0, 0.25, 1]
    ),
    # image layers sit between flat ones as (3,) -> (1, 3, 1) image -> ... -> flat again
    "Flatten": lambda: [gn.layers.Reshape((1, 3, 1)), gn.layers.Flatten()],
    "Reshape": lambda: [gn.layers.Reshape((3, 1, 1)), gn.layers.Flatten()],
    "Conv2D": lambda: [
        gn.layers.Reshape((1, 3, 1)),
        gn.layers.Conv2D(2, (1, 2), activation="tanh"),
        gn.layers.Flatten(),
    ],
    "MaxPooling2D": lambda: [
        gn.layers.Reshape((3, 1, 1)),
        gn.layers.MaxPooling2D((2, 1), strides=1),
        gn.layers.Flatten(),
    ],
    "AveragePooling2D": lambda: [
        gn.layers.Reshape((3, 1, 1)),
        gn.layers.AveragePooling2D((2, 1), strides=1),
        gn.layers.Flatten(),
    ],
    "GlobalAveragePooling2D": lambda: [
        gn.layers.Reshape((3, 1, 1)),
        gn.layers.GlobalAveragePooling2D(),
    ],
    "BatchNormalization": lambda: gn.layers.BatchNormalization(),
}


@pytest.mark.parametrize("kind", sorted(cls.kind for cls in layers.LAYERS.values()))
def test_each_layer_kind_is_narrated(kind: str) -> None:
    assert kind in LAYER_CASES, f"a new layer kind {kind}: give it words and a case here"
    case = LAYER_CASES[kind]()
    middle = case if isinstance(case, list) else [case]
    model = gn.Sequential(
        [gn.Input(shape=(3,)), gn.layers.Dense(3), *middle, gn.layers.Dense(1)],
        dtype="float64",
        seed=0,
    )
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.default_rng(0).normal(size=(4, 3)), np.arange(4.0)
    trace = model.trace_step(x, y)
    kid, student = narrate(trace, "kid", width=None), narrate(trace, "student", width=None)
    table = words.LAYER_WORDS[kind]
    assert table["kid"].split("{")[0].split(";")[0] in kid
    if kind != "Dense":
        assert table["student"] in student or words.ACTIVATION_WORDS["tanh"]["student"] in student
    assert "dC/da2" in trace and "dC/da1" in trace  # the blame passes through it
    check_numbers(student, trace)


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        (
            {"width": 5},
            ValueError,
            "Expected width to be a whole number of characters in [40, 10000] or None, got 5. "
            "Use width=100 (the default) or width=None for unwrapped lines.",
        ),
        (
            {"width": "80"},
            TypeError,
            "Expected width to be a whole number of characters or None, got str. Use width=100 "
            "(the default) or width=None.",
        ),
        (
            {"level": "adult"},
            ValueError,
            "Unknown level 'adult'; expected one of kid, student, expert.",
        ),
        ({"format": "pdf"}, ValueError, "Unknown format 'pdf'; expected one of text, md, html."),
        (
            {"example": 4},
            ValueError,
            "This step's batch has 4 examples, so example must be in [0, 3], got 4.",
        ),
    ],
)
def test_explain_refuses_bad_options_before_its_training_steps(options, error, text) -> None:
    """model.explain(step=3, width=5) trained three steps and then refused the width: the
    model was changed by a call that failed. Now the options are checked first."""
    model = seed_network()
    before = model.get_weights()
    with pytest.raises(error) as caught:
        model.explain(XOR_X, XOR_Y, step=3, **options)
    assert str(caught.value) == text
    assert model.optimizer.iterations == 0
    for got, expected in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, expected)
