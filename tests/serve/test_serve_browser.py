"""End to end: `xner serve` on loopback, its page in headless Chromium, a Spanish sentence typed in.

Needs Debian's `chromium` and the Playwright driver (`pip install -e '.[test]'`; no browser download).
Skips, with the reason printed, only where Chromium is missing and apt-get is not there to install it.
"""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")


@pytest.fixture(scope="module")
def chromium() -> str:
    from xner.serve.process import chromium_path

    path = chromium_path()
    if path is None:
        if shutil.which("apt-get") is None:
            reason = "Chromium is not installed and apt-get is unavailable to install it"
            print(f"SKIP: {reason}")
            pytest.skip(reason)
        pytest.fail("Chromium is not installed: apt-get install -y chromium (see .ci/run)")
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
