"""CPU thread settings for torch (and faiss) on small machines. All (ours): the paper trains on GPUs.

- `available_cores()`: the cores this process may run on (its CPU affinity), not the machine's count.
- `configure_threads(threads)`: set torch's intra-op threads (`0`: `available_cores()`), torch's
  inter-op pool to 1 (nothing here runs independent ops concurrently; call before any torch work, later
  calls leave the pool as it is), numpy's BLAS threads (threadpoolctl; the fast inference path's matrix
  products run in numpy) and faiss's OpenMP threads when faiss is already imported (CSLS in `xner align`
  otherwise follows torch's number itself). Returns the number of intra-op threads. Every command that
  takes `--threads` goes through it; `limited_threads(n)` does the same for a block and restores after.
- `worker_env(threads)`: environment variables for a child process (OMP/MKL/OpenBLAS threads), so a
  process-per-cell grid does not start N processes that each spawn one thread per core.

Which number to use:
- N processes on N cores (a grid of cells, or serving beside a training job): 1 thread each. The
  tagger's matrices are small (hidden 100, char hidden 25, batch 16 in training), so one core per
  process is the efficient split; 2 threads in each of 2 processes on 2 cores oversubscribe the cores
  and both slow down.
- batch-1 tagging (a served model answering single sentences): 1 thread; a one-sentence call is a
  chain of small ops where a second thread only adds synchronisation.
- evaluation during training (batches of 256 through the numpy recurrence): 1 thread as well; the
  matrices are too small for a second BLAS thread to pay (issue 21). Before numpy's BLAS was limited, a
  base cell run with `--threads 1` still evaluated with OpenBLAS's default of one thread per core
  (`results/bench_cell.json`: 1002 s with it beside another job, 795 s alone after the fix).
- one job alone on the machine with large matrix work (faiss CSLS over 200,000 x 200,000
  similarities): `threads=0`, all available cores.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def available_cores() -> int:
    """Cores this process may run on (`os.sched_getaffinity` where the platform has it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def configure_threads(threads: int = 0) -> int:
    """Set torch (and an imported faiss) to `threads` CPU threads (0: all available cores); returns it."""
    import torch

    if threads < 0:
        raise ValueError(f"threads must be >= 0, not {threads}")
    n = threads or available_cores()
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or inter-op work already started: keep the pool
        pass
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")  # stays in force (not used as a context manager)
    return n


@contextmanager
def limited_threads(threads: int):
    """torch and numpy's BLAS at `threads` (>= 1) inside the block, as they were after it."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        with threadpool_limits(limits=max(1, threads), user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)


def worker_env(threads: int = 1, base: dict | None = None) -> dict:
    """A copy of `base` (default `os.environ`) with the BLAS/OpenMP thread variables set to `threads`."""
    env = dict(os.environ if base is None else base)
    env.update({name: str(threads) for name in THREAD_ENV_VARS})
    return env
