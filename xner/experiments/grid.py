"""The experiment grid: languages x variants x seeds (x selection modes), its cells, their paths and order.

A cell is one `TransferConfig`. Its result lives at
`RESULTS/<budget>/<lang>/<variant>[+tag]/seed<k>.json` and its working files (checkpoints, metrics
log) at `RUNS/<budget>/<lang>/<variant>[+tag]/seed<k>/`, so a grid resumes across days and machines
by carrying those two folders. Cross-Augmented cells depend on the base cells they start from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xner.errors import XnerError
from xner.model.config import TaggerConfig, TrainConfig
from xner.transfer.config import (
    BASE_MODE,
    BASE_VARIANTS,
    BUDGET_PRESETS,
    CROSS_AUGMENTED,
    MODES,
    PAPER_MODES,
    PAPER_VARIANTS,
    TARGET_LANGS,
    TRANSLATE_TRAIN,
    VARIANTS,
    AugmentConfig,
    Budget,
    SpaceConfig,
    TransferConfig,
    TranslateConfig,
    budget_from_name,
    check_choice,
)

DEFAULT_MODES = ("tgt-dev", "src-dev")  # (ours) PAPER_MODES without the oracle; recipes ask for tgt-test by name
TABLE4_VARIANTS = BASE_VARIANTS + (CROSS_AUGMENTED,)
# Train settings that never change a result (a resumed run equals an uninterrupted one), so no new tag.
RESULT_NEUTRAL_TRAIN = ("stop_after_batches", "num_threads")
# The config sections a grid (and `--set SECTION.FIELD=VALUE`) can change, and their types.
SECTIONS = {"space": SpaceConfig, "augment": AugmentConfig, "tagger": TaggerConfig, "train": TrainConfig,
            "translate": TranslateConfig}


def changed_fields(config) -> dict[str, Any]:
    """The fields of a config dataclass that differ from its defaults (what a grid file or `--set` changed)."""
    default = type(config)()
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(default, f.name)}


@dataclass
class GridConfig:
    """What `xner experiment run` runs. Saved into every result (`grid`)."""

    langs: list[str] = field(default_factory=lambda: list(TARGET_LANGS))  # paper: es, nl, de, ar, fi
    variants: list[str] = field(default_factory=lambda: list(PAPER_VARIANTS))  # Tables 3 and 4
    seeds: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])  # paper: 5 runs per cell
    modes: list[str] = field(default_factory=lambda: list(DEFAULT_MODES))  # paper: tgt-dev, src-dev, tgt-test; the
    # default leaves out the oracle tgt-test (opt-in: the only mode that scores the test split at every evaluation,
    # issue 21); ours: also tgt-unlab, label-free on unlabelled target text (Cross-Augmented only)
    budget: Budget = field(default_factory=Budget)  # paper's budget unless cut
    device: str = "cpu"
    workers: int = 1  # cells run in parallel processes
    threads: int = 0  # torch threads per worker; 0 = cpu_count // workers (at least 1)
    deadline_s: float | None = None  # stop all cells after this many seconds and save partial results
    tag: str | None = None  # appended to variant folders; None = automatic when settings differ from defaults
    augment_tag: str | None = None  # (ours) Cross-Augmented folders get this tag instead of `tag`, so variants of
    # Cross-Augmented (issue 18: soft labels, confidence selection, tgt-unlab) start from the same base cells
    # Settings of every cell; a JSON grid file gives only the fields it changes, e.g. {"train": {"length_buckets": 20}}.
    # The variant fixes the tagger's architecture, the budget and the cell fix epochs, eval_every, seed and device.
    space: SpaceConfig = field(default_factory=SpaceConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    tagger: TaggerConfig = field(default_factory=TaggerConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    translate: TranslateConfig = field(default_factory=TranslateConfig)  # translate-train cells only
    results_root: str = "results/experiments"
    runs_root: str = "runs/experiments"

    def __post_init__(self) -> None:
        for lang in self.langs:
            check_choice("target language", lang, TARGET_LANGS)
        for variant in self.variants:
            check_choice("variant", variant, VARIANTS)
        for mode in self.modes:
            check_choice("selection mode", mode, MODES)
        if not (self.langs and self.variants and self.seeds and self.modes):
            raise XnerError("the grid is empty: give at least one language, variant, seed and mode")
        if self.workers < 1:
            raise XnerError("--workers must be >= 1")
        if isinstance(self.budget, dict):
            self.budget = Budget.from_dict(self.budget)
        if isinstance(self.budget, str):
            self.budget = budget_from_name(self.budget)
        for name, cls in SECTIONS.items():
            if isinstance(getattr(self, name), dict):  # a grid file's section: the fields it changes
                setattr(self, name, cls.from_dict(getattr(self, name)))

    def overrides(self) -> dict[str, dict[str, Any]]:
        """Section -> the fields this grid changes from their defaults."""
        return {name: changed_fields(getattr(self, name)) for name in SECTIONS}

    def with_overrides(self, sets: dict[str, dict[str, Any]]) -> "GridConfig":
        """This grid with `sets` ({section: {field: value}}, as `--set` gives them) applied on top, validated."""
        unknown = sorted(set(sets) - set(SECTIONS))
        if unknown:
            raise XnerError(f"unknown config section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
        changed = {name: cls.from_dict({**changed_fields(getattr(self, name)), **sets.get(name, {})})
                   for name, cls in SECTIONS.items()}
        return dataclasses.replace(self, **changed)

    def set_items(self) -> list[str]:
        """The overrides as `--set` arguments (`SECTION.FIELD=VALUE`), e.g. to print a command that remakes a cell."""
        return [f"{name}.{key}={value if isinstance(value, str) else json.dumps(value)}"
                for name, fields in self.overrides().items() for key, value in fields.items()]

    def to_dict(self) -> dict[str, Any]:
        """As saved into every result: the sections as the fields they change (a grid file's form)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["budget"] = self.budget.to_dict()
        out.update(self.overrides())
        return out

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> "GridConfig":
        """A JSON grid file; keys are GridConfig fields; `budget` may be a preset name or a dict."""
        path = Path(path)
        data = _read_json_object(path)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise XnerError(f"unknown grid field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}", path)
        if isinstance(data.get("budget"), str):
            data["budget"] = budget_from_name(data["budget"])
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)


@dataclass(frozen=True)
class Cell:
    """One grid cell with its paths. `requested_seeds` = the seeds the grid asked for (tables mark fewer)."""

    config: TransferConfig
    tag: str | None
    result_path: Path
    run_dir: Path
    requested_seeds: tuple[int, ...]
    dependency: bool = False  # added because a Cross-Augmented cell needs it, not asked for directly

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.config.lang, self.config.variant, self.config.seed)

    @property
    def name(self) -> str:
        c = self.config
        return f"{c.lang}/{c.variant}{'+' + self.tag if self.tag else ''}/seed{c.seed}"


def _auto_tag(variant: str, grid: GridConfig) -> str | None:
    """Non-default settings that change a cell's result get a short hash tag, so results never collide."""
    if variant == CROSS_AUGMENTED and grid.augment_tag:
        return grid.augment_tag
    if grid.tag:
        return grid.tag
    changed = grid.overrides()
    train = {k: v for k, v in changed["train"].items() if k not in RESULT_NEUTRAL_TRAIN}
    relevant = {"space": changed["space"], "tagger": changed["tagger"], "train": train}
    if variant == TRANSLATE_TRAIN:
        relevant["translate"] = changed["translate"]
    if variant == CROSS_AUGMENTED:
        relevant["augment"] = changed["augment"]
        if "tgt-unlab" in grid.modes:  # holds sentences out of pseudo-labelling: results of the modes sharing its run change
            relevant["augment"] = {**changed["augment"], "unlab_holdout": grid.augment.unlab_holdout}
    relevant = {k: v for k, v in relevant.items() if v}
    if not relevant:
        return None
    blob = json.dumps(relevant, sort_keys=True).encode()
    return "cfg" + hashlib.sha256(blob).hexdigest()[:6]


def cell_modes(variant: str, modes) -> tuple[str, ...]:
    """A cell's selection modes: Cross-Augmented takes the grid's; the others log no `tgt-unlab` set, so they
    take the paper's modes of the grid plus those Cross-Augmented picks their bases by (`BASE_MODE`); their
    finished results stay valid when a grid adds the new mode."""
    if variant == CROSS_AUGMENTED:
        return tuple(modes)
    wanted = {BASE_MODE.get(m, m) for m in modes}
    return tuple(m for m in PAPER_MODES if m in wanted)


def make_cell(grid: GridConfig, lang: str, variant: str, seed: int, dependency: bool = False) -> Cell:
    cfg = TransferConfig(
        lang=lang,
        variant=variant,
        seed=seed,
        modes=cell_modes(variant, grid.modes),
        device=grid.device,
        space=dataclasses.replace(grid.space),
        augment=dataclasses.replace(grid.augment),
        budget=grid.budget,
        tagger=changed_fields(grid.tagger),
        train=changed_fields(grid.train),
        translate=dataclasses.replace(grid.translate),
    )
    tag = _auto_tag(variant, grid)
    folder = variant + (f"+{tag}" if tag else "")
    rel = Path(grid.budget.name) / lang / folder
    return Cell(
        config=cfg,
        tag=tag,
        result_path=Path(grid.results_root) / rel / f"seed{seed}.json",
        run_dir=Path(grid.runs_root) / rel / f"seed{seed}",
        requested_seeds=tuple(grid.seeds),
        dependency=dependency,
    )


def base_variants_for(augment: AugmentConfig) -> tuple[str, ...]:
    return BASE_VARIANTS if augment.base == "best" else (augment.base,)


def expand(grid: GridConfig) -> list[Cell]:
    """All cells of the grid, bases before the Cross-Augmented cells that start from them."""
    cells: dict[tuple[str, str, int], Cell] = {}
    augment = grid.augment
    ordered_variants = [v for v in VARIANTS if v in grid.variants]
    for lang in grid.langs:
        for variant in ordered_variants:
            for seed in grid.seeds:
                if variant == CROSS_AUGMENTED:
                    base_seed = augment.base_seed if augment.base_seed is not None else seed
                    for base in base_variants_for(augment):
                        key = (lang, base, base_seed)
                        if key not in cells:
                            cells[key] = make_cell(grid, lang, base, base_seed, dependency=base not in grid.variants)
                key = (lang, variant, seed)
                if key not in cells:
                    cells[key] = make_cell(grid, lang, variant, seed)
    order = {v: i for i, v in enumerate(VARIANTS)}
    return sorted(cells.values(), key=lambda c: (order[c.config.variant] == order[CROSS_AUGMENTED],
                                                 c.config.seed, TARGET_LANGS.index(c.config.lang),
                                                 order[c.config.variant]))


def dependencies(cell: Cell, cells: list[Cell]) -> list[Cell]:
    """The base cells a Cross-Augmented cell starts from (empty for every other variant)."""
    cfg = cell.config
    if cfg.variant != CROSS_AUGMENTED:
        return []
    base_seed = cfg.augment.base_seed if cfg.augment.base_seed is not None else cfg.seed
    wanted = {(cfg.lang, v, base_seed) for v in base_variants_for(cfg.augment)}
    return [c for c in cells if c.key in wanted]


def base_cells(cell: Cell, cells: list[Cell]) -> dict[str, Cell]:
    """`dependencies` by base variant: what `xner.transfer` needs to start a Cross-Augmented cell."""
    return {c.config.variant: c for c in dependencies(cell, cells)}


def result_status(cell: Cell) -> str:
    """`done` (complete result covering the requested modes), `partial`, or `todo`."""
    path = cell.result_path
    if not path.is_file():
        return "todo"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return "todo"
    if not data.get("complete"):
        return "partial"
    if not set(cell.config.modes) <= set(data.get("modes", {})):
        return "todo"
    return "done"


def budget_presets() -> dict[str, str]:
    return {name: b.describe() for name, b in BUDGET_PRESETS.items()}


@dataclass
class TableStep:
    """`xner experiment table` after a recipe's phases (the rendering its results are committed with)."""

    out: str = "results"
    tag: str | None = None
    prefer: list[str] | None = None
    only: list[str] | None = None


@dataclass
class Recipe:
    """A grid recipe file: grids run one after the other (`xner experiment grid FILE`), then optionally the tables.

    `{"about": "...", "common": {GridConfig fields}, "phases": [{GridConfig fields}, ...], "table": {...}}`; each
    phase is `common`, then the command line's overrides, then the phase's own fields (a phase that fixes its seeds
    keeps them). A plain grid file (GridConfig fields only) is a recipe of one phase."""

    phases: list[GridConfig]
    about: str = ""
    table: TableStep | None = None


def _merge(*layers: dict[str, Any]) -> dict[str, Any]:
    """Later layers win; the config sections (space, augment, tagger, train) merge field by field."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            out[key] = {**out.get(key, {}), **value} if key in SECTIONS and isinstance(value, dict) else value
    return out


def load_recipe(path: str | Path, **overrides: Any) -> Recipe:
    """Read a recipe (or plain grid) file; `overrides` are GridConfig fields from the command line (None = unset)."""
    path = Path(path)
    data = _read_json_object(path)
    given = {k: v for k, v in overrides.items() if v is not None}
    if "phases" not in data:
        return Recipe([GridConfig.from_file(path, **given)])
    unknown = sorted(set(data) - {"about", "common", "phases", "table"})
    if unknown:
        raise XnerError(f"unknown recipe field(s): {', '.join(unknown)}; known: about, common, phases, table", path)
    phases = data["phases"]
    if not isinstance(phases, list) or not phases or not all(isinstance(p, dict) for p in phases):
        raise XnerError("`phases` must be a non-empty list of grid objects", path)
    grids = []
    for k, phase in enumerate(phases, start=1):
        fields = _merge(data.get("common", {}), given, phase)
        unknown = sorted(set(fields) - set(GridConfig.__dataclass_fields__))
        if unknown:
            raise XnerError(f"phase {k}: unknown grid field(s): {', '.join(unknown)}", path)
        try:
            grids.append(GridConfig(**fields))
        except XnerError as err:
            raise XnerError(f"phase {k}: {err}", path) from None
    table = data.get("table")
    if table is not None:
        known = set(TableStep.__dataclass_fields__)
        if not isinstance(table, dict) or set(table) - known:
            raise XnerError(f"`table` must be an object with field(s) among {', '.join(sorted(known))}", path)
        table = TableStep(**table)
    return Recipe(grids, str(data.get("about", "")), table)


def _read_json_object(path: Path) -> dict[str, Any]:
    from xner.io import read_json_file

    data = read_json_file(path, "no such grid file")
    if not isinstance(data, dict):
        raise XnerError("a grid file holds one JSON object", path, 1)
    return data
