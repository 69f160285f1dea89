"""Issue 19 item 6: raw text with NFD accents, zero-width and control characters and emoji, through
`xner tag` and `POST /tag`: the same tokens as the clean NFC text, offsets into the text as sent."""

from __future__ import annotations

import json
import unicodedata
import warnings

import pytest

CLEAN = "José Müller visited Peter in Madrid 🇪🇸 👨‍👩‍👧"
MESSY = unicodedata.normalize("NFD", "José Mü\u200bller visited Pe\u2060ter\x00in Madrid\x07 🇪🇸 👨‍👩‍👧")
TOKENS = ["José", "Müller", "visited", "Peter", "in", "Madrid", "🇪🇸", "👨‍👩‍👧"]


def test_xner_tag_normalises_raw_text(tiny, tmp_path, run_cli):
    path = tmp_path / "messy.txt"
    path.write_text(MESSY + "\n", encoding="utf-8")
    code, out, err = run_cli("tag", tiny["model"], path)
    assert code == 0, err
    assert [line.split(" ")[0] for line in out.strip().splitlines()] == TOKENS
    clean = tmp_path / "clean.txt"
    clean.write_text(CLEAN + "\n", encoding="utf-8")
    assert run_cli("tag", tiny["model"], clean)[1] == out  # same tags too: the model saw the same words
    code, out, _ = run_cli("tag", tiny["model"], path, "--json")
    assert code == 0 and all(MESSY[s["start"] : s["end"]] == s["text"] for s in json.loads(out))


def test_serve_normalises_raw_text(tiny):
    pytest.importorskip("fastapi")
    from xner.serve.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    client = TestClient(create_app({"en": tiny["model"]}))
    messy, clean = (client.post("/tag", json={"text": t}).json() for t in (MESSY, CLEAN))
    assert messy["sentences"][0]["tokens"] == TOKENS and messy["sentences"][0]["tags"] == clean["sentences"][0]["tags"]
    for (start, end), token in zip(messy["sentences"][0]["offsets"], TOKENS):
        assert unicodedata.normalize("NFC", MESSY[start:end]).replace("\u200b", "").replace("\u2060", "") == token
    pre = client.post("/tag", json={"tokens": [[unicodedata.normalize("NFD", t) for t in TOKENS]]}).json()
    assert pre["sentences"][0]["tags"] == clean["sentences"][0]["tags"]
