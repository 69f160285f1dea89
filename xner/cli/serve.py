"""`xner serve MODEL...`: tag text over HTTP and on a web page (see `xner.serve.app`)."""

from __future__ import annotations

from typing import List

import typer


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
    """Serve taggers: POST /tag (JSON API, spec at /docs), GET /health, and a web page at /."""
    import uvicorn

    from xner.serve.app import ServeLimits, create_app, load_specs

    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    limits = ServeLimits(max_body_bytes=max_body_bytes, max_tokens=max_tokens, batching=not no_batching)
    app = create_app(load_specs(models), limits)
    typer.echo(f"xner: serving {', '.join(app.state.models)} on http://{host}:{port}/ (API spec: /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
