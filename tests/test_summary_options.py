"""summary()'s Keras 3 arguments: line_length, positions, print_fn, expand_nested,
show_trainable, layer_range (glassnet/_summary_options.py).

Before, summary took only print_fn, and summary(line_length=80) was Python's bare "unexpected
keyword argument". The "Trainable" column and the layers a layer_range shows are compared with
Keras 3.15.1's own summary (KERAS_BACKEND=torch) of the same model, at test time.
"""

from __future__ import annotations

import os
import time
from unittest import mock

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn

NAMES = ("dense", "dropout", "dense_1", "dense_2", "out")


@pytest.fixture(autouse=True)
def fresh_keras_names() -> None:
    keras.utils.clear_session()


def build(lib):
    """The same 5-layer model in either library, its second Dense frozen."""
    layers = [
        lib.layers.Dense(4, name="dense"),
        lib.layers.Dropout(0.1, name="dropout"),
        lib.layers.Dense(3, name="dense_1"),
        lib.layers.Dense(3, name="dense_2"),
        lib.layers.Dense(1, name="out"),
    ]
    layers[2].trainable = False
    return lib.Sequential([(gn.Input if lib is gn else keras.Input)((5,)), *layers])


def keras_table(model, **options) -> list[list[str]]:
    lines: list[str] = []
    with mock.patch.dict(os.environ, {"COLUMNS": "250"}):
        model.summary(
            line_length=200, print_fn=lambda text, line_break=False: lines.append(text), **options
        )
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in "\n".join(lines).splitlines()
        if line.startswith("│")
    ]
    return rows


def glassnet_table(model, **options) -> list[list[str]]:
    lines: list[str] = []
    model.summary(print_fn=lines.append, **options)
    text = lines[0].splitlines()
    body = text[text.index("=" * len(text[1])) + 1 :]
    rows = [line for line in body if line and line[0] not in "_=" and " params: " not in line]
    return [[cell for cell in line.split("  ") if cell.strip()] for line in rows]


def test_show_trainable_is_kerass_column() -> None:
    ours = glassnet_table(build(gn), show_trainable=True)
    theirs = keras_table(build(keras), show_trainable=True)
    assert [row[-1].strip() for row in ours] == [row[-1] for row in theirs] == list("Y-NYY")
    assert [row[0].strip() for row in ours] == [row[0] for row in theirs]


@pytest.mark.parametrize(
    "layer_range",
    [
        ("dense", "out"),  # "dense" starts three names: from the first
        ("dense_1", "dense_2"),
        ("dropout", "dropout"),
        ("out", "dropout"),  # reversed: swapped, as Keras's
        ("dense_", "dense_"),
        ("d", "d"),
    ],
)
def test_layer_range_shows_kerass_layers_for_plain_names(layer_range) -> None:
    ours = glassnet_table(build(gn), layer_range=list(layer_range))
    theirs = keras_table(build(keras), layer_range=list(layer_range))
    assert [row[0].strip() for row in ours] == [row[0] for row in theirs]
    assert len(ours) >= 1


def test_layer_range_keeps_the_whole_models_totals() -> None:
    model = build(gn)
    lines: list[str] = []
    model.summary(print_fn=lines.append, layer_range=["out", "out"])
    assert f"Total params: {model.count_params()}" in lines[0]


@pytest.mark.parametrize("line_length", [20, 40, 80, 133])
def test_line_length_is_the_tables_width_and_wrapped_cells_keep_every_character(
    line_length,
) -> None:
    model = gn.Sequential(
        [gn.Input((5,)), gn.layers.Dense(3, name="a_rather_long_layer_name_for_a_narrow_table")]
    )
    lines: list[str] = []
    model.summary(line_length, print_fn=lines.append)
    text = lines[0].splitlines()[:-4]  # the table, not the three totals below it
    assert all(len(line) <= line_length for line in text)
    assert len(text[1]) == line_length  # the rule under the title: the table's width
    rules = ("_" * line_length, "=" * line_length)
    body = [line for line in text[text.index(rules[1]) + 1 :] if line not in rules]
    width = round(0.45 * line_length)  # Keras's first column end
    first_column = "".join(line[:width] for line in body).replace(" ", "")
    assert first_column == "a_rather_long_layer_name_for_a_narrow_table(Dense)"


def test_positions_in_characters_and_as_fractions() -> None:
    model = build(gn)
    lines: list[str] = []
    model.summary(positions=[30, 50, 60], print_fn=lines.append)
    model.summary(line_length=60, positions=[0.5, 0.8333, 1.0], print_fn=lines.append)
    model.summary(positions=[30, 50, 60, 75], show_trainable=True, print_fn=lines.append)
    first, second, third = (text.splitlines() for text in lines)
    assert len(first[1]) == len(second[1]) == 60
    assert first[2].index("Output Shape") == 30 and first[2].index("Param #") == 50
    assert second[2].index("Output Shape") == 30
    assert len(third[1]) == 75 and third[2].index("Trainable") == 60
    # three positions and show_trainable: the Trainable column's 11 characters come by themselves
    model.summary(positions=[30, 50, 60], show_trainable=True, print_fn=lines.append)
    assert len(lines[-1].splitlines()[1]) == 71


def test_expand_nested_changes_nothing_and_print_fn_none_prints(capsys) -> None:
    model = build(gn)
    model.summary(expand_nested=True)
    assert capsys.readouterr().out.rstrip("\n") == model.summary_text()


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"line_length": 10**400}, ValueError, "Expected line_length between 20 and 10,000"),
        ({"line_length": -1}, ValueError, "Expected line_length between"),
        ({"line_length": 19}, ValueError, "Expected line_length between"),
        ({"line_length": float("nan")}, TypeError, "Expected line_length to be a whole number"),
        ({"line_length": "80"}, TypeError, "Expected line_length to be a whole number"),
        ({"positions": "<b>x</b>"}, TypeError, "Expected positions to be a list"),
        ({"positions": [0.5, 0.2, 1.0]}, ValueError, "3 increasing numbers"),
        ({"positions": [0.5, 1.0]}, ValueError, "3 increasing numbers"),
        ({"positions": [float("nan"), 0.8, 1.0]}, ValueError, "above 0 and at most 10,000"),
        ({"positions": [10**400, 2, 3]}, ValueError, "above 0 and at most 10,000"),
        ({"positions": [True, 0.8, 1.0]}, TypeError, "Expected positions to hold numbers"),
        ({"positions": [1, 2, 3]}, ValueError, "would be 1 characters wide"),
        ({"positions": [10, 20, 30, 40]}, ValueError, "Expected 3 positions"),
        ({"show_trainable": "yes"}, TypeError, "Expected show_trainable to be True or False"),
        ({"expand_nested": None}, TypeError, "Expected expand_nested to be True or False"),
        ({"layer_range": "dense"}, ValueError, "Expected layer_range to be a list of 2"),
        ({"layer_range": ["dense"]}, ValueError, "Expected layer_range to be a list of 2"),
        ({"layer_range": [1, 2]}, ValueError, "Expected layer_range to be a list of 2"),
        ({"layer_range": ["<b>x</b>", "out"]}, ValueError, "no layer's name starts with"),
        ({"print_fn": 80}, TypeError, "Expected print_fn to be a function"),
    ],
)
def test_hostile_summary_arguments_are_refused_clearly_and_print_nothing(
    options, error, message, capsys
) -> None:
    with pytest.raises(error, match=message):
        build(gn).summary(**options)
    assert capsys.readouterr().out == ""


def test_a_catastrophic_regular_expression_is_plain_text_here() -> None:
    """Keras runs re.match(pattern, name); "(a+)+$" against a long name of a's backtracks for
    ages there. glassnet compares plain text: an answer at once."""
    name = "a" * 60 + "b"
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1, name=name)])
    start = time.perf_counter()
    with pytest.raises(ValueError, match="no layer's name starts with"):
        model.summary(layer_range=["(a+)+$", name])
    assert time.perf_counter() - start < 1.0


def test_numpy_numbers_and_arrays_are_taken_as_python_ones() -> None:
    """A width or positions computed with NumPy (np.int64(80), an array of fractions, np.True_)
    mean what the Python numbers mean; they were refused as not whole numbers or not True."""
    model = build(gn)
    ours: list[str] = []
    model.summary(
        np.int64(80),
        np.array([0.5, 0.8, 1.0]),
        print_fn=ours.append,
        show_trainable=np.True_,
    )
    plain: list[str] = []
    model.summary(80, [0.5, 0.8, 1.0], print_fn=plain.append, show_trainable=True)
    assert ours == plain
    with pytest.raises(TypeError, match="Expected positions to hold numbers"):
        model.summary(positions=[1j, 2, 3])
    with pytest.raises(TypeError, match="Expected positions to be a list"):
        model.summary(positions=np.ones((3, 1)))
