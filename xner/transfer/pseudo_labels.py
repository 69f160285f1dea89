"""Pseudo-labels for unlabelled target text (Algorithm 1, steps 3-4): the length threshold l ~ U(min, max),
and (ours, issue 18) the alternative that keeps sentences by the teacher's marginal confidence.

Input sentences come from `xner.data.registry.load_unlabeled` (token column only); nothing here
reads target labels. `accuracy_by_length` is an analysis helper (paper Fig. 2) for callers that
have gold tags; it is never used in training.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from xner.data.conll import Sentence


@torch.no_grad()
def predict_tags(
    decode: Callable,  # batch -> list[list[int]] (e.g. Tagger.decode or AugmentedTagger.decode)
    corpus,  # xner.model.batching.EncodedCorpus built with with_tags=False
    tag_names: Sequence[str],
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> list[tuple[str, ...]]:
    """Viterbi tags (in the model's training scheme) for every sentence of `corpus`, in corpus order."""
    out: list[tuple[str, ...] | None] = [None] * len(corpus)
    for batch in corpus.batches_in_order(batch_size, device):
        for i, path in zip(batch.indices.tolist(), decode(batch)):
            out[i] = tuple(tag_names[t] for t in path)
    return out  # type: ignore[return-value]


def with_tags(sentences: Sequence[Sentence], tags: Sequence[Sequence[str]]) -> list[Sentence]:
    return [Sentence(s.tokens, tuple(t)) for s, t in zip(sentences, tags)]


def length_bounds(sentences: Sequence[Sentence]) -> tuple[int, int]:
    """min and max target sentence length (the paper's U(min, max) bounds)."""
    lengths = [len(s) for s in sentences]
    return min(lengths), max(lengths)


def sample_threshold(rng: np.random.Generator, low: int, high: int) -> int:
    """l ~ U(low, high), integers inclusive (paper: 'randomly select a length threshold l from U(min, max)')."""
    return int(rng.integers(low, high + 1))


def keep_up_to(lengths: np.ndarray, threshold: int) -> np.ndarray:
    """Indices of sentences with at most `threshold` tokens (paper: 'sentences that have a maximum of l words')."""
    return np.flatnonzero(lengths <= threshold)


def entity_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end exclusive, type) of the entities of a well-formed IOB2 sequence (a stray I- opens one)."""
    spans: list[tuple[int, int, str]] = []
    for i, tag in enumerate(tags):
        if tag == "O":
            continue
        prefix, kind = tag[0], tag[2:]
        if prefix == "B" or not spans or spans[-1][1] != i or spans[-1][2] != kind:
            spans.append((i, i + 1, kind))
        else:
            spans[-1] = (spans[-1][0], i + 1, kind)
    return spans


def confidence_margin(conf: np.ndarray, tags: Sequence[str], rule: str, threshold: float,
                      per_type: dict[str, float] | None = None) -> float:
    """How far a sentence's teacher confidence is above its threshold (keep it when >= 0).

    `conf` (L,): the teacher's marginal of each of its Viterbi tags; `tags`: those tags in IOB2. Rules (see
    `AugmentConfig.confidence_rule`): "sentence-min" (least sure token), "sentence-mean", "entity-min" (least
    sure predicted entity, an entity scoring the mean over its tokens, against its type's threshold in
    `per_type`; a sentence without predicted entity falls back to sentence-min)."""
    if rule == "sentence-mean":
        return float(conf.mean()) - threshold
    if rule == "entity-min":
        spans = entity_spans(tags)
        if spans:
            return min(float(conf[a:b].mean()) - (per_type or {}).get(kind, threshold) for a, b, kind in spans)
    elif rule != "sentence-min":
        raise ValueError(f"unknown confidence rule {rule!r}")
    return float(conf.min()) - threshold


def keep_confident(conf: Sequence[np.ndarray], tags: Sequence[Sequence[str]], rule: str, threshold: float,
                   per_type: dict[str, float] | None = None) -> np.ndarray:
    """Indices of the sentences whose `confidence_margin` is >= 0 (Algorithm 1's kept set under the rule)."""
    return np.flatnonzero([confidence_margin(c, t, rule, threshold, per_type) >= 0 for c, t in zip(conf, tags)])


def accuracy_by_length(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], edges: Sequence[int] = (10, 20, 30, 50, 80, 150)
) -> list[dict]:
    """Token accuracy and entity-token accuracy per sentence-length bin (analysis only; paper Fig. 2)."""
    lengths = np.array([len(g) for g in gold])
    bins = np.digitize(lengths, edges, right=True)
    rows = []
    lower = 1
    for b, upper in enumerate(list(edges) + [int(lengths.max()) if len(lengths) else 0]):
        idx = np.flatnonzero(bins == b)
        if len(idx):
            g = np.concatenate([np.asarray(gold[i]) for i in idx])
            p = np.concatenate([np.asarray(pred[i]) for i in idx])
            ent = g != "O"
            rows.append({
                "lengths": f"{lower}-{upper}",
                "sentences": int(len(idx)),
                "token_accuracy": float((g == p).mean()),
                "entity_token_accuracy": float((g[ent] == p[ent]).mean()) if ent.any() else None,
            })
        lower = upper + 1
    return rows
