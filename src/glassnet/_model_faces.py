"""A ``Sequential``'s doors to the modules beside the core, each imported only when called.

``ModelFaces`` (a base of ``Sequential``): ``save`` (glassnet.io), ``trace_step``
(glassnet.trace), ``explain`` (glassnet.explain, a face), ``to_torch`` / ``export_onnx``
(glassnet.export, PyTorch and ONNX). Training imports none of them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from numpy.typing import ArrayLike

from glassnet._validation import positive_int

if TYPE_CHECKING:
    from glassnet.model import Sequential


class ModelFaces:
    """``Sequential``'s methods that hand the model to glassnet.io, trace, explain, export."""

    # -- files (glassnet.io) -----------------------------------------------------------------
    def save(self: Sequential, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` (e.g. "model.glassnet"): architecture, weights, compile
        settings and optimizer state, as a ``.npz`` archive with a JSON header and a checksum.
        Atomic: a crash mid-save leaves an earlier file intact. Read it with
        ``glassnet.load_model(path)``."""
        from glassnet.io import save_model

        save_model(self, path)

    # -- seeing through (glassnet.trace, glassnet.explain) -----------------------------------
    def trace_step(
        self: Sequential,
        x: ArrayLike,
        y: ArrayLike,
        update: bool = False,
        sample_weight: ArrayLike | None = None,
    ) -> Any:
        """Record one training step on (x, y) as a ``glassnet.trace.Trace``: every a, z, delta,
        gradient and update, with its equation and shape. The model is left unchanged unless
        ``update=True`` (then the step stays, as ``train_on_batch`` would make it).
        ``sample_weight`` weighs the step's loss as in ``train_on_batch`` (the trace keeps w)."""
        from glassnet.trace import trace_step

        return trace_step(self, x, y, update=update, sample_weight=sample_weight)

    def explain(
        self: Sequential,
        x: ArrayLike,
        y: ArrayLike,
        level: str = "kid",
        format: str = "text",
        example: int | None = None,
        step: int = 0,
        channel: int | None = None,
        position: tuple[int, int] | None = None,
        sample_weight: ArrayLike | None = None,
        width: int | None = 100,
    ) -> str:
        """Narrate a training step on (x, y) in words (``glassnet.explain.narrate``).
        ``sample_weight`` (n,) weighs the examples' losses, and the narration shows it.
        ``width``: text and Markdown lines wrap at this many characters (None: one line per
        paragraph, for programs that parse the narration).

        ``step`` N first trains N full-batch steps on (x, y), then narrates the next one; the model
        keeps those N updates but not the narrated one. ``level`` is "kid", "student" or "expert";
        ``format`` "text", "md" or "html"; ``example`` a row of x to follow; for an image model,
        ``channel`` and ``position`` (y, x) the spot of the first Conv2D's output to follow.
        """
        from glassnet.explain import check_options, narrate  # a face: imported only when asked
        from glassnet.explain.common import check_row
        from glassnet.explain.images import check_model_focus

        step = positive_int(step, "step", minimum=0)
        if step:  # the options checked before any training step, so a refusal changes nothing
            check_options(level, format, width)
            check_row(example, len(self._data(x, y)[0]))  # and the model built for x
            check_model_focus(self, channel, position)
        for _ in range(step):
            self.train_on_batch(x, y, sample_weight=sample_weight)
        trace = self.trace_step(x, y, sample_weight=sample_weight)
        return narrate(
            trace, level, format, example, channel=channel, position=position, width=width
        )

    # -- export (glassnet.export) ------------------------------------------------------------
    def to_torch(self: Sequential, dtype: str | None = None) -> Any:
        """This network as a ``torch.nn.Sequential`` with the same weights and outputs (needs
        ``pip install 'glassnet[torch]'``); see ``glassnet.export.to_torch``."""
        from glassnet.export import to_torch

        return to_torch(self, dtype=dtype)

    def export_onnx(self: Sequential, path: Any, dtype: str = "float32") -> Any:
        """Write this network as an ONNX file that onnxruntime runs with the same outputs (needs
        ``pip install 'glassnet[onnx]'``); see ``glassnet.export.export_onnx``."""
        from glassnet.export import export_onnx

        return export_onnx(self, path, dtype=dtype)
