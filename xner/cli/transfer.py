"""`xner transfer`: English labels + raw target text + two embedding tables -> one target tagger folder.

Argument parsing only; the work is `xner.transfer.api.transfer`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from xner.cli.align import parse_value
from xner.errors import XnerError


def _table(spec: str):
    """A table spec: a shared language name (`en`), a `.vec`/`.npy` path, or `demo:LANG` (the shipped bundle)."""
    if spec.startswith("demo:"):
        from xner.demo import load_bundle_embeddings

        return load_bundle_embeddings(spec.split(":", 1)[1])
    from xner.embeddings.io import load_embeddings

    return load_embeddings(spec)


def _sentences(path: Path, tokenize: bool, encoding: str) -> list:
    from xner.data.conll import Sentence, read_plain_sentences

    if not tokenize:
        return read_plain_sentences(path, encoding=encoding)
    from xner.model.predictor import tokenize as split

    sentences = read_plain_sentences(path, encoding=encoding)  # checks the file and its encoding
    tokens = [[t.text for t in split(" ".join(s.tokens))] for s in sentences]
    return [Sentence(tuple(t), ("O",) * len(t)) for t in tokens if t]


def transfer_command(
    source: Path = typer.Option(..., "--source", help="Labelled English CoNLL file (TOKEN TAG per line)."),
    target_text: Path = typer.Option(..., "--target-text", help="Raw target text, one sentence per line."),
    target_lang: str = typer.Option(..., "--target-lang", help="Target language code (e.g. es)."),
    out: Path = typer.Option(..., "--out", help="Model folder to write (work files go to OUT/run/)."),
    source_emb: str = typer.Option("en", "--source-emb", help="English table: shared name, .vec/.npy path, or demo:en."),
    target_emb: Optional[str] = typer.Option(None, "--target-emb", help="Target table (default: --target-lang)."),
    method: Optional[str] = typer.Option(None, "--method", help="cross-word, cross-shared, cross-augmented or "
                                         "translate-train (BWET + the English originals: best label-free at the "
                                         "4-epoch budget, results/beyond.md) (default: cross-shared, the best at "
                                         "the paper's budget)."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="Folder of `xner align --out` (default: run the "
                                           "dictionary-free alignment (`xner align` default) on the two tables)."),
    source_dev: Optional[Path] = typer.Option(None, "--source-dev", help="English dev CoNLL file for selection "
                                              "(default: hold out the last 10% of --source)."),
    target_test: Optional[Path] = typer.Option(None, "--target-test", help="Labelled target CoNLL file, scored for "
                                               "the report only (never for selection)."),
    epochs: Optional[int] = typer.Option(None, help="English training epochs (default: the paper's 30)."),
    eval_every: Optional[int] = typer.Option(None, help="Batches between evaluations (default: the paper's 150)."),
    iterations: Optional[int] = typer.Option(None, help="Max Cross-Augmented iterations (default 30)."),
    patience: Optional[int] = typer.Option(None, help="Cross-Augmented patience in iterations (default 3)."),
    base: Optional[str] = typer.Option(None, help="Cross-Augmented base: best (default) or one base variant."),
    max_vocab: Optional[int] = typer.Option(None, help="Rows per embedding table (default: all)."),
    max_unlabeled: Optional[int] = typer.Option(None, help="First N target sentences (default: all)."),
    direction: Optional[str] = typer.Option(None, help="s2t or t2s (default: the paper's per language)."),
    tokenize: bool = typer.Option(False, "--tokenize", help="Tokenise --target-text with xner's tokenizer "
                                  "(default: split on whitespace)."),
    align_set: Optional[list[str]] = typer.Option(None, "--align-set", help="Without --mapping: override a field of "
                                                  "the alignment config, as `xner align --set` (repeatable), e.g. "
                                                  "self_learning.stage_iterations=3 for small tables."),
    seed: int = typer.Option(1, help="Random seed."),
    threads: int = typer.Option(1, help="Torch CPU threads."),
    encoding: str = typer.Option("utf-8", help="Encoding of the input files."),
    as_json: bool = typer.Option(False, "--json", help="Print the run report as JSON."),
) -> None:
    """Train a target-language tagger from English labels (no target label needed) and save it to OUT."""
    from xner.threads import configure_threads
    from rich.console import Console

    from xner.data.conll import read_conll
    from xner.transfer.api import DEFAULT_METHOD, TransferInputs, transfer
    from xner.transfer.config import AugmentConfig, Budget

    configure_threads(max(1, threads))
    console = Console(stderr=True)
    inputs = TransferInputs(
        source_train=read_conll(source, encoding=encoding),
        target_text=_sentences(target_text, tokenize, encoding),
        source_table=_table(source_emb), target_table=_table(target_emb or target_lang), target_lang=target_lang,
        source_dev=read_conll(source_dev, encoding=encoding) if source_dev else None,
        target_test=read_conll(target_test, encoding=encoding) if target_test else None,
        files={k: str(v) for k, v in (("source", source), ("target_text", target_text), ("source_dev", source_dev),
                                       ("target_test", target_test), ("source_emb", source_emb),
                                       ("target_emb", target_emb or target_lang)) if v is not None},
    )
    cuts = {"epochs": epochs, "eval_every": eval_every, "augment_iterations": iterations, "max_vocab": max_vocab,
            "max_unlabeled": max_unlabeled}
    budget = Budget(**{k: v for k, v in cuts.items() if v is not None})
    changes = {"patience": patience, "base": base}
    augment = AugmentConfig(**{k: v for k, v in changes.items() if v is not None})
    align_overrides = {}
    for item in align_set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise XnerError(f"--align-set expects key=value, got {item!r}")
        align_overrides[key.strip()] = parse_value(value.strip())
    report = transfer(inputs, out, method or DEFAULT_METHOD, mapping, budget, augment, seed, direction,
                      show_progress=sys.stderr.isatty(), echo=lambda text: console.print(text),
                      align_overrides=align_overrides)
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    chosen = report.get("augmented") or report.get("selected")
    console.print(f"[bold]{report['method']}[/bold] -> {out} in {report['seconds']:.0f}s; English dev F1 "
                  f"{chosen['english_dev_f1']:.2f} ({chosen['why']})"
                  + (f"; target test F1 {chosen['target_test_f1']:.2f} (report only)"
                     if chosen.get("target_test_f1") is not None else ""))
    print(out)


def register(app: typer.Typer) -> None:
    app.command("transfer")(transfer_command)
