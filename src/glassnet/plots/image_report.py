"""The training report of an image model (a CNN), and ``glassnet demo --cnn``'s small CNN.

``image_sections(model, history, x, y, weights_before)`` gives the page's sections: the network as
blocks with their shapes, the numbers, the curves, the confusion matrix and the examples the net
gets most wrong (on (x, y), ideally held-out examples), the feature maps of one example, the
kernels before and after training, and one training step's kernel gradients.
``training_report`` calls it for any model whose input is an image. ``cnn_demo_report(folder)``
trains a small CNN on the 8x8 digits (a few seconds) and writes its report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from glassnet.callbacks import History
from glassnet.plots.report import (
    Section,
    figure_html,
    final_numbers_html,
    pre_html,
    prepare_report_folder,
    svg_html,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

#: the sections of an image model's report, in order (the last four need x and y)
SECTION_TITLES = (
    "Network",
    "Numbers",
    "Training curves",
    "Confusion matrix",
    "Most wrong",
    "Feature maps",
    "Kernels",
    "Kernel gradients",
)
GRADIENT_BATCH = 32  # examples in the training step whose kernel gradients are drawn
SIGNS = "Blue is positive, orange negative, white zero (each picture's colorbar gives the scale)."


def _note(text: str) -> str:
    return f"<p class='note'>{text}</p>"


def image_sections(
    model: Sequential,
    history: History | Mapping[str, Sequence[float]],
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    weights_before: Sequence[ArrayLike] | None = None,
    log_scale: bool | Sequence[str] = False,
) -> list[Section]:
    """The sections of an image model's report (titles from ``SECTION_TITLES``): the ones that
    judge the model need (x, y), the kernels need a Conv2D layer."""
    from glassnet.plots.diagram import network_svg
    from glassnet.plots.figures import history_figure
    from glassnet.plots.images import (
        feature_maps_figure,
        kernel_gradients_figure,
        kernels_figure,
        map_layers,
    )
    from glassnet.plots.mistakes import (
        confusion_matrix_figure,
        is_classifier,
        worst_predictions_figure,
    )

    has_conv = any(layer.kind == "Conv2D" for layer in model.layers)
    sections = [
        Section(
            "Network",
            _note(
                "Each box is what one layer hands on for one example: height x width x "
                "channels. The bands between boxes carry the layer's weights."
            )
            + svg_html(network_svg(model)),
        ),
        Section("Numbers", final_numbers_html(history) + pre_html(model.summary_text())),
        Section(
            "Training curves",
            figure_html(history_figure(history, log_scale=log_scale), alt="training curves"),
        ),
    ]
    x = None if x is None else np.asarray(x)
    if x is not None and y is not None and is_classifier(model):
        sections += [
            Section(
                "Confusion matrix",
                _note(
                    f"On the {len(x)} examples given to the report (not trained on, when "
                    "they are the held-out part). Row: the true class; column: the net's "
                    "answer; the diagonal is right."
                )
                + figure_html(confusion_matrix_figure(model, x, y), alt="confusion matrix"),
            ),
            Section(
                "Most wrong",
                _note(
                    "The mistakes the net was surest of: each image as given, its true "
                    "class, and in purple the class the net said with the probability it "
                    "gave it."
                )
                + figure_html(worst_predictions_figure(model, x, y), alt="most wrong examples"),
            ),
        ]
    if x is not None and map_layers(model):
        figure = feature_maps_figure(model, x[0])
        note = _note(
            "What each layer sees in example #0: every channel of every convolution and "
            f"pooling layer as a small picture. {SIGNS}"
        )
        sections.append(
            Section("Feature maps", note + figure_html(figure, alt="feature maps of example 0"))
        )
    if has_conv:
        before = (
            "before training (above) and after (below), on one scale"
            if weights_before is not None
            else "after training"
        )
        sections.append(
            Section(
                "Kernels",
                _note(
                    f"Each filter's kernel, {before}: one column a filter, one row an input "
                    f"channel. {SIGNS}"
                )
                + figure_html(kernels_figure(model, before=weights_before), alt="kernels"),
            )
        )
    if has_conv and x is not None and y is not None and model.optimizer is not None:
        batch = min(GRADIENT_BATCH, len(x))
        figure = kernel_gradients_figure(model, x[:batch], np.asarray(y)[:batch])
        sections.append(
            Section(
                "Kernel gradients",
                _note(
                    f"One more training step on examples 0 to {batch - 1}, not applied: "
                    "each kernel K above the blame dC/dK its entries get. The optimizer "
                    "moves K against dC/dK, so a blue (positive) gradient cell makes that "
                    "kernel entry smaller."
                )
                + figure_html(figure, alt="kernel gradients"),
            )
        )
    return sections


@dataclass
class CnnRun:
    """The demo CNN, trained: its model, history, weights before training and its test set."""

    model: Any
    history: History
    weights_before: list[np.ndarray]
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def test_accuracy(self) -> float:
        return float(self.model.evaluate(self.x_test, self.y_test, return_dict=True)["accuracy"])

    def summary_line(self) -> str:
        accuracy = self.test_accuracy
        right = round(accuracy * len(self.x_test))
        return (
            f"CNN on the 8x8 digits ({self.model.count_params()} parameters, "
            f"{len(self.history.epoch)} epochs): test accuracy {accuracy:.3f} "
            f"({right} of {len(self.x_test)} right)"
        )


def train_demo_cnn(seed: int = 0, epochs: int = 15) -> CnnRun:
    """Rescaling(1/16) -> Conv2D(8, 3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(10,
    softmax) on the 8x8 digits, trained on 80% of them (Adam(0.01), batches of 32); the other
    20% (stratified, seeded) is its test set."""
    import glassnet as gn
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D, Rescaling

    images, labels = gn.datasets.digits(images=True)  # (1797, 8, 8, 1), pixels 0..16
    x_train, x_test, y_train, y_test = gn.datasets.train_test_split(
        images, labels, test_size=0.2, seed=seed, stratify=True
    )
    model = gn.Sequential(
        [
            gn.Input(shape=(8, 8, 1)),
            Rescaling(1 / 16),  # pixels 0..16 -> 0..1
            Conv2D(8, 3, activation="relu"),  # (6, 6, 8)
            MaxPooling2D(2),  # (3, 3, 8)
            Flatten(),  # (72,)
            Dense(10, activation="softmax"),
        ],
        seed=seed,
        name="digits_cnn",
    )
    model.compile(gn.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=32, validation_data=(x_test, y_test), verbose=0
    )
    return CnnRun(model, history, before, x_test, y_test)


def cnn_demo_report(
    directory: str | Path = "glassnet-cnn-report", run: CnnRun | None = None, seed: int = 0
) -> Path:
    """Train the demo CNN (unless ``run`` is given) and write its report to
    ``directory/index.html``; returns the path."""
    from glassnet.plots.report import training_report

    prepare_report_folder(directory)  # before training
    run = train_demo_cnn(seed) if run is None else run
    return training_report(
        directory,
        run.model,
        run.history,
        run.x_test,
        run.y_test,
        weights_before=run.weights_before,
        title="glassnet: a small CNN on the 8x8 digits",
    )
