"""Issue 19 item 3 (and 7: file modes; 9: `xner.load` of a run folder): damaged model folders through `xner`.

Every case: exit 2, one line `xner: error: ...` naming the file and what is wrong, no traceback, and
nothing half-written left behind.
"""

from __future__ import annotations

import json
import shutil
import stat

import pytest


def _copy_model(tiny, tmp_path):
    dest = tmp_path / "model"
    shutil.copytree(tiny["model"], dest)
    return dest


def _edit_json(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(data)), encoding="utf-8")


def _set(key, value, inside=None):
    def change(data):
        (data[inside] if inside else data)[key] = value
        return data
    return change


@pytest.mark.parametrize("case, file, needle", [
    ("config is a list", "config.json", "expected a JSON object, found a list"),
    ("field of the wrong type", "config.json", "tagger.word_hidden must be int, found 'lots'"),
    ("bool for an int", "config.json", "tagger.char_dim must be int"),
    ("newer format", "config.json", "model format 99 is newer than this xner reads"),
    ("format not a number", "config.json", '"format" must be a positive integer'),
    ("vocab of the wrong structure", "vocab.json", "wrong structure"),
    ("vocab words not a mapping", "vocab.json", '"words" must be'),
    ("weights from another run", "model.safetensors", "the weights come from another model"),
    ("weights of the wrong size", "model.safetensors", "word_embedding.weight has shape"),
    ("weights truncated", "model.safetensors", "unreadable weights"),
    ("impossible setting", "config.json", "dropout must be in [0, 1)"),
    ("unknown setting", "config.json", "unknown TaggerConfig field(s): layers"),
])
def test_damaged_model_folder_is_one_line(tiny, tmp_path, run_cli, one_line_error, leftovers, case, file, needle):
    import torch
    from safetensors.torch import load_file, save_file

    model = _copy_model(tiny, tmp_path)
    if case == "config is a list":
        (model / "config.json").write_text("[1, 2]", encoding="utf-8")
    elif case == "field of the wrong type":
        _edit_json(model / "config.json", _set("word_hidden", "lots", "tagger"))
    elif case == "bool for an int":
        _edit_json(model / "config.json", _set("char_dim", True, "tagger"))
    elif case == "newer format":
        _edit_json(model / "config.json", _set("format", 99))
    elif case == "format not a number":
        _edit_json(model / "config.json", _set("format", "1"))
    elif case == "vocab of the wrong structure":
        (model / "vocab.json").write_text('{"chars": 3}', encoding="utf-8")
    elif case == "vocab words not a mapping":
        _edit_json(model / "vocab.json", _set("words", ["en"]))
    elif case == "weights from another run":  # another run's architecture: a bigger word LSTM
        _edit_json(model / "config.json", _set("word_hidden", 9, "tagger"))
    elif case == "weights of the wrong size":
        state = load_file(str(model / "model.safetensors"))
        state["word_embedding.weight"] = torch.cat([state["word_embedding.weight"]] * 2)
        save_file(state, str(model / "model.safetensors"))
    elif case == "impossible setting":
        _edit_json(model / "config.json", _set("dropout", 1.5, "tagger"))
    elif case == "unknown setting":
        _edit_json(model / "config.json", _set("layers", 2, "tagger"))
    elif case == "weights truncated":
        raw = (model / "model.safetensors").read_bytes()
        (model / "model.safetensors").write_bytes(raw[: len(raw) // 2])
    before = sorted(p.name for p in model.iterdir())
    code, out, err = run_cli("tag", model, tiny["train"])
    one_line_error(code, err, str(model / file), needle)
    assert out == "" and sorted(p.name for p in model.iterdir()) == before and leftovers(tmp_path) == []
    code, _, err = run_cli("evaluate", model, tiny["dev"], "--lang", "en")
    one_line_error(code, err, str(model / file), needle)


def test_saved_model_files_are_world_readable(tiny):
    for name in ("model.safetensors", "config.json", "vocab.json"):
        mode = stat.S_IMODE((tiny["model"] / name).stat().st_mode)
        assert mode & 0o044 == 0o044, (name, oct(mode))


def test_xner_load_accepts_a_run_folder_like_evaluate(tiny, tmp_path):
    import xner

    shutil.copytree(tiny["model"], tmp_path / "run" / "best-dev")
    tagger = xner.load(tmp_path / "run")
    assert tagger.predict([["Peter", "visited", "Paris"]])[0].__len__() == 3
