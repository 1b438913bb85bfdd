"""A ``Sequential`` shown: Keras's ``summary()`` table, ``repr``, and Jupyter's HTML table.

``ModelDisplay`` (a base of ``Sequential``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from glassnet._validation import shown
from glassnet.layers import Layer
from glassnet.layers.core import Shape, show_shape

if TYPE_CHECKING:
    from glassnet.model import Sequential


class ModelDisplay:
    """``Sequential``'s summary, repr and HTML table."""

    # -- display -----------------------------------------------------------------------------
    def summary(self: Sequential, print_fn: Any = print) -> None:
        """Print a Keras-style table: layer (type), output shape, parameter count, totals.
        ``print_fn`` takes the text (None: ``print``, as Keras's default)."""
        if print_fn is None:
            print_fn = print
        if not callable(print_fn):  # summary(80): Keras's first argument is line_length
            raise TypeError(
                f"Expected print_fn to be a function that takes the text, such as print, got "
                f"{type(print_fn).__name__} {shown(print_fn, 20)}. glassnet's summary has no "
                f"line_length or positions (Keras's first arguments); pass print_fn=... by name."
            )
        print_fn(self.summary_text())

    def _layer_outputs(self: Sequential) -> list[tuple[Layer, Shape | None]]:
        """Each layer with its output example shape (None while the input shape is unknown)."""
        outputs, shape = [], self.example_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape) if shape is not None else None
            outputs.append((layer, shape))
        return outputs

    def summary_text(self: Sequential) -> str:
        """The text of ``summary()``: each layer as Keras prints it, ``name (ClassName)`` (a
        ``LeakyReLU`` is one, though it computes as the ``Activation`` it subclasses and saves
        as one; a subclass ``MyDense(Dense)`` is ``MyDense``)."""
        rows = [
            (
                f"{layer.name} ({type(layer).__name__})",
                show_shape(shape),
                str(layer.count_params()),
            )
            for layer, shape in self._layer_outputs()
        ]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) + 2 for i, h in enumerate(_HEADER)]
        width = sum(widths)
        lines = [f'Model: "{self.name}"', "_" * width, _row(_HEADER, widths), "=" * width]
        for i, row in enumerate(rows):
            lines.append(_row(row, widths))
            lines.append("=" * width if i == len(rows) - 1 else "_" * width)
        total = self.count_params()
        frozen = self.non_trainable_count()  # frozen layers, moving statistics, Normalization's
        lines += [
            f"Total params: {total}",
            f"Trainable params: {total - frozen}",
            f"Non-trainable params: {frozen}",
        ]
        if not self.built:
            lines.append("(not built yet: parameters appear once the input shape is known)")
        lines.append("_" * width)
        return "\n".join(lines)

    def __repr__(self: Sequential) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], dtype='{self.dtype.name}')"

    def _repr_html_(self: Sequential) -> str:
        """A table of the layers for Jupyter: name, kind, output shape, parameters."""
        import html

        rows = []
        for layer, shape in self._layer_outputs():
            cells = (layer.name, type(layer).__name__, repr(layer), show_shape(shape))
            rows.append(
                "<tr>"
                + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                + f"<td>{layer.count_params()}</td></tr>"
            )
        return (
            f"<table><caption>{html.escape(self.name)} ({self.dtype.name}): "
            f"{self.count_params()} parameters</caption><tr><th>name</th><th>kind</th>"
            f"<th>layer</th><th>output shape</th><th>parameters</th></tr>{''.join(rows)}</table>"
        )


_HEADER = ("Layer (type)", "Output Shape", "Param #")


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
