"""Save and load taggers: `model.safetensors` + `config.json` + `vocab.json` in one folder.

- `save_tagger(model, dir, extra=None)` writes the folder atomically (file by file, temp + rename);
  the frozen word matrix is stored as float16 when that is lossless (the shared tables are float16).
- `load_model(dir, device="cpu")` -> `Tagger` (for further training, e.g. the transfer stage);
- `load_tagger(dir, device="cpu")` -> `Predictor` with `predict(token_lists, lang=None)` and `tag(text)`
  (what `xner.load(path)` returns).
- `trainable_state(model)`: weights without the frozen word matrix (small checkpoints);
- `resolve_model_dir(path)`: a tagger folder, or the `best-*` tagger inside a training run folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from xner.errors import XnerError
from xner.io import atomic_path, write_json_atomic
from xner.model.config import TaggerConfig
from xner.model.tagger import Tagger
from xner.model.vocab import TaggerVocab, load_subwords

FORMAT = 1
WORDS = "word_embedding.weight"


def trainable_state(model: Tagger) -> dict[str, torch.Tensor]:
    """State dict without the frozen word matrix (which the model was built with and never changes)."""
    state = model.state_dict()
    if not model.config.finetune_embeddings:
        state.pop(WORDS)
    return {k: v.detach().clone() for k, v in state.items()}


def load_trainable_state(model: Tagger, state: dict[str, torch.Tensor]) -> None:
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if m != WORDS or model.config.finetune_embeddings]
    if missing or unexpected:
        raise XnerError(f"checkpoint does not fit the model (missing {missing}, unexpected {unexpected})")


def save_tagger(model: Tagger, directory: str | Path, extra: dict | None = None) -> Path:
    """Write a loadable tagger folder; `extra` (e.g. training config, scores) goes into config.json."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    words = state[WORDS]
    if torch.equal(words.half().float(), words):
        state[WORDS] = words.half()
    with atomic_path(directory / "model.safetensors") as tmp:
        save_file(state, str(tmp), metadata={"format": str(FORMAT)})
    write_json_atomic(directory / "vocab.json", model.vocab.to_dict())
    config = {"format": FORMAT, "kind": "xner-tagger", "tagger": model.config.to_dict()}
    if extra:
        config.update(extra)
    write_json_atomic(directory / "config.json", config)
    return directory


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise XnerError("not a saved xner tagger (file missing)", path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise XnerError(f"unreadable JSON: {err}", path) from None


def load_model(directory: str | Path, device: str = "cpu") -> Tagger:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    directory = Path(directory)
    if not directory.is_dir():
        raise XnerError("no such model folder", directory)
    config = _read_json(directory / "config.json")
    if config.get("kind") != "xner-tagger" or "tagger" not in config:
        raise XnerError("config.json does not describe an xner tagger", directory / "config.json")
    vocab = TaggerVocab.from_dict(_read_json(directory / "vocab.json"))
    weights = directory / "model.safetensors"
    if not weights.is_file():
        raise XnerError("not a saved xner tagger (file missing)", weights)
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as err:
        raise XnerError(f"unreadable weights: {err}", weights) from None
    state[WORDS] = state[WORDS].float()
    model = Tagger(TaggerConfig.from_dict(config["tagger"]), vocab, state[WORDS].numpy())
    model.load_state_dict(state)
    model.to(device)
    model.eval()
    load_subwords(model, directory)  # tag-time subword vectors for OOV words, when `xner embed attach` recorded them
    return model


def resolve_model_dir(path: str | Path) -> Path:
    """A tagger folder as given, or the `best-*` tagger inside a training run folder."""
    path = Path(path)
    if (path / "config.json").is_file() or not path.is_dir():
        return path
    candidates = sorted(p for p in path.glob("best-*") if (p / "config.json").is_file())
    if not candidates:
        raise XnerError("not a saved xner tagger or training run (no config.json, no best-*/ model)", path)
    return candidates[0]


def load_tagger(directory: str | Path, device: str = "cpu"):
    """A `Predictor` (see `xner.model.predictor`) for a saved tagger folder."""
    from xner.model.predictor import Predictor

    return Predictor(load_model(directory, device))
