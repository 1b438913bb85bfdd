"""What an optional accelerator would give the MLP's element-wise work (``python -m
benchmarks.accelerators``).

glassnet's core is NumPy only (issue 20: "do not add it to the core"). This measures, on the
MNIST-sized MLP's shapes (784-256-128-10, float32, batch 128 and 32), the element-wise pieces of
a training step three ways, each piece as glassnet computes it with NumPy:

- ``relu backward``: dC/dz = dC/da * (z > 0), (batch, 256) and (batch, 128);
- ``softmax``: exp(z - max) / sum over the (batch, 10) output;
- ``SGD update``: W <- W - lr * dC/dW over all six parameters (NumPy: a product into a scratch
  array, then the subtraction; SciPy: BLAS ``saxpy``/``daxpy``, W + (-lr) dC/dW in one pass);
- ``Adam update``: the in-place rule of ``glassnet.optimizers.Adam`` over all six parameters
  (numexpr: three fused expressions, for m, v and W).

against `numexpr <https://github.com/pydata/numexpr>`_ (fused, blocked, multi-threaded
element-wise expressions) and SciPy's BLAS ``axpy``, at 1 and 2 threads (NumPy's BLAS through
threadpoolctl, numexpr's own pool), and prints a table: the microseconds per call (the best of
``--repeats`` timed rounds, the three rotating) and whether the accelerator gives NumPy's numbers
to the last bit. A fused or FMA evaluation rounds once where NumPy rounds twice, so "no" is
expected there; the readable step's bits are glassnet's contract, which is one reason these
stay out of the core.

numexpr and SciPy are imported only here, lazily: without one, its column is empty and a line
says what to install (``pip install numexpr``; SciPy comes with scikit-learn).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray
MISSING = "-"


@dataclass(frozen=True)
class Shapes:
    sizes: tuple[int, ...]  # the layer widths, input first
    batches: tuple[int, ...]


FULL = Shapes((784, 256, 128, 10), (128, 32))
TINY = Shapes((8, 6, 4, 3), (4,))  # for the test: seconds, not minutes


def numexpr_module() -> Any:
    """numexpr, or None when it is not installed."""
    try:
        import numexpr
    except ImportError:
        return None
    return numexpr


def scipy_blas() -> Any:
    """scipy.linalg.blas, or None when SciPy is not installed."""
    try:
        from scipy.linalg import blas
    except ImportError:
        return None
    return blas


def threads_limited(threads: int) -> AbstractContextManager[Any]:
    """NumPy's (and SciPy's) BLAS at ``threads`` threads inside the block, when threadpoolctl is
    there (a dev dependency); else the thread count the process started with."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


@dataclass
class Piece:
    """One element-wise piece: ``numpy()`` as glassnet computes it, the accelerated forms (None
    when the library is missing), ``reset()`` before each run (an update changes its inputs),
    and ``result()``, the array whose bits are compared after one run of each."""

    name: str
    shape: str
    numpy: Callable[[], Any]
    numexpr: Callable[[], Any] | None
    axpy: Callable[[], Any] | None
    reset: Callable[[], None]
    result: Callable[[], Array]


def relu_backward(batch: int, width: int, ne: Any, rng: np.random.Generator) -> Piece:
    z = rng.standard_normal((batch, width), dtype=np.float32)
    g = rng.standard_normal((batch, width), dtype=np.float32)
    out = np.empty_like(g)

    def with_numpy() -> None:
        np.multiply(g, z > 0, out=out)  # ReLU.backward_into

    def with_numexpr() -> None:
        ne.evaluate("where(z > 0, g, 0)", local_dict={"z": z, "g": g}, out=out)

    return Piece(
        "relu backward",
        f"({batch}, {width})",
        with_numpy,
        None if ne is None else with_numexpr,
        None,
        lambda: None,
        lambda: out,
    )


def softmax(batch: int, classes: int, ne: Any, rng: np.random.Generator) -> Piece:
    z = rng.standard_normal((batch, classes), dtype=np.float32)
    out = np.empty_like(z)

    def with_numpy() -> None:  # Softmax.__call__
        e = z - z.max(axis=-1, keepdims=True)
        np.exp(e, out=e)
        e /= e.sum(axis=-1, keepdims=True)
        out[...] = e

    def with_numexpr() -> None:
        top = z.max(axis=-1, keepdims=True)
        ne.evaluate("exp(z - top)", local_dict={"z": z, "top": top}, out=out)
        total = out.sum(axis=-1, keepdims=True)
        ne.evaluate("out / total", local_dict={"out": out, "total": total}, out=out)

    return Piece(
        "softmax",
        f"({batch}, {classes})",
        with_numpy,
        None if ne is None else with_numexpr,
        None,
        lambda: None,
        lambda: out,
    )


def parameters(sizes: tuple[int, ...], rng: np.random.Generator) -> list[Array]:
    """The MLP's kernels and biases, in get_weights() order."""
    found: list[Array] = []
    for n_in, n_out in itertools.pairwise(sizes):
        found.append(rng.standard_normal((n_in, n_out), dtype=np.float32) * 0.05)
        found.append(np.zeros(n_out, np.float32))
    return found


def sgd_update(sizes: tuple[int, ...], ne: Any, blas: Any, rng: np.random.Generator) -> Piece:
    start = parameters(sizes, rng)
    weights = [w.copy() for w in start]
    grads = [rng.standard_normal(w.shape, dtype=np.float32) * 1e-2 for w in start]
    scratch = [np.empty_like(w) for w in start]
    rate = 0.1
    rate32 = np.float32(rate)  # numexpr reads a Python float as float64: give it float32

    def with_numpy() -> None:  # SGD.apply's loop
        for w, g, s in zip(weights, grads, scratch, strict=True):
            np.multiply(g, rate, out=s)
            w -= s

    def with_numexpr() -> None:
        for w, g in zip(weights, grads, strict=True):
            ne.evaluate("w - rate * g", local_dict={"w": w, "g": g, "rate": rate32}, out=w)

    def with_axpy() -> None:
        for w, g in zip(weights, grads, strict=True):
            axpy = blas.saxpy if w.dtype == np.float32 else blas.daxpy
            axpy(g.ravel(), w.ravel(), a=-rate)  # w + (-lr) g, in place in w's memory

    def reset() -> None:
        for w, s in zip(weights, start, strict=True):
            w[...] = s

    total = sum(w.size for w in start)
    return Piece(
        "SGD update",
        f"{len(start)} arrays, {total:,} numbers",
        with_numpy,
        None if ne is None else with_numexpr,
        None if blas is None else with_axpy,
        reset,
        lambda: np.concatenate([w.ravel() for w in weights]),
    )


def adam_update(sizes: tuple[int, ...], ne: Any, rng: np.random.Generator) -> Piece:
    from glassnet.optimizers import Adam

    start = parameters(sizes, rng)
    weights = [w.copy() for w in start]
    grads = [rng.standard_normal(w.shape, dtype=np.float32) * 1e-2 for w in start]
    numpy_adam = Adam(learning_rate=0.001)
    numpy_adam.build(weights)
    b1, b2, eps = numpy_adam.beta_1, numpy_adam.beta_2, numpy_adam.epsilon
    moments = [[np.zeros_like(w) for w in start] for _ in range(2)]
    t = 1
    constants = {
        "c1": np.float32(1.0 - b1),
        "c2": np.float32(1.0 - b2),
        "b2": np.float32(b2),
        "bc2": np.float32(math.sqrt(1.0 - b2**t)),
        "eps": np.float32(eps),
        "step": np.float32(0.001 / (1.0 - b1**t)),
    }

    def with_numpy() -> None:  # Adam.apply: the in-place rule, one scratch array per weight
        numpy_adam.iterations = 0
        numpy_adam.apply(weights, grads)

    def with_numexpr() -> None:
        for w, g, m, v in zip(weights, grads, *moments, strict=True):
            names = {"w": w, "g": g, "m": m, "v": v, **constants}
            ne.evaluate("m + c1 * (g - m)", local_dict=names, out=m)
            ne.evaluate("b2 * v + (c2 * g) * g", local_dict=names, out=v)
            ne.evaluate("w - step * (m / (sqrt(v) / bc2 + eps))", local_dict=names, out=w)

    def reset() -> None:
        for w, s in zip(weights, start, strict=True):
            w[...] = s
        for array in (*numpy_adam.first_moments, *numpy_adam.second_moments, *moments[0]):
            array[...] = 0.0
        for array in moments[1]:
            array[...] = 0.0

    return Piece(
        "Adam update",
        f"{len(start)} arrays",
        with_numpy,
        None if ne is None else with_numexpr,
        None,
        reset,
        lambda: np.concatenate([w.ravel() for w in weights]),
    )


def pieces(shapes: Shapes, ne: Any, blas: Any, seed: int = 0) -> list[Piece]:
    rng = np.random.default_rng(seed)
    found: list[Piece] = []
    for batch in shapes.batches:
        for width in shapes.sizes[1:-1]:
            found.append(relu_backward(batch, width, ne, rng))
        found.append(softmax(batch, shapes.sizes[-1], ne, rng))
    found.append(sgd_update(shapes.sizes, ne, blas, rng))
    found.append(adam_update(shapes.sizes, ne, rng))
    return found


def time_once(run: Callable[[], Any], reset: Callable[[], None], calls: int) -> float:
    """Seconds per call of ``calls`` calls (wall clock: at 2 threads the work is not all this
    thread's); ``reset`` once before them."""
    reset()
    start = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - start) / calls


def same_bits(piece: Piece, run: Callable[[], Any]) -> bool:
    """Whether one run of ``run`` leaves ``piece.result()`` with the bits one NumPy run leaves."""
    piece.reset()
    piece.numpy()
    expected = piece.result().copy()
    piece.reset()
    run()
    return piece.result().tobytes() == expected.tobytes()


def measure(piece: Piece, repeats: int, calls: int) -> dict[str, Any]:
    """Microseconds per call, the best of ``repeats`` rounds, the forms taking turns."""
    forms = {"numpy": piece.numpy, "numexpr": piece.numexpr, "axpy": piece.axpy}
    present = {name: run for name, run in forms.items() if run is not None}
    best = dict.fromkeys(present, math.inf)
    for run in present.values():  # warm up each once (numexpr compiles its expression)
        time_once(run, piece.reset, 1)
    for round_ in range(repeats):
        names = list(present)
        names = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in names:
            best[name] = min(best[name], time_once(present[name], piece.reset, calls))
    found: dict[str, Any] = {name: best.get(name) for name in forms}
    for name in ("numexpr", "axpy"):
        found[f"{name}_bits"] = None if forms[name] is None else same_bits(piece, forms[name])
    return found


def row(piece: Piece, threads: int, found: dict[str, Any]) -> str:
    def us(value: float | None) -> str:
        return MISSING if value is None else f"{value * 1e6:.1f}"

    def ratio(value: float | None) -> str:
        return "" if value is None else f" ({value / found['numpy']:.2f}x)"

    def bits(value: bool | None) -> str:
        return MISSING if value is None else ("yes" if value else "no")

    return (
        f"| {piece.name} | {piece.shape} | {threads} | {us(found['numpy'])} | "
        f"{us(found['numexpr'])}{ratio(found['numexpr'])} | "
        f"{us(found['axpy'])}{ratio(found['axpy'])} | "
        f"{bits(found['numexpr_bits'])} / {bits(found['axpy_bits'])} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.accelerators",
        description="The MLP's element-wise pieces: NumPy vs numexpr vs SciPy BLAS axpy.",
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (best kept)")
    parser.add_argument("--calls", type=int, default=50, help="calls per timed round")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes (a smoke run)")
    args = parser.parse_args(argv)
    for name, value in (("--repeats", args.repeats), ("--calls", args.calls)):
        if value < 1:
            sys.exit(f"python -m benchmarks.accelerators: {name} must be at least 1, got {value}")
    if any(n < 1 for n in args.threads):
        sys.exit(f"python -m benchmarks.accelerators: --threads must be >= 1, got {args.threads}")
    ne, blas = numexpr_module(), scipy_blas()
    if ne is None:
        print("numexpr is not installed: pip install numexpr (its column is left empty)")
    if blas is None:
        print("SciPy is not installed: pip install scipy (its axpy column is left empty)")
    shapes = TINY if args.tiny else FULL
    print(
        f"NumPy {np.__version__}, numexpr {getattr(ne, '__version__', MISSING)}, SciPy "
        f"{_scipy_version()}; float32; microseconds per call, the best of {args.repeats} "
        f"rounds of {args.calls} calls; (x): the accelerator's time over NumPy's"
    )
    print()
    print("| piece | shape | threads | NumPy µs | numexpr µs | SciPy axpy µs | same bits |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for threads in args.threads:
        if ne is not None:
            ne.set_num_threads(threads)
        with threads_limited(threads):
            for piece in pieces(shapes, ne, blas):
                print(row(piece, threads, measure(piece, args.repeats, args.calls)), flush=True)
    return 0


def _scipy_version() -> str:
    try:
        import scipy
    except ImportError:
        return MISSING
    return str(scipy.__version__)


if __name__ == "__main__":
    raise SystemExit(main())
