"""`xner download`: resumable HTTP fetch against a loopback server (no internet needed)."""

from __future__ import annotations

import gzip
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from xner.download import DownloadConfig, download_vectors, fetch, vectors_url
from xner.errors import XnerError

FAST = DownloadConfig(chunk_size=997, timeout=5.0, retries=0, retry_wait=0.01)


def _vec_text(n_words: int = 400, dim: int = 8) -> bytes:
    rng = np.random.default_rng(0)
    lines = [f"{n_words} {dim}"]
    for i in range(n_words):
        vec = " ".join(f"{x:.4f}" for x in rng.standard_normal(dim))
        lines.append(f"w{i} {vec}")
    return ("\n".join(lines) + "\n").encode()


class _Server:
    """Loopback HTTP server: serves `files`, honours `Range` (unless told not to), can cut transfers."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut_after: list[int] = []  # per upcoming GET: close the connection after this many body bytes
        self.honour_range = True
        self.fail_status: list[int] = []  # per upcoming GET: answer with this HTTP error instead
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Range")))
                body = outer.files.get(self.path)
                if outer.fail_status:
                    self.send_error(outer.fail_status.pop(0))
                    return
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng and outer.honour_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                payload = body[start:]
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if outer.cut_after:
                    payload = payload[: outer.cut_after.pop(0)]
                    self.close_connection = True
                self.wfile.write(payload)
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    srv = _Server()
    yield srv
    srv.close()


def test_vectors_url_official_locations():
    assert vectors_url("es") == "https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.es.vec"
    assert vectors_url("fi", "cc") == "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.fi.300.vec.gz"
    with pytest.raises(XnerError):
        vectors_url("es", "glove")
    with pytest.raises(XnerError):
        vectors_url("../x")


def test_plain_download(server, tmp_path):
    body = _vec_text()
    server.files["/wiki.xx.vec"] = body
    dest = fetch(server.url("/wiki.xx.vec"), tmp_path / "wiki.xx.vec", config=FAST,
                 sha256=hashlib.sha256(body).hexdigest())
    assert dest.read_bytes() == body
    assert not (tmp_path / "wiki.xx.vec.part").exists()
    assert server.requests == [("/wiki.xx.vec", None)]


def test_interrupted_download_resumes_with_range(server, tmp_path):
    body = _vec_text()
    server.files["/wiki.xx.vec"] = body
    server.cut_after = [5000]
    dest = tmp_path / "wiki.xx.vec"
    # First call: the connection drops mid-way; no retries allowed, so it fails and keeps the part file.
    with pytest.raises(XnerError, match="interrupted.*5000 bytes kept"):
        fetch(server.url("/wiki.xx.vec"), dest, config=FAST)
    assert not dest.exists()
    assert (tmp_path / "wiki.xx.vec.part").stat().st_size == 5000
    # Second call resumes from byte 5000 and completes.
    seen = []
    fetch(server.url("/wiki.xx.vec"), dest, config=FAST, progress=lambda done, total: seen.append((done, total)))
    assert dest.read_bytes() == body
    assert server.requests[-1] == ("/wiki.xx.vec", "bytes=5000-")
    assert seen[0] == (5000, len(body)) and seen[-1] == (len(body), len(body))


def test_automatic_retry_within_one_call(server, tmp_path):
    body = _vec_text()
    server.files["/v.vec"] = body
    server.cut_after = [3000, 2000]  # two drops, then a full transfer
    logs = []
    cfg = DownloadConfig(chunk_size=997, timeout=5.0, retries=3, retry_wait=0.01)
    fetch(server.url("/v.vec"), tmp_path / "v.vec", config=cfg, log=logs.append)
    assert (tmp_path / "v.vec").read_bytes() == body
    assert [r for _, r in server.requests] == [None, "bytes=3000-", "bytes=5000-"]
    assert len(logs) == 2


def test_server_errors_are_retried(server, tmp_path):
    body = _vec_text()
    server.files["/v.vec"] = body
    server.fail_status = [503]
    cfg = DownloadConfig(chunk_size=997, timeout=5.0, retries=1, retry_wait=0.01)
    fetch(server.url("/v.vec"), tmp_path / "v.vec", config=cfg)
    assert (tmp_path / "v.vec").read_bytes() == body
    server.fail_status = [503]
    with pytest.raises(XnerError, match="HTTP 503"):
        fetch(server.url("/v.vec"), tmp_path / "w.vec", config=FAST)


def test_server_without_range_support_restarts(server, tmp_path):
    body = _vec_text()
    server.files["/v.vec"] = body
    (tmp_path / "v.vec.part").write_bytes(b"stale bytes from another file")
    server.honour_range = False
    fetch(server.url("/v.vec"), tmp_path / "v.vec", config=FAST)
    assert (tmp_path / "v.vec").read_bytes() == body


def test_complete_part_file_and_416(server, tmp_path):
    body = _vec_text()
    server.files["/v.vec"] = body
    (tmp_path / "v.vec.part").write_bytes(body)  # fully downloaded, rename never happened
    fetch(server.url("/v.vec"), tmp_path / "v.vec", config=FAST)
    assert (tmp_path / "v.vec").read_bytes() == body


def test_checksum_and_size_mismatch_leave_nothing(server, tmp_path):
    server.files["/v.vec"] = _vec_text()
    with pytest.raises(XnerError, match="sha256 check failed"):
        fetch(server.url("/v.vec"), tmp_path / "v.vec", config=FAST, sha256="0" * 64)
    with pytest.raises(XnerError, match="size check failed"):
        fetch(server.url("/v.vec"), tmp_path / "v.vec", config=FAST, expected_size=12)
    assert list(tmp_path.iterdir()) == []


def test_http_error_and_bad_scheme(server, tmp_path):
    with pytest.raises(XnerError, match="HTTP 404"):
        fetch(server.url("/missing.vec"), tmp_path / "m.vec", config=FAST)
    with pytest.raises(XnerError, match="only http"):
        fetch("file:///etc/passwd", tmp_path / "p", config=FAST)


@pytest.mark.parametrize("gz", [False, True])
def test_download_vectors_converts_to_binary_cache(server, tmp_path, monkeypatch, gz):
    monkeypatch.setenv("XNER_CACHE", str(tmp_path / "cache"))
    body = _vec_text(n_words=50, dim=6)
    name = "/cc.xx.300.vec.gz" if gz else "/wiki.xx.vec"
    server.files[name] = gzip.compress(body, mtime=0) if gz else body
    server.cut_after = [700]
    cfg = DownloadConfig(chunk_size=256, timeout=5.0, retries=2, retry_wait=0.01)
    result = download_vectors("xx", url=server.url(name), config=cfg)
    assert result["rows"] == 50 and result["dim"] == 6
    from xner.embeddings.io import load_embeddings

    table = load_embeddings(result["table"])
    assert table.words[:2] == ["w0", "w1"]
    first = np.array([float(x) for x in body.decode().splitlines()[1].split()[1:]])
    np.testing.assert_allclose(np.asarray(table.vectors[0], dtype=np.float64), first, atol=2e-3)


def test_cli_download_resumes(server, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from xner.cli import app

    monkeypatch.setenv("XNER_CACHE", str(tmp_path / "cache"))
    body = _vec_text(n_words=30, dim=4)
    server.files["/wiki.xx.vec"] = body
    server.cut_after = [100]
    out = tmp_path / "vec"
    args = ["download", "vectors", "xx", "--url", server.url("/wiki.xx.vec"), "--out", str(out), "--retries", "0"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code != 0 and isinstance(first.exception, XnerError)
    assert (out / "wiki.xx.vec.part").stat().st_size == 100
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert (out / "wiki.xx.vec").read_bytes() == body
    assert server.requests[-1][1] == "bytes=100-"
