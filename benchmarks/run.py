"""Run every case, alternating glassnet and PyTorch run by run; print the table; write the JSON.

Timings are medians over the repeats (each library warmed up once first); each ratio is the median
of the rounds' own ratios (``paired_ratio``). The targets of the speed issue are checked on the
same run and printed PASS or MISS.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median over rounds of numerator / denominator, both timed in the same round.

    A paired comparison: a busy or slow spell of the machine slows both runs of a round alike.
    The ratio of the two medians can instead compare one side's fast spell with the other's
    slow one: on a VM that switches between two speeds (the seed toy's 1000 steps taking ~12 or
    ~20 ms, rounds a second apart, both sides alike), two medians of 11 rounds landed in
    different speeds and read 1.06x and 1.58x for the same code in two runs (stop 28)."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def compare(
    name: str,
    description: str,
    glassnet_side: cases.Workload,
    torch_side: cases.Workload,
    repeats: int,
    reference: cases.Workload | None = None,
    hand_side: cases.Workload | None = None,
) -> dict[str, Any]:
    """Time glassnet, PyTorch, the hand-written NumPy loop if given, and a ``reference`` (the big
    matmul) if given, all in the same rotation. ``ratio`` is glassnet / PyTorch and
    ``hand_ratio`` glassnet / hand loop, each ``paired_ratio`` of the rounds (the ratios of the
    medians are kept beside them as ``ratio_of_medians`` / ``hand_ratio_of_medians``)."""
    sides = [glassnet_side, torch_side]
    if hand_side is not None:
        sides.append(hand_side)
    if reference is not None:
        sides.append(reference)
    walls, cpus = alternate(*sides, repeats=repeats)
    (g_runs, t_runs), (g_cpu, t_cpu) = walls[:2], cpus[:2]
    g, t = statistics.median(g_runs), statistics.median(t_runs)
    result: dict[str, Any] = {
        "description": description,
        "glassnet_s": g,
        "torch_s": t,
        "ratio": paired_ratio(g_runs, t_runs),
        "ratio_of_medians": g / t,
        # CPU seconds: less swayed than wall time by other programs on a busy machine
        "cpu_ratio": paired_ratio(g_cpu, t_cpu),
        "glassnet_runs_s": g_runs,
        "torch_runs_s": t_runs,
        "glassnet_cpu_s": g_cpu,
        "torch_cpu_s": t_cpu,
    }
    if hand_side is not None:
        h_runs = walls[2]
        result["hand_s"] = statistics.median(h_runs)
        result["hand_ratio"] = paired_ratio(g_runs, h_runs)
        result["hand_ratio_of_medians"] = g / result["hand_s"]
        result["hand_runs_s"] = h_runs
    if glassnet_side.flops:
        result["glassnet_gflops"] = glassnet_side.flops / g / 1e9
        result["torch_gflops"] = torch_side.flops / t / 1e9
    if reference is not None:  # the big matmul, timed between the runs of both sides
        result["matmul_gflops"] = reference.flops / statistics.median(walls[-1]) / 1e9
        result["matmul_share"] = result["glassnet_gflops"] / result["matmul_gflops"]
    print(_case_line(name, result), flush=True)
    return result


def thread_cases(sizes: Sizes, repeats: int, seed_repeats: int) -> dict[str, Any]:
    """The cases the issue's targets hold at every thread count: the seed toy, the MLP and the
    small CNN, each glassnet against PyTorch and against the hand-written NumPy loop."""
    found: dict[str, Any] = {}
    steps = sizes.seed_steps
    for dtype in ("float64", "float32"):
        found[f"seed_fit_{dtype}"] = compare(
            f"seed toy fit {dtype}",
            f"3-4-1 sigmoid, 4 samples, fit(epochs={steps}, batch_size=4) vs {steps} torch steps",
            cases.glassnet_seed_fit(dtype, steps),
            cases.torch_seed_fit(dtype, steps),
            seed_repeats,
            hand_side=cases.hand_seed_fit(dtype, steps),
        )
    found["seed_train_on_batch_float64"] = compare(
        "seed toy train_on_batch f64",
        f"{steps} calls of train_on_batch vs {steps} torch steps",
        cases.glassnet_seed_steps("float64", steps),
        cases.torch_seed_fit("float64", steps),
        seed_repeats,
        hand_side=cases.hand_seed_fit("float64", steps),
    )
    x, y = cases.synthetic_data(sizes.rows)
    for batch in (128, 32):
        found[f"mlp_batch{batch}"] = compare(
            f"MLP epoch, batch {batch}",
            f"784-256-128-10 relu/softmax-CE, SGD 0.1, one shuffled epoch of {len(x)} rows",
            cases.glassnet_epoch(cases.MLP, x, y, batch),
            cases.torch_epoch(cases.MLP, x, y, batch),
            repeats,
            hand_side=cases.hand_epoch(cases.MLP, x, y, batch),
        )
    del x, y
    images, labels = cases.synthetic_images(sizes.cnn_rows)
    for batch in (64, 128):
        found[f"cnn_batch{batch}"] = compare(
            f"CNN epoch, batch {batch}",
            f"28x28x1 conv8-pool-conv16-pool-dense10, SGD {cases.CNN_RATE}, one shuffled epoch "
            f"of {len(images)} images",
            cases.glassnet_cnn_epoch(images, labels, batch),
            cases.torch_cnn_epoch(images, labels, batch),
            repeats,
            hand_side=cases.hand_cnn_epoch(images, labels, batch),
        )
    return found


@contextlib.contextmanager
def threads_limited(threads: int) -> Iterator[None]:
    """NumPy's BLAS and PyTorch at ``threads`` threads inside the block (threadpoolctl), then
    back. Raises ImportError without threadpoolctl (``one_thread_cases`` then asks a fresh
    process, whose environment sets the count before NumPy loads)."""
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)


def one_thread_cases(
    sizes: Sizes, repeats: int, seed_repeats: int, args: argparse.Namespace
) -> Any:
    """``thread_cases`` at 1 thread: in this process with threadpoolctl, else in a subprocess
    started with the thread variables set to 1 (``--thread-cases-only``)."""
    try:
        with threads_limited(1):
            return thread_cases(sizes, repeats, seed_repeats)
    except ImportError:
        pass
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        output = os.path.join(folder, "one_thread.json")
        command = [sys.executable, "-m", "benchmarks", "--threads", "1", "--skip-memory"]
        command += ["--thread-cases-only", "--output", output]
        command += ["--quick"] if args.quick else []
        command += [] if args.repeats is None else ["--repeats", str(args.repeats)]
        subprocess.run(command, check=True)
        with open(output) as saved:
            return json.load(saved)["cases"]


def import_time_ms(runs: int) -> float:
    """Median of ``python -X importtime -c "import glassnet"``'s cumulative time for glassnet
    (NumPy's import included), each in a fresh interpreter.

    Timed with compiled bytecode, as an installed package imports: the interpreters write and
    read their ``.pyc`` files under a temporary ``PYTHONPYCACHEPREFIX`` (so the checkout gets no
    ``__pycache__``), and one untimed import fills it first. With ``PYTHONDONTWRITEBYTECODE`` set
    and no cache, every import would compile glassnet's sources again (about 100 ms more)."""
    import tempfile

    times = []
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        command = [sys.executable, "-X", "importtime", "-c", "import glassnet"]
        subprocess.run(command, capture_output=True, check=True, env=env)  # fills the cache
        for _ in range(runs):
            done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
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
        f"glassnet {info['glassnet']} vs a hand-written NumPy loop vs PyTorch {info['torch']} "
        f"eager; {info['cpu']}, {info['cores']} cores, {args.threads} threads each; NumPy "
        f"{info['numpy']} ({info['numpy_blas']}, {info['openblas_core']} kernels); medians of "
        f"{repeats} alternating runs" + (" [--quick: tiny sizes]" if args.quick else ""),
        flush=True,
    )
    print(_header(args.threads), flush=True)
    results["cases"] = found = thread_cases(sizes, repeats, seed_repeats)
    if args.thread_cases_only:
        return _write(results, args)
    if args.threads != 1:
        print(_header(1), flush=True)
        results["cases_one_thread"] = one_thread_cases(sizes, repeats, seed_repeats, args)
    x, y = cases.synthetic_data(sizes.rows)
    print(_header(args.threads), flush=True)
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
    ratio = paired_ratio(fit_runs, bare_runs)
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
                f"memory {lib:<12}: peak RSS {m['peak_mib']:.0f} MiB, after import "
                f"{m['baseline_mib']:.0f} MiB; training took {m['training_mib']:.1f} MiB for "
                f"{m['data_mib']:.1f} MiB of data (own process, one epoch at batch 128)",
                flush=True,
            )

    results["targets"] = targets(results)
    print("targets:")
    for target in results["targets"]:
        print(f"  {'PASS' if target['met'] else 'MISS'}  {target['name']}: {target['shown']}")
    _write(results, args)
    if args.markdown:
        print(markdown(results, sizes))
    return 0


def _write(results: dict[str, Any], args: argparse.Namespace) -> int:
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as out:
        json.dump(results, out, indent=2)
    print(f"results written to {args.output}")
    return 0


def _header(threads: int) -> str:
    return (
        f"at {threads} thread{'s' if threads != 1 else ''}:\n{'case':<28}{'glassnet':>11}"
        f"{'hand':>11}{'PyTorch':>11}{'gn/hand':>9}{'gn/pt':>8}{'CPU':>8}{'GFLOP/s gn/pt':>15}"
    )


#: (case key, glassnet / hand loop at most, glassnet / PyTorch at most at the default thread
#: count, at 1 thread): the speed issue's targets (None: no such target)
SPEED_TARGETS: tuple[tuple[str, float | None, float, float], ...] = (
    ("seed_fit_float64", 1.5, 0.25, 0.25),
    ("seed_train_on_batch_float64", 1.5, 0.25, 0.25),
    ("seed_fit_float32", None, 0.25, 0.25),
    ("mlp_batch128", 1.10, 0.85, 0.85),
    ("mlp_batch32", 1.10, 0.85, 0.85),
    ("cnn_batch64", 1.15, 1.0, 0.8),
    ("cnn_batch128", 1.15, 1.0, 0.8),
)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    threads = results["machine"]["threads"]
    # (key, name, value, limit, test, format): key is the results entry the target is about
    checks: list[tuple[str, str, float, float, Callable[[float, float], bool], str]] = []
    runs = [("cases", threads)]
    if "cases_one_thread" in results:
        runs.append(("cases_one_thread", 1))
    for entry, count in runs:
        found = results[entry]
        at = f"{count} thread{'s' if count != 1 else ''}"
        for key, hand_limit, torch_limit, one_thread_limit in SPEED_TARGETS:
            case = found[key]
            label = f"{case_label(key)}, {at}"
            limit = one_thread_limit if count == 1 else torch_limit
            checks.append((key, f"{label}: <= {limit:.2f}x PyTorch", case["ratio"], limit, _le, X))
            if hand_limit is not None:
                checks.append(
                    (
                        key,
                        f"{label}: <= {hand_limit:.2f}x hand loop",
                        case["hand_ratio"],
                        hand_limit,
                        _le,
                        X,
                    )
                )
    share = results["matmul"]["wide_share"]
    checks.append(
        ("matmul", ">= 85% of large-matmul GFLOP/s on the wide MLP", share, 0.85, _ge, "{:.1%}")
    )
    for key, label in (("glassnet", "MLP"), ("glassnet_cnn", "CNN")):
        if key in results.get("memory", {}):
            checks.append(
                (
                    "memory",
                    f"{label} training memory <= data + {MIB_MARGIN:.0f} MiB (MiB over the data)",
                    results["memory"][key]["over_data_mib"],
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


X = "{:.3f}x"


def case_label(key: str) -> str:
    """ "mlp_batch32" -> "MLP epoch batch 32", as the targets and tables name the cases."""
    labels = {
        "seed_fit_float64": "seed toy fit float64",
        "seed_fit_float32": "seed toy fit float32",
        "seed_train_on_batch_float64": "seed toy train_on_batch float64",
    }
    if key in labels:
        return labels[key]
    kind, batch = key.split("_batch")
    return f"{kind.upper()} epoch batch {batch}"


def markdown(results: dict[str, Any], sizes: Sizes) -> str:
    """The README's table rows: | case | threads | glassnet | hand loop | PyTorch | glassnet/hand
    | glassnet/PyTorch | targets |, labelled with the ``sizes`` that were run."""
    verdicts: dict[tuple[str, str], list[str]] = {}
    for target in results["targets"]:
        at = "1" if target["name"].endswith(" 1 thread") or ", 1 thread:" in target["name"] else ""
        mark = "PASS" if target["met"] else "MISS"
        limit = target["name"].rsplit(": ", 1)[-1] if ": <=" in target["name"] else ""
        verdicts.setdefault((target["key"], at), []).append(f"{limit} {mark}".strip())
    steps, rows_run = sizes.seed_steps, f"{sizes.rows:,}"
    labels = {
        "seed_fit_float64": f"seed toy `fit`, {steps} steps, float64",
        "seed_fit_float32": f"seed toy `fit`, {steps} steps, float32",
        "seed_train_on_batch_float64": f"seed toy, {steps} `train_on_batch`, float64",
        "mlp_batch128": f"MLP epoch ({rows_run} rows), batch 128",
        "mlp_batch32": f"MLP epoch ({rows_run} rows), batch 32",
        "cnn_batch64": f"CNN epoch ({sizes.cnn_rows:,} images), batch 64",
        "cnn_batch128": f"CNN epoch ({sizes.cnn_rows:,} images), batch 128",
        "wide_batch128": f"wide MLP, {sizes.wide_rows:,} rows, batch 128",
        "predict": f"`predict`, {rows_run} rows",
    }
    rows = []
    runs = [("cases", str(results["machine"]["threads"]), "")]
    if "cases_one_thread" in results:
        runs.append(("cases_one_thread", "1", "1"))
    for entry, threads, at in runs:
        for key, label in labels.items():
            case = results[entry].get(key)
            if case is None:
                continue
            hand = _seconds(case["hand_s"]) if "hand_s" in case else ""
            hand_ratio = f"{case['hand_ratio']:.2f}x" if "hand_s" in case else ""
            shown = ", ".join(verdicts.get((key, at), []))
            rows.append(
                f"| {label} | {threads} | {_seconds(case['glassnet_s'])} | {hand} | "
                f"{_seconds(case['torch_s'])} | {hand_ratio} | {case['ratio']:.2f}x | {shown} |"
            )
    matmul = results["matmul"]
    wide = results["cases"]["wide_batch128"]
    rows.append(
        f"| wide MLP GFLOP/s vs a {matmul['n']}x{matmul['n']} float32 matmul timed in turn | | "
        f"{wide['glassnet_gflops']:.1f} | | {wide['torch_gflops']:.1f} | | "
        f"{matmul['wide_share']:.0%} of {wide['matmul_gflops']:.1f} | "
        f"{', '.join(verdicts.get(('matmul', ''), []))} |"
    )
    memory = results.get("memory", {})
    for key, label in (("glassnet", "MLP"), ("glassnet_cnn", "CNN")):
        if key in memory:
            torch_key = key.replace("glassnet", "torch")
            rows.append(
                f"| {label} training memory over its {memory[key]['data_mib']:.0f} MiB of data | | "
                f"{memory[key]['over_data_mib']:+.0f} MiB | | "
                f"{memory[torch_key]['over_data_mib']:+.0f} MiB | | | <= +{MIB_MARGIN:.0f} MiB "
                f"{'PASS' if memory[key]['over_data_mib'] <= MIB_MARGIN else 'MISS'} |"
            )
    rows.append(
        f"| `import glassnet` (NumPy included) | | {results['import_ms']:.0f} ms | | | | | "
        f"{', '.join(verdicts.get(('import_ms', ''), []))} |"
    )
    trace = results["trace_off"]
    rows.append(
        f"| trace off: `fit` vs the bare engine loop | | {_seconds(trace['fit_s'])} | | "
        f"{_seconds(trace['bare_engine_s'])} (bare) | | {trace['ratio']:.3f}x | "
        f"{', '.join(verdicts.get(('trace_off', ''), []))} |"
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
    hand, hand_ratio = "", ""
    if "hand_s" in result:
        hand, hand_ratio = _seconds(result["hand_s"]), f"{result['hand_ratio']:.3f}x"
    return (
        f"{name:<28}{_seconds(result['glassnet_s']):>11}{hand:>11}"
        f"{_seconds(result['torch_s']):>11}{hand_ratio:>9}"
        f"{result['ratio']:>7.3f}x{result['cpu_ratio']:>7.3f}x{gflops:>15}"
    )
