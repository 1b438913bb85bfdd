"""Layers' default names are Keras's: the class name in snake case, then _1, _2, ...

Before, a layer outside a model called itself by its lower-cased kind
('globalaveragepooling2d', 'maxpooling2d' in its messages), a LeakyReLU in a model was named
'activation' (its kind) where Keras names it 'leaky_re_lu', and a subclass of Dense was named
'dense' where Keras uses its own class name. Keras's names are read here by running Keras
3.15.1 (KERAS_BACKEND=torch), after keras.utils.clear_session(), so its counters start at 0.

glassnet counts the _1, _2 suffixes per model (a second model starts again at 'dense'); Keras
counts them across the process (the second model's first Dense is 'dense_1' or later): the
README's Keras table says so.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import pytest

import glassnet as gn

#: a glassnet layer and its Keras twin, made the same way
PAIRS = {
    "Dense": (lambda: gn.layers.Dense(2), lambda: keras.layers.Dense(2)),
    "Conv2D": (lambda: gn.layers.Conv2D(2, 3), lambda: keras.layers.Conv2D(2, 3)),
    "MaxPooling2D": (gn.layers.MaxPooling2D, keras.layers.MaxPooling2D),
    "MaxPool2D": (gn.layers.MaxPool2D, keras.layers.MaxPool2D),
    "AveragePooling2D": (
        lambda: gn.layers.AveragePooling2D(2),
        lambda: keras.layers.AveragePooling2D(2),
    ),
    "GlobalAveragePooling2D": (
        gn.layers.GlobalAveragePooling2D,
        keras.layers.GlobalAveragePooling2D,
    ),
    "BatchNormalization": (gn.layers.BatchNormalization, keras.layers.BatchNormalization),
    "Dropout": (lambda: gn.layers.Dropout(0.5), lambda: keras.layers.Dropout(0.5)),
    "Flatten": (gn.layers.Flatten, keras.layers.Flatten),
    "Reshape": (lambda: gn.layers.Reshape((4,)), lambda: keras.layers.Reshape((4,))),
    "Rescaling": (lambda: gn.layers.Rescaling(0.5), lambda: keras.layers.Rescaling(0.5)),
    "Normalization": (gn.layers.Normalization, keras.layers.Normalization),
    "Activation": (
        lambda: gn.layers.Activation("relu"),
        lambda: keras.layers.Activation("relu"),
    ),
    "LeakyReLU": (gn.layers.LeakyReLU, keras.layers.LeakyReLU),
}


@pytest.mark.parametrize("kind", PAIRS)
def test_a_models_layers_are_named_as_kerass(kind) -> None:
    ours, theirs = PAIRS[kind]
    keras.utils.clear_session()
    expected = [theirs().name for _ in range(3)]  # e.g. dense, dense_1, dense_2
    model = gn.Sequential()
    for _ in range(3):
        model.add(ours())
    assert [layer.name for layer in model.layers] == expected
    assert model.get_layer(expected[2]) is model.layers[2]


def test_the_names_keras_gives_are_the_ones_the_issue_lists() -> None:
    keras.utils.clear_session()
    names = [make().name for _, make in PAIRS.values()]
    assert names[:6] == ["dense", "conv2d", "max_pooling2d", "max_pooling2d_1",
                         "average_pooling2d", "global_average_pooling2d"]  # fmt: skip
    assert names[-1] == "leaky_re_lu"


def test_a_subclass_is_named_by_its_own_class_as_in_keras() -> None:
    class WiderDense(gn.layers.Dense):
        pass

    class KerasWiderDense(keras.layers.Dense):
        pass

    keras.utils.clear_session()
    model = gn.Sequential([gn.Input((2,)), WiderDense(3), gn.layers.Dense(1)])
    assert [layer.name for layer in model.layers] == ["wider_dense", "dense"]
    assert KerasWiderDense(3).name == "keras_wider_dense"  # Keras's rule, on its own class


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: gn.layers.GlobalAveragePooling2D().compute_output_shape((4,)),
         "Layer 'global_average_pooling2d' (GlobalAveragePooling2D) expects images of shape "),
        (lambda: gn.layers.MaxPooling2D().compute_output_shape((4,)),
         "Layer 'max_pooling2d' (MaxPooling2D) expects images of shape "),
        (lambda: gn.layers.BatchNormalization(axis=3).compute_output_shape((4,)),
         "Layer 'batch_normalization' (BatchNormalization) has axis=3, "),
        (lambda: gn.layers.LeakyReLU().get_weights(),
         "Layer 'leaky_re_lu' (Activation) has no weights yet: "),
    ],
)  # fmt: skip
def test_a_layer_outside_a_model_calls_itself_by_its_keras_name(make, message) -> None:
    """Before: 'globalaveragepooling2d', 'maxpooling2d', 'batchnormalization', 'activation'."""
    with pytest.raises(ValueError) as caught:
        make()
    assert str(caught.value).startswith(message)


def test_a_chosen_name_is_kept_and_the_defaults_step_around_it() -> None:
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(3, name="dense_1"),
                           gn.layers.Dense(3), gn.layers.Dense(1)])  # fmt: skip
    assert [layer.name for layer in model.layers] == ["dense_1", "dense", "dense_2"]


def test_old_model_files_keep_the_names_they_stored(tmp_path) -> None:
    """A LeakyReLU saved before this change was named 'activation': the file's name stays."""
    model = gn.Sequential([gn.Input((2,)), gn.layers.LeakyReLU(name="activation")])
    model.save(tmp_path / "old.glassnet")
    loaded = gn.load_model(tmp_path / "old.glassnet")
    assert [layer.name for layer in loaded.layers] == ["activation"]
    model = gn.Sequential([gn.Input((2,)), gn.layers.LeakyReLU()])
    model.save(tmp_path / "new.glassnet")
    assert [layer.name for layer in gn.load_model(tmp_path / "new.glassnet").layers] == [
        "leaky_re_lu"
    ]
