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

from pathlib import Path

import torch

from xner.errors import XnerError
from xner.io import atomic_path, write_json_atomic
from xner.model.config import TaggerConfig
from xner.model.folder import check_state, read_json, read_weights, validate_header, validate_tagger_config, validate_vocab
from xner.model.tagger import Tagger
from xner.model.vocab import load_subwords

FORMAT = 1
KIND = "xner-tagger"  # the class tag of a plain tagger (xner.model.augmented has its own)
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

    vocab = model.vocab.to_dict()  # first: a model that cannot be saved (grown tag-time rows) writes nothing
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    words = state[WORDS]
    if torch.equal(words.half().float(), words):
        state[WORDS] = words.half()
    with atomic_path(directory / "model.safetensors") as tmp:
        save_file(state, str(tmp), metadata={"format": str(FORMAT)})
    write_json_atomic(directory / "vocab.json", vocab)
    config = {"format": FORMAT, "kind": KIND, "tagger": model.config.to_dict()}
    if extra:
        config.update(extra)
    write_json_atomic(directory / "config.json", config)
    return directory


def load_model(directory: str | Path, device: str = "cpu") -> Tagger:
    directory = Path(directory)
    if not directory.is_dir():
        raise XnerError("no such model folder", directory)
    config_path = directory / "config.json"
    config = read_json(config_path)
    tagger_config = _validate_config(config, config_path)
    vocab = validate_vocab(read_json(directory / "vocab.json"), directory / "vocab.json")
    weights = directory / "model.safetensors"
    state = read_weights(directory, WORDS, vocab.words.n_rows)
    model = Tagger(tagger_config, vocab, state[WORDS].numpy())
    check_state(model, state, weights)
    model.load_state_dict(state)
    model.to(device)
    model.eval()
    load_subwords(model, directory)  # tag-time subword vectors for OOV words, when `xner embed attach` recorded them
    return model


def _validate_config(config: object, path: Path) -> TaggerConfig:
    """The `TaggerConfig` of a plain tagger's parsed config.json (see `validate_header`, `validate_tagger_config`)."""
    config = validate_header(config, path, KIND, "an xner tagger", FORMAT)
    return validate_tagger_config(config.get("tagger"), path, "tagger")


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
    """A `Predictor` (see `xner.model.predictor`) for a saved tagger folder of any kind (plain or
    Cross-Augmented: dispatched on the class tag `kind` in config.json), or a training run's `best-*` one."""
    from xner.model.augmented import is_augmented, load_augmented
    from xner.model.predictor import Predictor

    directory = resolve_model_dir(directory)
    return Predictor(load_augmented(directory, device) if is_augmented(directory) else load_model(directory, device))
