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
class AlignConfig:
    src_lang: str = "en"
    tgt_lang: str = "es"
    direction: str | None = None  # "s2t" or "t2s"; None: PAPER_DIRECTIONS, else s2t
    normalize: str = "renorm,center,renorm"  # (ours, METHOD.md: MUSE's option; MUSE default is none)
    max_vocab: int = 200_000  # MUSE: words loaded for training / criterion / refinement
    eval_vocab: int | None = None  # (ours) rows searched in evaluation; None: the whole table
    seed: int = 0  # (ours)
    init: str = "adversarial"  # "adversarial" or "identity" (refinement straight from W = I)
    restart_inits: tuple[str, ...] = ()  # inits for restarts after the first try; empty: same init, next seed (ours)
    max_tries: int = 3  # (ours) tries when a run collapses
    similarity_words: int = 4000  # (ours, VecMap's default) words described by their similarity distributions
    collapse_null: str = "refined_random"  # (ours) "random": a random rotation; "refined_random": the same, refined
    collapse_margin: float = 0.03  # (ours) collapsed if criterion < null criterion + margin
    criterion_words: int = 10_000  # MUSE: mean_cosine-csls_knn_10-S2T-10000
    csls_knn: int = 10  # MUSE
    preset: str = "muse"
    adversarial: AdversarialConfig = field(default_factory=AdversarialConfig)
    refinement: RefinementConfig = field(default_factory=RefinementConfig)

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
        if "restart_inits" in data:
            data["restart_inits"] = tuple(data["restart_inits"])
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise XnerError(f"unknown alignment config fields: {', '.join(sorted(unknown))}")
        return cls(adversarial=adv, refinement=ref, **data)


# What the cpu preset changes relative to MUSE, field by field (the README / results quote this).
PRESET_CHANGES: dict[str, dict[str, Any]] = {
    "muse": {},
    "cpu": {
        "max_vocab": 15_000,  # adversarial samples, criterion and refinement over the 15k most frequent words (MUSE: 200k)
        "max_tries": 2,  # (ours) default 3
        "adversarial.n_epochs": 3,  # MUSE: 5
        "adversarial.epoch_size": 50_000,  # MUSE: 1,000,000
        "adversarial.batch_size": 64,  # MUSE: 32
        "adversarial.dis_hid_dim": 256,  # MUSE: 2048 (the discriminator MLP is the CPU cost: ~25x fewer flops)
        "restart_inits": ("similarity", "adversarial"),  # MUSE: no restarts; ours: another initialisation first
    },
}


def preset(name: str, **overrides: Any) -> AlignConfig:
    if name not in PRESET_CHANGES:
        raise XnerError(f"unknown preset {name!r} (known: {', '.join(PRESET_CHANGES)})")
    config = AlignConfig(preset=name)
    for key, value in {**PRESET_CHANGES[name], **overrides}.items():
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
