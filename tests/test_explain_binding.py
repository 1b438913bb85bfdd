"""Each number a narration prints is the value of the quantity and index it names.

``test_every_printed_number_is_the_engines`` (tests/test_explain.py) checks that every number
printed is *some* value of the step; a number printed in the wrong place (a2[1,0]'s value after
``a2[0,0] =``) passes it. Here each number is bound to what the sentence says it is, by parsing the
narration's own symbols:

- ``a2[0,0] = sigmoid(1.1391) = 0.7575``: the last number is trace["a2"][0, 0] (any number of
  indices, with or without spaces: ``z1[0, 3, 4, 2]``); a 0-d symbol (``C = ... = 0.6559``) too;
- ``delta2[0,0] = dC/da2[0,0] * da2/dz2[0,0] = 0.7575 * 0.1837 = 0.1391``: an expression of
  indexed symbols followed by one of as many numbers binds each number to its symbol;
- ``sum over r of a1[r,3] * delta2[r,0] = 0.6649 * 0.1391 + ...``: r runs over the batch;
- ``dC/dW2[3,0], example 0's share = ... = 0.0925``: a{l-1}[0,3] * delta{l}[0,0];
- a printed matrix ``a1 = sigmoid(z1)  (4x4) =`` followed by its rows: trace["a1"], entry by
  entry, in order.

Symbols that are not in the trace (words, or quantities a narrator adds later) are left to the
looser check; each narration must bind a minimum of its numbers here, so the check cannot pass by
binding nothing.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from glassnet.explain import narrate
from glassnet.seed import XOR_X, XOR_Y, seed_network
from glassnet.trace import Trace
from test_explain import NUMBER, networks, readable, tolerance

INDEX = r"\[(?P<index>[\dr]+(?:,\s*[\dr]+)*)\]"
#: an indexed symbol: a trace symbol (letters, digits, _, /, ') followed by [i,j,...]
REF = re.compile(r"(?P<symbol>[A-Za-z][\w/']*)" + INDEX)
#: a matrix block's first line: "head  (4x3) =" (head is "symbol" or "symbol = equation")
BLOCK = re.compile(r"^\s*(?P<head>.+?)\s{2}\((?P<shape>\d+(?:x\d+)*)\) =\s*$")
SHARE = re.compile(r"^dC/dW(?P<layer>\d+)" + INDEX + r", example (?P<row>\d+)'s share$")
OPERATOR = re.compile(r"^[\s*+\-/()]*$")
#: a printed row of a matrix or of an expert's quantity: "[[0.1  0.2]", "[3]  0.1  0.2", "..."
ROW = re.compile(r"\s*(?:\[\d+\])?[-\d.e+\[\]\s]*(?:\.\.\.)?\s*")


class Binder:
    """Checks printed numbers against the trace entries they name; counts what it bound."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.bound = 0

    def value(self, symbol: str, index: tuple[int, ...] | None) -> float | None:
        entry = self.trace.get(symbol)
        if entry is None:
            return None
        value = np.asarray(entry.value, dtype=float)
        if index is None:
            return float(value) if value.ndim == 0 else None
        if len(index) != value.ndim or any(i >= n for i, n in zip(index, value.shape, strict=True)):
            raise AssertionError(f"{symbol}{list(index)} is outside {symbol}'s shape {value.shape}")
        return float(value[index])

    def check(self, token: str, expected: float | None, what: str) -> None:
        if expected is None:
            return
        printed = float(token)
        tol = tolerance(token) if "." in token else 0.0  # the kid's whole numbers are exact
        assert abs(printed - expected) <= tol, (
            f"{what} is printed as {token}, but the step's value is {expected!r}"
        )
        self.bound += 1

    def statement(self, text: str) -> None:
        """One statement 'lhs = part = part = ... = number'."""
        parts = [part.strip() for part in text.split(" = ")]
        if len(parts) < 2:
            return
        lhs, last = parts[0], parts[-1]
        final = re.fullmatch(r"\(?(" + NUMBER.pattern + r")\)?", last)
        if final:
            token = final.group(1)
            whole = REF.fullmatch(lhs)
            share = SHARE.match(lhs)
            if whole:
                self.check(token, self.value(whole["symbol"], indices(whole["index"])), lhs)
            elif share:
                self.check(token, self.share(share), lhs)
            elif self.trace.get(lhs) is not None:
                self.check(token, self.value(lhs, None), lhs)
        for symbolic, numeric in itertools.pairwise(parts):
            self.operands(symbolic, numeric)

    def operands(self, symbolic: str, numeric: str) -> None:
        """Bind 'A[i,j] * B[k,l]' to '0.75 * 0.18' pairwise (and 'sum over r of' over r)."""
        over_r = symbolic.startswith("sum over r of ")
        symbolic = symbolic.removeprefix("sum over r of ")
        refs = list(REF.finditer(symbolic))
        if not refs or not OPERATOR.match(REF.sub("", symbolic)):
            return
        if len(refs) == 1 and not over_r:
            return  # "z1[0,0] = 0.0000 * 0.4170 + ...": the expansion of one symbol
        numbers = NUMBER.findall(numeric)
        if not numbers or not OPERATOR.match(NUMBER.sub("", numeric)):
            return
        summed = [ref for ref in refs if over_r and "r" in ref["index"]]  # a1[r,3] * delta2[r,0]
        fixed = [ref for ref in refs if ref not in summed]  # "+ dpenalty2/dW2[3,0]" after the sum
        names = []
        for r in range((len(numbers) - len(fixed)) // len(summed)) if summed else []:
            for ref in summed:
                names.append((ref["symbol"], indices(ref["index"].replace("r", str(r)))))
        names += [(ref["symbol"], indices(ref["index"])) for ref in fixed]
        assert len(names) == len(numbers), (symbolic, numeric)
        for (symbol, index), token in zip(names, numbers, strict=True):
            self.check(token, self.value(symbol, index), f"{symbol}{list(index)}")

    def share(self, match: re.Match[str]) -> float | None:
        layer, (i, j), row = int(match["layer"]), indices(match["index"]), int(match["row"])
        a_prev, delta = self.trace.get(f"a{layer - 1}"), self.trace.get(f"delta{layer}")
        if a_prev is None or delta is None:
            return None
        return float(a_prev.value[row, i] * delta.value[row, j])

    def block(self, head: str, shape: str, body: list[str]) -> None:
        name = head.split(" = ")[0].split(": ")[0].strip()
        row = re.search(r"\[(\d+)\]$", name)  # "a1[1] = sigmoid(z1)": example 1's row only
        row = row or re.search(r"\[(\d+)\]$", head)  # "a1 = sigmoid(z1)[1]" (the student's)
        symbol = re.sub(r"\[\d+\]$", "", name)
        entry = self.trace.get(symbol)
        if entry is None:
            return
        more = body and body[-1].strip() == "..."  # the expert's first MAX_VALUES values
        self.entries(symbol, row, shape, NUMBER.findall(" ".join(body)), more)

    def table_row(self, line: str) -> None:
        """An expert table's row: symbol | equation | shape | values (rows split by ';')."""
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split(" | ")]
        if len(cells) != 4 or not re.fullmatch(r"\d+(?:x\d+)*", cells[2]):
            return
        row = re.search(r"\[(\d+)\]$", cells[0])  # "a1[2]": example 2's row
        symbol = re.sub(r"\[\d+\]$", "", cells[0])
        if self.trace.get(symbol) is not None:
            self.entries(symbol, row, cells[2], NUMBER.findall(cells[3]))

    def entries(
        self, symbol: str, row: re.Match[str] | None, shape: str, tokens, more: bool = False
    ) -> None:
        entry = self.trace[symbol]
        value = np.asarray(entry.value, dtype=float)
        value = np.ravel(value if row is None else value[int(row.group(1))])
        if entry.value.ndim == 0:
            shape = ""  # a scalar's table row says 1
        assert shape == "x".join(map(str, entry.shape)) or entry.value.ndim != 2, (symbol, shape)
        if entry.value.ndim > 2 and len(tokens) != value.size:
            return  # an image tensor printed in slices: the statements above still bind
        if more:  # the first values in row-major order, then "..."
            assert len(tokens) < value.size, symbol
            value = value[: len(tokens)]
        assert len(tokens) == value.size, f"{symbol}: {len(tokens)} numbers for {value.size}"
        for k, (token, expected) in enumerate(zip(tokens, value, strict=True)):
            self.check(token, float(expected), f"{symbol} entry {k}")

    def narration(self, text: str) -> None:
        lines = text.splitlines()
        logical: list[str] = []
        k = 0
        while k < len(lines):
            line = lines[k]
            start = BLOCK.match(line)
            if (
                start
                and lines[k + 1 : k + 2]
                and ROW.fullmatch(lines[k + 1])
                and lines[k + 1].strip()
            ):
                body = []  # its rows: numbers, brackets, row labels [i], a last "..."
                while k + 1 < len(lines) and ROW.fullmatch(lines[k + 1]) and lines[k + 1].strip():
                    k += 1
                    body.append(lines[k])
                self.block(start["head"], start["shape"], body)
            elif line.strip().startswith("= ") and logical:
                logical[-1] += " " + line.strip()  # "    = 0.75 * 0.18 = 0.14" continues
            else:
                logical.append(line)
            k += 1
        for line in logical:
            self.table_row(line)
            for piece in re.split(r";\s+|: ", line):
                self.statement(piece.strip().strip("`"))


KID = r"-?\d+(?:\.\d+)?"  # a kid's number: 0.126, or a whole 0
#: "Layer 2, knob 4: blame 0.139, the biggest of its 4 knobs (...); the other 3 blames are
#: between 0.120 and 0.136." (or "are 0.120." when the others print alike)
BLAME = re.compile(
    rf"^Layer (?P<layer>\d+), knob (?P<knob>\d+): blame (?P<blame>{KID}), the biggest of its "
    rf"(?P<count>\d+) knobs?(?: \([^)]*\))?(?:; the other (?P<others>\d+) blames? (?:are|is) "
    rf"(?:between (?P<low>{KID}) and (?P<high>{KID})|(?P<same>{KID})))?\.$"
)
#: "Layer 2, knob 4: 0.670 -> 0.532 (down by 0.139), the biggest turn of its 4 knobs; the
#: other 3 knobs turned by between 0.120 and 0.136."
TURN = re.compile(
    rf"^Layer (?P<layer>\d+), knob (?P<knob>\d+): (?P<old>{KID}) -> (?P<new>{KID}) "
    rf"\((?P<way>up|down) by (?P<by>{KID})\), the biggest turn of its (?P<count>\d+) knobs?"
    rf"(?:; the other (?P<others>\d+) knobs? turned by (?:between (?P<low>{KID}) and "
    rf"(?P<high>{KID})|(?P<same>{KID})))?\.$"
)
SHARE_OF = re.compile(
    r"Example (?P<row>\d+): the biggest share, (?P<top>\S+), went to class (?P<top_class>\d+); "
    r"the answer was class (?P<right>\d+), which got (?P<got>[^:]+):"
)
GUESSED = re.compile(r"Example (?P<row>\d+): the network guessed (?P<guess>-?\d\.\d+) but")


class KidBinder(Binder):
    """The kid's sentences: 'Layer 2, knob 1: blame 0.126' (dC/dW2, knob k = the k-th entry of
    the layer's weights then biases), 'Layer 2, knob 1: 0.204 -> 0.078 (down by 0.126)', the
    cost C, and each example's guess (the output, or p for a from_logits loss)."""

    def __init__(self, trace: Trace) -> None:
        super().__init__(trace)
        self.told: list[tuple[str, int]] = []  # ("blame" or "by", layer) for each knob line

    def flat(self, layer: int, kind: str) -> np.ndarray:
        names = {
            "grad": ("dC/dW", "dC/dK", "dC/db"),
            "old": ("W", "K", "b"),
            "new": ("W", "K", "b"),
        }[kind]
        suffix = "_new" if kind == "new" else ""
        parts = [self.trace.get(f"{name}{layer}{suffix}") for name in names]
        return np.concatenate([np.ravel(p.value) for p in parts if p is not None])

    def guesses(self) -> np.ndarray:
        outputs = [e.symbol for e in self.trace.entries if re.fullmatch(r"a\d+", e.symbol)]
        p = self.trace.get("p")
        return np.asarray((p or self.trace[outputs[-1]]).value, dtype=float)

    def knobs(self, match: re.Match[str], values: np.ndarray, key: str) -> None:
        """The biggest knob (in size) is the one named; the others' range is theirs."""
        k, line = int(match["knob"]) - 1, match.string
        self.told.append((key, int(match["layer"])))
        assert int(match["count"]) == values.size, line
        assert np.argmax(np.abs(values)) == k, f"knob {k + 1} is not the biggest: {line}"
        self.check(match[key], values[k], line)
        if match["others"] is None:
            assert values.size == 1, line
            return
        rest = np.delete(np.abs(values) if key == "by" else values, k)
        assert int(match["others"]) == rest.size, line
        self.check(match["low"] or match["same"], rest.min(), line)
        self.check(match["high"] or match["same"], rest.max(), line)

    def narration(self, text: str) -> None:
        for line in text.splitlines():
            line = line.strip().removeprefix("- ")
            if blame := BLAME.match(line):
                self.knobs(blame, self.flat(int(blame["layer"]), "grad"), "blame")
            if turn := TURN.match(line):
                layer = int(turn["layer"])
                old, new = self.flat(layer, "old"), self.flat(layer, "new")
                self.knobs(turn, np.abs(new - old), "by")
                k = int(turn["knob"]) - 1
                self.check(turn["old"], old[k], line)
                self.check(turn["new"], new[k], line)
                assert turn["way"] == ("up" if new[k] > old[k] else "down"), line
            cost = re.search(r"the cost C = (" + NUMBER.pattern + ")", line)
            if cost and self.trace.get("C") is not None:
                self.check(cost.group(1), float(self.trace["C"].value), line)
            share = SHARE_OF.match(line)
            if share:
                row = self.guesses()[int(share["row"])]
                assert int(share["top_class"]) == int(np.argmax(row)), line
                self.check(share["top"], row.max(), line)
                self.check(share["got"], row[int(share["right"])], line)
            guessed = GUESSED.match(line)
            if guessed:
                self.check(guessed["guess"], self.guesses()[int(guessed["row"])].item(), line)


def as_text(narration: str, fmt: str) -> str:
    """The narration as lines; an HTML matrix (a label, then a table) as the text format's rows."""
    if fmt != "html":
        return narration

    def rows(match: re.Match[str]) -> str:
        cells = [
            re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", match[2])
        ]
        body = "\n".join("  [" + "  ".join(row) + "]" for row in cells)
        return f"\n{match[1]}\n  [{body.lstrip()}]\n"

    def table_row(match: re.Match[str]) -> str:  # an expert table's row as "a | b | c | d"
        return "\n" + " | ".join(re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", match[1])) + "\n"

    label = r'<div class="label">(.*?)</div>\s*<table class="m">(.*?)</table>'
    text = re.sub(label, rows, narration, flags=re.DOTALL)
    return readable(re.sub(r"<tr>(.*?)</tr>", table_row, text, flags=re.DOTALL), fmt)


def indices(text: str) -> tuple[int, ...]:
    return tuple(int(i) for i in text.split(","))


def trace_of(name: str) -> Trace:
    if name == "seed":
        return seed_network().trace_step(XOR_X, XOR_Y)
    model, x, y = networks()[name]
    model.train_on_batch(x, y)  # a second step: the optimizer state is not all zero
    return model.trace_step(x, y)


@pytest.mark.parametrize("name", ["seed", *networks()])
@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_every_named_number_is_the_value_it_names(name: str, fmt: str) -> None:
    trace = trace_of(name)
    for level in ("student", "expert"):
        for example in (None, 1):
            binder = Binder(trace)
            binder.narration(as_text(narrate(trace, level, fmt, example=example, width=None), fmt))
            assert binder.bound >= 60, (level, binder.bound)  # the smallest: 70


@pytest.mark.parametrize("name", ["seed", *networks()])
def test_the_kid_s_knobs_costs_and_guesses_are_the_values_they_name(name: str) -> None:
    trace = trace_of(name)
    binder = KidBinder(trace)
    binder.narration(narrate(trace, "kid", "text", width=None))
    assert binder.bound >= 12, binder.bound  # the smallest, bce_fused: 14


def test_a_kid_s_knob_with_the_wrong_blame_is_caught() -> None:
    text = narrate(trace_of("seed"), "kid", "text", width=None)
    right = "Layer 2, knob 4: blame 0.139, the biggest of its 4 knobs"
    assert right in text
    wrong = text.replace(right, right.replace("0.139", "0.136"))
    with pytest.raises(AssertionError, match="printed as"):
        KidBinder(trace_of("seed")).narration(wrong)
    # the others' range and a turn's new value are bound too
    for right, bad in (
        ("blames are between 0.120 and 0.136", "blames are between 0.120 and 0.135"),
        ("0.670 -> 0.532 (down by 0.139)", "0.670 -> 0.531 (down by 0.139)"),
        ("Layer 1, knob 10: blame 0.033", "Layer 1, knob 9: blame 0.033"),
    ):
        assert right in text
        with pytest.raises(AssertionError, match=r"printed as|not the biggest"):
            KidBinder(trace_of("seed")).narration(text.replace(right, bad))


def test_the_seed_student_narration_binds_its_numbers() -> None:
    binder = Binder(trace_of("seed"))
    binder.narration(narrate(trace_of("seed"), "student", "text", width=None))
    assert binder.bound >= 200  # every matrix entry, every worked product


def seed_student() -> str:
    return narrate(trace_of("seed"), "student", "text", width=None)


@pytest.mark.parametrize(
    ("right", "wrong"),
    [
        # a value of the step printed in the wrong place: a2[1,0]'s value after a2[0,0] =
        ("a2[0,0] = sigmoid(1.1391) = 0.7575", "a2[0,0] = sigmoid(1.1391) = 0.7711"),
        # an operand swapped with another of the step's numbers
        ("= 0.7575 * 0.1837 = 0.1391", "= 0.1837 * 0.7575 = 0.1391"),
        # one row of a matrix printed twice
        ("       [0.7711]\n       [0.7909]", "       [0.7711]\n       [0.7711]"),
        # the share of the wrong example
        ("= 0.7575 * 0.1837 * 0.6649 = 0.0925", "= 0.7575 * 0.1837 * 0.6649 = 0.0068"),
    ],
)
def test_a_number_in_the_wrong_place_is_caught(right: str, wrong: str) -> None:
    text = seed_student()
    assert right in text
    with pytest.raises(AssertionError, match=r"printed as|step's value"):
        Binder(trace_of("seed")).narration(text.replace(right, wrong, 1))


@pytest.mark.parametrize("name", ["seed", "2-8-8-1", "deep", "784-32-10", "cnn"])
def test_the_kid_tells_every_layer_s_blame_and_turn(name: str) -> None:
    """Before, the kid heard the last layer's knobs only: 'Layer 2, knob 1: blame 0.126'."""
    from test_explain_layout import traced

    trace = traced(name)
    text = narrate(trace, "kid", "text", width=None)
    binder = KidBinder(trace)
    binder.narration(text)
    layers = range(1, len(trace.info["layers"]) + 1)
    weighted = [i for i in layers if f"W{i}" in trace or f"K{i}" in trace]
    assert len(weighted) == {"seed": 2, "2-8-8-1": 3, "deep": 5, "784-32-10": 2, "cnn": 2}[name]
    last_first = list(reversed(weighted))
    assert binder.told == [("blame", i) for i in last_first] + [("by", i) for i in last_first]
    assert binder.bound >= 6 * len(weighted)  # blame, its range, old, new, turn, its range
    # and in the wrapped text the reader sees, each layer's line is there once
    wrapped = " ".join(narrate(trace, "kid").split())
    for i in weighted:
        assert wrapped.count(f"Layer {i}, knob ") == 2
