"""`transfer(...)`: English labels + raw target text + two embedding tables -> ONE saved target tagger.

What `xner transfer` runs, step by step (each step resumes from the work folder `<out>/run/`):
1. the mapping: the given `xner align` folder, or the alignment stage's default (dictionary-free: seeds from
   spelling, then self-learning; no dictionary file) run on the two tables and saved to `<out>/run/mapping/`;
2. the shared space of the two tables under that mapping (`xner.transfer.spaces.shared_space_of`);
3. the base tagger(s) on the English labels, each selected on English dev (`src-dev`: no target label is
   read anywhere): the method's own for Cross-Word / Cross-Shared; for Cross-Augmented the candidates of
   `augment.base` (default the best of Cross-Word no char, Cross-Word and Cross-Shared by English dev F1);
   Translate-train (BWET, Xie et al. 2018, with the English originals: `translate.with_source`, ours) trains
   its one tagger on the English labels translated word by word through the shared space (CSLS neighbours;
   no dictionary file) plus the English originals, selected on English dev the same way;
4. Cross-Augmented only: Algorithm 1 from the chosen base (`xner.transfer.augmented.train_augmented_cell`,
   the code the experiment grid runs per cell), selected on English dev with patience;
5. the selected model saved as `<out>/` (`model.safetensors`, `vocab.json`, `config.json`; `xner.load`,
   `xner tag`, `xner evaluate`, `xner serve` open it) and a label-free run report `<out>/report.json`.

A labelled target test file, when given, is scored for the report only (never for selection).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from xner.data.conll import Sentence
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError
from xner.io import write_json_atomic
from xner.transfer.cell import TRAIN_SUBDIR, CellData
from xner.transfer.config import (
    BASE_VARIANTS,
    CROSS_AUGMENTED,
    CROSS_SHARED,
    CROSS_WORD,
    SOURCE_LANG,
    TRANSLATE_TRAIN,
    AugmentConfig,
    Budget,
    SpaceConfig,
    TransferConfig,
    TranslateConfig,
)

METHODS = (CROSS_WORD, CROSS_SHARED, CROSS_AUGMENTED, TRANSLATE_TRAIN)
# translate-train as a product method: with the English originals, the best label-free setting at the
# e4-a2-u2000 budget (results/beyond.md); not yet measured at the paper's budget, so not the default
PRODUCT_TRANSLATE = TranslateConfig(with_source=True)
# The best label-free method of the paper's in our results (README, Table 4 and the full-budget runs): with
# English-dev selection Cross-Augmented never kept an augmented model (it returns its base), and Cross-Shared
# was the strongest base on every language. Translate-train beats it at the 4-epoch budget (PRODUCT_TRANSLATE).
DEFAULT_METHOD = CROSS_SHARED
MODE = "src-dev"  # label-free selection: English dev F1


@dataclass
class TransferInputs:
    """What `transfer` reads. `source_dev` None: the last `dev_share` of `source_train` is held out (ours)."""

    source_train: list[Sentence]
    target_text: list[Sentence]  # unlabelled (tags all "O")
    source_table: EmbeddingTable
    target_table: EmbeddingTable
    target_lang: str
    source_dev: list[Sentence] | None = None
    target_test: list[Sentence] | None = None  # scored for the report only
    files: dict = field(default_factory=dict)  # name -> path, recorded in the report
    dev_share: float = 0.1  # (ours) English sentences held out for selection when no dev file is given


def _say(echo: Callable[[str], None] | None, text: str) -> None:
    if echo is not None:
        echo(text)


def ensure_mapping(inputs: TransferInputs, mapping: Path | None, work: Path, seed: int, echo=None,
                   align_overrides: Mapping[str, Any] | None = None) -> tuple[Path, dict]:
    """The mapping folder to use and how it was obtained. `align_overrides`: dotted `AlignConfig` fields on top
    of the `cpu` preset (`xner align --set` syntax), e.g. a shorter loop for small tables."""
    from xner.align.mapping import save_mapping
    from xner.align.pipeline import align

    if mapping is not None:
        if not Path(mapping).is_dir():
            raise XnerError("no such mapping folder (written by `xner align --out`)", mapping)
        return Path(mapping), {"source": "given", "folder": str(mapping)}
    folder = work / "mapping"
    info_path = folder / "transfer_align.json"
    if info_path.is_file():
        return folder, json.loads(info_path.read_text(encoding="utf-8"))
    from xner.align.config import preset

    overrides = dict(align_overrides or {})
    config = preset("cpu", src_lang=SOURCE_LANG, tgt_lang=inputs.target_lang, seed=seed, **overrides)
    _say(echo, f"aligning en-{inputs.target_lang} embeddings (`xner align` default: dictionary-free, no dictionary file)")
    result = align(inputs.source_table, inputs.target_table, config)
    save_mapping(result.mapping, folder)
    info = {"source": "xner align default (no dictionary file)", "family": result.family, "folder": str(folder),
            "preset": "cpu", "overrides": overrides, "criterion": float(result.criterion), "collapsed": bool(result.collapsed),
            "null_criterion": result.null_criterion, "seconds": result.seconds}
    _say(echo, f"mapping: {result.family}, criterion {result.criterion:.3f} vs null "
               f"{result.null_criterion if result.null_criterion is None else round(result.null_criterion, 3)}"
               f"{' - COLLAPSED: the transfer has nothing to carry the labels across' if result.collapsed else ''}")
    write_json_atomic(info_path, info)
    return folder, info


def transfer(inputs: TransferInputs, out: str | Path, method: str = DEFAULT_METHOD, mapping: str | Path | None = None,
             budget: Budget | None = None, augment: AugmentConfig | None = None, seed: int = 1,
             direction: str | None = None, show_progress: bool = True,
             echo: Callable[[str], None] | None = None, align_overrides: Mapping[str, Any] | None = None) -> dict:
    """Train the `method` target tagger and save it to `out`; returns the run report (also `out/report.json`)."""
    from xner.model.augmented import load_augmented, save_augmented
    from xner.model.persistence import load_model, save_tagger
    from xner.transfer.augmented import model_dir, plan_from_results, train_augmented_cell
    from xner.transfer.base import train_base
    from xner.transfer.spaces import shared_space_of
    from xner.transfer.translate import train_translated

    if method not in METHODS:
        raise XnerError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    budget = budget or Budget()
    augment = augment or AugmentConfig()
    config = TransferConfig(lang=inputs.target_lang, variant=method, seed=seed, modes=(MODE,), budget=budget,
                            augment=augment, space=SpaceConfig(direction=direction))
    out = Path(out)
    work = out / "run"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    source_train, source_dev = inputs.source_train[: budget.max_train_sentences], inputs.source_dev
    if source_dev is None:
        cut = len(source_train) - max(1, int(len(source_train) * inputs.dev_share))
        source_train, source_dev = source_train[:cut], source_train[cut:]
    source_dev = source_dev[: budget.max_eval_sentences]
    target_test = inputs.target_test[: budget.max_eval_sentences] if inputs.target_test is not None else None
    unlabeled = [s for s in inputs.target_text if len(s)][: budget.max_unlabeled]
    if not source_train or not unlabeled:
        raise XnerError("transfer needs English training sentences and target text")
    data = CellData(source_train, source_dev, None, target_test, unlabeled, info={
        "files": inputs.files, "sentences": {"src_train": len(source_train), "src_dev": len(source_dev),
                                             "tgt_test": len(target_test) if target_test else None,
                                             "unlabeled": len(unlabeled)},
        "src_dev_source": "given file" if inputs.source_dev is not None
        else f"last {inputs.dev_share:.0%} of the English training file (held out)",
    })
    mapping_dir, mapping_info = ensure_mapping(inputs, Path(mapping) if mapping else None, work, seed, echo,
                                               align_overrides)
    space = shared_space_of(inputs.source_table, inputs.target_table, inputs.target_lang, mapping_dir,
                            config.space.resolved_direction(inputs.target_lang), budget.max_vocab)

    if method == CROSS_AUGMENTED:
        candidates = BASE_VARIANTS if augment.base == "best" else (augment.base,)
    else:
        candidates = (method,)
    bases: dict[str, dict] = {}
    translation = None
    for variant in candidates:
        if variant == TRANSLATE_TRAIN:
            _say(echo, f"training {variant} on English ({len(source_train)} sentences) translated word by word "
                       "into the target (CSLS neighbours in the shared space; no dictionary file) and on the "
                       "English originals, selecting on English dev")
            body = train_translated(config.replace(variant=variant, translate=PRODUCT_TRANSLATE), data, space,
                                    work / variant, show_progress=show_progress)
            translation = body["data"]["translation"]
        else:
            _say(echo, f"training {variant} on English ({len(source_train)} sentences), selecting on English dev")
            body = train_base(config.replace(variant=variant), data, space, work / variant,
                              show_progress=show_progress)
        bases[variant] = body["modes"][MODE]

    report: dict = {
        "method": method, "target_lang": inputs.target_lang, "seed": seed, "budget": budget.to_dict(),
        "budget_description": budget.describe(), "mapping": mapping_info, "direction": space.info["direction"],
        "data": data.info,
        "selection": "src-dev: English dev F1 (no target-language label is read for training or selection)",
        "bases": {v: {"english_dev_f1": b["selection_f1"], "step": b["step"], "epoch": b["epoch"],
                      "target_test_f1": b["test_f1"]} for v, b in bases.items()},
    }
    if translation is not None:
        report["translation"] = translation
    if method == CROSS_AUGMENTED:
        plan = plan_from_results(config, {v: {MODE: b} for v, b in bases.items()}, {v: str(work / v) for v in bases})
        ((variant, _step), run), = plan.items()
        _say(echo, f"Cross-Augmented from {variant} (best English dev F1 of {', '.join(candidates)})")

        def base_model(name: str, _mode: str):
            return load_model(work / name / TRAIN_SUBDIR / f"best-{MODE}")

        body = train_augmented_cell(config, data, plan, base_model, work / CROSS_AUGMENTED, show_progress=show_progress)
        entry = body["modes"][MODE]
        report["chosen_base"] = {"variant": variant, "why": f"highest English dev F1 of {', '.join(candidates)}"}
        report["augmented"] = {
            "english_dev_f1": entry["selection_f1"], "iteration": entry["iteration"], "step": entry["step"],
            "stopped_after_iteration": entry["stopped_after_iteration"], "target_test_f1": entry["test_f1"],
            "pseudo_labels": next(iter(body["pseudo_labels"].values())),
            "why": "the first evaluation with the best English dev F1 before patience "
                   f"({augment.patience} iterations) ran out"
                   + ("; that is the evaluation before any update, i.e. the base model" if entry["step"] == 0 else ""),
        }
        model = load_augmented(model_dir(work / CROSS_AUGMENTED, MODE))
        save = save_augmented
    else:
        model = load_model(work / method / TRAIN_SUBDIR / f"best-{MODE}")
        report["selected"] = {"variant": method, **report["bases"][method],
                              "why": "the first evaluation with the best English dev F1"}
        save = save_tagger
    report["seconds"] = round(time.time() - t0, 1)
    write_json_atomic(work / "report.json", report)
    save(model, out, {"made_by": "xner transfer", "method": method, "report": "report.json"})
    write_json_atomic(out / "report.json", report)
    return report

