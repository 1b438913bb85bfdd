"""Where a glassnet training step spends its time, phase by phase (``python -m
benchmarks.profile``).

Each method that does one phase's work is wrapped, for the run only, in a timer that books its
own time (its time minus that of the wrapped methods it calls) to its phase: the products
(``Dense.forward`` / ``backward_delta`` without the checks and activations they call), the
activations, the loss, the update, the checks, the metrics, the callbacks. What is left of
``fit``'s time is the loop itself (the batch gather, the loss bookkeeping). The gather is also
timed on its own. The timers cost about half a microsecond per wrapped call, which the table
shows as what "instrumented" adds over the plain run. Times are this thread's CPU time
(``time.thread_time``), which other programs on a busy machine disturb less than the wall
clock; run it at one BLAS thread (``OPENBLAS_NUM_THREADS=1``) so that the products' work is
this thread's. The seed toy's step (the step plan's ``dense_step``, which writes those methods
out in one function) and the MLP's (``_mlp_step.MLPStep``, likewise) are profiled as the step
through the methods: the same operations (``dense_step`` calls ``ndarray.dot`` where the
methods call ``@``, the same BLAS product), booked by phase; the plain totals are the written-out
steps'.

Prints a markdown table per workload: the seed toy's ``fit`` and ``train_on_batch`` (float64,
per step) and the MNIST-sized MLP's epoch at batch 128 and 32 (float32, per step).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from benchmarks import cases
from glassnet import _step_plan, activations, callbacks, layers, losses, model, optimizers, training

CLOCK = time.thread_time

#: (owner, attribute, phase): every wrapped method, with the phase its own time is booked to
WRAPPED: tuple[tuple[Any, str, str], ...] = (
    (training, "run_epoch", "loop (gather, bookkeeping)"),
    (model.Sequential, "_data", "checks"),
    (model.Sequential, "_batch_data", "checks"),  # train_on_batch's x and y
    (model.Sequential, "_train_step", "loop (gather, bookkeeping)"),
    (model, "_quiet_train_on_batch_step", "loop (gather, bookkeeping)"),  # train_on_batch's step
    (model.Sequential, "forward", "forward products"),
    (layers.Dense, "forward", "forward products"),
    (layers.Dense, "forward_in_step", "forward products"),
    (model, "plan_for", "checks"),  # the step plan's key, compared every step
    (layers.Layer, "_check_input", "checks"),
    (model.Sequential, "_cost", "loss"),
    (losses.Loss, "compute", "loss"),
    (losses.Loss, "value_and_gradient", "loss"),
    (losses.HalfSumSquaredError, "value_and_gradient", "loss"),
    (losses.CategoricalCrossEntropy, "value_and_gradient", "loss"),
    (model.Sequential, "backward", "backward products"),
    (layers.Dense, "backward", "backward products"),
    (layers.Dense, "backward_delta", "backward products"),
    (losses.Loss, "fused_delta", "loss"),
    (losses.Loss, "compute_gradient", "loss"),
    (model.Sequential, "_apply_update", "update"),
    (optimizers.Optimizer, "apply", "update"),
    (optimizers.SGD, "apply", "update"),
    (optimizers.SGD, "apply_spending", "update"),  # fit's steps but each epoch's last
    (model.Sequential, "_metrics", "metrics"),
    (training, "all_finite_quietly", "checks"),
    (_step_plan.StepPlan, "weights_finite", "checks"),  # the weights after the update
    (training, "full_batch_epochs", "loop (gather, bookkeeping)"),  # the seed's fit's epochs
)


class Ledger:
    """Own time per phase: a stack of running timers, each paying its children's time back."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[float] = []  # per running wrapped call: its children's time so far

    def wrap(self, function: Callable[..., Any], phase: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(0.0)
            start = CLOCK()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = CLOCK() - start
                children = self.stack.pop()
                self.own[phase] += elapsed - children
                self.calls[phase] += 1
                if self.stack:
                    self.stack[-1] += elapsed

        return timed


@contextmanager
def instrumented(ledger: Ledger) -> Iterator[None]:
    """Every phase's methods wrapped (and every activation's ``__call__``/``backward``)."""
    saved: list[tuple[Any, str, Any]] = []
    targets = list(WRAPPED)
    for kind in vars(activations).values():
        if isinstance(kind, type) and issubclass(kind, activations.Activation):
            for name in ("__call__", "quietly", "backward", "backward_into"):
                if name in vars(kind):
                    targets.append((kind, name, "activations"))
    for owner, name, phase in targets:
        original = vars(owner)[name] if name in vars(owner) else getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, ledger.wrap(original, phase))
    # the seed's dense_step writes those methods out: its phases are booked as the step
    # through them (the same operations; the plain total is dense_step's own time)
    saved.append((_step_plan.StepPlan, "dense_step", vars(_step_plan.StepPlan)["dense_step"]))
    _step_plan.StepPlan.dense_step = _step_plan.StepPlan.layer_step  # type: ignore[method-assign]
    # so does the MLP's (glassnet/_mlp_step.py): switched off, fit takes the plan's step
    saved.append((training, "mlp_step", training.mlp_step))
    training.mlp_step = lambda *args, **kwargs: None  # type: ignore[assignment]
    hooks = callbacks.CallbackList.__getattr__  # the hooks are looked up by name: time each

    def timed_hook(self: Any, hook: str) -> Any:
        return ledger.wrap(hooks(self, hook), "callbacks")

    callbacks.CallbackList.__getattr__ = timed_hook  # type: ignore[method-assign]
    try:
        yield
    finally:
        callbacks.CallbackList.__getattr__ = hooks  # type: ignore[method-assign]
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def profile(workload: cases.Workload, steps: int, repeats: int = 3) -> dict[str, float]:
    """Microseconds per step: each phase's own time, the plain run's and the instrumented
    run's total (the best of ``repeats`` runs each)."""
    plain = []
    for _ in range(repeats):
        workload.reset()
        start = CLOCK()
        workload.run()
        plain.append(CLOCK() - start)
    best: dict[str, float] | None = None
    for _ in range(repeats):
        ledger = Ledger()
        workload.reset()
        with instrumented(ledger):
            start = CLOCK()
            workload.run()
            total = CLOCK() - start
        # every phase, 0 where nothing ran (fit computes no metrics when none are compiled)
        own = dict.fromkeys([phase for _, _, phase in WRAPPED], 0.0)
        own.update(dict.fromkeys(("activations", "callbacks"), 0.0), **ledger.own)
        own["fit setup (outside the epochs)"] = total - sum(own.values())
        own["instrumented total"] = total
        if best is None or total < best["instrumented total"]:
            best = own
    assert best is not None
    result = {phase: seconds / steps * 1e6 for phase, seconds in best.items()}
    result["plain total"] = min(plain) / steps * 1e6
    return result


def gather_us(x: np.ndarray, batch: int, repeats: int = 200) -> float:
    """One batch's ``x.take(index, axis=0)``, as fit gathers it, in microseconds."""
    index = np.random.default_rng(0).permutation(len(x))[:batch]
    start = CLOCK()
    for _ in range(repeats):
        x.take(index, axis=0)
    return (CLOCK() - start) / repeats * 1e6


def table(title: str, found: dict[str, float], gather: float | None = None) -> str:
    rows = [
        f"**{title}** (microseconds per step)",
        "",
        "| phase | µs | share |",
        "| --- | --- | --- |",
    ]
    total = found["instrumented total"]
    for phase, value in sorted(found.items(), key=lambda item: -item[1]):
        if phase.endswith("total"):
            continue
        rows.append(f"| {phase} | {value:.1f} | {value / total:.0%} |")
    if gather is not None:
        rows.append(f"| (of the loop: the gather alone) | {gather:.1f} | {gather / total:.0%} |")
    rows.append(f"| instrumented total | {total:.1f} | |")
    rows.append(f"| plain total (no timers) | {found['plain total']:.1f} | |")
    return "\n".join(rows)


#: the flags' bounds: 100,000 MNIST-sized float32 rows are 314 MB; 100,000 seed steps ~2 s
MAX_ROWS = 100_000
MAX_STEPS = 100_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("--rows", type=int, default=12_800, help="MLP rows (default %(default)s)")
    parser.add_argument("--steps", type=int, default=1000, help="seed toy steps")
    args = parser.parse_args(argv)
    for name, value, most in (("--rows", args.rows, MAX_ROWS), ("--steps", args.steps, MAX_STEPS)):
        if value < 1:  # 0 rows or steps: a bare ValueError or ZeroDivisionError from inside
            sys.exit(f"python -m benchmarks.profile: {name} must be at least 1, got {value}")
        if value > most:  # --rows 10**20: NumPy's 'Maximum allowed dimension exceeded' after
            # the seed toy's tables; --steps 10**23: a run without end
            sys.exit(f"python -m benchmarks.profile: {name} must be at most {most}, got {value}")
    steps = args.steps
    print(table("seed toy fit, float64", profile(cases.glassnet_seed_fit("float64", steps), steps)))
    print()
    found = profile(cases.glassnet_seed_steps("float64", steps), steps)
    print(table("seed toy train_on_batch, float64", found))
    x, y = cases.synthetic_data(args.rows)
    for batch in (128, 32):
        print()
        found = profile(cases.glassnet_epoch(cases.MLP, x, y, batch), -(-len(x) // batch), 1)
        print(table(f"MLP epoch, batch {batch}, float32", found, gather_us(x, batch)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
