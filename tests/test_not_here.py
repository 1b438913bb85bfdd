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
        "batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle, "
        "class_weight, sample_weight, initial_epoch, validation_steps, validation_batch_size, "
        "validation_freq, trace_every."
    )
    with pytest.raises(TypeError, match=r"^fit needs the targets too: call fit\(x, y\)"):
        model.fit(X)
    with pytest.raises(TypeError, match=r"^glassnet's fit takes x and y as arrays"):
        model.fit(iter([X]), Y)
    assert model.optimizer.iterations == 0


def test_weighted_metrics_is_built_so_not_in_the_left_out_table():
    """compile(weighted_metrics=[...]) was refused here; it is Keras's now
    (tests/test_weighted_metrics.py). An empty one still asks for nothing, and a bare string is
    refused as metrics= refuses one, before anything changes."""
    model = _model()
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=[])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=None)
    assert model.metric_names == ["mae"] and list(model.weighted_metrics) == []
    optimizer = model.optimizer
    with pytest.raises(TypeError) as caught:
        model.compile("adam", "mae", weighted_metrics="mae")
    assert str(caught.value) == (
        "Expected weighted_metrics to be a list of names, e.g. weighted_metrics=['accuracy'], "
        "got str 'mae'. Wrap it in a list: weighted_metrics=['mae']."
    )
    assert model.optimizer is optimizer and model.loss.name == "mean_squared_error"
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae"])
    logs = model.evaluate(X, Y, return_dict=True)
    assert list(logs) == ["loss", "mae", "weighted_mae"]
    table = README.read_text(encoding="utf-8").split("### What glassnet leaves out", 1)[1]
    assert "weighted_metrics" not in table.split(NEXT_SECTION, 1)[0]


NEXT_SECTION = chr(10) + "## "


# -- from glassnet.layers import RandomFlip -----------------------------------------------------
# Before: Python turned the module __getattr__'s AttributeError into its bare ImportError
# "cannot import name 'RandomFlip' from 'glassnet.layers' (.../__init__.py)", losing the reason.
@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("from glassnet.layers import RandomFlip", "glassnet has no keras.layers.RandomFlip: "),
        ("from glassnet.layers import Dense, Conv1D", "glassnet has no Conv1D layer: "),
        ("from glassnet import Model", "glassnet has no Model class: "),
        ("from glassnet.models import Model", "glassnet has no Model class: "),
        ("from glassnet.callbacks import TensorBoard", "glassnet has no TensorBoard callback: "),
        ("from glassnet.losses import Poisson", "glassnet has no keras.losses.Poisson: "),
        ("from glassnet.metrics import F1Score", "glassnet has no keras.metrics.F1Score: "),
        ("from glassnet.optimizers import Nadam", "glassnet has no keras.optimizers.Nadam: "),
        ("from glassnet.activations import celu", "glassnet has no keras.activations.celu: "),
        ("from glassnet.utils import plot_model", "glassnet has no keras.utils.plot_model: "),
        ("from glassnet.initializers import STFT", "glassnet has no keras.initializers.STFT: "),
        (
            "from glassnet.optimizers.schedules import PolynomialDecay",
            "glassnet has no keras.optimizers.schedules.PolynomialDecay: ",
        ),
    ],
)
def test_from_import_of_a_name_glassnet_leaves_out_says_why(statement, message):
    with pytest.raises(ImportError) as caught:
        exec(statement, {})
    assert str(caught.value).startswith(message)
    assert not str(caught.value).startswith("cannot import name")


def test_from_import_says_exactly_what_the_attribute_says():
    with pytest.raises(ImportError) as imported:
        exec("from glassnet.layers import RandomFlip", {})
    with pytest.raises(AttributeError) as looked_up:
        gn.layers.RandomFlip  # noqa: B018
    assert str(imported.value) == str(looked_up.value)
    assert str(imported.value).endswith(
        "the model itself carries only Rescaling and Normalization."
    )


def test_from_import_of_an_unknown_name_suggests_the_close_one():
    with pytest.raises(ImportError) as caught:
        exec("from glassnet.layers import Dnse", {})
    assert str(caught.value) == (
        "cannot import name 'Dnse' from 'glassnet.layers'. Did you mean: 'Dense'?"
    )
    with pytest.raises(ImportError) as caught:
        exec("from glassnet import Qwertyuiop", {})
    assert str(caught.value) == "cannot import name 'Qwertyuiop' from 'glassnet'"


def test_hasattr_and_getattr_with_a_default_still_answer_plainly():
    assert not hasattr(gn.layers, "RandomFlip") and not hasattr(gn, "Model")
    assert getattr(gn.layers, "Conv1D", None) is None
    assert not hasattr(gn.layers, "<b>x</b>") and not hasattr(gn.layers, "__wrapped__")
    with pytest.raises(AttributeError) as caught:
        gn.layers.Dnse  # noqa: B018
    # Python fills in the name and module, so its traceback adds "Did you mean: 'Dense'?"
    assert caught.value.name == "Dnse" and caught.value.obj is gn.layers
    from glassnet.layers import Dense, MaxPool2D  # the names glassnet has still import

    assert MaxPool2D is gn.layers.MaxPooling2D and Dense is gn.layers.Dense
