"""Merge Cross-Augmented cell folders that were run one selection mode per process (scripts/gpu_augmented.sh)
into the one folder per cell that `xner experiment salvage` and `xner experiment table` read.

Each mode's folder holds one run (its own base checkpoint) and a cell_info.json whose plan names only that run
and whose data record lists only the sets that mode reads. The merged cell_info.json has the union of the plans
and of the data records, and all three modes; a run that two modes shared cannot be merged this way (refused).

  xner experiment merge-modes --lang fi --seed 1 --seed 2 --seed 3 --from /tmp/gpuout \
      [--override tgt-test:2=/tmp/gpuout/tt2] --out runs/experiments
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from xner.errors import XnerError
from xner.io import write_json_atomic, write_text_atomic
from xner.transfer.config import CROSS_AUGMENTED, PAPER_MODES


def merge_cell(sources: dict[str, Path], out: Path) -> dict:
    """`sources`: mode -> that mode's cell folder (…/seedN). Writes `out` (built beside it and renamed, so a refused
    or failed merge leaves nothing) and returns the merged cell_info."""
    if out.exists():
        raise XnerError("merged cell folder already exists; move it away first", out)
    work = out.with_name(f".{out.name}.merging")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        merged = _merge_into(sources, work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    work.rename(out)
    return merged


def _merge_into(sources: dict[str, Path], out: Path) -> dict:
    merged: dict | None = None
    logs = []
    for mode, src in sources.items():
        try:
            info = json.loads((src / "cell_info.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise XnerError(f"no run folder of mode {mode}", src / "cell_info.json") from None
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
    write_text_atomic(out / "log.txt", "".join(logs))
    return merged


def merge_mode_runs(lang: str, seeds: list[int], src: Path, out: Path, tag: str = "supmap", budget: str = "full",
                    overrides: dict[tuple[str, int], Path] | None = None) -> dict[int, dict]:
    """Merge `SRC/<mode>/<budget>/<lang>/cross-augmented+<tag>/seed<k>` of every mode into the same path under
    `out`, for each seed; `overrides` (mode, seed) -> another root holding that mode's cell."""
    cell = Path(budget) / lang / f"{CROSS_AUGMENTED}+{tag}"
    merged = {}
    for seed in seeds:
        sources = {m: (overrides or {}).get((m, seed), src / m) / cell / f"seed{seed}" for m in PAPER_MODES}
        merged[seed] = merge_cell(sources, out / cell / f"seed{seed}")
    return merged
