"""MeanAbsoluteError, Huber, label smoothing and Keras's reductions.

Golden numbers are computed here by Keras 3.15.1 (torch backend, float32: the losses called
directly and ``torch.autograd`` through them for the gradients) and by PyTorch 2.13 in float64
(``nn.L1Loss``, ``nn.HuberLoss``, ``nn.CrossEntropyLoss(label_smoothing=)``,
``nn.BCEWithLogitsLoss`` on smoothed targets), on the same arrays glassnet gets.
"""

from __future__ import annotations

import math
import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import losses

RTOL = 1e-6  # float32 against float32


def _data(seed: int = 4, n: int = 6, k: int = 3):
    rng = np.random.default_rng(seed)
    real_y = rng.normal(size=(n, k)).astype(np.float32)
    real_a = (real_y + rng.normal(size=(n, k)) * 1.5).astype(np.float32)  # misses near and far
    bits = rng.integers(0, 2, size=(n, k)).astype(np.float32)
    rows = (1 / (1 + np.exp(-rng.normal(size=(n, k)) * 2))).astype(np.float32)
    logits = (rng.normal(size=(n, k)) * 3).astype(np.float32)
    z = rng.normal(size=(n, k)) * 2
    probs = (np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)).astype(np.float32)
    onehot = np.eye(k, dtype=np.float32)[rng.integers(0, k, size=n)]
    return real_y, real_a, bits, rows, logits, probs, onehot


def _cases():
    real_y, real_a, bits, rows, logits, probs, onehot = _data()
    kl = keras.losses
    cases = []
    for reduction in ("sum_over_batch_size", "sum", "none"):
        r = {"reduction": reduction}
        cases += [
            (
                f"mae_{reduction}",
                gn.MeanAbsoluteError(**r),
                kl.MeanAbsoluteError(**r),
                real_y,
                real_a,
            ),
            (f"huber_{reduction}", losses.Huber(**r), kl.Huber(**r), real_y, real_a),
            (
                f"huber_delta_0.3_{reduction}",
                losses.Huber(0.3, **r),
                kl.Huber(0.3, **r),
                real_y,
                real_a,
            ),
            (
                f"mse_{reduction}",
                gn.MeanSquaredError(**r),
                kl.MeanSquaredError(**r),
                real_y,
                real_a,
            ),
            (
                f"bce_smooth_{reduction}",
                gn.BinaryCrossEntropy(label_smoothing=0.2, **r),
                kl.BinaryCrossentropy(label_smoothing=0.2, **r),
                bits,
                rows,
            ),
            (
                f"bce_logits_smooth_{reduction}",
                gn.BinaryCrossEntropy(from_logits=True, label_smoothing=0.3, **r),
                kl.BinaryCrossentropy(from_logits=True, label_smoothing=0.3, **r),
                bits,
                logits,
            ),
            (
                f"cce_smooth_{reduction}",
                gn.CategoricalCrossEntropy(label_smoothing=0.1, **r),
                kl.CategoricalCrossentropy(label_smoothing=0.1, **r),
                onehot,
                probs,
            ),
            (
                f"cce_logits_smooth_{reduction}",
                gn.CategoricalCrossEntropy(from_logits=True, label_smoothing=0.25, **r),
                kl.CategoricalCrossentropy(from_logits=True, label_smoothing=0.25, **r),
                onehot,
                logits,
            ),
            (
                f"sparse_{reduction}",
                gn.SparseCategoricalCrossEntropy(**r),
                kl.SparseCategoricalCrossentropy(**r),
                onehot.argmax(axis=1),
                probs,
            ),
        ]
    # one output unit, targets (n,): Keras's shapes
    cases.append(
        ("mae_1d", gn.MeanAbsoluteError(), kl.MeanAbsoluteError(), real_y[:, 0], real_a[:, :1])
    )
    cases.append(("huber_1d", losses.Huber(2.0), kl.Huber(2.0), real_y[:, 0], real_a[:, :1]))
    return cases


CASES = _cases()
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("ours", "theirs", "y", "a"), [c[1:] for c in CASES], ids=IDS)
def test_called_directly_matches_keras(ours, theirs, y, a) -> None:
    expected = np.asarray(theirs(y, a))
    found = ours(y, a)
    if ours.reduction == "none":
        assert isinstance(found, np.ndarray) and found.shape == (len(a),)
    np.testing.assert_allclose(found, expected, rtol=RTOL, atol=1e-7)


@pytest.mark.parametrize(("ours", "theirs", "y", "a"), [c[1:] for c in CASES], ids=IDS)
def test_gradient_matches_keras_autograd(ours, theirs, y, a) -> None:
    """dC/da against torch.autograd through Keras's loss (for "none": the sum's gradient)."""
    tensor = torch.tensor(a, requires_grad=True)
    theirs(torch.tensor(y), tensor).sum().backward()
    np.testing.assert_allclose(ours.gradient(y, a), tensor.grad.numpy(), rtol=1e-5, atol=1e-7)


# -- PyTorch float64 parity --------------------------------------------------------------------
def _torch_value_and_gradient(loss_fn, y, a):
    tensor = torch.tensor(a, requires_grad=True)
    value = loss_fn(tensor, torch.tensor(y))
    value.backward()
    return float(value.detach()), tensor.grad.numpy()


def test_mae_and_huber_match_pytorch_in_float64() -> None:
    rng = np.random.default_rng(0)
    y, a = rng.normal(size=(7, 3)), rng.normal(size=(7, 3)) * 2
    pairs = [(gn.MeanAbsoluteError(), torch.nn.L1Loss())]
    pairs += [(losses.Huber(d), torch.nn.HuberLoss(delta=d)) for d in (0.2, 1.0, 3.0)]
    for ours, theirs in pairs:
        value, grad = _torch_value_and_gradient(theirs, y, a)
        assert ours(y, a) == pytest.approx(value, rel=1e-14)
        np.testing.assert_allclose(ours.gradient(y, a), grad, rtol=1e-13, atol=1e-16)
    # the sum reduction against torch's reduction="sum"
    value, grad = _torch_value_and_gradient(torch.nn.HuberLoss(reduction="sum"), y, a)
    # Keras's "sum" sums the per-example means over the k outputs: torch's sum / k
    assert losses.Huber(reduction="sum")(y, a) == pytest.approx(value / 3, rel=1e-14)


def test_label_smoothing_matches_pytorch_in_float64() -> None:
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(6, 4)) * 2, rng.integers(0, 4, size=6)
    onehot = np.eye(4)[labels]
    ours = gn.CategoricalCrossEntropy(from_logits=True, label_smoothing=0.3)
    tensor = torch.tensor(logits, requires_grad=True)
    value = torch.nn.CrossEntropyLoss(label_smoothing=0.3)(tensor, torch.tensor(labels))
    value.backward()
    assert ours(onehot, logits) == pytest.approx(float(value.detach()), rel=1e-14)
    np.testing.assert_allclose(ours.gradient(onehot, logits), tensor.grad.numpy(), rtol=1e-12)
    # binary: torch has no label_smoothing; BCEWithLogits on the targets Keras's formula makes
    bits = rng.integers(0, 2, size=(6, 4)).astype(np.float64)
    smoothed = bits * (1 - 0.2) + 0.5 * 0.2
    value, grad = _torch_value_and_gradient(torch.nn.BCEWithLogitsLoss(), smoothed, logits)
    bce = gn.BinaryCrossEntropy(from_logits=True, label_smoothing=0.2)
    assert bce(bits, logits) == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(bce.gradient(bits, logits), grad, rtol=1e-12)


# -- worked by hand ----------------------------------------------------------------------------
def test_by_hand() -> None:
    y, a = np.array([[0.0, 1.0]]), np.array([[0.5, 4.0]])
    assert gn.MeanAbsoluteError()(y, a) == (0.5 + 3.0) / 2
    np.testing.assert_array_equal(gn.MeanAbsoluteError().gradient(y, a), [[0.5, 0.5]])
    # Huber delta 1: 0.5 * 0.25 and 1 * 3 - 0.5
    assert losses.Huber()(y, a) == (0.125 + 2.5) / 2
    np.testing.assert_array_equal(losses.Huber().gradient(y, a), [[0.25, 0.5]])
    # BCE, y = 1, a = 0.8, s = 0.2: the target becomes 0.9
    found = gn.BinaryCrossEntropy(label_smoothing=0.2)([[1.0]], [[0.8]])
    assert found == pytest.approx(-(0.9 * math.log(0.8) + 0.1 * math.log(0.2)), rel=1e-15)
    # CCE, 4 classes, s = 0.2: one-hot [0, 1, 0, 0] becomes [0.05, 0.85, 0.05, 0.05]
    p = np.array([[0.1, 0.6, 0.2, 0.1]])
    found = gn.CategoricalCrossEntropy(label_smoothing=0.2)([[0, 1, 0, 0]], p)
    expected = -(0.05 * math.log(0.1) + 0.85 * math.log(0.6) + 0.05 * math.log(0.2))
    assert found == pytest.approx(expected - 0.05 * math.log(0.1), rel=1e-15)
    # "sum" is n times the mean; "none" the per-example values whose mean is the default
    y3, a3 = np.array([[1.0], [2.0], [3.0]]), np.array([[1.5], [2.0], [5.0]])
    assert gn.MeanSquaredError(reduction="sum")(y3, a3) == 0.25 + 0 + 4
    np.testing.assert_array_equal(gn.MeanSquaredError(reduction="none")(y3, a3), [0.25, 0, 4])


def test_kinks() -> None:
    # |d| at d = 0: slope 0, as torch's sign; Huber at |d| = delta: both sides give delta
    y, a = np.array([[1.0, 0.0, 0.0]]), np.array([[1.0, 1.0, -1.0]])
    np.testing.assert_array_equal(gn.MeanAbsoluteError().gradient(y, a), [[0, 1 / 3, -1 / 3]])
    np.testing.assert_array_equal(losses.Huber(1.0).gradient(y, a), [[0, 1 / 3, -1 / 3]])


@pytest.mark.parametrize(
    "loss",
    [
        gn.MeanAbsoluteError(),
        losses.Huber(0.5),
        losses.Huber(0.7, reduction="sum"),
        gn.BinaryCrossEntropy(label_smoothing=0.1),
        gn.BinaryCrossEntropy(from_logits=True, label_smoothing=0.1, reduction="sum"),
        gn.CategoricalCrossEntropy(label_smoothing=0.2),
        gn.CategoricalCrossEntropy(from_logits=True, label_smoothing=0.2),
    ],
    ids=lambda loss: repr(loss.get_config()),
)
def test_gradcheck_through_a_model(loss) -> None:
    output = "linear" if loss.from_logits or loss.fused_activation is None else None
    output = output or loss.fused_activation
    model = gn.Sequential(
        [gn.Input((3,)), gn.layers.Dense(4, "tanh"), gn.layers.Dense(3, output)],
        seed=2,
        dtype="float64",
    )
    model.compile("sgd", loss)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 3))
    if loss.fused_activation == "softmax":
        y = np.eye(3)[rng.integers(0, 3, size=5)]
    elif loss.fused_activation == "sigmoid":
        y = rng.integers(0, 2, size=(5, 3)).astype(np.float64)
    else:
        y = rng.normal(size=(5, 3))
    report = gn.check_gradients(model, x, y, check_input=True)
    assert report.passed, report


# -- training with them ------------------------------------------------------------------------
def test_sum_reduction_trains_as_the_mean_with_n_times_the_rate() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))

    def trained(loss, rate):
        model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)], seed=0, dtype="float64")
        model.compile(gn.SGD(rate), loss)
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        return model.get_weights(), history.history["loss"]

    summed, summed_loss = trained(gn.MeanSquaredError(reduction="sum"), 0.01)
    mean, mean_loss = trained("mse", 0.08)
    for s, m in zip(summed, mean, strict=True):
        np.testing.assert_allclose(s, m, rtol=1e-13)
    np.testing.assert_allclose(summed_loss, np.array(mean_loss) * 8, rtol=1e-13)


def test_compile_refuses_reduction_none_with_the_fix() -> None:
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"MeanAbsoluteError\(reduction='none'\) gives one loss "):
        model.compile("sgd", gn.MeanAbsoluteError(reduction="none"))
    assert model.loss is None  # nothing changed


def test_names_and_narration_words() -> None:
    from glassnet.explain import narrate, words

    assert isinstance(losses.get("mae"), gn.MeanAbsoluteError)
    assert isinstance(losses.get("huber"), losses.Huber)
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(2, "sigmoid")], seed=0)
    model.compile("sgd", gn.BinaryCrossEntropy(label_smoothing=0.1, reduction="sum"))
    trace = model.trace_step(np.array([[0.5, -1.0]]), np.array([[1.0, 0.0]]))
    student = narrate(trace, "student", width=None)
    assert "label smoothing s = 0.1" in student
    assert words.LOSS_SETTING_WORDS["reduction_sum"] in student


@pytest.mark.parametrize(
    "loss",
    [
        losses.Huber(delta=2.5, reduction="sum"),
        gn.BinaryCrossEntropy(from_logits=True, label_smoothing=0.1),
        gn.CategoricalCrossEntropy(label_smoothing=0.2, reduction="sum"),
        gn.MeanAbsoluteError(),
    ],
    ids=["huber", "bce", "cce", "mae"],
)
def test_model_files_keep_the_loss_settings(loss, tmp_path) -> None:
    units = 3 if isinstance(loss, gn.CategoricalCrossEntropy) else 1
    model = gn.Sequential([gn.Input((2,)), gn.layers.Dense(units)], seed=0)
    model.compile("adam", loss)
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet")
    assert again.loss.get_config() == loss.get_config()
    assert type(again.loss) is type(loss)
    # the defaults are not written: configs from before these settings read the same
    assert gn.MeanSquaredError().get_config() == {"name": "mean_squared_error"}
    assert gn.BinaryCrossEntropy().get_config() == {
        "name": "binary_crossentropy",
        "from_logits": False,
    }


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: losses.Huber(0.0), ValueError, r"Huber's delta > 0"),
        (lambda: losses.Huber(-1), ValueError, r"Huber's delta > 0"),
        (lambda: losses.Huber(math.nan), ValueError, r"delta to be a finite number"),
        (lambda: losses.Huber(1e39), ValueError, r"delta between"),
        (lambda: losses.Huber("1"), TypeError, r"delta to be a number"),
        (lambda: gn.BinaryCrossEntropy(label_smoothing=1.5), ValueError, r"label_smoothing in"),
        (lambda: gn.BinaryCrossEntropy(label_smoothing=-0.1), ValueError, r"label_smoothing in"),
        (lambda: gn.CategoricalCrossEntropy(label_smoothing=True), TypeError, r"label_smoothing"),
        (lambda: gn.MeanSquaredError(reduction="mean"), ValueError, r"Unknown reduction 'mean'"),
        (lambda: gn.MeanSquaredError(reduction=None), TypeError, r"Expected reduction to be one"),
        (
            lambda: gn.MeanAbsoluteError(reduction="<b>sum</b>"),
            ValueError,
            r"Valid: 'sum_over_batch_size', 'sum', 'none'",
        ),
        (
            lambda: losses.from_config({"name": "huber", "delta": 1.0, "alpha": 2}),
            ValueError,
            r"Unknown setting 'alpha' for the 'huber' loss; its settings are: 'delta', 'reduction'",
        ),
        (
            lambda: gn.SparseCategoricalCrossEntropy(label_smoothing=0.1),
            TypeError,
            r"label_smoothing",
        ),
    ],
)
def test_bad_settings_get_clear_errors(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_huge_targets_give_a_clear_error_not_inf() -> None:
    with pytest.raises(ValueError, match=r"overflowed float32"):
        gn.MeanAbsoluteError()(
            np.full((4, 1), 3e38, np.float32), np.full((4, 1), -3e38, np.float32)
        )


@pytest.mark.parametrize("loss", [gn.MeanAbsoluteError(), losses.Huber(0.4)], ids=["mae", "huber"])
def test_compare_with_torch_translates_mae_and_huber(loss) -> None:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(4, "tanh"), gn.layers.Dense(2)], seed=0)
    model.compile(gn.SGD(0.1), loss)
    rng = np.random.default_rng(6)
    report = gn.compare(model, rng.normal(size=(8, 3)), rng.normal(size=(8, 2)), steps=30)
    assert report.passed and report.max_weight_difference <= 1e-12, report.table()


def test_compare_with_torch_refuses_smoothing_and_sum() -> None:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", gn.BinaryCrossEntropy(label_smoothing=0.1))
    with pytest.raises(ValueError, match=r"default reduction and no label smoothing"):
        gn.compare(model, np.ones((4, 3)), np.ones(4), steps=2)
