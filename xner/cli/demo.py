"""`xner demo`: the whole pipeline on the embedded English/Spanish bundle, no downloads."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Optional

import typer

from xner.demo import DemoReporter


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        quick: bool = typer.Option(False, "--quick", help="Reduced budget (about a fifth of the data, 1 epoch)."),
        seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives the same numbers."),
        epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs of the English source models."),
        iterations: Optional[int] = typer.Option(None, "--iterations", help="Cross-Augmented outer iterations."),
        threads: int = typer.Option(1, "--threads", help="CPU threads for torch and faiss."),
        align: str = typer.Option("unsupervised", "--align", help="unsupervised: xner align's default, dictionary-free "
                                  "(seeds from spelling: identical strings, numerals, cognates; no dictionary file; "
                                  "weak supervision, not the paper's adversarial setting); identical or "
                                  "supervised use bilingual signal (identical strings / the bundle's MUSE training "
                                  "pairs) and exist only for comparison."),
        sentence: Optional[str] = typer.Option(None, "--sentence", help="Spanish text to tag at the end."),
        out: Path = typer.Option(Path("runs/demo"), "--out", help="Folder for models, logs and demo_result.json."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON instead of tables."),
    ) -> None:
        """Align en-es embeddings, train Source-Mono / Cross-Word, run Cross-Augmented, tag a Spanish sentence."""
        from rich.console import Console

        from xner.demo import DemoConfig, run_demo

        changes = {"seed": seed, "threads": threads, "align_mode": align}
        if epochs is not None:
            changes["source_epochs"] = epochs
        if iterations is not None:
            changes["augment_iterations"] = iterations
        if sentence is not None:
            changes["sentence"] = sentence
        config = DemoConfig.quick(**changes) if quick else DemoConfig(**changes)
        console = Console(stderr=True)
        with RichDemoReporter(console) as reporter:
            result = run_demo(config, out, reporter, command=_command_line(quick, seed, epochs, iterations, threads, align,
                                                                             sentence, out))
        if as_json:
            print(json.dumps(result, indent=2, ensure_ascii=False))
            return
        show_result(result, Console())


def _command_line(quick, seed, epochs, iterations, threads, align, sentence, out) -> str:
    """The options as given (non-defaults only), recorded in demo_result.json."""
    parts = ["xner", "demo"] + (["--quick"] if quick else [])
    for flag, value, default in (("--seed", seed, 1), ("--epochs", epochs, None), ("--iterations", iterations, None),
                                 ("--threads", threads, 1), ("--align", align, "unsupervised"),
                                 ("--sentence", sentence, None), ("--out", str(out), "runs/demo")):
        if value != default:
            parts += [flag, str(value)]
    return " ".join(shlex.quote(p) for p in parts)


class RichDemoReporter(DemoReporter):
    """One progress row per stage: spinner, bar (epochs / iterations), elapsed time, latest number."""

    def __init__(self, console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description:<39}"), BarColumn(bar_width=12), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("{task.fields[info]}"), console=console,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "RichDemoReporter":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def start(self, stage: str, description: str, total: int | None = None) -> None:
        self.tasks[stage] = self.progress.add_task(description, total=total, info="")

    def advance(self, stage: str, info: str = "") -> None:
        self.progress.update(self.tasks[stage], advance=1, info=info)

    def finish(self, stage: str, info: str = "") -> None:
        task = self.tasks[stage]
        total = self.progress.tasks[task].total if task < len(self.progress.tasks) else None
        self.progress.update(task, completed=total or 1, total=total or 1, info=f"[bold]{info}[/]")

    def log(self, text: str) -> None:
        self.progress.console.print(text)


def show_result(result: dict, console) -> None:
    from rich.table import Table

    from xner.demo import VARIANT_LABELS

    align = result.get("alignment", {})
    if align:
        console.print(f"[bold]Alignment[/] en->es: {align.get('summary', '')}")
        if align.get("collapsed"):
            console.print(
                f"[yellow]The mapping did not beat the null model (criterion {align['criterion']:.3f} vs "
                f"{align.get('null_criterion')} for a random rotation refined the same way), so Cross-Word and "
                "Cross-Augmented can transfer only through shared characters and whatever the word vectors "
                "still carry. `xner demo --align supervised` shows the pipeline with a good mapping (it uses a "
                "bilingual dictionary: not zero-resource).[/]")
    table = Table(title=f"Spanish NER, {result['data']['sentences']['es_test']} test sentences of the demo bundle "
                        f"(model selection on English dev only)")
    table.add_column("model")
    for col in ("precision", "recall", "F1"):
        table.add_column(col, justify="right")
    table.add_column("F1 per type")
    for key, s in result["scores"].items():
        per_type = " ".join(f"{t} {v:.0f}" for t, v in result["per_type_f1"][key].items())
        table.add_row(VARIANT_LABELS.get(key, key), f"{s['precision']:.1f}", f"{s['recall']:.1f}", f"{s['f1']:.1f}", per_type)
    console.print(table)
    example = result["example"]
    console.print(f"[bold]Tagged with Cross-Augmented:[/] {_highlight(example['text'], example['entities'])}")
    if example["entities"]:
        for ent in example["entities"]:
            console.print(f"  {ent['type']:<5} {ent['text']}")
    else:
        console.print("  (no entities found)")
    secs, cpu = result["seconds"], result.get("cpu_seconds", {})
    console.print(f"[dim]{secs['total']:.0f} s wall, {cpu.get('total', float('nan')):.0f} s CPU ("
                  + ", ".join(f"{k} {v:.0f} s" for k, v in secs.items() if k not in ("total", "load"))
                  + f"); results and models in {result['out_dir']}. The bundle is tiny: these scores show that the "
                  "pipeline works, not what the method reaches on the full data.[/]")


def _highlight(text: str, entities: list[dict]) -> str:
    from rich.markup import escape

    colours = {"PER": "red", "LOC": "green", "ORG": "blue", "MISC": "magenta"}
    out, pos = [], 0
    for ent in sorted(entities, key=lambda e: e["start"]):
        out.append(escape(text[pos:ent["start"]]))
        colour = colours.get(ent["type"], "yellow")
        out.append(f"[bold {colour}]{escape(text[ent['start']:ent['end']])}[/][{colour}]/{ent['type']}[/]")
        pos = ent["end"]
    out.append(escape(text[pos:]))
    return "".join(out)
