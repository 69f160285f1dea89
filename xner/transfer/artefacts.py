"""The selected model of a grid cell as a saved artefact: find it, load it, or (re)materialise it.

A base cell (Cross-Word no char / Cross-Word / Cross-Shared) keeps the model each mode selected as
`<run_dir>/train/best-<set>/` (a plain tagger folder); a Cross-Augmented cell keeps `<run_dir>/model-<mode>/`
(an `AugmentedTagger` folder). Both open with `xner.load`. A run folder made before cells kept their models
(only `best-<set>.safetensors` weights) is materialised once: the model is rebuilt from the cell's data,
embeddings and mapping, its vocabulary checked against the one the weights were trained with, and saved.
"""

from __future__ import annotations

import json
from pathlib import Path

from xner.errors import XnerError
from xner.transfer.cell import TRAIN_SUBDIR, build_model, build_space, load_cell_data
from xner.transfer.config import CROSS_AUGMENTED, MODE_EVAL_SET


def cell_model_dir(cell, mode: str) -> Path:
    """The folder of the model `mode` selected in `cell` (which may not exist yet)."""
    from xner.transfer.augmented import model_dir

    if cell.config.variant == CROSS_AUGMENTED:
        return model_dir(cell.run_dir, mode)
    return Path(cell.run_dir) / TRAIN_SUBDIR / f"best-{MODE_EVAL_SET[mode]}"


def load_cell_model(cell, mode: str = "src-dev", base_cells: dict | None = None):
    """The model (`Tagger` or `AugmentedTagger`, eval mode) that `mode` selected in `cell`; materialised first
    when the run folder has only the selected weights. `base_cells` (variant -> Cell): the bases of a
    Cross-Augmented cell, needed only to materialise it."""
    from xner.model.augmented import load_augmented
    from xner.model.persistence import load_model

    directory = materialise_cell_model(cell, mode, base_cells)
    return load_augmented(directory) if cell.config.variant == CROSS_AUGMENTED else load_model(directory)


def materialise_cell_model(cell, mode: str, base_cells: dict | None = None) -> Path:
    """`cell_model_dir(cell, mode)`, written from the cell's kept weights if it is missing."""
    directory = cell_model_dir(cell, mode)
    if (directory / "config.json").is_file():
        return directory
    if cell.config.variant == CROSS_AUGMENTED:
        return _materialise_augmented(cell, mode, base_cells or {}, directory)
    return _materialise_base(cell, mode, directory)


def _check_vocab(model, train_dir: Path) -> None:
    import torch

    from xner.training.trainer import hash_text

    ckpt = torch.load(train_dir / "checkpoint.pt", map_location="cpu", weights_only=True)
    if ckpt["fingerprint"]["vocab_hash"] != hash_text(json.dumps(model.vocab.to_dict(), sort_keys=True)):
        raise XnerError("rebuilt model's vocabulary differs from the trained one (data or tables changed)", train_dir)


def _weights(path: Path):
    from xner.training.checkpoint import load_weights

    if not path.is_file():
        raise XnerError("no kept weights for this selection; run the cell (`xner experiment run`) first", path)
    return load_weights(path)


def _materialise_base(cell, mode: str, directory: Path) -> Path:
    from xner.model.persistence import load_trainable_state, save_tagger

    config = cell.config.replace(modes=(mode,))
    train_dir = Path(cell.run_dir) / TRAIN_SUBDIR
    weights = _weights(train_dir / f"best-{MODE_EVAL_SET[mode]}.safetensors")
    model = build_model(config, build_space(config), load_cell_data(config))
    _check_vocab(model, train_dir)
    load_trainable_state(model, weights)
    return save_tagger(model, directory, {"selected_on": MODE_EVAL_SET[mode], "materialised": True})


def _materialise_augmented(cell, mode: str, base_cells: dict, directory: Path) -> Path:
    from xner.model.augmented import save_augmented
    from xner.transfer.augmented import build_augmented

    info = json.loads((Path(cell.run_dir) / "cell_info.json").read_text(encoding="utf-8"))
    name, run = next(((n, r) for n, r in info["plan"].items() if mode in r["modes"]), (None, None))
    if name is None:
        raise XnerError(f"Cross-Augmented cell {cell.name} has no run for mode {mode}", Path(cell.run_dir))
    variant = run["choice"][mode]["variant"]
    if variant not in base_cells:
        raise XnerError(f"materialising {cell.name} needs its base cell {variant}", Path(cell.run_dir))
    weights = _weights(Path(cell.run_dir) / name / f"best-{MODE_EVAL_SET[mode]}.safetensors")
    model = build_augmented(load_cell_model(base_cells[variant], mode), cell.config)
    model.load_trainable_state(weights)
    model.eval()
    return save_augmented(model, directory, {"selected_on": mode, "choice": run["choice"][mode], "run": name,
                                             "materialised": True})
