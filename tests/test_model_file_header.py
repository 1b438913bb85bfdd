"""What a .glassnet file's header says, and the save/load checks around it (`make mutate`'s `io`).

The header is read back from the saved file itself (tests/helpers.read_members): the fields a
later glassnet (or another reader) depends on, the save-time refusals with their whole message,
and forged headers that the loader must refuse by name.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import stat
import struct
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import _header_bounds
from glassnet import io as model_io
from glassnet._validation import shown
from glassnet.io import ModelFileError
from glassnet.layers import BatchNormalization, Dense, Dropout, Flatten
from helpers import header_of, read_members, write_members


def image_model() -> gn.Sequential:
    """An image input, a layer with moving statistics, a seeded Dropout, a metric object."""
    model = gn.Sequential(
        [
            gn.Input((4, 4, 1)),
            Flatten(),
            Dense(3),
            BatchNormalization(),
            Dropout(0.5, seed=7),
            Dense(1, "sigmoid"),
        ],
        seed=0,
    )
    model.compile("adam", "binary_crossentropy", metrics=[gn.metrics.Precision()])
    return model


def forged(tmp_path, arrays: dict, header: dict):
    """A sealed file of ``arrays`` with ``header`` re-signed, as a forger could write it."""
    body = {name: array for name, array in arrays.items() if name != "header"}
    header = dict(header, checksum=model_io._checksum(header, body))
    return write_members(tmp_path / "forged.glassnet", dict(arrays), header)


def test_the_header_names_the_input_shape_the_statistics_the_streams_and_the_metrics(
    tmp_path,
) -> None:
    path = tmp_path / "m.glassnet"
    image_model().save(path)
    header = header_of(read_members(path))
    assert header["glassnet_version"] == gn.__version__
    assert header["input_features"] == 16
    assert header["input_shape"] == [4, 4, 1]
    # Dense's kernel and bias, BatchNormalization's gamma and beta (trained) and its moving mean
    # and variance (not trained), the last Dense's kernel and bias
    assert header["trainable"] == [True, True, True, True, False, False, True, True]
    # the seeded Dropout draws from its own stream, saved under its name; the model's own too
    assert list(header["layer_rngs"]) == ["dropout"]
    assert header["layer_rngs"]["dropout"]["bit_generator"] == "PCG64"
    assert header["compile"]["metric_objects"] == [{"name": "precision", "thresholds": 0.5}]


def test_a_flat_model_has_no_input_shape_and_no_metric_objects(tmp_path) -> None:
    model = gn.Sequential([gn.Input((1,)), Dense(1)], seed=0)  # one input feature
    model.compile("sgd", "mse", metrics=["mae"])
    path = tmp_path / "m.glassnet"
    model.save(path)
    header = header_of(read_members(path))
    assert header["input_features"] == 1
    assert "input_shape" not in header and "metric_objects" not in header["compile"]
    assert header["layer_rngs"] == {}
    loaded = gn.load_model(path)
    np.testing.assert_array_equal(loaded.predict(np.array([[2.0]])), model.predict([[2.0]]))


def test_a_loaded_model_continues_each_random_stream(tmp_path) -> None:
    model = image_model()
    rng = np.random.default_rng(1)
    x, y = rng.random((6, 4, 4, 1)), rng.integers(0, 2, (6, 1))
    model.train_on_batch(x, y)
    path = tmp_path / "m.glassnet"
    model.save(path)
    loaded = gn.load_model(path)
    assert loaded.metric_objects[0].get_config() == {"name": "precision", "thresholds": 0.5}
    assert loaded.layers[2].moving_variance.tolist() == model.layers[2].moving_variance.tolist()
    # the next Dropout mask, drawn from the seeded layer's own stream, is the same after loading
    ones = np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(
        loaded.layers[3].forward(ones, training=True), model.layers[3].forward(ones, training=True)
    )


def test_every_member_is_written_zip64(tmp_path) -> None:
    # zipfile refuses to let a member grow past 2 GiB unless it was opened with force_zip64:
    # a model of up to MAX_PARAMETERS (10**9 float32 = 4 GB) must be writable in one go
    path = tmp_path / "m.glassnet"
    image_model().save(path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            offset = info.header_offset
            name_length, extra_length = struct.unpack("<HH", raw[offset + 26 : offset + 30])
            extra = raw[offset + 30 + name_length : offset + 30 + name_length + extra_length]
            assert extra[:2] == b"\x01\x00", info.filename  # the zip64 extra field's tag


def test_a_seed_of_forty_one_digits_is_not_kept_but_the_model_saves(tmp_path) -> None:
    # the header's integers have at most 40 digits: 10**40 (41 digits) is left out as a number;
    # the generator's state, saved beside it, is what the loaded model continues
    model = gn.Sequential([gn.Input((2,)), Dense(1)], seed=10**40)
    path = tmp_path / "m.glassnet"
    model.save(path)
    assert header_of(read_members(path))["seed"] is None
    model = gn.Sequential([gn.Input((2,)), Dense(1)], seed=10**40 - 1)
    model.save(path)
    assert header_of(read_members(path))["seed"] == 10**40 - 1


def test_save_refuses_a_model_over_the_layer_limit_by_path(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(_header_bounds, "MAX_LAYERS", 1)
    model = gn.Sequential([gn.Input((2,)), Dense(2), Dense(1)])
    path = tmp_path / "m.glassnet"
    with pytest.raises(ModelFileError) as caught:
        model.save(path)
    assert str(caught.value) == (
        f"{str(path)!r}: the model has 2 layers; glassnet's model files hold at most 1 "
        f"(glassnet.io.MAX_LAYERS), so it cannot save this one."
    )
    assert not path.exists()


def test_save_refuses_a_name_load_would_refuse(tmp_path) -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(1)])
    model.name = "x\ny"
    path = tmp_path / "m.glassnet"
    with pytest.raises(ModelFileError) as caught:
        model.save(path)
    assert str(caught.value) == (
        f"Cannot save the model to {str(path)!r}: Expected the model's name to be 1 to 256 "
        f"printable characters (no newline or control code), got 'x\\ny' (3 characters). "
        f"Choose a short name such as 'dense_1'."
    )


def test_a_header_of_exactly_the_limit_saves_and_one_byte_more_does_not(
    tmp_path, monkeypatch
) -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(1)], seed=0)
    size = model_io.header_size(model)
    path = tmp_path / "m.glassnet"
    monkeypatch.setattr(model_io, "MAX_HEADER_BYTES", size)
    model.save(path)  # exactly at the limit: written
    assert len(read_members(path)["header"]) == size
    monkeypatch.setattr(model_io, "MAX_HEADER_BYTES", size - 1)
    with pytest.raises(ModelFileError) as caught:
        model.save(tmp_path / "n.glassnet")
    assert str(caught.value) == (
        f"Cannot save the model: its JSON header would be {size} bytes, more than the "
        f"{size - 1} a model file may hold (a Normalization layer keeps its mean and variance "
        f"there, about 40 bytes per feature; long layer names count too). Use fewer features or "
        f"shorter names."
    )


def test_saving_over_a_file_keeps_its_mode(tmp_path) -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(1)], seed=0)
    path = tmp_path / "m.glassnet"
    model.save(path)
    os.chmod(path, 0o600)
    model.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.fixture(scope="module")
def members(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("header") / "m.glassnet"
    image_model().save(path)
    return read_members(path)


def _load_with(tmp_path, members: dict, change) -> str:
    header = copy.deepcopy(header_of(members))
    change(header)
    path = forged(tmp_path, members, header)
    with pytest.raises(ModelFileError) as caught:
        gn.load_model(path)
    return str(caught.value).replace(repr(str(path)), "PATH")


def test_a_forged_input_features_of_zero_is_refused(tmp_path, members) -> None:
    def change(header: dict) -> None:
        header["input_features"] = 0
        del header["input_shape"]

    assert _load_with(tmp_path, members, change) == (
        "PATH: input_features must be positive, got 0."
    )


def test_a_forged_input_shape_is_refused_by_path(tmp_path, members) -> None:
    def change(header: dict) -> None:
        header["input_shape"] = [4, 4, 2]

    assert _load_with(tmp_path, members, change) == (
        "PATH: the header's input_shape must be [height, width, channels], positive integers "
        "whose product is input_features (16), found [4, 4, 2]."
    )


@pytest.mark.parametrize("value", ["precision", [{"name": "precision"}] * 101])
def test_forged_metric_objects_are_refused(tmp_path, members, value) -> None:
    def change(header: dict) -> None:
        header["compile"]["metric_objects"] = value

    assert _load_with(tmp_path, members, change) == (
        "PATH: the header's metric_objects must be a list of at most 100 metric configs."
    )


def test_a_hundred_metric_objects_pass_the_count_check(tmp_path, members) -> None:
    # 100 is the limit itself: the count passes, and the duplicate names are what is refused
    def change(header: dict) -> None:
        header["compile"]["metric_objects"] = [{"name": "precision", "thresholds": 0.5}] * 100

    assert _load_with(tmp_path, members, change) == (
        "PATH: the header describes no valid model (Two metrics would be reported as "
        "'precision'; give each metric once (a metric object reports under its name, e.g. "
        "Precision() as 'precision').)."
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "mae",
            "PATH: the header's weighted_metrics must be a list of at most 100 metric names or "
            "configs.",
        ),
        (
            ["mae"] * 101,
            "PATH: the header's weighted_metrics must be a list of at most 100 metric names or "
            "configs.",
        ),
        (
            ["<script>"],
            "PATH: the header describes no valid model (Unknown metric '<script>' in "
            "weighted_metrics. Valid names: 'accuracy', 'mse', 'mae', 'mape', 'auc', "
            "'precision', 'recall', 'root_mean_squared_error', 'binary_crossentropy' and more "
            "(glassnet.metrics.METRICS and STATEFUL list them all).).",
        ),
        (
            [None],
            "PATH: the header describes no valid model (Expected a metric config, a dict with a "
            "'name' entry, got None.).",
        ),
        (
            ["mae", "mae"],
            "PATH: the header describes no valid model (weighted_metrics would report two "
            "metrics as 'mae' (a name given twice). Give each weighted metric once; the same "
            "metric in metrics=[...] and weighted_metrics=[...] is fine (its weighted one is "
            "'weighted_mae'), and two of one kind need their own names, e.g. "
            "MeanAbsoluteError(name='mae_2').).",
        ),
    ],
)
def test_forged_weighted_metrics_are_refused(tmp_path, members, value, message) -> None:
    def change(header: dict) -> None:
        header["compile"]["weighted_metrics"] = value

    assert _load_with(tmp_path, members, change) == message


def test_weighted_metrics_in_the_header_are_names_and_configs(tmp_path) -> None:
    model = image_model()
    model.compile(
        "adam",
        "binary_crossentropy",
        metrics=[gn.metrics.Precision()],
        weighted_metrics=["precision", gn.metrics.Recall(thresholds=0.3, name="r3")],
    )
    model.save(tmp_path / "m.glassnet")
    header = header_of(read_members(tmp_path / "m.glassnet"))
    assert header["compile"]["weighted_metrics"] == [
        "precision",
        {"name": "r3", "class_name": "Recall", "thresholds": 0.3},
    ]
    loaded = gn.load_model(tmp_path / "m.glassnet")
    assert [key for key, _ in loaded.weighted_metrics] == ["weighted_precision", "r3"]


def test_a_header_without_trainable_flags_is_refused_when_some_are_not_trained(
    tmp_path, members
) -> None:
    def change(header: dict) -> None:
        del header["trainable"]  # read as all trained: BatchNormalization's statistics are not

    assert _load_with(tmp_path, members, change) == (
        "PATH: the header's trainable flags None do not match its architecture's "
        "[True, True, True, True, False, False, True, True]; the header was changed."
    )


def _set(key, value):
    def change(header: dict) -> None:
        header[key] = value

    return change


def _drop(key):
    def change(header: dict) -> None:
        del header[key]

    return change


def _compile(value):
    def change(header: dict) -> None:
        header["compile"] = value

    return change


def _first_layer_name(header: dict) -> None:
    header["layers"][0]["name"] = "x\ny"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("format", "glassnet-weights"),
            "PATH holds weights only (model.save_weights), not a whole model. Build the model as "
            "it was built, then call model.load_weights(path).",
        ),
        (_drop("format"), "PATH is not a glassnet model file (its header has no format)."),
        (
            _set("format_version", 2),
            f"PATH has format version 2; this glassnet {gn.__version__} reads version 1. Save the "
            f"model again with this glassnet, or install the glassnet that wrote it (it says "
            f"{gn.__version__!r}).",
        ),
        (_set("weights", "8"), "PATH: header field 'weights' should be a int, found '8'."),
        (_set("weights", True), "PATH: header field 'weights' should be a int, found True."),
        (_set("dtype", "float16"), "PATH: dtype must be float32 or float64, got 'float16'."),
        (
            _set("name", "x\ny"),
            "PATH: Expected the model's name to be 1 to 256 printable characters (no newline or "
            "control code), got 'x\\ny' (3 characters). Choose a short name such as 'dense_1'.",
        ),
        (
            _first_layer_name,
            "PATH: Expected layer 0's name to be 1 to 256 printable characters (no newline or "
            "control code), got 'x\\ny' (3 characters). Choose a short name such as 'dense_1'.",
        ),
        (
            _compile({"slots": {"first_moments": "x"}, "metrics": []}),
            "PATH: the header's compile settings are malformed.",
        ),
        (_compile({"metrics": []}), "PATH: the header's compile settings are malformed."),
        (
            _set("input_shape", [-4, -4, 1]),
            "PATH: the header's input_shape must be [height, width, channels], positive integers "
            "whose product is input_features (16), found [-4, -4, 1].",
        ),
    ],
    ids=[
        "weights-file",
        "no-format",
        "version",
        "str-int",
        "bool-int",
        "dtype",
        "model-name",
        "layer-name",
        "slot-not-list",
        "no-slots",
        "negative-shape",
    ],
)
def test_forged_header_fields_are_refused_by_name(tmp_path, members, change, message) -> None:
    assert _load_with(tmp_path, members, change) == message


def test_a_forged_random_state_is_refused_naming_the_stream(tmp_path, members) -> None:
    message = _load_with(tmp_path, members, _set("rng", {"bit_generator": "MT19937"}))
    assert message.startswith("PATH: random state 'rng'")


def test_an_image_model_loads_with_its_image_shape(tmp_path) -> None:
    model = image_model()
    path = tmp_path / "m.glassnet"
    model.save(path)
    loaded = gn.load_model(path)
    x = np.random.default_rng(2).random((3, 4, 4, 1))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_weights_with_nan_are_not_saved_and_the_message_says_save(tmp_path) -> None:
    model = gn.Sequential([gn.Input((2,)), Dense(1)], seed=0)
    model.layers[0].bias[0] = np.nan
    with pytest.raises(ModelFileError) as caught:
        model.save(tmp_path / "m.glassnet")
    assert str(caught.value) == (
        "Cannot save: weight array 1 holds NaN or inf (training diverged). Rebuild or reload the "
        "model, and train with a smaller learning rate."
    )


def test_a_random_state_for_a_layer_without_a_stream_is_ignored(tmp_path, members) -> None:
    # only a layer with its own generator (a seeded Dropout) takes a saved state
    header = copy.deepcopy(header_of(members))
    header["layer_rngs"]["dense"] = header["layer_rngs"]["dropout"]
    loaded = gn.load_model(forged(tmp_path, members, header))
    assert loaded.layers[1].name == "dense" and not hasattr(loaded.layers[1], "rng")


# -- the archive's members, read one by one --------------------------------------------------
def _npy(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version, allow_pickle=False)
    return buffer.getvalue()


def raw_file(tmp_path, members: dict[str, bytes]):
    """A sealed archive of raw member bytes (name without .npy -> the .npy file's bytes)."""
    path = tmp_path / "raw.glassnet"
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = model_io.SEAL_PREFIX + b"0" * 64
        for name, data in members.items():
            archive.writestr(name + ".npy", data)
    with open(path, "r+b") as file:
        model_io._seal(file)
    return path


def _refusal(path) -> str:
    with pytest.raises(ModelFileError) as caught:
        gn.load_model(path)
    return str(caught.value).replace(repr(str(path)), "PATH")


def _signed(members: dict, change=None) -> dict[str, bytes]:
    """Every member as .npy bytes, the header re-signed over the (changed) arrays."""
    arrays = {name: array for name, array in members.items() if name != "header"}
    header = copy.deepcopy(header_of(members))
    if change is not None:
        change(arrays)
    header["checksum"] = model_io._checksum(header, arrays)
    text = np.frombuffer(json.dumps(header).encode(), np.uint8)
    return {"header": _npy(text), **{name: _npy(array) for name, array in arrays.items()}}


def test_a_file_without_a_header_is_refused(tmp_path, members) -> None:
    raw = _signed(members)
    del raw["header"]
    assert _refusal(raw_file(tmp_path, raw)) == (
        "PATH has no glassnet header (header.npy); it is not a file written by model.save(path)."
    )


def test_a_header_member_of_exactly_the_limit_loads_and_one_byte_less_is_refused(
    tmp_path, members, monkeypatch
) -> None:
    raw = _signed(members)
    path = raw_file(tmp_path, raw)
    size = len(raw["header"])  # the .npy member's bytes, its own header included
    monkeypatch.setattr(model_io, "MAX_HEADER_BYTES", size)
    assert gn.load_model(path).count_params() == image_model().count_params()
    monkeypatch.setattr(model_io, "MAX_HEADER_BYTES", size - 1)
    assert _refusal(path) == (
        f"The header array declares {size} bytes, more than the {size - 1} expected."
    )


def test_a_header_integer_of_forty_one_digits_is_refused_by_path(tmp_path, members) -> None:
    assert _load_with(tmp_path, members, _set("seed", 10**40)) == (
        "PATH: the header holds a 41-digit integer; a glassnet header's integers have at most "
        "40 digits."
    )


def test_forged_optimizer_slots_are_refused_by_path(tmp_path, members) -> None:
    def change(header: dict) -> None:
        header["compile"]["slots"] = {"velocity": [True]}

    assert _load_with(tmp_path, members, change).startswith(
        "PATH: the header's optimizer slots should be ['first_moments', 'second_moments', "
        "'max_second_moments'], each a list of true/false flags"
    )


def test_missing_and_unexpected_members_are_named(tmp_path, members) -> None:
    raw = _signed(members)
    raw["extra"] = raw.pop("weights/7")
    assert _refusal(raw_file(tmp_path, raw)) == (
        "PATH: the archive's members do not match its header (missing: ['weights/7.npy']; "
        "unexpected: ['extra.npy']). The file was changed after it was saved."
    )
    raw = _signed(members)
    raw["extra"] = raw["weights/7"]
    assert _refusal(raw_file(tmp_path, raw)) == (
        "PATH: the archive's members do not match its header (missing: -; unexpected: "
        "['extra.npy']). The file was changed after it was saved."
    )


def _replace(name: str, array: np.ndarray):
    def change(arrays: dict) -> None:
        arrays[name] = array

    return change


@pytest.mark.parametrize(
    ("name", "array", "message"),
    [
        (
            "weights/1",
            np.zeros((3, 1), np.float32),
            "The weights/1 array has shape (3, 1), but the architecture expects (3,).",
        ),
        (
            "weights/1",
            np.zeros(3, np.complex64),
            "The weights/1 array has dtype complex64 (fortran order: False); expected a plain "
            "float array. Model files never hold Python objects.",
        ),
        ("weights/1", np.zeros(3), "PATH: weight array 1 must be float32, found float64."),
        (
            "weights/1",
            np.array([0.0, np.nan, 0.0], np.float32),
            "PATH: Layer 'dense' bias must be finite real numbers.",
        ),
    ],
    ids=["rank", "complex", "float64", "nan"],
)
def test_a_forged_weight_array_is_refused_by_name(tmp_path, members, name, array, message) -> None:
    path = raw_file(tmp_path, _signed(members, _replace(name, array)))
    assert _refusal(path) == message


def test_a_member_that_is_not_npy_is_refused(tmp_path, members) -> None:
    raw = _signed(members)
    raw["weights/1"] = b"not an array"
    assert _refusal(raw_file(tmp_path, raw)).startswith(
        "The weights/1 array is not a valid .npy array ("
    )


def test_npy_version_two_members_are_read(tmp_path, members) -> None:
    raw = _signed(members)
    raw["weights/1"] = _npy(members["weights/1"], version=(2, 0))
    loaded = gn.load_model(raw_file(tmp_path, raw))
    np.testing.assert_array_equal(loaded.layers[1].bias, members["weights/1"])


@pytest.fixture(scope="module")
def deep_members(tmp_path_factory) -> dict:
    """BatchNormalization after two Dense layers: its moving variance is weight array 7."""
    model = gn.Sequential(
        [gn.Input((2,)), Dense(3), Dense(3), BatchNormalization(), Dense(1)], seed=0
    )
    model.compile("sgd", "mse")
    path = tmp_path_factory.mktemp("deep") / "m.glassnet"
    model.save(path)
    return read_members(path)


def test_a_negative_moving_variance_is_refused_naming_its_array(tmp_path, deep_members) -> None:
    variance = np.array([1.0, -1.0, 1.0], np.float32)
    path = raw_file(tmp_path, _signed(deep_members, _replace("weights/7", variance)))
    assert _refusal(path) == (
        "PATH: layer 'batch_normalization' (BatchNormalization) has a negative moving variance "
        "(weight array 7); a variance is >= 0. The file was changed after it was saved."
    )


def test_a_zero_or_small_moving_variance_and_negative_weights_elsewhere_load(
    tmp_path, deep_members
) -> None:
    def change(arrays: dict) -> None:
        arrays["weights/7"] = np.array([0.0, 0.5, 2.0], np.float32)  # variance: >= 0 is fine
        for i in (0, 1, 2, 3, 4, 5, 6, 8, 9):  # every other array negative
            arrays[f"weights/{i}"] = -np.ones_like(arrays[f"weights/{i}"])

    loaded = gn.load_model(raw_file(tmp_path, _signed(deep_members, change)))
    assert loaded.layers[2].moving_variance.tolist() == [0.0, 0.5, 2.0]
    assert loaded.layers[3].bias.tolist() == [-1.0]


def test_load_refuses_a_model_over_the_parameter_limit_by_path(
    tmp_path, members, monkeypatch
) -> None:
    path = forged(tmp_path, members, header_of(members))
    monkeypatch.setattr(_header_bounds, "MAX_PARAMETERS", 10)
    assert _refusal(path) == (
        "PATH: the header declares 67 parameters; glassnet's model files hold at most 10 "
        "(glassnet.io.MAX_PARAMETERS), so it cannot load this one."
    )


def test_a_weight_count_that_disagrees_with_the_architecture_is_refused(tmp_path, members) -> None:
    assert _load_with(tmp_path, members, _set("weights", 9)) == (
        "PATH: the architecture has 8 weight arrays but the header lists 9."
    )


def test_trainable_flags_that_disagree_are_shown_cut_to_sixty_characters(
    tmp_path, deep_members
) -> None:
    flags = [False] * 10
    assert _load_with(tmp_path, deep_members, _set("trainable", flags)) == (
        f"PATH: the header's trainable flags {shown(flags, 60)} do not match its architecture's "
        f"{shown([True] * 6 + [False] * 2 + [True] * 2, 60)}; the header was changed."
    )
    assert shown(flags, 60).endswith("... (70 characters)")  # cut: the limit is what is tested


def test_a_file_without_trainable_flags_loads_when_every_weight_is_trained(tmp_path) -> None:
    # files written before the flags existed: every weight trained, as the default says
    model = gn.Sequential([gn.Input((2,)), Dense(1)], seed=0)
    path = tmp_path / "m.glassnet"
    model.save(path)
    members = read_members(path)
    header = header_of(members)
    del header["trainable"]
    loaded = gn.load_model(forged(tmp_path, members, header))
    np.testing.assert_array_equal(loaded.layers[0].kernel, model.layers[0].kernel)


# -- the seal and the archive around the members ---------------------------------------------
def test_a_path_that_is_not_a_path_is_named_as_the_model_files() -> None:
    with pytest.raises(TypeError) as caught:
        gn.load_model(123)
    assert str(caught.value) == (
        "Expected the model file's path to be a file path (a str or pathlib.Path), got int 123. "
        "Pass e.g. 'model.glassnet'."
    )


def test_the_seal_is_the_sha256_of_every_byte_before_it(tmp_path) -> None:
    path = tmp_path / "m.glassnet"
    image_model().save(path)
    raw = path.read_bytes()
    assert raw[-64 - 16 : -64] == b"glassnet-sha256:"
    assert raw[-64:] == hashlib.sha256(raw[:-64]).hexdigest().encode("ascii")


def test_a_changed_byte_breaks_the_seal_with_its_message(tmp_path) -> None:
    path = tmp_path / "m.glassnet"
    image_model().save(path)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    assert _refusal(path) == (
        "PATH: the file's SHA-256 seal does not match its bytes; it was truncated, damaged or "
        "changed after it was saved. Save the model again from its source."
    )


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (
            22 + 16 + 64 - 1,
            "PATH is 101 bytes, too short for a glassnet model file: it is truncated, or not a "
            "file written by model.save(path).",
        ),
        (
            22 + 16 + 64,
            "PATH is not a glassnet model file, or it is truncated: it does not end with "
            "glassnet's seal. Expected a file written by model.save(path).",
        ),
    ],
)
def test_the_shortest_file_the_seal_needs(tmp_path, size, message) -> None:
    # a zip end record (22 bytes), the seal's prefix (16) and the seal (64): anything shorter
    # is too short; exactly that many bytes are read and found not to be a seal
    path = tmp_path / "short.glassnet"
    path.write_bytes(b"x" * size)
    assert _refusal(path) == message


def test_a_sealed_file_that_is_not_a_zip_is_refused(tmp_path) -> None:
    path = tmp_path / "junk.glassnet"
    body = b"junk" * 40 + b"glassnet-sha256:"
    path.write_bytes(body + hashlib.sha256(body).hexdigest().encode("ascii"))
    assert _refusal(path) == (
        "PATH is not a glassnet model file, or it is truncated or corrupt (File is not a zip "
        "file). Expected a .npz archive written by model.save(path)."
    )


def test_a_header_of_the_wrong_rank_names_the_any_length_axis(tmp_path, members) -> None:
    raw = _signed(members)
    header = np.lib.format.read_array(io.BytesIO(raw["header"]))
    raw["header"] = _npy(header.reshape(1, -1))
    assert _refusal(raw_file(tmp_path, raw)) == (
        f"The header array has shape (1, {header.size}), but the architecture expects ('n',)."
    )


def test_a_member_with_more_bytes_than_it_declares_is_refused(tmp_path, members) -> None:
    raw = _signed(members)
    raw["weights/1"] += b"\x00" * 4  # bias: 3 float32 declared, 4 stored
    assert _refusal(raw_file(tmp_path, raw)) == (
        "The weights/1 array should hold 12 bytes, found 13: the file is truncated or corrupt."
    )


def test_only_a_missing_member_is_named_as_missing(tmp_path, members) -> None:
    raw = _signed(members)
    del raw["weights/7"]
    assert _refusal(raw_file(tmp_path, raw)) == (
        "PATH: the archive's members do not match its header (missing: ['weights/7.npy']; "
        "unexpected: -). The file was changed after it was saved."
    )


def test_the_seal_covers_the_last_byte_after_a_whole_mebibyte(tmp_path) -> None:
    # the seal is read in 1 MiB chunks: with 1 MiB + 1 bytes before it, the last chunk is one
    # byte, and the seal must still cover it (then the file is found not to be a zip)
    body = b"j" * ((1 << 20) + 1 - 16) + b"glassnet-sha256:"
    path = tmp_path / "big.glassnet"
    path.write_bytes(body + hashlib.sha256(body).hexdigest().encode("ascii"))
    assert _refusal(path) == (
        "PATH is not a glassnet model file, or it is truncated or corrupt (File is not a zip "
        "file). Expected a .npz archive written by model.save(path)."
    )
