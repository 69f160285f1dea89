#!/usr/bin/env python
"""Merge Cross-Augmented cell folders that were run one selection mode per process (scripts/gpu_augmented.sh)
into the one folder per cell that `xner experiment salvage` and `xner experiment table` read.

Each mode's folder holds one run (its own base checkpoint) and a cell_info.json whose plan names only that run
and whose data record lists only the sets that mode reads. The merged cell_info.json has the union of the plans
and of the data records, and all three modes; a run that two modes shared cannot be merged this way (refused).

  python scripts/merge_mode_runs.py --lang fi --seed 1 --seed 2 --seed 3 --from /tmp/gpuout \
      [--override tgt-test:2=/tmp/gpuout/tt2] --out runs/experiments
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from xner.errors import XnerError
from xner.io import write_json_atomic

MODES = ("tgt-dev", "src-dev", "tgt-test")


def merge_cell(sources: dict[str, Path], out: Path) -> dict:
    """`sources`: mode -> that mode's cell folder (…/seedN). Writes `out` and returns the merged cell_info."""
    if out.exists():
        raise XnerError("merged cell folder already exists; move it away first", out)
    merged: dict | None = None
    logs = []
    out.mkdir(parents=True)
    for mode, src in sources.items():
        info = json.loads((src / "cell_info.json").read_text(encoding="utf-8"))
        if list(info["config"]["modes"]) != [mode] or len(info["plan"]) != 1:
            raise XnerError(f"expected one run for mode {mode} alone", src / "cell_info.json")
        (name,) = info["plan"]
        if merged is not None and name in merged["plan"]:
            raise XnerError(f"run {name} is planned by two modes; run those modes in one process", src)
        shutil.copytree(src / name, out / name)
        logs.append((src / "log.txt").read_text(encoding="utf-8"))
        if merged is None:
            merged = info
            continue
        merged["plan"][name] = info["plan"][name]
        for key, value in info["data"]["files"].items():
            if merged["data"]["files"].setdefault(key, value) != value:
                raise XnerError(f"data file {key} differs between the modes' runs", src / "cell_info.json")
        for key, value in info["data"]["sentences"].items():
            if value is not None:
                merged["data"]["sentences"][key] = value
    assert merged is not None
    merged["config"]["modes"] = list(sources)
    write_json_atomic(out / "cell_info.json", merged)
    (out / "log.txt").write_text("".join(logs), encoding="utf-8")
    return merged


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", required=True)
    ap.add_argument("--seed", type=int, action="append", required=True)
    ap.add_argument("--from", dest="src", type=Path, required=True, help="folder with one runs root per mode")
    ap.add_argument("--override", action="append", default=[], help="MODE:SEED=ROOT: take that cell from ROOT")
    ap.add_argument("--tag", default="supmap")
    ap.add_argument("--budget", default="full")
    ap.add_argument("--out", type=Path, default=Path("runs/experiments"))
    args = ap.parse_args(argv)
    overrides = {}
    for item in args.override:
        key, root = item.split("=", 1)
        mode, seed = key.split(":")
        overrides[(mode, int(seed))] = Path(root)
    cell = Path(args.budget) / args.lang / f"cross-augmented+{args.tag}"
    try:
        for seed in args.seed:
            sources = {m: overrides.get((m, seed), args.src / m) / cell / f"seed{seed}" for m in MODES}
            merged = merge_cell(sources, args.out / cell / f"seed{seed}")
            print(f"seed {seed}: {', '.join(merged['plan'])}")
    except XnerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
