"""Export to PyTorch (to_torch) and ONNX (export_onnx): the same outputs on random inputs."""

from __future__ import annotations

import sys

import numpy as np
import onnxruntime
import pytest
import torch

import glassnet as gn
from glassnet import activations, export


def every_activation_network(dtype: str, leave_out: tuple[str, ...] = ()) -> gn.Sequential:
    """A network with every activation, an Activation layer and a Dense without bias."""
    names = [n for n in activations.ACTIVATIONS if n != "softmax" and n not in leave_out]
    stack: list = [gn.Input((3,))]
    for i, name in enumerate(names):
        stack.append(
            gn.layers.Dense(5, name, use_bias=i % 2 == 0, bias_initializer=gn.RandomUniform(-1, 1))
        )
    stack += [gn.layers.Activation("tanh"), gn.layers.Dense(4, "softmax")]
    return gn.Sequential(stack, dtype=dtype, seed=7)


def test_to_torch_float64_outputs_equal() -> None:
    model = every_activation_network("float64")
    net = model.to_torch()
    x = np.random.default_rng(0).normal(size=(50, 3))
    with torch.no_grad():
        theirs = net(torch.from_numpy(x)).numpy()
    assert theirs.dtype == np.float64
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=1e-12)
    assert not net.training  # ready for inference
    assert isinstance(net.get_submodule("dense_1"), torch.nn.Linear)
    assert net.get_submodule("dense_1").bias is None  # use_bias=False is kept


def test_to_torch_float32_outputs_equal() -> None:
    model = every_activation_network("float32")
    x = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    with torch.no_grad():
        theirs = model.to_torch()(torch.from_numpy(x)).numpy()
    assert theirs.dtype == np.float32
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=1e-6)


def test_to_torch_copies_weights_rather_than_sharing_them() -> None:
    model = every_activation_network("float64")
    net = model.to_torch()
    with torch.no_grad():
        net.get_submodule("dense").weight.zero_()
    assert np.abs(model.layers[0].kernel).max() > 0


@pytest.mark.parametrize(("dtype", "tolerance"), [("float32", 1e-5), ("float64", 1e-10)])
def test_onnx_export_runs_in_onnxruntime_with_the_same_outputs(tmp_path, dtype, tolerance) -> None:
    # onnxruntime's Erf is float32 only: the exact gelu is checked on its own below
    model = every_activation_network("float64", leave_out=("gelu",) if dtype == "float64" else ())
    path = model.export_onnx(tmp_path / "model.onnx", dtype=dtype)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).normal(size=(50, 3))
    (theirs,) = session.run(None, {"x": x.astype(dtype)})
    assert theirs.dtype == np.dtype(dtype) and theirs.shape == (50, 4)
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=tolerance)


def test_onnx_exact_gelu_is_float32_accurate_in_a_float64_graph(tmp_path) -> None:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(4, "gelu")], dtype="float64", seed=1)
    path = model.export_onnx(tmp_path / "gelu.onnx", dtype="float64")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(3).normal(size=(20, 3)) * 2
    (theirs,) = session.run(None, {"x": x})
    assert theirs.dtype == np.float64
    np.testing.assert_allclose(theirs, model.predict(x), rtol=0, atol=1e-6)


def test_onnx_graph_uses_plain_operators(tmp_path) -> None:
    proto = export.to_onnx(every_activation_network("float32"))
    used = {node.op_type for node in proto.graph.node}
    assert {"MatMul", "Add", "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Softmax"} <= used
    leaky = next(n for n in proto.graph.node if n.op_type == "LeakyRelu")
    assert leaky.attribute[0].f == pytest.approx(0.01)
    assert [i.name for i in proto.graph.input] == ["x"]


def test_a_trained_seed_network_exports(tmp_path) -> None:
    from glassnet.seed import XOR_X, numpy_cell

    model = numpy_cell(200).model
    session = onnxruntime.InferenceSession(str(model.export_onnx(tmp_path / "seed.onnx")))
    (theirs,) = session.run(None, {"x": XOR_X.astype(np.float32)})
    np.testing.assert_allclose(theirs, model.predict(XOR_X), rtol=0, atol=1e-5)


def test_an_unknown_layer_kind_is_refused() -> None:
    class Odd(gn.layers.Activation):
        kind = "Odd"

    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(2), Odd("relu", name="odd")])
    message = "Layer 'odd' (Odd) cannot be exported: the supported layer kinds are Dense"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        model.to_torch()


@pytest.mark.parametrize(("module", "extra"), [("torch", "torch"), ("onnx", "onnx")])
def test_a_missing_dependency_names_the_extra(monkeypatch, tmp_path, module, extra) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    model = every_activation_network("float32")
    with pytest.raises(ImportError, match=rf"pip install 'glassnet\[{extra}\]'"):
        model.to_torch() if module == "torch" else model.export_onnx(tmp_path / "m.onnx")
