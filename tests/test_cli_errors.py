"""The command line's failures: each is one line on stderr, ``glassnet <command>: error: ...``,
with exit status 2, said before any work is done (issue 14, points 10 and 11, and their cousins).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli
from glassnet.cli import main
from helpers import assert_one_line, run_cli


def saved_model(path: Path, weight: float = 1.0, features: int = 1) -> Path:
    model = gn.Sequential([gn.Input(shape=(features,)), gn.layers.Dense(1)], seed=0)
    model.compile("sgd", "mse")
    model.set_weights([np.full((features, 1), weight), np.array([0.0])])
    model.save(path)
    return path


# -- point 10: errors of the engine a user can cause ---------------------------------------------
def test_a_diverging_training_run_is_one_line_and_exit_2(capsys) -> None:
    argv = ["train", "--data", "xor", "--optimizer", "sgd", "--lr", "1e30", "--verbose", "0"]
    code, _out, err = run_cli([*argv, "--epochs", "5"], capsys)
    assert code == 2
    assert_one_line(err, "train", "Training diverged at epoch ")
    assert "Try a smaller learning_rate" in err


def test_a_float32_overflow_in_predict_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    model = saved_model(tmp_path / "m.glassnet", weight=1e30)
    rows = tmp_path / "rows.csv"
    rows.write_text("1\n1e10\n")
    code, _out, err = run_cli(["predict", "--model", str(model), "--input", str(rows)], capsys)
    assert code == 2
    assert_one_line(err, "predict", "The network's output overflowed float32 (inf or NaN)")


def test_an_unexpected_exception_is_one_line_naming_itself_a_bug(monkeypatch, capsys) -> None:
    from glassnet.cli import seed as seed_command

    def broken(args):
        raise KeyError("cell")

    monkeypatch.setattr(seed_command, "run", broken)
    monkeypatch.delenv("GLASSNET_TRACEBACK", raising=False)
    code, _out, err = run_cli(["seed"], capsys)
    assert code == 2
    assert_one_line(err, "seed", "unexpected KeyError: 'cell' This is a bug in glassnet")
    monkeypatch.setenv("GLASSNET_TRACEBACK", "1")  # and the way to see the traceback
    with pytest.raises(KeyError):
        main(["seed"])


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys) -> None:
    from glassnet.cli import seed as seed_command

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(seed_command, "run", interrupted)
    code, _out, err = run_cli(["seed"], capsys)
    assert (code, err) == (130, "glassnet seed: interrupted.\n")


class ClosedPipe(io.StringIO):
    """A stdout whose reader has gone away, as ``| head`` leaves it."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_gone_away_stops_quietly_with_141(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    code = main(["seed", "--iterations", "2"])
    assert code == 141
    assert capsys.readouterr().err == ""  # no "[Errno 32] Broken pipe"


# -- point 11: flags checked before any work -----------------------------------------------------
TRAIN_XOR = ["train", "--data", "xor", "--verbose", "1", "--epochs", "2"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--layers", "16,,16"], "--layers expects positive unit counts separated by commas"),
        (["--layers", ","], "one number per hidden layer, none empty); got ','."),
        (["--layers", ""], "got ''."),
        (["--epochs", "0"], "argument --epochs: expected a whole number >= 1, got '0'."),
        (
            ["--batch-size", "100"],
            "--batch-size 100 is larger than the 4 training examples; use --batch-size 4",
        ),
        (["--batch-size", "0"], "argument --batch-size: expected a whole number >= 1, got '0'"),
        (
            ["--samples", "10"],
            "--samples applies to the generated data sets (moons, circles, spiral, blobs); xor "
            "has fixed rows. Drop --samples.",
        ),
        (["--noise", "0.1"], "--noise applies to the generated data sets"),
        (["--validation-split", "inf"], "--validation-split: expected a fraction from 0 up to"),
        (["--validation-split", "nan"], "(not including) 1, e.g. 0.2, got 'nan'."),
        (["--validation-split", "1"], "got '1'."),
        (
            ["--validation-split", "0.9"],
            "--validation-split 0.9 leaves 0 of the 4 examples for training and 4 to validate "
            "on; choose a split that leaves examples on both sides, or --validation-split 0.",
        ),
        (["--validation-split", "0.1", "--batch-size", "4"], "larger than the 3 training"),
        (["--seed", "-1"], "argument --seed: expected a whole number >= 0, got '-1'."),
        (["--lr", "inf"], "argument --lr: expected a finite number > 0, got 'inf'."),
        (["--l2", "nan"], "argument --l2: expected a finite number >= 0, got 'nan'."),
    ],
)
def test_train_refuses_bad_flags_before_any_work(capsys, flags, message) -> None:
    code, out, err = run_cli([*TRAIN_XOR, *flags], capsys)
    assert code == 2
    assert_one_line(err, "train", message)
    assert out == ""  # refused before the summary, before training


def test_train_refuses_flags_for_generated_sets_on_digits_and_csv(tmp_path, capsys) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,0\n2,1\n")
    for argv in (["--data", "digits"], ["--data", str(data)]):
        code, _out, err = run_cli(["train", *argv, "--samples", "50"], capsys)
        assert code == 2
        assert_one_line(err, "train", "--samples applies to the generated data sets")


def test_train_checks_the_report_folder_before_training(tmp_path, capsys) -> None:
    in_the_way = tmp_path / "report"
    in_the_way.write_text("my notes")
    code, out, err = run_cli([*TRAIN_XOR, "--report", str(in_the_way)], capsys)
    assert code == 2
    assert_one_line(err, "train", f"--report {in_the_way} is a file; expected a folder")
    assert out == "" and in_the_way.read_text() == "my notes"
    below = in_the_way / "sub"
    code, out, err = run_cli([*TRAIN_XOR, "--report", str(below)], capsys)
    assert_one_line(err, "train", f"needs {in_the_way} to be a folder")


def test_train_checks_matplotlib_for_the_report_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = run_cli([*TRAIN_XOR, "--report", str(tmp_path / "r")], capsys)
    assert code == 2 and out == ""
    assert_one_line(err, "train", "--report needs matplotlib, which is not installed: pip install")


def test_train_never_saves_over_its_own_data(tmp_path, capsys) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,0\n2,1\n3,0\n")
    link = tmp_path / "link.glassnet"
    link.symlink_to(data)
    for save in (data, link, tmp_path / "." / "d.csv"):
        code, out, err = run_cli(["train", "--data", str(data), "--save", str(save)], capsys)
        assert code == 2
        assert_one_line(err, "train", "is the same file as --data")
        assert out == ""
    assert data.read_text() == "a,b\n1,0\n2,1\n3,0\n"


def test_train_refuses_to_save_onto_a_fifo_before_training(tmp_path, capsys) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, out, err = run_cli([*TRAIN_XOR, "--save", str(fifo)], capsys)
    assert code == 2 and out == ""
    assert_one_line(err, "train", "is not a regular file (a FIFO, socket or device)")


def test_train_refuses_a_save_path_in_a_missing_folder(tmp_path, capsys) -> None:
    code, out, err = run_cli([*TRAIN_XOR, "--save", str(tmp_path / "no" / "m.glassnet")], capsys)
    assert code == 2 and out == ""
    assert_one_line(err, "train", "does not exist. Create it first, or choose another path.")


def test_predict_never_writes_over_the_model_or_the_input(tmp_path, capsys) -> None:
    model = saved_model(tmp_path / "m.glassnet")
    before = model.read_bytes()
    rows = tmp_path / "rows.csv"
    rows.write_text("1\n2\n")
    alias = tmp_path / "alias.glassnet"
    alias.symlink_to(model)
    command = ["predict", "--model", str(model), "--input", str(rows)]
    for output, flag in ((model, "--model"), (alias, "--model"), (rows, "--input")):
        code, _out, err = run_cli([*command, "--output", str(output)], capsys)
        assert code == 2
        assert_one_line(err, "predict", f"is the same file as {flag}")
    assert model.read_bytes() == before and rows.read_text() == "1\n2\n"
    gn.load_model(model)  # still a model


def test_explain_never_writes_over_the_model(tmp_path, capsys) -> None:
    model = saved_model(tmp_path / "m.glassnet", features=3)
    before = model.read_bytes()
    argv = ["explain", "--model", str(model), "--data", "xor", "--output", str(model)]
    code, _out, err = run_cli(argv, capsys)
    assert code == 2
    assert_one_line(err, "explain", f"--output {model} is the same file as --model")
    assert model.read_bytes() == before


def test_parity_data_without_model_is_refused_as_gradcheck_and_explain_do(capsys) -> None:
    for command in ("parity", "gradcheck", "explain"):
        code, out, err = run_cli([command, "--data", "moons"], capsys)
        assert code == 2 and out == ""
        assert_one_line(err, command, "--data goes with --model")


def test_parity_refuses_a_network_and_a_model_together(tmp_path, capsys) -> None:
    model = saved_model(tmp_path / "m.glassnet", features=3)
    argv = ["parity", "--network", "keras-cell", "--model", str(model), "--data", "xor"]
    code, _out, err = run_cli(argv, capsys)
    assert code == 2
    assert_one_line(err, "parity", "--network keras-cell and --model are two networks")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["parity", "--steps", "-3"], "argument --steps: expected a whole number >= 1"),
        (["parity", "--batch-size", "0"], "argument --batch-size: expected a whole number >= 1"),
        (["seed", "--seed", "-1"], "argument --seed: expected a whole number >= 0, got '-1'"),
        (["demo", "--seed", "-1"], "argument --seed: expected a whole number >= 0, got '-1'"),
        (["explain", "--example", "-1"], "argument --example: expected a whole number >= 0"),
        (
            ["train", "--data", "xor", "--seed", str(2**63)],
            "argument --seed: expected a seed from 0 to 2**63 - 1 (9223372036854775807), got",
        ),
        (["seed", "--seed", "1" * 50], "argument --seed: expected a seed from 0 to 2**63 - 1"),
    ],
)
def test_other_commands_type_their_numbers(capsys, argv, message) -> None:
    code, _out, err = run_cli(argv, capsys)
    assert code == 2
    assert_one_line(err, argv[0], message)


def test_seed_checks_history_out_before_training(tmp_path, capsys) -> None:
    missing = tmp_path / "no" / "h.json"
    argv = ["seed", "--cell", "keras", "--history-out", str(missing)]
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""  # the Keras cell did not run first
    assert_one_line(err, "seed", "--history-out")


def test_demo_checks_its_output_folder_before_running(tmp_path, capsys) -> None:
    in_the_way = tmp_path / "file"
    in_the_way.write_text("x")
    code, out, err = run_cli(["demo", "--output", str(in_the_way)], capsys)
    assert code == 2 and out == ""
    assert_one_line(err, "demo", "is a file; expected a folder to write into")


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["train", "--data", "xor", "--epochs", "1", "--save", ""], "--save"),
        (["train", "--data", "xor", "--epochs", "1", "--report", " "], "--report"),
        (["demo", "--output", ""], "--output"),
        (["explain", "--output", ""], "--output"),
        (["predict", "--model", "m.glassnet", "--input", "x.csv", "--output", ""], "--output"),
    ],
)
def test_an_empty_output_path_is_refused_not_ignored(argv, flag, tmp_path, monkeypatch, capsys):
    # before: --save "" (an unset shell variable) trained, saved nothing and exited 0; demo
    # --output "" wrote to the default folder, explain --output "" printed to the terminal
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert_one_line(err, argv[0], f"argument {flag}: expected a path, got ")
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere


def test_the_cli_module_documents_its_exit_statuses() -> None:
    assert "status 141" in cli.__doc__ and "status 2" in cli.__doc__
    assert (cli.EXIT_ERROR, cli.EXIT_BROKEN_PIPE, cli.EXIT_INTERRUPTED) == (2, 141, 130)


# -- point 12: targets beyond int64, and whole numbers that are not classes ------------------
def test_train_regresses_on_whole_numbers_too_many_to_be_classes(tmp_path, capsys) -> None:
    data = tmp_path / "prices.csv"
    rows = [f"{k},{1000 + 7 * k}" for k in range(60)]  # whole-number targets 1000 ... 1413
    data.write_text("size,price\n" + "\n".join(rows) + "\n")
    code, out, err = run_cli(["train", "--data", str(data), "--epochs", "1"], capsys)
    assert code == 0, err
    assert "dense_2 (Dense)" in out and "(None, 1)" in out  # one linear output, not 1414 classes
    assert "accuracy" not in out.split("Trained")[1]


def test_train_refuses_a_target_of_1e20_as_a_class_label(tmp_path, capsys) -> None:
    data = tmp_path / "big.csv"
    data.write_text("a,y\n1,1e20\n2,3\n3,5\n")
    argv = ["train", "--data", str(data), "--loss", "sparse_categorical_crossentropy"]
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert_one_line(
        err,
        "train",
        "--loss sparse_categorical_crossentropy needs class labels 0, 1, ... (at most 1000 "
        "classes) in the target column; found values from 3 to 1e+20 (first ones: 1e+20, 3, 5).",
    )


# -- cousins: other routes to a traceback, a hang or a broken line ----------------------------
def test_a_memory_error_is_one_line(monkeypatch, capsys) -> None:
    from glassnet.cli import seed as seed_command

    def too_big(args):
        raise MemoryError("Unable to allocate 14.9 GiB for an array with shape (2, 1000000000)")

    monkeypatch.setattr(seed_command, "run", too_big)
    code, _, err = run_cli(["seed"], capsys)
    assert code == 2
    assert_one_line(
        err,
        "seed",
        "out of memory: Unable to allocate 14.9 GiB for an array with shape (2, 1000000000). "
        "Use fewer examples, fewer units or fewer layers.",
    )


def test_a_fifo_as_data_is_refused_without_waiting_for_a_writer(tmp_path, capsys) -> None:
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    code, out, err = run_cli(["train", "--data", str(fifo)], capsys)  # used to wait for ever
    assert code == 2 and out == ""
    assert_one_line(err, "train", f"{fifo} is not a regular file (a FIFO, socket or device)")
    with pytest.raises(ValueError, match="Save the data to a file first"):
        gn.datasets.load_csv(fifo)


def test_a_csv_too_big_to_read_is_refused_with_its_size(tmp_path, monkeypatch) -> None:
    from glassnet import initializers

    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "1,0\n" * 1000)
    monkeypatch.setattr(initializers, "MAX_ALLOCATION_BYTES", 10_000)
    with pytest.raises(ValueError, match=rf"^reading {path} \(4,004 bytes\) would take about"):
        gn.datasets.load_csv(path)


def test_control_characters_in_a_message_stay_on_one_line(tmp_path, capsys) -> None:
    path = tmp_path / "evil\n\x1b[2Jname.csv"
    path.write_text("a,b\n1,0\nx,1\n")
    code, _, err = run_cli(["train", "--data", str(path)], capsys)
    assert code == 2
    # the path is shown as repr writes it (quoted, its newline and escape written out)
    assert_one_line(err, "train", "evil\\n\\x1b[2Jname.csv', line 3, column 'a': 'x' is not")
    assert "\x1b" not in err


def test_gradcheck_samples_without_model_is_refused_not_ignored(capsys) -> None:
    code, out, err = run_cli(["gradcheck", "--samples", "3"], capsys)
    assert code == 2 and out == ""
    assert_one_line(err, "gradcheck", "--samples goes with --model (a saved model to check)")


def test_binary_crossentropy_takes_soft_targets_and_refuses_other_numbers(tmp_path, capsys):
    soft = tmp_path / "soft.csv"
    soft.write_text("a,p\n" + "\n".join(f"{k},{k / 10}" for k in range(11)) + "\n")
    argv = ["train", "--data", str(soft), "--loss", "binary_crossentropy", "--epochs", "1"]
    code, _, err = run_cli([*argv, "--verbose", "0"], capsys)
    assert code == 0, err
    wide = tmp_path / "wide.csv"
    wide.write_text("a,y\n1,0\n2,1\n3,2\n")
    argv[2] = str(wide)
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert_one_line(
        err, "train", "--loss binary_crossentropy needs class labels 0 and 1 in the target column"
    )


def test_predict_says_the_width_is_wrong_before_reading_any_cell(tmp_path, capsys) -> None:
    model = saved_model(tmp_path / "m.glassnet", features=2)
    rows = tmp_path / "wide.csv"
    rows.write_text("1,2,3,4,5\n6,7,8,nine,10\n")  # the width is the mistake, not "nine"
    code, out, err = run_cli(["predict", "--model", str(model), "--input", str(rows)], capsys)
    assert code == 2 and out == ""
    assert_one_line(err, "predict", "has 5 columns, but the model takes 2 inputs. Give 2 feature")
