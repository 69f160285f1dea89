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
) -> None:
    """Serve taggers: POST /tag (JSON API, spec at /openapi.json), GET /health, and a web page at /."""
    # oneDNN (torch's CPU LSTM) caches a compiled primitive per input shape, up to 1,024 by default, so texts
    # of every length made RSS grow (issue 19: 392 MB -> 1 GB); a small cache bounds it (measured with
    # benchmarks/bench_serve.py --memory). oneDNN reads the variable when the first LSTM runs: set it first.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_PRIMITIVE_CACHE))
    import uvicorn

    from xner.serve.app import ServeLimits, create_app, load_specs

    sock = _listen(host, port)  # before the models load: a port in use fails at once, with exit 2
    if threads > 0:
        from xner.threads import configure_threads

        configure_threads(threads)
    limits = ServeLimits(max_body_bytes=max_body_bytes, max_tokens=max_tokens, batching=not no_batching)
    app = create_app(load_specs(models), limits)
    typer.echo(f"xner: serving {', '.join(app.state.models)} on http://{host}:{port}/ "
               "(API: POST /tag, GET /health; spec: /openapi.json)", err=True)
    uvicorn.Server(uvicorn.Config(app, log_level=log_level)).run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """A bound socket for uvicorn (as uvicorn binds it: SO_REUSEADDR), or an XnerError saying why not."""
    from xner.errors import XnerError

    if not 0 <= port <= 65535:
        raise XnerError(f"--port must be between 0 and 65535, not {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
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
