"""Thread settings: torch and numpy's BLAS follow `configure_threads`, child environments carry the thread count."""

from __future__ import annotations

import numpy  # noqa: F401  (loads the BLAS that threadpoolctl sees)
import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from xner.threads import THREAD_ENV_VARS, available_cores, configure_threads, limited_threads, worker_env


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_configure_threads_sets_torch_and_zero_means_all_cores():
    before = torch.get_num_threads()
    try:
        assert configure_threads(1) == 1 and torch.get_num_threads() == 1
        assert configure_threads(0) == available_cores() == torch.get_num_threads()
        with pytest.raises(ValueError):
            configure_threads(-1)
    finally:
        torch.set_num_threads(before)


def test_worker_env_sets_every_thread_variable_and_keeps_the_rest():
    env = worker_env(1, {"PATH": "/bin", "OMP_NUM_THREADS": "8"})
    assert env["PATH"] == "/bin" and all(env[name] == "1" for name in THREAD_ENV_VARS)


def test_numpy_blas_follows_the_thread_setting():
    """Evaluation runs its matrix products in numpy: `--threads 1` must mean one BLAS thread too (issue 21)."""
    if not blas_threads():
        pytest.skip("numpy reports no BLAS library to threadpoolctl")
    before = torch.get_num_threads()
    with threadpool_limits(limits=None):  # restores the BLAS setting afterwards
        try:
            configure_threads(1)
            assert blas_threads() == {1}
            configure_threads(0)
            assert blas_threads() == {available_cores()}
            with limited_threads(1):
                assert blas_threads() == {1} and torch.get_num_threads() == 1
            assert blas_threads() == {available_cores()} and torch.get_num_threads() == available_cores()
        finally:
            torch.set_num_threads(before)
