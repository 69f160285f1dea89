"""`xner download vectors LANG`: official fastText vectors, resumable, converted to xner's cache."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

download_app = typer.Typer(help="Download resources that cannot ship with xner.", no_args_is_help=True)


@download_app.command("vectors")
def vectors(
    lang: str = typer.Argument(..., help="Language code, e.g. en, es, nl, de, ar, fi."),
    kind: str = typer.Option("wiki", "--kind", help="wiki: wiki.LANG.vec (the paper's); cc: cc.LANG.300.vec.gz."),
    url: Optional[str] = typer.Option(None, "--url", help="Download from this mirror instead of dl.fbaipublicfiles.com."),
    sha256: Optional[str] = typer.Option(None, "--sha256", help="Expected sha256 of the file (checked when given)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the file (default: $XNER_CACHE/vectors)."),
    max_vocab: Optional[int] = typer.Option(None, "--max-vocab", help="Keep only the N most frequent words when converting."),
    no_convert: bool = typer.Option(False, "--no-convert", help="Only download; do not build the binary table."),
    force: bool = typer.Option(False, "--force", help="Download again even if the file is there."),
    retries: int = typer.Option(5, "--retries", help="Automatic resumes after a dropped connection."),
) -> None:
    """Fetch fastText vectors (progress bar; an interrupted download resumes where it stopped)."""
    from rich.console import Console

    from xner.download import DownloadConfig, download_vectors, rich_progress, vectors_url

    console = Console(stderr=True)
    source = url or vectors_url(lang, kind)
    console.print(f"downloading {source}")
    with rich_progress(f"{lang} vectors") as progress:
        result = download_vectors(
            lang,
            kind,
            url=url,
            dest_dir=out,
            sha256=sha256,
            convert=False,
            force=force,
            config=DownloadConfig(retries=retries),
            progress=progress,
            log=lambda msg: console.print(f"[yellow]{msg}[/]"),
        )
    console.print(f"saved {result['file']} ({result['bytes']:,} bytes)")
    if not no_convert:
        from xner.download import convert_vectors
        from xner.embeddings.io import load_embeddings

        console.print("converting to xner's binary table ...")
        table_path = convert_vectors(result["file"], max_vocab=max_vocab)
        table = load_embeddings(table_path)
        console.print(f"table {table_path}: {len(table):,} words x {table.dim} d")
        print(table_path)


def register(app: typer.Typer) -> None:
    app.add_typer(download_app, name="download")
