"""Peak memory of one library training one epoch, in a process of its own.

``measure_all`` starts one such process per library. It must run before the parent process grows:
Linux carries the parent's peak RSS into a child's ``ru_maxrss`` across fork and exec, so
``python -m benchmarks`` measures memory first, while it is a small interpreter.


``python -m benchmarks.memory glassnet|torch ROWS BATCH [mlp|cnn]`` imports the library (and
numpy.random, which making the data needs), notes its resident memory (the baseline), makes the
synthetic data, trains the MNIST-sized MLP (or the small CNN on ROWS images) for one epoch and
prints one line of JSON: the baseline, the peak (``resource.getrusage``'s ``ru_maxrss``), the data
size and what training took on top of the baseline, all in MiB.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

MIB = 2**20


def current_rss_mib() -> float:
    """Resident memory now (Linux ``/proc/self/statm``), else the peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB
    except (OSError, ValueError, IndexError):
        return peak_rss_mib()


def peak_rss_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MIB


def measure(library: str, rows: int, batch: int, model: str = "mlp") -> dict[str, float | str]:
    import numpy as np  # (both sides load NumPy: the data is made with it)

    # NumPy 2 loads numpy.random on first use: 6.4 MiB of extension modules, which the data
    # generator below would load for either library and book as training (stop 29)
    np.random.default_rng(0)

    if library == "glassnet":
        import glassnet  # noqa: F401
    else:
        import torch  # noqa: F401
    from benchmarks import cases

    baseline = current_rss_mib()
    if model == "cnn":
        x, y = cases.synthetic_images(rows)
        if library == "glassnet":
            workload = cases.glassnet_cnn_epoch(x, y, batch)
        else:
            workload = cases.torch_cnn_epoch(x, y, batch)
    else:
        x, y = cases.synthetic_data(rows)
        if library == "glassnet":
            workload = cases.glassnet_epoch(cases.MLP, x, y, batch)
        else:
            workload = cases.torch_epoch(cases.MLP, x, y, batch)
    workload.run()
    peak = peak_rss_mib()
    data = (x.nbytes + y.nbytes) / MIB
    return {
        "library": library,
        "baseline_mib": baseline,
        "peak_mib": peak,
        "data_mib": data,
        "training_mib": peak - baseline,
        "over_data_mib": peak - baseline - data,
    }


def measure_all(rows: int, batch: int, cnn_rows: int = 0) -> dict[str, dict[str, float | str]]:
    """One fresh process per library and model (``python -m benchmarks.memory``), glassnet
    first: keys "glassnet" and "torch" (the MLP on ``rows`` rows), "glassnet_cnn" and
    "torch_cnn" (the small CNN on ``cnn_rows`` images, when given)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = {}
    runs = [(library, "mlp", rows, library) for library in ("glassnet", "torch")]
    if cnn_rows:
        runs += [(library, "cnn", cnn_rows, f"{library}_cnn") for library in ("glassnet", "torch")]
    for library, model, count, key in runs:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", library, str(count), str(batch), model],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        )
        found[key] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


if __name__ == "__main__":
    library, rows, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    model = sys.argv[4] if len(sys.argv) > 4 else "mlp"
    if library not in ("glassnet", "torch") or model not in ("mlp", "cnn"):
        sys.exit("usage: python -m benchmarks.memory glassnet|torch ROWS BATCH [mlp|cnn]")
    print(json.dumps(measure(library, rows, batch, model)))
