"""Every public constructor of the core refuses a bad number with a short, clear message.

The constructors are found, not listed: every public class of the core modules whose signature
has an argument annotated ``int`` or ``float`` (flags such as ``verbose`` aside) is fed 10**400,
-10**400, NaN, inf, True, "1", None and [1] in each such argument, and must raise ValueError or
TypeError naming the argument, with no more than about 20 characters of the value (``str`` of
10**400 has 401 digits). A new constructor with a number argument joins the test by itself, and
fails it until its arguments are checked (or its valid base arguments are added to ``REQUIRED``).
"""

from __future__ import annotations

import inspect
import math
import re

import pytest

import glassnet
from glassnet import (
    activations,
    callbacks,
    initializers,
    layers,
    losses,
    metric_auc,
    metric_means,
    metric_objects,
    optimizers,
    regularizers,
    trace,
)

MODULES = [glassnet, activations, callbacks, initializers, layers, losses, optimizers, regularizers]
MODULES.append(trace)
MODULES.append(optimizers.schedules)
MODULES.append(metric_objects)
MODULES.append(metric_means)
MODULES.append(metric_auc)

#: arguments that are flags, counts of printing, not quantities (any int/bool works as in Keras)
FLAGS = {"verbose"}

#: valid values for the arguments without a default, so that one argument at a time is bad
REQUIRED = {
    "Dense": {"units": 3},
    "Dropout": {"rate": 0.5},
    "Rescaling": {"scale": 0.5},
    "Input": {"shape": (2,)},
    "Conv2D": {"filters": 2, "kernel_size": 3},
    "Reshape": {"target_shape": (2,)},
    "Normalization": {"mean": 0.0, "variance": 1.0},
    "Optimizer": {"learning_rate": 0.1},
    "ModelCheckpoint": {"filepath": "model.glassnet"},
    "LearningRateScheduler": {"schedule": lambda epoch, lr: lr},
    "ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
    "PiecewiseConstantDecay": {"boundaries": [10], "values": [0.1, 0.01]},
}

BAD = {
    "10**400": 10**400,
    "-10**400": -(10**400),
    "nan": math.nan,
    "inf": math.inf,
    "True": True,
    "'1'": "1",
    "None": None,
    "[1]": [1],
}

#: (class, argument, bad value's key) that are valid on purpose, with the reason
VALID = {
    # seeds: any whole number >= 0 that NumPy's default_rng takes (a model file refuses, at save,
    # one its header cannot hold); RandomUniform's RandomState takes 0 .. 2**32 - 1 only
    ("Sequential", "seed", "10**400"): "default_rng",
    ("Dropout", "seed", "10**400"): "default_rng",
    ("GlorotUniform", "seed", "10**400"): "default_rng",
    ("HeNormal", "seed", "10**400"): "default_rng",
    ("Normalization", "mean", "[1]"): "one mean per feature",
    ("Normalization", "variance", "[1]"): "one variance per feature",
    ("Normalization", "axis", "[1]"): "a list of axes, as Keras takes it",
    ("Normalization", "axis", "None"): "one mean and variance for every input",
    ("Input", "shape", "[1]"): "a list is a shape too",
    ("Reshape", "target_shape", "[1]"): "a list is a shape too",
    ("MaxPooling2D", "strides", "None"): "strides default to pool_size, as in Keras",
    ("AveragePooling2D", "strides", "None"): "strides default to pool_size, as in Keras",
    ("EarlyStopping", "baseline", "None"): "no baseline, Keras's default",
}
for _name in ("GlorotUniform", "HeNormal", "RandomUniform", "Dropout", "Sequential"):
    VALID[(_name, "seed", "None")] = "no seed: the model's random stream"
for _name in (
    "GlorotNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "RandomNormal",
    "TruncatedNormal",
    "Orthogonal",
    "VarianceScaling",
):
    VALID[(_name, "seed", "None")] = "no seed: the model's random stream"
    VALID[(_name, "seed", "10**400")] = "default_rng"
for _name in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Optimizer"):
    for _argument in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm"):
        VALID[(_name, _argument, "None")] = "off, Keras's default"
VALID[("CosineDecay", "warmup_target", "None")] = "no warm-up, Keras's default"
VALID[("PiecewiseConstantDecay", "boundaries", "[1]")] = "a list of one boundary"
VALID[("Precision", "thresholds", "None")] = "Keras's default: 0.5"
VALID[("Recall", "thresholds", "None")] = "Keras's default: 0.5"
for _name in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"):
    VALID[(_name, "thresholds", "None")] = "Keras's default: 0.5"
VALID[("AUC", "num_labels", "None")] = "Keras's default: known at the first batch"


def numeric(parameter: inspect.Parameter) -> bool:
    annotation = str(parameter.annotation)
    return parameter.name not in FLAGS and bool(re.search(r"\b(int|float)\b", annotation))


def cases() -> list[tuple[str, type, str, str]]:
    found: dict[str, type] = {}
    for module in MODULES:
        for name, value in vars(module).items():
            public = not name.startswith("_") and inspect.isclass(value)
            ours = public and value.__module__.startswith("glassnet")
            alias = ours and value.__name__ != name  # Keras's MaxPool2D: MaxPooling2D's checks
            if ours and not alias and not issubclass(value, BaseException):
                found.setdefault(name, value)
    found.pop("Trace", None)  # a record fit and trace_step fill in, not built by hand
    found.pop("TraceEntry", None)
    result = []
    for name, cls in sorted(found.items()):
        for parameter in inspect.signature(cls).parameters.values():
            if numeric(parameter):
                for key in BAD:
                    if (name, parameter.name, key) not in VALID:
                        result.append((name, cls, parameter.name, key))
    return result


CASES = cases()


def test_the_constructors_with_numbers_are_all_found() -> None:
    names = {(name, argument) for name, _, argument, _ in CASES}
    for expected in [
        ("Constant", "value"),
        ("RandomUniform", "minval"),
        ("L2", "l2"),
        ("L1L2", "l1"),
        ("Dropout", "rate"),
        ("Dropout", "seed"),
        ("Dense", "units"),
        ("Adam", "beta_2"),
        ("RMSprop", "epsilon"),
        ("SGD", "momentum"),
        ("EarlyStopping", "min_delta"),
        ("EarlyStopping", "patience"),
        ("Rescaling", "offset"),
        ("Normalization", "axis"),
        ("LeakyReLU", "negative_slope"),
    ]:
        assert expected in names


@pytest.mark.parametrize(
    ("name", "cls", "argument", "key"), CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CASES]
)
def test_a_bad_number_gets_a_short_clear_error(name, cls, argument, key) -> None:
    kwargs = {**REQUIRED.get(name, {}), argument: BAD[key]}
    with pytest.raises((ValueError, TypeError)) as caught:
        cls(**kwargs)
    message = str(caught.value)
    assert argument in message, message  # names the argument
    assert not re.search(r"\d{22}", message), message  # no 401-digit number
    assert len(message) < 400, message


def test_beyond_float64_is_said_in_words() -> None:
    """The four reported cases: 10**400 was an OverflowError, a NumPy TypeError, 401 digits."""
    with pytest.raises(
        ValueError, match=r"^Constant expects a finite number for value, got an integer of ab"
    ):
        initializers.Constant(10**400)
    with pytest.raises(
        ValueError, match=r"^Expected l2 to be a finite number >= 0, got an integer"
    ):
        regularizers.L2(10**400)
    with pytest.raises(ValueError, match=r"^Expected RandomUniform's minval to be a finite number"):
        initializers.RandomUniform(-(10**400), 1)
    with pytest.raises(ValueError, match=r"got an integer of about 401 digits\. Example: Dropout"):
        layers.Dropout(10**400)


def test_seeds_are_whole_numbers_numpy_takes() -> None:
    with pytest.raises(ValueError, match=r"RandomUniform's seed \(or None\) between 0 and 4294967"):
        initializers.RandomUniform(seed=2**32)
    with pytest.raises(ValueError, match=r"Dropout's seed \(or None\) >= 0, got an integer of abo"):
        layers.Dropout(0.5, seed=-(10**400))
    with pytest.raises(
        TypeError, match=r"HeNormal's seed \(or None\) to be a whole number, got fl"
    ):
        initializers.HeNormal(seed=1.5)
    assert initializers.RandomUniform(0, 1, seed=2**32 - 1)((2,), "float64", None).shape == (2,)


def _fit(**kwargs):
    from glassnet.seed import XOR_X, XOR_Y, seed_network

    return seed_network().fit(XOR_X, XOR_Y, epochs=1, verbose=0, **kwargs)


COUSINS = {  # the same numbers given to functions: fit, the data sets, the allocation check
    "fit batch_size": (lambda v: _fit(batch_size=v), "batch_size"),
    "fit validation_split": (lambda v: _fit(validation_split=v), "validation_split"),
    "moons noise": (lambda v: glassnet.datasets.moons(noise=v), "noise"),
    "moons n_samples": (lambda v: glassnet.datasets.moons(n_samples=v), "n_samples"),
    "circles factor": (lambda v: glassnet.datasets.circles(factor=v), "factor"),
    "test_size": (
        lambda v: glassnet.datasets.train_test_split(*glassnet.datasets.xor(), test_size=v),
        "test_size",
    ),
    "Sequential seed": (lambda v: glassnet.Sequential(seed=-v), "seed"),
}


@pytest.mark.parametrize("case", list(COUSINS))
def test_functions_taking_numbers_say_10_to_the_400_in_words(case) -> None:
    """moons(noise=10**400) was an OverflowError; circles(factor=10**400) and others printed
    all 401 digits."""
    call, argument = COUSINS[case]
    with pytest.raises(ValueError) as caught:
        call(10**400)
    message = str(caught.value)
    assert argument in message and "an integer of about 401 digits" in message, message
    assert not re.search(r"\d{22}", message), message


# -- "Use e.g. ..." names the argument ----------------------------------------------------------
def _named_arguments() -> list[tuple[str, type, str]]:
    return sorted({(name, cls, argument) for name, cls, argument, _ in CASES}, key=str)


def _use_e_g(message: str) -> str | None:
    return message.split("Use e.g. ", 1)[1] if "Use e.g. " in message else None


@pytest.mark.parametrize(
    ("name", "cls", "argument"),
    _named_arguments(),
    ids=[f"{c[0]}-{c[2]}" for c in _named_arguments()],
)
def test_use_e_g_writes_the_argument_as_the_call_would(name, cls, argument) -> None:
    """CosineDecay(warmup_target=1e-50) ended "Use e.g. 0.1." where the other schedules' messages
    say "Use e.g. initial_learning_rate=0.01.": the example names what to write."""
    for value in (1e39, 1e-50, -1.0, 0.0, 2.5):
        try:
            cls(**{**REQUIRED.get(name, {}), argument: value})
        except (ValueError, TypeError) as error:
            example = _use_e_g(str(error))
            if example is not None:
                # "stddev=0.05" or a whole call, "RandomNormal(mean=0.0, stddev=0.05)"
                assert re.match(rf"({name}\(.*\b)?{argument}=[-+\w.\[]", example), str(error)


def test_use_e_g_names_the_values_of_a_piecewise_schedule() -> None:
    with pytest.raises(ValueError) as caught:
        optimizers.schedules.PiecewiseConstantDecay([10], [0.1, 1e-50])
    assert _use_e_g(str(caught.value)) == "values=[0.1, 0.01, 0.001]."
