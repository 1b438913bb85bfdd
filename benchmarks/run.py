"""Run every case, alternating glassnet and PyTorch run by run; print the table; write the JSON.

Timings are medians over the repeats (each library warmed up once first). The targets of the
speed issue are checked on the same run and printed PASS or MISS.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import glassnet
from benchmarks import blas, cases
from benchmarks.settings import FULL, QUICK, Sizes

MIB_MARGIN = 30.0  # training may take the data's size plus this many MiB


def timed(workload: cases.Workload) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this process) of one run."""
    workload.reset()
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    workload.run()
    return time.perf_counter() - start, time.process_time() - cpu


def alternate(
    *workloads: cases.Workload, repeats: int
) -> tuple[list[list[float]], list[list[float]]]:
    """Warm each up once, then time them in turn, rotating who goes first every round, so that
    a busy moment of the machine falls on all of them alike.

    Returns (walls, cpus): per workload, in the order given, its wall times and its CPU times."""
    for workload in workloads:
        timed(workload)
    count = len(workloads)
    walls: list[list[float]] = [[] for _ in range(count)]
    cpus: list[list[float]] = [[] for _ in range(count)]
    for i in range(repeats):
        for k in range(count):
            side = (i + k) % count
            wall, cpu = timed(workloads[side])
            walls[side].append(wall)
            cpus[side].append(cpu)
    return walls, cpus


def compare(
    name: str,
    description: str,
    glassnet_side: cases.Workload,
    torch_side: cases.Workload,
    repeats: int,
    reference: cases.Workload | None = None,
) -> dict[str, Any]:
    """Time both sides (and a ``reference``, the big matmul, in the same rotation if given)."""
    extra = () if reference is None else (reference,)
    walls, cpus = alternate(glassnet_side, torch_side, *extra, repeats=repeats)
    (g_runs, t_runs), (g_cpu, t_cpu) = walls[:2], cpus[:2]
    g, t = statistics.median(g_runs), statistics.median(t_runs)
    result: dict[str, Any] = {
        "description": description,
        "glassnet_s": g,
        "torch_s": t,
        "ratio": g / t,
        # CPU seconds: less swayed than wall time by other programs on a busy machine
        "cpu_ratio": statistics.median(g_cpu) / statistics.median(t_cpu),
        "glassnet_runs_s": g_runs,
        "torch_runs_s": t_runs,
        "glassnet_cpu_s": g_cpu,
        "torch_cpu_s": t_cpu,
    }
    if glassnet_side.flops:
        result["glassnet_gflops"] = glassnet_side.flops / g / 1e9
        result["torch_gflops"] = torch_side.flops / t / 1e9
    if reference is not None:  # the big matmul, timed between the runs of both sides
        result["matmul_gflops"] = reference.flops / statistics.median(walls[2]) / 1e9
        result["matmul_share"] = result["glassnet_gflops"] / result["matmul_gflops"]
    print(_case_line(name, result), flush=True)
    return result


def import_time_ms(runs: int) -> float:
    """Median of ``python -X importtime -c "import glassnet"``'s cumulative time for glassnet
    (NumPy's import included), each in a fresh interpreter."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import glassnet"],
            capture_output=True,
            text=True,
            check=True,
        )
        match = re.search(r"^import time:\s*\d+ \|\s*(\d+) \| glassnet\s*$", done.stderr, re.M)
        if match is None:
            raise RuntimeError(f"no 'glassnet' line in -X importtime output:\n{done.stderr}")
        times.append(int(match.group(1)) / 1000)
    return statistics.median(times)


def machine(threads: int) -> dict[str, Any]:
    names = re.findall(r"^model name\s*:\s*(.+)$", blas.read_cpuinfo(), re.M)
    cpu = names[0] if names else (platform.processor() or platform.machine())
    blas_name = "unknown"
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas_name = f"{config.get('name')} {config.get('version')}"
    except Exception:  # the config layout is NumPy's business; the name is only for the report
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "threads": threads,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": blas_name,
        "openblas_core": blas.active_core(),
        "openblas_coretype_variable": os.environ.get(blas.VARIABLE),
        "torch": torch.__version__,
        "glassnet": glassnet.__version__,
    }


def run(args: argparse.Namespace, memory: dict[str, Any] | None = None) -> int:
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats or sizes.repeats
    seed_repeats = args.repeats or sizes.seed_repeats
    torch.set_num_threads(args.threads)
    results: dict[str, Any] = {"machine": machine(args.threads), "quick": bool(args.quick)}
    info = results["machine"]
    print(
        f"glassnet {info['glassnet']} vs PyTorch {info['torch']} eager; {info['cpu']}, "
        f"{info['cores']} cores, {args.threads} threads each; NumPy {info['numpy']} "
        f"({info['numpy_blas']}, {info['openblas_core']} kernels); "
        f"medians of {repeats} alternating runs" + (" [--quick: tiny sizes]" if args.quick else ""),
        flush=True,
    )
    print(
        f"{'case':<28}{'glassnet':>12}{'PyTorch':>12}{'ratio':>8}{'CPU':>8}{'GFLOP/s gn/pt':>16}",
        flush=True,
    )
    found: dict[str, Any] = {}
    steps = sizes.seed_steps
    for dtype in ("float64", "float32"):
        found[f"seed_fit_{dtype}"] = compare(
            f"seed toy fit {dtype}",
            f"3-4-1 sigmoid, 4 samples, fit(epochs={steps}, batch_size=4) vs {steps} torch steps",
            cases.glassnet_seed_fit(dtype, steps),
            cases.torch_seed_fit(dtype, steps),
            seed_repeats,
        )
    found["seed_train_on_batch_float64"] = compare(
        "seed toy train_on_batch f64",
        f"{steps} calls of train_on_batch vs {steps} torch steps",
        cases.glassnet_seed_steps("float64", steps),
        cases.torch_seed_fit("float64", steps),
        seed_repeats,
    )
    x, y = cases.synthetic_data(sizes.rows)
    for batch in (128, 32):
        found[f"mlp_batch{batch}"] = compare(
            f"MLP epoch, batch {batch}",
            f"784-256-128-10 relu/softmax-CE, SGD 0.1, one shuffled epoch of {len(x)} rows",
            cases.glassnet_epoch(cases.MLP, x, y, batch),
            cases.torch_epoch(cases.MLP, x, y, batch),
            repeats,
        )
    xw, yw = x[: sizes.wide_rows], y[: sizes.wide_rows]
    big_matmul = cases.numpy_matmul(sizes.matmul)  # built once: three (n, n) float32 arrays
    found["wide_batch128"] = compare(
        "wide MLP, batch 128",
        f"784-1024-1024-10, one shuffled epoch of {len(xw)} rows at batch 128",
        cases.glassnet_epoch(cases.WIDE, xw, yw, 128),
        cases.torch_epoch(cases.WIDE, xw, yw, 128),
        repeats,
        reference=big_matmul,
    )
    found["predict"] = compare(
        "predict",
        f"784-256-128-10 outputs for {len(x)} rows",
        cases.glassnet_predict(cases.MLP, x),
        cases.torch_predict(cases.MLP, x),
        repeats,
    )
    results["cases"] = found

    torch_matmul = cases.torch_matmul(sizes.matmul)
    (numpy_runs, torch_runs), _ = alternate(big_matmul, torch_matmul, repeats=repeats)
    wide = found["wide_batch128"]
    results["matmul"] = {
        "n": sizes.matmul,
        "numpy_gflops": big_matmul.flops / min(numpy_runs) / 1e9,  # the best run: the ceiling
        "torch_gflops": torch_matmul.flops / min(torch_runs) / 1e9,
        # the median run, timed in turn with the wide MLP's runs: what the wide MLP is held to
        "numpy_gflops_beside_wide": wide["matmul_gflops"],
        "wide_share": wide["matmul_share"],
    }
    del big_matmul, torch_matmul  # their (n, n) arrays are not needed past here
    print(
        f"large float32 matmul ({sizes.matmul}x{sizes.matmul}), best run: NumPy "
        f"{results['matmul']['numpy_gflops']:.1f} GFLOP/s, PyTorch "
        f"{results['matmul']['torch_gflops']:.1f} GFLOP/s; median beside the wide MLP's runs "
        f"{wide['matmul_gflops']:.1f}, of which the wide MLP reaches {wide['matmul_share']:.1%}",
        flush=True,
    )

    # fit with tracing off against the engine's bare loop, at batch 32, where per-batch Python
    # work shows most. The ratio is the median over rounds of fit / bare within the same round:
    # a busy spell of the machine slows both runs of a round alike, where it could fall on the
    # best run of one side only.
    (fit_runs, bare_runs), _ = alternate(
        cases.glassnet_epoch(cases.MLP, xw, yw, 32),
        cases.glassnet_bare_epoch(cases.MLP, xw, yw, 32),
        repeats=2 * repeats,  # short runs: twice as many, to see a 1% difference
    )
    fit_s, bare_s = statistics.median(fit_runs), statistics.median(bare_runs)
    ratio = statistics.median(f / b for f, b in zip(fit_runs, bare_runs, strict=True))
    results["trace_off"] = {
        "fit_s": fit_s,
        "bare_engine_s": bare_s,
        "ratio": ratio,
        "fit_runs_s": fit_runs,
        "bare_engine_runs_s": bare_runs,
    }
    print(
        f"trace off: fit, {len(xw)} rows at batch 32, {fit_s * 1e3:.1f} ms vs the bare engine "
        f"loop {bare_s * 1e3:.1f} ms (medians; ratio {ratio:.3f}, the median of each round's)",
        flush=True,
    )

    results["import_ms"] = import_time_ms(sizes.import_runs)
    print(f"import glassnet: {results['import_ms']:.1f} ms (-X importtime, NumPy included)")

    if memory is not None:
        results["memory"] = memory
        for lib, m in memory.items():
            print(
                f"memory {lib:<8}: peak RSS {m['peak_mib']:.0f} MiB, after import "
                f"{m['baseline_mib']:.0f} MiB; training took {m['training_mib']:.1f} MiB for "
                f"{m['data_mib']:.1f} MiB of data (own process, one epoch at batch 128)",
                flush=True,
            )

    results["targets"] = targets(results)
    print("targets:")
    for target in results["targets"]:
        print(f"  {'PASS' if target['met'] else 'MISS'}  {target['name']}: {target['shown']}")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as out:
        json.dump(results, out, indent=2)
    print(f"results written to {args.output}")
    if args.markdown:
        print(markdown(results, sizes))
    return 0


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    found = results["cases"]
    # (key, name, value, limit, test, format): key is the results entry the target is about
    checks: list[tuple[str, str, float, float, Callable[[float, float], bool], str]] = []
    for key, label in (
        ("seed_fit_float64", "seed toy fit float64"),
        ("seed_fit_float32", "seed toy fit float32"),
    ):
        checks.append((key, f"{label} <= 0.25x PyTorch", found[key]["ratio"], 0.25, _le, "{:.3f}x"))
    for batch in (128, 32):
        key = f"mlp_batch{batch}"
        ratio = found[key]["ratio"]
        checks.append(
            (key, f"MLP epoch batch {batch} <= 0.80x PyTorch", ratio, 0.80, _le, "{:.3f}x")
        )
    share = results["matmul"]["wide_share"]
    checks.append(
        ("matmul", ">= 85% of large-matmul GFLOP/s on the wide MLP", share, 0.85, _ge, "{:.1%}")
    )
    if "memory" in results:
        m = results["memory"]["glassnet"]
        checks.append(
            (
                "memory",
                f"training memory <= data + {MIB_MARGIN:.0f} MiB (MiB over the data)",
                m["over_data_mib"],
                MIB_MARGIN,
                _le,
                "{:.1f} MiB",
            )
        )
    checks.append(
        ("import_ms", "import glassnet < 150 ms", results["import_ms"], 150.0, _lt, "{:.1f} ms")
    )
    checks.append(
        (
            "trace_off",
            "trace off costs nothing: fit / bare engine <= 1.03",
            results["trace_off"]["ratio"],
            1.03,
            _le,
            "{:.3f}",
        )
    )
    return [
        {
            "key": key,
            "name": name,
            "value": value,
            "limit": limit,
            "met": bool(ok(value, limit)),
            "shown": fmt.format(value),
        }
        for key, name, value, limit, ok, fmt in checks
    ]


def markdown(results: dict[str, Any], sizes: Sizes) -> str:
    """The README's table rows: | case | glassnet | PyTorch | ratio (CPU) | target |, labelled
    with the ``sizes`` that were run."""
    found = results["cases"]
    verdict = {t["key"]: ("PASS" if t["met"] else "MISS") for t in results["targets"]}
    steps, rows_run, wide_rows = sizes.seed_steps, f"{sizes.rows:,}", f"{sizes.wide_rows:,}"
    rows = []
    labels = {  # case key: (label, target; the verdict is the target of the same key, if any)
        "seed_fit_float64": (f"seed toy `fit`, {steps} steps, float64", "<= 0.25x"),
        "seed_fit_float32": (f"seed toy `fit`, {steps} steps, float32", "<= 0.25x"),
        "seed_train_on_batch_float64": (f"seed toy, {steps} `train_on_batch`, float64", ""),
        "mlp_batch128": (f"MLP epoch ({rows_run} rows), batch 128", "<= 0.80x"),
        "mlp_batch32": (f"MLP epoch ({rows_run} rows), batch 32", "<= 0.80x"),
        "wide_batch128": (f"wide MLP, {wide_rows} rows, batch 128", ""),
        "predict": (f"`predict`, {rows_run} rows", ""),
    }
    for key, (label, target) in labels.items():
        case = found[key]
        shown = f"{target} {verdict[key]}" if target else ""
        rows.append(
            f"| {label} | {_seconds(case['glassnet_s'])} | {_seconds(case['torch_s'])} | "
            f"{case['ratio']:.2f}x ({case['cpu_ratio']:.2f}x) | {shown} |"
        )
    matmul = results["matmul"]
    wide = found["wide_batch128"]
    rows.append(
        f"| wide MLP GFLOP/s vs a {matmul['n']}x{matmul['n']} float32 matmul timed in turn | "
        f"{wide['glassnet_gflops']:.1f} | {wide['torch_gflops']:.1f} | "
        f"{matmul['wide_share']:.0%} of {wide['matmul_gflops']:.1f} | >= 85% "
        f"{verdict['matmul']} |"
    )
    if "memory" in results:
        g, t = results["memory"]["glassnet"], results["memory"]["torch"]
        rows.append(
            f"| training memory over the {g['data_mib']:.0f} MiB of data | "
            f"{g['over_data_mib']:+.0f} MiB | {t['over_data_mib']:+.0f} MiB | | "
            f"<= +{MIB_MARGIN:.0f} MiB "
            f"{verdict['memory']} |"
        )
    rows.append(
        f"| `import glassnet` (NumPy included) | {results['import_ms']:.0f} ms | | | < 150 ms "
        f"{verdict['import_ms']} |"
    )
    trace = results["trace_off"]
    rows.append(
        f"| trace off: `fit` vs the bare engine loop | {_seconds(trace['fit_s'])} | "
        f"{_seconds(trace['bare_engine_s'])} (bare) | {trace['ratio']:.3f}x | <= 1.03x "
        f"{verdict['trace_off']} |"
    )
    return "\n".join(rows)


def _le(value: float, limit: float) -> bool:
    return value <= limit


def _ge(value: float, limit: float) -> bool:
    return value >= limit


def _lt(value: float, limit: float) -> bool:
    return value < limit


def _seconds(value: float) -> str:
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def _case_line(name: str, result: dict[str, Any]) -> str:
    gflops = ""
    if "glassnet_gflops" in result:
        gflops = f"{result['glassnet_gflops']:.1f} / {result['torch_gflops']:.1f}"
    return (
        f"{name:<28}{_seconds(result['glassnet_s']):>12}{_seconds(result['torch_s']):>12}"
        f"{result['ratio']:>7.3f}x{result['cpu_ratio']:>7.3f}x{gflops:>16}"
    )
