#!/usr/bin/env python
"""Wall time of whole experiment cells (issue 21): one base cell and one Cross-Augmented cell at a budget.
Each call's measurements go under `runs.<tag>` of the output file (other tags' entries are kept).

    python benchmarks/bench_cell.py [--lang es] [--budget full] [--base-variant cross-word]
                                    [--mode tgt-dev --mode src-dev --mode tgt-unlab] [--augmented]
                                    [--mapping .supervised] [--tag bench] [--out results/bench_cell.json]

Runs `xner experiment run` (the grid runner, one worker, 1 torch thread, length-bucketed batches as every
grid here) for the base cell `--base-variant`, then with `--augmented` the Cross-Augmented cell that starts
from that base alone (`augment.base=<base variant>`), into `runs/bench_cell/` (results and run folders; a
finished cell is not rerun, so a killed benchmark continues). The mapping is the supervised reference
(`--mapping .supervised`, made first with `xner align --mode supervised` when missing: seconds), because the
cost of a cell does not depend on which mapping it reads. Records per cell: wall seconds (from the cell's
result), training seconds (SGD steps only), the rest (evaluation, checkpoints, loading), the number of
evaluations, the steps selected per mode, and, for a cell this call ran, the 1-minute load average before and
after: this machine is shared, so a wall time means little without it (a finished cell is collected, not
rerun). Cross-Augmented takes every `--mode`; the base cell takes them less `tgt-unlab`, which has no base
checkpoint of its own (label-free, it starts from the src-dev base).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(cmd: list[str]) -> None:
    print("+", shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def cell_summary(path: Path) -> dict:
    cell = json.loads(path.read_text(encoding="utf-8"))
    wall, train = cell.get("wall_s"), cell.get("train_seconds")
    modes = {m: {k: v.get(k) for k in ("step", "epoch", "iteration", "selection_f1", "test_f1") if k in v}
             for m, v in cell.get("modes", {}).items()}
    return {"result": str(path.relative_to(ROOT)), "complete": cell.get("complete"), "wall_s": wall,
            "train_seconds": train, "other_seconds": round(wall - train, 1) if wall and train else None,
            "sentences_per_second": cell.get("sentences_per_second"), "modes": modes,
            "evaluations": max((v.get("evaluations") or 0 for v in cell.get("modes", {}).values()), default=None),
            "started": cell.get("started"), "finished": cell.get("finished"), "git": cell.get("git")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", default="es")
    parser.add_argument("--budget", default="full")
    parser.add_argument("--base-variant", default="cross-word")
    parser.add_argument("--mode", action="append", default=None)
    parser.add_argument("--augmented", action="store_true", help="also the Cross-Augmented cell from that base")
    parser.add_argument("--mapping", default=".supervised", help="space.align_suffix of the mapping folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tag", default="bench", help="results tag (a new tag measures again from scratch)")
    parser.add_argument("--out", default=str(ROOT / "results" / "bench_cell.json"))
    args = parser.parse_args()
    modes = args.mode or ["tgt-dev", "src-dev"]
    from xner.experiments.provenance import git_info, machine_info
    from xner.io import write_json_atomic

    work = ROOT / "runs" / "bench_cell"
    align_dir = ROOT / "runs" / "align" / f"en-{args.lang}{args.mapping}"
    if args.mapping == ".supervised" and not (align_dir / "mapping.safetensors").is_file():
        run(["xner", "align", "--tgt", args.lang, "--mode", "supervised", "--out", str(align_dir)])
    common = ["--lang", args.lang, "--seed", str(args.seed), "--budget", args.budget, "--threads", "1",
              "--workers", "1", "--set", f"space.align_suffix={args.mapping}", "--set", "train.length_buckets=20",
              "--tag", args.tag, "--results", str(work / "results"), "--runs", str(work / "runs")]
    base_modes = [m for m in modes if m != "tgt-unlab"]
    out_path = Path(args.out)
    report = json.loads(out_path.read_text(encoding="utf-8")) if out_path.is_file() else {}
    report["what"] = "wall time of whole experiment cells, one at a time, 1 torch thread; one entry per --tag"
    report.setdefault("runs", {})
    out: dict = {"command": shlex.join(["python", "benchmarks/bench_cell.py"] + sys.argv[1:]),
                 "budget": args.budget, "lang": args.lang, "seed": args.seed, "mapping": f"en-{args.lang}{args.mapping}",
                 "git": git_info(), "machine": machine_info(), "cells": {}}
    report["runs"][args.tag] = out
    plan = [(args.base_variant, base_modes, [])]
    if args.augmented:
        plan.append(("cross-augmented", modes, ["--set", f"augment.base={args.base_variant}"]))
    for variant, cell_modes, extra in plan:
        def result() -> Path | None:
            found = sorted((work / "results").glob(f"*/{args.lang}/{variant}+{args.tag}/seed{args.seed}.json"))
            return found[-1] if found and json.loads(found[-1].read_text(encoding="utf-8")).get("complete") else None

        ran = result() is None  # a finished cell is only collected (its wall time is the one it was run with)
        before = [round(x, 2) for x in os.getloadavg()]
        run(["xner", "experiment", "run", "--variant", variant, *common, *extra,
             *[a for m in cell_modes for a in ("--mode", m)]])
        path = result()
        if path is None:
            raise SystemExit(f"no complete result of {variant} under {work / 'results'}")
        out["cells"][variant] = {**cell_summary(path), "modes_requested": cell_modes, "run_by_this_call": ran}
        if ran:
            out["cells"][variant].update(load_average_1m_before=before,
                                         load_average_1m_after=[round(x, 2) for x in os.getloadavg()])
        write_json_atomic(out_path, report)
    print(json.dumps(out["cells"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
