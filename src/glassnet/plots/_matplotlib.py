"""Lazy matplotlib, without pyplot: figures are ``matplotlib.figure.Figure`` objects on their own
Agg canvas, so drawing one never switches the user's backend nor registers anything with pyplot.

A notebook's own ``plt.plot`` keeps working after glassnet has drawn (glassnet never calls
``matplotlib.use``), and a figure glassnet returns still shows inline as a cell's value: with
pyplot's inline backend active its formatter draws it, as for any figure; before pyplot was ever
imported, ``Figure._repr_png_`` below does. Nothing keeps a reference to a figure, so a figure
nobody holds is freed like any object (there is no ``plt.close`` to call).

``new_figure(...)`` makes a figure (or raises ImportError naming the extra to install);
``png_bytes(figure)`` renders one to PNG bytes.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

INSTALL_HINT = "pip install 'glassnet[plots]'"


def new_figure(**options: Any) -> Any:
    """A new ``matplotlib.figure.Figure`` (``figsize=``, ``layout=`` ... as ``Figure`` takes).

    Raises ImportError naming the ``glassnet[plots]`` extra when matplotlib is missing.
    """
    try:
        import matplotlib.figure  # noqa: F401  (checked on every call: it may have gone)
    except ImportError as error:
        raise ImportError(
            f"glassnet.plots draws its figures with matplotlib, which is not installed. "
            f"Install it with: {INSTALL_HINT}"
        ) from error
    return _figure_class()(**options)


@cache
def _figure_class() -> type:
    """The Figure subclass glassnet draws on, made the first time a figure is asked for (so that
    importing glassnet.plots does not import matplotlib)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    class InlineFigure(Figure):
        """A ``matplotlib.figure.Figure`` on an Agg canvas that shows itself as PNG in Jupyter.

        IPython asks an object for ``_repr_png_`` when no formatter is registered for its type;
        pyplot's inline backend registers one for ``Figure`` (and so for this subclass) only once
        pyplot is imported, so without this method a figure returned before that would show as
        ``<Figure size 420x320 with 1 Axes>``.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            FigureCanvasAgg(self)  # attaches itself as self.canvas: savefig, tight_layout work

        def _repr_png_(self) -> bytes:
            return png_bytes(self, bbox_inches="tight")

    InlineFigure.__module__ = __name__
    InlineFigure.__qualname__ = "InlineFigure"
    return InlineFigure


def png_bytes(figure: Any, dpi: int = 100, **options: Any) -> bytes:
    """Render ``figure`` to PNG bytes at ``dpi`` (``options`` go to ``savefig``)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, **options)
    return buffer.getvalue()
