"""``python -m benchmarks [--quick] [--threads N] [--openblas-core CORE] [--output FILE]``: see
``benchmarks.run``."""

from __future__ import annotations

import argparse
import os
import re
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: the bounds of --threads (per core of this machine) and of --repeats
MAX_THREADS_PER_CORE = 4
MAX_REPEATS = 1000


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="glassnet against PyTorch eager on the CPU, side by side.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes and few repeats (seconds; for tests)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="threads for both NumPy's BLAS and PyTorch (default: every core, %(default)s)",
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per library")
    parser.add_argument(
        "--output",
        default=os.path.join(os.path.dirname(__file__), "results.json"),
        help="where the JSON results go (default: %(default)s)",
    )
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the peak-memory subprocesses"
    )
    parser.add_argument(
        "--openblas-core",
        default="auto",
        metavar="CORE",
        help="OpenBLAS kernels for NumPy: auto (Haswell's AVX2 kernels on AMD Zen 4, where "
        "OpenBLAS's own AVX-512 choice is slower; see benchmarks/blas.py), default (OpenBLAS's "
        "choice), or a core name such as Haswell or SkylakeX (default: %(default)s)",
    )
    parser.add_argument(
        "--thread-cases-only",
        action="store_true",
        help="only the seed, MLP and CNN cases at --threads (what a run without threadpoolctl "
        "starts for its 1-thread pass)",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="also print the results as the README's table"
    )
    return parser.parse_args(argv)


def check_output(path: str) -> None:
    """Refuse an --output the results could not be written to (a missing folder that cannot be
    made, a folder or device in the file's place, a read-only folder), in one line."""
    if not path or path.endswith((os.sep, "/")):  # '': FileNotFoundError after the whole run
        sys.exit(f"--output {path!r} names no file; give a .json file path, e.g. results.json")
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        sys.exit(f"--output {path}: cannot make its folder {folder} ({error.strerror})")
    if os.path.exists(path) and not os.path.isfile(path):
        sys.exit(f"--output {path} exists and is not a regular file; give a .json file path")
    if not os.access(folder, os.W_OK):
        sys.exit(f"--output {path}: the folder {folder} is not writable; choose another path")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.threads < 1:
        sys.exit("--threads must be at least 1")
    cores = os.cpu_count() or 1
    if args.threads > MAX_THREADS_PER_CORE * cores:  # 10**20: torch's overflow, after imports;
        # 100000: a header saying "100000 threads each" over BLAS pools that cap themselves
        sys.exit(
            f"--threads {args.threads} is more than {MAX_THREADS_PER_CORE} per core (this machine "
            f"has {cores}); the timings would measure the threads' contention. Use --threads "
            f"{cores}, or leave it out"
        )
    if args.repeats is not None and args.repeats < 1:  # the median of no runs, deep inside
        sys.exit("--repeats must be at least 1")
    if args.repeats is not None and args.repeats > MAX_REPEATS:  # 10**22: a run without end
        sys.exit(
            f"--repeats must be at most {MAX_REPEATS} (each repeat times every case once; the "
            f"default run's 9 take minutes)"
        )
    check_output(args.output)  # before minutes of timing, not after them
    core_name = args.openblas_core
    if core_name not in ("auto", "default") and not re.fullmatch(
        r"[A-Za-z][A-Za-z0-9]*", core_name
    ):
        # '<b>x</b>' or '': put in OPENBLAS_CORETYPE, silently ignored by OpenBLAS
        sys.exit(
            f"--openblas-core {core_name!r}: expected auto, default or an OpenBLAS core name "
            f"(letters and digits) such as Haswell or SkylakeX"
        )
    # The BLAS reads its thread count once, when NumPy (or torch) is first imported: set it now,
    # for this process and for the memory subprocesses that inherit the environment.
    for name in THREAD_VARIABLES:
        os.environ[name] = str(args.threads)
    from benchmarks import blas

    core = blas.choose_core(args.openblas_core, os.environ, blas.read_cpuinfo())
    if core is not None:  # read by OpenBLAS when NumPy loads it, below
        os.environ[blas.VARIABLE] = core
    from benchmarks import memory, settings

    sizes = settings.QUICK if args.quick else settings.FULL
    # memory first, while this process is small (see benchmarks.memory)
    peaks = (
        None
        if args.skip_memory or args.thread_cases_only
        else memory.measure_all(sizes.rows, 128, sizes.cnn_rows)
    )
    from benchmarks.run import run

    return run(args, memory=peaks)


if __name__ == "__main__":
    sys.exit(main())
