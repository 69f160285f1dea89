"""`xner analyse pseudo-labels|capitalisation|subwords|translation`: the analyses behind committed results (analysis only: they read
target gold tags to diagnose, never to train or select)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from xner.cli.experiment import parse_sets
from xner.experiments.provenance import command_line

analyse_app = typer.Typer(help="Analyses of finished experiment cells (read target gold tags: analysis only).",
                          no_args_is_help=True)

FROM_JSON_OPT = typer.Option(False, "--from-json", help="Rewrite OUT.md from the committed OUT.json; compute nothing.")
THREADS_OPT = typer.Option(1, "--threads", help="Torch CPU threads.")


def _echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _rewrote_from_json(from_json: bool, out: str, markdown, threads: int) -> bool:
    """With --from-json: OUT.md rewritten from OUT.json (True: nothing else to do); else set the CPU threads."""
    if from_json:
        from xner.experiments.provenance import rewrite_markdown

        _echo(f"wrote {rewrite_markdown(out, markdown)}")
        return True
    from xner.threads import configure_threads

    configure_threads(threads)
    return False


@analyse_app.command("pseudo-labels")
def pseudo_labels(
    lang: Optional[list[str]] = typer.Option(None, "--lang", help="Target language(s) (default: es nl de ar fi)."),
    mode: Optional[list[str]] = typer.Option(None, "--mode", help="Selection mode(s) whose base checkpoint "
                                             "pseudo-labels (default: tgt-dev src-dev)."),
    seed: int = typer.Option(1, "--seed", help="Cross-Augmented seed whose base is used."),
    budget: str = typer.Option("e1-a2-u2000", "--budget", help="Budget tag of the finished grid runs."),
    tag: str = typer.Option("supmap", "--tag", help="Result tag of the grid runs."),
    sets: Optional[list[str]] = typer.Option(None, "--set", help="SECTION.FIELD=VALUE, as `xner experiment run`."),
    results: Path = typer.Option(Path("results/experiments"), "--results", help="Results root of the grid."),
    runs: Path = typer.Option(Path("runs/experiments"), "--runs", help="Run folders of the grid."),
    max_sentences: Optional[int] = typer.Option(None, "--max-sentences", help="First N target sentences per language."),
    threads: int = THREADS_OPT,
    out: str = typer.Option("results/pseudo_labels", "--out", help="Writes OUT.json and OUT.md."),
    from_json: bool = FROM_JSON_OPT,
) -> None:
    """Pseudo-label quality of the Cross-Augmented base models by target sentence length."""
    from xner.experiments.analyses import pseudo_labels as analysis

    if _rewrote_from_json(from_json, out, analysis.markdown, threads):
        return
    defaults = analysis.PseudoLabelConfig()
    config = analysis.PseudoLabelConfig(
        langs=list(lang) if lang else defaults.langs, modes=list(mode) if mode else defaults.modes, seed=seed,
        budget=budget, tag=tag, sets=parse_sets(sets), results_root=str(results), runs_root=str(runs),
        max_sentences=max_sentences)
    analysis.pseudo_label_quality(config, command_line(), out, _echo)


@analyse_app.command("capitalisation")
def capitalisation(
    lang: Optional[list[str]] = typer.Option(None, "--lang", help="Target languages with full-budget base cells "
                                             "(default: es nl de)."),
    split: str = typer.Option("test", "--split", help="Split the taggers tag."),
    threads: int = THREADS_OPT,
    out: str = typer.Option("results/supplementary/full/capitalisation", "--out", help="Writes OUT.json and OUT.md."),
    from_json: bool = FROM_JSON_OPT,
) -> None:
    """Capitalised words inside and outside entities, in gold tags and in the full-budget base taggers' output."""
    from xner.experiments.analyses import capitalisation as analysis

    if _rewrote_from_json(from_json, out, analysis.markdown, threads):
        return
    analysis.capitalisation(list(lang) if lang else ["es", "nl", "de"], command_line(), out, split, _echo)


@analyse_app.command("subwords")
def subwords(
    results: Path = typer.Option(Path("results/subword"), "--results", help="Folder of the committed inputs; writes "
                                 "the .md and .json of the same name beside it."),
) -> None:
    """fi NER-token coverage and Cross-Shared F1 with and without subword vectors (results/subword.md)."""
    from xner.experiments.analyses import subwords as analysis

    for path in analysis.render(results):
        _echo(f"wrote {path}")


@analyse_app.command("translation")
def translation(
    lang: Optional[list[str]] = typer.Option(None, "--lang", help="Target language(s) (default: es nl de ar fi)."),
    threads: int = THREADS_OPT,
    out: str = typer.Option("results/translation_coverage", "--out", help="Writes OUT.json and OUT.md."),
    from_json: bool = FROM_JSON_OPT,
) -> None:
    """What word-by-word translation (BWET) covers of the target test text, per language."""
    from xner.experiments.analyses import translation as analysis
    from xner.transfer.config import TARGET_LANGS

    if _rewrote_from_json(from_json, out, analysis.markdown, threads):
        return
    analysis.translation_coverage(list(lang) if lang else list(TARGET_LANGS), command_line(), out, _echo)


def register(app: typer.Typer) -> None:
    app.add_typer(analyse_app, name="analyse")
