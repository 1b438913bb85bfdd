"""The names audit (issue 19): every public name of Keras 3.15.1's namespaces that glassnet
mirrors is either there in glassnet, or asking for it says "glassnet has no keras.X.Y: <why, and
what to use instead>", never a bare AttributeError.

The names are listed by running Keras (``dir()`` of each imported module, KERAS_BACKEND=torch),
so a Keras upgrade that adds a name fails this test until glassnet has it or says why not.
"""

from __future__ import annotations

import importlib
import os
import re
import types
from pathlib import Path

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import pytest

import glassnet as gn
from glassnet import _keras_left_out, _not_here

README = Path(__file__).resolve().parents[1] / "README.md"

#: Keras's namespace -> glassnet's
NAMESPACES = {
    "keras": "glassnet",
    "keras.layers": "glassnet.layers",
    "keras.losses": "glassnet.losses",
    "keras.metrics": "glassnet.metrics",
    "keras.optimizers": "glassnet.optimizers",
    "keras.optimizers.schedules": "glassnet.optimizers.schedules",
    "keras.callbacks": "glassnet.callbacks",
    "keras.activations": "glassnet.activations",
    "keras.initializers": "glassnet.initializers",
    "keras.regularizers": "glassnet.regularizers",
    "keras.utils": "glassnet.utils",
    "keras.models": "glassnet.models",
}


def _public(module: types.ModuleType, modules: bool) -> list[str]:
    """The public names of ``module``: its submodules when ``modules``, else everything else."""
    names = []
    for name in dir(module):
        if name.startswith("_") or name == "src":  # keras.src: Keras's private source tree
            continue
        if isinstance(getattr(module, name), types.ModuleType) == modules:
            names.append(name)
    return names


def _keras_names(namespace: str) -> list[str]:
    return _public(importlib.import_module(namespace), modules=False)


def _answer(module: types.ModuleType, name: str) -> str | None:
    """None when glassnet has ``module.name``, else the AttributeError's message."""
    try:
        getattr(module, name)
    except AttributeError as error:
        return str(error)
    return None


@pytest.mark.parametrize("namespace", list(NAMESPACES))
def test_every_keras_name_is_there_or_says_why_not(namespace: str) -> None:
    ours = importlib.import_module(NAMESPACES[namespace])
    bare = []
    for name in _keras_names(namespace):
        message = _answer(ours, name)
        if message is not None and not message.startswith("glassnet has no "):
            bare.append(f"{name}: {message}")
    assert bare == [], f"{len(bare)} Keras names give a bare AttributeError"


def test_every_keras_module_is_there_or_says_why_not() -> None:
    bare = []
    for name in _public(keras, modules=True):
        try:
            importlib.import_module(f"glassnet.{name}")
            continue  # glassnet.layers, glassnet.datasets, ...
        except ImportError:
            pass
        message = _answer(gn, name)
        if message is None or not message.startswith("glassnet has no "):
            bare.append(f"{name}: {message}")
    assert bare == []


def test_the_groups_name_only_keras_names_that_glassnet_lacks() -> None:
    # a typo, or a name glassnet has since gained, would leave a stale refusal behind
    modules = set(_public(keras, modules=True))
    for module, label, names, _ in _keras_left_out.GROUPS:
        namespace = _keras_left_out.keras_namespace(module)
        real = set(_keras_names(namespace)) | (modules if module == "glassnet" else set())
        ours = importlib.import_module(module)
        for name in names:
            assert name in real, f"{namespace}.{name} ({label}) is not a Keras name"
            expected = _keras_left_out.left_out(module, name)
            assert _answer(ours, name) == expected, f"{namespace}.{name}"
    listed = [(m, n) for m, _, names, _ in _keras_left_out.GROUPS for n in names]
    assert len(listed) == len(set(listed)), "a name is in two groups"
    assert not set(listed) & set(_not_here.MISSING), "a name in _not_here.MISSING and a group"


@pytest.mark.parametrize(
    ("get", "message"),
    [
        (
            lambda: gn.layers.RandomFlip,
            "glassnet has no keras.layers.RandomFlip: it has no image augmentation layers. "
            "Augment or resize the arrays before fit (e.g. np.flip(x, axis=2) for a horizontal "
            "flip); the model itself carries only Rescaling and Normalization.",
        ),
        (
            lambda: gn.metrics.F1Score,
            "glassnet has no keras.metrics.F1Score: compute it from model.predict(x) (e.g. "
            "sklearn.metrics.f1_score or r2_score), or report Precision, Recall and AUC "
            "(curve='ROC' or 'PR') during fit.",
        ),
        (
            lambda: gn.optimizers.Nadam,
            "glassnet has no keras.optimizers.Nadam: its optimizers are SGD (momentum, "
            "nesterov), RMSprop, Adam (amsgrad), AdamW and Adagrad, each step written out (see "
            "glassnet.optimizers.OPTIMIZERS).",
        ),
        (
            lambda: gn.losses.mean_squared_error,
            "glassnet has no keras.losses.mean_squared_error: its losses are objects: "
            "glassnet.losses.get(name)(y_true, y_pred) is the batch mean, and a loss made with "
            "reduction='none' gives Keras's per-example values (e.g. "
            "glassnet.losses.MeanSquaredError(reduction='none')). compile(loss='mse') takes the "
            "names.",
        ),
        (lambda: gn.optimizers.schedules.PolynomialDecay, r"LearningRateScheduler"),
        (lambda: gn.activations.mish, r"glassnet has no keras.activations.mish: "),
        (lambda: gn.initializers.STFT, r"Fourier kernels of Keras's STFTSpectrogram layer"),
        (lambda: gn.regularizers.OrthogonalRegularizer, r"L1, L2 and L1L2"),
        (lambda: gn.utils.image_dataset_from_directory, r"NumPy arrays held in memory"),
        (lambda: gn.callbacks.ProgbarLogger, r"fit\(verbose=1\) draws the progress bar"),
        (lambda: gn.backend, r"^glassnet has no keras.backend: it has the modules layers"),
        (lambda: gn.KerasTensor, r"^glassnet has no keras.KerasTensor: a glassnet weight"),
    ],
)
def test_each_group_says_what_to_use_instead(get, message: str) -> None:
    with pytest.raises(AttributeError) as caught:
        get()
    if message.startswith("glassnet has no keras.") and message.endswith("."):
        assert str(caught.value) == message
    else:
        assert re.search(message, str(caught.value))


def test_the_names_glassnet_now_has() -> None:
    # before: each was a bare "module 'glassnet.layers' has no attribute 'MaxPool2D'"
    assert gn.layers.MaxPool2D is gn.layers.MaxPooling2D
    assert gn.layers.AvgPool2D is gn.layers.AveragePooling2D
    assert gn.layers.GlobalAvgPool2D is gn.layers.GlobalAveragePooling2D
    assert gn.layers.Convolution2D is gn.layers.Conv2D
    assert gn.initializers.glorot_uniform is gn.initializers.GlorotUniform
    assert gn.initializers.OrthogonalInitializer is gn.initializers.Orthogonal
    assert gn.initializers.Ones is gn.initializers.ones  # before: "for ones, use Constant(1.0)"
    assert gn.initializers.IdentityInitializer is gn.initializers.Identity
    assert gn.activations.swish is gn.activations.silu
    assert gn.Layer is gn.layers.Layer and gn.Metric is gn.metrics.MetricObject
    assert gn.Loss is gn.losses.Loss and gn.Optimizer is gn.optimizers.Optimizer
    assert gn.version() == gn.__version__
    model = gn.Sequential([gn.Input((4, 4, 1)), gn.layers.MaxPool2D(2), gn.layers.Flatten()])
    assert model.output_shape == (None, 4)
    dense = gn.layers.Dense(2, kernel_initializer=gn.initializers.glorot_uniform(seed=1))
    assert dense.get_config()["kernel_initializer"]["name"] == "glorot_uniform"


def test_a_name_keras_lacks_too_keeps_pythons_message() -> None:
    for module, name in [(gn.metrics, "F1Scroe"), (gn.losses, "<b>x</b>"), (gn.utils, "x" * 10)]:
        with pytest.raises(AttributeError) as caught:
            getattr(module, name)
        assert str(caught.value) == f"module {module.__name__!r} has no attribute {name!r}"


# -- the README's table "Every other Keras name" ------------------------------------------------
def readme_row(module: str, label: str, names: list[str] | tuple[str, ...], reason: str) -> str:
    """The README's line for one group: a few of its names, how many, and the reason."""
    shown = ", ".join(f"`{name}`" for name in names[:3])
    more = f", ... {len(names)} names" if len(names) > 3 else ""
    namespace = _keras_left_out.keras_namespace(module)
    return f"| `{namespace}`: {label} ({shown}{more}) | {reason} |"


def test_the_readme_table_shows_every_group() -> None:
    section = README.read_text(encoding="utf-8").split("#### Every other Keras name", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `keras")]
    expected = [readme_row(*group) for group in _keras_left_out.GROUPS]
    assert rows == expected
