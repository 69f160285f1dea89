"""`xner experiment ...`: run the transfer grid (Tables 3-5) and render its tables.

Argument parsing only; the work is in `xner.experiments.runner` and `xner.experiments.tables`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from xner.experiments.provenance import command_line

experiment_app = typer.Typer(help="Cross-lingual transfer experiments (paper Tables 3-5).", no_args_is_help=True)

SECTIONS = ("space", "augment", "tagger", "train", "translate")


def parse_sets(items: list[str] | None) -> dict[str, dict]:
    """`--set SECTION.FIELD=VALUE` items -> {section: {field: value}} (values parsed as JSON when they are)."""
    from xner.errors import XnerError

    out: dict[str, dict] = {s: {} for s in SECTIONS}
    for item in items or []:
        key, sep, raw = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in SECTIONS or not name:
            raise XnerError(f"--set expects SECTION.FIELD=VALUE with SECTION in {', '.join(SECTIONS)}, got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[section][name] = value
    return out


def _grid(
    config: Optional[Path], lang, variant, seed, mode, budget, epochs, max_train, max_eval, max_vocab,
    augment_iterations, max_unlabeled, eval_every, device, workers, threads, deadline, tag, sets, results, runs,
):
    from xner.experiments.grid import GridConfig
    from xner.transfer.config import budget_from_name

    overrides = {
        "langs": list(lang) if lang else None,
        "variants": list(variant) if variant else None,
        "seeds": list(seed) if seed else None,
        "modes": list(mode) if mode else None,
        "device": device,
        "workers": workers,
        "threads": threads,
        "deadline_s": deadline,
        "tag": tag,
        "results_root": str(results) if results else None,
        "runs_root": str(runs) if runs else None,
    }
    base = (GridConfig.from_file(config) if config else GridConfig()).with_overrides(parse_sets(sets))
    data = base.__dict__.copy()
    data.update({k: v for k, v in overrides.items() if v is not None})
    bud = budget_from_name(budget) if budget else base.budget
    cuts = {"epochs": epochs, "max_train_sentences": max_train, "max_eval_sentences": max_eval, "max_vocab": max_vocab,
            "augment_iterations": augment_iterations, "max_unlabeled": max_unlabeled, "eval_every": eval_every}
    data["budget"] = bud.replace(**{k: v for k, v in cuts.items() if v is not None})
    return GridConfig(**data)


CONFIG_OPT = typer.Option(None, "--config", help="JSON grid file (GridConfig fields); flags override it.")
LANG_OPT = typer.Option(None, "--lang", help="Target language(s) (default: es nl de ar fi).")
VARIANT_OPT = typer.Option(None, "--variant", help="Variant(s): source-mono-nochar, source-mono, cross-word-nochar, "
                           "cross-word, cross-shared, cross-augmented; translate-train (BWET peer, Xie et al. 2018) "
                           "(default: the paper's six).")
SEED_OPT = typer.Option(None, "--seed", help="Seed(s) (default: 1 2 3 4 5).")
MODE_OPT = typer.Option(None, "--mode", help="Selection mode(s): tgt-dev, src-dev, tgt-test (the oracle: scores "
                        "test at every evaluation), tgt-unlab (label-free, Cross-Augmented only). Default: tgt-dev "
                        "src-dev.")
BUDGET_OPT = typer.Option(None, "--budget", help="Budget preset (full, smoke) or tag like e2-n2000-v20000 (default full).")
DEVICE_OPT = typer.Option(None, help="cpu or cuda.")
TAG_OPT = typer.Option(None, help="Name for results of non-default settings (else a hash).")
SET_OPT = typer.Option(None, "--set", help="SECTION.FIELD=VALUE override, SECTION in space, augment, tagger, train "
                       "(e.g. space.direction=t2s).")
RESULTS_OPT = typer.Option(None, help="Results root (default results/experiments).")
RUNS_OPT = typer.Option(None, help="Working folder root (default runs/experiments).")


@experiment_app.command("run")
def run(
    config: Optional[Path] = CONFIG_OPT,
    lang: Optional[list[str]] = LANG_OPT,
    variant: Optional[list[str]] = VARIANT_OPT,
    seed: Optional[list[int]] = SEED_OPT,
    mode: Optional[list[str]] = MODE_OPT,
    budget: Optional[str] = BUDGET_OPT,
    epochs: Optional[int] = typer.Option(None, help="Budget: training epochs (paper 30)."),
    max_train: Optional[int] = typer.Option(None, help="Budget: first N English training sentences."),
    max_eval: Optional[int] = typer.Option(None, help="Budget: first N sentences of each dev/test set."),
    max_vocab: Optional[int] = typer.Option(None, help="Budget: embedding rows per language."),
    augment_iterations: Optional[int] = typer.Option(None, help="Budget: max Cross-Augmented outer iterations."),
    max_unlabeled: Optional[int] = typer.Option(None, help="Budget: first N unlabelled target sentences."),
    eval_every: Optional[int] = typer.Option(None, help="Budget: batches between evaluations (paper 150)."),
    device: Optional[str] = DEVICE_OPT,
    workers: Optional[int] = typer.Option(None, help="Cells run in parallel processes."),
    threads: Optional[int] = typer.Option(None, help="Torch threads per worker (default cpu_count/workers)."),
    deadline: Optional[float] = typer.Option(None, help="Seconds; then stop and write partial results."),
    tag: Optional[str] = TAG_OPT,
    set_: Optional[list[str]] = SET_OPT,
    results: Optional[Path] = RESULTS_OPT,
    runs: Optional[Path] = RUNS_OPT,
    dry_run: bool = typer.Option(False, "--dry-run", help="List the cells and their status; run nothing."),
    use_ray: bool = typer.Option(False, "--ray", help="Run the cells as Ray tasks (local Ray with --workers slots, "
                                 "or the cluster at --address). Needs pip install 'xner[ray]'."),
    address: Optional[str] = typer.Option(None, "--address", help="With --ray: an existing Ray cluster "
                                          "(e.g. auto, or ray://HEAD:10001); implies --ray."),
) -> None:
    """Run a grid of languages x variants x seeds; skips cells whose result exists (resume)."""
    from rich.console import Console

    from xner.experiments.grid import expand, result_status
    from xner.experiments.runner import run_grid

    grid = _grid(config, lang, variant, seed, mode, budget, epochs, max_train, max_eval, max_vocab,
                 augment_iterations, max_unlabeled, eval_every, device, workers, threads, deadline, tag, set_,
                 results, runs)
    console = Console(stderr=True)
    if dry_run:
        for cell in expand(grid):
            dep = " (base of cross-augmented)" if cell.dependency else ""
            console.print(f"{result_status(cell):8s} {cell.name}{dep} -> {cell.result_path}")
        return
    command = command_line()
    if use_ray or address:
        from xner.experiments.ray_runner import run_grid_ray

        report = run_grid_ray(grid, command=command, echo=console.print, address=address)
    else:
        report = run_grid(grid, command=command, echo=console.print)
    console.print(
        f"finished in {report.wall_s:.0f}s: {len(report.done)} done, {len(report.skipped)} skipped (already done), "
        f"{len(report.partial)} partial, {len(report.failed)} failed, {len(report.not_started)} not started"
    )
    if report.failed:
        raise typer.Exit(1)


@experiment_app.command("salvage")
def salvage(
    config: Optional[Path] = CONFIG_OPT,
    lang: Optional[list[str]] = LANG_OPT,
    variant: Optional[list[str]] = VARIANT_OPT,
    seed: Optional[list[int]] = SEED_OPT,
    mode: Optional[list[str]] = MODE_OPT,
    budget: Optional[str] = BUDGET_OPT,
    tag: Optional[str] = TAG_OPT,
    set_: Optional[list[str]] = SET_OPT,
    device: Optional[str] = DEVICE_OPT,
    results: Optional[Path] = RESULTS_OPT,
    runs: Optional[Path] = RUNS_OPT,
    machine: Optional[str] = typer.Option(None, help="Where the run folders were made, if copied from another "
                                          "machine (e.g. 'NVIDIA H200 (16 CPUs)'); recorded in each result."),
) -> None:
    """Write results for cells that have a run folder but no result (killed, or run folders copied from another
    machine) from their eval logs; complete only when the log covers the whole budget (Cross-Augmented: when
    every run stopped by patience or at its iteration limit). Give the same --budget,
    --tag, --set and --device the grid ran with."""
    from rich.console import Console

    from xner.experiments.runner import salvage_grid

    grid = _grid(config, lang, variant, seed, mode, budget, None, None, None, None, None, None, None, device, None,
                 None, None, tag, set_, results, runs)
    for name, status in salvage_grid(grid, command=command_line(), machine=machine):
        Console().print(f"{status:8s} {name}")


@experiment_app.command("model")
def model(
    config: Optional[Path] = CONFIG_OPT,
    lang: Optional[list[str]] = LANG_OPT,
    variant: Optional[list[str]] = VARIANT_OPT,
    seed: Optional[list[int]] = SEED_OPT,
    mode: str = typer.Option("src-dev", "--mode", help="Whose selected model: tgt-dev, src-dev or tgt-test."),
    budget: Optional[str] = BUDGET_OPT,
    tag: Optional[str] = TAG_OPT,
    set_: Optional[list[str]] = SET_OPT,
    device: Optional[str] = DEVICE_OPT,
    results: Optional[Path] = RESULTS_OPT,
    runs: Optional[Path] = RUNS_OPT,
    train: bool = typer.Option(False, "--train", help="Cells without a run folder (e.g. a fresh clone, where only "
                               "results are committed): train them again (same seed, same model on the CPU), "
                               "writing their results under RUNS/retrained-results so committed results stay."),
) -> None:
    """Print the model folder (loadable with `xner.load`, `xner tag`, `xner serve`) that --mode selected in each
    cell, writing it from the run folder's kept weights when it is missing."""
    from rich.console import Console

    from xner.errors import XnerError
    from xner.experiments.grid import expand
    from xner.transfer.artefacts import materialise_cell_model

    grid = _grid(config, lang, variant, seed, [mode], budget, None, None, None, None, None, None, None, device, None,
                 None, None, tag, set_, results, runs)
    console = Console(stderr=True)
    cells = expand(grid)
    wanted = [c for c in cells if not c.dependency]
    missing = [c for c in wanted if not c.run_dir.is_dir()]
    if missing and train:
        from dataclasses import replace

        from xner.experiments.runner import run_grid

        again = replace(grid, results_root=str(Path(grid.runs_root) / "retrained-results"))
        run_grid(again, command=command_line(), echo=console.print)
    by_variant = {c.key: c for c in cells}
    for cell in wanted:
        if not cell.run_dir.is_dir():
            raise XnerError(f"no run folder for {cell.name}: only its result exists; add --train to train it again",
                            cell.run_dir)
        bases = {c.config.variant: c for c in cells if c.config.lang == cell.config.lang
                 and c.config.seed == cell.config.seed and c.key != cell.key}
        print(materialise_cell_model(by_variant[cell.key], mode, bases))


@experiment_app.command("table")
def table(
    results: Path = typer.Option(Path("results/experiments"), help="Where the cell results are."),
    out: Path = typer.Option(Path("results"), help="Folder for table3.md, table4.md, table5.md."),
    prefer: Optional[list[str]] = typer.Option(None, help="Budget(s) to prefer when a cell has several "
                                               "(default: full, then the largest cut)."),
    tag: Optional[str] = typer.Option(None, help="Render the results of this tagged setting (default: untagged)."),
    only: Optional[list[str]] = typer.Option(None, help="Use only the results of these budget(s), e.g. full."),
) -> None:
    """Render Tables 3, 4, 5 (Markdown) from whatever results exist."""
    from xner.experiments.tables import render_all

    for name, path in render_all(results, out, list(prefer) if prefer else None, tag, list(only) if only else None).items():
        print(f"{name}: {path}")


@experiment_app.command("compare")
def compare(
    tag: list[str] = typer.Option(..., "--tag", help="Exactly two tagged settings, e.g. --tag dictfree --tag supmap."),
    budget: str = typer.Option("e4-a2-u2000", help="The budget whose results are compared."),
    results: Path = typer.Option(Path("results/experiments"), help="Where the cell results are."),
    out: Path = typer.Option(Path("results/table4.compare.md"), help="Markdown file to write."),
) -> None:
    """Table 4 of two tagged settings side by side (e.g. the dictionary-free mapping beside the supervised one)."""
    from xner.errors import XnerError
    from xner.experiments.compare import write_comparison

    if len(tag) != 2:
        raise XnerError(f"give exactly two --tag values, not {len(tag)}")
    print(write_comparison(results, (tag[0], tag[1]), budget, out))


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
