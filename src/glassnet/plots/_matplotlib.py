"""Lazy matplotlib: imported only inside the functions that draw, always with the Agg backend.

``pyplot()`` hands out ``matplotlib.pyplot`` (or raises ImportError naming the extra to install);
``png_bytes(figure)`` renders a figure to PNG bytes and closes it.
"""

from __future__ import annotations

import io
from typing import Any

INSTALL_HINT = "pip install 'glassnet[plots]'"


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend.

    Raises ImportError naming the ``glassnet[plots]`` extra when matplotlib is missing.
    """
    try:
        import matplotlib
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"glassnet.plots draws its figures with matplotlib, which is not installed. "
            f"Install it with: {INSTALL_HINT}"
        ) from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_bytes(figure: Any, dpi: int = 100) -> bytes:
    """Render ``figure`` to PNG bytes at ``dpi`` and close it (so figures do not pile up)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    pyplot().close(figure)
    return buffer.getvalue()
