"""The training step's fast path: ``Sequential._readable_step``'s per-step decisions, made once.

The readable step (``Sequential._readable_step``) asks again at every step: does the output
activation fuse with the loss? which layers train? which add a penalty to the cost? does the
optimizer see every parameter? A ``StepPlan`` answers those once, for the model as it is, and
its ``step`` then runs the same layer, loss and optimizer methods in the same order, so the
numbers are the readable step's to the last bit (tests/test_step_plan.py):

    a = x; a = layer.forward_in_step(a) for each layer          (batch, units) at the end
    C, g = loss.value_and_gradient(y, a, w, fused)              g = dC/daL, or delta = dC/dzL
    g = layer.backward(g) from the last layer to the first      dC/dW filled on the way
    C += the trained layers' penalties;  optimizer.apply(trained W, their dC/dW)

As ``Sequential.forward(x, training=True)``, the forward takes each Conv2D(relu) -> MaxPooling2D
pair as one fused step (layers/conv_pool.py ``training_steps``).

A plan belongs to its ``key``: the loss, the optimizer, the layers and their ``trainable`` flags,
the last one's activation, the parameter lists. ``plan_for`` compares the key at
every step (a few attribute reads) and makes a new plan when anything in it changed: a layer
frozen or added, ``compile`` again, ``model.trainable = False``. Weights changed in place
(``set_weights``, the optimizer) change nothing in a plan, which holds no numbers.

``step`` runs inside the caller's ``np.errstate(over="ignore", invalid="ignore")`` (fit's epoch,
train_on_batch), as the readable step does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet._validation import all_finite_quietly
from glassnet.layers.conv_pool import training_steps
from glassnet.layers.core import Layer
from glassnet.layers.pooling import MaxPooling2D

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]


def plan_key(model: Sequential) -> tuple[Any, ...]:
    """What a plan's decisions read, compared by ``==`` (objects by identity: none of them
    defines ``==``; flags by value): the loss and whether it takes logits, the optimizer, the
    model's freezing, the last layer's activation (fused or not), each layer's ``trainable``.
    The layers and parameter lists are compared by ``plan_for``."""
    loss, layers = model.loss, model.layers
    return (
        loss,
        loss.from_logits,
        model.optimizer,
        model._frozen_model,
        getattr(layers[-1], "activation", None),
        [layer._trainable for layer in layers],
    )


class StepPlan:
    """One model's step with its decisions made (see the module docstring)."""

    def __init__(self, model: Sequential, key: tuple[Any, ...]) -> None:
        self.key = key
        self.parameters, self.gradients = model._parameters, model._gradients
        self.layers = layers = list(model.layers)
        self.last = layers[-1]
        self.fused = model._fused_output()
        # a Conv2D(relu) -> MaxPooling2D pair runs as one fused step, as in Sequential.forward
        # (training_steps checks the pairs again at each step: a layer may be built or changed)
        self.pooling = MaxPooling2D in map(type, layers)
        # the layers before the last, last to first, each with whether it passes dC/da on
        # (the first needs no dC/da0); the last passes it on when a layer is before it
        self.earlier = [(layers[index], index > 0) for index in range(len(layers) - 2, -1, -1)]
        self.more = len(layers) > 1
        trained = [layer for layer in layers if model._trains(layer)]
        base_penalty = Layer.regularization_penalty
        # a layer without a penalty of its own adds 0.0, which changes no sum
        self.penalized = [
            layer for layer in trained if type(layer).regularization_penalty is not base_penalty
        ]
        # every layer trains: the optimizer sees the model's lists; else the readable update
        # narrows them (and the optimizer's state) to the trained layers, and none: no step
        self.update_all = len(trained) == len(layers)
        self.update_some = bool(trained) and not self.update_all
        # each parameter as a flat view, made once: it follows every in-place write (the
        # optimizer's, set_weights'), and its x . x is a method call (weights_finite)
        contiguous = all(p.flags.c_contiguous for p in self.parameters)
        self.flat = [p.reshape(-1) for p in self.parameters] if contiguous else None

    def step(
        self,
        model: Sequential,
        x: Array,
        y: Array,
        sample_weight: Array | None = None,
        spend: bool = False,
    ) -> tuple[float, Array]:
        """Forward, C, backward, update: ``Sequential._readable_step``'s numbers. ``spend``:
        the caller overwrites the gradients before anything reads them (training.run_epoch), so
        the update may use them as scratch (``Optimizer.apply_spending``) when C is finite (a
        loss that stops training leaves dC/dW to look at)."""
        a = x
        for layer in training_steps(self.layers) if self.pooling else self.layers:
            a = layer.forward_in_step(a)
        loss, grad = model.loss.value_and_gradient(y, a, sample_weight, self.fused)
        if self.fused:  # grad is delta = dC/dzL already
            grad = self.last.backward_delta(grad, self.more)
        else:
            grad = self.last.backward(grad, self.more)
        for layer, need_input_gradient in self.earlier:
            grad = layer.backward(grad, need_input_gradient)
        penalty = 0  # sum()'s start, as the readable cost adds the penalties
        for layer in self.penalized:
            penalty += layer.regularization_penalty()
        if self.update_all:
            if spend and math.isfinite(loss + penalty):
                model.optimizer.apply_spending(self.parameters, self.gradients)
            else:
                model.optimizer.apply(self.parameters, self.gradients)
        elif self.update_some:
            model._apply_update()
        return loss + penalty, a

    def weights_finite(self) -> bool:
        """``all_finite_quietly(model._parameters)`` after the update, the same answer: the sum
        of the parameters' sums of squares, each ``f.dot(f)`` of a flat view (a method call, a
        third cheaper than ``np.vdot``'s dispatch on the seed's two small kernels), is finite
        only if every entry is; else all_finite_quietly decides. Inside the caller's errstate."""
        flat = self.flat
        if flat is not None:
            total = 0.0
            for view in flat:
                total += view.dot(view)
            if math.isfinite(total):
                return True
        return all_finite_quietly(self.parameters)


def plan_for(model: Sequential) -> StepPlan:
    """The model's plan, made again when its key changed (a few attribute reads per step)."""
    key = plan_key(model)
    plan = vars(model).get("_step_plan")
    if (
        plan is None
        or plan.layers != model.layers  # layer by layer, by identity (add, pop)
        or plan.key != key
        or plan.parameters is not model._parameters  # rebuilt lists (build, add, pop)
        or plan.gradients is not model._gradients
    ):
        plan = model._step_plan = StepPlan(model, key)
    return plan
