"""What Keras has that glassnet deliberately does not, and the error each name gives.

``glassnet`` and its Keras namespaces (``models``, ``layers``, ``callbacks``, ``losses``,
``metrics``, ``optimizers``, ``optimizers.schedules``, ``activations``, ``initializers``,
``regularizers``, ``utils``) look a missing name up here (their module ``__getattr__``), then in
``glassnet._keras_left_out``'s groups, so a Keras user gets the reason and what to use instead
rather than a bare ``AttributeError``. The README's table "What glassnet leaves out"
quotes these messages; ``tests/test_not_here.py`` checks that they agree.
"""

from __future__ import annotations

import opcode
import sys

from glassnet._keras_left_out import left_out

_MODEL = (
    "glassnet has no Model class: Keras's functional API and Model subclassing have no "
    "glassnet counterpart. Stack the layers in glassnet.models.Sequential([...])."
)

#: (module, name) -> the message of the AttributeError
MISSING: dict[tuple[str, str], str] = {
    ("glassnet", "Model"): _MODEL,
    ("glassnet.models", "Model"): _MODEL,
    ("glassnet", "mixed_precision"): (
        "glassnet has no mixed precision: every layer computes in the model's one dtype "
        "(float32 by default, Sequential(..., dtype='float64') for exact work), and NumPy on a "
        "CPU gains nothing from float16."
    ),
    ("glassnet", "distribution"): (
        "glassnet has no distribution API (no strategies, no device meshes): it trains in one "
        "process with NumPy on the CPU."
    ),
    ("glassnet", "ops"): (
        "glassnet has no ops module, so no custom training loop with GradientTape-style "
        "automatic gradients: every gradient is a layer's hand-written backward. Use model.fit, "
        "or call model.train_on_batch(x, y) in your own loop."
    ),
    ("glassnet.callbacks", "TensorBoard"): (
        "glassnet has no TensorBoard callback: it writes no TensorFlow event files. Log the "
        "epochs with glassnet.callbacks.CSVLogger, or draw fit's History with "
        "glassnet.plots.history_figure(history)."
    ),
}
for _name in ("Conv1D", "Conv3D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D"):
    MISSING["glassnet.layers", _name] = (
        f"glassnet has no {_name} layer: its convolution is Conv2D (with MaxPooling2D, "
        f"AveragePooling2D and GlobalAveragePooling2D). For 1-d signals, use Conv2D on inputs "
        f"of shape (length, 1, channels) with kernel_size=(k, 1)."
    )
for _name in ("SimpleRNN", "LSTM", "GRU", "Bidirectional", "Embedding", "MultiHeadAttention"):
    MISSING["glassnet.layers", _name] = (
        f"glassnet has no {_name} layer: it has no recurrent, embedding or attention layers, "
        f"only Dense, Conv2D, pooling, normalization, Dropout and reshaping layers (see "
        f"glassnet.layers.LAYERS)."
    )

#: what fit says when x is not an array (a generator, a tf.data.Dataset, a PyDataset)
NOT_ARRAYS = (
    "glassnet's fit takes x and y as arrays (NumPy arrays or nested lists), not a generator, "
    "tf.data.Dataset or keras.utils.PyDataset: it holds the whole training set in memory. "
    "Collect the batches first, e.g. x = np.concatenate([...]), then fit(x, y)."
)


def _from_import() -> bool:
    """Whether the module ``__getattr__`` that called ``missing`` runs for a ``from module
    import name`` statement (the IMPORT_FROM instruction), rather than for ``module.name``,
    ``getattr`` or ``hasattr``."""
    frame = sys._getframe(2)  # 0: here, 1: missing, 2: the module's __getattr__
    while frame is not None and frame.f_code.co_name == "__getattr__":
        frame = frame.f_back
    if frame is None or frame.f_lasti < 0:
        return False
    code = frame.f_code.co_code
    return frame.f_lasti < len(code) and code[frame.f_lasti] == opcode.opmap["IMPORT_FROM"]


def missing(module: str, name: str) -> AttributeError | ImportError:
    """The error for ``module.name``: the explanation when glassnet leaves ``name`` out on
    purpose, else Python's usual message.

    It is an AttributeError, so ``hasattr`` and ``getattr(module, name, default)`` answer as
    usual, except under ``from module import name``: Python replaces an AttributeError there
    with its bare "cannot import name", losing the reason, so that statement gets the reason as
    an ImportError (the exception ``from ... import`` raises anyway).
    """
    text = MISSING.get((module, name)) or left_out(module, name)  # Keras's other names: grouped
    if _from_import():
        text = text or f"cannot import name {name!r} from {module!r}{_did_you_mean(module, name)}"
        return ImportError(text, name=module)
    return AttributeError(text or f"module {module!r} has no attribute {name!r}")


def _did_you_mean(module: str, name: str) -> str:
    """``. Did you mean: 'Dense'?`` for a misspelt public name of ``module``, else ``""``."""
    if name.startswith("_"):
        return ""
    import difflib  # only on this error's path

    names = [other for other in dir(sys.modules.get(module)) if not other.startswith("_")]
    close = difflib.get_close_matches(name, names, n=1)
    return f". Did you mean: {close[0]!r}?" if close else ""
