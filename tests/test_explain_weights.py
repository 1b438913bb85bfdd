"""A step taken with sample_weight: the trace keeps w and each loss_i, the narration shows them."""

from __future__ import annotations

import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain import narrate

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])
W = np.array([1.0, 2.0, 0.0, 0.5])


def _model(loss="binary_crossentropy") -> gn.Sequential:
    model = gn.Sequential(
        [gn.Input(shape=(2,)), gn.layers.Dense(2, "tanh"), gn.layers.Dense(1, "sigmoid")],
        dtype="float64",
        seed=0,
    )
    model.compile(gn.SGD(0.5), loss)
    return model


def _weighted_sum(text: str, name: str) -> tuple[list[tuple[float, float]], str, float]:
    """The pairs (w_i, loss_i), the divisor (or "") and the value of the student's line
    ``name = sum(w * loss_i) [/ n] = (w0 * l0 + ...) [/ n] = C``."""
    line = re.search(
        rf"^\s*{name} = sum\(w \* loss_i\)(?: / n)? = \((.+)\)(?: / (\d+))? = (\S+)$",
        text,
        re.MULTILINE,
    )
    assert line is not None, text
    pairs = [tuple(map(float, term.split(" * "))) for term in line.group(1).split(" + ")]
    return pairs, line.group(2) or "", float(line.group(3))


def test_the_student_writes_the_weighted_mean_with_the_batchs_numbers() -> None:
    model = _model()
    expected = model.evaluate(X, Y, sample_weight=W)  # sum_i w_i loss_i / 4, before
    text = model.explain(X, Y, level="student", sample_weight=W, width=None)
    pairs, divisor, value = _weighted_sum(text, "binary_crossentropy")
    assert [w for w, _ in pairs] == W.tolist()
    assert divisor == "4"
    losses = [loss for _, loss in pairs]
    per_example = gn.BinaryCrossEntropy(reduction="none")(Y, model.predict(X))
    np.testing.assert_allclose(losses, per_example, atol=5e-5)  # printed to 4 decimals
    assert sum(w * loss for w, loss in pairs) / 4 == pytest.approx(value, abs=2e-4)
    assert value == pytest.approx(expected, abs=5e-5)
    assert f"    C = {value:.4f}" in text  # the cost the rest of the narration uses
    assert "divides by the batch size n = 4 (not by the weights' sum, as Keras 3)" in text
    # the fused delta's rows carry the weights: row 2 (weight 0) is 0
    assert "delta2 = w * (a2 - y) / n  (fused binary_crossentropy)" in text
    # the model is left as it was
    assert model.evaluate(X, Y, sample_weight=W) == expected


def test_a_summing_loss_writes_the_sum_without_dividing() -> None:
    model = _model(gn.MeanSquaredError(reduction="sum"))
    text = model.explain(X, Y, level="student", sample_weight=W, width=None)
    pairs, divisor, value = _weighted_sum(text, "mean_squared_error")
    assert divisor == ""
    assert sum(w * loss for w, loss in pairs) == pytest.approx(value, abs=2e-4)
    assert value == pytest.approx(model.evaluate(X, Y, sample_weight=W), abs=5e-5)
    assert "divides by the batch size" not in text


def test_the_kid_and_the_expert_say_it_too_and_an_unweighted_step_says_nothing() -> None:
    model = _model()
    kid = model.explain(X, Y, level="kid", sample_weight=W, width=None)
    assert "each miss is multiplied by the example's weight (here from 0 to 2)" in kid
    expert = model.explain(X, Y, level="expert", sample_weight=W, width=None)
    assert (
        "weighted step: binary_crossentropy = sum(w * loss_i) / n with w from 0.0000 to 2.0000"
        in expert
    )
    for level in ("kid", "student", "expert"):
        plain = model.explain(X, Y, level=level, width=None)
        for words in ("weighs its examples", "sum(w * loss_i)", "example's weight", "weighted"):
            assert words not in plain, (level, words)


def test_fit_traces_keep_each_batchs_weights() -> None:
    model = _model()
    w = np.array([1.0, 2.0, 3.0, 4.0])
    model.fit(
        X, Y, sample_weight=w, batch_size=2, epochs=1, shuffle=False, trace_every=1, verbose=0
    )
    assert [t["w"].value.tolist() for t in model.traces] == [[1.0, 2.0], [3.0, 4.0]]
    text = narrate(model.traces[1], "student")
    pairs, divisor, _ = _weighted_sum(text, "binary_crossentropy")
    assert [w for w, _ in pairs] == [3.0, 4.0] and divisor == "2"
