"""`xner plot fig2|fig3|align|all`: the paper's figures as PNG + CSV (+ JSON provenance) in `results/`."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Optional

import typer

from xner.cli.experiment import parse_sets
from xner.experiments.provenance import command_line

plot_app = typer.Typer(help="Figures of the paper (PNG + the CSV behind each) from committed results.",
                       no_args_is_help=True)

OUT_OPT = typer.Option(Path("results"), "--out", help="Folder for the PNG, CSV and JSON files.")
FROM_CSV_OPT = typer.Option(False, "--from-csv", help="Redraw from the committed CSV; compute nothing.")
BUDGET_OPT = typer.Option(None, "--budget", help="Experiment budget whose models the figure reads (preset or tag, "
                          "as in `xner experiment run --budget`; default: the --config file's, else full).")
CONFIG_OPT = typer.Option(None, "--config", help="Grid file the models were made with (as `xner experiment run "
                          "--config`); the figure narrows it to its languages/variant/seed.")
TAG_OPT = typer.Option(None, "--tag", help="Result tag of the cells (as `xner experiment run --tag`).")
SET_OPT = typer.Option(None, "--set", help="SECTION.FIELD=VALUE overrides (space/augment/tagger/train), as "
                       "`xner experiment run --set`; they must match the runs the models come from.")
SEED_OPT = typer.Option(1, "--seed", help="Seed of the experiment cell (and of t-SNE).")
MODE_OPT = typer.Option("src-dev", "--mode", help="Checkpoint selection mode of the models: src-dev, tgt-dev, tgt-test.")


def _echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _base_grid(config: Optional[Path], tag: Optional[str], sets: Optional[list[str]]):
    """GridConfig from the grid file, tag and --set overrides (the same meaning as in `xner experiment run`)."""
    from xner.experiments.grid import GridConfig

    grid = (GridConfig.from_file(config) if config else GridConfig()).with_overrides(parse_sets(sets))
    return dataclasses.replace(grid, tag=tag) if tag else grid


def _mapping_note(rows: list[dict]) -> str:
    """Say on the figure when the shared space is a reference mapping that used a dictionary."""
    names = sorted({r.get("mapping", "") for r in rows} - {""})
    if not names:
        return ""
    suffixes = sorted({n.split(".", 1)[1] for n in names if "." in n})
    if suffixes:
        return (f"; mappings en-XX.{'/'.join(suffixes)} (reference mappings that used bilingual signal: "
                "not zero-resource)")
    return "; unsupervised mappings " + ", ".join(names)


@plot_app.command("fig2")
def fig2(
    out: Path = OUT_OPT,
    from_csv: bool = FROM_CSV_OPT,
    budget: Optional[str] = BUDGET_OPT,
    config: Optional[Path] = CONFIG_OPT,
    tag: Optional[str] = TAG_OPT,
    sets: Optional[list[str]] = SET_OPT,
    lang: Optional[list[str]] = typer.Option(None, "--lang", help="Target languages (default: es nl ar fi)."),
    variant: str = typer.Option("cross-shared", "--variant", help="Source model variant (paper: the mapped source "
                                "model of Algorithm 1, Cross-Shared)."),
    seed: int = SEED_OPT,
    mode: str = MODE_OPT,
) -> None:
    """Fig. 2: share of correctly tagged target tokens by sentence length (reads target train labels: analysis only)."""
    from xner.experiments.figures import data, files, plot

    csv_path, png = out / "fig2_length.csv", out / "fig2_length.png"
    if from_csv:
        rows = files.read_csv(csv_path)
    else:
        langs = tuple(lang) if lang else data.FIG2_LANGS
        base = _base_grid(config, tag, sets)
        rows = data.fig2_data(base, langs, variant, seed, mode, _echo, budget)
        budget = budget or base.budget.name
        header = (f"Fig. 2 data: {variant} seed {seed} ({mode} checkpoint, budget {budget}) pseudo-labels on each "
                  "target training split vs its gold tags (analysis only: reads target train labels)\n"
                  f"made by: {command_line()}")
        files.write_csv(csv_path, rows, header)
        files.write_provenance(out / "fig2_length.json", command=command_line(), figure=str(png), csv=str(csv_path),
                                 budget=budget, variant=variant, seed=seed, mode=mode,
                                 models=sorted({r["model"] for r in rows}),
                                 results=sorted({r["result"] for r in rows}),
                                 note="reads the target training splits' gold tags for this analysis only")
    models = sorted({str(r.get("model", "?")).split("/", 1)[-1] for r in rows})  # drop the language
    langs = ", ".join(dict.fromkeys(r["lang"] for r in rows))
    note = (f"source model {', '.join(models)} per language ({langs}), {rows[0].get('selection', mode)} checkpoint"
            + _mapping_note(rows))
    plot.plot_fig2(rows, png, note)
    _echo(f"wrote {png} and {csv_path}")


@plot_app.command("fig3")
def fig3(
    out: Path = OUT_OPT,
    from_csv: bool = FROM_CSV_OPT,
    budget: Optional[str] = BUDGET_OPT,
    config: Optional[Path] = CONFIG_OPT,
    tag: Optional[str] = TAG_OPT,
    sets: Optional[list[str]] = SET_OPT,
    lang: str = typer.Option("es", "--lang", help="Target language shown with English."),
    words: int = typer.Option(1000, "--words", help="Number of words (half English, half target)."),
    seed: int = SEED_OPT,
    mode: str = MODE_OPT,
) -> None:
    """Fig. 3: t-SNE of NER-tagged words: monolingual, mapped, Cross-Augmented encoder outputs."""
    from xner.experiments.figures import data, files, plot

    csv_path, png = out / "fig3_tsne.csv", out / "fig3_tsne.png"
    if from_csv:
        rows = files.read_csv(csv_path)
    else:
        base = _base_grid(config, tag, sets)
        rows, stats = data.fig3_data(base, lang, seed, mode, words, _echo, budget)
        for panel, st in stats.items():
            _echo(f"fig3: {panel}: {st}")
        budget = budget or base.budget.name
        header = (f"Fig. 3 data: t-SNE (scikit-learn, seed {seed}) of {words} dev-split words, en + {lang}; entity "
                  f"types from the dev gold tags (analysis only); encoder = theta_s of {rows[0]['model']}\n"
                  f"made by: {command_line()}")
        files.write_csv(csv_path, rows, header)
        files.write_provenance(out / "fig3_tsne.json", command=command_line(), figure=str(png), csv=str(csv_path),
                                 budget=budget, lang=lang, seed=seed, mode=mode, words=words, model=rows[0]["model"],
                                 encoder_base=rows[0]["encoder_base"], mapping=rows[0]["mapping"],
                                 result=rows[0]["result"],
                                 neighbourhoods=stats,
                                 note="words and colours from the en and target dev splits (analysis only); "
                                      "neighbourhoods: k nearest neighbours in each panel's space before t-SNE")
    shown = sorted({r["lang"] for r in rows} - {"en"}) or [lang]
    note = f"en + {', '.join(shown)}; encoder of {rows[0].get('model', '?')} ({mode} checkpoint)" + _mapping_note(rows)
    plot.plot_fig3(rows, png, note)
    _echo(f"wrote {png} and {csv_path}")


@plot_app.command("align")
def align_curve(
    out: Path = OUT_OPT,
    from_csv: bool = FROM_CSV_OPT,
    align_root: Path = typer.Option(Path("runs/align"), "--align-root", help="Folder holding en-XX/log.jsonl."),
    pair: Optional[list[str]] = typer.Option(None, "--pair", help="Pairs to show, e.g. en-es (default: all found)."),
) -> None:
    """Unsupervised criterion and P@1 over adversarial epochs and refinement iterations."""
    from xner.experiments.figures import analysis, files, plot

    csv_path, png = out / "align_curve.csv", out / "align_curve.png"
    if from_csv:
        rows = files.read_csv(csv_path)
    else:
        rows = analysis.align_curve_data(align_root, pair)
        files.write_csv(csv_path, rows, f"alignment logs under {align_root}\nmade by: {command_line()}")
        files.write_provenance(out / "align_curve.json", command=command_line(), figure=str(png), csv=str(csv_path),
                                 logs=sorted({r["source"] for r in rows}))
    plot.plot_align_curve(rows, png, f"from {align_root}/en-XX/log.jsonl")
    _echo(f"wrote {png} and {csv_path}")


@plot_app.command("all")
def all_figures(
    out: Path = OUT_OPT,
    from_csv: bool = FROM_CSV_OPT,
    budget: Optional[str] = BUDGET_OPT,
    config: Optional[Path] = CONFIG_OPT,
    tag: Optional[str] = TAG_OPT,
    sets: Optional[list[str]] = SET_OPT,
    seed: int = SEED_OPT,
    mode: str = MODE_OPT,
    align_root: Path = typer.Option(Path("runs/align"), "--align-root", help="Folder holding en-XX/log.jsonl."),
) -> None:
    """fig2, fig3 and align in turn."""
    align_curve(out=out, from_csv=from_csv, align_root=align_root, pair=None)
    common = dict(out=out, from_csv=from_csv, budget=budget, config=config, tag=tag, sets=sets, seed=seed, mode=mode)
    fig2(lang=None, variant="cross-shared", **common)
    fig3(lang="es", words=1000, **common)


def register(app: typer.Typer) -> None:
    app.add_typer(plot_app, name="plot")
