"""The bounds a model file's header must keep, checked before anything is built (glassnet.io).

A header is JSON from a file someone else may have written. These checks make every way it can
be out of range a ``ModelFileError`` with a message, rather than an ``OverflowError`` from NumPy,
a ``ValueError`` from Python's integer parser, an ``IndexError``, or a number that loads and
explodes later (a step count of 10**30, Adam's second moment below zero).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet._files import ModelFileError
from glassnet._validation import shown

if TYPE_CHECKING:
    from glassnet.model import Sequential

#: the loader's bounds, checked before anything is built (and by save, so it never writes a file
#: that load_model would refuse); parameters are also bounded by the file's size
MAX_LAYERS = 1000
MAX_PARAMETERS = 10**9
MAX_INTEGER_DIGITS = 40  # a header integer has at most 40 digits (PCG64's 128-bit state: 39)

#: hyperparameter bounds, kept by the constructors (so the loader, which builds through them,
#: keeps them too): every learning rate, epsilon, penalty (l1, l2) and LeakyReLU slope must be
#: an ordinary number in float32, the default dtype: at most its largest, 3.4e38 (1e300 is inf
#: there: a slope of 1e300 made a sigmoid predict 0.0 for everything), and a learning rate or
#: epsilon at least its smallest normal number, 1.2e-38 (Adam's epsilon 0, or 1e-50, which is 0
#: in float32, divides by zero where a gradient is 0). Keras checks none of these and PyTorch
#: only their signs (it allows eps=0); a huge learning rate stays allowed, as in both, because
#: watching training diverge is a lesson (TerminateOnNaN then says so).
MAX_HYPERPARAMETER = float(np.finfo(np.float32).max)
MIN_POSITIVE = float(np.finfo(np.float32).tiny)
#: a layer's or a model's name: at most 256 printable characters (no newline, no control code),
#: so messages, summaries and file headers that show it stay readable
MAX_NAME_CHARS = 256


def bounded(value: float, name: str, low: float, example: str) -> float:
    """``value`` (already a finite float) in [``low``, ``MAX_HYPERPARAMETER``], or a
    ValueError that names the bounds, the value and an example."""
    if not low <= value <= MAX_HYPERPARAMETER:
        raise ValueError(
            f"Expected {name} between {low:.3g} and {MAX_HYPERPARAMETER:.3g} (an ordinary number "
            f"in float32, the default dtype), got {value:.6g}. Use e.g. {example}."
        )
    return value


def check_name(name: object, what: str) -> None:
    """Refuse a name that is not a str of 1 to ``MAX_NAME_CHARS`` printable characters."""
    if not isinstance(name, str):
        raise TypeError(
            f"Expected {what} to be a str such as 'dense_1', got {type(name).__name__}."
        )
    if not 0 < len(name) <= MAX_NAME_CHARS or not name.isprintable():
        length = "" if len(name) > 80 else f" ({len(name)} characters)"  # shown says it past 80
        raise ValueError(
            f"Expected {what} to be 1 to {MAX_NAME_CHARS} printable characters (no newline or "
            f"control code), got {shown(name)}{length}. Choose a short name such as 'dense_1'."
        )


def check_size(layers: int, parameters: int, where: str, action: str) -> None:
    """Refuse more than ``MAX_LAYERS`` layers or ``MAX_PARAMETERS`` parameters."""
    subject = "the header declares" if action == "load" else "the model has"
    for count, limit, what in (
        (layers, MAX_LAYERS, "layers"),
        (parameters, MAX_PARAMETERS, "parameters"),
    ):
        if count > limit:
            raise ModelFileError(
                f"{where}: {subject} {count} {what}; glassnet's model files hold at most {limit} "
                f"(glassnet.io.MAX_{what.upper()}), so it cannot {action} this one."
            )


def long_integer(value: Any, where: str = "") -> tuple[str, int] | None:
    """The first integer of more than ``MAX_INTEGER_DIGITS`` digits in a header about to be
    saved, as (where, its digits): ``("layers[0].kernel_initializer.seed", 401)``; or None.

    >>> long_integer({"layers": [{"seed": 10**50}]})
    ('layers[0].seed', 51)
    """
    if isinstance(value, dict):
        items = ((f"{where}.{key}" if where else str(key), item) for key, item in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{where}[{i}]", item) for i, item in enumerate(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        digits = len(str(abs(value))) if abs(value) < 10**4000 else 4001  # str() stops at 4300
        return (where, digits) if digits > MAX_INTEGER_DIGITS else None
    else:
        return None
    for place, item in items:
        if (found := long_integer(item, place)) is not None:
            return found
    return None


def parse_header(text: bytes, path: str) -> Any:
    """The JSON header, with every number bounded as it is read: an integer of more than
    ``MAX_INTEGER_DIGITS`` digits (Python refuses past 4300 anyway, with a ValueError), a float
    beyond float64 (``1e400``, read as inf) and ``NaN``/``Infinity`` are refused."""

    def integer(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
            raise ModelFileError(
                f"{path!r}: the header holds a {len(literal.lstrip('-'))}-digit integer; a "
                f"glassnet header's integers have at most {MAX_INTEGER_DIGITS} digits."
            )
        return int(literal)

    def real(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise ModelFileError(
                f"{path!r}: the header holds the number {literal[:40]}, beyond float64's range; "
                f"every number in a glassnet header is finite."
            )
        return value

    def constant(name: str) -> float:
        raise ModelFileError(f"{path!r}: the header holds {name}; JSON numbers must be finite.")

    try:
        return json.loads(
            text.decode("utf-8"), parse_int=integer, parse_float=real, parse_constant=constant
        )
    except ModelFileError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # JSONDecodeError too
        raise ModelFileError(f"{path!r}: the header is not valid JSON ({error}).") from None


#: PCG64's state as NumPy gives it, each integer with its range
_PCG64_RANGES = {"state": 1 << 128, "inc": 1 << 128}


def check_rng_state(state: Any, where: str) -> None:
    """A PCG64 state (``bit_generator.state``) with every integer in its range, or a clear
    error (NumPy would raise OverflowError, or wrap a negative number)."""
    keys = {"bit_generator", "state", "has_uint32", "uinteger"}
    if (
        not isinstance(state, dict)
        or set(state) != keys
        or state["bit_generator"] != "PCG64"
        or not isinstance(state["state"], dict)
        or set(state["state"]) != set(_PCG64_RANGES)
    ):
        raise ModelFileError(
            f"{where} is not a PCG64 state: expected the keys {sorted(keys)} with "
            f"bit_generator 'PCG64' and state {{'state', 'inc'}}."
        )
    ranges = {**{("state", k): v for k, v in _PCG64_RANGES.items()}, ("has_uint32",): 2}
    ranges[("uinteger",)] = 1 << 32
    for keys_, limit in ranges.items():
        value = state
        for key in keys_:
            value = value[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
            raise ModelFileError(
                f"{where}: {'.'.join(keys_)} must be an integer in [0, {limit}), got {value!r}."
            )


def check_slots(model: Sequential, compiled: dict[str, Any] | None, path: str) -> None:
    """The header's optimizer slots: exactly the optimizer's, each with one true/false flag per
    array the optimizer keeps in it (one per weight, or none for a slot its settings leave
    unused, such as RMSprop's momentums without momentum)."""
    if compiled is None:
        return
    slots, optimizer = compiled["slots"], model.optimizer
    lengths = {slot: len(getattr(optimizer, slot, [])) for slot in optimizer.state_slots}
    if set(slots) != set(lengths) or any(
        len(flags) != lengths[slot] or not all(isinstance(f, bool) for f in flags)
        for slot, flags in slots.items()
    ):
        raise ModelFileError(
            f"{path!r}: the header's optimizer slots should be {list(lengths)}, each a list of "
            f"true/false flags, one per array ({lengths}); found {_short(slots)}."
        )


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
