"""The outside tester's sweep of stop 28's newest public surface (stop 29): each test is a
defect found by feeding it what its authors did not think of, failing before its fix.

Keras 3.15.1 (KERAS_BACKEND=torch) is asked at test time where the behaviour is Keras's."""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras  # after KERAS_BACKEND is set
import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers as init
from glassnet.io import ModelFileError


# -- initializers ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "VarianceScaling",
        "LecunUniform",
        "HeNormal",
        "GlorotUniform",
        "Ones",
        "Zeros",
        "Orthogonal",
        "OrthogonalInitializer",
        "IdentityInitializer",
        "TruncatedNormal",
    ],
)
def test_kerass_class_names_are_initializer_strings_in_layers(name) -> None:
    """Keras's layers take an initializer's class name as the string
    (``kernel_initializer="VarianceScaling"``); glassnet said "Unknown initializer"."""
    twin = keras.layers.Dense(2, kernel_initializer=name)
    twin.build((None, 3))
    layer = gn.layers.Dense(2, kernel_initializer=name)
    assert type(layer.kernel_initializer).__name__ == type(twin.kernel_initializer).__name__
    model = gn.Sequential([gn.Input((3,)), layer])
    assert model.layers[0].kernel.shape == (3, 2)


def test_a_class_names_case_still_matters_as_in_keras() -> None:
    """Only the exact class name is a Keras spelling ("HENORMAL" is not, in Keras either);
    glassnet's own lower-case lookup is unchanged."""
    with pytest.raises(ValueError, match=r"Unknown initializer 'HeNormall'\. Valid names: "):
        gn.layers.Dense(2, kernel_initializer="HeNormall")
    assert type(init.get("he_normal")) is init.HeNormal


@pytest.mark.parametrize(
    "cls",
    [
        init.LecunUniform,
        init.LecunNormal,
        init.HeNormal,
        init.HeUniform,
        init.GlorotUniform,
        init.GlorotNormal,
        init.VarianceScaling,
    ],
)
@pytest.mark.parametrize("shape", [(0, 3), (0, 0), (3, 3, 0, 2)])
def test_a_shape_with_no_fan_gives_an_empty_array_as_keras(cls, shape) -> None:
    """A fan of 0 (an empty weight) divided by zero inside (ZeroDivisionError from
    ``math.sqrt(3.0 / fan_in)``); Keras divides by max(1, fan) and gives the empty array."""
    twin = getattr(keras.initializers, cls.__name__)()(shape)
    made = cls(seed=0)(shape, "float32", None)
    assert made.shape == tuple(twin.shape) == shape and made.dtype == np.float32


# -- LambdaCallback ------------------------------------------------------------------------------
def _model() -> gn.Sequential:
    model = gn.Sequential([gn.Input((3,)), gn.layers.Dense(1)], seed=0)
    model.compile("sgd", "mse")
    return model


X = np.random.default_rng(0).normal(size=(20, 3))
Y = X @ np.array([[1.0], [-1.0], [0.5]])


@pytest.mark.parametrize(
    ("hook", "function", "call"),
    [
        ("on_test_batch_end", lambda batch: None, "on_test_batch_end(batch, logs)"),
        ("on_predict_batch_begin", lambda: None, "on_predict_batch_begin(batch, logs)"),
        ("on_test_begin", lambda: None, "on_test_begin(logs)"),
        ("on_predict_end", lambda logs, extra: None, "on_predict_end(logs)"),
        ("on_epoch_end", lambda epoch, logs, *, more: None, "on_epoch_end(epoch, logs)"),
    ],
)
def test_a_hook_function_that_cannot_take_kerass_arguments_is_refused_when_made(
    hook, function, call
) -> None:
    """It failed only in the middle of evaluate or fit, with Python's 'takes 1 positional
    argument but 2 were given' and no word of which hook (Keras calls every hook with logs)."""
    with pytest.raises(TypeError) as caught:
        gn.callbacks.LambdaCallback(**{hook: function})
    assert str(caught.value).startswith(f"LambdaCallback's {hook} is called as {call}, as in Keras")
    assert "Write e.g." in str(caught.value)


def test_hook_functions_that_take_kerass_arguments_still_run() -> None:
    seen: list[object] = []
    watch = gn.callbacks.LambdaCallback(
        on_test_begin=lambda logs: seen.append("begin"),
        on_test_batch_end=lambda *args: seen.append(args[0]),
        on_test_end=lambda logs=None, **more: seen.append("end"),
        on_predict_begin=print,  # a builtin without a signature: not checked, called
    )
    _model().evaluate(X, Y, batch_size=8, callbacks=[watch])
    assert seen == ["begin", 0, 1, 2, "end"]


# -- stop_predicting -----------------------------------------------------------------------------
class _StopAt(gn.callbacks.Callback):
    """Records the predict hooks and sets ``model.stop_predicting`` after batch ``last``."""

    def __init__(self, last: int) -> None:
        super().__init__()
        self.last, self.seen = last, []

    def on_predict_begin(self, logs=None):
        self.seen.append("begin")

    def on_predict_batch_end(self, batch, logs=None):
        self.seen.append(batch)
        if batch == self.last:
            self.model.stop_predicting = True

    def on_predict_end(self, logs=None):
        self.seen.append("end")


def test_stop_predicting_ends_predict_after_that_batch_as_kerass() -> None:
    """Keras's predict checks ``model.stop_predicting`` after each batch (as evaluate checks
    stop_evaluating) and returns the rows done; glassnet's predicted every batch regardless."""
    net = _model()
    twin = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    twin.set_weights(net.get_weights())
    ours, theirs = _StopAt(1), _StopAt(1)
    outputs = net.predict(X, batch_size=8, callbacks=[ours])
    expected = twin.predict(X, batch_size=8, callbacks=[theirs], verbose=0)
    assert ours.seen == theirs.seen == ["begin", 0, 1, "end"]
    assert outputs.shape == expected.shape == (16, 1)
    np.testing.assert_allclose(outputs, expected, rtol=1e-6)
    assert net.stop_predicting is True is twin.stop_predicting
    again = _StopAt(-1)  # never stops: the flag is reset at each predict, as Keras's
    assert net.predict(X, batch_size=8, callbacks=[again]).shape == (20, 1)
    assert again.seen == ["begin", 0, 1, 2, "end"]


# -- python -m benchmarks (make bench) -----------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--threads", str(10**20)], f"--threads {10**20} is more than 4 per core"),
        (["--threads", "100000"], "--threads 100000 is more than 4 per core (this machine has"),
        (["--repeats", str(10**22)], "--repeats must be at most 1000"),
        (["--output", ""], "--output '' names no file; give a .json file path"),
        (["--output", "no/such/folder/"], "--output 'no/such/folder/' names no file"),
        (["--openblas-core", "<b>x</b>"], "--openblas-core '<b>x</b>': expected auto, default"),
        (["--openblas-core", ""], "--openblas-core '': expected auto, default or an OpenBLAS"),
    ],
)
def test_benchmarks_refuse_hostile_flags_before_any_timing(
    argv, message, tmp_path, monkeypatch
) -> None:
    """Before: --threads 10**20 a torch 'Overflow when unpacking long long' traceback; --threads
    100000 a run whose header said '100000 threads each'; --repeats 10**22 a run without end;
    --output '' (or a folder path) a FileNotFoundError after the whole run, results lost;
    --openblas-core '<b>x</b>' a run whose kernels were OpenBLAS's own choice (it ignores an
    unknown OPENBLAS_CORETYPE)."""
    from benchmarks.__main__ import main

    monkeypatch.chdir(tmp_path)  # nothing a refused run could write lands in the checkout
    with pytest.raises(SystemExit) as caught:
        main(["--quick", "--skip-memory", *argv])
    assert str(caught.value.code).startswith(message)
    assert list(tmp_path.iterdir()) == []


# -- fit's validation ----------------------------------------------------------------------------
@pytest.mark.parametrize("hooked", [False, True])
def test_a_validation_output_overflow_names_the_validation_data(hooked) -> None:
    """fit's validation on data whose outputs overflow float32 said 'first for row 2 of x',
    sending the reader to the training data, which was fine."""
    model = _model()
    x_val = np.zeros((4, 3))
    x_val[2] = 3e38  # finite in float32, but its output is not
    callbacks = [gn.callbacks.LambdaCallback(on_test_batch_end=lambda b, logs: None)]
    with pytest.raises(FloatingPointError) as caught:
        model.fit(
            X,
            Y,
            epochs=2,
            verbose=0,
            validation_data=(x_val, np.zeros((4, 1))),
            callbacks=callbacks if hooked else None,
        )
    message = str(caught.value)
    assert "first for row 2 of the validation data (x_val), after epoch 1's training." in message
    assert message.startswith("The network's output overflowed float32 (inf or NaN)")
    assert "Scale the inputs inside the model" in message


# -- model files ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("layer", "where"),
    [
        (gn.layers.Dense(2, kernel_initializer=init.VarianceScaling(seed=10**400)), "kernel_"),
        (gn.layers.Dense(2, bias_initializer=init.LecunUniform(seed=10**40)), "bias_"),
    ],
)
def test_save_names_the_seed_a_model_file_cannot_hold(layer, where, tmp_path) -> None:
    """An initializer's seed of 41+ digits (taken: NumPy's default_rng takes it) was refused at
    save as "'m.glassnet': the header holds a 401-digit integer", a loader's words for a file
    not yet written, naming no setting."""
    model = gn.Sequential([gn.Input((3,)), layer])
    path = tmp_path / "m.glassnet"
    with pytest.raises(ModelFileError) as caught:
        model.save(path)
    digits = 401 if where == "kernel_" else 41
    assert str(caught.value).startswith(
        f"Cannot save the model to {str(path)!r}: its layers[0].{where}initializer.seed is an "
        f"integer of {digits} digits, and a model file holds at most 40"
    )
    assert list(tmp_path.iterdir()) == []


def test_lambda_callbacks_positional_arguments_are_kerass_3_order() -> None:
    """glassnet kept Keras 2's order (on_batch_begin, on_batch_end third and fourth), so
    ``LambdaCallback(None, None, started)`` was a batch hook where Keras 3 makes it
    on_train_begin: the same call hooked another moment, silently."""
    import inspect

    def positional(function) -> list[str]:
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,)
        parameters = inspect.signature(function).parameters.values()
        return [p.name for p in parameters if p.kind in kinds and p.name != "self"]

    assert positional(gn.callbacks.LambdaCallback) == positional(keras.callbacks.LambdaCallback)
    seen: list[str] = []
    watch = gn.callbacks.LambdaCallback(None, None, lambda logs: seen.append("train begins"))
    _model().fit(X, Y, batch_size=10, epochs=1, verbose=0, callbacks=[watch])
    assert seen == ["train begins"]


def test_lambda_callback_refuses_both_names_of_one_hook() -> None:
    with pytest.raises(TypeError, match=r"got both on_batch_end and on_train_batch_end, two names"):
        gn.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, logs: None, on_batch_end=lambda batch, logs: None
        )
    batches: list[int] = []  # either name alone still hooks the training batches
    old = gn.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batches.append(batch))
    _model().fit(X, Y, batch_size=10, epochs=1, verbose=0, callbacks=[old])
    assert batches == [0, 1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rows", str(10**20)], f"--rows must be at most 100000, got {10**20}"),
        (["--steps", str(10**23)], f"--steps must be at most 100000, got {10**23}"),
    ],
)
def test_benchmarks_profile_refuses_sizes_without_end(argv, message) -> None:
    """--rows 10**20 printed the seed toy's tables, then NumPy's 'Maximum allowed dimension
    exceeded' traceback; --steps 10**23 ran without end."""
    from benchmarks import profile

    with pytest.raises(SystemExit) as caught:
        profile.main(argv)
    assert caught.value.code == f"python -m benchmarks.profile: {message}"


# -- Keras's objects where glassnet's go ---------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "given", "hint"),
    [
        (
            lambda o: gn.layers.Dense(2, kernel_initializer=o),
            keras.initializers.VarianceScaling(2.0),
            "'variance_scaling', or glassnet's VarianceScaling(...) with the same settings",
        ),
        (
            lambda o: gn.layers.Dense(2, bias_initializer=o),
            keras.initializers.Identity(),
            "'identity', or glassnet's Identity(...) with the same settings",
        ),
        (
            lambda o: _model().compile(o, "mse"),
            keras.optimizers.Adam(),
            "'adam', or glassnet's Adam(...) with the same settings",
        ),
        (
            lambda o: _model().compile("sgd", o),
            keras.losses.BinaryCrossentropy(),
            "'binary_crossentropy', or glassnet's BinaryCrossEntropy(...) with the same settings",
        ),
    ],
)
def test_a_keras_object_where_glassnets_goes_is_named_with_glassnets_own(make, given, hint):
    """A newcomer from Keras passing keras.initializers.VarianceScaling(2.0) (or Keras's Adam,
    or a Keras loss) read only 'Expected an initializer name (a string) or an initializer
    object, got VarianceScaling <keras.src...>', with no word that glassnet has its own."""
    with pytest.raises(TypeError) as caught:
        make(given)
    name = type(given).__name__
    assert f"It is Keras's {name}; glassnet computes with its own objects: pass {hint}." in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("method", "given", "fix"),
    [
        (
            "fit",
            keras.callbacks.EarlyStopping(patience=2),
            "It is Keras's EarlyStopping: use glassnet.callbacks.EarlyStopping, with the same",
        ),
        (
            "evaluate",
            keras.callbacks.LambdaCallback(),
            "It is Keras's LambdaCallback: use glassnet.callbacks.LambdaCallback, with the same",
        ),
        (
            "predict",
            keras.callbacks.TensorBoard(),
            "It is Keras's TensorBoard, which glassnet has not: Subclass Callback and override",
        ),
    ],
)
def test_a_keras_callback_is_named_with_glassnets_own(method, given, fix) -> None:
    """evaluate(callbacks=[keras.callbacks.LambdaCallback(...)]) said 'Subclass Callback and
    override its hooks', though glassnet has a LambdaCallback (and an EarlyStopping) of its own."""
    model = _model()
    call = {
        "fit": lambda: model.fit(X, Y, epochs=1, verbose=0, callbacks=[given]),
        "evaluate": lambda: model.evaluate(X, Y, callbacks=[given]),
        "predict": lambda: model.predict(X, callbacks=[given]),
    }[method]
    before = model.get_weights()
    with pytest.raises(TypeError) as caught:
        call()
    assert str(caught.value).startswith(
        f"Expected callbacks to be glassnet.callbacks.Callback instances, got "
        f"{type(given).__name__}. {fix}"
    )
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


@pytest.mark.parametrize(
    ("schedule", "fix"),
    [
        (
            lambda: keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9),
            "use glassnet.optimizers.schedules.ExponentialDecay(...) with the same settings.",
        ),
        (
            lambda: keras.optimizers.schedules.InverseTimeDecay(0.1, 10, 0.5),
            "glassnet has no InverseTimeDecay; its schedules are ExponentialDecay, CosineDecay, "
            "PiecewiseConstantDecay (glassnet.optimizers.schedules), or pass a number.",
        ),
    ],
)
def test_a_keras_schedule_as_learning_rate_is_named_with_glassnets_own(schedule, fix) -> None:
    """Before: "Expected learning_rate to be a number", without a word about schedules."""
    for optimizer in (gn.SGD, gn.Adam):
        with pytest.raises(TypeError) as caught:
            optimizer(learning_rate=schedule())
        assert str(caught.value).startswith(
            "Expected learning_rate to be a number or a glassnet schedule, got Keras's "
        )
        assert str(caught.value).endswith(fix)
    # glassnet's own schedule of that name is taken
    rate = gn.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9)
    assert gn.SGD(learning_rate=rate).schedule is rate
