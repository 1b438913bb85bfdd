"""Hostile model-file headers meet the loader's bounds (issue 14, points 7 and 8, and cousins).

Each file here is forged the way an attacker would: the checksum and the seal recomputed, so
only the loader's own checks stand between the header and the model. Every one is refused with
``ModelFileError`` (never OverflowError, a bare ValueError from json, an IndexError, or a number
that loads and explodes later), quickly.
"""

from __future__ import annotations

import copy
import json
import time
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import io as model_io
from glassnet.io import MAX_LAYERS, MAX_PARAMETERS, ModelFileError
from helpers import header_of, read_members, write_members

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


@pytest.fixture(scope="module")
def arrays(tmp_path_factory) -> dict[str, np.ndarray]:
    """The members of a small trained Adam model's file (with its optimizer moments)."""
    model = gn.Sequential(
        [gn.Input((2,)), gn.layers.Dense(3, "tanh"), gn.layers.Dense(1, "sigmoid")], seed=0
    )
    model.compile("adam", "binary_crossentropy")
    model.fit(X, np.array([0, 1, 1, 0]), epochs=2, verbose=0)
    path = tmp_path_factory.mktemp("bounds") / "m.glassnet"
    model.save(path)
    return read_members(path)


def forged(tmp_path, arrays, header=None, text=None):
    """A sealed file of ``arrays`` with ``header`` re-signed (or the raw header ``text``)."""
    arrays = dict(arrays)
    if text is not None:
        arrays["header"] = np.frombuffer(text.encode(), np.uint8)
        return write_members(tmp_path / "forged.glassnet", arrays)
    body = {name: array for name, array in arrays.items() if name != "header"}
    header = dict(header)
    header["checksum"] = model_io._checksum(header, body)
    return write_members(tmp_path / "forged.glassnet", arrays, header)


def changed(header: dict, keys: tuple, value) -> dict:
    header = copy.deepcopy(header)
    *path, last = keys
    field = header
    for key in path:
        field = field[key]
    field[last] = value
    return header


#: (keys to the field, hostile value, the refusal's words); each loaded or crashed before
RNG_AND_STEP_CASES = {
    "rng state 2**129": (("rng", "state", "state"), 2**129, r"state.state must be an integer in"),
    "rng state negative": (("rng", "state", "inc"), -1, r"state.inc must be an integer in"),
    "rng has_uint32 2**70": (("rng", "has_uint32"), 2**70, r"has_uint32 must be an integer"),
    "rng uinteger 2**40": (("rng", "uinteger"), 2**40, r"uinteger must be an integer in"),
    "rng state a float": (("rng", "state", "state"), 1.5, r"state.state must be an integer"),
    "iterations 10**30": (("compile", "iterations"), 10**30, r"iterations, the step count, in"),
    "iterations negative": (("compile", "iterations"), -1, r"iterations, the step count, in"),
    "lr 10**39 as an int": (
        ("compile", "optimizer", "learning_rate"),
        10**39 * 10**39,  # 79 digits: over the header's integer bound
        r"79-digit integer",
    ),
    "beta_1 1.5": (("compile", "optimizer", "beta_1"), 1.5, r"beta_1 in \[0.0, 1.0\)"),
    "slots for 10 weights": (
        ("compile", "slots", "first_moments"),
        [True] * 10,  # used to index past the 4 weights: IndexError
        r"optimizer slots should be \['first_moments', 'second_moments', "
        r"'max_second_moments'\], each a list of true/false flags, one per array "
        r"\({'first_moments': 4, 'second_moments': 4, 'max_second_moments': 0}\)",
    ),
    "slots not bools": (
        ("compile", "slots", "second_moments"),
        [1, 1, 1, 1],
        r"each a list of true/false flags",
    ),
    "unknown slot": (("compile", "slots", "velocities"), [True] * 4, r"optimizer slots"),
    "layer_rngs a list": (("layer_rngs",), [1], r"layer_rngs must be a dict by layer name"),
    "metrics repeated": (
        ("compile", "metrics"),
        ["accuracy"] * 50_000,  # loaded, then computed 50,000 times at every batch
        r"metrics must be distinct names, found 50000 entries \(1 distinct\)",
    ),
    "metrics not names": (("compile", "metrics"), [[1]], r"metrics must be distinct names"),
    "layer rng hostile": (
        ("layer_rngs",),
        {"dense": {"bit_generator": "PCG64", "state": {"state": -5, "inc": 1}}},
        r"random state 'dense' is not a PCG64 state",
    ),
}


@pytest.mark.parametrize(
    ("keys", "value", "message"), RNG_AND_STEP_CASES.values(), ids=list(RNG_AND_STEP_CASES)
)
def test_out_of_range_integers_and_fields_are_refused(arrays, tmp_path, keys, value, message):
    path = forged(tmp_path, arrays, changed(header_of(arrays), keys, value))
    with pytest.raises(ModelFileError, match=message) as info:
        gn.load_model(path)
    assert "\n" not in str(info.value)


def test_numbers_json_cannot_hold_are_refused_as_model_file_errors(arrays, tmp_path) -> None:
    text = json.dumps(header_of(arrays))
    assert '"iterations": 2' in text and '"learning_rate": 0.001' in text
    cases = {
        # Python's int() refuses 4300+ digits with a bare ValueError, which escaped before
        '"iterations": ' + "9" * 5000: r"5000-digit integer; a glassnet header's integers",
        '"iterations": -' + "9" * 50: r"50-digit integer",
        '"learning_rate": 1e400': r"the number 1e400, beyond float64's range",
        '"learning_rate": -1e400': r"the number -1e400, beyond float64's range",
        '"learning_rate": NaN': r"the header holds NaN; JSON numbers must be finite",
        '"learning_rate": Infinity': r"the header holds Infinity",
    }
    for replacement, message in cases.items():
        key = replacement.split(":")[0]
        original = '"iterations": 2' if key == '"iterations"' else '"learning_rate": 0.001'
        path = forged(tmp_path, arrays, text=text.replace(original, replacement))
        start = time.perf_counter()
        with pytest.raises(ModelFileError, match=message):
            gn.load_model(path)
        assert time.perf_counter() - start < 1


def test_optimizer_state_must_be_finite_and_non_negative_where_the_rule_needs_it(
    arrays, tmp_path
) -> None:
    header = header_of(arrays)
    cases = {
        "optimizer/first_moments/0": (np.inf, r"'first_moments' array 0: expected finite"),
        "optimizer/second_moments/1": (np.nan, r"'second_moments' array 1: expected finite"),
        "optimizer/second_moments/0": (-1.0, r"'second_moments' array 0: expected values >= 0"),
    }
    for name, (value, message) in cases.items():
        hostile = dict(arrays)
        hostile[name] = np.full_like(arrays[name], value)
        with pytest.raises(ModelFileError, match=message):
            gn.load_model(forged(tmp_path, hostile, header))
    # float64 moments beyond float32 turned into inf on the cast: refused as well
    hostile = dict(arrays)
    hostile["optimizer/first_moments/0"] = np.full(arrays["optimizer/first_moments/0"].shape, 1e300)
    with pytest.raises(ModelFileError, match=r"beyond its range"):
        gn.load_model(forged(tmp_path, hostile, header))
    # Adam's first moment (a mean of g) may be negative: a sound file still loads
    fine = dict(arrays)
    fine["optimizer/first_moments/0"] = -np.abs(arrays["optimizer/first_moments/0"]) - 1
    gn.load_model(forged(tmp_path, fine, header))


def test_rmsprop_mean_square_and_momentum_state_are_checked(tmp_path) -> None:
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], seed=0)
    model.compile(gn.RMSprop(0.01, momentum=0.5), "mse")
    model.fit(X, np.ones(4), epochs=1, verbose=0)
    state = model.optimizer.get_state()
    bad = copy.deepcopy(state)
    bad["velocities"][0] = -state["velocities"][0] - 1
    with pytest.raises(ValueError, match=r"'velocities' array 0: expected values >= 0 .*RMSprop"):
        model.optimizer.set_state(bad, model._parameters)
    bad = copy.deepcopy(state)
    bad["momentums"][1] = np.full_like(state["momentums"][1], np.inf)
    with pytest.raises(ValueError, match=r"'momentums' array 1: expected finite"):
        model.optimizer.set_state(bad, model._parameters)
    bad = copy.deepcopy(state)
    bad["velocities"][0] = np.array([["x"], ["y"]])
    with pytest.raises(ValueError, match=r"expected real numbers, got dtype <U1"):
        model.optimizer.set_state(bad, model._parameters)
    model.optimizer.set_state(state, model._parameters)  # the real state still restores


def test_huge_integer_hyperparameters_through_the_api_are_refused_clearly() -> None:
    # float(10**400) raises OverflowError, which escaped from every optimizer's constructor
    for make in (
        lambda: gn.SGD(learning_rate=10**400),
        lambda: gn.Adam(epsilon=10**400),
        lambda: gn.RMSprop(rho=-(10**400)),
    ):
        with pytest.raises(ValueError, match=r"an integer of about 401 digits, beyond float64"):
            make()
    with pytest.raises(ValueError, match=r"learning_rate to be a finite number"):
        gn.SGD(learning_rate=1e400)


# -- point 8: the architecture's size, bounded before anything is built ------------------------
def deflated(tmp_path, arrays, header) -> tuple:
    """A small deflate-compressed, re-signed file: a big header in few bytes."""
    body = {name: array for name, array in arrays.items() if name != "header"}
    header = dict(header)
    header["checksum"] = model_io._checksum(header, body)
    path = tmp_path / "deflated.glassnet"
    text = np.frombuffer(json.dumps(header, separators=(",", ":")).encode(), np.uint8)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.comment = model_io.SEAL_PREFIX + b"0" * 64
        for name, array in {"header": text, **body}.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, array)
    with open(path, "r+b") as file:
        model_io._seal(file)
    return path, path.stat().st_size


def test_thirty_thousand_layers_in_a_small_file_are_refused_at_once(arrays, tmp_path) -> None:
    # a 6 kB file declaring 30,000 layers took 214 s to load (Sequential.add was quadratic)
    header = header_of(arrays)
    filler = [{"class_name": "dropout", "rate": 0}] * 30_000  # under the 1 MiB header bound
    header["layers"] = header["layers"][:1] + filler + header["layers"][1:]
    path, size = deflated(tmp_path, arrays, header)
    assert size < 10_000
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=r"declares 30002 layers; glassnet loads at most"):
        gn.load_model(path)
    assert time.perf_counter() - start < 1


def test_the_layer_limit_itself_loads_quickly(arrays, tmp_path) -> None:
    header = header_of(arrays)
    filler = [{"class_name": "Activation", "activation": {"name": "relu"}}] * (MAX_LAYERS - 2)
    header["layers"] = header["layers"][:1] + filler + header["layers"][1:]
    path, _ = deflated(tmp_path, arrays, header)
    start = time.perf_counter()
    model = gn.load_model(path)
    assert len(model.layers) == MAX_LAYERS
    assert time.perf_counter() - start < 5
    model.layers.append(gn.layers.Activation("relu"))  # one past the limit: save refuses it
    with pytest.raises(ModelFileError, match=rf"has {MAX_LAYERS + 1} layers; .* at most"):
        model.save(tmp_path / "more.glassnet")


def test_parameters_are_bounded_by_the_limit_and_by_the_file_size(arrays, tmp_path) -> None:
    header = header_of(arrays)
    header["layers"][0]["units"] = MAX_PARAMETERS  # 2 * 10**9 kernel + 10**9 bias
    path, _ = deflated(tmp_path, arrays, header)
    with pytest.raises(ModelFileError, match=r"declares 4000000001 parameters; .* at most"):
        gn.load_model(path)
    header["layers"][0]["units"] = 10_000  # under the limit, but more than the file holds
    path, size = deflated(tmp_path, arrays, header)
    with pytest.raises(ModelFileError, match=rf"more than the file's {size} bytes can hold"):
        gn.load_model(path)


def test_sequential_add_is_linear_in_the_number_of_layers() -> None:
    # 4000 layers took 4.9 s (each add scanned every name, and every layer for `built`)
    start = time.perf_counter()
    layers = [gn.layers.Activation("relu") for _ in range(20_000)]
    model = gn.Sequential([gn.Input((2,)), *layers])
    assert time.perf_counter() - start < 5
    assert model.built and len(model._parameters) == 0
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["activation", "activation_1", "activation_2"]
    assert names[-1] == "activation_19999" and len(set(names)) == 20_000
    with pytest.raises(ValueError, match=r"'activation_7' is already in the model"):
        model.add(gn.layers.Activation("relu", name="activation_7"))
    # with weights, added one by one after the input: every parameter collected, in order
    dense = gn.Sequential([gn.Input((3,))], seed=0)
    for units in (4, 5, 2):
        dense.add(gn.layers.Dense(units))
    assert [w.shape for w in dense.get_weights()] == [(3, 4), (4,), (4, 5), (5,), (5, 2), (2,)]
    assert dense._parameters == [p for layer in dense.layers for p in layer.parameters]


# -- finite but absurd hyperparameters (tester's point 2): refused by the constructors, and so by
# -- the loader, which builds through them --------------------------------------------------
ABSURD_CASES = {
    "learning_rate 1e308": (
        ("compile", "optimizer", "learning_rate"),
        1e308,
        r"Expected learning_rate between 1\.18e-38 and 3\.4e\+38 \(an ordinary number in float32, the default dtype\), got 1e\+308",
    ),
    "learning_rate 1e-300": (
        ("compile", "optimizer", "learning_rate"),
        1e-300,  # 0 in float32: the model would never move
        r"Expected learning_rate between 1\.18e-38 and 3\.4e\+38",
    ),
    "epsilon 0": (
        ("compile", "optimizer", "epsilon"),
        0.0,  # divides by zero where a gradient is 0
        r"Expected epsilon between 1\.18e-38 and 3\.4e\+38 .*, got 0\. Use e\.g\. epsilon=1e-7",
    ),
    "epsilon 1e-50": (
        ("compile", "optimizer", "epsilon"),
        1e-50,
        r"epsilon between 1\.18e-38 and 3\.4e\+38",
    ),
    "use_ema": (  # a Keras setting glassnet's optimizers do not have
        ("compile", "optimizer", "use_ema"),
        True,
        r"Unknown setting 'use_ema' for the 'adam' optimizer; its settings are: "
        r"'learning_rate', 'beta_1', 'beta_2', 'epsilon', 'amsgrad', 'weight_decay', "
        r"'clipnorm', 'clipvalue', 'global_clipnorm'",
    ),
    "l2 1e300": (
        ("layers", 0, "kernel_regularizer"),
        {"name": "l2", "l2": 1e300},
        r"Expected l2 between 0 and 3\.4e\+38 .*, got 1e\+300",
    ),
    "l1 unknown key": (
        ("layers", 0, "kernel_regularizer"),
        {"name": "l1", "l2": 0.1},
        r"Unknown setting 'l2' for the 'l1' regularizer; its settings are: 'l1'",
    ),
    "negative_slope 1e300": (
        ("layers", 0, "activation"),
        {"name": "leaky_relu", "negative_slope": 1e300},  # inf in float32: predictions 0.0
        r"Expected LeakyReLU's negative_slope between 0 and 3\.4e\+38 .*, got 1e\+300",
    ),
    "leaky_relu alpha": (
        ("layers", 0, "activation"),
        {"name": "leaky_relu", "alpha": 0.2},
        r"Unknown setting 'alpha' for the 'leaky_relu' activation; its settings are: "
        r"'negative_slope'",
    ),
    "label_smoothing 2": (
        ("compile", "loss", "label_smoothing"),
        2.0,
        r"label_smoothing in \[0, 1\]",
    ),
    "loss unknown key": (
        ("compile", "loss", "ignore_class"),  # a Keras setting glassnet's losses do not have
        0,
        r"Unknown setting 'ignore_class' for the 'binary_crossentropy' loss",
    ),
    "initializer unknown key": (
        ("layers", 0, "kernel_initializer", "gain"),
        2.0,
        r"Unknown setting 'gain' for the 'glorot_uniform' initializer; its settings are: 'seed'",
    ),
    "layer name 100,000 characters": (
        ("layers", 0, "name"),
        "d" * 100_000,
        r"layer 0's name to be 1 to 256 printable characters .* got 'd{79}\.\.\. \(100000 characters\)",
    ),
    "layer name with a newline": (
        ("layers", 1, "name"),
        "out\nFAKE LOG LINE",
        r"layer 1's name to be 1 to 256 printable characters \(no newline",
    ),
    "model name 300 characters": (("name",), "m" * 300, r"the model's name to be 1 to 256"),
    "model name empty": (
        ("name",),
        "",
        r"the model's name to be 1 to 256 .* got '' \(0 characters\)",
    ),
}


@pytest.mark.parametrize(
    ("keys", "value", "message"), ABSURD_CASES.values(), ids=list(ABSURD_CASES)
)
def test_absurd_but_finite_hyperparameters_and_names_are_refused(
    arrays, tmp_path, keys, value, message
) -> None:
    header = header_of(arrays)
    assert header["dtype"] == "float32"
    path = forged(tmp_path, arrays, changed(header, keys, value))
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=message) as info:
        gn.load_model(path)
    assert time.perf_counter() - start < 1
    assert "\n" not in str(info.value) and len(str(info.value)) < 600
    assert "unexpected keyword argument" not in str(info.value)


def test_the_same_bounds_hold_at_the_api() -> None:
    bounds, nonnegative = "between 1.18e-38 and 3.4e+38", "between 0 and 3.4e+38"
    refusals = {
        f"learning_rate {bounds} (an ordinary number in float32, the default dtype), got 1e+308. "
        f"Use e.g. learning_rate=0.01.": lambda: gn.Adam(1e308),
        f"epsilon {bounds} (an ordinary number in float32, the default dtype), got 0.": lambda: (
            gn.Adam(epsilon=0)
        ),
        f"epsilon {bounds} (an ordinary": lambda: gn.RMSprop(epsilon=1e-50),  # 0 in float32
        f"l2 {nonnegative} (an ordinary number in float32, the default dtype), got 1e+300": (
            lambda: gn.regularizers.L2(1e300)
        ),
        f"l1 {nonnegative} (an ordinary number in float32, the default dtype), got 1e+39": (
            lambda: gn.regularizers.L1L2(l1=1e39)
        ),
        f"negative_slope {nonnegative} (an ordinary number in float32, the default dtype), got "
        f"1e+300": lambda: gn.layers.Dense(1, gn.activations.LeakyReLU(1e300)),
        "Dense's name to be 1 to 256 printable": lambda: gn.layers.Dense(1, name="d" * 100_000),
        "the model's name to be 1 to 256 printable": lambda: gn.Sequential(name="a\tb"),
    }
    for words, make in refusals.items():
        with pytest.raises(ValueError) as info:
            make()
        assert words in str(info.value), str(info.value)
        assert "Use e.g." in str(info.value) or "such as 'dense_1'" in str(info.value)
    sgd = gn.SGD(0.1)
    with pytest.raises(ValueError, match=r"learning_rate between 1\.18e-38 and 3\.4e\+38"):
        sgd.learning_rate = 1e39  # the setter LearningRateScheduler goes through
    assert sgd.learning_rate == 0.1


def test_hyperparameters_at_the_bounds_are_taken_and_round_trip(tmp_path) -> None:
    largest, tiny = float(np.finfo(np.float32).max), float(np.finfo(np.float32).tiny)
    assert gn.activations.LeakyReLU(largest).negative_slope == largest
    assert gn.regularizers.L1L2(largest, largest).l2 == largest
    assert gn.SGD(largest).learning_rate == largest  # diverging on purpose stays possible
    net = gn.Sequential(
        [
            gn.Input((2,)),
            gn.layers.Dense(
                3,
                gn.activations.LeakyReLU(1e6),
                kernel_regularizer=gn.regularizers.L2(1e6),
                name="n" * 256,
            ),
            gn.layers.Dense(1, "sigmoid"),
        ],
        seed=0,
        name="m" * 256,
    )
    net.compile(gn.Adam(tiny, epsilon=tiny), "binary_crossentropy")
    net.fit(X, np.array([0, 1, 1, 0]), epochs=1, verbose=0)
    net.save(tmp_path / "edge.glassnet")
    back = gn.load_model(tmp_path / "edge.glassnet")
    assert back.layers[0].name == "n" * 256 and back.optimizer.epsilon == tiny
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
