"""The per-cell toolkit every transfer variant uses: a cell's data, embedding space, model, eval sets, selection.

- `CellData` / `load_cell_data(config)`: English train/dev, target dev (tgt-dev mode only), target test
  (evaluation), unlabelled target text (token column only);
- `build_space(config)`: the word tables (Source-Mono: monolingual + random; Cross-*: the shared space of
  the saved mapping);
- `tagger_config`, `train_config`, `build_model(config, space, data, variant)`;
- `eval_sets(config, data)`, `selection_sets(config)`: mode -> (set it selects on, set it reports);
- `select(records, select_on, report)`: the first best evaluation of a log and the report set's scores there.

Leakage rule: target labels are read only for evaluation (`tgt-test`) and for the `tgt-dev` selection mode;
the target training split is only ever read through `load_unlabeled` (token column only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xner.data.conll import Sentence
from xner.data.registry import load_split, load_unlabeled, split_path, unlabeled_path
from xner.errors import XnerError
from xner.training.checkpoint import read_metrics
from xner.transfer.config import ARCHITECTURE, MODE_EVAL_SET, SOURCE_LANG, SOURCE_MONO_VARIANTS, TransferConfig
from xner.transfer.fingerprint import file_fingerprint
from xner.transfer.spaces import Space, monolingual_space, random_key, shared_space

RANDOM_SUFFIX = "@random"  # eval-set suffix: target sets looked up in random vectors (Source-Mono)
TEST_SET = "tgt-test"
TRAIN_SUBDIR = "train"
GERMAN_UNLABELED_NOTE = "German unlabelled target text = unlabeled/de.txt (no CoNLL German train split here)"
BUDGET_FIELDS = ("epochs", "eval_every")  # set through the Budget, never through `train` overrides
read_jsonl = read_metrics  # eval logs of every variant (a line cut by a kill ends the log)


@dataclass
class CellData:
    """Sentences one cell may use. `tgt_dev` is None unless the tgt-dev mode is requested."""

    src_train: list[Sentence]
    src_dev: list[Sentence] | None
    tgt_dev: list[Sentence] | None
    tgt_test: list[Sentence] | None
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
    return TaggerConfig.from_dict({"use_char": use_char, "shared_weights": shared, **config.tagger.to_dict()})


def train_config(config: TransferConfig):
    from xner.model.config import TrainConfig, default_tag_scheme

    overrides = config.train.to_dict()
    clash = sorted(set(overrides) & set(BUDGET_FIELDS))
    if clash:
        raise XnerError(f"set {', '.join(clash)} through the budget (--epochs / --eval-every), not train overrides")
    return TrainConfig.from_dict({
        "epochs": config.budget.epochs,
        "eval_every": config.budget.eval_every,
        "seed": config.seed,
        "device": config.device,
        "tag_scheme": default_tag_scheme(config.lang),  # paper: IOBES, IOB2 for Arabic
        **overrides,
    })


def build_model(config: TransferConfig, space: Space, data: CellData, variant: str | None = None,
                char_texts: tuple | list = ()):
    """A fresh tagger for `variant` (default the cell's): word tables of `space`, chars of English train +
    unlabelled target text (+ `char_texts`), tags of English train in the cell's scheme, default language =
    the target."""
    from xner.model.tagger import build_tagger
    from xner.training.trainer import seed_everything

    seed_everything(config.seed)
    return build_tagger(
        tagger_config(config, variant), space.tables, data.src_train, train_config(config).tag_scheme,
        char_texts=[data.unlabeled, *char_texts], default_lang=config.lang,
    )


def eval_sets(config: TransferConfig, data: CellData) -> dict[str, tuple[list[Sentence], str]]:
    sets: dict[str, tuple[list[Sentence], str]] = {}
    if data.src_dev is not None:
        sets["src-dev"] = (data.src_dev, SOURCE_LANG)
    if data.tgt_dev is not None:
        sets["tgt-dev"] = (data.tgt_dev, config.lang)
    if data.tgt_test is not None:
        sets[TEST_SET] = (data.tgt_test, config.lang)
    if config.variant in SOURCE_MONO_VARIANTS:
        if data.tgt_dev is not None:
            sets["tgt-dev" + RANDOM_SUFFIX] = (data.tgt_dev, random_key(config.lang))
        if data.tgt_test is not None:
            sets[TEST_SET + RANDOM_SUFFIX] = (data.tgt_test, random_key(config.lang))
    return sets


def selection_sets(config: TransferConfig, random: bool = False) -> dict[str, tuple[str, str]]:
    """mode -> (eval set it selects on, eval set it reports)."""
    out = {}
    for mode in config.modes:
        select_on = MODE_EVAL_SET[mode]
        if random and mode != "src-dev":
            select_on += RANDOM_SUFFIX
        out[mode] = (select_on, TEST_SET + (RANDOM_SUFFIX if random else ""))
    return out


def select(records: list[dict], select_on: str, report: str) -> dict | None:
    """The first eval step with the best `select_on` F1, and the `report` set's scores at that step.

    The loop scores the report set wherever a selection set reached a new best, so it is there at every
    first argmax; `test_f1` is None only for a log that never scored it (e.g. no target test set)."""
    usable = [r for r in records if select_on in r["scores"]]
    if not usable:
        return None
    best = max(usable, key=lambda r: r["scores"][select_on]["f1"])  # max() keeps the first of ties
    test = best["scores"].get(report)
    return {
        "selection_set": select_on,
        "step": best["step"],
        "epoch": best.get("epoch_float", best.get("epoch")),
        "selection_f1": round(best["scores"][select_on]["f1"], 4),
        "test_f1": round(test["f1"], 4) if test is not None else None,
        "test": {k: test[k] for k in ("precision", "recall", "f1", "per_type") if k in test} if test else None,
        "evaluations": len(usable),
    }


def notes(config: TransferConfig) -> list[str]:
    return [GERMAN_UNLABELED_NOTE] if config.lang == "de" else []
