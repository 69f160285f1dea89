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


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
