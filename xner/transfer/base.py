"""Source-Mono, Cross-Word (with / without char) and Cross-Shared (METHOD.md section 3), one cell at a time.

A cell trains ONE English model (`xner.training.trainer.train`). Each selection mode's set (`src-dev`
English dev, `tgt-dev`, `tgt-test`; for Source-Mono also the target sets looked up in random vectors,
`...@random`) is scored at every evaluation; the target test split is scored where a selection set
improved. Each mode is then a post-hoc argmax over that log, so one run gives every mode's number.
The selected model of each mode stays in the run folder as a loadable tagger (`train/best-<set>/`, Cross-
Word and Cross-Shared cells, which Cross-Augmented starts from, and translate-train cells, which
`xner.transfer.translate` trains here on the translated English sentences).

`train_base(config, data, space, run_dir)` trains (or resumes) and returns the result body; `run_base_cell`
loads the cell's data and space first; `summarise_base_cell(config, run_dir)` rebuilds the body from the
logs alone (partial results of stopped runs).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Callable, Mapping, Sequence

from xner.errors import XnerError
from xner.io import write_json_atomic
from xner.transfer.cell import (
    TRAIN_SUBDIR,
    CellData,
    build_model,
    build_space,
    eval_sets,
    load_cell_data,
    notes,
    read_jsonl,
    select,
    selection_sets,
    train_config,
)
from xner.transfer.config import BASE_VARIANTS, SOURCE_LANG, SOURCE_MONO_VARIANTS, TRANSLATE_TRAIN, TransferConfig
from xner.transfer.spaces import Space


def train_base(config: TransferConfig, data: CellData, space: Space, run_dir: str | Path,
               on_progress: Callable[[dict], None] | None = None, show_progress: bool | None = None,
               train_lang: str = SOURCE_LANG, more_train: Sequence[tuple[list, str]] = ()) -> dict:
    """Train the cell's model on `data.src_train` in `space` (resuming from `run_dir`); the result body.

    `train_lang`: the language of those sentences' word rows: English, or the target for translate-train
    (`xner.transfer.translate`, whose `data.src_train` is the translated English training set).
    `more_train`: further (labelled sentences, language) sets trained on alongside (translate-train with
    `translate.with_source`: the English originals); their characters join the char vocabulary."""
    from xner.model.tagger import count_parameters
    from xner.training.trainer import train

    run_dir = Path(run_dir)
    model = build_model(config, space, data, char_texts=[sents for sents, _ in more_train])
    tcfg = train_config(config)
    write_json_atomic(run_dir / "cell_info.json", {
        "config": config.to_dict(),
        "params": count_parameters(model),
        "params_merged_biases": count_parameters(model, merge_lstm_biases=True),
        "space": space.info,
        "data": data.info,
        "tagger_config": model.config.to_dict(),
        "train_config": tcfg.to_dict(),
        "char_vocab": len(model.vocab.chars),
    })
    select_on = [s for s, _ in selection_sets(config).values()]
    if config.variant in SOURCE_MONO_VARIANTS:
        select_on += [s for s, _ in selection_sets(config, random=True).values() if s not in select_on]
    sets = eval_sets(config, data)
    select_on = [s for s in select_on if s in sets]

    def progress(_record: dict) -> None:
        if on_progress is not None:
            body = summarise_base_cell(config, run_dir, complete=False)
            if body is not None:
                on_progress(body)

    result = train(
        model, data.src_train, tcfg, run_dir / TRAIN_SUBDIR, eval_sets=sets, select_on=select_on, lang=train_lang,
        resume=True, show_progress=sys.stderr.isatty() if show_progress is None else show_progress,
        save_best=config.variant in BASE_VARIANTS + (TRANSLATE_TRAIN,), on_eval=progress, more_train=more_train,
    )
    body = summarise_base_cell(config, run_dir, complete=not result.interrupted)
    if body is None:
        raise XnerError("training logged no evaluation", run_dir / TRAIN_SUBDIR / "metrics.jsonl")
    body["train_seconds"] = round(result.train_seconds, 1)
    body["sentences_per_second"] = round(result.sentences_per_second, 1)
    return body


def run_base_cell(config: TransferConfig, run_dir: str | Path, base_cells: Mapping | None = None,
                  on_progress: Callable[[dict], None] | None = None) -> dict:
    return train_base(config, load_cell_data(config), build_space(config), run_dir, on_progress)


def summarise_base_cell(config: TransferConfig, run_dir: str | Path, base_cells: Mapping | None = None,
                        complete: bool | None = True) -> dict | None:
    """Result body from the cell's logs: per-mode selection, params, progress, data and embedding fingerprints.

    `complete=None` (salvaging a run folder): complete when the log reaches the budget's last epoch.
    """
    run_dir = Path(run_dir)
    info = json.loads((run_dir / "cell_info.json").read_text(encoding="utf-8"))
    records = read_jsonl(run_dir / TRAIN_SUBDIR / "metrics.jsonl")
    if not records:
        return None
    run_cfg = json.loads((run_dir / TRAIN_SUBDIR / "run_config.json").read_text(encoding="utf-8"))
    n_batches = max(1, run_cfg.get("batches_per_epoch")
                    or math.ceil(run_cfg["train_sentences"] / run_cfg["train"]["batch_size"]))
    for r in records:
        r["epoch_float"] = round(r["epoch"] + r["batch"] / n_batches, 3)
    done = records[-1]["epoch_float"]
    planned = config.budget.epochs
    if complete is None:
        complete = done >= planned
    body = {
        "modes": {m: select(records, s, rep) for m, (s, rep) in selection_sets(config).items()},
        "complete": complete,
        "params": info["params"],
        "params_merged_biases": info["params_merged_biases"],
        "char_vocab": info.get("char_vocab"),
        "direction": info["space"].get("direction"),
        "space": info["space"],
        "data": info["data"],
        "tagger_config": info["tagger_config"],
        "train_config": info["train_config"],
        "progress": {"epochs_done": done, "epochs_planned": planned, "steps": records[-1]["step"],
                     "evaluations": len(records), "summary": f"{done:g}/{planned} epochs"},
        "notes": notes(config),
    }
    if config.variant in SOURCE_MONO_VARIANTS:
        body["random_target"] = {
            "modes": {m: select(records, s, rep) for m, (s, rep) in selection_sets(config, random=True).items()},
            "random_std": info["space"].get("random_std"),
        }
    return body
