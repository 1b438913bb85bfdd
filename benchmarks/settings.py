"""The sizes of a full run and of a ``--quick`` one (no heavy imports here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    rows: int  # rows of the synthetic MNIST-sized data
    cnn_rows: int  # 28x28x1 images per epoch of the small CNN
    seed_steps: int  # training steps of the seed toy
    wide_rows: int  # rows per timed run of the wide MLP (128 per step)
    matmul: int  # n of the (n, n) @ (n, n) float32 matmul
    repeats: int  # timed runs per library and case
    seed_repeats: int  # timed runs of the seed toy (cheap, and the noisiest)
    import_runs: int  # fresh interpreters timed by -X importtime


FULL = Sizes(
    rows=60_000,
    cnn_rows=10_000,
    seed_steps=1000,
    wide_rows=12_800,
    matmul=4096,
    repeats=9,  # 5 left ratios swinging 20-40% on a shared 2-core VM (stop 27 runs)
    seed_repeats=21,  # 10-20 ms rounds: cheap, and the ones a VM's speed changes sway most
    import_runs=7,
)
QUICK = Sizes(
    rows=512,
    cnn_rows=128,
    seed_steps=20,
    wide_rows=256,
    matmul=256,
    repeats=1,
    seed_repeats=1,
    import_runs=1,
)
