"""`xner align`: map English and a target language into one space; `xner align evaluate`: P@k of a saved mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

align_app = typer.Typer(help="Cross-lingual embedding mapping without a dictionary (default: dictionary-free seeds from "
                        "spelling + stochastic self-learning; or MUSE adversarial + Procrustes-CSLS).")


def parse_value(text: str):
    """A `--set` value: JSON when it parses (numbers, booleans, lists), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@align_app.callback(invoke_without_command=True)
def align(
    ctx: typer.Context,
    src: str = typer.Option("en", help="Source language (or table path with --src-table)."),
    tgt: Optional[str] = typer.Option(None, help="Target language: es, nl, de, ar, fi."),
    out: Optional[Path] = typer.Option(None, help="Output folder (mapping, config, log, eval)."),
    preset: str = typer.Option("cpu", help="cpu (minutes on 2 cores) or muse (MUSE's defaults: hours)."),
    method: Optional[str] = typer.Option(
        None, help="dictionary-free (cpu default: seeds from spelling - identical strings, numerals, cognates - screened "
        "by the unsupervised criterion, then self-learning; weak supervision, no dictionary), similarity (fully "
        "unsupervised: similarity-distribution init + self-learning) or adversarial (MUSE; muse default)."),
    mode: str = typer.Option("unsupervised", help="unsupervised (no dictionary: --method) | supervised (train dictionary, "
                             "a reference only) | identical (Procrustes on identical strings, a reference only)."),
    direction: Optional[str] = typer.Option(None, help="s2t (en into target space) or t2s; default: the paper's per language."),
    seed: int = typer.Option(0, help="Random seed."),
    max_tries: Optional[int] = typer.Option(None, help="Restarts allowed when the criterion says the run collapsed."),
    test_dictionary: Optional[Path] = typer.Option(None, help="Evaluation dictionary (default: dictionaries/SRC-TGT.5000-6500.txt)."),
    train_dictionary: Optional[Path] = typer.Option(None, help="Seed dictionary for --mode supervised (default: SRC-TGT.0-5000.txt)."),
    src_table: Optional[str] = typer.Option(None, help="Source embedding table path (default: shared table of --src)."),
    tgt_table: Optional[str] = typer.Option(None, help="Target embedding table path (default: shared table of --tgt)."),
    threads: int = typer.Option(1, help="CPU threads for torch and faiss."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="Override a config field: adversarial.n_epochs=3 (repeatable)."),
) -> None:
    """Align --src and --tgt embeddings and write the mapping to --out."""
    if ctx.invoked_subcommand is not None:
        return
    from xner.threads import configure_threads
    from rich.console import Console

    from xner.align.config import preset as make_preset
    from xner.align.run import run_alignment
    from xner.errors import XnerError

    if tgt is None or out is None:
        raise XnerError("xner align needs --tgt and --out")
    configure_threads(threads)
    overrides = {"src_lang": src, "tgt_lang": tgt, "seed": seed, "direction": direction}
    if max_tries is not None:
        overrides["max_tries"] = max_tries
    for item in set_ or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise XnerError(f"--set expects key=value, got {item!r}")
        overrides[key.strip()] = parse_value(value.strip())
    config = make_preset(preset, method, **overrides)
    console = Console(stderr=True)

    def echo(entry: dict) -> None:
        console.print(" ".join(f"{k}={v}" for k, v in entry.items() if not isinstance(v, dict)))

    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:

        def progress(description: str, total: int):
            task = bar.add_task(description, total=total)
            return lambda done: bar.update(task, completed=done)

        result = run_alignment(config, out, mode, src_table, tgt_table, test_dictionary, train_dictionary,
                               progress=progress, echo=echo)
    ev = result.evaluation or {}
    if ev.get("csls_knn_10"):
        console.print(f"[bold]{src}-{tgt} {result.family or mode}[/bold]: P@1 CSLS {ev['csls_knn_10']['P@1']} NN {ev['nn']['P@1']} "
                      f"on {ev['queries']} in-vocabulary test words; criterion {result.criterion:.4f}; "
                      f"{'COLLAPSED' if result.collapsed else 'ok'}; {result.seconds:.0f}s -> {out}")


@align_app.command("table", context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
                   add_help_option=False)
def table(ctx: typer.Context) -> None:
    """results/align.md + .json: run (resumable) or --render-only the per-pair table; `xner align table --help`."""
    from xner.align.report import main as align_table

    align_table(list(ctx.args))


@align_app.command("evaluate")
def evaluate(
    mapping_dir: Path = typer.Argument(..., help="Folder written by `xner align --out`."),
    dictionary: Optional[Path] = typer.Option(None, help="Test dictionary (default: SRC-TGT.5000-6500.txt)."),
    threads: int = typer.Option(1, help="CPU threads."),
) -> None:
    """P@1/5/10 (NN and CSLS) of a saved mapping on a bilingual test dictionary."""
    from xner.threads import configure_threads

    from xner.align.run import evaluate_dir

    configure_threads(threads)
    print(json.dumps(evaluate_dir(mapping_dir, dictionary), indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(align_app, name="align")
