"""Run a grid of cells: resumable, in parallel processes, with a deadline that still leaves useful results.

- A cell whose complete result JSON exists is skipped (resume). A cell with a partial result or a
  run folder is continued from its last checkpoint (the trainer resumes with identical RNG state).
- `workers > 1` (or a deadline) runs each cell in its own spawned process; Cross-Augmented cells wait
  for the base cells they start from.
- Each cell writes its JSON the moment it finishes. At the deadline, on SIGTERM or Ctrl-C, running
  cells are stopped and a *partial* result (`complete: false`, best-so-far per selection mode from
  the eval log, epochs done) is written for each, so the tables can still show them, marked.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from xner.errors import XnerError
from xner.experiments.grid import (
    RESULT_NEUTRAL_TRAIN,
    Cell,
    GridConfig,
    base_cells,
    dependencies,
    expand,
    result_status,
)
from xner.experiments.provenance import git_info, machine_info
from xner.experiments.results import GERMAN_NOTE, RESULT_SCHEMA
from xner.io import write_json_atomic
from xner.transfer.config import AugmentConfig, TranslateConfig


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def threads_per_worker(grid: GridConfig) -> int:
    if grid.threads:
        return grid.threads
    return max(1, (os.cpu_count() or 1) // grid.workers)


def cell_payload(cell: Cell, grid: GridConfig, body: dict, wall_s: float, started: str, command: str,
                 git: dict | None = None) -> dict:
    """The result JSON: what `xner.transfer` measured plus everything needed to trust and redo it."""
    cfg = cell.config
    notes = list(body.pop("notes", []))
    if cfg.lang == "de" and GERMAN_NOTE not in notes:
        notes.append(GERMAN_NOTE)
    return {
        "schema": RESULT_SCHEMA,
        "lang": cfg.lang,
        "variant": cfg.variant,
        "seed": cfg.seed,
        "tag": cell.tag,
        "budget": cfg.budget.name,
        "budget_description": cfg.budget.describe(),
        "complete": body.pop("complete", True),
        "requested_seeds": list(cell.requested_seeds),
        **body,
        "notes": notes,
        "config": cfg.to_dict(),
        "grid": grid.to_dict(),
        "git": git or git_info(),
        "machine": machine_info(cfg.device),
        "wall_s": round(wall_s, 1),
        "started": started,
        "finished": _now(),
        "command": command,
        "run_dir": str(cell.run_dir),
    }


def run_cell(cell: Cell, grid: GridConfig, command: str, all_cells: list[Cell]) -> dict:
    """Train (or continue) one cell and write its complete result JSON; returns the payload."""
    from xner.transfer.variants import run_transfer_cell

    started, t0 = _now(), time.time()
    git = git_info()  # the code this run started with, not whatever is checked out when it ends
    _check_same_setting(cell)
    cell.run_dir.mkdir(parents=True, exist_ok=True)
    prev = _previous_wall(cell)
    bases = base_cells(cell, all_cells)

    def on_progress(partial: dict) -> None:
        """After every evaluation: a partial result, so even a hard kill leaves the best-so-far numbers."""
        payload = cell_payload(cell, grid, dict(partial), prev + time.time() - t0, started, command, git)
        payload["complete"] = False
        write_json_atomic(cell.result_path, payload)

    body = run_transfer_cell(cell.config, cell.run_dir, base_cells=bases, on_progress=on_progress)
    payload = cell_payload(cell, grid, body, prev + time.time() - t0, started, command, git)
    write_json_atomic(cell.result_path, payload)
    return payload


def _comparable(config: dict) -> dict:
    """The parts of a cell config that change its result (device and reported modes do not)."""
    out = {k: v for k, v in config.items() if k not in ("device", "modes")}
    out["train"] = {k: v for k, v in (out.get("train") or {}).items() if k not in RESULT_NEUTRAL_TRAIN}
    if out.get("variant") != "cross-augmented":
        out.pop("augment", None)
    elif isinstance(out.get("augment"), dict):  # older results may carry fields removed since (same meaning)
        out["augment"] = AugmentConfig.from_dict(out["augment"]).to_dict()
    if isinstance(out.get("translate"), dict):  # older translate-train results lack fields added since
        out["translate"] = TranslateConfig.from_dict(out["translate"]).to_dict()
    if out.get("variant") == "cross-augmented":
        # the tgt-unlab mode holds sentences out of pseudo-labelling, which changes every mode's result
        out["held_out_for_tgt_unlab"] = "tgt-unlab" in (config.get("modes") or ())
    return out


def _check_same_setting(cell: Cell) -> None:
    """Refuse to continue a cell whose existing result was made with other settings (e.g. a reused --tag)."""
    try:
        old = json.loads(cell.result_path.read_text(encoding="utf-8")).get("config")
    except (FileNotFoundError, json.JSONDecodeError):
        return
    if old is not None and _comparable(old) != _comparable(cell.config.to_dict()):
        raise XnerError("a result with other settings already lives here; give this setting its own --tag",
                        cell.result_path)


def salvage_cell(cell: Cell, grid: GridConfig, command: str, all_cells: list[Cell], wall_s: float,
                 machine: str | None = None) -> dict | None:
    """A result from whatever the cell logged before it was stopped (None if it logged nothing); complete
    only when the log shows the whole budget was trained. `machine`: where the run folder was made, when
    it was copied here from another machine (the result says both)."""
    from xner.transfer.variants import summarise_transfer_cell

    if not cell.run_dir.is_dir():
        return None
    bases = base_cells(cell, all_cells)
    try:
        body = summarise_transfer_cell(cell.config, cell.run_dir, base_cells=bases, complete=None)
    except (XnerError, FileNotFoundError, json.JSONDecodeError, KeyError, ValueError):
        return None
    if body is None:
        return None
    payload = cell_payload(cell, grid, body, _previous_wall(cell) + wall_s, "", command)
    if machine:
        payload["machine"] = {"summary": machine, "salvaged_on": payload["machine"]}
    write_json_atomic(cell.result_path, payload)
    return payload


def _previous_wall(cell: Cell) -> float:
    """Wall time already spent on a partial result of this cell (so resumed cells report the total)."""
    try:
        data = json.loads(cell.result_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return 0.0
    return float(data.get("wall_s", 0.0)) if not data.get("complete") else 0.0


def _worker(cell: Cell, grid: GridConfig, command: str, all_cells: list[Cell], threads: int, log_path: str) -> None:
    """Body of a spawned process: one cell, output to the cell's log file, exit code 0 = done."""
    from xner.threads import configure_threads

    configure_threads(threads)
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8", buffering=1) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
        try:
            run_cell(cell, grid, command, all_cells)
        except BaseException:  # noqa: BLE001 - report anything, including XnerError, to the log
            traceback.print_exc()
            log.flush()
            os._exit(1)
    os._exit(0)


@dataclass
class GridReport:
    done: list[str] = field(default_factory=list)  # finished in this call
    skipped: list[str] = field(default_factory=list)  # already complete
    partial: list[str] = field(default_factory=list)  # stopped with a partial result
    failed: list[str] = field(default_factory=list)  # crashed (see the cell's log)
    not_started: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    stopped: str | None = None  # why running cells were stopped early: "deadline", "SIGTERM" or "SIGINT"


def pending_cells(cells: list[Cell], report: GridReport) -> list[Cell]:
    """The cells without a complete result; the others are recorded as skipped in `report`."""
    todo: list[Cell] = []
    for cell in cells:
        if result_status(cell) == "done":
            report.skipped.append(cell.name)
        else:
            todo.append(cell)
    return todo


def run_grid(grid: GridConfig, command: str = "", echo: Callable[[str], None] = print) -> GridReport:
    """Run every cell of `grid` that has no complete result; see the module docstring."""
    cells = expand(grid)
    report = GridReport()
    t0 = time.time()
    todo = pending_cells(cells, report)
    echo(f"grid: {len(cells)} cells, {len(report.skipped)} already done, {len(todo)} to run "
         f"(budget {grid.budget.name}: {grid.budget.describe()}; device {grid.device}; workers {grid.workers})")
    if not todo:
        report.wall_s = time.time() - t0
        return report
    if grid.workers == 1 and grid.deadline_s is None:
        _run_inline(todo, cells, grid, command, report, echo)
    else:
        _run_parallel(todo, cells, grid, command, report, echo)
    report.wall_s = time.time() - t0
    return report


def _deps_state(cell: Cell, cells: list[Cell], finished: set[str], failed: set[str]) -> str:
    deps = dependencies(cell, cells)
    if any(d.name in failed for d in deps):
        return "blocked"
    if all(d.name in finished or result_status(d) == "done" for d in deps):
        return "ready"
    return "wait"


def _run_inline(todo, cells, grid, command, report, echo) -> None:
    from xner.threads import configure_threads

    if grid.threads:
        configure_threads(grid.threads)
    finished: set[str] = set()
    failed: set[str] = set()
    for cell in todo:
        if _deps_state(cell, cells, finished, failed) != "ready":
            report.not_started.append(cell.name)
            continue
        echo(f"start {cell.name}")
        t = time.time()
        try:
            payload = run_cell(cell, grid, command, cells)
        except KeyboardInterrupt:
            payload = salvage_cell(cell, grid, command, cells, time.time() - t)
            if payload:
                report.partial.append(cell.name)
                echo(f"stopped {cell.name}: partial result written to {cell.result_path}")
            raise
        except Exception as err:  # noqa: BLE001 - one broken cell must not stop the grid
            failed.add(cell.name)
            report.failed.append(cell.name)
            cell.run_dir.mkdir(parents=True, exist_ok=True)
            with open(cell.run_dir / "log.txt", "a", encoding="utf-8") as log:
                traceback.print_exc(file=log)
            echo(f"FAILED {cell.name}: {type(err).__name__}: {err} (traceback in {cell.run_dir / 'log.txt'})")
            continue
        finished.add(cell.name)
        report.done.append(cell.name)
        echo(f"done  {cell.name} in {time.time() - t:.0f}s: " + _summary(payload))


def _summary(payload: dict) -> str:
    return ", ".join(f"{m} {v['test_f1']:.2f}" for m, v in payload.get("modes", {}).items() if v)


class _Stop(Exception):
    pass


def _run_parallel(todo, cells, grid, command, report, echo) -> None:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # CUDA cannot be used in forked children
    threads = threads_per_worker(grid)
    deadline = time.time() + grid.deadline_s if grid.deadline_s is not None else None
    pending = list(todo)
    running: dict[str, tuple[Cell, object, float]] = {}
    finished: set[str] = set()
    failed: set[str] = set()
    stop = {"reason": None}

    def on_signal(signum, _frame):
        stop["reason"] = signal.Signals(signum).name

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while pending or running:
            if deadline is not None and time.time() >= deadline:
                stop["reason"] = stop["reason"] or "deadline"
            if stop["reason"]:
                break
            for name, (cell, proc, t) in list(running.items()):
                if proc.is_alive():
                    continue
                proc.join()
                del running[name]
                if proc.exitcode == 0 and result_status(cell) == "done":
                    finished.add(name)
                    report.done.append(name)
                    payload = json.loads(cell.result_path.read_text(encoding="utf-8"))
                    echo(f"done  {name} in {time.time() - t:.0f}s: " + _summary(payload))
                elif proc.exitcode is not None and proc.exitcode < 0:  # killed by a signal (not by us): keep its work
                    failed.add(name)
                    payload = salvage_cell(cell, grid, command, cells, time.time() - t)
                    (report.partial if payload else report.failed).append(name)
                    echo(f"KILLED {name} (signal {-proc.exitcode}); "
                         + ("partial result written" if payload else f"see {cell.run_dir / 'log.txt'}"))
                else:
                    failed.add(name)
                    report.failed.append(name)
                    echo(f"FAILED {name} (exit {proc.exitcode}); see {cell.run_dir / 'log.txt'}")
            for cell in list(pending):
                if len(running) >= grid.workers:
                    break
                state = _deps_state(cell, cells, finished, failed)
                if state == "blocked":
                    pending.remove(cell)
                    report.not_started.append(cell.name)
                    echo(f"skip  {cell.name}: a base cell failed")
                elif state == "ready":
                    pending.remove(cell)
                    proc = ctx.Process(target=_worker, args=(cell, grid, command, cells, threads,
                                                             str(cell.run_dir / "log.txt")), daemon=False)
                    proc.start()
                    running[cell.name] = (cell, proc, time.time())
                    echo(f"start {cell.name} (pid {proc.pid})")
            if pending and not running and all(_deps_state(c, cells, finished, failed) == "wait" for c in pending):
                report.not_started.extend(c.name for c in pending)  # cannot happen unless a dep was never listed
                break
            time.sleep(0.5)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    if stop["reason"]:
        report.stopped = stop["reason"]
        echo(f"stopping ({stop['reason']}): {len(running)} running cell(s) get partial results")
        for name, (cell, proc, t) in running.items():
            proc.terminate()
        for name, (cell, proc, t) in running.items():
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
            payload = salvage_cell(cell, grid, command, cells, time.time() - t)
            if payload:
                report.partial.append(name)
                echo(f"partial {name}: {payload.get('progress', {}).get('summary', '')} " + _summary(payload))
            else:
                report.not_started.append(name)
        report.not_started.extend(c.name for c in pending)


def salvage_grid(grid: GridConfig, command: str = "", machine: str | None = None) -> list[tuple[str, str]]:
    """For cells killed without a result (e.g. SIGKILL), write partial results from their run folders."""
    cells = expand(grid)
    out = []
    for cell in cells:
        status = result_status(cell)
        if status == "done":
            out.append((cell.name, "done"))
            continue
        payload = salvage_cell(cell, grid, command, cells, 0.0, machine)
        out.append((cell.name, ("done" if payload["complete"] else "partial") if payload else "nothing"))
    return out
