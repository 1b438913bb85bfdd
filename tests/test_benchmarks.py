"""The benchmark runs end to end on tiny sizes, so it cannot rot. No timing is asserted here:
benchmarks are not tests (``make bench`` gives the numbers)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glassnet.seed import seed_network

ROOT = Path(__file__).resolve().parent.parent
CASES = (
    "seed_fit_float64",
    "seed_fit_float32",
    "seed_train_on_batch_float64",
    "mlp_batch128",
    "mlp_batch32",
    "cnn_batch64",
    "cnn_batch128",
    "wide_batch128",
    "predict",
)
#: the cases with a hand-written NumPy loop beside glassnet and PyTorch, at both thread counts
HAND_CASES = (
    "seed_fit_float64",
    "seed_fit_float32",
    "seed_train_on_batch_float64",
    "mlp_batch128",
    "mlp_batch32",
    "cnn_batch64",
    "cnn_batch128",
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    output = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        # three rounds, so that a round's own ratio and the ratio of the medians can differ
        [
            *(sys.executable, "-m", "benchmarks", "--quick", "--threads", "2", "--repeats", "3"),
            *("--output", str(output)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # two thread counts; minutes on a busy 2-core machine
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "targets:" in done.stdout
    return json.loads(output.read_text())


def test_every_case_has_positive_times_and_ratios(results: dict) -> None:
    assert set(CASES) <= set(results["cases"])
    for name in CASES:
        case = results["cases"][name]
        for key in ("glassnet_s", "torch_s", "ratio", "cpu_ratio"):
            assert case[key] > 0, (name, key)
        # the median of each round's own ratio; the ratio of the medians kept beside it
        rounds = zip(case["glassnet_runs_s"], case["torch_runs_s"], strict=True)
        assert case["ratio"] == pytest.approx(statistics.median(g / t for g, t in rounds))
        assert case["ratio_of_medians"] == pytest.approx(case["glassnet_s"] / case["torch_s"])
    for name in ("mlp_batch128", "mlp_batch32", "wide_batch128", "predict"):
        assert results["cases"][name]["glassnet_gflops"] > 0
        assert results["cases"][name]["torch_gflops"] > 0


def test_ratios_pair_each_round_so_a_slow_spell_cannot_fall_on_one_side() -> None:
    """Both sides 12 ms in a fast round, 20 ms in a slow one: the same speed. The medians of
    five rounds land in different spells (20 / 12 = 1.67x); each round's own ratio says 1.0x."""
    from benchmarks.run import paired_ratio

    glassnet = [0.020, 0.020, 0.020, 0.012, 0.012]
    hand = [0.020, 0.012, 0.012, 0.012, 0.012]  # the second and third rounds: states apart
    assert statistics.median(glassnet) / statistics.median(hand) == pytest.approx(20 / 12)
    assert paired_ratio(glassnet, hand) == 1.0
    assert paired_ratio([0.03, 0.01, 0.02], [0.01, 0.01, 0.01]) == 2.0  # the middle ratio
    with pytest.raises(ValueError):  # rounds unpaired: a bug in the caller, not a ratio
        paired_ratio([0.01, 0.02], [0.01])


def test_hand_loops_and_one_thread_pass(results: dict) -> None:
    """Every target case has its hand-loop time and both ratios, at 2 threads and at 1."""
    assert set(results["cases_one_thread"]) == set(HAND_CASES)
    for entry in ("cases", "cases_one_thread"):
        for name in HAND_CASES:
            case = results[entry][name]
            assert case["hand_s"] > 0 and case["ratio"] > 0, (entry, name)
            rounds = zip(case["glassnet_runs_s"], case["hand_runs_s"], strict=True)
            assert case["hand_ratio"] == pytest.approx(statistics.median(g / h for g, h in rounds))
            assert case["hand_ratio_of_medians"] == pytest.approx(
                case["glassnet_s"] / case["hand_s"]
            )
    names = [target["name"] for target in results["targets"]]
    # per thread count: 7 cases against PyTorch, 6 against the hand loop
    assert sum(", 2 threads:" in name for name in names) == 13
    assert sum(", 1 thread:" in name for name in names) == 13
    assert "CNN epoch batch 64, 1 thread: <= 0.80x PyTorch" in names
    assert "CNN epoch batch 64, 2 threads: <= 1.00x PyTorch" in names
    assert "seed toy fit float64, 2 threads: <= 1.50x hand loop" in names
    assert "MLP epoch batch 32, 1 thread: <= 1.10x hand loop" in names


def test_matmul_import_memory_and_trace_numbers(results: dict) -> None:
    assert results["matmul"]["numpy_gflops"] > 0 and results["matmul"]["torch_gflops"] > 0
    assert results["import_ms"] > 0
    assert results["trace_off"]["fit_s"] > 0 and results["trace_off"]["bare_engine_s"] > 0
    for library in ("glassnet", "torch", "glassnet_cnn", "torch_cnn"):
        memory = results["memory"][library]
        assert memory["peak_mib"] >= memory["baseline_mib"] > 0
        assert memory["data_mib"] > 0
    assert results["machine"]["threads"] == 2
    # --openblas-core auto: on Zen 4 the benchmark's NumPy really runs OpenBLAS's AVX2 kernels
    from benchmarks import blas

    core = results["machine"]["openblas_core"]
    assert core and not core.startswith("unknown"), core
    if blas.is_zen4(blas.read_cpuinfo()) and blas.VARIABLE not in os.environ:
        assert core == "Haswell", core
    names = [target["name"] for target in results["targets"]]
    # 26 speed targets, the matmul share, two memory targets, import time, trace off
    assert len(names) == 31 and all(isinstance(t["met"], bool) for t in results["targets"])
    assert "CNN training memory <= data + 30 MiB (MiB over the data)" in names


ZEN4 = (
    "vendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nflags\t\t: fpu avx2 avx512f fma\n"
)
ZEN3 = ZEN4.replace(" avx512f", "").replace(": 17", ": 1")
ZEN5 = ZEN4.replace(": 25", ": 26")
INTEL = ZEN4.replace("AuthenticAMD", "GenuineIntel").replace(": 25", ": 6")


def test_openblas_core_choice() -> None:
    """auto picks the AVX2 kernels on Zen 4 only, never over the user's own OPENBLAS_CORETYPE."""
    from benchmarks.blas import choose_core, is_zen4

    assert is_zen4(ZEN4)
    assert not any(is_zen4(info) for info in (ZEN3, ZEN5, INTEL, ""))
    assert choose_core("auto", {}, ZEN4) == "Haswell"
    assert choose_core("auto", {"OPENBLAS_CORETYPE": "SkylakeX"}, ZEN4) is None
    assert choose_core("auto", {}, INTEL) is None and choose_core("auto", {}, ZEN5) is None
    assert choose_core("default", {}, ZEN4) is None
    assert choose_core("Haswell", {}, INTEL) == "Haswell"


def test_the_benchmark_trains_what_it_says() -> None:
    """The glassnet side is the real fit: one epoch lowers the loss of a learnable problem."""
    from benchmarks import cases

    x, _ = cases.synthetic_data(512)
    y = (x[:, :10].argmax(axis=1)).astype(np.int64)  # a rule the MLP can learn
    model = cases.glassnet_mlp(cases.MLP)
    before = model.evaluate(x, y)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert model.evaluate(x, y) < before
    assert cases.training_flops((2,), 1) == 4 * 784 * 2  # no input gradient for the first layer
    assert cases.training_flops((3, 2), 1) == 4 * 784 * 3 + 6 * 3 * 2


def test_the_seed_workloads_reproduce_the_notebook() -> None:
    """The benchmark's seed toy is the notebook's: the same prediction after 1000 steps."""
    from benchmarks import cases

    for dtype in ("float64", "float32"):
        model = seed_network(dtype)  # what cases' seed workloads train
        model.fit(*cases.seed_data(dtype), epochs=1000, batch_size=4, shuffle=False, verbose=0)
        assert model.predict(np.array([[1, 0, 1]])).item() == pytest.approx(0.925, abs=1e-3)


def test_profile_books_every_phase_of_a_step() -> None:
    """benchmarks.profile times each phase of glassnet's step (and puts every method back)."""
    from benchmarks import cases, profile

    from glassnet import activations, model

    before = (model.Sequential._train_step, activations.Sigmoid.__call__)
    found = profile.profile(cases.glassnet_seed_fit("float64", 20), 20, repeats=1)
    assert (model.Sequential._train_step, activations.Sigmoid.__call__) == before
    for phase in ("forward products", "backward products", "activations", "loss", "update"):
        assert found[phase] > 0, phase
    for phase in ("checks", "callbacks", "metrics"):
        assert found[phase] >= 0, phase
    shown = profile.table("seed toy", found)
    assert shown.startswith("**seed toy** (microseconds per step)") and "| activations |" in shown


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rows", "0"], "python -m benchmarks.profile: --rows must be at least 1, got 0"),
        (["--rows", "-5"], "python -m benchmarks.profile: --rows must be at least 1, got -5"),
        (["--steps", "0"], "python -m benchmarks.profile: --steps must be at least 1, got 0"),
    ],
)
def test_profile_refuses_no_rows_or_steps_in_words(argv, message) -> None:
    """--rows 0 raised a bare ValueError from fit, --rows -5 NumPy's 'negative dimensions',
    --steps 0 a ZeroDivisionError, each as a bare traceback."""
    from benchmarks import profile

    with pytest.raises(SystemExit) as caught:
        profile.main(argv)
    assert caught.value.code == message


def test_benchmarks_refuse_zero_repeats() -> None:
    from benchmarks.__main__ import main

    with pytest.raises(SystemExit) as caught:
        main(["--repeats", "0", "--quick", "--skip-memory"])
    assert caught.value.code == "--repeats must be at least 1"


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("/dev/null/results.json", "--output /dev/null/results.json: cannot make its folder"),
        ("/dev/null", "--output /dev/null exists and is not a regular file"),
    ],
)
def test_benchmarks_refuse_an_output_they_could_not_write_before_timing(output, message) -> None:
    """Before: a FileExistsError traceback after the whole run, its results lost."""
    from benchmarks.__main__ import main

    with pytest.raises(SystemExit) as caught:
        main(["--quick", "--skip-memory", "--output", output])
    assert str(caught.value.code).startswith(message)
