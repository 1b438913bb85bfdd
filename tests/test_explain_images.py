"""Image layers narrated: every number bound to the trace at the index it claims, every worked sum
adding up, the worked convolution pixel, kernel-gradient entry and input-gradient pixel recomputed
here with plain loops from the weights, every image layer kind worded at every level, the three
formats, the focus flags, and the line budget on an MNIST-sized CNN."""

from __future__ import annotations

import html
import itertools
import re
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.explain import FORMATS, LEVELS, image_layers, narrate
from glassnet.explain import images as images_module
from glassnet.explain.image_words import IMAGE_WORDS, LEVEL_KEYS
from glassnet.explain.words import LAYER_WORDS
from glassnet.layers import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
    Rescaling,
    Reshape,
)
from glassnet.trace import Trace
from test_explain import expert_values

NUMBER = r"-?\d+\.\d+(?:e[+-]?\d+)?|-?\d+"
ASSIGNED = re.compile(
    rf"(?<![\w/])((?:dC/d)?[A-Za-z_]+\d+)\[([-\d, ]+)\] = \(?({NUMBER})\)?(?![\d.]|\)? *[-+*/(\w])"
)
LABEL = re.compile(
    r"^\s*((?:dC/d)?[A-Za-z_]+\d+)\[([-\d:, ]+)\]  \(.*\) =$|^\s*(\S+)\[([-\d:, ]+)\] =$"
)


def digits_cnn() -> tuple[gn.Sequential, np.ndarray, np.ndarray]:
    images, labels = gn.datasets.digits(images=True)
    model = gn.Sequential(
        [
            gn.Input((8, 8, 1)),
            Rescaling(1 / 16),
            Conv2D(4, 3, activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, "softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile(gn.Adam(0.01), "sparse_categorical_crossentropy")
    return model, images[:6], labels[:6]


def odd_cnn() -> tuple[gn.Sequential, np.ndarray, np.ndarray]:
    """Strides 2 with asymmetric 'same' padding, tanh, batch normalisation, average pooling with
    padding, a 1x1 convolution over 3 channels, global average pooling, Reshape."""
    model = gn.Sequential(
        [
            gn.Input((72,)),
            Reshape((6, 6, 2)),
            Rescaling(0.5, offset=0.1),
            Conv2D(3, 3, strides=2, padding="same", activation="tanh"),
            BatchNormalization(),
            AveragePooling2D(2, padding="same"),
            Conv2D(2, 1),
            GlobalAveragePooling2D(),
            Dense(3, "softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(5, 72))
    return model, x, np.array([0, 1, 2, 1, 0])


NETWORKS = {"digits": digits_cnn, "odd": odd_cnn}


def traced(name: str) -> Trace:
    model, x, y = NETWORKS[name]()
    return model.trace_step(x, y)


def tolerance(token: str) -> float:
    mantissa, _, exponent = token.partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals) * (1 + 1e-9) + 1e-300


def readable(text: str, fmt: str) -> str:
    if fmt != "html":
        return text
    text = re.sub(r"<style>.*?</style>", "", text, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def value_at(trace: Trace, symbol: str, index: tuple[int, ...]) -> float:
    """The trace's value at ``index``, 0 for a padding cell just outside an image."""
    value = trace[symbol].value
    if value.ndim == 4 and not all(0 <= i < n for i, n in zip(index, value.shape, strict=True)):
        return 0.0
    return float(value[index])


def bind_assignments(text: str, trace: Trace) -> int:
    """Every ``symbol[i, j, ...] = number`` is the trace's value at that very index."""
    count = 0
    for symbol, where, token in ASSIGNED.findall(text):
        if symbol not in trace or ("," not in where and trace[symbol].value.ndim != 1):
            continue
        index = tuple(int(part) for part in where.split(","))
        if len(index) != trace[symbol].value.ndim:
            continue
        expected = value_at(trace, symbol, index)
        assert abs(float(token) - expected) <= tolerance(token), (symbol, index, token, expected)
        count += 1
    return count


def bind_crops(text: str, trace: Trace) -> int:
    """Every matrix labelled ``symbol[0, 3:8, 9:14, 2]`` shows that slice of the trace."""
    lines = text.splitlines()
    count = 0
    for number, line in enumerate(lines):
        match = LABEL.match(line)
        if not match:
            continue
        symbol, where = (match.group(1), match.group(2)) if match.group(1) else match.groups()[2:]
        if symbol not in trace:
            continue
        value = trace[symbol].value
        parts = [part.strip() for part in where.split(",")]
        if len(parts) != value.ndim:
            continue
        pads = [(0, 0)] * value.ndim
        index = []
        for axis, part in enumerate(parts):
            if part == ":":
                index.append(slice(None))
            elif ":" in part:
                start, stop = (int(v) for v in part.split(":"))
                low, high = max(-start, 0), max(stop - value.shape[axis], 0)
                pads[axis] = (max(pads[axis][0], low), max(pads[axis][1], high))
                index.append((start, stop))
            else:
                index.append(int(part))
        padded = np.pad(np.asarray(value, dtype=float), pads)
        cut = tuple(
            slice(i[0] + pads[a][0], i[1] + pads[a][0]) if isinstance(i, tuple) else i
            for a, i in enumerate(index)
        )
        expected = np.atleast_2d(padded[cut])
        rows = []
        for row_line in lines[number + 1 : number + 1 + expected.shape[0]]:
            rows.append([t for t in row_line.replace("[", " ").replace("]", " ").split()])
        for row, want in zip(rows, expected, strict=True):
            for token, cell in zip(row, want, strict=True):
                assert abs(float(token) - cell) <= tolerance(token), (symbol, where, token, cell)
        count += 1
    return count


def worked_sums(text: str) -> list[tuple[str, list[str], float]]:
    """(target label, written terms, printed total) of each two-line worked sum."""
    found = []
    lines = text.splitlines()
    for first, second in itertools.pairwise(lines):
        head = re.match(r"^\s*(\S+\[[-\d, ]+\]) = sum", first)
        body = re.match(r"^\s*= (.*) = (\S+)$", second)
        if head and body:
            found.append((head.group(1), body.group(1).split(" + "), float(body.group(2))))
    return found


def evaluate(terms: list[str]) -> float:
    total = 0.0
    for term in terms:
        rest = re.match(r"^\[\d+ more products?: \(?(\S+?)\)?\]$", term)
        if rest:
            total += float(rest.group(1))
            continue
        factors = [float(f.strip("()")) for f in term.split(" * ")]
        total += float(np.prod(factors))
    return total


@pytest.mark.parametrize("name", list(NETWORKS))
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_number_is_the_engines_at_the_index_it_claims(name, level, fmt) -> None:
    trace = traced(name)
    text = readable(narrate(trace, level, fmt, width=None), fmt)
    assigned = bind_assignments(text, trace)
    assert assigned >= (8 if level == "student" and fmt != "html" else 0)
    if level == "kid":  # the stamp's sum: its total is z at the focus, its terms add up to it
        focus = images_module.make_focus(trace, 0)
        index = 2 if name == "digits" else 3
        worked = images_module.conv_pixel(trace, index, focus)
        found = re.search(r"adds them up(?:, plus its extra knob)?: (.*) = (\S+) \(filter", text)
        terms = found.group(1).replace(" x ", " * ").split(" + ")
        assert float(found.group(2)) == pytest.approx(worked.target.value, abs=5e-4)
        assert evaluate(terms) == pytest.approx(worked.target.value, abs=0.02)
    if fmt != "html" and level == "student":
        assert bind_crops(text, trace) >= 6


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_worked_sums_add_up_to_the_printed_totals(name) -> None:
    trace = traced(name)
    text = narrate(trace, "student", width=None)
    sums = worked_sums(text)
    assert len(sums) >= 3
    for label, terms, total in sums:
        terms = [t for t in terms if not t.startswith("sum")]
        assert evaluate(terms) == pytest.approx(total, abs=5e-3 * max(1.0, abs(total))), label


def padding(size: int, window: int, stride: int, mode: str) -> tuple[int, int]:
    """Rows added before, after: TensorFlow's rule, written out here on its own."""
    if mode == "valid":
        return 0, 0
    out = -(-size // stride)
    extra = max((out - 1) * stride + window - size, 0)
    return extra // 2, extra - extra // 2


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_worked_conv_numbers_recomputed_from_the_weights(name) -> None:
    trace = traced(name)
    text = narrate(trace, "student", width=None)
    for index, layer in enumerate(trace.info["layers"], start=1):
        if layer["kind"] != "Conv2D":
            continue
        config = layer["config"]
        a_prev = trace[f"a{index - 1}"].value
        kernel = trace[f"K{index}"].value
        bias = trace[f"b{index}"].value
        delta = trace[f"delta{index}"].value
        kh, kw, channels, filters = kernel.shape
        s = config["strides"][0]
        top, _ = padding(a_prev.shape[1], kh, s, config["padding"])
        left, _ = padding(a_prev.shape[2], kw, s, config["padding"])

        def pixel(n, r, q, c, a_prev=a_prev):
            inside = 0 <= r < a_prev.shape[1] and 0 <= q < a_prev.shape[2]
            return a_prev[n, r, q, c] if inside else 0.0

        # the output pixel the text works out: z[n, y, x, f] from its own loops
        n, y, x, f = (
            int(v)
            for v in re.search(rf"z{index}\[(\d+), (\d+), (\d+), (\d+)\] = sum", text).groups()
        )
        z = bias[f]
        for i in range(kh):
            for j in range(kw):
                for c in range(channels):
                    z += pixel(n, y * s + i - top, x * s + j - left, c) * kernel[i, j, c, f]
        printed = re.search(rf"z{index}\[{n}, {y}, {x}, {f}\] = sum.*\n.* = (\S+)\n", text)
        assert float(printed.group(1)) == pytest.approx(z, abs=5e-5)
        # the kernel-gradient entry: sum over examples and positions
        i, j, c, f = (
            int(v)
            for v in re.search(rf"dC/dK{index}\[(\d+), (\d+), (\d+), (\d+)\] = sum", text).groups()
        )
        grad = 0.0
        for n_ in range(delta.shape[0]):
            for y_ in range(delta.shape[1]):
                for x_ in range(delta.shape[2]):
                    grad += pixel(n_, y_ * s + i - top, x_ * s + j - left, c) * delta[n_, y_, x_, f]
        printed = re.search(rf"dC/dK{index}\[{i}, {j}, {c}, {f}\] = sum.*\n.* = (\S+)\n", text)
        assert float(printed.group(1)) == pytest.approx(grad, abs=5e-5)
        assert grad == pytest.approx(trace[f"dC/dK{index}"].value[i, j, c, f], rel=1e-9, abs=1e-12)
        # the input-gradient pixel: every output (y, x, f) whose window held it
        found = re.search(rf"dC/da{index - 1}\[(\d+), (\d+), (\d+), (\d+)\] = sum", text)
        if found is None:
            continue
        n, r, q, c = (int(v) for v in found.groups())
        back = 0.0
        for y_ in range(delta.shape[1]):
            for x_ in range(delta.shape[2]):
                for f_ in range(filters):
                    i, j = r + top - y_ * s, q + left - x_ * s
                    if 0 <= i < kh and 0 <= j < kw:
                        back += delta[n, y_, x_, f_] * kernel[i, j, c, f_]
        printed = re.search(rf"dC/da{index - 1}\[{n}, {r}, {q}, {c}\] = sum.*\n.* = (\S+)\n", text)
        assert float(printed.group(1)) == pytest.approx(back, abs=5e-5)
        assert back == pytest.approx(trace[f"dC/da{index - 1}"].value[n, r, q, c], abs=1e-12)


def test_the_shape_sentence_and_the_pooling_routes() -> None:
    trace = traced("digits")
    text = narrate(trace, "student", width=None)
    assert "dC/dK2 has K2's shape (3x3x1x4) because each kernel number gets one blame" in text
    assert "(W - F + 2P) / S + 1 = (8 - 3 + 0) / 1 + 1 = 6" in text
    route = re.search(r"(dC/da3\[[\d, ]+\]) = (\S+) goes to the winner (a2\[[\d, ]+\])", text)
    assert route and "the 3 losers get 0" in text
    window = image_layers.pool_window(trace, 3, images_module.make_focus(trace, 0))
    assert window.shares.count(0.0) == 3 and max(abs(s) for s in window.shares) > 0
    assert window.inputs[window.winner].value == max(f.value for f in window.inputs)
    odd = narrate(traced("odd"), "student", width=None)
    assert "2P = 0 on top + 1 at the bottom" in odd  # 'same' with stride 2 on 6: lopsided
    assert "the odd one goes to the bottom/right" in odd
    assert re.search(r"each of the 4 inputs gets dC/da5\[[\d, ]+\] / 4 = ", odd)
    assert "direct path:     m * g = 45 * " in odd and "through var:" in odd


@pytest.mark.parametrize("kind", sorted(IMAGE_WORDS))
def test_every_image_layer_kind_has_words_at_every_level(kind) -> None:
    assert set(LEVEL_KEYS) <= set(IMAGE_WORDS[kind]), f"{kind} lacks words"


def test_a_new_image_layer_kind_without_words_fails() -> None:
    kinds = {cls.kind for cls in gn.layers.LAYERS.values() if getattr(cls, "takes_images", False)}
    # Dropout acts element by element, so its dense words (LAYER_WORDS) hold for any shape
    elementwise = {"Dropout"}
    assert all({"kid", "student"} <= set(LAYER_WORDS[kind]) for kind in elementwise)
    assert (kinds - elementwise) | {"Flatten", "Reshape", "Rescaling", "Normalization"} <= set(
        IMAGE_WORDS
    )
    assert set(images_module.IMAGE_KINDS) == set(IMAGE_WORDS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_level_tells_each_image_layer(fmt) -> None:
    for name in NETWORKS:
        trace = traced(name)
        kinds = {layer["kind"] for layer in trace.info["layers"]} & set(IMAGE_WORDS)
        for level, key in (("kid", "kid"), ("student", "student"), ("expert", "expert")):
            text = readable(narrate(trace, level, fmt, width=None), fmt)
            for kind in kinds:
                words = IMAGE_WORDS[kind]
                head = re.split(r"[{:]", words[key])[0]
                back = re.split(r"[{:]", words[f"{key}_back"])[0]
                assert head in text and back in text, (name, level, kind)


def test_html_is_escaped_and_markdown_keeps_the_crops() -> None:
    trace = traced("digits")
    page = narrate(trace, "student", "html", width=None)
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.DOTALL)
    text = re.sub(r"</?[a-z0-9]+(?: [a-z-]+=\"[^\"]*\")*>|<!DOCTYPE html>", "", body)
    assert "<" not in text and ">" not in text  # every < and > of the words is escaped
    assert "-&gt;" in page
    assert "dC/dK2 has K2&#x27;s shape" in page
    assert not re.search(r"<script|<link|https?://|src=", page)
    md = narrate(trace, "student", "md", width=None)
    assert "```text" in md and re.search(
        r"a2\[0, \d+:\d+, \d+:\d+, \d\]  \(a crop of 6x6x6x4\) =", md
    )


def test_channel_and_position_choose_the_spot() -> None:
    trace = traced("digits")
    text = narrate(trace, "student", channel=2, position=(4, 1), width=None)
    assert "z2[0, 4, 1, 2] = sum" in text and "a3[0, 2, 0, 2] = max(" in text
    expert = narrate(trace, "expert", example=3, channel=1, position=(0, 0), width=None)
    assert "Example 3, channel 1, position (y, x) = (0, 0)" in expert
    kid = narrate(trace, "kid", channel=1, position=(0, 0), width=None)
    assert "The 3x3 stamp slides over the picture; here it sits on the top-left corner" in kid
    with pytest.raises(ValueError, match=r"channel must be in \[0, 3\], the channels of layer 2"):
        narrate(trace, channel=4, width=None)
    with pytest.raises(ValueError, match=r"y in \[0, 5\] and x in \[0, 5\].*got \(6, 0\)"):
        narrate(trace, position=(6, 0), width=None)
    with pytest.raises(TypeError, match="pair of integers"):
        narrate(trace, position=(1.5, 2), width=None)
    flat = gn.Sequential([gn.Input((2,)), Dense(1)], seed=0)
    flat.compile("sgd", "mse")
    with pytest.raises(ValueError, match="no image layer"):
        narrate(flat.trace_step(np.ones((1, 2)), np.ones(1)), channel=0, width=None)


def saved_digits_cnn(folder: Path) -> Path:
    model, _, _ = digits_cnn()
    images, labels = gn.datasets.digits(images=True)
    model.fit(images[:64], labels[:64], epochs=1, batch_size=32, verbose=0)
    model.save(folder / "cnn.glassnet")
    return folder / "cnn.glassnet"


def test_cli_tells_one_conv_step_the_test_recomputes(tmp_path, capsys) -> None:
    path = saved_digits_cnn(tmp_path)
    args = ["explain", "--model", str(path), "--data", "digits-images", "--batch", "16"]
    assert main([*args, "--level", "student", "--channel", "1", "--position", "2,3"]) == 0
    out = capsys.readouterr().out
    model = gn.load_model(path)
    images, labels = gn.datasets.digits(images=True)
    trace = model.trace_step(images[:16].astype(float), labels[:16])
    assert out == narrate(trace, "student", channel=1, position=(2, 3))
    out = narrate(trace, "student", channel=1, position=(2, 3), width=None)  # one line a sum
    # z2[0, 2, 3, 1] from the weights, with plain loops
    kernel, bias = model.layers[1].kernel, model.layers[1].bias
    a1 = images[:16] / 16.0
    z = bias[1] + sum(
        a1[0, 2 + i, 3 + j, 0] * kernel[i, j, 0, 1] for i in range(3) for j in range(3)
    )
    printed = re.search(r"z2\[0, 2, 3, 1\] = sum.*\n.* = (\S+)\n", out)
    assert float(printed.group(1)) == pytest.approx(z, abs=5e-5)
    assert bind_assignments(out, trace) >= 8


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--channel", "4", "channel must be in [0, 3]"),
        ("--position", "6,0", "y in [0, 5] and x in [0, 5]"),
        ("--position", "1", "--position expects Y,X"),
        ("--position", "a,b", "--position expects Y,X"),
        ("--position=-1,2", None, "--position expects Y,X"),
    ],
)
def test_cli_focus_flags_are_checked(tmp_path, capsys, flag, value, message) -> None:
    path = saved_digits_cnn(tmp_path)
    args = ["explain", "--model", str(path), "--data", "digits-images", "--batch", "4"]
    assert main([*args, flag] + ([] if value is None else [value])) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet explain: error:") and message in err
    assert err.count("\n") == 1


def test_an_mnist_sized_cnn_stays_short_at_the_students_level() -> None:
    """28x28x1 -> Conv2D(8, 3) -> 26x26x8: no tensor printed whole, under 300 lines."""
    model = gn.Sequential(
        [
            gn.Input((28, 28, 1)),
            Rescaling(1 / 255),
            Conv2D(8, 3, activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, "softmax"),
        ],
        seed=0,
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(1).integers(0, 256, size=(16, 28, 28, 1)).astype(np.float32)
    trace = model.trace_step(x, np.arange(16) % 10)
    text = narrate(trace, "student", width=None)
    assert len(text.splitlines()) < 300
    longest = max(len(re.findall(r"\d\.\d", line)) for line in text.splitlines())
    assert longest < 60  # no line carries a whole image row of 26 or 28 numbers and more
    assert "(a crop of 16x26x26x8)" in text and "K2[:, :, 0, " in text


def test_the_readme_excerpt_is_what_its_example_prints() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Explain a step", 1)[1].split("\n## ", 1)[0]
    block = next(
        b for b in re.findall(r"```python\n(.*?)```", section, re.DOTALL) if "channel=" in b
    )
    namespace: dict = {}
    exec(compile(block.replace("print(", "str("), "README.md", "exec"), namespace)
    excerpt = next(t for t in re.findall(r"```text\n(.*?)```", section, re.DOTALL) if "z2[" in t)
    lines = namespace["text"].splitlines()
    assert all(line in lines for line in excerpt.splitlines())


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"channel": True}, TypeError, "channel to be an integer, got bool"),
        ({"channel": 2.0}, TypeError, "channel to be an integer, got float"),
        ({"channel": float("nan")}, TypeError, "got float"),
        ({"channel": "1"}, TypeError, "got str"),
        ({"channel": -1}, ValueError, r"channel must be in \[0, 3\]"),
        ({"channel": 10**30}, ValueError, r"channel must be in \[0, 3\].*got 1000000000000000000"),
        ({"position": (1, 2, 3)}, TypeError, "pair of integers"),
        ({"position": "1,2"}, TypeError, "pair of integers"),
        ({"position": (True, 0)}, TypeError, "pair of integers"),
        ({"position": (0, -1)}, ValueError, r"x in \[0, 5\].*got \(0, -1\)"),
        ({"position": (10**40, 0)}, ValueError, r"y in \[0, 5\]"),
    ],
)
def test_hostile_channels_and_positions_get_a_clear_error(options, error, message) -> None:
    trace = traced("digits")
    with pytest.raises(error, match=message):
        narrate(trace, "student", **options, width=None)


def test_numpy_integers_are_a_channel_and_a_position() -> None:
    trace = traced("digits")
    text = narrate(
        trace, "student", channel=np.int64(1), position=(np.int32(2), np.int64(3)), width=None
    )
    assert "z2[0, 2, 3, 1] = sum" in text


@pytest.mark.parametrize(
    "args",
    [
        ["--channel", "99999999999999999999999"],
        ["--position", "99999999999999999999999,1"],
        ["--position", "1,2,3"],
        ["--position", "<b>1</b>,2"],
        ["--position", ""],
    ],
)
def test_cli_hostile_focus_flags(tmp_path, capsys, args) -> None:
    path = saved_digits_cnn(tmp_path)
    base = ["explain", "--model", str(path), "--data", "digits-images", "--batch", "4"]
    assert main([*base, *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet explain: error:") and err.count("\n") == 1
    assert "[0, " in err or "--position expects Y,X" in err


def test_cli_focus_flags_on_a_network_without_images(capsys) -> None:
    assert main(["explain", "--channel", "0"]) == 2
    assert "no image layer" in capsys.readouterr().err


def test_cli_on_an_mnist_cnn_tells_a_conv_step_recomputed_here(tmp_path, capsys) -> None:
    """The issue's done-when, on a batch of the MNIST sample (--data mnist)."""
    model = gn.Sequential(
        [
            gn.Input((28, 28, 1)),
            Rescaling(1 / 255),
            Conv2D(8, 3, activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, "softmax"),
        ],
        seed=0,
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.save(tmp_path / "mnist_cnn.glassnet")
    args = ["explain", "--model", str(tmp_path / "mnist_cnn.glassnet"), "--data", "mnist"]
    assert main([*args, "--batch", "32", "--level", "student"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 400  # 300 before the lines were wrapped at 100 characters
    assert max(len(line) for line in out.splitlines()) <= 100
    out = re.sub(r"\n +(?=[=+*] )", " ", out)  # a wrapped sum back on one line
    (x_train, _), _ = gn.datasets.mnist()
    n, y, x, f = (
        int(v) for v in re.search(r"z2\[(\d+), (\d+), (\d+), (\d+)\] = sum", out).groups()
    )
    kernel, bias = model.layers[1].kernel.astype(float), model.layers[1].bias.astype(float)
    pixels = x_train[n].astype(float) / 255
    z = bias[f] + sum(pixels[y + i, x + j] * kernel[i, j, 0, f] for i in range(3) for j in range(3))
    printed = re.search(rf"z2\[{n}, {y}, {x}, {f}\] = sum.* = (\S+)\n", out)
    assert float(printed.group(1)) == pytest.approx(z, abs=5e-4)
    assert z > 0  # the chosen spot is one the filter reacts to, not a blank corner


def test_model_explain_takes_the_focus_too() -> None:
    model, x, y = digits_cnn()
    text = model.explain(x, y, level="student", channel=1, position=(2, 3))
    assert text == narrate(model.trace_step(x, y), "student", channel=1, position=(2, 3))
    assert "z2[0, 2, 3, 1] = sum" in text


# -- cousins: entries with no batch axis, the update rule of a kernel, an image's input size ----
def test_weights_and_statistics_are_never_cut_to_the_followed_row() -> None:
    """Before, dpenalty1/dW1, K2, dC/dK2, mu, var, gamma and beta were cut as if they had one
    row per example: the expert printed "dpenalty1/dW1[1]", one row of a gradient."""
    model = gn.Sequential(
        [
            gn.Input((3,)),
            Dense(4, "relu", kernel_regularizer=gn.regularizers.L2(0.01)),
            BatchNormalization(),
            Dense(1),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(5, 3))
    trace = model.trace_step(x, np.arange(5.0))
    expert = narrate(trace, "expert", example=1, width=None)
    printed = expert_values(expert, trace)
    for symbol in ("dpenalty1/dW1", "mu2", "var2", "gamma2", "beta2", "dC/dgamma2"):
        assert len(printed[symbol]) == trace[symbol].value.size, symbol
    assert "dpenalty1/dW1[1]" not in expert and "mu2[1]" not in expert


def test_a_cnns_update_rule_and_input_size_are_told() -> None:
    """Before: the update rule of a net whose first weights are a kernel K was empty, and the
    model line said "None inputs"."""
    expert = narrate(traced("digits"), "expert", width=None)
    assert "m_W = beta_1 * m_W + (1 - beta_1) * dC/dW" in expert
    assert expert.splitlines()[3].startswith("8x8x1 inputs -> Rescaling(0.0625, offset=0), ")
    assert "Conv2D(4, 3x3, relu), MaxPooling2D(2x2), Flatten" in expert


# -- model.explain(step=N) checks the focus before it trains --------------------------------------
@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"channel": 4},
            ValueError,
            "channel must be in [0, 3], the channels of layer 2's output (6x6x4); got 4.",
        ),
        (
            {"position": (6, 0)},
            ValueError,
            "position (y, x) must have y in [0, 5] and x in [0, 5], the rows and columns of "
            "layer 2's output (6x6x4); got (6, 0).",
        ),
        ({"position": (0, -1)}, ValueError, "x in [0, 5], the rows and columns of layer 2's"),
        ({"channel": float("nan")}, TypeError, "Expected channel to be an integer, got float."),
        ({"channel": "<b>1</b>"}, TypeError, "Expected channel to be an integer, got str."),
        ({"position": "1,2"}, TypeError, "pair of integers (y, x), got '1,2'."),
        ({"position": list(range(100_000))}, TypeError, "(y, x), got [0, 1, 2, 3"),
    ],
)
def test_explain_checks_channel_and_position_before_its_training_steps(options, error, message):
    """model.explain(step=N, channel=4) trained N steps and only then refused the channel (the
    model changed by a call that failed, and N steps of time lost): now nothing is trained."""
    model, x, y = digits_cnn()
    before = model.get_weights()
    with pytest.raises(error) as caught:
        model.explain(x, y, step=3, **options)
    assert message in str(caught.value) and len(str(caught.value)) < 300
    assert model.optimizer.iterations == 0
    for got, expected in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_explain_refuses_a_focus_on_a_flat_network_before_training() -> None:
    model = gn.Sequential([gn.Input((4,)), Dense(2)], seed=0)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"^channel and position pick a spot of an image network"):
        model.explain(np.ones((3, 4)), np.zeros((3, 2)), step=5, channel=0)
    assert model.optimizer.iterations == 0


def test_explain_checks_the_focus_of_a_model_built_by_its_own_call() -> None:
    """No Input: the model is built for x by explain's own checks, then the focus is checked."""
    model = gn.Sequential([Conv2D(2, 3), Flatten(), Dense(1)], seed=0)
    model.compile("sgd", "mse")
    with pytest.raises(
        ValueError, match=r"y in \[0, 2\] and x in \[0, 2\].*\(3x3x2\); got \(3, 0\)"
    ):
        model.explain(np.ones((3, 5, 5, 1)), np.zeros((3, 1)), step=3, position=(3, 0))
    assert model.optimizer.iterations == 0


def test_a_good_focus_still_trains_then_tells_the_step() -> None:
    model, x, y = digits_cnn()
    text = model.explain(x, y, level="student", step=2, channel=3, position=(5, 5), width=None)
    assert model.optimizer.iterations == 2
    assert "z2[0, 5, 5, 3] = sum" in text


def test_cli_checks_the_focus_before_its_training_steps(tmp_path, capsys, monkeypatch) -> None:
    path = saved_digits_cnn(tmp_path)
    monkeypatch.setattr(gn.Sequential, "train_on_batch", lambda *a, **k: pytest.fail("trained"))
    args = ["explain", "--model", str(path), "--data", "digits-images", "--step", "1000"]
    assert main([*args, "--channel", "9"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "glassnet explain: error: channel must be in [0, 3], the channels of layer 2's output "
        "(6x6x4); got 9.\n"
    )
    assert main(["explain", "--step", "1000", "--position", "1,1"]) == 2  # the seed: no images
    assert "no image layer" in capsys.readouterr().err
