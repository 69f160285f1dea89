"""Run `xner serve` in a child process on loopback, and drive its page in headless Chromium.

Used by the browser test, the load benchmark and the screenshot script, so all three exercise the
real command line, the real HTTP stack and the real page. Loopback only: nothing here opens a
connection to another machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, Sequence

from xner.errors import XnerError

LOOPBACK = "127.0.0.1"
# Flags that make Chromium work headless as root in a container and keep it off the network.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-proxy-server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_process(models: Sequence[str], args: Sequence[str] = (), port: int | None = None,
                  startup_s: float = 120.0, log_path: str | Path | None = None) -> Iterator[str]:
    """`xner serve MODELS... --host 127.0.0.1 --port P ARGS` in a child process; yields its base URL."""
    import httpx

    port = port or free_port()
    cmd = [sys.executable, "-c", "from xner.cli import main; main()", "serve", *models,
           "--host", LOOPBACK, "--port", str(port), "--log-level", "warning", *args]
    own_log = log_path is None
    if own_log:
        fd, log_path = tempfile.mkstemp(prefix="xner-serve-", suffix=".log")
        os.close(fd)
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:  # bounded: the deadline ends it
            if proc.poll() is not None:
                output = Path(log_path).read_text(encoding="utf-8")
                raise XnerError(f"xner serve exited with code {proc.returncode} before it was ready:\n{output[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2.0, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise XnerError(f"xner serve did not answer on {url}/health within {startup_s:.0f}s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if own_log:
            os.unlink(log_path)


def chromium_path() -> str | None:
    """The Debian `chromium` binary (never a browser downloaded by a driver)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def tag_in_browser(url: str, text: str, lang: str | None = None, screenshot: str | Path | None = None,
                   timeout_s: float = 60.0) -> dict:
    """Open the page at `url`, paste `text`, press Tag; returns the highlighted entities and the status line.

    `{"entities": [{"type", "text"}...], "status": str, "error": bool}`; writes a PNG when `screenshot` is set.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise XnerError("Chromium is not installed (Debian: apt-get install -y chromium)")
    timeout_ms = timeout_s * 1000
    with tempfile.TemporaryDirectory(prefix="xner-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=list(CHROMIUM_ARGS),
            viewport={"width": 1000, "height": 640}, device_scale_factor=1,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(timeout_ms)
            page.goto(url + "/")
            page.wait_for_selector("#lang option", state="attached")
            if lang:
                page.select_option("#lang", lang)
            page.fill("#text", text)
            page.click("#tag-button")
            page.wait_for_function("document.querySelector('#status').textContent && "
                                   "!document.querySelector('#tag-button').disabled")
            status = page.inner_text("#status")
            error = "error" in (page.get_attribute("#status", "class") or "")
            entities = page.eval_on_selector_all(
                "#output mark.ent", "marks => marks.map(m => ({type: m.dataset.type, text: m.firstChild.textContent}))")
            if screenshot:
                Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
            return {"entities": entities, "status": status, "error": error}
        finally:
            context.close()
