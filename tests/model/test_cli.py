"""`xner tag` / `xner evaluate` / `xner train` through the real entry point (in process)."""

from __future__ import annotations

import json
import sys

from xner.cli import main


def run_cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["xner", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exit:
        code = exit.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tag_files(trained_model, tmp_path, monkeypatch, capsys):
    _, model = trained_model
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    assert run_cli(monkeypatch, capsys, "tag", model, empty)[:2] == (0, "")
    code, out, _ = run_cli(monkeypatch, capsys, "tag", model, empty, "--json")
    assert code == 0 and json.loads(out) == []

    text = tmp_path / "text.txt"
    text.write_text("John Smith lives in London .\n\nReuters said so .\n", encoding="utf-8")
    code, out, _ = run_cli(monkeypatch, capsys, "tag", model, text)
    blocks = out.strip("\n").split("\n\n")
    assert code == 0 and len(blocks) == 2
    assert [line.split()[0] for line in blocks[0].splitlines()] == ["John", "Smith", "lives", "in", "London", "."]
    code, out, _ = run_cli(monkeypatch, capsys, "tag", model, text, "--json")
    raw = text.read_text(encoding="utf-8")
    assert code == 0 and all(raw[s["start"] : s["end"]] == s["text"] for s in json.loads(out))

    long = tmp_path / "long.txt"
    long.write_text(" ".join(["Paris"] * 1000) + "\n", encoding="utf-8")
    code, out, _ = run_cli(monkeypatch, capsys, "tag", model, long)
    assert code == 0 and len(out.strip().splitlines()) == 1000


def test_tag_non_utf8_is_a_clear_error(trained_model, tmp_path, monkeypatch, capsys):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("ok line\nJosé Müller\n".encode("latin-1"))
    code, out, err = run_cli(monkeypatch, capsys, "tag", trained_model[1], bad)
    assert code == 2 and out == ""
    assert err.startswith("xner: error: ") and f"{bad}:2:" in err and "utf-8" in err and "--encoding" in err
    code, out, _ = run_cli(monkeypatch, capsys, "tag", trained_model[1], bad, "--encoding", "latin-1")
    assert code == 0 and "Müller" in out


def test_tag_missing_model(tmp_path, monkeypatch, capsys):
    code, _, err = run_cli(monkeypatch, capsys, "tag", tmp_path / "nope")
    assert code == 2 and "no such model folder" in err


def test_evaluate_json(trained_model, en_small, tmp_path, monkeypatch, capsys):
    from xner.data.conll import write_conll

    _, dev, _ = en_small
    data = tmp_path / "dev.conll"
    write_conll(data, dev[:30])
    code, out, _ = run_cli(monkeypatch, capsys, "evaluate", trained_model[1], data, "--json", "--lang", "en")
    scores = json.loads(out)
    assert code == 0 and {"precision", "recall", "f1", "per_type"} <= set(scores)


def test_train_command_small(tmp_path, monkeypatch, capsys, en_small, ner_data):
    from xner.data.conll import write_conll

    monkeypatch.setenv("XNER_DATA", str(ner_data))  # `--lang en` finds its embedding table there

    train_s, dev, _ = en_small
    write_conll(tmp_path / "train.conll", train_s[:40])
    write_conll(tmp_path / "dev.conll", dev[:20])
    code, out, err = run_cli(monkeypatch, capsys, "train", "--train", tmp_path / "train.conll", "--dev",
                             tmp_path / "dev.conll", "--lang", "en", "--max-vocab", "3000", "--epochs", "1",
                             "--out", tmp_path / "run", "--threads", "1")
    assert code == 0, err
    assert "best dev F1" in out and (tmp_path / "run" / "best-dev" / "model.safetensors").is_file()
    assert "parameters without word embeddings" in err
    code, out, err = run_cli(monkeypatch, capsys, "tag", tmp_path / "run", tmp_path / "dev.conll")  # run folder
    assert code == 0
