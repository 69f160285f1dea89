"""`xner serve MODEL...`: tag text over HTTP and on a web page (see `xner.serve.app`)."""

from __future__ import annotations

import errno
import os
import socket
from typing import List

import typer

ONEDNN_PRIMITIVE_CACHE = 16  # (ours) compiled LSTM shapes kept by oneDNN in `xner serve`; $ONEDNN_PRIMITIVE_CACHE_CAPACITY overrides


def serve(
    models: List[str] = typer.Argument(..., help="Model folders (from training/transfer), each as DIR or LANG=DIR; "
                                                 "LANG defaults to the model's default language. The first is the default."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (default loopback only)."),
    port: int = typer.Option(8000, help="TCP port."),
    max_body_bytes: int = typer.Option(256 * 1024, help="Larger request bodies get 413."),
    max_tokens: int = typer.Option(10_000, help="Requests with more tokens get 413."),
    no_batching: bool = typer.Option(False, "--no-batching", help="One model call per request (default: concurrent requests share calls)."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = torch's default)."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
    old_path: bool = typer.Option(False, "--old-path", hidden=True,
                                  help="The request and inference path before issue 21 (benchmarks/bench_serve.py only)."),
) -> None:
    """Serve taggers: POST /tag (JSON API, spec at /openapi.json), GET /health, and a web page at /."""
    # oneDNN (torch's CPU LSTM) caches a compiled primitive per input shape, up to 1,024 by default, so texts
    # of every length made RSS grow (issue 19: 392 MB -> 1 GB); a small cache bounds it (measured with
    # benchmarks/bench_serve.py --memory). oneDNN reads the variable when the first LSTM runs: set it first.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_PRIMITIVE_CACHE))
    import uvicorn

    from xner.serve.app import ServeLimits, create_app, load_specs

    sock = _listen(host, port, nodelay=not old_path)  # before the models load: a port in use fails at once, exit 2
    if threads > 0:
        from xner.threads import configure_threads

        configure_threads(threads)
    limits = ServeLimits(max_body_bytes=max_body_bytes, max_tokens=max_tokens, batching=not no_batching)
    specs = load_specs(models)
    if old_path:  # same tags and JSON, the slower path: for the old-vs-new latency benchmark
        limits.inline_tokens, limits.validate_response = 0, True
        for _, tagger in specs.values():
            if hasattr(tagger, "fast"):
                tagger.fast = False
    app = create_app(specs, limits)
    typer.echo(f"xner: serving {', '.join(app.state.models)} on http://{host}:{port}/ "
               "(API: POST /tag, GET /health; spec: /openapi.json)", err=True)
    uvicorn.Server(uvicorn.Config(app, log_level=log_level)).run(sockets=[sock])


def _listen(host: str, port: int, nodelay: bool = True) -> socket.socket:
    """A bound socket for uvicorn (as uvicorn binds it: SO_REUSEADDR), or an XnerError saying why not.

    The socket is made with proto IPPROTO_TCP, as `getaddrinfo` gives uvicorn when it binds: asyncio turns
    Nagle's algorithm off (TCP_NODELAY) only on connections of such a socket. A proto-0 socket left Nagle on,
    and each answer of `xner serve`, written in two parts, waited ~40 ms for the client's delayed ACK
    (measured: /health p50 44 ms; issue 21). `nodelay=False` is that old socket, for the benchmark only."""
    from xner.errors import XnerError

    if not 0 <= port <= 65535:
        raise XnerError(f"--port must be between 0 and 65535, not {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP if nodelay else 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        hint = "; pick another --port (is another xner serve running?)" if err.errno == errno.EADDRINUSE else ""
        raise XnerError(f"cannot listen on {host}:{port}: {err.strerror or err}{hint}") from None
    sock.set_inheritable(True)
    return sock


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
