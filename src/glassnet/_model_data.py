"""A ``Sequential``'s input checks: x and y read, checked against the model, then adopted.

``ModelData`` (a base of ``Sequential``): ``_features`` (x for predict and ``model(x)``),
``_data`` (x and y for fit, evaluate, ...: checked first, the model built for x's width only
then, so a call that fails leaves an unbuilt model unbuilt), ``_batch_data`` (train_on_batch's
fast way through the same checks), ``_targets`` (y as the loss takes it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._model_structure import NO_LAYERS
from glassnet._validation import SMALL, as_features, finite, pandas_values
from glassnet.layers.core import Shape, show_shape

if TYPE_CHECKING:
    from glassnet.model import Sequential

Array = NDArray[np.floating[Any]]


class ModelData:
    """``Sequential``'s checks of x and y, and the width it adopts from the first x."""

    # -- data --------------------------------------------------------------------------------
    def _features(self: Sequential, x: ArrayLike, what: str = "x") -> Array:
        x = as_features(x, self.dtype, what, self._expected_shape())
        self._check_width(x, what)
        self._adopt_width(x)
        return x

    def _expected_shape(self: Sequential) -> Shape | None:
        """The example shape x must have for ``as_features`` to take it as images: the model's
        n-d input shape, or any image shape while unknown if the first layer takes images
        (``()``); None for flat input (the 2-D checks and their messages)."""
        if self.example_shape is not None:
            return self.example_shape if len(self.example_shape) > 1 else None
        return () if self.layers and self.layers[0].takes_images else None

    def _check_width(self: Sequential, x: Array, what: str) -> None:
        shape = self.example_shape
        if shape is None:
            return  # not known yet: x's width is adopted
        if len(shape) > 1:
            if x.shape[1:] != self.example_shape:
                first = self.layers[0] if self.layers else None
                where = f"Layer '{first.name}' ({first.kind})" if first else "The model"
                raise ValueError(
                    f"{where} expects input of shape {show_shape(self.example_shape)}, but {what} "
                    f"has shape {x.shape}. Give every example the shape {self.example_shape}"
                    + (
                        f", e.g. {what}.reshape(-1, {', '.join(map(str, self.example_shape))})."
                        if math.prod(x.shape[1:]) == math.prod(self.example_shape)
                        else ", or build a new model for this shape."
                    )
                )
            return
        if len(shape) == 1 and x.shape[1] != shape[0]:  # shape[0]: input_features
            first = self.layers[0] if self.layers else None
            where = f"Layer '{first.name}' ({first.kind})" if first is not None else "The model"
            raise ValueError(
                f"{where} expects input of shape (batch, {self.input_features}), but {what} has "
                f"shape {x.shape}. Give every example {self.input_features} features, or build a "
                f"new model for {x.shape[1]} features."
            )

    def _adopt_width(self: Sequential, x: Array) -> None:
        """Build for x's width (checked by ``_check_width``) if the model is not built yet."""
        if not self.built:
            self.build((None, *(self.example_shape or x.shape[1:])))  # unbuilt again if it fails

    def _data(self: Sequential, x: ArrayLike, y: ArrayLike, what: str = "") -> tuple[Array, Array]:
        """x and y checked, and then (only then) the model built for x's width: a call that
        fails leaves an unbuilt model unbuilt."""
        x = as_features(x, self.dtype, "x" + what, self._expected_shape())
        self._check_width(x, "x" + what)
        if not self.layers:
            raise ValueError(NO_LAYERS)
        y = self._targets(y, self._output_width(x.shape[1:]), what)
        if len(y) != len(x):
            raise ValueError(
                f"x{what} has {len(x)} examples but y{what} has {len(y)} labels; they must have "
                f"the same length (one target row per input row)."
            )
        self._adopt_width(x)
        return x, y

    def _batch_data(self: Sequential, x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
        """``_data(x, y)`` for train_on_batch, which checks its batch at every call (as Keras):
        when x is already what ``_data`` returns for it (a plain finite 2-D array of the built
        model's dtype and width: ``as_features`` and ``_check_width`` pass, and the model has
        nothing to adopt), the targets prepared as ``_data`` prepares them; anything else
        through ``_data`` itself, with its checks, messages and order (tests/test_dense_step.py).
        """
        dtype = self.dtype
        # built: so there are layers, and nothing for _adopt_width to do
        if type(x) is np.ndarray and x.dtype == dtype and x.ndim == 2 and self.built:
            rows, width = x.shape
            shape = self.example_shape
            if (
                rows
                and shape == (width,)
                # as_features' check: finite's own first answer (x . x finite, by np.vdot,
                # which raises no warning where ndarray.dot says "overflow"), else finite's
                and ((x.size <= SMALL and math.isfinite(np.vdot(x, x))) or finite(x))
            ):
                units = self._output_width(shape)
                if type(y) is np.ndarray and y.dtype == dtype:  # _targets' first branch
                    targets = self.loss.prepare_targets(y, units, dtype, "y")
                else:
                    targets = self._targets(y, units)
                if len(targets) == rows:
                    return x, targets
        return self._data(x, y)  # every check again, with the error for this x and y

    def _output_width(self: Sequential, example: Shape) -> int:
        """``_features_after(len(self.layers), example)``: the output width for inputs of one
        example's shape ``example``, read off the shape remembered by the last ``add``/``build``
        when the model was built for that very shape (train_on_batch asks at every call)."""
        end = getattr(self, "_built_end", None)
        if (
            end is not None
            and end[0] is self.layers[-1]
            and example == self.example_shape
            and len(end[1]) == 1
        ):
            return end[1][0]
        return self._features_after(len(self.layers), example)

    def _targets(self: Sequential, y: ArrayLike, units: int, what: str = "") -> Array:
        """``loss.prepare_targets(y)``, checked for an output of ``units`` units."""
        if type(y) is np.ndarray and y.dtype == self.dtype:  # no cast: nothing can overflow
            return self.loss.prepare_targets(y, units, self.dtype, "y" + what)
        with np.errstate(over="ignore"):  # a target beyond float32 is reported just below
            return self.loss.prepare_targets(
                pandas_values(y, "y" + what), units, self.dtype, "y" + what
            )
