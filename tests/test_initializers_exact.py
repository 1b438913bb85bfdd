"""Ones, Constant(value), Identity(gain), LecunUniform: Keras's initializers by string and by
object, in Dense and Conv2D as kernel and bias, kept in model files.

Before, "ones", "identity" and "lecun_uniform" were unknown names (gn.initializers.Ones said
"for ones, use Constant(1.0)"). The deterministic ones are compared with the weights Keras
3.15.1 (KERAS_BACKEND=torch, float32) builds for the same layer, here at test time.
"""

from __future__ import annotations

import math
import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers as init

#: (glassnet's initializer, Keras's) by string and by object; each makes exact numbers
EXACT = {
    "ones": ("ones", "ones"),
    "Ones()": (init.Ones(), keras.initializers.Ones()),
    # value 0.0, Keras's default (its own string "constant" fails: KeyError 'value', in
    # Constant.from_config, Keras 3.15.1; glassnet takes it)
    "constant": ("constant", keras.initializers.Constant()),
    "Constant(0.25)": (init.Constant(0.25), keras.initializers.Constant(0.25)),
    "Constant(-3)": (init.Constant(-3), keras.initializers.Constant(-3)),
    "zeros": ("zeros", "zeros"),
}
IDENTITY = {
    "identity": ("identity", "identity"),
    "Identity(2.5)": (init.Identity(gain=2.5), keras.initializers.Identity(gain=2.5)),
    "IdentityInitializer(-1)": (
        init.IdentityInitializer(-1.0),
        keras.initializers.IdentityInitializer(-1.0),
    ),
}


def dense_pair(kernel, bias, units: int = 3) -> tuple[list, list]:
    ours = gn.Sequential(
        [
            gn.Input((4,)),
            gn.layers.Dense(units, kernel_initializer=kernel[0], bias_initializer=bias[0]),
        ]
    )
    theirs = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(units, kernel_initializer=kernel[1], bias_initializer=bias[1])]
    )  # fmt: skip
    return ours.get_weights(), theirs.get_weights()


@pytest.mark.parametrize("name", EXACT)
def test_exact_initializers_give_kerass_weights_in_dense_and_conv2d(name) -> None:
    pair = EXACT[name]
    ours, theirs = dense_pair(pair, pair)
    for got, expected in zip(ours, theirs, strict=True):
        assert got.dtype == expected.dtype == np.float32
        np.testing.assert_array_equal(got, expected)
    conv = gn.Sequential(
        [
            gn.Input((5, 5, 2)),
            gn.layers.Conv2D(3, 2, kernel_initializer=pair[0], bias_initializer=pair[0]),
        ]
    )
    twin = keras.Sequential(
        [keras.Input((5, 5, 2)), keras.layers.Conv2D(3, 2, kernel_initializer=pair[1], bias_initializer=pair[1])]
    )  # fmt: skip
    for got, expected in zip(conv.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", IDENTITY)
@pytest.mark.parametrize("units", [3, 4, 6])  # fewer, as many and more units than inputs
def test_identity_gives_kerass_kernel_and_only_for_2d_weights(name, units) -> None:
    pair = IDENTITY[name]
    ours, theirs = dense_pair(pair, EXACT["ones"], units)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[0].shape == (4, units)


@pytest.mark.parametrize("where", ["bias_initializer", "conv kernel"])
def test_identity_for_a_bias_or_a_conv_kernel_is_refused_as_keras_refuses_it(where) -> None:
    if where == "bias_initializer":
        layer = gn.layers.Dense(3, bias_initializer="identity")
        twin = keras.layers.Dense(3, bias_initializer="identity")
        shape, rank = "(3,)", 1
    else:
        layer = gn.layers.Conv2D(3, 2, kernel_initializer="identity")
        twin = keras.layers.Conv2D(3, 2, kernel_initializer="identity")
        shape, rank = "(2, 2, 2, 3)", 4
    with pytest.raises(ValueError) as caught:
        gn.Sequential([gn.Input((4,) if rank == 1 else (5, 5, 2)), layer])
    assert str(caught.value) == (
        f"Identity makes a 2-D weight (a Dense kernel of shape (n_in, units)), as Keras's, got "
        f"shape {shape} of rank {rank}. Use it as a Dense layer's kernel_initializer (not for a "
        f"bias or a Conv2D kernel)."
    )
    with pytest.raises(ValueError, match="can only be used for 2D matrices"):  # Keras's own
        keras.Sequential([keras.Input((4,) if rank == 1 else (5, 5, 2)), twin])


def test_lecun_uniform_has_kerass_limit_and_spread() -> None:
    shape = (400, 300)
    ours = init.get("lecun_uniform")(shape, np.float32, np.random.default_rng(0))
    theirs = keras.ops.convert_to_numpy(keras.initializers.LecunUniform(seed=1)(shape))
    limit = math.sqrt(3 / 400)  # sqrt(3 * scale / fan_in), scale 1
    for values in (ours, theirs):
        assert np.abs(values).max() <= limit
        assert np.abs(values).max() > 0.99 * limit
        assert abs(values.std() - limit / math.sqrt(3)) < 0.01 * limit  # 120,000 draws
    conv = init.LecunUniform(seed=3)((3, 3, 16, 32), np.float64, None)
    assert np.abs(conv).max() <= math.sqrt(3 / (3 * 3 * 16))  # fan_in counts kh * kw
    np.testing.assert_array_equal(conv, init.LecunUniform(seed=3)((3, 3, 16, 32), np.float64, None))


@pytest.mark.parametrize(
    "kernel",
    ["ones", init.Ones(), init.Constant(0.5), "identity", init.Identity(-2.0),
     init.LecunUniform(seed=4), "lecun_uniform"],
)  # fmt: skip
def test_new_initializers_are_kept_in_model_files(kernel, tmp_path) -> None:
    model = gn.Sequential(
        [
            gn.Input((4,)),
            gn.layers.Dense(4, kernel_initializer=kernel, bias_initializer=init.Constant(0.1)),
            gn.layers.Dense(1, bias_initializer="ones"),
        ],
        seed=0,
    )
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet")
    for layer, loaded in zip(model.layers, again.layers, strict=True):
        for key in ("kernel_initializer", "bias_initializer"):
            assert type(getattr(loaded, key)) is type(getattr(layer, key))
            assert getattr(loaded, key).get_config() == getattr(layer, key).get_config()
    for got, expected in zip(again.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert again.layers[1].bias_initializer.get_config() == {"name": "ones"}
    assert gn.models.model_from_json(model.to_json()).layers[0].kernel_initializer.get_config() == (
        model.layers[0].kernel_initializer.get_config()
    )


def test_conv2d_keeps_ones_and_constant_in_model_files(tmp_path) -> None:
    model = gn.Sequential(
        [gn.Input((5, 5, 1)),
         gn.layers.Conv2D(2, 3, kernel_initializer="ones", bias_initializer=init.Constant(-0.5))],
    )  # fmt: skip
    model.save(tmp_path / "c.glassnet")
    again = gn.load_model(tmp_path / "c.glassnet")
    assert again.layers[0].kernel_initializer.get_config() == {"name": "ones"}
    assert again.layers[0].bias_initializer.get_config() == {"name": "constant", "value": -0.5}
    np.testing.assert_array_equal(again.layers[0].kernel, np.ones((3, 3, 1, 2), np.float32))
    np.testing.assert_array_equal(again.layers[0].bias, [-0.5, -0.5])


SCALAR_CASES = [
    (float("nan"), ValueError, "expects a finite number for {s}, got nan; a NaN, infinite or "
     "beyond-float64 weight would make every output NaN. Use e.g. {example}."),
    (float("inf"), ValueError, "expects a finite number for {s}, got inf;"),
    (-float("inf"), ValueError, "expects a finite number for {s}, got -inf;"),
    (10**400, ValueError, "expects a finite number for {s}, got an integer of about 401 digits;"),
    ("<b>1</b>", TypeError, "expects a number for {s}, got str '<b>1</b>'. Use e.g. {example}."),
    ("1.0", TypeError, "expects a number for {s}, got str '1.0'."),
    (True, TypeError, "expects a number for {s}, got bool True. Write the number: {owner}({s}=1.0)."),
    (np.bool_(False), TypeError, "expects a number for {s}, got bool False."),
    (np.array([1.0, 2.0]), TypeError, "expects one number for {s} (a scalar, as Keras's), got "
     "ndarray array([1., 2.]). Use e.g. {example}; for weights of your own, build the layer and "
     "call set_weights."),
    (np.array(3.0), TypeError, "expects one number for {s} (a scalar, as Keras's), got ndarray"),
    ([1.0], TypeError, "expects one number for {s} (a scalar, as Keras's), got list [1.0]."),
    (None, TypeError, "expects a number for {s}, got NoneType None."),
    (1 + 2j, TypeError, "expects a number for {s}, got complex (1+2j)."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("owner", "setting", "example"),
    [("Constant", "value", "Constant(value=0.1)"), ("Identity", "gain", "Identity(gain=1.0)")],
)
@pytest.mark.parametrize(("value", "error", "message"), SCALAR_CASES)
def test_hostile_constants_and_gains_get_clear_errors(
    owner, setting, example, value, error, message
):
    with pytest.raises(error) as caught:
        getattr(init, owner)(value)
    assert str(caught.value).startswith(
        f"{owner} " + message.format(s=setting, example=example, owner=owner)
    )


@pytest.mark.parametrize("initializer", [init.Constant(1e39), init.Identity(gain=-1e39)])
def test_a_value_beyond_float32_is_refused_by_a_float32_layer_and_kept_in_float64(initializer):
    with pytest.raises(ValueError) as caught:
        gn.Sequential([gn.Input((4,)), gn.layers.Dense(4, kernel_initializer=initializer)])
    assert str(caught.value).startswith(
        "Layer 'dense' (Dense) got initial weights that are not finite in float32: an "
        "initializer's value is beyond its range (e.g. Constant(1e39) in float32)."
    )
    wide = gn.Sequential(
        [gn.Input((4,)), gn.layers.Dense(4, kernel_initializer=initializer)], dtype="float64"
    )
    assert np.abs(wide.layers[0].kernel).max() == 1e39


def test_names_are_looked_up_as_keras_spells_them_and_a_typo_lists_them() -> None:
    assert type(init.get("Ones")) is init.Ones and type(init.get("IDENTITY")) is init.Identity
    assert init.ones is init.Ones and init.identity is init.Identity
    assert init.lecun_uniform is init.LecunUniform
    with pytest.raises(ValueError) as caught:
        gn.layers.Dense(2, kernel_initializer="one")
    assert str(caught.value).startswith("Unknown initializer 'one'. Valid names: 'zeros', 'ones',")
    with pytest.raises(ValueError, match=r"Unknown initializer '<b>ones</b>'"):
        gn.layers.Dense(2, bias_initializer="<b>ones</b>")
    with pytest.raises(ValueError, match=r"Unknown setting 'value' for the 'ones' initializer"):
        init.from_config({"name": "ones", "value": 2.0})
    with pytest.raises(ValueError, match=r"Expected gain to be a finite number|Identity expects"):
        init.from_config({"name": "identity", "gain": float("nan")})


# -- VarianceScaling ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("general", "named"),
    [
        (init.VarianceScaling(2.0, "fan_in", "truncated_normal", seed=5), init.HeNormal(seed=5)),
        (init.VarianceScaling(2.0, "fan_in", "uniform", seed=6), init.HeUniform(seed=6)),
        (init.VarianceScaling(1.0, "fan_avg", "uniform", seed=7), init.GlorotUniform(seed=7)),
        (init.VarianceScaling(1.0, "fan_avg", "normal", seed=8), init.GlorotNormal(seed=8)),
        (init.VarianceScaling(seed=9), init.LecunNormal(seed=9)),  # Keras's defaults
        (init.VarianceScaling(1.0, "fan_in", "uniform", seed=10), init.LecunUniform(seed=10)),
    ],
)
@pytest.mark.parametrize("shape", [(30, 20), (3, 3, 4, 8)])
def test_variance_scaling_is_the_general_form_of_the_named_initializers(general, named, shape):
    # the same stream and the same formula: the same draws (to the last bits of the limit)
    np.testing.assert_allclose(
        general(shape, np.float64, None), named(shape, np.float64, None), rtol=1e-13
    )


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_draws_have_kerass_spread(mode, distribution) -> None:
    shape = (400, 300)
    ours = init.VarianceScaling(3.0, mode, distribution, seed=1)(shape, np.float32, None)
    theirs = keras.ops.convert_to_numpy(
        keras.initializers.VarianceScaling(3.0, mode, distribution, seed=1)(shape)
    )
    fan = {"fan_in": 400, "fan_out": 300, "fan_avg": 350}[mode]
    std = math.sqrt(3.0 / fan)  # each distribution keeps the variance scale / fan
    for values in (ours, theirs):
        assert abs(values.std() - std) < 0.02 * std  # 120,000 draws
        assert abs(values.mean()) < 0.02 * std
    if distribution != "untruncated_normal":  # bounded: at 2 deviations, or sqrt(3) for uniform
        bound = std * (
            math.sqrt(3) if distribution == "uniform" else 2 / init.TRUNCATION_CORRECTION
        )
        assert np.abs(ours).max() <= bound * (1 + 1e-6) and np.abs(theirs).max() <= bound * 1.0001


def test_variance_scaling_by_name_in_layers_and_model_files(tmp_path) -> None:
    general = init.VarianceScaling(0.5, "fan_out", "Normal", seed=3)  # "normal": truncated, Keras
    assert general.get_config() == {
        "name": "variance_scaling",
        "scale": 0.5,
        "mode": "fan_out",
        "distribution": "truncated_normal",
        "seed": 3,
    }
    model = gn.Sequential(
        [gn.Input((4, 4, 1)), gn.layers.Conv2D(2, 3, kernel_initializer=general),
         gn.layers.Flatten(), gn.layers.Dense(2, kernel_initializer="variance_scaling")],
        seed=0,
    )  # fmt: skip
    model.save(tmp_path / "v.glassnet")
    again = gn.load_model(tmp_path / "v.glassnet")
    assert again.layers[0].kernel_initializer.get_config() == general.get_config()
    assert type(again.layers[2].kernel_initializer) is init.VarianceScaling
    for got, expected in zip(again.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"scale": 0.0}, ValueError, "VarianceScaling's scale must be > 0 (e.g. 1.0), got 0.0."),
        ({"scale": -1}, ValueError, "VarianceScaling's scale must be > 0 (e.g. 1.0), got -1.0."),
        ({"scale": float("nan")}, ValueError, "Expected VarianceScaling's scale to be a finite"),
        ({"scale": float("inf")}, ValueError, "Expected VarianceScaling's scale to be a finite"),
        ({"scale": 10**400}, ValueError, "got an integer of about 401 digits, beyond float64."),
        ({"scale": "1"}, TypeError, "Expected VarianceScaling's scale to be a number, got str"),
        ({"scale": True}, TypeError, "to be a number, got bool True."),
        ({"mode": "FAN_IN"}, ValueError, "VarianceScaling's mode must be one of 'fan_in', "
         "'fan_out', 'fan_avg', got str 'FAN_IN'."),  # Keras refuses it too
        ({"mode": "<b>fan_in</b>"}, ValueError, "got str '<b>fan_in</b>'."),
        ({"mode": None}, ValueError, "VarianceScaling's mode must be one of"),
        ({"distribution": "gaussian"}, ValueError, "VarianceScaling's distribution must be one of "
         "'truncated_normal', 'untruncated_normal', 'uniform', got str 'gaussian'."),
        ({"distribution": 3}, ValueError, "got int 3."),
        ({"distribution": "x" * 100_000}, ValueError, "... (100000 characters)."),
        ({"seed": -1}, ValueError, "VarianceScaling's seed (or None)"),
    ],
)  # fmt: skip
def test_variance_scaling_refuses_bad_settings_by_name(kwargs, error, message) -> None:
    with pytest.raises(error) as caught:
        init.VarianceScaling(**kwargs)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 400
