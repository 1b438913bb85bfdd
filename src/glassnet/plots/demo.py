"""The demo report: the seed notebook's two cells rerun, drawn and told on one offline page.

``run_seed_cells()`` reruns both cells (``glassnet.seed.numpy_cell`` and ``keras_cell``) and keeps
what the page needs beside their results: the NumPy cell's loss and accuracy at every iteration
and both networks' weights before training. ``demo_report(directory)`` writes
``directory/index.html``: the network diagram (the picture the notebook promised and lost), the
seed's numbers beside the notebook's, the narration of step 0, the curves of both cells, the
decision surface of the XOR net over the unit square and the weights before and after.

>>> runs = run_seed_cells(iterations=10)
>>> len(runs.numpy_history["loss"]), runs.numpy.model.count_params(), runs.keras_seed
(10, 16, 0)
>>> [row.matches for row in notebook_rows(run_seed_cells())]
[True, True, True]
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np

from glassnet import seed as seed_module
from glassnet.plots.report import (
    Section,
    demoted_headings,
    figure_html,
    pre_html,
    prepare_report_folder,
    svg_html,
    svg_row,
    values_attribute,
    write_report,
)

#: What the notebook printed (3 decimals), by the name glassnet gives each result.
NOTEBOOK_PRINTED = {
    "initial_output": "[ 0.758  0.771  0.791  0.801]",
    "last_output": "[ 0.028  0.925  0.925  0.090]",
    "prediction": "[ 0.925]",
}
#: The Keras cell's predictions in the notebook: they depend on its random start, so only which
#: side of 0.5 each falls on is expected to match.
NOTEBOOK_KERAS_PREDICTIONS = "[ 0.038  0.946  0.946  0.054]"

SECTION_TITLES = (
    "The network",
    "The seed's numbers",
    "Step 0, narrated",
    "Training curves",
    "Decision surface",
    "Weights before and after",
)


@dataclass
class SeedRuns:
    """Both seed cells, rerun, with what the report draws beside their printed results."""

    numpy: seed_module.NumpyCellResult
    keras: seed_module.KerasCellResult
    iterations: int = seed_module.ITERATIONS
    keras_seed: int = seed_module.KERAS_CELL_SEED

    @property
    def numpy_history(self) -> dict[str, list[float]]:
        """ "loss" (the half sum) and "accuracy", per iteration of the NumPy cell."""
        return self.numpy.history

    @property
    def numpy_weights_before(self) -> list[np.ndarray]:
        return self.numpy.weights_before


def run_seed_cells(
    iterations: int = seed_module.ITERATIONS, keras_seed: int = seed_module.KERAS_CELL_SEED
) -> SeedRuns:
    """Rerun both cells: their printed results, the NumPy cell's per-iteration loss and
    accuracy (measured in each forward pass, before the update), and both starting weights."""
    return SeedRuns(
        seed_module.numpy_cell(iterations),
        seed_module.keras_cell(seed=keras_seed, epochs=iterations),
        iterations,
        keras_seed,
    )


@dataclass
class NumberRow:
    """One line of the comparison table: what the notebook printed, what glassnet computed."""

    name: str  # "initial_output"
    label: str
    notebook: str
    values: np.ndarray

    @property
    def printed(self) -> str:
        return seed_module.format_outputs(self.values)

    @property
    def matches(self) -> bool:
        return self.printed == self.notebook


def notebook_rows(runs: SeedRuns) -> list[NumberRow]:
    """The NumPy cell's three printed results, glassnet's beside the notebook's."""
    labels = {
        "initial_output": "Initial output (before training)",
        "last_output": f"Output at iteration {runs.iterations}",
        "prediction": "Prediction for [1, 0, 1]",
    }
    return [
        NumberRow(name, labels[name], NOTEBOOK_PRINTED[name], getattr(runs.numpy, name))
        for name in NOTEBOOK_PRINTED
    ]


def summary_line(runs: SeedRuns) -> str:
    """The one line ``glassnet demo`` prints about the runs."""
    rows = notebook_rows(runs)
    matched = sum(row.matches for row in rows)
    accuracy = runs.keras.history.history["accuracy"][-1]
    comparison = "match the notebook" if runs.iterations == seed_module.ITERATIONS else "printed"
    learnt = "learnt XOR" if runs.keras.learnt else "did not learn XOR"
    return (
        f"NumPy cell: {matched}/{len(rows)} printed results {comparison}; Keras cell "
        f"({runs.keras.model.count_params()} parameters): {learnt}, final accuracy "
        f"{accuracy:.2f}"
    )


def _numbers_html(runs: SeedRuns) -> str:
    rows = []
    exact = runs.iterations == seed_module.ITERATIONS
    for row in notebook_rows(runs):
        verdict = (
            "<span class='match'>same</span>"
            if row.matches
            else "<span class='differ'>differs</span>"
        )
        rows.append(
            f"<tr id='{row.name}'><td>{escape(row.label)}</td>"
            f"<td class='number notebook'>{escape(row.notebook)}</td>"
            f"<td class='number glassnet' {values_attribute(row.values)}>"
            f"{escape(row.printed)}</td><td>{verdict if exact else 'n/a'}</td></tr>"
        )
    side = "same sides" if runs.keras.learnt else "<span class='differ'>differ</span>"
    keras_row = (
        f"<tr id='keras_predictions'><td>Keras cell: predictions for the 4 examples</td>"
        f"<td class='number notebook'>{NOTEBOOK_KERAS_PREDICTIONS}</td>"
        f"<td class='number glassnet' {values_attribute(runs.keras.predictions)}>"
        f"{escape(seed_module.format_outputs(runs.keras.predictions))}</td>"
        f"<td>{side} of 0.5</td></tr>"
    )
    params = runs.keras.model.count_params()
    params_row = (
        f"<tr id='keras_parameters'><td>Keras cell: parameters</td><td class='number'>33</td>"
        f"<td class='number glassnet' data-values='{params}'>{params}</td>"
        f"<td>{'same' if params == 33 else 'differs'}</td></tr>"
    )
    table = (
        "<table class='numbers'><tr><th>result</th><th>the notebook printed</th>"
        "<th>glassnet computes</th><th></th></tr>"
        + "".join(rows)
        + keras_row
        + params_row
        + "</table>"
    )
    note = (
        "<p class='note'>The NumPy cell starts from the notebook's own draws "
        "(<code>np.random.seed(1)</code>), so its numbers must come out the same to the last "
        "printed digit. The Keras cell starts from random weights (glassnet's seed "
        f"{runs.keras_seed}), so only the side of 0.5 of each prediction can be compared. "
        "Each glassnet number is also in the page at full precision "
        "(<code>data-values</code>).</p>"
    )
    return (
        table
        + note
        + "<details><summary>The Keras cell's <code>model.summary()</code></summary>"
        + pre_html(runs.keras.summary)
        + "</details>"
    )


def _narration_html(level: str) -> str:
    from glassnet.explain import narrate

    trace = seed_module.seed_network().trace_step(seed_module.XOR_X, seed_module.XOR_Y)
    fragment = narrate(trace, level=level, format="html", standalone=False)
    intro = (
        "<p class='note'>The first training step of the NumPy cell, told by "
        f"<code>glassnet explain --level {escape(level)}</code> with the numbers of that very "
        "step.</p>"
    )
    # the narration is a page of its own (title h1, parts h2): under the section's h2 it is h3, h4
    return intro + f"<div class='narration'>{demoted_headings(fragment)}</div>"


def _curves_html(runs: SeedRuns) -> str:
    from glassnet.plots.figures import history_figure

    numpy_figure = history_figure(
        runs.numpy_history,
        log_scale=["loss"],
        title="NumPy cell: full batch, SGD(1.0), half sum of squares",
        xlabel="iteration",
    )
    keras_figure = history_figure(
        runs.keras.history,
        title="Keras cell: batch size 1, SGD(1.0), mse",
    )
    return figure_html(  # 8.4 and 12.6 inches: both about the card's width (1072 px at most)
        numpy_figure, "NumPy cell: the loss (log scale) and the share of outputs right", dpi=125
    ) + figure_html(
        keras_figure,
        "Keras cell: loss, accuracy and mse per epoch (what the notebook plots)",
        dpi=84,
    )


def _surface_html(runs: SeedRuns) -> str:
    from glassnet.plots.figures import decision_boundary_figure

    unit_square = ((-0.1, 1.1), (-0.1, 1.1))  # a margin, so that the corner points show
    figures = [
        decision_boundary_figure(
            model,
            seed_module.XOR_X,
            seed_module.XOR_Y,
            resolution=121,
            bounds=unit_square,
            fixed=(1.0,),
            title=title,
        )
        for model, title in (
            (runs.numpy.model, "NumPy cell after training"),
            (runs.keras.model, "Keras cell after training"),
        )
    ]
    note = (
        "<p class='note'>Each network's output a over the unit square of (x0, x1), the third "
        "input held at 1 as in every training example; the black line is a = 0.5. XOR's four "
        "points sit at the corners.</p>"
    )
    row = "".join(figure_html(f, dpi=100) for f in figures)  # two of 5 inches: half a card each
    return note + "<div class='row'>" + row + "</div>"


def _weights_html(runs: SeedRuns) -> str:
    from glassnet.plots.diagram import network_svg
    from glassnet.plots.weights import weights_change_figure

    return (
        figure_html(
            weights_change_figure(runs.numpy.model, runs.numpy_weights_before, "NumPy cell"),
            "NumPy cell: W1 (3x4) and W2 (4x1) before and after, one colour scale per layer",
            dpi=130,  # 8 inches: about the card's width
        )
        + svg_html(
            network_svg(runs.numpy.model, title="The NumPy cell's network after training"),
            "After training: thicker edges are larger weights",
        )
        + figure_html(
            weights_change_figure(runs.keras.model, runs.keras.weights_before, "Keras cell"),
            "Keras cell: W1, W2 and W3, each with its bias (b1, b2, b3) as the last row, before "
            "and after",
            dpi=130,
        )
    )


def _network_html(runs: SeedRuns) -> str:
    from glassnet.plots.diagram import network_svg

    seed_model = seed_module.seed_network()
    note = (
        "<p class='note'>The notebook opens with \"The below is the neural net we want to "
        'model", and its picture is missing. Here it is, with the weights it starts from: '
        "inputs x0, x1 and the constant x2 = 1 (which plays the bias), 4 hidden units, 1 output, "
        "sigmoid (&#963;) everywhere. Blue edges are positive weights, orange negative, thicker "
        "larger.</p>"
    )
    keras_model = seed_module.keras_network(runs.keras_seed)
    return note + svg_row(
        [
            (
                network_svg(seed_model, title="The seed network before training"),
                "The NumPy cell: 3-4-1, no biases, 16 weights",
            ),
            (
                network_svg(keras_model, title="The Keras cell before training"),
                "The Keras cell: 3-3-4-1 with biases (the +1 squares), 33 parameters",
            ),
        ]
    )


def demo_sections(runs: SeedRuns, level: str = "kid") -> list[Section]:
    """The page's sections, in order (titles: ``SECTION_TITLES``)."""
    bodies = (
        _network_html(runs),
        _numbers_html(runs),
        _narration_html(level),
        _curves_html(runs),
        _surface_html(runs),
        _weights_html(runs),
    )
    return [Section(title, body) for title, body in zip(SECTION_TITLES, bodies, strict=True)]


def demo_report(
    directory: str | Path = "glassnet-report",
    runs: SeedRuns | None = None,
    level: str = "kid",
) -> Path:
    """Write the seed's report to ``directory/index.html`` and return its path.

    ``runs``: the result of ``run_seed_cells()`` (rerun here when None); ``level``: the
    narration's level ("kid", "student" or "expert").
    """
    prepare_report_folder(directory)  # before the two cells run
    runs = run_seed_cells() if runs is None else runs
    return write_report(
        directory,
        "glassnet: the seed notebook, rerun",
        demo_sections(runs, level),
        summary_line(runs),
    )
