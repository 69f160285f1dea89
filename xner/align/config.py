"""Typed configuration of the alignment stage; defaults are MUSE's (Conneau et al. 2018), which the paper uses.

Two presets: `muse` (the real defaults: hours on 2 CPU cores) and `cpu`
(what xner changes to finish in minutes; see `PRESET_CHANGES`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from xner.errors import XnerError

# Paper (METHOD.md section 1): map target into English space for ar and fi, English into target space otherwise.
PAPER_DIRECTIONS = {"es": "s2t", "nl": "s2t", "de": "s2t", "ar": "t2s", "fi": "t2s"}


@dataclass
class AdversarialConfig:
    enabled: bool = True  # paper: adversarial step before refinement
    n_epochs: int = 5  # MUSE default
    epoch_size: int = 1_000_000  # MUSE default (samples per epoch)
    batch_size: int = 32  # MUSE default
    map_lr: float = 0.1  # MUSE: sgd,lr=0.1
    dis_lr: float = 0.1  # MUSE: sgd,lr=0.1
    lr_decay: float = 0.98  # MUSE: per epoch
    min_lr: float = 1e-6  # MUSE
    lr_shrink: float = 0.5  # MUSE: on the second drop of the criterion
    map_beta: float = 0.001  # paper / MUSE: orthogonalisation
    dis_layers: int = 2  # paper / MUSE
    dis_hid_dim: int = 2048  # paper / MUSE
    dis_dropout: float = 0.0  # MUSE
    dis_input_dropout: float = 0.1  # paper / MUSE
    dis_steps: int = 5  # paper / MUSE
    dis_lambda: float = 1.0  # MUSE
    dis_most_frequent: int = 75_000  # paper / MUSE
    dis_smooth: float = 0.1  # paper / MUSE
    dis_clip_weights: float = 0.0  # MUSE
    log_every: int = 500  # iterations between loss log lines (MUSE: 500)


@dataclass
class RefinementConfig:
    n_iterations: int = 5  # paper / MUSE
    dico_method: str = "csls_knn_10"  # MUSE
    dico_build: str = "S2T&T2S"  # paper / MUSE: mutual neighbours
    dico_threshold: float = 0.0  # MUSE
    dico_max_rank: int = 15_000  # paper / MUSE
    dico_min_size: int = 0  # MUSE
    dico_max_size: int = 0  # MUSE


@dataclass
class SelfLearningConfig:
    """Robust self-learning (Artetxe et al. 2018, VecMap `--unsupervised`); see `selflearn.py`."""

    cutoff: int = 20_000  # VecMap: --vocabulary_cutoff 20000 (words used for dictionary induction)
    csls_knn: int = 10  # VecMap: --csls 10
    stochastic_initial: float = 0.1  # VecMap
    stochastic_multiplier: float = 2.0  # VecMap
    stochastic_interval: int = 50  # VecMap: iterations without improvement before p grows
    threshold: float = 1e-6  # VecMap: minimum objective improvement
    stage_iterations: int = 0  # (ours) p grows after at most this many iterations at one p; 0: VecMap's rule only
    candidates: int = 32  # (ours) best CSLS entries per row the stochastic induction samples from
    max_iterations: int = 2000  # (ours) safety stop; VecMap has none
    # (ours) after the loop, run it again this many times from the dictionary its best W induces (keep probability
    # back to `stochastic_initial`): a second annealing from a better start; the criterion keeps the best W
    reanneal: int = 0
    # VecMap's last step: after the orthogonal loop, one mapping fitted on the final dictionary with whitening,
    # re-weighting and de-whitening ("reweighted", `procrustes.reweighted_mapping`); "orthogonal": W as the loop left it
    final: str = "reweighted"
    final_cutoff: int = 20_000  # VecMap: --vocabulary_cutoff 20000 (the last step's dictionary and refits)
    final_iterations: int = 3  # (ours) orthogonal refits at `final_cutoff` (p = 1) before the last step
    reweight: float = 0.5  # VecMap: --src_reweight 0.5 (the to side is not re-weighted: one W holds the mapping)
    dewhiten: str = "from"  # VecMap: --src_dewhiten src ("to": with the other side's covariance)


@dataclass
class SeedConfig:
    """How the dictionary-free seed families of `seeds.py` are built (all ours unless cited)."""

    max_rank: int = 0  # identical / numerals: only the most frequent rows of each side; 0: the whole tables
    # (the shared tables end with NER words, mostly names, which are most of the identical strings)
    casefold: bool = True  # identical: also match case-folded strings (`Europa` / `europa`) when no exact match
    min_letters: int = 1  # identical: word-like strings only (issue 16's probe: at least one letter)
    orthographic_words: int = 5_000  # orthographic: most frequent alphabetic words compared on each side
    orthographic_threshold: float = 0.75  # orthographic: minimum normalised Levenshtein similarity
    orthographic_min_length: int = 4  # orthographic: shorter words match too easily by chance
    min_pairs: int = 20  # a family with fewer pairs is skipped (Procrustes on a handful of pairs is noise)


@dataclass
class AlignConfig:
    src_lang: str = "en"
    tgt_lang: str = "es"
    direction: str | None = None  # "s2t" or "t2s"; None: PAPER_DIRECTIONS, else s2t
    normalize: str = "renorm,center,renorm"  # (ours, METHOD.md: MUSE's option; MUSE default is none)
    max_vocab: int = 200_000  # MUSE: words loaded for training / criterion / refinement
    eval_vocab: int | None = None  # (ours) rows searched in evaluation; None: the whole table
    seed: int = 0  # (ours)
    method: str = "adversarial"  # paper / MUSE: "adversarial" (init, then Procrustes-CSLS refinement); "selflearning"
    # (Artetxe et al. 2018: stochastic self-learning after `init`, see `selflearn.py`); or "dictionary-free" (ours, the
    # cpu preset's default: seeds from spelling, `seeds.py`, each screened by the criterion, the best one self-learnt)
    init: str = "adversarial"  # "adversarial", "identity" (refinement straight from W = I) or "similarity"
    restart_inits: tuple[str, ...] = ()  # inits for restarts after the first try; empty: same init, next seed (ours)
    max_tries: int = 3  # (ours) tries when a run collapses
    similarity_words: int = 4000  # (ours, VecMap's default) words described by their similarity distributions
    seed_families: tuple[str, ...] = ("identical+numerals", "identical+numerals+orthographic", "similarity")
    # (ours) dictionary-free: the candidate seeds the referee screens (families of `seeds.py` joined by +)
    screen_iterations: int = 10  # (ours) dictionary-free: self-learning iterations (first keep probability) per seed
    # and for the null (a random rotation), so that the referee compares seeds and null at equal effort
    evaluate_candidates: bool = False  # (ours) after selection, also evaluate every screened seed (for the report)
    log_test_precision: bool = False  # (ours) log P@1 on the test pairs during self-learning (reads the dictionary
    # before selection: diagnostics only, never in the default pipeline)
    collapse_null: str = "refined_random"  # (ours) "random": a random rotation; "refined_random": the same, refined
    collapse_margin: float = 0.03  # (ours) collapsed if criterion < null criterion + margin
    criterion_words: int = 10_000  # MUSE: mean_cosine-csls_knn_10-S2T-10000
    csls_knn: int = 10  # MUSE
    preset: str = "muse"
    adversarial: AdversarialConfig = field(default_factory=AdversarialConfig)
    refinement: RefinementConfig = field(default_factory=RefinementConfig)
    self_learning: SelfLearningConfig = field(default_factory=SelfLearningConfig)
    seeds: SeedConfig = field(default_factory=SeedConfig)

    def resolved_direction(self) -> str:
        direction = self.direction or PAPER_DIRECTIONS.get(self.tgt_lang, "s2t")
        if direction not in ("s2t", "t2s"):
            raise XnerError(f"direction must be s2t or t2s, not {direction!r}")
        return direction

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AlignConfig":
        data = dict(data)
        adv = AdversarialConfig(**data.pop("adversarial", {}))
        ref = RefinementConfig(**data.pop("refinement", {}))
        selflearn = SelfLearningConfig(**data.pop("self_learning", {}))
        seeds = SeedConfig(**data.pop("seeds", {}))
        for key in ("restart_inits", "seed_families"):
            if key in data:
                data[key] = tuple(data[key])
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise XnerError(f"unknown alignment config fields: {', '.join(sorted(unknown))}")
        return cls(adversarial=adv, refinement=ref, self_learning=selflearn, seeds=seeds, **data)


# What the cpu preset changes relative to MUSE, field by field (the README / results quote this).
PRESET_CHANGES: dict[str, dict[str, Any]] = {
    "muse": {},
    "cpu": {
        # Dictionary-free seeds from spelling (identical strings, numerals, cognates) and Artetxe et al. (2018)'s
        # robust self-learning instead of adversarial training: MUSE's adversarial step and the fully unsupervised
        # similarity seed collapse on every pair of the shared tables (results/align.md); `--method adversarial`
        # and `--method similarity` bring them back.
        "method": "dictionary-free",  # MUSE: adversarial
        "init": "similarity",  # (the `similarity` family of the referee; VecMap: similarity distributions, 4000 words)
        "restart_inits": ("similarity",),  # (ours) a restart re-runs the stochastic loop with the next seed
        "max_tries": 2,  # (ours) default 3; dictionary-free: the next-best screened seed is the restart
        "max_vocab": 10_000,  # criterion over the self-learning vocabulary, read off its matrix (MUSE: 200k)
        "self_learning.cutoff": 10_000,  # VecMap: 20,000 (one 20k x 20k matrix costs ~10 s per iteration here)
        "self_learning.stochastic_interval": 50,  # VecMap
        # (ours) at most 10 iterations per keep probability (0.1, 0.2, 0.4, 0.8, 1.0: <= 50 iterations a loop):
        # on these tables the objective creeps up for hundreds of iterations at p = 0.1, so VecMap's rule alone
        # would not finish the null model and the tries within 15 minutes
        "self_learning.stage_iterations": 10,
        # (ours) the null is the same loop from a random rotation and climbs almost as high as a right solution
        # (en-es: null 0.43 at p = 0.8, a run seeded with 100 gold pairs 0.46 at p = 0.4)
        "collapse_margin": 0.015,
    },
}

# `--method` on top of a preset: what must change with it (the cpu preset's MUSE configuration lives here).
METHOD_CHANGES: dict[tuple[str, str], dict[str, Any]] = {
    ("cpu", "adversarial"): {
        "method": "adversarial",
        "init": "adversarial",
        "restart_inits": ("similarity", "adversarial"),  # MUSE: no restarts; ours: another initialisation first
        "max_vocab": 15_000,  # adversarial samples, criterion and refinement over the 15k most frequent words
        "collapse_margin": 0.03,  # (ours)
        "adversarial.n_epochs": 3,  # MUSE: 5
        "adversarial.epoch_size": 50_000,  # MUSE: 1,000,000
        "adversarial.batch_size": 64,  # MUSE: 32
        "adversarial.dis_hid_dim": 256,  # MUSE: 2048 (the discriminator MLP is the CPU cost: ~25x fewer flops)
    },
    ("cpu", "selflearning"): {"method": "selflearning"},  # the previous cpu default: similarity init + self-learning
    ("muse", "selflearning"): {"method": "selflearning", "init": "similarity", "restart_inits": ("similarity",)},
    ("muse", "dictionary-free"): {"method": "dictionary-free"},
}
# `--method` names: `similarity` is the fully unsupervised self-learning (similarity-distribution init).
METHOD_ALIASES = {"similarity": "selflearning"}
METHOD_NAMES = ("dictionary-free", "adversarial", "similarity", "selflearning")


def preset(name: str, method: str | None = None, **overrides: Any) -> AlignConfig:
    """The preset's config; `method` switches the unsupervised method with the fields that go with it."""
    if name not in PRESET_CHANGES:
        raise XnerError(f"unknown preset {name!r} (known: {', '.join(PRESET_CHANGES)})")
    if method is not None and method not in METHOD_NAMES:
        raise XnerError(f"unknown method {method!r} (known: dictionary-free, adversarial, similarity)")
    method = METHOD_ALIASES.get(method, method) if method is not None else None
    config = AlignConfig(preset=name)
    changes = dict(PRESET_CHANGES[name])
    if method is not None and method != changes.get("method", config.method):
        changes.update(METHOD_CHANGES[(name, method)])
    for key, value in {**changes, **overrides}.items():
        _set(config, key, value)
    return config


def _set(config: AlignConfig, dotted: str, value: Any) -> None:
    target: Any = config
    *parents, leaf = dotted.split(".")
    for part in parents:
        target = getattr(target, part)
    if not hasattr(target, leaf):
        raise XnerError(f"unknown alignment config field {dotted!r}")
    setattr(target, leaf, value)
