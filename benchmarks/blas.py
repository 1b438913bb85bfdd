"""Which OpenBLAS kernels NumPy runs on, and the one choice the benchmark makes about them.

OpenBLAS picks its kernels when it loads, from the CPU's features, unless the environment
variable ``OPENBLAS_CORETYPE`` names a core. On AMD Zen 4 (CPU family 25 with AVX-512) it picks
its AVX-512 "SkylakeX" kernels, but Zen 4 runs AVX-512 as two 256-bit halves, and there its AVX2
"Haswell" kernels (the ones it loads for Zen 2 and 3) are faster. Measured here at 1 thread: a
4096x4096 float32 product 111 against 105 GFLOP/s, the wide MLP's batch-128 products 102-108
against 83-96 GFLOP/s. So with ``--openblas-core auto`` (the default) the benchmark sets
``OPENBLAS_CORETYPE=Haswell`` on Zen 4 when the variable is not set already, and reports the
kernels in use. Any NumPy program gets the same by setting the variable before Python starts
(the README's Speed section says how).

This module imports nothing heavy: the variable must be set before NumPy loads OpenBLAS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

VARIABLE = "OPENBLAS_CORETYPE"


def is_zen4(cpuinfo: str) -> bool:
    """An AMD CPU of family 25 (Zen 3 and Zen 4) with AVX-512, which only Zen 4 has."""
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", cpuinfo, re.M)
    family = re.search(r"^cpu family\s*:\s*(\d+)", cpuinfo, re.M)
    flags = re.search(r"^flags\s*:(.*)$", cpuinfo, re.M)
    return (
        vendor is not None
        and vendor.group(1) == "AuthenticAMD"
        and family is not None
        and int(family.group(1)) == 25
        and flags is not None
        and "avx512f" in flags.group(1).split()
    )


def choose_core(requested: str, environ: Mapping[str, str], cpuinfo: str) -> str | None:
    """The core to put in ``OPENBLAS_CORETYPE``, or None to leave the environment alone.

    ``requested``: "auto" (Haswell on Zen 4, unless the variable is set already), "default"
    (OpenBLAS's own choice, or whatever the variable already says), or a core name such as
    "Haswell" or "SkylakeX"."""
    if requested == "default":
        return None
    if requested != "auto":
        return requested
    if VARIABLE in environ or not is_zen4(cpuinfo):
        return None
    return "Haswell"


def read_cpuinfo() -> str:
    """/proc/cpuinfo's text, or "" where there is none."""
    try:
        with open("/proc/cpuinfo") as info:
            return info.read()
    except OSError:  # not Linux: no Zen 4 choice, no model name
        return ""


def active_core() -> str:
    """The kernels OpenBLAS loaded (e.g. "Haswell", "SkylakeX"); imports NumPy."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl)"
    import numpy  # noqa: F401  (loads NumPy's OpenBLAS, so that threadpoolctl finds it)

    for pool in threadpool_info():
        if pool.get("internal_api") == "openblas":
            return str(pool.get("architecture"))
    return "unknown (NumPy's BLAS is not OpenBLAS)"
