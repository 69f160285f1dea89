"""What a saved model folder holds, read and checked the same way for every kind of tagger (plain and
Cross-Augmented): JSON files, the class-tag/format header, architecture sections, the vocabulary, and the
weights' names and shapes. A damaged or foreign file is an `XnerError` naming the file and what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch

from xner.errors import XnerError
from xner.model.config import TaggerConfig
from xner.model.vocab import TaggerVocab


def read_json(path: Path) -> object:
    if not path.is_file():
        raise XnerError("not a saved xner tagger (file missing)", path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise XnerError(f"unreadable JSON: {err}", path) from None


def validate_header(config: object, path: Path, kind: str, what: str, newest: int) -> dict:
    """A parsed config.json that is a JSON object with class tag `kind` and a format this xner reads;
    anything else (a list, another kind, an unknown or newer format) is an `XnerError` naming the file."""
    if not isinstance(config, dict):
        raise XnerError(f"expected a JSON object, found a {type(config).__name__}", path)
    if config.get("kind") != kind:
        raise XnerError(f"config.json does not describe {what}", path)
    fmt = config.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        raise XnerError(f"\"format\" must be a positive integer, found {fmt!r}", path)
    if fmt > newest:
        raise XnerError(f"model format {fmt} is newer than this xner reads (format {newest}); upgrade xner", path)
    return config


def validate_tagger_config(section: object, path: Path, name: str) -> TaggerConfig:
    """`TaggerConfig` from the config.json section `name`; a missing section or a field of the wrong type
    is an `XnerError` naming the file and the field."""
    if not isinstance(section, dict):
        raise XnerError(f"config.json has no {name!r} architecture object", path)
    fields = {f.name: type(f.default) for f in dataclasses.fields(TaggerConfig)}
    for field_name, value in section.items():
        want = fields.get(field_name)
        if want is None:
            continue  # TaggerConfig.from_dict names unknown fields
        if not _fits(value, want):
            raise XnerError(f"{name}.{field_name} must be {want.__name__}, found {value!r}", path)
    try:
        return TaggerConfig.from_dict(section)
    except XnerError as err:
        raise XnerError(err.message, path) from None


def _fits(value: object, want: type) -> bool:
    """JSON value of a config field: bools are not numbers, ints are floats."""
    if want is bool or isinstance(value, bool):
        return want is bool and isinstance(value, bool)
    return isinstance(value, (int, float)) if want is float else isinstance(value, want)


def validate_vocab(data: object, path: Path) -> TaggerVocab:
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


def check_state(model: torch.nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
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


def read_weights(directory: Path, words_key: str, n_rows: int) -> dict[str, torch.Tensor]:
    """The tensors of `directory/model.safetensors`, the frozen word matrix `words_key` as float32 with the
    `n_rows` rows vocab.json indexes; a missing, unreadable or foreign file is an `XnerError` naming it."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    weights = directory / "model.safetensors"
    if not weights.is_file():
        raise XnerError("not a saved xner tagger (file missing)", weights)
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as err:
        raise XnerError(f"unreadable weights: {err}", weights) from None
    if words_key not in state:
        raise XnerError(f"no {words_key} tensor: not the weights of this kind of xner tagger", weights)
    words = state[words_key] = state[words_key].float()
    if words.ndim != 2 or words.shape[0] != n_rows:
        raise XnerError(f"{words_key} has shape {tuple(words.shape)} but vocab.json indexes {n_rows} rows: "
                        "the weights come from another model", weights)
    return state
