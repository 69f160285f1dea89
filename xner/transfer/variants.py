"""Source-Mono, Cross-Word (with / without char) and Cross-Shared (METHOD.md section 3), one cell at a time.

A cell trains ONE English model (`xner.model.trainer.train`) and logs every eval set at every eval
step: `src-dev` (English dev), `tgt-dev`, `tgt-test` (and, for Source-Mono, the same target sets
looked up in random vectors: `tgt-dev@random`, `tgt-test@random`). Each selection mode is then a
post-hoc argmax over that log, so one run gives the tgt-dev, src-dev and tgt-test numbers at once.

Leakage rule: target labels are read only for evaluation (`tgt-test`) and for the `tgt-dev`
selection mode; a cell run with modes=("src-dev",) never loads the target dev labels, and the target
training split is only ever read through `load_unlabeled` (token column only).

`run_transfer_cell(config, run_dir)` trains (or resumes) and returns the result body;
`summarise_transfer_cell(config, run_dir)` rebuilds that body from the logs alone (used for
partial results of stopped runs). Cross-Augmented is delegated to `xner.transfer.augmented`.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from xner.data.conll import Sentence
from xner.data.registry import load_split, load_unlabeled, split_path, unlabeled_path
from xner.errors import XnerError
from xner.io import write_json_atomic
from xner.transfer.config import (
    ARCHITECTURE,
    BASE_VARIANTS,
    CROSS_AUGMENTED,
    MODE_EVAL_SET,
    SOURCE_LANG,
    SOURCE_MONO_VARIANTS,
    TransferConfig,
)
from xner.transfer.fingerprint import file_fingerprint
from xner.transfer.spaces import Space, monolingual_space, random_key, shared_space

RANDOM_SUFFIX = "@random"  # eval-set suffix: target sets looked up in random vectors (Source-Mono)
TEST_SET = "tgt-test"
TRAIN_SUBDIR = "train"
GERMAN_UNLABELED_NOTE = "German unlabelled target text = unlabeled/de.txt (no CoNLL German train split here)"
BUDGET_FIELDS = ("epochs", "eval_every")  # set through the Budget, never through `train` overrides


@dataclass
class CellData:
    """Sentences one cell may use. `tgt_dev` is None unless the tgt-dev mode is requested."""

    src_train: list[Sentence]
    src_dev: list[Sentence] | None
    tgt_dev: list[Sentence] | None
    tgt_test: list[Sentence]
    unlabeled: list[Sentence]  # target text, tags all "O" (never read from a label column)
    info: dict = field(default_factory=dict)


def load_cell_data(config: TransferConfig) -> CellData:
    """English train/dev, target dev (tgt-dev mode only), target test (evaluation), unlabelled target text."""
    budget, lang, modes = config.budget, config.lang, set(config.modes)
    cap = budget.max_eval_sentences
    src_train = load_split(SOURCE_LANG, "train")[: budget.max_train_sentences]
    src_dev = load_split(SOURCE_LANG, "dev")[:cap] if "src-dev" in modes else None
    tgt_dev = load_split(lang, "dev")[:cap] if "tgt-dev" in modes else None  # a label read: tgt-dev mode only
    tgt_test = load_split(lang, "test")[:cap]  # evaluation
    unlabeled = [s for s in load_unlabeled(lang) if len(s) > 0][: budget.max_unlabeled]
    files = {f"{SOURCE_LANG}/train": split_path(SOURCE_LANG, "train"), f"{lang}/test": split_path(lang, "test"),
             f"{lang}/unlabeled": unlabeled_path(lang)}
    if src_dev is not None:
        files[f"{SOURCE_LANG}/dev"] = split_path(SOURCE_LANG, "dev")
    if tgt_dev is not None:
        files[f"{lang}/dev"] = split_path(lang, "dev")
    info = {
        "files": {k: {"path": str(p), "sha256_16": file_fingerprint(p)} for k, p in files.items()},
        "sentences": {
            "src_train": len(src_train), "src_dev": len(src_dev) if src_dev is not None else None,
            "tgt_dev": len(tgt_dev) if tgt_dev is not None else None, "tgt_test": len(tgt_test),
            "unlabeled": len(unlabeled),
        },
        "unlabeled_source": "target train split, token column only"
        if unlabeled_path(lang).name == "train.txt" else f"{unlabeled_path(lang)} (plain text)",
    }
    return CellData(src_train, src_dev, tgt_dev, tgt_test, unlabeled, info)


def build_space(config: TransferConfig) -> Space:
    if config.variant in SOURCE_MONO_VARIANTS:
        return monolingual_space(config.lang, config.space, config.seed, config.budget.max_vocab)
    return shared_space(config.lang, config.space, config.budget.max_vocab)


def tagger_config(config: TransferConfig, variant: str | None = None):
    from xner.model.config import TaggerConfig

    use_char, shared = ARCHITECTURE[variant or config.variant]
    return TaggerConfig.from_dict({"use_char": use_char, "shared_weights": shared, **config.tagger})


def train_config(config: TransferConfig):
    from xner.model.config import TrainConfig, default_tag_scheme

    clash = sorted(set(config.train) & set(BUDGET_FIELDS))
    if clash:
        raise XnerError(f"set {', '.join(clash)} through the budget (--epochs / --eval-every), not train overrides")
    return TrainConfig.from_dict({
        "epochs": config.budget.epochs,
        "eval_every": config.budget.eval_every,
        "seed": config.seed,
        "device": config.device,
        "tag_scheme": default_tag_scheme(config.lang),  # paper: IOBES, IOB2 for Arabic
        **config.train,
    })


def build_model(config: TransferConfig, space: Space, data: CellData, variant: str | None = None):
    """A fresh tagger for `variant` (default the cell's): word tables of `space`, chars of English train +
    unlabelled target text, tags of English train in the cell's scheme, default language = the target."""
    from xner.model.tagger import build_tagger
    from xner.model.trainer import seed_everything

    seed_everything(config.seed)
    return build_tagger(
        tagger_config(config, variant), space.tables, data.src_train, train_config(config).tag_scheme,
        char_texts=[data.unlabeled], default_lang=config.lang,
    )


def eval_sets(config: TransferConfig, data: CellData) -> dict[str, tuple[list[Sentence], str]]:
    sets: dict[str, tuple[list[Sentence], str]] = {}
    if data.src_dev is not None:
        sets["src-dev"] = (data.src_dev, SOURCE_LANG)
    if data.tgt_dev is not None:
        sets["tgt-dev"] = (data.tgt_dev, config.lang)
    sets[TEST_SET] = (data.tgt_test, config.lang)
    if config.variant in SOURCE_MONO_VARIANTS:
        if data.tgt_dev is not None:
            sets["tgt-dev" + RANDOM_SUFFIX] = (data.tgt_dev, random_key(config.lang))
        sets[TEST_SET + RANDOM_SUFFIX] = (data.tgt_test, random_key(config.lang))
    return sets


def selection_sets(config: TransferConfig, random: bool = False) -> dict[str, tuple[str, str]]:
    """mode -> (eval set it selects on, eval set it reports)."""
    out = {}
    for mode in config.modes:
        select = MODE_EVAL_SET[mode]
        if random and mode != "src-dev":
            select += RANDOM_SUFFIX
        out[mode] = (select, TEST_SET + (RANDOM_SUFFIX if random else ""))
    return out


def select(records: list[dict], select_on: str, report: str) -> dict | None:
    """The first eval step with the best `select_on` F1, and the `report` set's scores at that step."""
    usable = [r for r in records if select_on in r["scores"] and report in r["scores"]]
    if not usable:
        return None
    best = max(usable, key=lambda r: r["scores"][select_on]["f1"])  # max() keeps the first of ties
    test = best["scores"][report]
    return {
        "selection_set": select_on,
        "step": best["step"],
        "epoch": best.get("epoch_float", best.get("epoch")),
        "selection_f1": round(best["scores"][select_on]["f1"], 4),
        "test_f1": round(test["f1"], 4),
        "test": {k: test[k] for k in ("precision", "recall", "f1", "per_type") if k in test},
        "evaluations": len(usable),
    }


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut by a kill: everything before it is still good
                break
    return out


def _notes(config: TransferConfig) -> list[str]:
    return [GERMAN_UNLABELED_NOTE] if config.lang == "de" else []


def run_transfer_cell(
    config: TransferConfig,
    run_dir: str | Path,
    base_cells: Mapping | None = None,
    on_progress: Callable[[dict], None] | None = None,
) -> dict:
    """Train (resuming if `run_dir` holds a checkpoint) and return the result body (see `summarise_transfer_cell`)."""
    if config.variant == CROSS_AUGMENTED:
        from xner.transfer.augmented import run_augmented_cell

        return run_augmented_cell(config, run_dir, base_cells or {}, on_progress)
    from xner.model.tagger import count_parameters
    from xner.model.trainer import train

    run_dir = Path(run_dir)
    data = load_cell_data(config)
    space = build_space(config)
    model = build_model(config, space, data)
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
    sets = eval_sets(config, data)
    select_on = [s for s, _ in selection_sets(config).values()]
    if config.variant in SOURCE_MONO_VARIANTS:
        select_on += [s for s, _ in selection_sets(config, random=True).values() if s not in select_on]
    keep_best = config.variant in BASE_VARIANTS  # Cross-Augmented starts from these checkpoints

    def progress(_record: dict) -> None:
        if on_progress is not None:
            body = summarise_transfer_cell(config, run_dir, complete=False)
            if body is not None:
                on_progress(body)

    result = train(
        model, data.src_train, tcfg, run_dir / TRAIN_SUBDIR, eval_sets=sets, select_on=select_on, lang=SOURCE_LANG,
        resume=True, show_progress=sys.stderr.isatty(), save_best=keep_best, on_eval=progress,
    )
    # The trainer also writes full `best-<set>/` tagger folders (word matrix included, ~50 MB each); the small
    # `best-<set>.safetensors` weights are all a later stage needs, so the folders are dropped.
    for folder in (run_dir / TRAIN_SUBDIR).glob("best-*"):
        if folder.is_dir():
            shutil.rmtree(folder)
    body = summarise_transfer_cell(config, run_dir, complete=not result.interrupted)
    if body is None:
        raise XnerError("training logged no evaluation", run_dir / TRAIN_SUBDIR / "metrics.jsonl")
    body["train_seconds"] = round(result.train_seconds, 1)
    body["sentences_per_second"] = round(result.sentences_per_second, 1)
    return body


def summarise_transfer_cell(
    config: TransferConfig, run_dir: str | Path, base_cells: Mapping | None = None, complete: bool | None = True
) -> dict | None:
    """Result body from the cell's logs: per-mode selection, params, progress, data and embedding fingerprints.

    `complete=None` (salvaging a run folder): complete when the log reaches the budget's last epoch, or for
    Cross-Augmented when every run's log shows it stopped (patience or iteration budget).
    """
    if config.variant == CROSS_AUGMENTED:
        from xner.transfer.augmented import summarise_augmented_cell

        return summarise_augmented_cell(config, run_dir, base_cells or {}, complete)
    run_dir = Path(run_dir)
    info = json.loads((run_dir / "cell_info.json").read_text(encoding="utf-8"))
    records = read_jsonl(run_dir / TRAIN_SUBDIR / "metrics.jsonl")
    if not records:
        return None
    run_cfg = json.loads((run_dir / TRAIN_SUBDIR / "run_config.json").read_text(encoding="utf-8"))
    n_batches = max(1, math.ceil(run_cfg["train_sentences"] / run_cfg["train"]["batch_size"]))
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
        "notes": _notes(config),
    }
    if config.variant in SOURCE_MONO_VARIANTS:
        body["random_target"] = {
            "modes": {m: select(records, s, rep) for m, (s, rep) in selection_sets(config, random=True).items()},
            "random_std": info["space"].get("random_std"),
        }
    return body
