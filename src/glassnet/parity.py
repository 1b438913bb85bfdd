"""Parity: train the same network in glassnet and in PyTorch or Keras, step by step, and compare.

``compare(model, x, y, framework="torch")`` copies the model's current weights into a PyTorch
(float64) or Keras 3 (torch backend, float32) twin, trains both for ``steps`` steps on the same
batches, and reports per step the largest absolute difference of

    outputs aL (before the step), loss C, gradients dC/dW, and weights W (after the step).

glassnet itself runs in float64 (on a copy; the model passed in is not changed). Batches are taken
in order, without shuffling, wrapping around the data so every batch is full: step s uses rows
(s * batch_size + i) mod n_samples.

Image models compare too: every layer of ``glassnet.export`` but Dropout (its masks are random
in each framework). The PyTorch twin is ``to_torch``'s module (Conv2d weights (out, in, kh, kw),
turned back into glassnet's (kh, kw, in, out) to compare; BatchNorm2d in training mode, whose
batch statistics are glassnet's), the Keras twin the same Keras layers with the same arguments.
The trainable weights are compared; BatchNormalization's moving statistics are not (PyTorch's
running variance takes the unbiased batch variance).

Translations, stated in ``ParityReport.notes``:

- PyTorch: glassnet's optimizers follow ``torch.optim``'s rules, so the same hyperparameters are
  used (Keras's names: ``rho`` is PyTorch's ``alpha``, ``epsilon`` its ``eps``). Losses are
  glassnet's documented formulas written in torch: ``nn.MSELoss``, ``nn.BCEWithLogitsLoss``,
  -mean(y log p + (1 - y) log(1 - p)) and -mean(sum(y log p)) with p clipped to
  [1e-7, 1 - 1e-7] (the categorical p being each row divided by its sum first), as glassnet and
  Keras clip, and 0.5 * sum((a - y)**2) for the seed's HalfSumSquaredError.
- Keras has no half-sum loss. With a batch of N examples and k outputs, Keras's ``mse`` is
  (1 / (N k)) sum((a - y)**2), whose gradient is 2 / (N k) times the half sum's, so the seed's
  step with learning rate lr equals ``mse`` with learning rate lr * N k / 2 (the seed's full batch
  of 4, lr 1: Keras lr 2). Keras's loss and gradients are multiplied by N k / 2 before comparing.
  Keras's SGD momentum (v <- mu v - lr g; W <- W + v) is PyTorch's rule rewritten; its RMSprop and
  Adam place epsilon differently, so only SGD is compared with Keras. Keras's cross-entropies
  clip as glassnet's do, but in float32, where 1 - 1e-7 is 0.99999988: a binary cross-entropy
  whose sigmoid saturates past that is log(1.19e-7) in Keras and log(1e-7) in glassnet's float64
  copy, a difference of 0.18 per saturated output that no tolerance should hide.

PyTorch and Keras are optional: ``pip install 'glassnet[torch]'`` or ``'glassnet[keras]'``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._parity_keras import KerasTwin
from glassnet.export import SUPPORTED_LAYERS, module_name, require, to_torch
from glassnet.gradcheck import float64_copy
from glassnet.losses import EPSILON
from glassnet.model import Sequential

Array = NDArray[np.float64]
FRAMEWORKS = ("torch", "keras")
#: default tolerances on every difference: float64 against float64, float64 against float32
TOLERANCES = {"torch": 1e-10, "keras": 1e-5}


@dataclass
class StepDifference:
    """The largest absolute differences at one training step (step 1 is the first update)."""

    step: int
    loss: float  # glassnet's C on this step's batch, before the update
    loss_difference: float
    output_difference: float
    gradient_difference: float
    weight_difference: float  # after the update

    @property
    def worst(self) -> float:
        return max(
            self.loss_difference,
            self.output_difference,
            self.gradient_difference,
            self.weight_difference,
        )


@dataclass
class ParityReport:
    """Per-step differences between glassnet and ``framework``, and the verdict at
    ``tolerance``."""

    framework: str
    tolerance: float
    batch_size: int
    steps: list[StepDifference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outputs: tuple[Array, Array] | None = None  # both frameworks' outputs on x after training

    @property
    def passed(self) -> bool:
        return all(step.worst <= self.tolerance for step in self.steps)

    @property
    def max_weight_difference(self) -> float:
        return max((s.weight_difference for s in self.steps), default=0.0)

    @property
    def max_difference(self) -> float:
        return max((s.worst for s in self.steps), default=0.0)

    @property
    def first_failure(self) -> StepDifference | None:
        return next((s for s in self.steps if s.worst > self.tolerance), None)

    def table(self, rows: int = 10) -> str:
        """The notes, then about ``rows`` evenly spaced steps (always the first, the last and the
        first failure), then the largest difference of each kind over all steps."""
        every = max(1, len(self.steps) // rows)
        failure = self.first_failure
        head = f"{'step':>6}{'loss':>14}{'|d loss|':>11}{'|d output|':>12}{'|d grad|':>11}"
        lines = [*self.notes, head + f"{'|d weight|':>12}  result"]
        for s in self.steps:
            if s.step == 1 or s.step % every == 0 or s.step == len(self.steps) or s is failure:
                verdict = "ok" if s.worst <= self.tolerance else "MISMATCH"
                lines.append(
                    f"{s.step:>6}{s.loss:>14.6e}{s.loss_difference:>11.2e}"
                    f"{s.output_difference:>12.2e}{s.gradient_difference:>11.2e}"
                    f"{s.weight_difference:>12.2e}  {verdict}"
                )
        worst = {
            "loss": max((s.loss_difference for s in self.steps), default=0.0),
            "output": max((s.output_difference for s in self.steps), default=0.0),
            "gradient": max((s.gradient_difference for s in self.steps), default=0.0),
            "weight": self.max_weight_difference,
        }
        lines.append(
            f"largest over {len(self.steps)} steps: "
            + ", ".join(f"{k} {v:.2e}" for k, v in worst.items())
        )
        verdict = "PASS" if self.passed else f"MISMATCH (first at step {failure.step})"
        lines.append(f"tolerance {self.tolerance:g} (absolute, on every difference): {verdict}")
        return "\n".join(lines)


def compare(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    framework: str = "torch",
    steps: int = 100,
    batch_size: int | None = None,
    tolerance: float | None = None,
) -> ParityReport:
    """Train ``model`` (a float64 copy) and its PyTorch or Keras twin side by side; compare.

    ``framework`` is "torch" (float64) or "keras" (Keras 3 on its torch backend, float32).
    ``batch_size`` None means all of x (full batch) up to 32. ``tolerance`` defaults to 1e-10
    for torch and 1e-5 for keras. The model must be compiled; it is left unchanged.

    >>> import glassnet as gn
    >>> from glassnet.seed import XOR_X, XOR_Y, seed_network
    >>> report = compare(seed_network(), XOR_X, XOR_Y, "torch", steps=5)
    >>> report.passed, report.max_weight_difference < 1e-14
    (True, True)
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"Expected framework 'torch' or 'keras', got {framework!r}.")
    model._check_compiled("comparing with another framework")
    frozen = [layer.name for layer in model.layers if not model._trains(layer)]
    if frozen:  # the twins train every layer: their weights would part from ours at step 1
        raise ValueError(
            f"compare() trains every layer in both frameworks, but {', '.join(frozen[:5])} "
            f"{'is' if len(frozen) == 1 else 'are'} frozen (trainable = False). Compare a copy "
            f"with every layer trainable: copy = glassnet.models.clone_model(model); "
            f"copy.trainable = True; copy.set_weights(model.get_weights()); copy.compile(...)."
        )
    model._features(x)
    ours = float64_copy(model)
    x, y = ours._data(x, y)
    n = len(x)
    batch_size = min(32, n) if batch_size is None else int(batch_size)
    if not 1 <= batch_size <= n:
        raise ValueError(
            f"Expected batch_size between 1 and the {n} examples, got {batch_size}. Leave it unset "
            f"for full batches of up to 32."
        )
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"Expected steps to be a positive integer, got {steps!r}.")
    check_comparable(ours)
    twin = _TorchTwin(ours) if framework == "torch" else KerasTwin(ours, batch_size)
    report = ParityReport(
        framework=framework,
        tolerance=TOLERANCES[framework] if tolerance is None else float(tolerance),
        batch_size=batch_size,
        notes=[*_common_notes(ours, n, batch_size, steps), *twin.notes],
    )
    for step in range(steps):
        index = (step * batch_size + np.arange(batch_size)) % n
        xb, yb = x[index], y[index]  # (batch, n_in), (batch, units)
        with np.errstate(over="ignore"):  # as the sigmoid's own (the step runs it quietly)
            loss, a = ours._train_step(xb, yb)
        gradients = [g.copy() for g in ours._gradients]
        their_loss, their_a, their_gradients = twin.step(xb, yb)
        report.steps.append(
            StepDifference(
                step=step + 1,
                loss=loss,
                loss_difference=abs(loss - their_loss),
                output_difference=_max_difference([a], [their_a]),
                gradient_difference=_max_difference(gradients, their_gradients),
                weight_difference=_max_difference(ours._parameters, twin.weights()),
            )
        )
    report.outputs = (ours.predict(x), twin.predict(x))
    return report


def _max_difference(ours: list[Array], theirs: list[Array]) -> float:
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True))


#: the layer kinds both twins mirror: every exported kind but Dropout
COMPARABLE_LAYERS = tuple(kind for kind in SUPPORTED_LAYERS if kind != "Dropout")


def check_comparable(model: Sequential) -> None:
    """Refuse, with one clear sentence, a built model that parity cannot mirror: a layer kind
    without a twin (Dropout: its masks are random), a regularizer, an output that is not
    (batch, units)."""
    for layer in model.layers:
        _check_comparable(layer)
    shape = model._shape_after(len(model.layers))
    if len(shape) != 1:
        raise ValueError(
            f"Model '{model.name}' ends in images of shape {(None, *shape)}; parity compares "
            f"models whose output is (batch, units). End it with Flatten() and a Dense layer."
        )


def _check_comparable(layer: Any) -> None:
    if layer.kind not in COMPARABLE_LAYERS:
        reason = (
            "a dropout mask is random in each framework; compare the network without Dropout"
            if layer.kind == "Dropout"
            else "it has no PyTorch or Keras twin here"
        )
        raise ValueError(
            f"Layer '{layer.name}' ({layer.kind}) cannot be compared step by step ({reason}). "
            f"Parity supports {', '.join(COMPARABLE_LAYERS)}."
        )
    for attribute in ("kernel_regularizer", "bias_regularizer"):
        if getattr(layer, attribute, None) is not None:
            raise ValueError(
                f"Layer '{layer.name}' has a {attribute}; parity compares the loss alone. "
                f"Compare the network without regularizers."
            )


def _common_notes(ours: Sequential, n: int, batch_size: int, steps: int) -> list[str]:
    return [
        f"glassnet float64; {steps} steps of {ours.optimizer!r} on {ours.loss!r}; "
        f"batches of {batch_size} taken in order from {n} examples, no shuffling",
    ]


#: a torch tensor in glassnet's layout
Layout = Callable[[Any], Array]


def _as_is(tensor: Any) -> Array:
    return tensor.detach().cpu().numpy().astype(np.float64)


def _linear_weight(tensor: Any) -> Array:
    return _as_is(tensor).T  # (units, n_in) -> W (n_in, units)


def _conv_weight(tensor: Any) -> Array:
    return _as_is(tensor).transpose(2, 3, 1, 0)  # (out, in, kh, kw) -> K (kh, kw, in, out)


def _torch_slots(ours: Sequential, module: Any) -> list[tuple[Any, Layout]]:
    """The torch parameter behind each glassnet parameter, in glassnet's order, and how to read
    it in glassnet's layout (a Linear's weight is W.T, a Conv2d's (out, in, kh, kw))."""
    slots: list[tuple[Any, Layout]] = []
    for layer in ours.layers:
        wrapper = module.get_submodule(module_name(layer.name)) if layer.parameters else None
        if layer.kind == "Dense":
            slots.append((wrapper.weight, _linear_weight))
            if layer.use_bias:
                slots.append((wrapper.bias, _as_is))
        elif layer.kind == "Conv2D":  # ChannelsLast(Conv2d), or of Sequential(pad, Conv2d)
            conv = wrapper.inner if hasattr(wrapper.inner, "weight") else wrapper.inner[-1]
            slots.append((conv.weight, _conv_weight))
            if layer.use_bias:
                slots.append((conv.bias, _as_is))
        elif layer.kind == "BatchNormalization":  # BatchNorm1d, or Permuted(BatchNorm2d)
            norm = getattr(wrapper, "inner", wrapper)
            if layer.scale:
                slots.append((norm.weight, _as_is))  # gamma
            if layer.center:
                slots.append((norm.bias, _as_is))  # beta
    return slots


class _TorchTwin:
    """The model in PyTorch, float64, trained with the matching torch.optim optimizer."""

    def __init__(self, ours: Sequential) -> None:
        self.torch = torch = require("torch", "torch")
        self.module = to_torch(ours, dtype="float64").train()
        self.slots = _torch_slots(ours, self.module)
        self.loss_fn, loss_note = _torch_loss(torch, ours.loss)
        self.optimizer, optimizer_note = _torch_optimizer(
            torch, ours.optimizer, [p for p, _ in self.slots]
        )
        self.notes = [f"PyTorch {torch.__version__} float64: {loss_note}; {optimizer_note}"]
        if any(layer.kind == "BatchNormalization" for layer in ours.layers):
            self.notes.append(
                "BatchNormalization: torch.nn.BatchNorm(momentum=1 - momentum) in training mode, "
                "the same batch statistics; its running_var moves by the unbiased batch variance "
                "(glassnet's and Keras's by the biased one), so predictions after training "
                "differ by that, while every step's outputs, gradients and weights agree"
            )

    def step(self, xb: Array, yb: Array) -> tuple[float, Array, list[Array]]:
        torch = self.torch
        a = self.module(torch.from_numpy(xb))
        loss = self.loss_fn(a, torch.from_numpy(yb))
        self.optimizer.zero_grad()
        loss.backward()
        gradients = [layout(p.grad) for p, layout in self.slots]
        self.optimizer.step()
        return float(loss.item()), a.detach().numpy().copy(), gradients

    def weights(self) -> list[Array]:
        return [layout(p) for p, layout in self.slots]

    def predict(self, x: Array) -> Array:
        self.module.eval()  # BatchNorm: the running statistics, as glassnet's predict
        with self.torch.no_grad():
            return self.module(self.torch.from_numpy(x)).numpy().copy()


def _torch_loss(torch: Any, loss: Any) -> tuple[Any, str]:
    """(loss function of (a, y), note): glassnet's documented loss, term for term, in PyTorch.

    The probability losses clip as glassnet does (and Keras): p to [1e-7, 1 - 1e-7] inside the
    log, and the categorical one rescales each row to sum 1 first. ``nn.BCELoss`` (which clamps
    the log at -100 instead) and a bare ``log(a)`` would differ from glassnet wherever an output
    is within 1e-7 of 0 or 1, as a well-trained classifier's outputs are.
    """
    name, logits = loss.name, loss.from_logits
    low, high = EPSILON, 1.0 - EPSILON
    if (
        loss.label_smoothing
        or loss.reduction not in ("sum_over_batch_size", "sum")
        or (loss.reduction == "sum" and name != "half_sum_squared_error")
    ):
        raise ValueError(
            f"The PyTorch comparison takes the losses with their default reduction and no "
            f"label smoothing; this {type(loss).__name__} has "
            f"{loss.get_config()}. Compare without them (tests/test_losses_more.py checks them)."
        )
    if name == "mean_absolute_error":
        return torch.nn.L1Loss(), "mae = nn.L1Loss() (mean)"
    if name == "huber":
        return torch.nn.HuberLoss(delta=loss.delta), f"nn.HuberLoss(delta={loss.delta}) (mean)"
    if name == "mean_squared_error":
        return torch.nn.MSELoss(), "mse = nn.MSELoss() (mean)"
    if name == "half_sum_squared_error":
        return (lambda a, y: 0.5 * ((a - y) ** 2).sum()), "half sum = 0.5 * ((a - y)**2).sum()"
    if name == "binary_crossentropy":
        if logits:
            return torch.nn.BCEWithLogitsLoss(), "nn.BCEWithLogitsLoss() (mean)"

        def binary(a: Any, y: Any) -> Any:
            p = a.clamp(low, high)
            return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

        return (
            binary,
            f"bce = -(y log p + (1 - y) log(1 - p)).mean(), p = a.clamp({low:g}, 1 - {low:g})",
        )
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        if logits:
            return (
                lambda z, y: -(y * torch.log_softmax(z, dim=1)).sum(dim=1).mean(),
                "cross-entropy = -(y * log_softmax(z)).sum(1).mean()",
            )

        def categorical(a: Any, y: Any) -> Any:
            p = (a / a.sum(dim=1, keepdim=True)).clamp(low, high)
            return -(y * torch.log(p)).sum(dim=1).mean()

        return categorical, (
            f"cross-entropy = -(y * log(p)).sum(1).mean(), p = (a / a.sum(1)).clamp({low:g}, "
            f"1 - {low:g}) (labels one-hot)"
        )
    raise ValueError(f"Loss {name!r} has no PyTorch translation in glassnet.parity.")


def _torch_optimizer(torch: Any, optimizer: Any, params: list[Any]) -> tuple[Any, str]:
    lr = optimizer.learning_rate
    extras = [k for k in ("clipnorm", "clipvalue", "global_clipnorm") if getattr(optimizer, k)]
    if optimizer.weight_decay and optimizer.name != "adamw":
        extras.append("weight_decay")  # torch.optim's is an L2 penalty, not Keras's decay
    if optimizer.schedule is not None:
        extras.append("a learning-rate schedule")
    if extras:
        raise ValueError(
            f"The PyTorch comparison covers torch.optim's own rules; this optimizer also has "
            f"{', '.join(extras)}, which torch.optim does not do the same way. Compare without "
            f"it (tests/test_optimizers_keras.py checks it against Keras)."
        )
    if optimizer.name == "sgd":
        made = torch.optim.SGD(
            params, lr=lr, momentum=optimizer.momentum, nesterov=optimizer.nesterov
        )
    elif optimizer.name == "rmsprop":
        made = torch.optim.RMSprop(
            params,
            lr=lr,
            alpha=optimizer.rho,
            eps=optimizer.epsilon,
            momentum=optimizer.momentum,
            centered=optimizer.centered,
        )
    elif optimizer.name in ("adam", "adamw"):
        betas = (optimizer.beta_1, optimizer.beta_2)
        settings = {
            "lr": lr,
            "betas": betas,
            "eps": optimizer.epsilon,
            "amsgrad": optimizer.amsgrad,
        }
        if optimizer.name == "adamw":
            made = torch.optim.AdamW(params, weight_decay=optimizer.weight_decay, **settings)
        else:
            made = torch.optim.Adam(params, **settings)
    elif optimizer.name == "adagrad":
        made = torch.optim.Adagrad(
            params,
            lr=lr,
            eps=optimizer.epsilon,
            initial_accumulator_value=optimizer.initial_accumulator_value,
        )
    else:
        raise ValueError(f"Optimizer {optimizer.name!r} has no PyTorch translation.")
    shown = (*_SHOWN, "weight_decay") if optimizer.name == "adamw" else _SHOWN
    settings = ", ".join(
        f"{k}={v}"
        for k, v in made.defaults.items()
        if k in shown and not (k == "amsgrad" and not v)  # amsgrad only when on
    )
    return made, f"torch.optim.{type(made).__name__}({settings}), the same update rule"


_SHOWN = (
    "lr",
    "momentum",
    "nesterov",
    "alpha",
    "eps",
    "betas",
    "centered",
    "amsgrad",
    "initial_accumulator_value",
)
