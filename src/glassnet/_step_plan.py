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

A chain of small Dense layers (the seed toy) takes ``dense_step``: the same calls again, with
the layers' small-array branch, the sigmoid, HalfSumSquaredError's value and gradient and plain
SGD with rate 1 written out in the step (about 2.5 of the seed's 15 µs a step were the calls and
their checks; tests/test_dense_step.py proves it the readable step, bit for bit). Where every
array is of one dtype and C-contiguous (a sigmoid chain with the half sum, the seed toy), its
matrix products are ``ndarray.dot``: the very BLAS call of ``@`` without the matmul ufunc's
dispatch, 0.3 against 0.85 µs on the seed's 4 x 4 arrays, so its step takes 9.4 µs where the
hand-written NumPy loop (benchmarks/hand.py, with @) takes 11.2 (tests/test_train_on_batch_speed.py
proves the bits equal).

A plan belongs to what its decisions read: the loss, the optimizer, the layers and their
``trainable`` flags, the last one's activation, the parameter lists; for ``dense_step`` also
every layer's activation and regularizer and SGD's settings. ``plan_for`` compares them at every
lookup (``StepPlan.holds``, a few attribute reads; fit looks up once per fit when only its own
callbacks run) and makes a new plan when anything changed: a layer frozen or added, ``compile``
again, ``model.trainable = False``, a new activation or rate. Weights changed in place
(``set_weights``, the optimizer) change nothing in a plan, which holds no numbers.

``step`` runs inside the caller's ``np.errstate(over="ignore", invalid="ignore")`` (fit's epoch,
train_on_batch), as the readable step does.
"""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet._validation import all_finite_quietly
from glassnet.activations import Sigmoid
from glassnet.layers.conv_pool import training_steps
from glassnet.layers.core import Dense, Layer
from glassnet.layers.pooling import MaxPooling2D
from glassnet.losses import HalfSumSquaredError
from glassnet.optimizers import SGD

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]


#: what ``SGD.apply`` reads to choose its rule besides the rate: momentum, weight decay,
#: schedule and the three clippings, as one tuple (read in C: a third of a Python function's time)
_sgd_rule = operator.attrgetter(
    "momentum", "weight_decay", "schedule", "clipvalue", "clipnorm", "global_clipnorm"
)


def sgd_settings(optimizer: SGD) -> tuple[Any, ...]:
    """What ``SGD.apply`` reads to choose its rule: momentum, weight decay, schedule, the three
    clippings, the rate (compared by ``==``: numbers, None, a schedule)."""
    # (no _learning_rate while a schedule gives the rate)
    return (_sgd_rule(optimizer), vars(optimizer).get("_learning_rate"))


#: plain SGD with learning rate 1, the seed's: SGD.apply's ``param -= grad`` for each parameter
PLAIN_SGD_ONE = ((0.0, None, None, None, None, None), 1.0)


class StepPlan:
    """One model's step with its decisions made (see the module docstring)."""

    def __init__(self, model: Sequential) -> None:
        # what the decisions below read, compared by ``holds`` at each lookup
        loss = model.loss
        self.loss, self.from_logits, self.optimizer = loss, loss.from_logits, model.optimizer
        self.frozen_model = model._frozen_model
        self.parameters, self.gradients = model._parameters, model._gradients
        self.layers = layers = list(model.layers)
        self.reads = [(layer, layer._trainable) for layer in layers]  # each layer's trainable
        self.last = layers[-1]
        self.last_activation = getattr(self.last, "activation", None)
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
        # dense_step: a chain of Dense layers without a regularizer, all trained, whose output
        # does not fuse with the loss (the seed toy), on batches below every layer's
        # ``_reuse_rows`` (set by build: smaller ones make new arrays)
        chain = all(type(layer) is Dense for layer in layers)
        self.dense = (
            chain
            and not self.fused
            and self.update_all
            and all(layer.kernel_regularizer is None for layer in layers)
        )
        # what dense_step's decisions read besides (in any chain: a regularizer taken off, the
        # chain takes dense_step again): each layer's activation and regularizer
        self.dense_reads = (
            [(layer, t, layer.activation, layer.kernel_regularizer) for layer, t in self.reads]
            if chain
            else []
        )
        self.sgd: tuple[Any, ...] | None = None
        if self.dense:
            self._plan_dense(model)

    def _plan_dense(self, model: Sequential) -> None:
        """``dense_step``'s decisions, and what they read besides the plan's (``holds``)."""
        layers = self.layers
        self.small_rows = min(layer._reuse_rows for layer in layers)
        # each layer with whether its activation is the sigmoid, which dense_step writes out;
        # backward: last to first, with whether it passes dC/da on (the first needs no dC/da0)
        self.chain = [(layer, type(layer.activation) is Sigmoid) for layer in layers]
        self.chain_back = [(*self.chain[i], i > 0) for i in range(len(layers) - 1, -1, -1)]
        # step's penalty: 0, plus 0.0 for each Dense layer (none has a regularizer here)
        self.no_penalty = 0.0 if self.penalized else 0
        # the loss: HalfSumSquaredError's value_and_gradient as its function, else the method
        self.half_sum = type(model.loss) is HalfSumSquaredError
        # the update: plain SGD with rate 1 written out (SGD.apply's settings, compared by
        # ``holds``), else the optimizer's apply
        optimizer = model.optimizer
        self.sgd = sgd_settings(optimizer) if type(optimizer) is SGD else None
        self.pairs = list(zip(self.parameters, self.gradients, strict=False))
        # the products: ndarray.dot, @'s own BLAS call without the matmul ufunc's dispatch (0.3
        # against 0.85 us on the seed's 4 x 4 arrays), where every array is provably of one
        # dtype and C-contiguous: sigmoids and the half sum (a new array of their operands'
        # dtype) on weights and gradients so made, for x and y of that dtype, x C-contiguous
        # (step); else @ itself (on a strided x, @ may sum without BLAS: other last bits)
        self.dtype = dtype = model.dtype
        self.dots = (
            all(sigmoid for _, sigmoid in self.chain)
            and self.half_sum
            and all(
                array.dtype == dtype and array.flags.c_contiguous
                for array in (*self.parameters, *self.gradients)
            )
        )
        self.sgd_one = (
            self.sgd == PLAIN_SGD_ONE
            and type(self.sgd[-1]) is float  # as SGD.apply asks
            and len(self.parameters) == len(self.gradients)  # (else apply's zip raises)
            and all(p.dtype == g.dtype for p, g in self.pairs)
        )

    def holds(self, model: Sequential) -> bool:
        """Whether the plan's decisions still hold for ``model``: the same loss (and
        from_logits), optimizer, model freezing, layers (by identity: add, pop), parameter
        lists (rebuilt by build, add, pop), each layer's ``trainable``, the last layer's
        activation (fused or not); for ``dense_step`` also each layer's activation and
        regularizer (objects compared by identity, flags by value)."""
        loss, layers = model.loss, self.layers
        if (
            loss is not self.loss
            or loss.from_logits != self.from_logits
            or model.optimizer is not self.optimizer
            or model._frozen_model != self.frozen_model
            or model._parameters is not self.parameters
            or model._gradients is not self.gradients
            or model.layers != layers  # layer by layer, by identity
        ):
            return False
        if not self.dense_reads:
            return getattr(self.last, "activation", None) is self.last_activation and all(
                layer._trainable == trainable for layer, trainable in self.reads
            )
        # a Dense chain's, the last layer's activation among them
        for layer, trainable, activation, regularizer in self.dense_reads:
            if (
                layer._trainable != trainable
                or layer.activation is not activation
                or layer.kernel_regularizer is not regularizer
            ):
                return False
        return self.sgd is None or sgd_settings(model.optimizer) == self.sgd

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
        if self.dense and sample_weight is None and x.shape[0] < self.small_rows:
            return self.dense_step(model, x, y)
        return self.layer_step(model, x, y, sample_weight, spend)

    def layer_step(
        self,
        model: Sequential,
        x: Array,
        y: Array,
        sample_weight: Array | None = None,
        spend: bool = False,
    ) -> tuple[float, Array]:
        """``step`` through the layers', loss's and optimizer's own methods (the module
        docstring's four lines)."""
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

    def product_for(self, x: Array, y: Array) -> Any:
        """dense_step's matrix product for this batch: ``ndarray.dot`` where it makes @'s very
        BLAS call (``dots``, x and y of the plan's dtype, x C-contiguous), else ``np.matmul``."""
        if self.dots and x.dtype == self.dtype == y.dtype and x.flags.c_contiguous:
            return np.ndarray.dot
        return np.matmul

    def dense_step(self, model: Sequential, x: Array, y: Array) -> tuple[float, Array]:
        """``step`` for a chain of small Dense layers (``dense``), unweighted: the same calls in
        the same order, with ``Dense.forward_in_step`` / ``backward`` / ``backward_delta``'s
        branch for small arrays (``_in_step`` False: every array new) and ``Sigmoid.quietly`` /
        ``backward`` written out here; what they ask at every call was decided by the plan
        (tests/test_dense_step.py: the same numbers, kept arrays and errors). Saves the seed toy
        about 2 of its 14.5 µs a step: the method calls and checks, not the arithmetic; the
        products by ``ndarray.dot`` 3 more.

            a_prev = a; z = a_prev @ W (+ b); a = f(z)                    first layer to last
            C, g = loss.value_and_gradient(y, aL)                         g = dC/daL
            delta = g * f'(z); dC/dW = a_prev.T @ delta; dC/db = sum(delta); g = delta @ W.T
                                                                          last layer to first
            optimizer.apply(W, dC/dW)

        The sigmoid's a = 1 / (1 + exp(-z)) in one array (-z, exp, + 1, 1 /), and its
        delta = (1 - a) a * g, as ``Sigmoid.backward`` (whose branches give the same numbers: the
        products commute exactly, and ``* g`` makes the array of g's dtype and shape). The
        matrix products are ``product(a, b[, out])``: ``np.matmul`` (@), or ``ndarray.dot``
        where it makes @'s very BLAS call (``product_for``; tests/test_train_on_batch_speed.py).
        """
        product = self.product_for(x, y)
        a = x
        negative, exp, divide, subtract, multiply = (
            np.negative,
            np.exp,
            np.divide,
            np.subtract,
            np.multiply,
        )
        for layer, sigmoid in self.chain:
            layer.a_prev = a  # (batch, n_in)
            z = product(a, layer.kernel)  # (batch, units)
            if layer.use_bias:
                z += layer.bias
            layer.z = z
            if sigmoid:
                a = negative(z)
                exp(a, out=a)
                a += 1.0
                a = divide(1.0, a, out=a)
            else:
                a = layer.activation.quietly(z)
            layer.a = a  # (batch, units)
            layer._in_step = False  # a backward called by hand makes new arrays too
        if self.half_sum:  # half_sum_and_error(y, a): C = 1/2 (d . d), dC/da = d = a - y
            grad = a - y  # (batch, units): fewer than SMALL numbers (small_rows' bound)
            flat = grad.ravel()  # (batch units,), as half_sum_of_squares' reshape(-1)
            loss = 0.5 * float(flat.dot(flat))
        else:
            loss, grad = model.loss.value_and_gradient(y, a, None, False)
        for layer, sigmoid, need_input_gradient in self.chain_back:
            if sigmoid:
                out = layer.a
                delta = subtract(1.0, out)
                delta *= out
                delta = multiply(delta, grad)  # (batch, units)
            else:
                delta = layer.activation.backward(layer.z, layer.a, grad)
            layer.delta = delta
            product(layer.a_prev.T, delta, layer.kernel_gradient)  # (n_in, units)
            if layer.use_bias:
                np.add.reduce(delta, axis=0, out=layer.bias_gradient)  # (units,)
            grad = product(delta, layer.kernel.T) if need_input_gradient else None  # (batch, n_in)
        if self.sgd_one:  # SGD.apply with rate 1: W -= dC/dW (1.0 * g == g exactly)
            model.optimizer.iterations += 1
            for parameter, gradient in self.pairs:
                parameter -= gradient
        else:
            model.optimizer.apply(self.parameters, self.gradients)
        return loss + self.no_penalty, a

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
    """The model's plan, made again when its decisions no longer hold (``StepPlan.holds``: a
    few attribute reads per lookup)."""
    plan = vars(model).get("_step_plan")
    if plan is None or not plan.holds(model):
        plan = model._step_plan = StepPlan(model)
    return plan
