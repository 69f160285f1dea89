"""Commands that make the committed results beside the transfer grid, added to the `experiment` and `data` groups:
`xner experiment grid FILE` (a recipe of grids, then its tables), `xner experiment table2` (Table 2),
`xner experiment merge-modes` (GPU runs of one mode per process -> one cell), `xner data pack` (a data copy for a
machine without ../shared/data)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from xner.cli.data import data_app
from xner.cli.experiment import experiment_app
from xner.errors import XnerError
from xner.experiments.monolingual import Table2Config
from xner.experiments.provenance import command_line

T2 = Table2Config()  # the defaults, written once in the config


def _echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)

SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}  # the shell's exit codes for a process ended by these signals


def grid(
    recipe: Path = typer.Argument(..., help="Recipe file (xner/experiments/grids/*.json) or a plain grid file."),
    lang: Optional[list[str]] = typer.Option(None, "--lang", help="Target language(s) of every phase that does "
                                             "not fix its own."),
    seed: Optional[list[int]] = typer.Option(None, "--seed", help="Seed(s) of every phase that does not fix its own."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Parallel cells, where a phase does not fix it."),
    deadline: Optional[float] = typer.Option(None, "--deadline", help="Seconds per phase, where a phase does not fix "
                                             "it."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List each phase's cells and their status; run nothing."),
) -> None:
    """Run a recipe's grids one after the other (finished cells are skipped), then render its tables."""
    from xner.experiments.grid import expand, load_recipe, result_status
    from xner.experiments.runner import run_grid
    from xner.experiments.tables import render_all

    plan = load_recipe(recipe, langs=list(lang) if lang else None, seeds=list(seed) if seed else None,
                       workers=workers, deadline_s=deadline, device=device)
    failed = []
    for k, phase in enumerate(plan.phases, start=1):
        _echo(f"phase {k}/{len(plan.phases)}: {', '.join(phase.langs)} x {', '.join(phase.variants)} x seeds "
              f"{', '.join(map(str, phase.seeds))}, budget {phase.budget.name}")
        if dry_run:
            for cell in expand(phase):
                _echo(f"  {result_status(cell):8s} {cell.name} -> {cell.result_path}")
            continue
        report = run_grid(phase, command=f"{command_line()} (phase {k})", echo=_echo)
        failed += report.failed
        if report.stopped in SIGNAL_EXIT:  # a deadline ends one phase; a signal ends the whole recipe
            _echo(f"stopped by {report.stopped}: phase(s) {k + 1}-{len(plan.phases)} not started")
            raise typer.Exit(SIGNAL_EXIT[report.stopped])
    if plan.table and not dry_run:
        t = plan.table
        for name, path in render_all(plan.phases[0].results_root, Path(t.out), t.prefer, t.tag, t.only).items():
            print(f"{name}: {path}")
    if failed:
        raise XnerError(f"failed cell(s): {', '.join(failed)}; see their run logs")


def table2(
    lang: str = typer.Option("en", "--lang", help="en, es, nl, ar, fi, a comma list, or all."),
    device: str = typer.Option(T2.device, "--device", help="cpu or cuda."),
    epochs: int = typer.Option(T2.epochs, "--epochs", help="Epoch budget (paper: 30)."),
    seed: int = typer.Option(T2.seed, "--seed"),
    embeddings: str = typer.Option(T2.embeddings, "--embeddings", help="fasttext (the shared tables) or random."),
    no_char: bool = typer.Option(T2.no_char, "--no-char", help="No char BiLSTM."),
    out: Optional[Path] = typer.Option(None, "--out", help="Result JSON of one language "
                                       "(default results/table2/<lang>.json)."),
    out_dir: Path = typer.Option(Path("results/table2"), "--out-dir", help="Folder of the per-language JSON files."),
    log_dir: Optional[Path] = typer.Option(None, "--log-dir", help="With several languages: per-language logs "
                                           "(default --out-dir)."),
    results_dir: Path = typer.Option(Path("results"), "--results-dir", help="Where table2.md/.json are rendered."),
    runs_dir: str = typer.Option(T2.runs_dir, "--runs-dir", help="Checkpoints and models."),
    jobs: int = typer.Option(1, "--jobs", help="Languages trained in parallel processes."),
    threads: int = typer.Option(T2.threads, "--threads", help="Torch CPU threads per process (0: default)."),
    length_buckets: int = typer.Option(T2.length_buckets, "--length-buckets", help="TrainConfig.length_buckets "
                                       "(0: random batches)."),
    max_train: int = typer.Option(T2.max_train, "--max-train", help="Only the first N training sentences (0: all)."),
    resume: bool = typer.Option(T2.resume, "--resume", help="Continue from --runs-dir checkpoints."),
    no_track_test: bool = typer.Option(not T2.track_test, "--no-track-test", help="Do not score test at every "
                                       "evaluation."),
    quiet: bool = typer.Option(T2.quiet, "--quiet", help="No progress bar / log lines on stderr."),
    render_only: bool = typer.Option(False, "--render", help="Only render results/table2.md from --out-dir."),
) -> None:
    """Table 2: monolingual supervised NER F1 per language (the upper bound), trained with the shared embeddings."""
    from xner.experiments import monolingual

    if render_only:
        monolingual.render(out_dir, results_dir)
        return
    config = Table2Config(device=device, epochs=epochs, seed=seed, embeddings=embeddings, no_char=no_char,
                          threads=threads, length_buckets=length_buckets, max_train=max_train, resume=resume,
                          track_test=not no_track_test, quiet=quiet, runs_dir=runs_dir)
    if lang == "all" or "," in lang:
        langs = list(monolingual.LANGS) if lang == "all" else lang.split(",")
        if monolingual.run_parallel(langs, config, jobs, out_dir, log_dir or out_dir, results_dir):
            raise typer.Exit(1)
        return
    path = out or out_dir / f"{monolingual.result_name(lang, embeddings)}.json"
    monolingual.run_language(lang, config, path, command_line())
    if out is None:
        monolingual.render(out_dir, results_dir)


def merge_modes(
    lang: str = typer.Option(..., "--lang", help="Target language of the cells."),
    seed: list[int] = typer.Option(..., "--seed", help="Seed(s) to merge."),
    src: Path = typer.Option(..., "--from", help="Folder with one runs root per mode (FROM/<mode>/<budget>/...)."),
    override: Optional[list[str]] = typer.Option(None, "--override", help="MODE:SEED=ROOT: take that cell from ROOT."),
    tag: str = typer.Option("supmap", "--tag", help="Result tag of the cells."),
    budget: str = typer.Option("full", "--budget", help="Budget name of the cells."),
    out: Path = typer.Option(Path("runs/experiments"), "--out", help="Runs root to merge into."),
) -> None:
    """Merge Cross-Augmented cells run one selection mode per process into one cell folder each."""
    from xner.experiments.merge_modes import merge_mode_runs

    overrides = {}
    for item in override or []:
        key, sep, root = item.partition("=")
        mode, colon, seed_text = key.partition(":")
        if not sep or not colon or not seed_text.isdigit():
            raise XnerError(f"--override expects MODE:SEED=ROOT, got {item!r}")
        overrides[(mode, int(seed_text))] = Path(root)
    for k, merged in merge_mode_runs(lang, list(seed), src, out, tag, budget, overrides).items():
        print(f"seed {k}: {', '.join(merged['plan'])}")


def pack(
    out: Path = typer.Argument(..., help="Folder to write (a data root: ner/, emb/, unlabeled/)."),
    lang: Optional[list[str]] = typer.Option(None, "--lang", help="Languages (default: en es nl ar fi)."),
    transfer: bool = typer.Option(False, "--transfer", help="Pack for a transfer grid: English train+dev, each "
                                  "target's dev/test and its unlabelled text, token-only."),
    max_unlabeled: Optional[int] = typer.Option(None, "--max-unlabeled", help="With --transfer: first N unlabelled "
                                                "target sentences."),
) -> None:
    """A trimmed copy of the data folder (NER files + only the embedding rows they look up) for XNER_DATA."""
    from xner.experiments.pack import pack_data

    pack_data(out, tuple(lang) if lang else ("en", "es", "nl", "ar", "fi"), transfer, max_unlabeled, _echo)


def register(app: typer.Typer) -> None:
    """Add the commands above to the `experiment` and `data` groups (registered before this module)."""
    experiment_app.command("grid")(grid)
    experiment_app.command("table2")(table2)
    experiment_app.command("merge-modes")(merge_modes)
    data_app.command("pack")(pack)
