"""``glassnet demo``: what ``make demo`` runs. Reruns both seed cells (printing what ``glassnet
seed`` and ``glassnet seed --cell keras`` print), then writes the report, one offline page
(``glassnet-report/index.html``), and prints its path and a one-line summary. ``glassnet demo
--cnn`` trains a small CNN on the 8x8 digits instead (a few seconds) and writes its report
(``glassnet-cnn-report/index.html``): the network as blocks, the curves, the confusion matrix, the
test images it gets most wrong, the feature maps of one example and the kernels before and after
training. Needs matplotlib: ``pip install 'glassnet[plots]'``.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from glassnet import explain as explain_module
from glassnet import seed as seed_module
from glassnet.cli import seed as seed_command
from glassnet.cli._args import check_output_folder, cli_path, cli_seed


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``glassnet demo``."""
    demo = commands.add_parser(
        "demo",
        help="rerun the seed notebook's cells and write an HTML report of them",
        description=__doc__,
    )
    demo.add_argument(
        "--output",
        default=None,
        type=cli_path,
        metavar="DIR",
        help="the folder the report is written to, as DIR/index.html (default: glassnet-report, "
        "or glassnet-cnn-report with --cnn)",
    )
    demo.add_argument(
        "--cnn",
        action="store_true",
        help="train a small CNN on the 8x8 digits and write its report instead (default: off)",
    )
    demo.add_argument("--open", action="store_true", help="open the report in a web browser")
    demo.add_argument(
        "--level",
        choices=explain_module.LEVELS,
        default=None,
        help="the level of the narration of step 0 (default: kid)",
    )
    demo.add_argument(
        "--seed",
        type=cli_seed,
        default=seed_module.KERAS_CELL_SEED,
        help="random seed of the keras cell's initial weights and shuffling (with --cnn: of "
        "the CNN's weights, its train/test split and shuffling; default: 0)",
    )
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from glassnet._outputs import check_output_target
    from glassnet.plots.demo import demo_report, run_seed_cells, summary_line  # no matplotlib yet
    from glassnet.plots.report import prepare_report_folder

    if args.cnn and args.level is not None:
        raise ValueError(
            "--level sets the level of the seed report's narration; the --cnn report has no "
            "narration. Drop --level, or drop --cnn."
        )
    args.output = args.output or ("glassnet-cnn-report" if args.cnn else "glassnet-report")
    check_output_folder("--output", args.output)  # before any work
    if importlib.util.find_spec("matplotlib") is None:
        raise ImportError(
            "glassnet demo draws its report with matplotlib, which is not installed: "
            "pip install 'glassnet[plots]'"
        )
    output = prepare_report_folder(args.output)  # the folder and its index.html, checked
    if args.cnn:
        return _run_cnn(args, output)
    history_out = output / "seed_keras_history.json"
    check_output_target(history_out, "the --output history file", "history.json")
    runs = run_seed_cells(keras_seed=args.seed)  # both cells, run once: printed, then drawn
    seed_command.print_numpy_cell(runs.numpy, runs.iterations)
    print()
    seed_command.print_keras_cell(runs.keras, runs.iterations, args.seed, history_out, "--output")
    print()
    path = demo_report(output, runs=runs, level=args.level or "kid")
    print(f"report written to {path}")
    print(summary_line(runs))
    _open(args, path)
    return 0


def _run_cnn(args: argparse.Namespace, output: Path) -> int:
    """``glassnet demo --cnn``: train the small CNN, write its report, say where and how well."""
    from glassnet.plots.image_report import cnn_demo_report, train_demo_cnn

    run = train_demo_cnn(seed=args.seed)
    path = cnn_demo_report(output, run=run)
    print(f"report written to {path}")
    print(run.summary_line())
    _open(args, path)
    return 0


def _open(args: argparse.Namespace, path: Path) -> None:
    if args.open:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
