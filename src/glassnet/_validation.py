"""Checks at the public API: bad input gets a message that says what, got what, and the fix.

``what`` is always the argument's name as the caller wrote it (``x``, ``y``, ``x_val``, ``data``
for ``adapt(data)``): the messages use it as a noun and in the code of their fix
(``x.reshape(-1, 1)``, ``x.dropna()``), so a description ("the data passed to adapt()") would
make them read wrong (tests/test_validation_messages.py checks every call's name).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: arrays of at most this many numbers are checked element by element (``finite``)
SMALL = 4096


def finite(array: NDArray[Any]) -> bool:
    """True when every entry of the float ``array`` is finite.

    A float sum is finite only if every term is, so one pass with no temporary array decides
    the common case; only a sum that overflowed or met a NaN falls back to the exact check. A
    contiguous float32/float64 array is summed as its sum of squares, x . x, by BLAS (finite only
    if every entry is, too; 3x faster than NumPy's sum on fit's 60,000 x 784 float32 x, and no
    copy). A small array (train_on_batch's batch) needs no quiet state for that: BLAS's dot
    raises no floating-point warning, and a small copy (of a view that is not contiguous) costs
    little. One ``np.vdot`` (0.45 µs on the seed's (4, 3) x) decides it, or the exact check does
    (1.05 µs: ``isfinite`` and its temporary) for any other dtype or a sum that is not finite.
    """
    if array.size <= SMALL:
        if array.dtype.char in "fd" and math.isfinite(np.vdot(array, array)):
            return True
        return bool(np.logical_and.reduce(np.isfinite(array), axis=None))
    with np.errstate(over="ignore", invalid="ignore"):
        if array.dtype.char in "fd" and array.flags.c_contiguous:
            flat = array.reshape(-1)  # a view: contiguous
            total = np.dot(flat, flat)  # sum of squares: inf or NaN if any entry is
        else:
            total = np.add.reduce(array, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(array).all())


def first_non_finite(array: NDArray[Any]) -> tuple[int, ...] | None:
    """The index of the first inf or NaN in ``array`` (row-major order), or None if there is none.

    The cheap ``finite`` check decides first; the index search (a boolean array the size of
    ``array``) runs only when something is there to find. Callers word their own message.
    """
    if finite(array):
        return None
    return tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])


def pandas_values(value: Any, what: str) -> Any:
    """A pandas DataFrame or Series as a NumPy array; anything else unchanged.

    Nullable columns (``Int64``, ``Float64``, ``boolean``) without missing values are converted
    to their NumPy dtype (NumPy alone would make an object array of a mixed frame). Missing values
    (NaN, ``pandas.NA``) are refused, naming each column and its count, as are columns that are not
    numbers (text, categories, dates), by name. pandas is never imported here: only its objects
    are looked at.
    """
    if not type(value).__module__.startswith("pandas") or not hasattr(value, "isna"):
        return value
    if getattr(value, "ndim", 0) == 2:
        frame = value  # (rows, columns)
    else:  # a Series without a name is called by what it is ("y"), not by the column 0
        frame = value.to_frame(name=what if value.name is None else value.name)
    dtypes = list(frame.dtypes)
    other = [
        (c, dt) for c, dt in zip(frame.columns, dtypes, strict=True) if _kind(dt) not in "biuf"
    ]
    if other:
        listed = ", ".join(f"{shown(c)} ({dt})" for c, dt in other[:5])
        raise TypeError(
            f"Expected numeric {what}, but {len(other)} column(s) are not numbers: {listed}"
            f"{' ...' if other[5:] else ''}. "
            f"Encode them as numbers first (e.g. pandas.get_dummies for categories), or drop them."
        )
    missing = [(c, int(n)) for c, n in frame.isna().sum().items() if n]
    if missing:
        listed = ", ".join(f"{shown(c)} ({n} of {len(frame)} rows)" for c, n in missing[:5])
        raise ValueError(
            f"{what} has missing values (NaN or pandas.NA) in {len(missing)} column(s): {listed}"
            f"{' ...' if missing[5:] else ''}. Drop those rows ({what}.dropna(), and the same "
            f"rows of the other array if there is one) or fill them in ({what}.fillna(value)) "
            f"first."
        )
    numpy_dtype = np.result_type(*{getattr(dt, "numpy_dtype", dt) for dt in dtypes})
    array = frame.to_numpy(dtype=numpy_dtype)
    return array if getattr(value, "ndim", 0) == 2 else array[:, 0]


def _kind(dtype: Any) -> str:
    """A dtype's kind letter (``"i"``, ``"f"``, ...), pandas' extension dtypes included."""
    kind = getattr(dtype, "kind", "O")
    return kind if isinstance(kind, str) else "O"


def check_cast_targets(y: NDArray[Any], dtype: np.dtype[Any], what: str = "y") -> None:
    """Refuse targets that became inf when cast to ``dtype`` (the loss refused NaN/inf before the
    cast, so an inf now is a number beyond float32's range, such as 1e39)."""
    if y.dtype.kind == "f" and (bad := first_non_finite(y)) is not None:
        raise ValueError(
            f"Targets {what} have a value too large for {np.dtype(dtype).name} (first at row "
            f"{bad[0]}); it holds numbers up to about {float(np.finfo(dtype).max):.4g}. Scale the "
            f"targets (e.g. divide by their largest value) or build the model with "
            f"dtype='float64'."
        )


def as_features(
    x: Any, dtype: np.dtype[Any], what: str = "x", images: tuple[int, ...] | None = None
) -> NDArray[Any]:
    """``x`` as a finite 2-D float array (n_samples, n_features) of ``dtype``, or a clear error.
    A pandas DataFrame is read by ``pandas_values`` (nullable columns, missing values).

    ``images``: the example shape of a model whose input is n-d, e.g. ``(8, 8, 1)`` (``()`` when
    any n-d shape will do): then x is (n_samples, *shape), checked by ``as_images``."""
    if images is not None:
        return as_images(x, dtype, what, images)
    if _already_features(x, dtype):
        # train_on_batch's common case, checked every call: every test below but finiteness
        # passes, and the cast returns x itself (tests/test_fast_paths.py proves it equal)
        if (bad := first_non_finite(x)) is not None:
            raise ValueError(non_finite_message(what, bad))
        return x
    x = pandas_values(x, what)
    try:
        array = np.asarray(x)
    except ValueError as error:  # ragged nested lists
        raise ValueError(
            f"Expected {what} to be a 2-D array (n_samples, n_features) with the same number of "
            f"features in every row, but it could not be made into one ({error})."
        ) from None
    if array.dtype.kind == "c":
        raise TypeError(
            f"Expected real numbers in {what}, got complex dtype {array.dtype}. Use the real part "
            f"({what}.real) or split real and imaginary parts into separate features."
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected numeric {what}, got an array of dtype {array.dtype}. Convert it first, "
            f"e.g. np.asarray({what}, dtype=float); text columns need encoding as numbers."
        )
    if array.ndim == 1:
        raise ValueError(
            f"Expected 2-D array {what} of shape (n_samples, n_features), got 1-D array of shape "
            f"{array.shape} instead. Reshape your data using {what}.reshape(-1, 1) if it has a "
            f"single feature or {what}.reshape(1, -1) if it is a single example."
        )
    if array.ndim != 2:
        raise ValueError(
            f"Expected 2-D array {what} of shape (n_samples, n_features), got {array.ndim}-D "
            f"array of shape {array.shape}. Flatten each example, e.g. "
            f"{what}.reshape(len({what}), -1)."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"Expected at least one example and one feature in {what}, got shape {array.shape}."
        )
    if array.dtype.kind == "f" and (bad := first_non_finite(array)) is not None:
        raise ValueError(non_finite_message(what, bad))
    with np.errstate(over="ignore"):  # float64 -> float32 overflow is reported below
        cast = array.astype(dtype, copy=False)
    if cast is not array and cast.dtype.kind == "f" and (bad := first_non_finite(cast)) is not None:
        raise ValueError(
            f"Input {what} has a value too large for {np.dtype(dtype).name} (first at row "
            f"{bad[0]}, column {bad[1]}: {float(array[bad[0], bad[1]]):g}). Scale the data (e.g. "
            f"glassnet.datasets.standardize) or build the model with dtype='float64'."
        )
    return cast


def _already_features(x: Any, dtype: np.dtype[Any]) -> bool:
    """True when x is a plain 2-D array of ``dtype`` with at least one row and column: what
    ``as_features`` would return unchanged once its values are seen to be finite."""
    return type(x) is np.ndarray and x.dtype == dtype and x.ndim == 2 and x.size > 0


def non_finite_message(what: str, bad: tuple[int, ...]) -> str:
    return (
        f"Input {what} contains NaN or infinity (first at row {bad[0]}, column {bad[1]}). "
        f"Remove or impute those values before training."
    )


def as_images(x: Any, dtype: np.dtype[Any], what: str, shape: tuple[int, ...]) -> NDArray[Any]:
    """``x`` as a finite float array (n_samples, *shape) of ``dtype`` for a model whose input is
    n-d (images: (n_samples, height, width, channels), channels last); ``shape`` ``()`` takes any
    n-d example shape (the model adopts it). The size check against the model is the caller's."""
    wanted = "(n_samples, " + (", ".join(map(str, shape)) if shape else "height, width, channels")
    wanted += ")"
    try:
        array = np.asarray(x)
    except ValueError as error:  # ragged nested lists
        raise ValueError(
            f"Expected {what} to be an array {wanted} with every example the same shape, but it "
            f"could not be made into one ({error})."
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected real numbers in {what}, got an array of dtype {array.dtype}. Convert it "
            f"first, e.g. np.asarray({what}, dtype=float)."
        )
    rank = 1 + (len(shape) if shape else max(array.ndim - 1, 2))
    if array.ndim != rank or (not shape and array.ndim < 3):
        fix = (
            f" Reshape it, e.g. {what}.reshape(-1, {', '.join(map(str, shape))})."
            if shape and array.ndim >= 1 and array[:1].size == math.prod(shape)
            else ""
        )
        raise ValueError(
            f"Expected {rank}-D array {what} of shape {wanted} for this "
            f"model's image input, got {array.ndim}-D array of shape {array.shape}.{fix}"
        )
    if array.size == 0:
        raise ValueError(f"Expected at least one example in {what}, got shape {array.shape}.")
    if array.dtype.kind == "f" and (bad := first_non_finite(array)) is not None:
        raise ValueError(
            f"Input {what} contains NaN or infinity (first at example {bad[0]}, position "
            f"{bad[1:]}). Remove or impute those values before training."
        )
    with np.errstate(over="ignore"):  # float64 -> float32 overflow is reported below
        cast = array.astype(dtype, copy=False)
    if cast is not array and cast.dtype.kind == "f" and (bad := first_non_finite(cast)) is not None:
        raise ValueError(
            f"Input {what} has a value too large for {np.dtype(dtype).name} (first at example "
            f"{bad[0]}, position {bad[1:]}: {float(array[bad]):g}). Scale the data (e.g. divide "
            f"images by 255) or build the model with dtype='float64'."
        )
    return cast


def finite_float(value: Any, name: str) -> float:
    """``value`` (a real number) as a finite float, or a clear error: TypeError for what is not a
    number, ValueError for NaN, inf, or an integer beyond float64 (``float(10**400)`` raises
    OverflowError, which no caller expects). A message shows at most about 20 characters of the
    value (``shown``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"Expected {name} to be a number, got {type(value).__name__} {shown(value, 20)}."
        )
    try:
        result = float(value)
    except OverflowError:
        raise ValueError(
            f"Expected {name} to be a finite number, got {shown(value, 20)}, beyond float64."
        ) from None
    if not math.isfinite(result):
        raise ValueError(f"Expected {name} to be a finite number, got {shown(result, 20)}.")
    return result


def whole_number(value: Any, name: str, low: int = 0, high: int | None = None) -> int:
    """``value`` as an int in [low, high] (no upper bound when ``high`` is None), or a clear
    TypeError (not a whole number; True and 1.0 are refused) or ValueError (out of range)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Expected {name} to be a whole number, got {type(value).__name__} {shown(value, 20)}."
        )
    if value < low or (high is not None and value > high):
        wanted = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"Expected {name} {wanted}, got {shown(value, 20)}.")
    return int(value)


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)`` for a message: cut to ``limit`` characters with the full length said, so a
    hostile value (a 100,000-character name, a CSV cell of 100,001 digits) cannot flood a terminal
    or a log line; ``repr`` already escapes control and bidi characters (``'\\u202e'``, ``'\\n'``).
    A huge integer is given by its size (``str`` of an integer past 4300 digits raises).

    >>> shown("relu")
    "'relu'"
    >>> shown("x" * 1000, 10)
    "'xxxxxxxxx... (1000 characters)"
    >>> print(shown(chr(0x202E)))
    '\\u202e'
    """
    if isinstance(value, int) and abs(value) >= 10**limit:
        return f"an integer of about {int(abs(value).bit_length() * math.log10(2)) + 1} digits"
    if isinstance(value, str | bytes) and len(value) > limit:
        text = repr(value[:limit])  # not the whole repr of a huge string
        return f"{text[:limit]}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def shown_path(path: Any) -> str:
    """A file path for a message, unquoted when it is short and plain (as ``open`` errors show
    it), else ``shown``'s cut and escaped repr."""
    text = str(path)
    return text if len(text) <= 200 and text.isprintable() else shown(text, 200)


def positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Expected {name} to be an integer, got {type(value).__name__} {shown(value, 20)}."
        )
    if value < minimum:
        raise ValueError(f"Expected {name} >= {minimum}, got {shown(value, 20)}.")
    return int(value)


def float_dtype(dtype: Any) -> np.dtype[Any]:
    """``dtype`` as np.float32 or np.float64, or a clear error."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result not in (np.float32, np.float64):
        raise ValueError(
            f"Expected dtype 'float32' or 'float64', got {shown(dtype)}. Use dtype='float64' for "
            f"exact work, or leave it unset for float32."
        )
    return result


def seed_value(seed: Any) -> Any:
    """``seed`` as NumPy's generators take it (None, an int >= 0, or a Generator/SeedSequence)."""
    if seed is None or isinstance(
        seed, np.random.Generator | np.random.SeedSequence | np.random.BitGenerator
    ):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"Expected seed to be a whole number >= 0 (or None), got {type(seed).__name__} "
            f"{shown(seed, 20)}. Use e.g. seed=0."
        )
    if seed < 0:
        raise ValueError(f"Expected seed >= 0, got {shown(seed, 20)}. Use e.g. seed=0.")
    return int(seed)


def metric_list(metrics: Any, what: str = "metrics") -> list[Any]:
    """``metrics`` (or ``weighted_metrics``: ``what``) as a list (Keras wants a list or a
    tuple: metrics=['accuracy'])."""
    if metrics is None:
        return []
    if isinstance(metrics, dict):  # Keras's {output name: metrics}, for several outputs
        values = [m for v in metrics.values() for m in (v if isinstance(v, list | tuple) else [v])]
        raise TypeError(
            f"Expected {what} to be a list, got a dict {shown(metrics)}: a dict by output name "
            f"is for Keras models with several outputs, and a Sequential has one. Pass the "
            f"list: {what}={shown(values)}."
        )
    if isinstance(metrics, str) or not isinstance(metrics, list | tuple):
        if isinstance(metrics, set | frozenset | np.ndarray):  # its entries, as a list
            entries = metrics.tolist() if isinstance(metrics, np.ndarray) else list(metrics)
            fix = f"Pass a list: {what}={shown(entries)}."
        elif not isinstance(metrics, str) and hasattr(metrics, "__iter__"):  # a generator...
            fix = f"Collect it in a list: {what}=list(...)."
        else:  # one metric: wrapped, it is the list
            fix = f"Wrap it in a list: {what}=[{shown(metrics)}]."
        raise TypeError(
            f"Expected {what} to be a list of names, e.g. {what}=['accuracy'], got "
            f"{type(metrics).__name__} {shown(metrics)}. {fix}"
        )
    return list(metrics)


def float64_advice(dtype: Any, advice: str) -> str:
    """``advice`` (to build the model in float64), or "" when ``dtype`` is float64 already: a
    float64 model told to use float64 learns nothing from the message.

    >>> float64_advice("float32", ", or use dtype='float64'")
    ", or use dtype='float64'"
    >>> float64_advice("float64", ", or use dtype='float64'")
    ''
    """
    return "" if np.dtype(dtype) == np.float64 else advice


def check_quiet_verbose(verbose: Any, method: str) -> None:
    """``verbose`` of ``evaluate`` or ``predict`` (``method``): what Keras takes, "auto", 0, 1
    or 2, though these one-pass methods draw nothing; anything else is a mistake, said."""
    auto = isinstance(verbose, str) and verbose == "auto"
    whole = isinstance(verbose, int | np.integer) and not isinstance(verbose, bool)
    if not auto and not (whole and verbose in (0, 1, 2)):
        raise ValueError(
            f"Expected verbose to be 'auto', 0, 1 or 2 as in Keras, got {shown(verbose)}. "
            f"{method} draws no progress bar whichever you pass; leave verbose out."
        )


def fit_options(shuffle: Any, verbose: Any, callbacks: Any) -> list[Any]:
    """Check fit()'s ``shuffle`` and ``verbose``; ``callbacks`` as a list."""
    if not isinstance(shuffle, bool | np.bool_):
        raise TypeError(f"Expected shuffle to be True or False, got {shown(shuffle)}.")
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(
            f"Expected verbose to be 0 (silent), 1 (a progress bar) or 2 (one line per epoch), "
            f"got {shown(verbose)}."
        )
    return callback_list(callbacks)


def callback_list(callbacks: Any, method: str = "") -> list[Any]:
    """``callbacks`` as a list (each then checked by CallbackList): None is none, a list or
    tuple is copied, anything else is refused, its message headed by ``method`` when given."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, list | tuple):
        expected = f"{method}: expected" if method else "Expected"
        raise TypeError(
            f"{expected} callbacks to be a list of glassnet.callbacks.Callback instances, got "
            f"{type(callbacks).__name__}. Wrap it in a list: callbacks=[...]."
        )
    return list(callbacks)


def weight_list(weights: Any) -> list[Any]:
    """``set_weights``'s argument as a list of arrays (as ``get_weights()`` returns)."""
    if not isinstance(weights, list | tuple):
        raise TypeError(
            f"Expected set_weights to get a list of arrays in the order of get_weights(), got "
            f"{type(weights).__name__}. Pass e.g. model.set_weights(other.get_weights())."
        )
    return list(weights)


def weight_array(value: Any, where: str) -> NDArray[Any]:
    """One weight for ``set_weights`` as a real-number array, or a clear error."""
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nested lists
        raise ValueError(
            f"{where} could not be made into an array: its rows have different lengths. Give a "
            f"rectangular array of numbers, as get_weights() returns."
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{where} must be real numbers, got an array of dtype {array.dtype}. Give an array "
            f"of numbers, as get_weights() returns."
        )
    return array


def all_finite(arrays: Any) -> bool:
    """True when every array holds only finite numbers (the weights after an update).

    As ``finite``, for many arrays at once: the sum of their sums of squares (``np.vdot(a, a)``,
    one BLAS pass each, no temporary) is finite only if every entry is (no cancellation: every
    term is >= 0, an inf stays inf, a NaN stays NaN); only a sum that is not, a NaN or inf or
    squares past the dtype's range, falls back to each array's exact check."""
    with np.errstate(over="ignore", invalid="ignore"):
        return all_finite_quietly(arrays)


def all_finite_quietly(arrays: Any) -> bool:
    """``all_finite`` for a caller already inside ``np.errstate(over="ignore",
    invalid="ignore")`` (fit's epoch, train_on_batch's step): the same answer without entering
    that state a second time (about a third of the check's cost on small weights)."""
    if type(arrays) is not list:  # a generator is read once; the model's list as it is
        arrays = list(arrays)
    total = 0.0
    for array in arrays:
        total += np.vdot(array, array)  # sum of squares: 1.0 against 1.8 µs for the seed's two
    return math.isfinite(total) or all(finite(array) for array in arrays)


def input_first_message(layers: int) -> str:
    """Why ``Input`` cannot be added now: it gives the input shape, so it comes first, once."""
    where = f"after {layers} layer(s)" if layers else "a second time"
    return (
        f"Input(shape=...) must come first, before any layer, and only once; got it {where}. "
        f"Put glassnet.Input(shape=(n_features,)) at the start of the list."
    )
