"""The trained model of a finished experiment cell, for figures and analyses: `load_cell_model` is the one way
in. Nothing here trains: a cell without a complete result is an error naming the command that makes it.

Cells keep the model each selection mode chose as a saved artefact (`xner.transfer.artefacts`); a run folder
that has only the kept weights gets its model folder written once (materialised), nothing is retrained.
"""

from __future__ import annotations

import json
from pathlib import Path

from xner.errors import XnerError


def rerun_command(grid, cells) -> str:
    """The `xner experiment run` line that makes `cells` of `grid` (same budget, tag and settings)."""

    def flags(name: str, values) -> str:
        return " ".join(f"--{name} {v}" for v in dict.fromkeys(values))

    parts = ["xner experiment run", f"--budget {grid.budget.name}", flags("lang", (c.config.lang for c in cells)),
             flags("variant", (c.config.variant for c in cells)), flags("seed", (c.config.seed for c in cells))]
    if grid.tag:
        parts.append(f"--tag {grid.tag}")
    parts += [f"--set {item}" for item in grid.set_items()]
    return " ".join(p for p in parts if p)


def require_results(grid, cells=None) -> None:
    """Every cell of `grid` (or just `cells` of it) has a complete result; else an error naming the cells and the
    command that makes them."""
    from xner.experiments.grid import expand, result_status

    missing = [c for c in (expand(grid) if cells is None else cells) if result_status(c) != "done"]
    if missing:
        raise XnerError(
            f"no complete result for {', '.join(c.name for c in missing)} (budget {grid.budget.name}) under "
            f"{grid.results_root}; make them first with `{rerun_command(grid, missing)}`"
        )


def load_cell_model(cell, mode: str = "src-dev", cells=None):
    """The trained model of a finished cell, best checkpoint of selection mode `mode`: a `Tagger` for the base
    variants, an `AugmentedTagger` (theta_s + theta_t) for Cross-Augmented, whose base cells are looked up in
    `cells` (the expanded grid the cell belongs to)."""
    from xner.experiments.grid import base_cells
    from xner.transfer.config import CROSS_AUGMENTED

    run_dir = Path(cell.run_dir)
    if not run_dir.is_dir():
        raise XnerError(
            f"cell {cell.name} has a result but no trained model here (run folders are not committed): copy its run "
            f"folder, or retrain it into an empty results root with `xner experiment run ... --results DIR`", run_dir)
    from xner.transfer.artefacts import load_cell_model as load_artefact

    bases = base_cells(cell, cells or [cell]) if cell.config.variant == CROSS_AUGMENTED else None
    return load_artefact(cell, mode, bases)


def augmented_base_variant(cell, mode: str) -> str:
    """The base variant a finished Cross-Augmented cell started from for selection mode `mode`."""
    return _augmented_run(cell, mode)[1]["choice"][mode]["variant"]


def _augmented_run(cell, mode: str) -> tuple[str, dict]:
    path = Path(cell.run_dir) / "cell_info.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise XnerError(f"Cross-Augmented cell {cell.name} has no run folder here", path) from None
    run = next(((n, r) for n, r in info["plan"].items() if mode in r["modes"]), None)
    if run is None:
        raise XnerError(f"Cross-Augmented cell {cell.name} has no run for mode {mode}", path)
    return run
