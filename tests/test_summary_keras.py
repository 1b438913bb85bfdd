"""summary() names each layer as Keras's does, "layer_name (ClassName)", with Keras's output
shapes and parameter counts, for a model holding every kind of layer glassnet has.

Before, a LeakyReLU layer showed as "leaky_re_lu (Activation)" (Keras: "(LeakyReLU)"). The
expected rows are read from Keras 3.15.1's own summary (KERAS_BACKEND=torch) of the same model,
printed here at test time with a line long enough that no cell wraps.
"""

from __future__ import annotations

import os
import re
from unittest import mock

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn


@pytest.fixture(autouse=True)
def fresh_keras_names() -> None:
    """Keras counts default names across the process (dense_3 after other tests' Dense layers);
    glassnet per model: each test starts Keras's count afresh, as clear_session does."""
    keras.utils.clear_session()


IMAGES = np.random.default_rng(0).normal(size=(20, 8, 8, 1)).astype("float32")


def every_layer(layers, make_input) -> list:
    """The same model in either library: every layer kind glassnet has (and an alias)."""
    normalization = layers.Normalization()
    normalization.adapt(IMAGES)
    return [
        make_input((8, 8, 1)),
        layers.Rescaling(0.5),
        normalization,
        layers.Conv2D(4, 3, padding="same"),
        layers.BatchNormalization(),
        layers.LeakyReLU(negative_slope=0.1),
        layers.Activation("relu"),
        layers.MaxPool2D(2),  # Keras's alias of MaxPooling2D: the class shows
        layers.AveragePooling2D(2),
        layers.Dropout(0.1),
        layers.Reshape((2, 2, 4)),
        layers.Flatten(),
        layers.Dense(3),
        layers.Reshape((3, 1, 1)),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax"),
    ]


def keras_rows(model: keras.Model) -> list[tuple[str, str, str]]:
    lines: list[str] = []
    with mock.patch.dict(os.environ, {"COLUMNS": "250"}):  # rich's console: wide enough
        model.summary(line_length=200, print_fn=lambda text, line_break=False: lines.append(text))
    cells = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in "\n".join(lines).splitlines()
        if line.startswith("│")
    ]
    return [tuple(row) for row in cells]


def glassnet_rows(model: gn.Sequential) -> list[tuple[str, ...]]:
    """The layer rows of ``summary_text()``, split into cells at runs of 2+ spaces."""
    lines = model.summary_text().splitlines()
    body = lines[lines.index("=" * len(lines[1])) + 1 :]  # after the header's rule
    rows = [line for line in body if line and line[0] not in "_=" and " params: " not in line]
    return [tuple(re.split(r"\s{2,}", line.strip())) for line in rows]


def test_summary_rows_are_kerass_for_every_kind_of_layer() -> None:
    ours = gn.Sequential(every_layer(gn.layers, gn.Input))
    theirs = keras.Sequential(every_layer(keras.layers, keras.Input))
    assert glassnet_rows(ours) == keras_rows(theirs)
    assert "leaky_re_lu (LeakyReLU)" in ours.summary_text()  # before: (Activation)
    assert ours.count_params() == theirs.count_params() == 114
    text = ours.summary_text()
    assert "Total params: 114\nTrainable params: 103\nNon-trainable params: 11" in text


def test_a_subclass_shows_its_own_class_as_in_keras() -> None:
    class MyDense(gn.layers.Dense):
        pass

    class KerasDense(keras.layers.Dense):
        pass

    ours = gn.Sequential([gn.Input((3,)), MyDense(2)])
    theirs = keras.Sequential([keras.Input((3,)), KerasDense(2)])
    assert glassnet_rows(ours) == [("my_dense (MyDense)", "(None, 2)", "8")]
    assert keras_rows(theirs) == [("keras_dense (KerasDense)", "(None, 2)", "8")]


def test_the_notebook_table_and_repr_name_a_leaky_relu_as_such() -> None:
    model = gn.Sequential([gn.Input((2,)), gn.layers.LeakyReLU(0.1), gn.layers.Activation("relu")])
    html = model._repr_html_()
    assert "<td>leaky_re_lu</td><td>LeakyReLU</td><td>LeakyReLU(negative_slope=0.1)</td>" in html
    assert "<td>activation</td><td>Activation</td><td>Activation(&#x27;relu&#x27;)</td>" in html
    assert repr(model) == (
        "Sequential([LeakyReLU(negative_slope=0.1), Activation('relu')], dtype='float32')"
    )


def test_a_loaded_leaky_relu_is_the_activation_layer_it_was_saved_as(tmp_path) -> None:
    # as documented (glassnet/layers/activation_layers.py): it saves as an Activation holding
    # the leaky ReLU, so a loaded model shows an Activation (Keras's would show LeakyReLU)
    model = gn.Sequential([gn.Input((2,)), gn.layers.LeakyReLU(0.1)])
    model.save(tmp_path / "m.glassnet")
    loaded = gn.load_model(tmp_path / "m.glassnet")
    assert "leaky_re_lu (Activation)" in loaded.summary_text()
    np.testing.assert_array_equal(loaded.predict([[-1.0, 2.0]]), model.predict([[-1.0, 2.0]]))


def test_an_unadapted_normalization_is_the_one_count_that_differs_from_kerass() -> None:
    # Keras makes mean, variance and count (2n + 1 numbers) when the layer is built; glassnet
    # holds them only once adapt() has run (the summary counts 0 until then)
    ours = gn.Sequential([gn.Input((3,)), gn.layers.Normalization()])
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Normalization()])
    assert glassnet_rows(ours) == [("normalization (Normalization)", "(None, 3)", "0")]
    assert keras_rows(theirs) == [("normalization (Normalization)", "(None, 3)", "7")]
