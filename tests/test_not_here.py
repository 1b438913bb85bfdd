"""The README's "What glassnet leaves out" table and the errors themselves say the same words."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn

README = Path(__file__).resolve().parents[1] / "README.md"


def _model():
    model = gn.Sequential([gn.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


X, Y = np.zeros((4, 2)), np.zeros((4, 1))

#: the README's "you write" cell -> what it runs (a table of code, never evaluated from text)
TRIGGERS = {
    "glassnet.Model": lambda: gn.Model,
    "glassnet.callbacks.TensorBoard": lambda: gn.callbacks.TensorBoard,
    "glassnet.mixed_precision": lambda: gn.mixed_precision,
    "glassnet.ops": lambda: gn.ops,
    "glassnet.distribution": lambda: gn.distribution,
    "glassnet.layers.Conv1D": lambda: gn.layers.Conv1D,
    "glassnet.layers.LSTM": lambda: gn.layers.LSTM,
    "model.fit(generator)": lambda: _model().fit((b for b in [(X, Y)]), epochs=2, verbose=0),
    "model.compile(..., weighted_metrics=[...])": lambda: _model().compile(
        "sgd", "mse", weighted_metrics=["mae"]
    ),
}


def _table_rows():
    text = README.read_text(encoding="utf-8")
    section = text.split("### What glassnet leaves out", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| `(.+?)` \| (\w+Error): (.+) \|$", section, re.MULTILINE)
    return {code: (error, message) for _, code, error, message in rows}


def test_the_table_lists_every_trigger():
    assert sorted(_table_rows()) == sorted(TRIGGERS)


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_each_row_is_the_error_a_user_gets(code):
    error, message = _table_rows()[code]
    with pytest.raises(BaseException) as caught:
        TRIGGERS[code]()
    assert type(caught.value).__name__ == error
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("module", "name"),
    [(gn.layers, "Conv3D"), (gn.layers, "GRU"), (gn.layers, "Embedding"), (gn.models, "Model")],
)
def test_the_cousins_say_why_too(module, name):
    with pytest.raises(AttributeError, match=r"^glassnet has no "):
        getattr(module, name)


def test_other_missing_names_keep_pythons_message():
    with pytest.raises(AttributeError, match=r"^module 'glassnet.layers' has no attribute 'Dnse'$"):
        gn.layers.Dnse  # noqa: B018
    with pytest.raises(AttributeError, match=r"^module 'glassnet' has no attribute 'Sequentail'$"):
        gn.Sequentail  # noqa: B018


def test_fit_names_an_unknown_keyword_and_a_missing_y():
    model = _model()
    with pytest.raises(TypeError) as caught:
        model.fit(X, Y, steps_per_epoch=3)
    assert str(caught.value) == (
        "Sequential.fit() got an unexpected keyword argument 'steps_per_epoch'; it takes x, y, "
        "epochs, batch_size, shuffle, validation_data, validation_split, callbacks, verbose, "
        "trace_every, initial_epoch, validation_freq, sample_weight, class_weight."
    )
    with pytest.raises(TypeError, match=r"^fit needs the targets too: call fit\(x, y\)"):
        model.fit(X)
    with pytest.raises(TypeError, match=r"^glassnet's fit takes x and y as arrays"):
        model.fit(iter([X]), Y)
    assert model.optimizer.iterations == 0


def test_an_empty_weighted_metrics_asks_for_nothing_and_changes_nothing():
    model = _model()
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=[])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=None)
    assert model.metric_names == ["mae"]
    optimizer = model.optimizer
    with pytest.raises(TypeError, match=r"^glassnet's compile has no weighted_metrics"):
        model.compile("adam", "mae", weighted_metrics="mae")
    assert model.optimizer is optimizer and model.loss.name == "mean_squared_error"
