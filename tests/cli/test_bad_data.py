"""Issue 19 item 7: data files a user may hand to `xner` (through the CLI, in process)."""

from __future__ import annotations

import json
import os

import pytest

from xner.data.conll import read_conll
from xner.metrics import span_scores


def _check_json(run_cli, path):
    code, out, err = run_cli("data", "check", path, "--json")
    assert code == 0, err
    return json.loads(out), err


@pytest.mark.parametrize("text, entities", [
    ("Peter I-PER\nBlackburn I-PER\nof O\nBBC I-ORG\n\nEU I-ORG\nsaid O\n", {"PER": 1, "ORG": 2}),  # IOB1
    ("The O\nEU I-ORG\nbody I-ORG\nsaid O\n\nKing B-PER\nPeter I-PER\n", {"ORG": 1, "PER": 1}),  # I- after O
    ("Rio B-LOC\nde I-LOC\nJaneiro E-LOC\nand O\nLisbon S-LOC\n", {"LOC": 2}),  # IOBES
])
def test_entity_counts_agree_with_the_scorer(tmp_path, run_cli, text, entities):
    path = tmp_path / "data.conll"
    path.write_text(text, encoding="utf-8")
    result, _ = _check_json(run_cli, path)
    assert result["entities"] == entities
    tags = [list(s.tags) for s in read_conll(path)]
    scored = {typ: v["support"] for typ, v in span_scores(tags, tags)["per_type"].items()}
    assert scored == entities


def test_cr_only_line_endings_read_like_lf(tmp_path, run_cli, one_line_error):
    lf = "Peter B-PER\nvisited O\nParis B-LOC\n\nThe O\nEU B-ORG\n"
    path = tmp_path / "mac.conll"
    path.write_bytes(lf.replace("\n", "\r").encode("utf-8"))
    result, _ = _check_json(run_cli, path)
    assert (result["sentences"], result["tokens"], result["entities"]) == (2, 5, {"LOC": 1, "ORG": 1, "PER": 1})
    path.write_bytes(lf.replace("\n", "\r").replace("EU B-ORG", "EU B_ORG").encode("utf-8"))
    code, _, err = run_cli("data", "check", path)
    one_line_error(code, err, f"{path}:6:", "invalid tag 'B_ORG'")


def test_a_directory_is_named_as_one(tmp_path, tiny, run_cli, one_line_error):
    folder = tmp_path / "folder.conll"
    folder.mkdir()
    for args in (("data", "check", folder), ("tag", tiny["model"], folder), ("evaluate", tiny["model"], folder)):
        code, _, err = run_cli(*args)
        one_line_error(code, err, str(folder), "is a directory, not a file")


def test_a_fifo_is_read(tmp_path, tiny, run_cli):
    import threading

    fifo = tmp_path / "pipe.conll"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(tiny["train"].read_text(encoding="utf-8"), encoding="utf-8"))
    writer.start()
    result, _ = _check_json(run_cli, fifo)
    writer.join(timeout=10)
    assert result["sentences"] == 4


@pytest.mark.parametrize("text, schemes", [
    ("Rio B-LOC\nde E-LOC\n\nParis B-LOC\nsaid O\n", ("IOBES from line 1", "IOB2 from line 4")),
    ("EU I-ORG\nsaid O\n\nThe O\nUN B-ORG\n", ("IOB1 from line 1", "IOB2 from line 4")),
    ("Lisbon S-LOC\n\nThe O\nUN I-ORG\n", ("IOBES from line 1", "IOB1 from line 3")),
])
def test_mixed_schemes_warn(tmp_path, run_cli, text, schemes):
    path = tmp_path / "mixed.conll"
    path.write_text(text, encoding="utf-8")
    _, err = _check_json(run_cli, path)
    warning = [line for line in err.splitlines() if line.startswith("xner: warning:")]
    assert len(warning) == 1 and str(path) in warning[0] and "mixed tag schemes" in warning[0]
    for scheme in schemes:
        assert scheme in warning[0]


@pytest.mark.parametrize("text", [
    "Peter B-PER\nBlackburn I-PER\n\nParis B-LOC\n",  # IOB2
    "Peter S-PER\n\nRio B-LOC\nde E-LOC\n",  # IOBES
    "Peter I-PER\nB. B-PER\n",  # IOB1: B- only between two entities of one type
])
def test_one_scheme_does_not_warn(tmp_path, run_cli, text):
    path = tmp_path / "clean.conll"
    path.write_text(text, encoding="utf-8")
    assert "warning" not in _check_json(run_cli, path)[1]


def test_vec_with_a_bom_is_read(tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv("XNER_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "bom.vec"
    path.write_bytes("\ufeff2 3\nParis 0.1 0.2 0.3\nLondon 0.3 0.2 0.1\n".encode("utf-8"))
    code, out, err = run_cli("embed", "info", path)
    assert code == 0, err
    assert "2" in out


def test_version(run_cli):
    import xner

    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip() == f"xner {xner.__version__}"


def test_data_stats_counts_iob1_entities(tmp_path, run_cli):
    (tmp_path / "ner" / "en").mkdir(parents=True)
    (tmp_path / "ner" / "en" / "train.txt").write_text("EU I-ORG\nsaid O\n\nThe O\nUN I-ORG\nbody I-ORG\n",
                                                      encoding="utf-8")
    code, out, err = run_cli("data", "stats", "--json", "--data", tmp_path, "--lang", "en")
    assert code == 0, err
    assert json.loads(out)["en"]["train"]["entities"] == {"ORG": 2}
