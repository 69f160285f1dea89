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

import dataclasses
import json
from pathlib import Path

import torch

from xner.errors import XnerError
from xner.io import atomic_path, write_json_atomic
from xner.model.config import TaggerConfig
from xner.model.tagger import Tagger
from xner.model.vocab import TaggerVocab

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
    config_path = directory / "config.json"
    config = _read_json(config_path)
    tagger_config = _validate_config(config, config_path)
    vocab = _validate_vocab(_read_json(directory / "vocab.json"), directory / "vocab.json")
    weights = directory / "model.safetensors"
    if not weights.is_file():
        raise XnerError("not a saved xner tagger (file missing)", weights)
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as err:
        raise XnerError(f"unreadable weights: {err}", weights) from None
    if WORDS not in state:
        raise XnerError(f"no {WORDS} tensor: not the weights of an xner tagger", weights)
    state[WORDS] = state[WORDS].float()
    if state[WORDS].ndim != 2 or state[WORDS].shape[0] != vocab.words.n_rows:
        raise XnerError(f"{WORDS} has shape {tuple(state[WORDS].shape)} but vocab.json indexes "
                        f"{vocab.words.n_rows} rows: the weights come from another model", weights)
    model = Tagger(tagger_config, vocab, state[WORDS].numpy())
    _check_state(model, state, weights)
    model.load_state_dict(state)
    model.to(device)
    model.eval()
    return model


def _validate_config(config: object, path: Path) -> TaggerConfig:
    """The `TaggerConfig` of a parsed config.json; anything else (a list, an unknown format, a field of the
    wrong type) is an `XnerError` naming the file."""
    if not isinstance(config, dict):
        raise XnerError(f"expected a JSON object, found a {type(config).__name__}", path)
    if config.get("kind") != "xner-tagger" or not isinstance(config.get("tagger"), dict):
        raise XnerError("config.json does not describe an xner tagger", path)
    fmt = config.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        raise XnerError(f"\"format\" must be a positive integer, found {fmt!r}", path)
    if fmt > FORMAT:
        raise XnerError(f"model format {fmt} is newer than this xner reads (format {FORMAT}); upgrade xner", path)
    fields = {f.name: type(f.default) for f in dataclasses.fields(TaggerConfig)}
    for name, value in config["tagger"].items():
        want = fields.get(name)
        if want is None:
            continue  # TaggerConfig.from_dict names unknown fields
        if not _fits(value, want):
            raise XnerError(f"tagger.{name} must be {want.__name__}, found {value!r}", path)
    try:
        return TaggerConfig.from_dict(config["tagger"])
    except XnerError as err:
        raise XnerError(err.message, path) from None


def _fits(value: object, want: type) -> bool:
    """JSON value of a config field: bools are not numbers, ints are floats."""
    if want is bool or isinstance(value, bool):
        return want is bool and isinstance(value, bool)
    return isinstance(value, (int, float)) if want is float else isinstance(value, want)


def _validate_vocab(data: object, path: Path) -> TaggerVocab:
    """A `TaggerVocab` from parsed vocab.json, after checking its structure (what `to_dict` writes)."""

    def is_strings(value: object) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    problem = None
    if not isinstance(data, dict):
        problem = f"expected a JSON object, found a {type(data).__name__}"
    elif not isinstance(data.get("default_lang"), str):
        problem = '"default_lang" must be a string'
    elif not isinstance(data.get("chars"), dict) or not (
            isinstance(data["chars"].get("chars"), str) or is_strings(data["chars"].get("chars"))):
        problem = '"chars" must be {"chars": a string or a list of strings}'
    elif not isinstance(data.get("tags"), dict) or not is_strings(data["tags"].get("tags")) \
            or not isinstance(data["tags"].get("scheme"), str):
        problem = '"tags" must be {"tags": [strings], "scheme": string}'
    elif not isinstance(data.get("words"), dict) or not isinstance(data["words"].get("languages"), dict) \
            or not all(isinstance(k, str) and is_strings(v) for k, v in data["words"]["languages"].items()) \
            or not isinstance(data["words"].get("strategy", "lower"), str):
        problem = '"words" must be {"strategy": string, "languages": {language: [words]}}'
    elif data["default_lang"] not in data["words"]["languages"]:
        problem = f'default language {data["default_lang"]!r} has no words in "words.languages"'
    if problem:
        raise XnerError(f"wrong structure: {problem}", path)
    try:
        return TaggerVocab.from_dict(data)
    except XnerError as err:
        raise XnerError(err.message, path) from None


def _check_state(model: Tagger, state: dict[str, torch.Tensor], path: Path) -> None:
    """The saved tensors must be exactly the model's (names and shapes): weights from another run are refused."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise XnerError(f"the weights do not fit config.json/vocab.json (missing {', '.join(missing) or 'none'}; "
                        f"unexpected {', '.join(unexpected) or 'none'}): they come from another model", path)
    for name, tensor in expected.items():
        if tuple(state[name].shape) != tuple(tensor.shape):
            raise XnerError(f"{name} has shape {tuple(state[name].shape)}, config.json/vocab.json give "
                            f"{tuple(tensor.shape)}: the weights come from another model", path)


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
    """A `Predictor` (see `xner.model.predictor`) for a saved tagger folder, or a training run's `best-*` one."""
    from xner.model.predictor import Predictor

    return Predictor(load_model(resolve_model_dir(directory), device))
