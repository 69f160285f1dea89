"""Typed configs of the base tagger (METHOD.md section 2); defaults are the paper's values.

`TaggerConfig` describes the network, `TrainConfig` the optimisation. Both are saved as JSON next
to every model and run (`to_dict` / `from_dict`), so a result always says how it was made.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

from xner.errors import XnerError

WORD_LOOKUPS = ("exact", "lower")
CHAR_CASES = ("plain", "feature")  # how the char BiLSTM sees letter case (`xner.model.char_encoder`)
CASE_INFERENCES = ("expected", "unknown")


def _from_dict(cls, data: dict[str, Any]):
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise XnerError(f"unknown {cls.__name__} field(s): {', '.join(unknown)}")
    return cls(**data)


@dataclass
class TaggerConfig:
    """Architecture of the char+word BiLSTM-CRF (Lample et al. 2016 as used by the paper)."""

    char_dim: int = 25  # paper, "Model Settings": character embeddings of size 25
    char_hidden: int = 25  # paper, "Model Settings": char-LSTM hidden size 25 (per direction)
    word_hidden: int = 100  # paper, "Model Settings": word LSTM hidden size 100 (per direction)
    dense_dim: int = 100  # paper, "Our Source (Base) Model": point-wise dense (tanh) layer before the CRF,
    # as in Lample et al.'s code; 100 reproduces Table 4's parameter counts exactly. 0 = no dense layer.
    dropout: float = 0.5  # paper, "Model Settings": dropout 0.5
    use_char: bool = True  # paper, Table 4: Cross-Word with and without the char LSTM
    shared_weights: bool = False  # paper, "Cross-Shared": forward and backward LSTMs share weights
    finetune_embeddings: bool = False  # (ours) frozen, so a cross-lingual mapping is kept
    crf_boundary: bool = True  # (ours) learn start/end transition scores (paper eq. 2 has i=0..m edges)
    word_lookup: str = "lower"  # (ours) "lower": exact word, then lower-cased, then UNK; "exact": exact, then UNK
    char_case: str = "plain"  # paper: "plain" = the char BiLSTM reads the characters as written. (ours, issue 18)
    # "feature": it reads lower-cased characters and the word's case pattern (none / lower / Title / UPPER / mixed)
    # joins its output as a small embedding, so English capitalisation can be dropped out (German nouns are Title)
    case_dim: int = 5  # (ours) size of the case-pattern embedding ("feature" only)
    case_dropout: float = 0.5  # (ours) "feature" only: in training each word type's case pattern is replaced by the
    # "unknown" id with this probability (per type and batch)
    case_inference: str = "expected"  # (ours) "feature" only, at inference: "expected" = the training-time mean
    # (1-p) E[case] + p E[unknown] (dropout's weight-scaling rule); "unknown" = the case is never looked at

    def __post_init__(self) -> None:
        if self.word_lookup not in WORD_LOOKUPS:
            raise XnerError(f"word_lookup must be one of {', '.join(WORD_LOOKUPS)}, not {self.word_lookup!r}")
        if self.char_case not in CHAR_CASES:
            raise XnerError(f"char_case must be one of {', '.join(CHAR_CASES)}, not {self.char_case!r}")
        if self.case_inference not in CASE_INFERENCES:
            raise XnerError(f"case_inference must be one of {', '.join(CASE_INFERENCES)}, not {self.case_inference!r}")
        if not 0.0 <= self.case_dropout <= 1.0:
            raise XnerError("case_dropout must be in [0, 1]")
        if self.case_inference == "unknown" and self.case_dropout == 0.0:
            raise XnerError('case_inference "unknown" needs case_dropout > 0 (the unknown-case vector is never '
                            'trained)')
        for name in ("char_dim", "char_hidden", "word_hidden", "case_dim"):
            if getattr(self, name) <= 0:
                raise XnerError(f"{name} must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise XnerError("dropout must be in [0, 1)")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaggerConfig":
        return _from_dict(cls, data)


@dataclass
class TrainConfig:
    """SGD schedule of the paper: lr = max(lr / (1 + lr_decay * epoch), min_lr)."""

    lr: float = 0.1  # paper, "Model Settings": lr0 = 0.1
    lr_decay: float = 0.01  # paper: decay = 0.01
    min_lr: float = 1e-4  # paper: max(..., 0.0001)
    momentum: float = 0.0  # (ours) plain SGD, as in Lample et al.
    clip: float = 5.0  # paper: gradient clipping 5.0 (global norm, ours)
    batch_size: int = 16  # paper: batch size 16
    epochs: int = 30  # paper: 30 epochs
    eval_every: int = 150  # paper: evaluate every 150 batches (also at each epoch end, ours)
    max_train_len: int = 250  # paper: training sentences longer than 250 tokens dropped
    tag_scheme: str = "IOBES"  # paper: IOBES for training (IOB2 for Arabic; see `default_tag_scheme`)
    loss_reduction: str = "mean"  # (ours) CRF NLL averaged over the batch's sentences ("sum" also offered)
    length_buckets: int = 0  # (ours) 0 = uniformly random batches; N > 0 = sort by length inside random chunks
    # of N batches, then shuffle the batches (less padding, faster; batches stay random in order)
    seed: int = 1  # (ours)
    device: str = "cpu"  # "cpu" or "cuda"
    eval_batch_size: int = 256  # (ours) evaluation/prediction batch size
    eval_all_sets: bool = False  # (ours) score every eval set at every evaluation (the old, slower path); False:
    # only the selection sets, the others where a selection set improved (same trajectory, same selected steps)
    num_threads: int = 0  # (ours) torch CPU threads; 0 leaves torch's default
    stop_after_batches: int = 0  # (ours, tests) stop as if interrupted after this many batches; 0 = never

    def __post_init__(self) -> None:
        if self.tag_scheme not in ("IOBES", "IOB2"):
            raise XnerError(f"tag_scheme must be IOBES or IOB2, not {self.tag_scheme!r}")
        if self.loss_reduction not in ("mean", "sum"):
            raise XnerError(f"loss_reduction must be mean or sum, not {self.loss_reduction!r}")
        if self.batch_size <= 0 or self.epochs < 0 or self.eval_every < 0:
            raise XnerError("batch_size must be positive; epochs and eval_every non-negative")

    def learning_rate(self, epoch: int) -> float:
        """The paper's per-epoch schedule (epoch counts from 0)."""
        return max(self.lr / (1.0 + self.lr_decay * epoch), self.min_lr)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        return _from_dict(cls, data)


def default_tag_scheme(lang: str) -> str:
    """The paper trains every language in IOBES except Arabic (IOB2)."""
    return "IOB2" if lang == "ar" else "IOBES"
