"""glassnet's one colour convention, for every picture of signed numbers.

**Blue is positive, orange is negative, white is zero**, and a figure of signed numbers (weights,
kernels, feature maps, gradients) uses one diverging map centred on zero (``-limit`` orange,
``0`` white, ``+limit`` blue) with a colorbar as its legend. The colours are the playground's
(``--pos`` and ``--neg`` in its ``style.css``), so a weight reads the same in the diagram, a
heatmap, a kernel and the browser. Numbers that have no sign (pixels, counts, probabilities) are
drawn in grey, so they never borrow a sign's colour; a highlight (the mistakes of a classifier)
uses purple, which means nothing else. Classes take the playground's colours: a one-unit
output's class 0 orange and class 1 blue (its decision surface runs orange - white - blue from
output 0 through 0.5 to 1, as the playground's does); a several-unit output's classes green,
red, grey, olive ... (``CLASS_COLOURS``), none of them blue, orange or purple.

>>> sign_colour(0.3), sign_colour(-0.3) == NEGATIVE
('#2b7bb9', True)
>>> symmetric_limit([[-2.0, 1.0]], [0.5])
2.0
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

POSITIVE = "#2b7bb9"  # blue: a positive number (the playground's --pos)
NEGATIVE = "#e8871e"  # orange: a negative number (the playground's --neg)
ZERO = "#ffffff"  # white: zero, the middle of every diverging map
HIGHLIGHT = "#7c3aed"  # purple: "look here" (a wrong prediction); never a sign
UNSIGNED_MAP = "gray_r"  # pixels and other unsigned values: white 0 to black (ink on paper)
COUNT_MAP = "Greys"  # counts (the confusion matrix)
#: a one-unit (binary) output's classes: 0 orange, 1 blue, the ends of its output's scale
BINARY_CLASS_COLOURS = (NEGATIVE, POSITIVE)
#: the classes of a several-unit (softmax) output, the playground's CLASS_COLOURS in draw.js: no
#: blue, orange or purple among them, since those mean positive, negative and "look here"
CLASS_COLOURS = (
    "#2e8c3c",
    "#c8323c",
    "#505050",
    "#aa8c14",
    "#d25aa0",
    "#14a08c",
    "#785028",
    "#145a3c",
    "#821e3c",
    "#969696",
)

#: curves are not signs either: training dark slate, validation (dashed) teal, never blue/orange
TRAIN_COLOUR = "#334155"
VALIDATION_COLOUR = "#0f766e"


def sign_colour(value: float) -> str:
    """Blue for a positive (or zero) value, orange for a negative one."""
    return POSITIVE if value >= 0 else NEGATIVE


def symmetric_limit(*arrays: ArrayLike) -> float:
    """The largest |value| over ``arrays`` (NaN ignored): a diverging map runs from -limit to
    +limit so that zero sits in its middle. 1.0 when every value is 0 (or there are none)."""
    largest = 0.0
    for array in arrays:
        values = np.abs(np.asarray(array, dtype=np.float64))
        if values.size and np.isfinite(values).any():
            largest = max(largest, float(np.nanmax(values[np.isfinite(values)])))
    return largest if largest > 0 else 1.0


@cache
def diverging_map() -> Any:
    """The matplotlib colormap for signed numbers: orange (negative) - white (0) - blue
    (positive). Use it with ``vmin=-limit, vmax=limit`` (``symmetric_limit``)."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("glassnet_signs", [NEGATIVE, ZERO, POSITIVE])


def signed_image_options(*arrays: ArrayLike) -> dict[str, Any]:
    """``imshow`` keywords for signed numbers: the diverging map centred on zero, one scale
    for all of ``arrays``."""
    limit = symmetric_limit(*arrays)
    return {"cmap": diverging_map(), "vmin": -limit, "vmax": limit}


@cache
def class_map() -> Any:
    """The matplotlib colormap of classes 0 to 9 (``CLASS_COLOURS``); use it with ``vmin=0,
    vmax=9`` (or ``vmax=1`` over the first two)."""
    from matplotlib.colors import ListedColormap

    return ListedColormap(CLASS_COLOURS, name="glassnet_classes")
