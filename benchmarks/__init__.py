"""glassnet against PyTorch eager on the CPU, side by side (`python -m benchmarks`, `make bench`).

Every case times glassnet and PyTorch (autograd, ``torch.optim``, the same thread count) in one
process, alternating run by run, and reports medians and the ratio glassnet / PyTorch (the median
of each round's ratio: both sides of a round see the machine in the same state):

1. the seed toy: 3-4-1 sigmoid, 4 samples, full batch, 1000 steps, float64 and float32;
2. an MNIST-sized MLP, 784-256-128-10 ReLU, softmax cross-entropy, SGD 0.1, one shuffled epoch of
   60,000 synthetic float32 rows at batch 128 and at batch 32;
3. a wide MLP, 784-1024-1024-10, at batch 128, with glassnet's GFLOP/s against a large float32
   matmul's;
4. ``predict`` on 60,000 rows.

Peak memory is read by a separate process for each library (``benchmarks.memory``), the import time
with ``python -X importtime``. ``--quick`` runs everything on tiny sizes in seconds (the test does).
On AMD Zen 4 NumPy's OpenBLAS is pointed at its AVX2 kernels, faster there than its own
AVX-512 choice (``benchmarks.blas``; ``--openblas-core default`` turns that off). This module
imports nothing heavy: ``__main__`` sets the thread count and the kernels before NumPy loads.
"""
