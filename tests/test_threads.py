"""Thread settings: torch follows `configure_threads`, child environments carry the thread count."""

from __future__ import annotations

import pytest
import torch

from xner.threads import THREAD_ENV_VARS, available_cores, configure_threads, worker_env


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
