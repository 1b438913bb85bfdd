"""sample_weight and class_weight (issue 19): Keras 3's weighted mean, the gradient weighted alike.

Keras 3.15.1 reduces a weighted batch as sum_i w_i loss_i / n ("sum_over_batch_size": the batch
size n, not sum_i w_i) and sum_i w_i loss_i ("sum"). Measured with
`KERAS_BACKEND=torch python` on a Dense(2) model with mse, x (6, 3), w = [1, 2, 0, 0.5, 3, 1]:
evaluate(sample_weight=w) gave 1.2498432 = sum(w * loss_i) / 6 (sum / sum(w) would be 0.99987);
an all-zero w gave loss 0.0; metrics= were unweighted (mae 0.69465 with and without w), only
weighted_metrics= used w. The Keras comparison below runs Keras itself.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch

import glassnet as gn
from helpers import LOSS_CASES, targets_for

W6 = np.array([1.0, 2.0, 0.0, 0.5, 3.0, 1.0])

#: every loss glassnet has, with the output it goes with
ALL_LOSSES = {
    **LOSS_CASES,
    "mae": ("linear", lambda: gn.losses.MeanAbsoluteError()),
    "huber": ("linear", lambda: gn.losses.Huber(delta=0.7)),
}


def _outputs(output: str, rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    z = rng.normal(size=(n, k))
    if output == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if output == "softmax":
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return z * 2


def _loss_with(make, reduction: str):
    loss = make()
    if reduction != "sum_over_batch_size":
        if isinstance(loss, gn.HalfSumSquaredError):
            return None  # a sum by definition: it has no reduction argument
        loss.reduction = reduction
    return loss


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("name", sorted(ALL_LOSSES))
def test_every_loss_and_reduction_weighs_as_keras(name: str, reduction: str) -> None:
    output, make = ALL_LOSSES[name]
    loss = _loss_with(make, reduction)
    if loss is None:
        return
    rng = np.random.default_rng(3)
    n, k = 6, 3
    y, a = targets_for(loss, n, k, rng), _outputs(output, rng, n, k)
    per_example = make()
    per_example.reduction = "none"
    values = per_example(y, a) if not isinstance(loss, gn.HalfSumSquaredError) else None
    if values is None:  # HalfSum's rows: half the sum of squares
        values = 0.5 * ((a - y) ** 2).sum(axis=1)
    got = loss(y, a, sample_weight=W6)
    if reduction == "none":
        np.testing.assert_allclose(got, W6 * values, rtol=1e-13)
    elif reduction == "sum" or isinstance(loss, gn.HalfSumSquaredError):
        assert got == pytest.approx((W6 * values).sum(), rel=1e-13)
    else:
        assert got == pytest.approx((W6 * values).sum() / n, rel=1e-13)  # / n, not / sum(w)
    # the gradient: each row is w_i times the unweighted row
    plain = loss.gradient(y, a)
    np.testing.assert_allclose(loss.gradient(y, a, sample_weight=W6), plain * W6[:, None])
    # unit weights change nothing
    if reduction != "none":
        assert loss(y, a, sample_weight=np.ones(n)) == pytest.approx(loss(y, a), rel=1e-13)


def _model(output: str, units: int, loss, seed: int = 0) -> gn.Sequential:
    model = gn.Sequential(
        [gn.Input(shape=(4,)), gn.layers.Dense(5, "tanh"), gn.layers.Dense(units, output)],
        dtype="float64",
        seed=seed,
    )
    model.compile(gn.SGD(0.1), loss)
    return model


def _numeric_gradients(model: gn.Sequential, x, y, w, eps: float = 1e-6) -> list[np.ndarray]:
    found = []
    for param in model._parameters:
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            keep = param[index]
            param[index] = keep + eps
            plus = model._cost(y, model.forward(x), w)
            param[index] = keep - eps
            minus = model._cost(y, model.forward(x), w)
            param[index] = keep
            numeric[index] = (plus - minus) / (2 * eps)
        found.append(numeric)
    return found


@pytest.mark.parametrize("name", sorted(ALL_LOSSES))
def test_the_weighted_gradient_is_the_derivative_of_the_weighted_loss(name: str) -> None:
    # gradcheck, float64 central differences: the fused deltas (softmax/sigmoid + cross-entropy)
    # and the plain dC/da paths are weighted exactly as C is
    output, make = ALL_LOSSES[name]
    rng = np.random.default_rng(7)
    model = _model(output, 3, make())
    x = rng.normal(size=(6, 4))
    x_, y = model._data(x, targets_for(model.loss, 6, 3, rng))
    model._compute_gradients(x_, y, W6)
    analytic = [g.copy() for g in model._gradients]
    for ours, numeric in zip(analytic, _numeric_gradients(model, x_, y, W6), strict=True):
        np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-9)
    # and the weights matter: the unweighted gradient differs
    model._compute_gradients(x_, y)
    assert not np.allclose(model._gradients[0], analytic[0])


def _torch_twin(model: gn.Sequential, output: str) -> torch.nn.Sequential:
    first, last = model.layers
    layers = [torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, last.units)]
    layers = [layer.double() for layer in layers]  # before the copy: no float32 rounding
    with torch.no_grad():
        for linear, dense in ((layers[0], first), (layers[2], last)):
            linear.weight.copy_(torch.from_numpy(dense.kernel.T.copy()))
            linear.bias.copy_(torch.from_numpy(dense.bias.copy()))
    if output == "sigmoid":
        layers.append(torch.nn.Sigmoid())
    if output == "softmax":
        layers.append(torch.nn.Softmax(dim=1))
    return torch.nn.Sequential(*layers)


def _torch_per_example(name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """PyTorch's per-example losses (reduction='none', then Keras's mean over the outputs or
    sum over the classes)."""
    if name == "mse":
        return torch.nn.functional.mse_loss(out, y, reduction="none").mean(dim=1)
    if name == "bce":
        return torch.nn.functional.binary_cross_entropy(out, y, reduction="none").mean(dim=1)
    if name == "cce":
        return torch.nn.functional.nll_loss(out.log(), y.argmax(dim=1), reduction="none")
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("name", "output", "loss"),
    [
        ("mse", "linear", "mse"),
        ("bce", "sigmoid", "binary_crossentropy"),
        ("cce", "softmax", "categorical_crossentropy"),
    ],
)
def test_weighted_steps_match_pytorch_in_float64(name: str, output: str, loss: str) -> None:
    # PyTorch: per-example loss (reduction="none") * w, summed, / n; five SGD steps on batches
    # of 4 from 12 rows; losses and every weight agree to 1e-12
    rng = np.random.default_rng(11)
    model = _model(output, 3, loss, seed=2)
    twin = _torch_twin(model, output)
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    x = rng.normal(size=(12, 4))
    y = targets_for(model.loss, 12, 3, rng)
    w = rng.uniform(0.0, 3.0, size=12)
    for step in range(5):
        rows = slice(4 * (step % 3), 4 * (step % 3) + 4)
        ours = model.train_on_batch(x[rows], y[rows], sample_weight=w[rows])
        optimizer.zero_grad()
        xb, yb, wb = (torch.from_numpy(v[rows]) for v in (x, y, w))
        theirs = (_torch_per_example(name, twin(xb), yb) * wb).sum() / 4
        theirs.backward()
        optimizer.step()
        assert ours == pytest.approx(theirs.item(), rel=1e-12)
    dense = model.layers[1]
    np.testing.assert_allclose(dense.kernel, twin[2].weight.detach().numpy().T, rtol=1e-12)
    np.testing.assert_allclose(dense.bias, twin[2].bias.detach().numpy(), rtol=1e-12)


def test_fit_and_evaluate_losses_match_keras_float32() -> None:
    os.environ["KERAS_BACKEND"] = "torch"
    import keras  # after KERAS_BACKEND is set

    rng = np.random.default_rng(5)
    x = rng.normal(size=(10, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=10)]
    w = rng.uniform(0.0, 2.0, size=10).astype("float32")
    ours = gn.Sequential([gn.Input(shape=(3,)), gn.layers.Dense(3, "softmax")], seed=0)
    ours.compile(gn.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"])
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
    theirs.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"])
    theirs.set_weights(ours.get_weights())
    fit = {"sample_weight": w, "batch_size": 4, "epochs": 3, "shuffle": False, "verbose": 0}
    our_history = ours.fit(x, y, validation_data=(x, y, w), **fit).history
    their_history = theirs.fit(x, y, validation_data=(x, y, w), **fit).history
    for key in ("loss", "val_loss", "accuracy"):
        np.testing.assert_allclose(our_history[key], their_history[key], rtol=2e-5)
    our_eval = ours.evaluate(x, y, sample_weight=w, return_dict=True)
    their_eval = theirs.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert our_eval["loss"] == pytest.approx(their_eval["loss"], rel=1e-5)
    # metrics= are not weighted, in Keras as here
    assert our_eval["accuracy"] == pytest.approx(their_eval["accuracy"])
    assert our_eval["accuracy"] == ours.evaluate(x, y, return_dict=True)["accuracy"]
    # class_weight, one-hot targets: the same again
    cw = {0: 0.5, 1: 2.0, 2: 1.0}
    ours.fit(x, y, class_weight=cw, batch_size=5, epochs=1, shuffle=False, verbose=0)
    theirs.fit(x, y, class_weight=cw, batch_size=5, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours.get_weights()[0], theirs.get_weights()[0], rtol=1e-4)
    assert ours.train_on_batch(x, y, class_weight=cw)[0] == pytest.approx(
        float(theirs.train_on_batch(x, y, class_weight=cw)[0]), rel=1e-5
    )


def test_all_zero_weights_give_loss_0_as_keras_but_fit_refuses_them() -> None:
    model = _model("linear", 2, "mse")
    x, y = np.ones((6, 4)), np.zeros((6, 2))
    assert model.evaluate(x, y, sample_weight=np.zeros(6)) == 0.0  # Keras: 0.0 (see the top)
    assert model.train_on_batch(x, y, sample_weight=np.zeros(6)) == 0.0
    before = model.get_weights()
    with pytest.raises(ValueError) as caught:
        model.fit(x, y, sample_weight=np.zeros(6), verbose=0)
    assert str(caught.value) == (
        "Every example's weight is 0 (sample_weight), so the loss and every gradient are 0 and "
        "fit would learn nothing. Give some examples a positive weight."
    )
    with pytest.raises(ValueError, match=r"^Every example's weight is 0 \(class_weight\)"):
        model.fit(x, np.eye(2)[[0, 1, 0, 1, 0, 1]], class_weight={0: 0, 1: 0.0}, verbose=0)
    for ours, kept in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(ours, kept)


def test_shuffled_batches_keep_each_weight_with_its_row() -> None:
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    class Watch(gn.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            xb, _ = self.model.current_batch
            seen.append((xb[:, 0].copy(), self.model.current_sample_weight.copy()))

    x = np.zeros((20, 4))
    x[:, 0] = np.arange(20)  # the row's number, carried in x
    w = np.arange(20) + 1.0  # row i weighs i + 1
    model = _model("linear", 1, "mse")
    model.fit(
        x, np.zeros(20), sample_weight=w, batch_size=6, epochs=2, callbacks=[Watch()], verbose=0
    )
    assert len(seen) == 8
    for rows, weights in seen:
        np.testing.assert_array_equal(weights, rows + 1)
    order = np.concatenate([rows for rows, _ in seen[:4]])
    assert sorted(order) == list(range(20)) and list(order) != list(range(20))  # shuffled


def test_validation_split_splits_the_weights_too() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(10, 4)), rng.normal(size=(10, 1))
    w = rng.uniform(0.5, 2.0, size=10)
    model = _model("linear", 1, "mse")
    twin = _model("linear", 1, "mse")
    history = model.fit(
        x,
        y,
        sample_weight=w,
        validation_split=0.3,
        epochs=2,
        verbose=0,
        shuffle=False,
        batch_size=7,
    )
    twin.fit(x[:7], y[:7], sample_weight=w[:7], epochs=2, verbose=0, shuffle=False, batch_size=7)
    val = twin.evaluate(x[7:], y[7:], sample_weight=w[7:])
    assert history.history["val_loss"][-1] == pytest.approx(val, rel=1e-12)
    assert history.history["val_loss"][-1] != pytest.approx(twin.evaluate(x[7:], y[7:]))


@pytest.mark.parametrize(
    ("loss", "units", "y"),
    [
        ("categorical_crossentropy", 3, np.eye(3)[[0, 1, 2, 2, 1, 0]]),
        ("sparse_categorical_crossentropy", 3, np.array([0, 1, 2, 2, 1, 0])),
        ("binary_crossentropy", 1, np.array([0, 1, 1, 1, 0, 1.0])),
    ],
)
def test_class_weight_is_the_sample_weight_of_each_rows_class(loss, units, y) -> None:
    output = "sigmoid" if units == 1 else "softmax"
    x = np.random.default_rng(2).normal(size=(6, 4))
    classes = np.argmax(y, axis=1) if y.ndim == 2 else y.astype(int)
    # class 2 left out of the dict weighs 1, as Keras's class_weight.get(c, 1.0)
    table = {0: 0.25, 1: 4.0}
    weights = np.array([table.get(int(c), 1.0) for c in classes])
    a, b = _model(output, units, loss), _model(output, units, loss)
    assert a.train_on_batch(x, y, class_weight=table) == pytest.approx(
        b.train_on_batch(x, y, sample_weight=weights), rel=1e-14
    )
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    assert a.evaluate(x, y) == pytest.approx(b.evaluate(x, y), rel=1e-14)


def _refused(call, error, text: str) -> None:
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == text


def test_hostile_sample_weights_are_refused_before_any_step() -> None:
    model = _model("linear", 1, "mse")
    model.compile(gn.SGD(0.1), "mse")  # float64 model
    x, y = np.ones((6, 4)), np.zeros(6)
    fix = "Give one non-negative number per example, e.g. sample_weight=np.ones(len(x))."
    fit = model.fit
    _refused(
        lambda: fit(x, y, sample_weight=np.ones(5)),
        ValueError,
        f"sample_weight has 5 weights for 6 examples (rows of x); they must have the same "
        f"length. {fix}",
    )
    _refused(
        lambda: fit(x, y, sample_weight=np.ones((6, 2))),
        ValueError,
        f"Expected sample_weight of shape (6,) (one weight per example; Keras also takes "
        f"(6, 1)), got shape (6, 2). Per-output or per-time-step weights are not "
        f"supported. {fix}",
    )
    _refused(
        lambda: fit(x, y, sample_weight=2.0),
        ValueError,
        f"Expected sample_weight of shape (6,) (one weight per example; Keras also takes "
        f"(6, 1)), got shape (). Per-output or per-time-step weights are not "
        f"supported. {fix}",
    )
    _refused(
        lambda: fit(x, y, sample_weight=-W6),
        ValueError,
        "sample_weight[0] is -1: weights must be >= 0 (a negative weight would make "
        "training climb that example's loss; Keras silently does). Use 0 to leave an "
        "example out.",
    )
    _refused(
        lambda: fit(x, y, sample_weight=[1, 1, np.nan, 1, np.inf, 1]),
        ValueError,
        "sample_weight[2] is nan: weights must be finite numbers (2 are not). Replace them "
        "(e.g. np.nan_to_num(sample_weight, nan=0.0)) or drop those rows.",
    )
    _refused(
        lambda: fit(x, y, sample_weight=["a"] * 6),
        TypeError,
        f"Expected sample_weight to hold numbers, got an array of <U1 (['a', 'a', 'a']...). {fix}",
    )
    _refused(
        lambda: fit(x, y, sample_weight={0: 1.0}),
        TypeError,
        f"Expected sample_weight to be an array of numbers, one per example, got dict "
        f"{{0: 1.0}}. {fix} (A dict of class weights goes in class_weight=.)",
    )
    _refused(
        lambda: fit(x, y, sample_weight=[1e308] * 6),
        ValueError,
        "sample_weight sums to more than the largest float64 (1.8e+308), so the weighted "
        "loss would be inf. Scale the weights down (only their ratios and mean matter).",
    )
    _refused(
        lambda: fit(x, y, sample_weight=np.ones(6), class_weight={0: 1.0}),
        ValueError,
        "You cannot pass sample_weight and class_weight at the same time (Keras refuses it "
        "too). Fold the class weights into the sample weights: sample_weight = "
        "np.array([class_weight[c] for c in labels]) * sample_weight.",
    )
    _refused(
        lambda: fit(x, y, validation_data=(x, y, np.ones(2))),
        ValueError,
        f"sample_weight_val has 2 weights for 6 examples (rows of x); they must have the "
        f"same length. {fix}",
    )
    assert model.optimizer.iterations == 0
    # float32: a weight beyond its range
    small = gn.Sequential([gn.Input(shape=(4,)), gn.layers.Dense(1)])
    small.compile("sgd", "mse")
    _refused(
        lambda: small.evaluate(x, y, sample_weight=[1, 1e39, 1, 1, 1, 1]),
        ValueError,
        "sample_weight[1] is 1e+39, beyond the largest float32 (3.4e+38). Scale the "
        "weights down (only their ratios and mean matter), or build the model with "
        "dtype='float64'.",
    )
    # the same checks on every route: train_on_batch, test_on_batch, a loss called directly
    _refused(
        lambda: small.train_on_batch(x, y, sample_weight=-np.ones(6)),
        ValueError,
        "sample_weight[0] is -1: weights must be >= 0 (a negative weight would make "
        "training climb that example's loss; Keras silently does). Use 0 to leave an "
        "example out.",
    )
    with pytest.raises(ValueError, match=r"^sample_weight has 3 weights for 6 examples"):
        small.test_on_batch(x, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match=r"^sample_weight\[0\] is nan"):
        gn.MeanSquaredError()(np.zeros(2), np.ones(2), sample_weight=[np.nan, 1])
    assert small.optimizer.iterations == 0


def test_hostile_class_weights_are_refused() -> None:
    model = _model("softmax", 3, "categorical_crossentropy")
    x, y = np.ones((6, 4)), np.eye(3)[[0, 1, 2, 0, 1, 2]]
    fit = model.fit
    _refused(
        lambda: fit(x, y, class_weight={5: 1.0}),
        ValueError,
        "class_weight names class 5, but the model's output has 3 units, so its classes "
        "are 0 to 2. Fix the key, or give the last layer one unit per class.",
    )
    _refused(
        lambda: fit(x, y, class_weight={"cat": 1.0}),
        TypeError,
        "class_weight's keys must be class indices (ints 0 to 2), got str 'cat'. Keras "
        "keys class_weight by the class's index: map names to indices first, e.g. "
        "{0: 1.0, 1: 5.0}.",
    )
    _refused(
        lambda: fit(x, y, class_weight={0: "heavy"}),
        TypeError,
        "class_weight[0] must be a number, got str 'heavy', e.g. {0: 1.0, 1: 5.0}.",
    )
    _refused(
        lambda: fit(x, y, class_weight={0: -2}),
        ValueError,
        "class_weight[0] is -2: a class weight must be a finite number >= 0 (0 leaves the "
        "class out of the loss).",
    )
    _refused(
        lambda: fit(x, y, class_weight={1: float("nan")}),
        ValueError,
        "class_weight[1] is nan: a class weight must be a finite number >= 0 (0 leaves the "
        "class out of the loss).",
    )
    _refused(
        lambda: fit(x, y, class_weight=[1.0, 2.0, 3.0]),
        TypeError,
        "Expected class_weight to be a dict mapping each class index to its weight, e.g. "
        "{0: 1.0, 1: 5.0}, got list [1.0, 2.0, 3.0]. (Per-example weights go in "
        "sample_weight=.)",
    )
    _refused(
        lambda: fit(x, y, class_weight={True: 1.0}),
        TypeError,
        "class_weight's keys must be class indices (ints 0 to 2), got bool True. Keras "
        "keys class_weight by the class's index: map names to indices first, e.g. "
        "{0: 1.0, 1: 5.0}.",
    )
    binary = _model("sigmoid", 1, "binary_crossentropy")
    _refused(
        lambda: binary.fit(x, np.zeros(6), class_weight={2: 1.0}),
        ValueError,
        "class_weight names class 2, but the model's output has one unit (classes 0 and "
        "1), so its classes are 0 to 1. Fix the key, or give the last layer one unit per "
        "class.",
    )
    small = gn.Sequential([gn.Input(shape=(4,)), gn.layers.Dense(1, "sigmoid")])
    small.compile("sgd", "binary_crossentropy")
    _refused(
        lambda: small.train_on_batch(x, np.zeros(6), class_weight={1: 1e39}),
        ValueError,
        "class_weight[1] is 1e+39, beyond the largest float32 (3.4e+38). Scale the class "
        "weights down (only their ratios and mean matter), or build the model with "
        "dtype='float64'.",
    )
    assert model.optimizer.iterations == 0 and small.optimizer.iterations == 0


def test_check_gradients_and_compute_gradients_take_the_weights() -> None:
    from glassnet.gradcheck import check_gradients

    rng = np.random.default_rng(4)
    x, labels = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    model = gn.Sequential(
        [gn.Input(shape=(4,)), gn.layers.Dense(5, "tanh"), gn.layers.Dense(3, "softmax")], seed=1
    )
    model.compile("sgd", "sparse_categorical_crossentropy")  # float32: checked in float64
    report = check_gradients(model, x, labels, sample_weight=W6, check_input=True)
    assert report.passed, report.table()
    weighted = model.compute_gradients(x, labels, sample_weight=W6)
    kernel = model.layers[0].kernel_gradient.copy()
    assert weighted == pytest.approx(model.evaluate(x, labels, sample_weight=W6), rel=1e-6)
    model.compute_gradients(x, labels)
    assert not np.allclose(model.layers[0].kernel_gradient, kernel)
    with pytest.raises(ValueError, match=r"^sample_weight\[0\] is -1: weights must be >= 0"):
        check_gradients(model, x, labels, sample_weight=-W6)


def test_validation_data_with_none_weights_is_unweighted() -> None:
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(8, 4)), rng.normal(size=(8, 1))
    model = _model("linear", 1, "mse")
    history = model.fit(x, y, validation_data=(x, y, None), epochs=1, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x, y), rel=1e-12)
    with pytest.raises(ValueError, match=r"^Expected validation_data=\(x_val, y_val\), a pair"):
        model.fit(x, y, validation_data=(x, y, None, None), verbose=0)


def test_weighted_loss_sums_in_float64_and_refuses_a_sum_past_it() -> None:
    """A float32 model's weighted evaluate summed w_i * loss_i in float32: weights of 1e3 on
    losses of 1e35 (each well inside float32) gave loss inf with a RuntimeWarning, where the
    direct call and the unweighted evaluate never return inf."""
    model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 2)), np.full((4, 1), 1e18)
    a = model.predict(x, verbose=0)
    per_example = ((y - a) ** 2)[:, 0].astype(np.float64)  # about 1e36 each, in float32's range
    w = np.full(4, 1e3)
    expected = float(np.dot(w, per_example)) / 4  # float64: 1e39, past float32's largest
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        got = model.evaluate(x, y, sample_weight=w, verbose=0)
        assert got == pytest.approx(expected, rel=1e-6) and np.isfinite(got)
        assert model.test_on_batch(x, y, sample_weight=w) == pytest.approx(expected, rel=1e-6)
    wide = gn.losses.MeanSquaredError()
    _refused(
        lambda: wide(np.full((2, 1), 1e10), np.zeros((2, 1)), sample_weight=[1e300, 1e300]),
        ValueError,
        "MeanSquaredError's weighted loss sum_i w_i * loss_i is past the largest float64 "
        "(largest weight 1e+300, largest per-example loss 1e+20). Scale the weights down (only "
        "their ratios and mean matter) or scale the targets.",
    )


def test_a_class_weight_past_float64_is_refused_in_words() -> None:
    """{0: 10**400}: float() raised a bare 'OverflowError: int too large to convert to float'."""
    model = _model("sigmoid", 1, "binary_crossentropy")
    _refused(
        lambda: model.fit(np.ones((4, 4)), np.zeros(4), class_weight={0: 10**400}),
        ValueError,
        "class_weight[0] is inf: a class weight must be a finite number >= 0 (0 leaves the "
        "class out of the loss).",
    )
    _refused(
        lambda: model.fit(np.ones((4, 4)), np.zeros(4), class_weight={0: -(10**400)}),
        ValueError,
        "class_weight[0] is -inf: a class weight must be a finite number >= 0 (0 leaves the "
        "class out of the loss).",
    )
    assert model.optimizer.iterations == 0


def test_ragged_sample_weights_get_the_weights_own_error() -> None:
    """Before: NumPy's "setting an array element with a sequence ... inhomogeneous shape"."""
    model = _model("linear", 1, "mse")
    model.compile(gn.SGD(0.1), "mse")
    x, y = np.ones((3, 4)), np.zeros(3)
    ragged = [[1.0], [1.0, 2.0], [3.0]]
    for call in (
        lambda: model.fit(x, y, sample_weight=ragged, verbose=0),
        lambda: model.evaluate(x, y, sample_weight=ragged),
        lambda: gn.losses.MeanSquaredError()(y, np.zeros(3), sample_weight=ragged),
    ):
        with pytest.raises(TypeError) as error:
            call()
        assert str(error.value).startswith(
            "Expected sample_weight to be an array of numbers, one per example, got ragged rows"
        )
        assert "sample_weight=np.ones(len(x))" in str(error.value)
