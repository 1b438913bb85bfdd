"""Model files and image models: every image layer saves and loads bit for bit (BatchNormalization's
moving statistics, Normalization's per-channel mean and variance, the optimizer's state), and the
loader's bounds cover 4-D kernels: a forged header asking for a huge or impossible convolution,
or a kernel stored in another layout, is refused before anything is allocated."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
    Normalization,
    Reshape,
)
from helpers import header_of, read_members, write_members


def every_image_layer_model(x: np.ndarray) -> gn.Sequential:
    normalize = Normalization()
    normalize.adapt(x)  # per channel: mean and variance of shape (2,)
    return gn.Sequential(
        [
            gn.Input((7, 6, 2)),
            normalize,
            Conv2D(4, 3, strides=2, padding="same", activation="relu"),  # (4, 3, 4)
            BatchNormalization(momentum=0.8),
            MaxPooling2D(2, strides=1, padding="same"),  # (4, 3, 4)
            Conv2D(3, 2, use_bias=False),  # (3, 2, 3)
            Dropout(0.3, seed=5),
            AveragePooling2D(2, padding="same"),  # (2, 1, 3)
            Reshape((1, 2, 3)),
            GlobalAveragePooling2D(),  # (3,)
            Dense(4, "tanh"),
            BatchNormalization(scale=False),
            Flatten(),
            Dense(3, "softmax"),
        ],
        seed=0,
    )


def test_every_image_layer_saves_and_loads_bit_for_bit(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 7, 6, 2)) * [1.0, 50.0] + [0.0, 200.0]
    y = np.arange(16) % 3
    model = every_image_layer_model(x)
    model.compile(gn.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.abs(model.layers[2].moving_mean).max() > 0  # the moving statistics moved
    model.save(tmp_path / "m.glassnet")
    loaded = gn.load_model(tmp_path / "m.glassnet")
    assert [layer.get_config() for layer in loaded.layers] == [
        layer.get_config() for layer in model.layers
    ]
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)  # moving mean and variance included
    np.testing.assert_array_equal(loaded.layers[0].mean, model.layers[0].mean)  # per channel
    np.testing.assert_array_equal(loaded.layers[0].variance, model.layers[0].variance)
    assert loaded.layers[0].mean.shape == (2,)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # the optimizer's state and every random stream (Dropout's own) came back too
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def forged(tmp_path, edit_header=None, edit_arrays=None):
    model = gn.Sequential(
        [gn.Input((6, 6, 2)), Conv2D(3, 3), BatchNormalization(), Flatten(), Dense(1)], seed=0
    )
    model.save(tmp_path / "m.glassnet")
    arrays = read_members(tmp_path / "m.glassnet")
    header = header_of(arrays)
    if edit_header is not None:
        edit_header(header)
    if edit_arrays is not None:
        edit_arrays(arrays)
    body = {k: v for k, v in arrays.items() if k != "header"}
    header["checksum"] = gn.io._checksum(header, body)  # a deliberate forgery, sealed again
    write_members(tmp_path / "f.glassnet", arrays, header)
    return tmp_path / "f.glassnet"


def conv(key, value):
    return lambda header: header["layers"][0].__setitem__(key, value)


def huge_images(kernel):
    def edit(header):
        header["input_shape"], header["input_features"] = [10**6, 10**6, 2], 2 * 10**12
        header["layers"][0]["kernel_size"] = kernel

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # a 4-D kernel of 10**5 x 10**5 x 2 x 3 on huge images: over MAX_PARAMETERS, counted first
        (huge_images([10**5, 10**5]), r"declares \d+ parameters; glassnet's model files hold at"),
        (huge_images([300, 300]), r"at most 1000000000 \(glassnet.io.MAX_PARAMETERS\)"),
        # kernel 3*3*2*10**5 + bias 10**5 + BatchNormalization 4*10**5 + Dense 16*10**5 + 1:
        # fewer than MAX_PARAMETERS, more than the file can hold
        (conv("filters", 100_000), r"declares 3900001 parameters, more than the file's \d+ bytes"),
        (conv("kernel_size", [7, 7]), r"7x7 window, larger than its input \(None, 6, 6, 2\)"),
        (conv("kernel_size", [10**6, 10**6]), r"1000000x1000000 window, larger than its input"),
        (conv("kernel_size", [3.5, 3]), r"kernel_size to be a positive integer .* got \[3.5, 3\]"),
        (conv("strides", [0, 1]), r"strides to be a positive integer .* got \[0, 1\]"),
    ],
)
def test_forged_convolution_headers_are_refused_before_allocating(tmp_path, edit, message):
    with pytest.raises(gn.io.ModelFileError, match=message):
        gn.load_model(forged(tmp_path, edit_header=edit))


@pytest.mark.parametrize(
    ("change", "shape"),
    [
        (lambda kernel: kernel.transpose(3, 2, 0, 1).copy(), r"\(3, 2, 3, 3\)"),  # torch's layout
        (lambda kernel: kernel.reshape(1, 3, 3, 2, 3), r"\(1, 3, 3, 2, 3\)"),
        (lambda kernel: kernel.reshape(18, 3), r"\(18, 3\)"),
    ],
)
def test_a_kernel_stored_in_another_shape_is_refused(tmp_path, change, shape) -> None:
    def edit(arrays):
        arrays["weights/0"] = change(arrays["weights/0"])

    with pytest.raises(
        gn.io.ModelFileError,
        match=rf"weights/0 array has shape {shape}, but the architecture "
        r"expects \(3, 3, 2, 3\)",
    ):
        gn.load_model(forged(tmp_path, edit_arrays=edit))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("momentum", 2.0, r"momentum to be a finite number in \[0, 1\], got 2.0"),
        ("axis", 7, r"axis to be a channel axis: -1 .* got 7"),
        ("epsilon", 0.0, r"epsilon greater than 0"),
    ],
)
def test_forged_batchnormalization_settings_are_refused(tmp_path, key, value, message) -> None:
    def edit(header):
        header["layers"][1][key] = value

    with pytest.raises(gn.io.ModelFileError, match=message):
        gn.load_model(forged(tmp_path, edit_header=edit))
