"""End to end: `xner serve` on loopback, its page in headless Chromium, a Spanish sentence typed in.

Needs Debian's `chromium` and the Playwright driver (`pip install -e '.[test]'`; no browser download).
Skips, with the reason printed, where either is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")


def _skip(reason: str) -> None:
    print(f"SKIP: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    import importlib.util

    from xner.serve.process import chromium_path

    if importlib.util.find_spec("playwright") is None:
        _skip("the Playwright driver is not installed: pip install -e '.[browser]'")
    path = chromium_path()
    if path is None:
        _skip("Chromium is not installed (Debian: apt-get install -y chromium)")
    return path


@pytest.fixture(scope="module")
def server(es_model_dir, chromium):
    from xner.serve.process import serve_process

    with serve_process([f"es={es_model_dir}"], ["--max-tokens", "60"]) as url:
        yield url


def test_page_highlights_the_entities(server, spanish):
    import httpx

    from xner.serve.process import tag_in_browser

    text = spanish[0]
    api = httpx.post(server + "/tag", json={"text": text, "lang": "es"}, trust_env=False).json()
    assert api["entities"], "the test model should find entities in a training sentence"
    seen = tag_in_browser(server, text, lang="es")
    assert not seen["error"], seen["status"]
    assert seen["entities"] == [{"type": e["type"], "text": e["text"]} for e in api["entities"]]
    assert f"{len(api['entities'])} entit" in seen["status"]


def test_page_shows_the_servers_error(server):
    from xner.serve.process import tag_in_browser

    seen = tag_in_browser(server, "una palabra " * 40)  # 80 tokens > --max-tokens 60
    assert seen["error"] and "413" in seen["status"] and "limit is 60" in seen["status"]
    assert seen["entities"] == []


def test_page_highlights_the_right_characters_after_emoji(server, spanish):
    """Offsets are code points; the page used to cut the text in UTF-16 units, one off per emoji before a name."""
    import httpx

    from xner.serve.process import tag_in_browser

    text = "\U0001F600\U0001F600\U0001F600 " + spanish[0] + " \U0001F1EA\U0001F1F8 \U0001F468\u200d\U0001F469\u200d\U0001F467"
    api = httpx.post(server + "/tag", json={"text": text, "lang": "es"}, trust_env=False).json()
    assert api["entities"], "the test model should find entities in a training sentence"
    assert all(text[e["start"] : e["end"]] == e["text"] for e in api["entities"])
    seen = tag_in_browser(server, text, lang="es")
    assert not seen["error"], seen["status"]
    assert seen["entities"] == [{"type": e["type"], "text": e["text"]} for e in api["entities"]]


@pytest.fixture(scope="module")
def augmented_model_dir(tmp_path_factory) -> Path:
    """A small Cross-Augmented model folder written by the `xner transfer` command on the shipped demo bundle
    (the dictionary-free default alignment with small-table settings, 1 epoch, 1 iteration)."""
    import subprocess
    import sys

    from xner.data.conll import read_conll, write_conll

    demo = Path(__file__).resolve().parents[2] / "xner" / "demo_data"
    tmp = tmp_path_factory.mktemp("augmented")
    write_conll(tmp / "en.conll", read_conll(demo / "en.train.conll")[:200])
    lines = (demo / "es.unlabeled.txt").read_text(encoding="utf-8").splitlines()[:100]
    (tmp / "es.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    small = ["max_tries=1", "max_vocab=3000", "self_learning.cutoff=3000", "self_learning.stage_iterations=2",
             "screen_iterations=2", 'seed_families=["identical+numerals"]']
    cmd = [sys.executable, "-c", "from xner.cli import main; main()", "transfer", "--source", str(tmp / "en.conll"),
           "--target-text", str(tmp / "es.txt"), "--target-lang", "es", "--source-emb", "demo:en", "--target-emb",
           "demo:es", "--method", "cross-augmented", "--base", "cross-word", "--epochs", "1", "--iterations", "1",
           "--eval-every", "0", "--max-vocab", "3000", "--out", str(tmp / "model")]
    for item in small:
        cmd += ["--align-set", item]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return tmp / "model"


def test_page_tags_with_a_cross_augmented_model(augmented_model_dir, chromium):
    import json

    import httpx

    from xner.serve.process import serve_process, tag_in_browser

    assert json.loads((augmented_model_dir / "config.json").read_text())["kind"] == "xner-augmented-tagger"
    text = "El presidente de Telefónica , César Alierta , se reunió en Madrid con el Gobierno de Brasil ."
    with serve_process([f"es={augmented_model_dir}"], []) as url:
        api = httpx.post(url + "/tag", json={"text": text, "lang": "es"}, trust_env=False)
        assert api.status_code == 200, api.text
        seen = tag_in_browser(url, text, lang="es")
    assert not seen["error"], seen["status"]
    assert seen["entities"] == [{"type": e["type"], "text": e["text"]} for e in api.json()["entities"]]
    assert f"{len(api.json()['entities'])} entit" in seen["status"]
