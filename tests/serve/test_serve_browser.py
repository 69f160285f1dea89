"""End to end: `xner serve` on loopback, its page in headless Chromium, a Spanish sentence typed in.

Needs Debian's `chromium` and the Playwright driver (`pip install -e '.[test]'`; no browser download).
Skips, with the reason printed, where either is missing.
"""

from __future__ import annotations

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
