"""Variant registry: which code trains a cell of each variant and which rebuilds its result from the logs.

`run_transfer_cell(config, run_dir, base_cells=None, on_progress=None)` trains (or resumes) one cell and
returns its result body; `summarise_transfer_cell(config, run_dir, base_cells=None, complete=True)` rebuilds
that body from the run folder alone. Source-Mono, Cross-Word and Cross-Shared cells are `xner.transfer.base`;
Cross-Augmented (which starts from base cells' saved models) is `xner.transfer.augmented`; translate-train
(English training data translated word by word, then a base-cell training run) is `xner.transfer.translate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from xner.transfer import augmented, base, translate
from xner.transfer.artefacts import load_cell_model
from xner.transfer.config import BASE_VARIANTS, CROSS_AUGMENTED, SOURCE_MONO_VARIANTS, TRANSLATE_TRAIN, TransferConfig


@dataclass(frozen=True)
class Variant:
    run: Callable[..., dict]  # (config, run_dir, base_cells, on_progress) -> result body
    summarise: Callable[..., dict | None]  # (config, run_dir, base_cells, complete) -> result body or None


def _run_augmented(config: TransferConfig, run_dir, base_cells: Mapping, on_progress) -> dict:
    return augmented.run_augmented_cell(config, run_dir, base_cells, on_progress, load_cell_model)


_BASE = Variant(base.run_base_cell, base.summarise_base_cell)
REGISTRY: dict[str, Variant] = {
    **{name: _BASE for name in SOURCE_MONO_VARIANTS + BASE_VARIANTS},
    CROSS_AUGMENTED: Variant(_run_augmented, augmented.summarise_augmented_cell),
    TRANSLATE_TRAIN: Variant(translate.run_translate_cell, base.summarise_base_cell),
}


def run_transfer_cell(config: TransferConfig, run_dir: str | Path, base_cells: Mapping | None = None,
                      on_progress: Callable[[dict], None] | None = None) -> dict:
    """Train (resuming if `run_dir` holds a checkpoint) and return the result body."""
    return REGISTRY[config.variant].run(config, run_dir, base_cells or {}, on_progress)


def summarise_transfer_cell(config: TransferConfig, run_dir: str | Path, base_cells: Mapping | None = None,
                            complete: bool | None = True) -> dict | None:
    """`complete=None` (salvaging a run folder): decided from the logs (see each variant's summariser)."""
    return REGISTRY[config.variant].summarise(config, run_dir, base_cells or {}, complete)

