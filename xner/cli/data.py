"""`xner data ...`: look at datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

data_app = typer.Typer(help="Inspect NER datasets.", no_args_is_help=True)


@data_app.command("stats")
def stats(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    data: Optional[Path] = typer.Option(None, help="Data folder (default: $XNER_DATA or ../shared/data)."),
    lang: Optional[list[str]] = typer.Option(None, "--lang", help="Languages (default: all)."),
) -> None:
    """Sentences / tokens / entities per type for every language and split."""
    from rich.console import Console
    from rich.table import Table

    from xner.data.registry import LANGUAGES, all_stats

    result = all_stats(data, tuple(lang) if lang else LANGUAGES)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    table = Table(title="NER datasets")
    for col in ("lang", "split", "sentences", "tokens", "entities"):
        table.add_column(col, justify="right" if col in ("sentences", "tokens") else "left")
    for name, splits in result.items():
        for split, st in splits.items():
            ents = " ".join(f"{k}:{v}" for k, v in st["entities"].items())
            table.add_row(name, split, str(st["sentences"]), str(st["tokens"]), ents)
    Console().print(table)


@data_app.command("check")
def check(
    path: Path = typer.Argument(..., help="A CoNLL column file (token first, tag last by default)."),
    encoding: str = typer.Option("utf-8", help="Text encoding (CoNLL originals may be latin-1)."),
    token_column: int = typer.Option(0, help="Column of the token."),
    tag_column: int = typer.Option(-1, help="Column of the tag."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Read one CoNLL file, report its tag scheme and counts; any malformed line is named with its number."""
    from xner.data.conll import read_conll
    from xner.data.registry import dataset_stats
    from xner.data.tags import detect_scheme

    sentences = read_conll(path, token_column=token_column, tag_column=tag_column, encoding=encoding)
    result = {"path": str(path), "scheme": detect_scheme(s.tags for s in sentences), **dataset_stats(sentences)}
    if as_json:
        print(json.dumps(result, indent=2))
        return
    ents = " ".join(f"{k}:{v}" for k, v in result["entities"].items())
    print(f"{path}: {result['sentences']} sentences, {result['tokens']} tokens, scheme {result['scheme']}, entities {ents}")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
