"""Run the experiment grid's cells as Ray tasks, on this machine or on an existing Ray cluster.

`run_grid_ray(grid, address=None)` is `xner.experiments.runner.run_grid` with Ray as the scheduler:
every cell without a complete result becomes one task that calls the same `run_cell`, so a cell writes
the same result JSON whichever runner ran it, and a finished cell is skipped on the next run. A
Cross-Augmented cell's task takes its base cells' tasks as arguments, so Ray starts it only after they
succeed. A task that dies with its worker (preemption, OOM) is retried by Ray and resumes from its own
last checkpoint; only that cell loses time.

- `address=None`: a private local Ray instance on 127.0.0.1 with `grid.workers` task slots
  (`grid.workers * threads` CPUs), shut down afterwards.
- `address="auto"`, `"HOST:6379"` or `"ray://HOST:10001"` (or `$RAY_ADDRESS`): an existing cluster. Every node needs xner installed and
  the data, and the results/runs folders must be the same shared folder on every node (tasks `chdir`
  to the driver's working directory, so relative `--results/--runs` paths resolve there). The driver
  also writes each returned result, so base-variant results reach the driver's disk in any case.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

from xner.errors import XnerError
from xner.experiments.grid import Cell, GridConfig, dependencies, expand
from xner.experiments.runner import GridReport, _summary, pending_cells, run_cell, salvage_cell
from xner.io import write_json_atomic

# Environment a task needs to find the same data and caches as the driver.
FORWARDED_ENV = ("XNER_DATA", "XNER_CACHE", "XNER_GIT_COMMIT", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def ray_threads(grid: GridConfig, local: bool) -> int:
    """Torch threads (= Ray CPUs) per cell: `grid.threads`, else cpu_count // workers locally, 1 on a cluster."""
    if grid.threads:
        return grid.threads
    return max(1, (os.cpu_count() or 1) // grid.workers) if local else 1


def _cell_task(cell: Cell, grid: GridConfig, command: str, all_cells: list[Cell], threads: int, cwd: str,
               *_bases: Any) -> dict:
    """Body of one Ray task (`_bases` are the base cells' results, passed only to order the tasks)."""
    from xner.threads import configure_threads

    if not Path(cwd).is_dir():
        raise XnerError(f"the driver's working directory {cwd} does not exist on this Ray node; "
                        "run the grid from a folder shared by all nodes")
    os.chdir(cwd)
    configure_threads(threads)
    cell.run_dir.mkdir(parents=True, exist_ok=True)
    with open(cell.run_dir / "log.txt", "a", encoding="utf-8", buffering=1) as log, \
            contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        return run_cell(cell, grid, command, all_cells)


def _check_reachable(address: str, timeout_s: float = 10.0) -> None:
    """Fail fast on a HOST:PORT nobody listens on (Ray itself retries for minutes); `auto` is left to Ray."""
    import socket

    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as err:
        raise XnerError(f"cannot reach the Ray cluster at {address}: {err}") from None


def _init_ray(address: str | None, num_cpus: int, env: dict[str, str]):
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
    try:
        import ray
    except ImportError:
        raise XnerError("Ray is not installed: pip install 'xner[ray]'") from None
    runtime_env = {"env_vars": env} if env else None  # a local instance's workers inherit the driver's env
    if address is None:
        ray.init(num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                 object_store_memory=100 * 1024 * 1024, log_to_driver=False)
    else:
        _check_reachable(address)
        try:
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
        except (ConnectionError, ray.exceptions.RayError) as err:
            raise XnerError(f"cannot connect to the Ray cluster at {address}: {err} (a cluster with token "
                            "authentication needs RAY_AUTH_MODE=token and its token in ~/.ray/auth_token or "
                            "$RAY_AUTH_TOKEN; on the head node, --address auto finds both)") from None
    return ray


def run_grid_ray(grid: GridConfig, command: str = "", echo: Callable[[str], None] = print,
                 address: str | None = None, max_retries: int = 2) -> GridReport:
    """Run every cell of `grid` without a complete result as a Ray task; see the module docstring."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    cells = expand(grid)
    report = GridReport()
    t0 = time.time()
    todo = pending_cells(cells, report)
    local = address is None
    threads = ray_threads(grid, local)
    where = "local Ray on 127.0.0.1" if local else f"Ray cluster {address}"
    echo(f"grid: {len(cells)} cells, {len(report.skipped)} already done, {len(todo)} to run on {where} "
         f"(budget {grid.budget.name}: {grid.budget.describe()}; {threads} thread(s) per cell"
         + (f", {grid.workers} at a time)" if local else ")"))
    if not todo:
        report.wall_s = time.time() - t0
        return report

    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    ray = _init_ray(address, grid.workers * threads, env)
    try:
        _submit_and_wait(ray, todo, cells, grid, command, threads, max_retries, report, echo)
    finally:
        ray.shutdown()
    report.wall_s = time.time() - t0
    return report


def _submit_and_wait(ray, todo: list[Cell], cells: list[Cell], grid: GridConfig, command: str, threads: int,
                     max_retries: int, report: GridReport, echo: Callable[[str], None]) -> None:
    gpus = 1 if grid.device.startswith("cuda") else 0
    task = ray.remote(num_cpus=threads, num_gpus=gpus, max_retries=max_retries)(_cell_task)
    cwd = os.getcwd()
    cells_ref = ray.put(cells)
    grid_ref = ray.put(grid)
    refs: dict[str, Any] = {}
    by_ref: dict[Any, Cell] = {}
    for cell in todo:  # `expand` puts bases before the cells that need them
        bases = [refs[d.name] for d in dependencies(cell, cells) if d.name in refs]
        ref = task.options(name=cell.name).remote(cell, grid_ref, command, cells_ref, threads, cwd, *bases)
        refs[cell.name] = ref
        by_ref[ref] = cell
        echo(f"queued {cell.name}")
    deadline = time.time() + grid.deadline_s if grid.deadline_s is not None else None
    started = time.time()
    pending = list(by_ref)
    try:
        while pending:
            timeout = None if deadline is None else max(0.0, deadline - time.time())
            ready, pending = ray.wait(pending, num_returns=1, timeout=timeout)
            if not ready:  # deadline
                _stop(ray, pending, by_ref, cells, grid, command, started, report, echo, "deadline")
                return
            cell = by_ref[ready[0]]
            base_refs = [refs[d.name] for d in dependencies(cell, cells) if d.name in refs]
            _collect(ray, ready[0], cell, base_refs, started, report, echo)
    except KeyboardInterrupt:
        _stop(ray, pending, by_ref, cells, grid, command, started, report, echo, "interrupted")
        raise


def _failed(ray, ref) -> bool:
    try:
        ray.get(ref)
    except ray.exceptions.RayError:
        return True
    return False


def _collect(ray, ref, cell: Cell, base_refs: list, started: float, report: GridReport,
             echo: Callable[[str], None]) -> None:
    try:
        payload = ray.get(ref)
    except ray.exceptions.RayError as err:  # the cell raised, or its worker/node was lost after the retries
        if any(_failed(ray, b) for b in base_refs):  # Ray never ran it: a base cell's error was passed on
            report.not_started.append(cell.name)
            echo(f"skip  {cell.name}: a base cell failed")
        else:
            report.failed.append(cell.name)
            cause = getattr(err, "cause", None) or err
            echo(f"FAILED {cell.name}: {type(cause).__name__}: {cause}; see {cell.run_dir / 'log.txt'}")
        return
    if not cell.result_path.is_file() or json.loads(cell.result_path.read_text(encoding="utf-8")) != payload:
        write_json_atomic(cell.result_path, payload)  # a worker on another node wrote it to its own disk
    report.done.append(cell.name)
    echo(f"done  {cell.name} after {time.time() - started:.0f}s: " + _summary(payload))


def _stop(ray, pending, by_ref, cells, grid, command, started, report, echo, reason: str) -> None:
    """Cancel unfinished tasks; cells that had started get partial results from their eval logs."""
    echo(f"stopping ({reason}): cancelling {len(pending)} unfinished cell(s)")
    for ref in pending:
        ray.cancel(ref, force=True)
    for ref in pending:
        cell = by_ref[ref]
        payload = salvage_cell(cell, grid, command, cells, time.time() - started)
        if payload:
            report.partial.append(cell.name)
            echo(f"partial {cell.name}: " + _summary(payload))
        else:
            report.not_started.append(cell.name)
