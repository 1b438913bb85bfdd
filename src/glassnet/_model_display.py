"""A ``Sequential`` shown: Keras's ``summary()`` table, ``repr``, and Jupyter's HTML table.

``ModelDisplay`` (a base of ``Sequential``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from glassnet._summary_options import column_widths, layer_bounds, summary_options
from glassnet.layers import Layer
from glassnet.layers.core import Shape, show_shape

if TYPE_CHECKING:
    from glassnet.model import Sequential


class ModelDisplay:
    """``Sequential``'s summary, repr and HTML table."""

    # -- display -----------------------------------------------------------------------------
    def summary(
        self: Sequential,
        line_length: int | None = None,
        positions: Sequence[float] | None = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Sequence[str] | None = None,
    ) -> None:
        """Print a Keras-style table: layer (type), output shape, parameter count, totals.
        Keras 3's arguments, in its order (glassnet/_summary_options.py checks them):
        ``line_length`` the table's width in characters (a cell too long for its column wraps
        onto the next lines, as Keras's do; None: as wide as the longest cells), ``positions``
        where each column ends (fractions of ``line_length``, or characters), ``print_fn``
        takes the text (None: ``print``), ``show_trainable`` adds Keras's "Trainable" column
        (Y / N), ``layer_range`` (first, last) shows only the layers from the first whose name
        starts with ``first`` to the last whose name starts with ``last`` (Keras matches them
        as regular expressions from the start of the name; glassnet as plain text, so a
        pattern cannot hang it), the totals still the whole model's. ``expand_nested`` changes
        nothing: a glassnet model holds no nested models. A function in ``line_length``'s
        place is taken as ``print_fn`` (glassnet's summary(print) before Keras's order)."""
        if callable(line_length) and print_fn is None:  # summary(print): print_fn, unambiguous
            line_length, print_fn = None, line_length
        options = summary_options(
            line_length, positions, print_fn, expand_nested, show_trainable, layer_range
        )
        start, stop = layer_bounds([layer.name for layer in self.layers], options.layer_range)
        (print if options.print_fn is None else options.print_fn)(
            self.summary_text(
                options.line_length, options.positions, options.show_trainable, (start, stop)
            )
        )

    def _layer_outputs(self: Sequential) -> list[tuple[Layer, Shape | None]]:
        """Each layer with its output example shape (None while the input shape is unknown)."""
        outputs, shape = [], self.example_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape) if shape is not None else None
            outputs.append((layer, shape))
        return outputs

    def summary_text(
        self: Sequential,
        line_length: int | None = None,
        positions: Sequence[int] | None = None,
        show_trainable: bool = False,
        layer_range: tuple[int, int] | None = None,
    ) -> str:
        """The text of ``summary()``: each layer as Keras prints it, ``name (ClassName)`` (a
        ``LeakyReLU`` is one, though it computes as the ``Activation`` it subclasses and saves
        as one; a subclass ``MyDense(Dense)`` is ``MyDense``). ``line_length``, ``positions``
        (each column's end, in characters) and ``show_trainable`` as ``summary``'s, checked
        there; ``layer_range`` the (start, stop) indexes of the layers shown."""
        header = (*_HEADER, "Trainable") if show_trainable else _HEADER
        rows = [
            (
                f"{layer.name} ({type(layer).__name__})",
                show_shape(shape),
                str(layer.count_params()),
                *((_trainable(self, layer),) if show_trainable else ()),
            )
            for layer, shape in self._layer_outputs()[slice(*(layer_range or (None, None)))]
        ]
        widths = column_widths(header, rows, line_length, positions)
        width = sum(widths)
        lines = [f'Model: "{self.name}"', "_" * width, *_rows(header, widths), "=" * width]
        for i, row in enumerate(rows):
            lines += _rows(row, widths)
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


def _rows(cells: Sequence[str], widths: Sequence[int]) -> list[str]:
    """One table row as lines: a cell longer than its column (less the 2 spaces between
    columns) wraps onto the next lines at its spaces, or inside a word longer than the column,
    as Keras's cells do (every character but the spaces at the breaks kept)."""
    pieces = [
        textwrap.wrap(cell, max(width - 2, 1), break_on_hyphens=False) or [""]
        for cell, width in zip(cells, widths, strict=True)
    ]
    height = max(len(piece) for piece in pieces)
    return [
        _row([piece[k] if k < len(piece) else "" for piece in pieces], widths)
        for k in range(height)
    ]


def _trainable(model: Sequential, layer: Layer) -> str:
    """Keras's "Trainable" cell: Y or N, or "-" for a layer without weights."""
    if not layer.count_params():
        return "-"
    return "Y" if model._trains(layer) else "N"
