"""glassnet.plots: pictures of a network and its training (a face over the core).

The network diagram is SVG written directly (no Graphviz); the figures are
``matplotlib.figure.Figure`` objects, matplotlib imported only when one is drawn (``pip install
'glassnet[plots]'``). glassnet never imports pyplot nor switches the backend, so a notebook's own
plots are untouched; a returned figure shows inline as a cell's value, or is saved with
``save_figure(figure, path)`` (which, unlike ``figure.savefig``, refuses a FIFO or a device).
The report functions write one self-contained HTML page. Image models get their own pictures
(``feature_maps_figure``, ``kernels_figure``, ``kernel_gradients_figure``) and report. Signs
have one colour convention everywhere: blue positive, orange negative, white zero
(``glassnet.plots.colors``).

>>> from glassnet.seed import seed_network
>>> svg = network_svg(seed_network())
>>> svg.startswith("<svg") and svg.count("<circle") == 8
True
"""

from glassnet.plots.demo import demo_report
from glassnet.plots.diagram import network_figure, network_svg, save_network_svg
from glassnet.plots.figures import (
    DecisionGrid,
    decision_boundary_figure,
    decision_grid,
    history_figure,
    save_figure,
)
from glassnet.plots.image_report import cnn_demo_report
from glassnet.plots.images import feature_maps_figure, kernel_gradients_figure, kernels_figure
from glassnet.plots.mistakes import confusion_matrix_figure, worst_predictions_figure
from glassnet.plots.recorder import WeightRecorder
from glassnet.plots.report import Section, training_report, write_report
from glassnet.plots.weights import (
    weight_heatmap_figure,
    weight_histograms_figure,
    weights_change_figure,
)

__all__ = [
    "DecisionGrid",
    "Section",
    "WeightRecorder",
    "cnn_demo_report",
    "confusion_matrix_figure",
    "decision_boundary_figure",
    "decision_grid",
    "demo_report",
    "feature_maps_figure",
    "history_figure",
    "kernel_gradients_figure",
    "kernels_figure",
    "network_figure",
    "network_svg",
    "save_figure",
    "save_network_svg",
    "training_report",
    "weight_heatmap_figure",
    "weight_histograms_figure",
    "weights_change_figure",
    "worst_predictions_figure",
    "write_report",
]
