"""Sequential: a stack of layers, trained by forward pass, backward pass, optimizer step.

One training step, the way the data flows (the symbols are the seed notebook's):

    a0 = x                       (batch, n_in)
    z1 = a0 @ W1 + b1; a1 = f1(z1)   ... layer by layer ...   aL, the output
    C = loss(y, aL); dC/daL
    delta_l = dC/da_l * f_l'(z_l); dC/dW_l = a_{l-1}.T @ delta_l; dC/da_{l-1} = delta_l @ W_l.T
    W_l <- optimizer(W_l, dC/dW_l)

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Input(shape=(2,)), gn.layers.Dense(1, activation="sigmoid")], seed=0)
>>> model.compile(optimizer=gn.SGD(0.5), loss="binary_crossentropy", metrics=["accuracy"])
>>> history = model.fit(np.array([[0, 0], [1, 1]]), np.array([0, 1]), epochs=50, verbose=0)
>>> model.predict(np.array([[1, 1]])).round(2) > 0.5
array([[ True]])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet import losses as losses_module
from glassnet import metrics as metrics_module
from glassnet import optimizers as optimizers_module
from glassnet import training
from glassnet._compile_options import check_run_options, loss_weight
from glassnet._header_bounds import check_name
from glassnet._inference import (
    keras_verbose,
)
from glassnet._keras_api import KerasModelAPI, check_return_dict
from glassnet._model_data import ModelData
from glassnet._model_display import ModelDisplay
from glassnet._model_faces import ModelFaces
from glassnet._model_inference import PREDICT_CHUNK, ModelInference, _result  # noqa: F401
from glassnet._model_structure import NO_LAYERS, ModelStructure, batch_shape  # noqa: F401 (kept)
from glassnet._sample_weights import ExampleWeights
from glassnet._step_plan import plan_for
from glassnet._validation import (
    float_dtype,
    metric_list,
)
from glassnet._weighted_metrics import Weighted, check_weighted, weighted_logs
from glassnet.callbacks import (
    Callback,
    History,
    Logs,
    TrainingDivergedError,
    diverged_message,
)
from glassnet.layers import Input, Layer
from glassnet.layers.conv_pool import training_steps
from glassnet.layers.core import Shape, as_shape
from glassnet.utils import model_generator

Array = NDArray[np.floating[Any]]


class Sequential(
    ModelStructure,
    ModelData,
    ModelInference,
    ModelDisplay,
    ModelFaces,
    KerasModelAPI,
    ExampleWeights,
):
    """A linear stack of layers, with Keras's ``compile`` / ``fit`` / ``evaluate`` / ``predict``
    (and, from ``KerasModelAPI``, ``model(x)``, ``get_layer``, ``pop``, ``get_config``,
    ``save_weights``, ...).

    Here: construction, compile, the training step and fit. The rest of the class is in its
    bases, each a module near one idea: ``ModelStructure`` (``add``, ``build``, shapes,
    ``get_weights`` / ``set_weights``: glassnet/_model_structure.py), ``ModelData`` (the checks
    of x and y: _model_data.py), ``ModelInference`` (``predict``, ``evaluate``:
    _model_inference.py), ``ModelDisplay`` (``summary``, ``repr``: _model_display.py),
    ``ModelFaces`` (``save``, ``trace_step``, ``explain``, ``to_torch``, ``export_onnx``:
    _model_faces.py), ``KerasModelAPI`` (_keras_api.py).

    ``dtype`` is float32 by default (as Keras and PyTorch); use ``"float64"`` for exact work.
    ``seed`` seeds one ``numpy.random.Generator`` used for initial weights (unless an
    initializer has its own seed) and for shuffling in ``fit``; without one, the generator
    follows ``glassnet.utils.set_random_seed`` when it was called, else fresh entropy.
    """

    def __init__(
        self,
        layers: Sequence[Layer | Input] | None = None,
        dtype: str | np.dtype[Any] = "float32",
        seed: int | None = None,
        name: str = "sequential",
    ) -> None:
        self.dtype = float_dtype(dtype)
        check_name(name, "the model's name")  # at most 256 printable characters, as load_model
        self.name = name
        self.seed = seed
        self.rng = model_generator(seed)
        self.layers: list[Layer] = []
        #: the shape of one example, without the batch: (n_features,) or (height, width, channels);
        #: ``input_shape`` is Keras's, the batch first: (None, *example_shape)
        self.example_shape: Shape | None = None
        self.optimizer: optimizers_module.Optimizer | None = None
        self.loss: losses_module.Loss | None = None
        self.metric_names: list[str] = []
        #: Keras's metric objects (Precision, AUC, ...), reported under their names
        self.metric_objects: list[metrics_module.MetricObject] = []
        self.stop_training = False
        self.history: History | None = None
        self.traces: list[Any] = []  # filled by fit(trace_every=N)
        #: (x, y) of the batch being trained, set in fit when a callback has batch hooks
        self.current_batch: tuple[Array, Array] | None = None
        for item in layers or []:
            self.add(item)

    @property
    def input_features(self) -> int | None:
        """The width of one example for flat inputs (n_features); None for images or unknown."""
        shape = self.example_shape
        return shape[0] if shape is not None and len(shape) == 1 else None

    @input_features.setter
    def input_features(self, value: int | None) -> None:
        self.example_shape = None if value is None else as_shape(value)

    # -- compile -----------------------------------------------------------------------------
    #: the number that scales the loss (compile's ``loss_weights``); None: not scaled
    loss_weights: float | None = None
    #: compile's ``weighted_metrics``: (history key, name or metric object), weighed by the
    #: examples' weights (glassnet/_weighted_metrics.py); () when none
    weighted_metrics: Sequence[Weighted] = ()

    def compile(
        self,
        optimizer: str | optimizers_module.Optimizer = "rmsprop",
        loss: str | losses_module.Loss | None = None,
        loss_weights: float | Sequence[float] | dict[str, float] | None = None,
        metrics: Sequence[Any] | None = None,
        weighted_metrics: Sequence[Any] | None = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: bool | str = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Choose how to learn: the optimizer, the loss to minimise, the metrics to report.
        The arguments come in Keras 3's order (glassnet/_compile_options.py): ``loss_weights``
        (a number, or a list or dict of one) scales the loss and its gradient,
        C = loss_weights * loss(y, aL), as Keras scales a one-output model's loss.
        ``metrics`` are unweighted, as Keras 3's; ``weighted_metrics`` (names or metric objects,
        as ``metrics``) weigh example i by w_i, its weight from fit's, evaluate's,
        train_on_batch's or test_on_batch's ``sample_weight`` or ``class_weight`` (not
        ``loss_weights``): a mean metric is sum_i w_i v_i / sum_i w_i, a count adds w_i. Each
        reports under its name, or ``"weighted_" + name`` when ``metrics`` has that name too
        (Keras's keys: ``metrics=["mae"], weighted_metrics=["mae"]`` logs "mae" and
        "weighted_mae"); without weights it equals the unweighted metric
        (glassnet/_weighted_metrics.py).
        ``run_eagerly``, ``steps_per_execution``, ``jit_compile`` and ``auto_scale_loss`` take
        Keras's values and change nothing: glassnet runs each batch eagerly in NumPy."""
        check_run_options(run_eagerly, steps_per_execution, jit_compile, auto_scale_loss)
        if loss is None:
            valid = ", ".join(repr(name) for name in losses_module.LOSSES)
            raise ValueError(f"compile() needs a loss, e.g. loss='mse'. Valid names: {valid}.")
        weight = loss_weight(loss_weights, self.layers[-1].name if self.layers else None)
        chosen = optimizers_module.get(optimizer)
        # a loss holds no state: one object may serve many models; reduction='none' is refused
        loss = losses_module.get(loss, training=True)
        # names checked; "auc", "root_mean_squared_error"...: their objects (epoch counts)
        names, objects = metrics_module.split(metric_list(metrics))
        metrics_module.check_distinct(names, objects)
        weighted = check_weighted(weighted_metrics, names, objects)
        chosen.claim(self)  # one optimizer, one model; checked last: nothing changes on an error
        self.optimizer, self.loss, self.metric_names = chosen, loss, names
        self.metric_objects, self.loss_weights = objects, weight
        self.weighted_metrics = weighted
        # whether train_on_batch reports more than the loss: one look at each call, not three
        self._batch_metrics = bool(names or objects or weighted)
        if self.built:
            self.optimizer.build(self._parameters)

    def _check_compiled(self, what: str) -> None:
        if self.optimizer is None or self.loss is None:
            raise ValueError(
                f"You must compile the model before {what}: call "
                f"model.compile(optimizer='sgd', loss='mse') first."
            )

    # -- the step ----------------------------------------------------------------------------
    def forward(self, x: Array, training: bool = False) -> Array:
        """a0 = x, then each layer in turn: (batch, n_in) -> (batch, output_units). In training,
        a Conv2D(relu) and the MaxPooling2D after it run as one fused step (conv_pool.py)."""
        a = x
        for layer in training_steps(self.layers) if training else self.layers:
            a = layer.forward(a, training=training)
        return a

    def backward(
        self,
        y: Array,
        a: Array,
        input_gradient: bool = False,
        sample_weight: Array | None = None,
    ) -> Array | None:
        """Fill every layer's gradients from the loss at output ``a``; no parameter changes.

        The first layer skips dC/da0, which no parameter needs, unless ``input_gradient=True``:
        then the chain goes on through it and dC/dx (batch, n_in) is returned (else None).
        ``sample_weight`` (n,), checked: row i of dC/daL (or of the fused delta) times w_i."""
        last = self.layers[-1]
        more = len(self.layers) > 1 or input_gradient
        if self._fused_output():
            # softmax + cross-entropy (or sigmoid + binary): delta = dC/dz directly, stably
            grad = last.backward_delta(self.loss.fused_delta(y, a, sample_weight), more)
        else:
            grad = last.backward(self.loss.compute_gradient(y, a, sample_weight), more)
        for index in range(len(self.layers) - 2, -1, -1):
            layer = self.layers[index]
            grad = layer.backward(grad, need_input_gradient=index > 0 or input_gradient)
        return grad if input_gradient else None

    def _fused_output(self) -> bool:
        """True when the last layer's activation fuses with the loss (softmax + categorical
        cross-entropy, sigmoid + binary cross-entropy): backward then takes delta_L = dC/dz_L
        straight from ``loss.fused_delta``, never forming dC/daL or f'(zL)."""
        activation = getattr(self.layers[-1], "activation", None)
        return activation is not None and self.loss.fuses_with(activation.name)

    def compute_gradients(
        self, x: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Forward and backward on (x, y) without updating: returns C, fills the gradients
        (weighted by ``sample_weight`` as ``train_on_batch`` weighs them)."""
        self._check_compiled("computing gradients")
        x, y = self._data(x, y)
        return self._compute_gradients(x, y, self._weights(y, sample_weight))

    def _cost(self, y: Array, a: Array, sample_weight: Array | None = None) -> float:
        """C = loss(y, aL) + the trainable layers' regularization penalties (e.g. l2 * sum(W**2));
        a frozen layer's penalty is left out, as Keras leaves it out. ``sample_weight`` weighs
        the loss (sum_i w_i loss_i / n), not the penalties, as in Keras."""
        return self.loss.compute(y, a, sample_weight) + self._cost_penalty()

    def _cost_penalty(self) -> float:
        """The trainable layers' regularization penalties, the part of C that is not the loss."""
        return sum(layer.regularization_penalty() for layer in self.layers if self._trains(layer))

    def _compute_gradients(self, x: Array, y: Array, sample_weight: Array | None = None) -> float:
        a = self.forward(x, training=True)
        self.backward(y, a, sample_weight=sample_weight)
        return self._cost(y, a, sample_weight)

    def _readable_step(
        self, x: Array, y: Array, sample_weight: Array | None = None
    ) -> tuple[float, Array]:
        """One training step as it reads: forward, C (before the update), backward, update."""
        a = self.forward(x, training=True)
        loss = self._cost(y, a, sample_weight)
        self.backward(y, a, sample_weight=sample_weight)
        self._apply_update()  # the trainable layers' parameters only (KerasModelAPI)
        return loss, a

    def _train_step(
        self, x: Array, y: Array, sample_weight: Array | None = None
    ) -> tuple[float, Array]:
        """``_readable_step``'s numbers, with its per-step decisions made once per model state
        (glassnet/_step_plan.py). Inside the caller's ``np.errstate(over="ignore",
        invalid="ignore")``, on x and y checked by ``_data``."""
        return plan_for(self).step(self, x, y, sample_weight)

    def train_on_batch(
        self,
        x: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        class_weight: dict[int, float] | None = None,
        return_dict: bool = False,
    ) -> float | list[float] | Logs:
        """One update on one batch. Returns the loss (and metrics) measured before the update.
        ``sample_weight`` / ``class_weight`` weigh the loss and its gradient as in ``fit``."""
        if self.optimizer is None or self.loss is None:
            self._check_compiled("training")  # raises
        if return_dict is not False:  # (False: the default, nothing to check)
            check_return_dict(return_dict, "train_on_batch")
        x, y = self._batch_data(x, y)
        weights = own = None  # unweighted: what _weights says for three Nones, without asking
        if sample_weight is not None or class_weight is not None or self.loss_weights is not None:
            own = self._example_weights(y, sample_weight, class_weight)
            weights = self._scaled(own, len(y))
        loss, a = _quiet_train_on_batch_step(self, x, y, weights)
        if not (return_dict or self._batch_metrics):  # metrics, metric objects, weighted ones
            return loss  # _result({"loss": loss}, False): the loss alone
        logs = {"loss": loss, **self._metrics(y, a)}
        if self.weighted_metrics:  # the examples' own weights, not loss_weights (Keras's)
            logs.update(weighted_logs(self, y, a, own))
        return _result(logs, return_dict)

    def _metric_functions(self, units: int) -> list[tuple[str, metrics_module.MetricFunction]]:
        """Each compiled metric as (history key, function(y, a)) for an output of ``units``
        units ("accuracy" means binary or categorical accuracy by the width)."""
        return [metrics_module.resolve(name, units) for name in self.metric_names]

    def _metrics(
        self,
        y: Array,
        a: Array,
        functions: list[tuple[str, metrics_module.MetricFunction]] | None = None,
    ) -> Logs:
        """Every metric of (y, a) by its history key. ``functions`` from ``_metric_functions``
        saves looking the names up again (fit does it once per epoch, not once per batch)."""
        if functions is None:  # evaluate, train_on_batch: the objects' values over (y, a) too
            if not self.metric_names and not self.metric_objects:
                return {}  # no metrics compiled: nothing to look up
            functions = self._metric_functions(a.shape[1])
            functions += [(m.name, m.value) for m in self.metric_objects]
        return {key: function(y, a) for key, function in functions}

    # -- fit ---------------------------------------------------------------------------------
    def fit(
        self,
        x: ArrayLike,
        y: ArrayLike | None = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = 1,
        callbacks: Sequence[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        shuffle: bool = True,
        class_weight: dict[int, float] | None = None,
        sample_weight: ArrayLike | None = None,
        initial_epoch: int = 0,
        *,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | Sequence[int] = 1,
        trace_every: int | None = None,
        **keras_only: Any,
    ) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; returns the History.

        The arguments come in Keras 3's order, so ``fit(x, y, 32, 10)`` is batch_size 32 and
        10 epochs in both; after ``initial_epoch`` (where Keras has steps_per_epoch, which
        glassnet lacks) they are keyword-only.

        ``batch_size`` None means 32 (Keras's default) or all of the data if it is smaller.
        ``validation_split`` keeps the last fraction of the data (before shuffling) aside, as
        Keras does. Per-epoch numbers are the batch values averaged weighted by batch size (summed,
        for a loss that sums, such as ``HalfSumSquaredError``). A NaN or infinite loss stops
        training with ``TrainingDivergedError``, naming the epoch and batch (pass
        ``TerminateOnNaN(raise_error=False)`` to stop quietly instead).

        ``verbose`` 1 draws a live progress bar per epoch (samples, ETA, running loss and
        metrics), 2 prints one line per epoch, 0 nothing. ``trace_every=N`` records every N-th
        training step as a ``glassnet.trace.Trace`` (taken before its update), kept in
        ``model.traces``; see ``glassnet.explain.narrate``.

        As in Keras: ``initial_epoch`` is the index of the first epoch to run (resuming a
        run), so ``epochs`` is the last one, and ``epochs - initial_epoch`` epochs run;
        ``validation_freq=N`` validates after every N-th epoch (counted from 1), a list
        ``[1, 5]`` after those epochs; the History has ``val_`` numbers for those epochs only.
        Each validation calls the callbacks' ``on_test_*`` hooks, in batches of
        ``validation_batch_size`` (else ``batch_size``, else 32), before ``on_epoch_end``
        (glassnet/_inference.py ``validate``); ``validation_steps=N`` validates on the first N
        of those batches only (more than there are: all, with a warning, as Keras). Both are
        checked but unused without validation data, as in Keras.

        ``sample_weight`` (n,) or ``class_weight`` {class index: weight}, as Keras 3: each batch's
        loss is sum_i w_i loss_i / n_batch (divided by the batch size, not by the weights' sum),
        its gradient weighted row by row the same way; the weights are shuffled with their rows,
        and ``validation_split`` splits them too. ``validation_data=(x, y, sample_weight)``
        weighs the validation loss. The compiled ``metrics`` are not weighted; compile's
        ``weighted_metrics`` are, by these weights (training and validation). Weights must be
        finite and >= 0, and not all 0.
        """
        training.keras_only(x, y, keras_only)  # sample_weight, a generator...: said clearly
        if isinstance(verbose, str) and verbose == "auto":  # Keras's default: a bar, for fit
            verbose = 1
        verbose = keras_verbose(verbose)  # True / False: 1 / 0, as Keras takes them
        before, steps = self._snapshot(), getattr(self.optimizer, "iterations", 0)
        try:
            return training.fit(  # the loop, in glassnet/training.py
                self,
                x,
                y,
                epochs=epochs,
                batch_size=batch_size,
                shuffle=shuffle,
                validation_data=validation_data,
                validation_split=validation_split,
                callbacks=callbacks,
                verbose=verbose,
                trace_every=trace_every,
                initial_epoch=initial_epoch,
                validation_freq=validation_freq,
                validation_steps=validation_steps,
                validation_batch_size=validation_batch_size,
                sample_weight=sample_weight,
                class_weight=class_weight,
            )
        except BaseException:
            # refused before any step (bad validation_data, batch_size, ...): as if never called
            if before[1] and self.optimizer is not None and self.optimizer.iterations == steps:
                self._restore(before)
            raise


def _train_on_batch_step(
    model: Sequential, x: Array, y: Array, weights: Array | None
) -> tuple[float, Array]:
    """train_on_batch's step, then its loss and the updated weights checked: a NaN/inf is a
    ``TrainingDivergedError``, as in fit (without an epoch and batch to name). Run as
    ``_quiet_train_on_batch_step``, in ``np.errstate(over="ignore", invalid="ignore")``:
    overflow becomes inf/NaN quietly, and these checks report it."""
    plan = plan_for(model)  # model._train_step, with the plan at hand for the weights' check
    loss, a = plan.step(model, x, y, weights)
    if not math.isfinite(loss):
        raise TrainingDivergedError(diverged_message(loss, None, None))
    if not plan.weights_finite():  # this very update overflowed them (all_finite_quietly)
        raise TrainingDivergedError(diverged_message(math.inf, None, None))
    return loss, a


if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
    # NumPy 2's errstate as a decorator enters the state per call, safely across threads,
    # without making an errstate object and calling its __enter__/__exit__ (~0.5 µs of a
    # 20 µs train_on_batch of the seed toy). NumPy 1's keeps one saved state on the object,
    # shared by every call, so there the with statement makes one per call.
    _quiet_train_on_batch_step = np.errstate(over="ignore", invalid="ignore")(_train_on_batch_step)
else:  # pragma: no cover (NumPy 1)

    def _quiet_train_on_batch_step(
        model: Sequential, x: Array, y: Array, weights: Array | None
    ) -> tuple[float, Array]:
        with np.errstate(over="ignore", invalid="ignore"):
            return _train_on_batch_step(model, x, y, weights)
