"""Typed configuration of the cross-lingual transfer variants (METHOD.md sections 3-4).

Every choice the paper leaves open is a field here, with the METHOD.md default and a comment
saying whether the value is the paper's or ours. All dataclasses round-trip through JSON
(`to_dict` / `from_dict`) and are saved next to every result.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from xner.errors import XnerError
from xner.model.config import TaggerConfig, TrainConfig

SOURCE_LANG = "en"  # paper: English is always the source
TARGET_LANGS = ("es", "nl", "de", "ar", "fi")  # paper, Table 4

# Variant names used on the command line, in result paths and in the tables.
SOURCE_MONO = "source-mono"  # Table 3, Ch-LSTM-Wrd-LSTM-CRF
SOURCE_MONO_NOCHAR = "source-mono-nochar"  # Table 3, Wrd-LSTM-CRF
CROSS_WORD_NOCHAR = "cross-word-nochar"  # Table 4, Cross-Word (No char LSTM)
CROSS_WORD = "cross-word"  # Table 4
CROSS_SHARED = "cross-shared"  # Table 4
CROSS_AUGMENTED = "cross-augmented"  # Table 4, Algorithm 1
TRANSLATE_TRAIN = "translate-train"  # (beyond the paper, issue 18) BWET, Xie et al. 2018: a Table 5 peer
SOURCE_MONO_VARIANTS = (SOURCE_MONO_NOCHAR, SOURCE_MONO)
BASE_VARIANTS = (CROSS_WORD_NOCHAR, CROSS_WORD, CROSS_SHARED)  # candidates for the Cross-Augmented base
PAPER_VARIANTS = SOURCE_MONO_VARIANTS + BASE_VARIANTS + (CROSS_AUGMENTED,)  # Tables 3 and 4: a grid's default
VARIANTS = PAPER_VARIANTS + (TRANSLATE_TRAIN,)

# Selection modes (METHOD.md section 4). Order = order of the table columns. `tgt-unlab` (ours, issue 18):
# label-free, scored on held-out *unlabelled* target sentences (`xner.transfer.selection`); Cross-Augmented
# only (base cells log no such set and report it as missing).
MODES = ("tgt-dev", "src-dev", "tgt-test", "tgt-unlab")
PAPER_MODES = ("tgt-dev", "src-dev", "tgt-test")  # the paper's three (METHOD.md section 4), the default
LABEL_FREE_MODES = ("src-dev", "tgt-unlab")  # modes that read no target label
# The eval set each mode selects on; eval-set names are the trainer's names.
MODE_EVAL_SET = {"tgt-dev": "tgt-dev", "src-dev": "src-dev", "tgt-test": "tgt-test", "tgt-unlab": "tgt-unlab"}
# Modes without a checkpoint of their own in the base cells: Cross-Augmented picks their base as this mode does.
BASE_MODE = {"tgt-unlab": "src-dev"}
TARGET_LOSSES = ("hard", "soft", "hard+soft")
SOFT_LOSSES = ("kl", "mse")
PSEUDO_SELECTS = ("length", "confidence", "length+confidence")
CONFIDENCE_RULES = ("sentence-min", "sentence-mean", "entity-min")
UNLAB_CRITERIA = ("confidence", "agreement", "entity-rate")

# Paper, "Word-level Mapping": source -> target for es, nl, de; target -> source for ar, fi.
DEFAULT_DIRECTION = {"es": "s2t", "nl": "s2t", "de": "s2t", "ar": "t2s", "fi": "t2s"}
DIRECTIONS = ("s2t", "t2s")

# Variant -> (use_char, shared_weights) of the tagger (METHOD.md section 3).
ARCHITECTURE = {
    SOURCE_MONO_NOCHAR: (False, False),
    SOURCE_MONO: (True, False),
    CROSS_WORD_NOCHAR: (False, False),
    CROSS_WORD: (True, False),
    CROSS_SHARED: (True, True),
    TRANSLATE_TRAIN: (True, False),  # (ours) Cross-Word's char+word BiLSTM-CRF, trained on the translated data
}


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise XnerError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")
    return value


class _Json:
    """JSON round-trip for flat dataclasses; unknown keys are an error (typos must not pass silently)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    REMOVED: tuple[str, ...] = ()  # fields of older versions, ignored when reading their saved configs

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        data = {k: v for k, v in data.items() if k not in cls.REMOVED}
        unknown = sorted(set(data) - names)
        if unknown:
            raise XnerError(f"unknown {cls.__name__} field(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        return cls(**data)

    def replace(self, **changes: Any):
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass
class SpaceConfig(_Json):
    """How the embedding tables of a language pair are built."""

    direction: str | None = None  # None = paper's default per language (DEFAULT_DIRECTION)
    align_root: str = "runs/align"  # (ours) where `xner align` saved `en-XX/`
    align_suffix: str = ""  # (ours) read `en-XX<suffix>/` instead, e.g. ".supervised" for a reference mapping
    random_std: float | None = None  # (ours) Source-Mono random target vectors: N(0, std); None = std of the English table

    def resolved_direction(self, lang: str) -> str:
        direction = self.direction or DEFAULT_DIRECTION.get(lang, "s2t")
        return check_choice("direction", direction, DIRECTIONS)


@dataclass
class AugmentConfig(_Json):
    """Cross-Augmented (Algorithm 1). Only the structure is in the paper; the numbers are ours."""

    REMOVED = ("pseudo_batch_size",)  # dead: pseudo-labelling uses TrainConfig.eval_batch_size

    base: str = "best"  # paper Table 4: best of Cross-Word (no char), Cross-Word, Cross-Shared; or a variant name
    base_seed: int | None = None  # (ours) seed of the base run; None = the cell's own seed
    patience: int = 3  # (ours, METHOD.md) stop when the selection metric has not improved for this many iterations
    length_min: int | None = None  # paper: U(min, max) of target sentence lengths; None = shortest target sentence
    length_max: int | None = None  # None = longest target sentence
    source_per_target: int = 1  # (ours, METHOD.md) source batches interleaved per pseudo-labelled target batch
    detach_source_features: bool = False  # (ours) False: L_t(theta_t) also trains theta_s's encoder through eq. 7
    target_variant: str | None = None  # (ours) theta_t's architecture; None = the base's. The paper's counts
    # (Table 4: theta_t ~451k whatever the base) suggest an unshared char+word encoder ("cross-word")
    target_init: str = "copy"  # (ours) theta_t's encoder starts as a copy of theta_s ("copy", same architecture
    # only) or fresh ("random")
    target_scorer_init: str = "copy"  # (ours) theta_t's wide scorer + CRF: "copy" (built from theta_s's scorer
    # and CRF so that theta_t decodes exactly like theta_s before any update) or "fresh" (random: theta_t starts
    # near 0 F1 and short budgets never let it catch up: the 1-epoch fi cell ended at 3.3 test F1, its base at 24.8)
    eval_initial: bool = True  # (ours) evaluate once before any update (iteration 0): checks the base was loaded
    # and is the baseline of early stopping; it may be selected like any other evaluation
    log_source_scores: bool = True  # (ours, diagnostics only) also log theta_s's F1 at iteration 0 and each
    # iteration end ("source_scores"; never used for selection)
    eval_every: int | None = None  # (ours) batches between evaluations; None = TrainConfig.eval_every
    # ---- beyond the paper (issue 18; all "(ours)"; the defaults are the paper's Algorithm 1)
    target_loss: str = "hard"  # paper: theta_s and theta_t learn theta_s's Viterbi pseudo-labels (CRF NLL).
    # "soft": theta_t learns theta_s's per-token CRF marginals (teacher-student, Wu et al. 2020; theta_s then
    # learns from English only); "hard+soft": both, the soft term weighted by `soft_weight`
    soft_loss: str = "kl"  # KL(teacher || student marginals) per token; "mse": squared error of the marginals
    # (the loss of Wu et al.'s released code, microsoft/vert-papers SingleMulti-TS)
    soft_temperature: float = 1.0  # divides the teacher's CRF potentials before its marginals (> 1: softer)
    soft_weight: float = 1.0  # weight of the soft term in "hard+soft"
    pseudo_select: str = "length"  # paper: keep sentences with <= l tokens, l ~ U(min, max). "confidence": keep
    # sentences whose teacher confidence (`confidence_rule`) is >= `confidence_threshold`; "length+confidence": both
    confidence_rule: str = "sentence-min"  # confidence of a sentence from theta_s's marginal of each Viterbi tag:
    # its minimum over the tokens ("sentence-min": an unsure O token, a possibly missed entity, drops the
    # sentence), its mean ("sentence-mean"), or the minimum over predicted entities of the entity's mean marginal
    # ("entity-min"; a sentence without predicted entity scores its sentence-min)
    confidence_threshold: float = 0.9  # keep a sentence when its confidence is >= this
    confidence_per_type: dict[str, float] | None = None  # entity-min only: threshold per entity type (e.g.
    # {"MISC": 0.95}); types not named use `confidence_threshold`
    unlab_holdout: int = 500  # tgt-unlab mode only: the last N unlabelled target sentences (at most a quarter of
    # them) are held out of pseudo-labelling and scored by `unlab_criterion`, in the run that serves the mode (and
    # so for the modes sharing its base checkpoint); runs without the mode hold nothing out
    unlab_criterion: str = "confidence"  # tgt-unlab score on the held-out sentences: "confidence" = mean over
    # tokens of theta_t's marginal of its Viterbi tag; "agreement" = span F1 of theta_t's tags against theta_s's;
    # "entity-rate" = 100 - |theta_t's entity-token share / English train's - 1| * 100 (drift from the source)

    def __post_init__(self) -> None:
        check_choice("Cross-Augmented base", self.base, ("best",) + BASE_VARIANTS)
        check_choice("target_loss", self.target_loss, TARGET_LOSSES)
        check_choice("soft_loss", self.soft_loss, SOFT_LOSSES)
        check_choice("pseudo_select", self.pseudo_select, PSEUDO_SELECTS)
        check_choice("confidence_rule", self.confidence_rule, CONFIDENCE_RULES)
        check_choice("unlab_criterion", self.unlab_criterion, UNLAB_CRITERIA)
        thresholds = [self.confidence_threshold, *(self.confidence_per_type or {}).values()]
        if not all(isinstance(v, (int, float)) and 0.0 <= v <= 1.0 for v in thresholds):
            raise XnerError("confidence thresholds must be numbers in [0, 1]")
        if self.soft_temperature <= 0 or self.soft_weight < 0 or self.unlab_holdout < 1:
            raise XnerError("soft_temperature must be > 0, soft_weight >= 0 and unlab_holdout >= 1")
        check_choice("target_init", self.target_init, ("copy", "random"))
        check_choice("target_scorer_init", self.target_scorer_init, ("fresh", "copy"))
        if self.target_variant is not None:
            check_choice("target_variant", self.target_variant, BASE_VARIANTS)
        if self.patience < 1 or self.source_per_target < 0:
            raise XnerError("patience must be >= 1 and source_per_target >= 0")


@dataclass
class TranslateConfig(_Json):
    """Translate-train's word-by-word translation (`xner.transfer.translate`); the rule is ours, after Xie et al."""

    knn: int = 10  # Xie et al. 2018 / MUSE: CSLS neighbourhood size k = 10
    min_score: float = 0.0  # (ours) copy the English word when its best CSLS score is below this
    with_source: bool = False  # Xie et al.: the translation only. True (ours): the English originals too, in
    # English word rows, batches of the two mixed in each epoch (what the target tagger can learn from the
    # source's own word vectors is kept where the word-by-word translation loses it, e.g. Finnish inflection)

    def __post_init__(self) -> None:
        if self.knn < 1:
            raise XnerError("translate.knn must be >= 1")


@dataclass
class Budget(_Json):
    """How much compute a cell gets. `full()` is the paper's budget; anything else is a cut and says so."""

    epochs: int = 30  # paper: 30 epochs
    max_train_sentences: int | None = None  # (ours) cap on English training sentences (first N); None = all 14,041
    max_eval_sentences: int | None = None  # (ours) cap on dev/test sentences (first N); None = all (a cut changes F1!)
    max_vocab: int | None = None  # (ours) rows per embedding table; None = all
    augment_iterations: int = 30  # (ours) max Cross-Augmented outer iterations (one pass over kept target set each)
    max_unlabeled: int | None = None  # (ours) cap on unlabelled target sentences; None = all
    eval_every: int = 150  # paper: evaluate every 150 batches

    @property
    def is_full(self) -> bool:
        return self == Budget()

    def cuts(self) -> list[tuple[str, str, int]]:
        """(tag prefix, description, value) of the epochs and of every field that differs from the paper's budget."""
        paper = Budget()
        return [(prefix, text, getattr(self, name)) for prefix, name, text in BUDGET_FIELDS
                if name == "epochs" or getattr(self, name) != getattr(paper, name)]

    @property
    def name(self) -> str:
        """A short, unique, readable tag used in result paths: `full` or e.g. `e2-n2000-v20000`."""
        for preset, budget in BUDGET_PRESETS.items():
            if self == budget:
                return preset
        return "-".join(f"{prefix}{value}" for prefix, _, value in self.cuts())

    def describe(self) -> str:
        if self.is_full:
            return "paper budget (30 epochs, all data, eval every 150 batches)"
        return ", ".join(text.format(value) + (" (paper: 30)" if prefix == "e" and value != 30 else "")
                         for prefix, text, value in self.cuts())


# (tag prefix, Budget field, description) in tag order: one table for `Budget.name`, `describe` and `budget_from_name`
BUDGET_FIELDS = (
    ("e", "epochs", "{} epochs"),
    ("n", "max_train_sentences", "first {} English training sentences"),
    ("t", "max_eval_sentences", "first {} sentences of each dev/test set (F1 not comparable)"),
    ("v", "max_vocab", "{} embedding rows per language"),
    ("a", "augment_iterations", "{} Cross-Augmented iterations"),
    ("u", "max_unlabeled", "first {} unlabelled target sentences"),
    ("every", "eval_every", "eval every {} batches (paper: 150)"),
)


BUDGET_PRESETS: dict[str, Budget] = {
    "full": Budget(),
    # CPU smoke test: proves the pipeline end to end in minutes; its numbers are NOT the paper's setting.
    "smoke": Budget(
        epochs=2, max_train_sentences=2000, max_eval_sentences=500, max_vocab=20000,
        augment_iterations=2, max_unlabeled=2000, eval_every=50,
    ),
}


def budget_from_name(name: str) -> Budget:
    """A preset name (`full`, `smoke`) or a budget tag as produced by `Budget.name` (e.g. `e2-n2000-v20000`)."""
    if name in BUDGET_PRESETS:
        return BUDGET_PRESETS[name]
    keys = {prefix: name for prefix, name, _ in BUDGET_FIELDS}
    values: dict[str, int] = {}
    for part in name.split("-"):
        prefix = part.rstrip("0123456789")
        digits = part[len(prefix):]
        if prefix not in keys or not digits:
            raise XnerError(f"bad budget {name!r}: use a preset ({', '.join(BUDGET_PRESETS)}) or a tag like e2-n2000-v20000")
        values[keys[prefix]] = int(digits)
    return Budget(**values)


class _Overrides:
    """A typed partial config: every field of `TARGET` optional (None = keep the default), checked by building
    `TARGET` from the values that are set; saved as just those values (`{}` when nothing is overridden)."""

    TARGET: type

    def __post_init__(self) -> None:
        self.TARGET(**self.to_dict())  # invalid values fail when the config is built

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | "_Overrides"):
        if isinstance(data, cls):
            return data
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise XnerError(f"unknown {cls.TARGET.__name__} field(s): {', '.join(unknown)}")
        return cls(**data)


def _overrides_of(target: type, name: str) -> type:
    fields = [(f.name, f"{f.type} | None", field(default=None)) for f in dataclasses.fields(target)]
    cls = dataclasses.make_dataclass(name, fields, bases=(_Overrides,))
    cls.TARGET = target
    cls.__module__, cls.__qualname__ = __name__, name  # picklable (grid workers are spawned processes)
    return cls


TaggerOverrides = _overrides_of(TaggerConfig, "TaggerOverrides")  # TaggerConfig fields a cell changes
TrainOverrides = _overrides_of(TrainConfig, "TrainOverrides")  # TrainConfig fields a cell changes (never the
# Budget's epochs / eval_every)


@dataclass
class TransferConfig(_Json):
    """One cell of the grid: (target language, variant, seed) plus everything that can change its result."""

    lang: str = "es"
    variant: str = CROSS_WORD
    seed: int = 1  # paper: 5 seeds per cell
    modes: tuple[str, ...] = PAPER_MODES  # selection modes to report (all come from one training run)
    device: str = "cpu"
    space: SpaceConfig = field(default_factory=SpaceConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    budget: Budget = field(default_factory=Budget)
    tagger: TaggerOverrides = field(default_factory=TaggerOverrides)  # type: ignore[valid-type]
    train: TrainOverrides = field(default_factory=TrainOverrides)  # type: ignore[valid-type]
    translate: TranslateConfig = field(default_factory=TranslateConfig)  # translate-train only (saved only there)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z]{2,3}", self.lang) or self.lang == SOURCE_LANG:
            raise XnerError(f"target language must be a language code other than {SOURCE_LANG}, not {self.lang!r} "
                            f"(the paper's: {', '.join(TARGET_LANGS)})")
        check_choice("variant", self.variant, VARIANTS)
        self.modes = tuple(self.modes)
        for mode in self.modes:
            check_choice("selection mode", mode, MODES)
        if not self.modes:
            raise XnerError("at least one selection mode is needed")
        self.tagger = TaggerOverrides.from_dict(self.tagger)  # dicts (grid files, --set) become typed here
        self.train = TrainOverrides.from_dict(self.train)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["modes"] = list(self.modes)
        out["tagger"], out["train"] = self.tagger.to_dict(), self.train.to_dict()
        if self.variant != TRANSLATE_TRAIN:  # no other variant reads it: older results stay comparable
            out.pop("translate")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TransferConfig":
        data = dict(data)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise XnerError(f"unknown TransferConfig field(s): {', '.join(unknown)}")
        if isinstance(data.get("space"), dict):
            data["space"] = SpaceConfig.from_dict(data["space"])
        if isinstance(data.get("augment"), dict):
            data["augment"] = AugmentConfig.from_dict(data["augment"])
        if isinstance(data.get("translate"), dict):
            data["translate"] = TranslateConfig.from_dict(data["translate"])
        if isinstance(data.get("budget"), dict):
            data["budget"] = Budget.from_dict(data["budget"])
        if "modes" in data:
            data["modes"] = tuple(data["modes"])
        return cls(**data)

    @property
    def uses_char(self) -> bool:
        return ARCHITECTURE.get(self.variant, (True, True))[0]
