"""Rescaling and Normalization beyond the engine: model files (hostile ones too), to_torch, ONNX,
parity, and the float64 twins that gradient checks and parity run."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import export
from glassnet.layers import Normalization, Rescaling


# -- export and parity --------------------------------------------------------------------------
def preprocessing_network(dtype: str, axis: int | None = -1) -> gn.Sequential:
    data = np.random.default_rng(3).normal(size=(60, 3)) * [200.0, 1.0, 0.05] + [900, -2, 7]
    norm = Normalization(axis=axis)
    norm.adapt(data)
    stack = [gn.Input((3,)), Rescaling(0.5, offset=-1.0), norm, gn.layers.Dense(4, "tanh")]
    stack.append(gn.layers.Dense(2, "softmax"))
    return gn.Sequential(stack, dtype=dtype, seed=5)


@pytest.mark.parametrize(("dtype", "tolerance"), [("float32", 1e-6), ("float64", 1e-13)])
@pytest.mark.parametrize("axis", [-1, None])
def test_to_torch_and_onnx_carry_the_scaling(tmp_path, dtype, tolerance, axis) -> None:
    import onnxruntime
    import torch

    model = preprocessing_network(dtype, axis)
    x = np.random.default_rng(4).normal(size=(30, 3)) * [200.0, 1.0, 0.05] + [900, -2, 7]
    ours = model.predict(x)
    net = model.to_torch()
    with torch.no_grad():
        theirs = net(torch.from_numpy(x.astype(dtype))).numpy()
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=tolerance)
    assert set(dict(net.named_buffers())) == {
        "rescaling.scale",
        "rescaling.offset",
        "normalization.mean",
        "normalization.std",
    }
    path = model.export_onnx(tmp_path / "m.onnx", dtype=dtype)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {"x": x.astype(dtype)})
    np.testing.assert_allclose(onnx_out, ours, rtol=0, atol=tolerance)
    used = [node.op_type for node in export.to_onnx(model, dtype).graph.node]
    assert used[:4] == ["Mul", "Add", "Sub", "Div"]


def test_export_refuses_a_normalization_that_was_never_adapted() -> None:
    model = gn.Sequential([gn.Input((2,)), Normalization(), gn.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"'normalization' \(Normalization\) cannot be exported"):
        model.to_torch()


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_parity_runs_through_the_preprocessing_layers(framework) -> None:
    model = preprocessing_network("float64")
    model.compile(gn.SGD(0.1), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(16, 3)) * [200.0, 1.0, 0.05] + [900, -2, 7]
    report = gn.compare(model, x, rng.integers(0, 2, size=16), framework=framework, steps=5)
    assert report.passed, report.table()


def test_a_header_too_big_to_load_is_refused_at_save_time(tmp_path) -> None:
    # a Normalization over 100,000 features keeps 200,000 numbers in the JSON header, past the
    # 1 MiB that load_model reads: the save used to succeed and the load to fail
    norm = Normalization()
    norm.adapt(np.random.default_rng(0).normal(size=(3, 100_000)))
    model = gn.Sequential([gn.Input((100_000,)), norm, gn.layers.Dense(1)])
    path = tmp_path / "big.glassnet"
    with pytest.raises(gn.ModelFileError, match=r"its JSON header would be \d+ bytes, more than"):
        model.save(path)
    assert not path.exists() and list(tmp_path.iterdir()) == []  # nothing half-written


def test_float64_twins_compute_the_scaling_in_float64(rng) -> None:
    # gradient checks and parity run a float64 deep copy of a float32 model: its scale, mean and
    # standard deviation must be float64 too (they stayed float32, and parity saw 7e-9 MISMATCHes)
    from glassnet.gradcheck import float64_copy

    norm = Normalization()
    norm.adapt(rng.normal(size=(50, 2)) * [6485.0, 0.0763] + [4947.0, 0.98])
    model = gn.Sequential([gn.Input((2,)), Rescaling(0.1), norm, gn.layers.Dense(1)], seed=0)
    twin = float64_copy(model)
    x = rng.normal(size=(5, 2)) * [6485.0, 0.0763]
    out = twin.predict(x)
    expected = (x * 0.1 - norm.mean) / np.sqrt(norm.variance) @ twin.layers[2].kernel
    np.testing.assert_allclose(out, expected + twin.layers[2].bias, rtol=1e-13)
    assert twin.layers[1]._std.dtype == np.float64 and model.layers[1]._std.dtype == np.float32
    model.compile(gn.SGD(0.01), "mse")
    report = gn.compare(model, x, rng.normal(size=5), steps=3)
    assert report.passed, report.table()


def _layer_change(index: int, **changes):
    def change(header: dict) -> dict:
        layers = [dict(layer) for layer in header["layers"]]
        layers[index].update(changes)
        return header | {"layers": layers}

    return change


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (
            _layer_change(0, scale=0.0),
            r"describes no valid model \(Rescaling's scale must not be 0",
        ),
        (_layer_change(0, scale="1/16"), r"scale must be a real number, got str"),
        (_layer_change(0, offset=None), r"offset must be a real number, got NoneType"),
        (_layer_change(1, variance=[1.0, -4.0]), r"variance must be >= 0"),
        (_layer_change(1, mean=[1.0, 2.0, 3.0], variance=[1, 1, 1]), r"for 3 features, but its"),
        (_layer_change(1, mean=["a", "b"]), r"mean must be real numbers"),
        (_layer_change(1, adapted="yes"), r"'adapted' must be true/false"),
        (_layer_change(1, axis=0), r"axis=0 is the batch axis"),
        (_layer_change(1, invert=True), r"unexpected keyword argument 'invert'"),
    ],
)
def test_a_re_signed_file_with_hostile_preprocessing_is_refused(tmp_path, change, pattern) -> None:
    from glassnet import io as model_io
    from helpers import header_of, read_members, write_members

    norm = Normalization()
    norm.adapt(np.array([[0.0, 1.0], [2.0, 5.0]]))
    model = gn.Sequential([gn.Input((2,)), Rescaling(1 / 16), norm, gn.layers.Dense(1)])
    model.save(tmp_path / "m.glassnet")
    arrays = read_members(tmp_path / "m.glassnet")
    header = change(header_of(arrays))
    body = {name: array for name, array in arrays.items() if name != "header"}
    header["checksum"] = model_io._checksum(header, body)  # re-signed: the deeper checks decide
    path = write_members(tmp_path / "forged.glassnet", arrays, header)
    with pytest.raises(gn.ModelFileError, match=pattern):
        gn.load_model(path)
