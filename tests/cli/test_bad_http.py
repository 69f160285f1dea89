"""Issue 19 items 1 and 7 (serve): every bad request gets JSON `{"error", "detail"}` with a 4xx status,
never a plain-text 500; `xner serve` on a port in use fails at once with one line."""

from __future__ import annotations

import os
import socket
import warnings

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")

from xner.serve.app import ServeLimits, create_app  # noqa: E402

with warnings.catch_warnings():  # starlette's notice about its httpx backend
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(tiny):
    return TestClient(create_app({"en": tiny["model"]}, ServeLimits()), raise_server_exceptions=False)


def _json_error(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"} and body["detail"], body
    if code:
        assert body["error"] == code, body
    return body["detail"]


@pytest.mark.parametrize("body, where", [
    (b'{"text": "Peter \\ud800 Blackburn"}', "text"),
    (b'{"text": "Peter \\udfff"}', "text"),
    (b'{"tokens": [["Peter", "\\ud800", "Blackburn"]]}', "tokens[0][1]"),
    (b'{"text": "Peter", "lang": "e\\ud800"}', "lang"),
])
def test_lone_surrogate_escape_is_422(client, body, where):
    detail = _json_error(client.post("/tag", content=body, headers={"Content-Type": "application/json"}),
                         422, "invalid_request")
    assert "lone surrogate" in detail and where in detail


@pytest.mark.parametrize("body", [b'{"te\\ud800xt": "Peter"}', b'{"text": "Peter", "\\udc00": 1}'])
def test_lone_surrogate_in_a_field_name_is_422(client, body):
    _json_error(client.post("/tag", content=body, headers={"Content-Type": "application/json"}), 422, "invalid_request")


def test_a_surrogate_pair_is_fine(client):
    r = client.post("/tag", content=b'{"text": "Peter \\ud83d\\ude00 Blackburn"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["text"] == "Peter \U0001F600 Blackburn"


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"])
def test_deeply_nested_json_is_422(client, body):
    _json_error(client.post("/tag", content=body, headers={"Content-Type": "application/json"}), 422, "invalid_json")


def test_empty_lang_is_422_not_the_default_model(client):
    detail = _json_error(client.post("/tag", json={"text": "Peter", "lang": ""}), 422, "unknown_lang")
    assert "''" in detail


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/nope", 404, "not_found"),
    ("GET", "/docs", 404, "not_found"),  # Swagger UI would load from a CDN: blank offline, so not served
    ("GET", "/redoc", 404, "not_found"),
    ("GET", "/static/nope.js", 404, "not_found"),
    ("GET", "/tag", 405, "method_not_allowed"),
    ("PUT", "/tag", 405, "method_not_allowed"),
    ("POST", "/health", 405, "method_not_allowed"),
])
def test_unknown_paths_and_methods_are_json(client, method, path, status, code):
    _json_error(client.request(method, path), status, code)


def test_a_server_fault_is_json_500(tiny):
    class Broken:
        default_lang = "en"

        def __init__(self):
            self.calls = 0

        def predict(self, token_lists, lang=None):
            self.calls += 1
            if self.calls > 1:  # the warm-up call at startup passes
                raise ZeroDivisionError("boom")
            return [["O"] * len(t) for t in token_lists]

    client = TestClient(create_app({"en": Broken()}), raise_server_exceptions=False)
    detail = _json_error(client.post("/tag", json={"text": "Peter"}), 500, "internal_error")
    assert "ZeroDivisionError" in detail


def test_serve_on_a_port_in_use_fails_before_loading(tmp_path, run_cli, one_line_error):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The model folder does not exist: the port is checked first, so the port is what the error names.
        code, _, err = run_cli("serve", tmp_path / "no-model", "--port", port)
    one_line_error(code, err, f"cannot listen on 127.0.0.1:{port}", "--port")


def test_serve_rejects_an_impossible_port(tiny, run_cli, one_line_error):
    code, _, err = run_cli("serve", tiny["model"], "--port", 70000)
    one_line_error(code, err, "--port must be between 0 and 65535")


def test_serve_bounds_the_onednn_cache_and_advertises_no_blank_docs(tiny, run_cli, monkeypatch):
    """Issue 19 item 10: oneDNN's per-shape primitive cache was what grew (see benchmarks/bench_serve.py --memory)."""
    import uvicorn

    from xner.cli.serve import ONEDNN_PRIMITIVE_CACHE

    ran = []
    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", raising=False)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: ran.append(sockets))
    code, _, err = run_cli("serve", tiny["model"], "--port", 0)
    assert code == 0, err
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == str(ONEDNN_PRIMITIVE_CACHE)
    assert len(ran) == 1 and len(ran[0]) == 1 and "/openapi.json" in err and "/docs" not in err
    ran[0][0].close()


def test_serve_socket_turns_nagle_off_on_its_connections():
    """Issue 21: on a proto-0 listening socket asyncio left Nagle on, and every answer waited ~40 ms for the
    client's delayed ACK. Connections accepted on `_listen`'s socket must have TCP_NODELAY."""
    import asyncio

    from xner.cli.serve import _listen

    async def accepted_nodelay(sock: socket.socket) -> int:
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        def on_connect(reader, writer):
            seen.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accepted_nodelay(_listen("127.0.0.1", 0))) != 0
    assert asyncio.run(accepted_nodelay(_listen("127.0.0.1", 0, nodelay=False))) == 0  # the old socket, as measured
