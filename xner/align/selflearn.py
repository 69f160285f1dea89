"""Robust self-learning (Artetxe et al. 2018, VecMap `--unsupervised`): the unsupervised method of the cpu preset.

Starting from the similarity-distribution seed dictionary (`init.similarity_init`),
each iteration fits an orthogonal W by Procrustes, then induces a new dictionary
from CSLS neighbours (k=10) in both directions over the `cutoff` most frequent
words (union of S2T and T2S). The induction is *stochastic*: every similarity
entry is kept with probability p (0.1 at first, doubled whenever the objective -
mean best cosine, both directions - has not improved by `threshold` for
`interval` iterations, until p = 1; xner can also cap the iterations spent at one p); this lets the loop escape the poor local
optimum a noisy seed dictionary would lock it into (what MUSE's deterministic
refinement does on these tables). W stays orthogonal inside the loop. `finish`
is VecMap's end of training: a few orthogonal refits at the 20k-word cutoff,
then one mapping with whitening, re-weighting and de-whitening on the final
dictionary (not orthogonal; on the en-es default W it lifts CSLS P@1 38.3 -> 40.2).

Cost: one (cutoff x cutoff) similarity matrix per iteration (torch matmul, kept
in memory: 400 MB at 10k words), two top-k passes per direction. The exact VecMap
dropout (zeroing entries of the full matrix, then argmax) is replaced by its
equivalent on the `candidates` best CSLS entries of each row: the first kept one
wins; if none of them is kept the best is taken (ours; at p = 0.1 and 32
candidates that happens for 3% of the rows).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from xner.align.config import SelfLearningConfig
from xner.align.procrustes import procrustes, reweighted_mapping
from xner.errors import XnerError

ROW_BLOCK = 1024  # rows per top-k block: bounds the temporary (block x cutoff) buffer (ours)


@dataclass
class Neighbours:
    """What one similarity matrix tells about a W: CSLS candidates both ways, best cosines, r terms."""

    fwd_ids: torch.Tensor  # (c_from, K) to-side rows, best CSLS first
    bwd_ids: torch.Tensor  # (c_to, K) from-side rows, best CSLS first
    best_fwd: torch.Tensor  # (c_from,) max cosine of each from-side word
    best_bwd: torch.Tensor  # (c_to,)
    sims: torch.Tensor  # (c_from, c_to) cosines (a view of the engine's buffer: valid until the next call)

    @property
    def objective(self) -> float:
        """VecMap's objective for the union direction: mean best cosine, averaged over both directions."""
        return float(self.best_fwd.mean() + self.best_bwd.mean()) / 2


class SimilarityEngine:
    """Holds the cutoff rows of both sides and reusable buffers; `neighbours(W)` scores one mapping."""

    def __init__(self, from_side: np.ndarray, to_side: np.ndarray, cutoff: int, knn: int = 10, candidates: int = 32):
        self.x = torch.from_numpy(np.ascontiguousarray(from_side[:cutoff], dtype=np.float32))  # (cx, D) unit rows
        self.z = torch.from_numpy(np.ascontiguousarray(to_side[:cutoff], dtype=np.float32))  # (cz, D) unit rows
        self.knn = min(knn, self.x.shape[0], self.z.shape[0])
        self.candidates = min(candidates, self.x.shape[0], self.z.shape[0])
        self.S = torch.empty(self.x.shape[0], self.z.shape[0])  # (cx, cz)
        self.ST = torch.empty(self.z.shape[0], self.x.shape[0])  # (cz, cx)
        self.buffer = torch.empty(ROW_BLOCK, max(self.x.shape[0], self.z.shape[0]))

    def _knn_mean(self, sims: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r, best = torch.empty(sims.shape[0]), torch.empty(sims.shape[0])
        for i in range(0, sims.shape[0], ROW_BLOCK):
            top = sims[i : i + ROW_BLOCK].topk(self.knn, dim=1).values  # (B, knn)
            r[i : i + ROW_BLOCK], best[i : i + ROW_BLOCK] = top.mean(1), top[:, 0]
        return r, best  # (N,), (N,)

    def _csls_candidates(self, sims: torch.Tensor, r_keys: torch.Tensor) -> torch.Tensor:
        """Top candidates of each row by sim - r_key / 2 (same order as CSLS = 2 sim - r_query - r_key)."""
        ids = torch.empty(sims.shape[0], self.candidates, dtype=torch.long)
        for i in range(0, sims.shape[0], ROW_BLOCK):
            block = sims[i : i + ROW_BLOCK]
            buf = self.buffer[: block.shape[0], : block.shape[1]]
            torch.sub(block, r_keys[None, :], alpha=0.5, out=buf)  # (B, K)
            ids[i : i + ROW_BLOCK] = buf.topk(self.candidates, dim=1).indices
        return ids

    def neighbours(self, W: np.ndarray) -> Neighbours:
        xw = self.x @ torch.from_numpy(np.ascontiguousarray(W, dtype=np.float32)).T  # (cx, D)
        xw /= xw.norm(dim=1, keepdim=True).clamp_min(1e-8)
        torch.mm(xw, self.z.T, out=self.S)  # (cx, cz)
        self.ST.copy_(self.S.T)  # (cz, cx): row-wise top-k is much faster than column-wise
        r_from, best_fwd = self._knn_mean(self.S)
        r_to, best_bwd = self._knn_mean(self.ST)
        return Neighbours(self._csls_candidates(self.S, r_to), self._csls_candidates(self.ST, r_from), best_fwd,
                          best_bwd, self.S)


def sample_candidates(ids: torch.Tensor, keep_prob: float, generator: torch.Generator) -> torch.Tensor:
    """VecMap's stochastic dictionary induction on sorted candidates: the first kept entry of each row. (N,)"""
    if keep_prob >= 1.0:
        return ids[:, 0]
    kept = torch.rand(ids.shape, generator=generator) < keep_prob  # (N, K)
    first = kept.to(torch.uint8).argmax(dim=1)  # (N,): first kept; 0 (the best) when none is kept
    return ids.gather(1, first[:, None])[:, 0]


def union_dictionary(nb: Neighbours, keep_prob: float, generator: torch.Generator) -> np.ndarray:
    """S2T and T2S pairs, concatenated (VecMap `--direction union`). (cx + cz, 2) [from row, to row]"""
    fwd = sample_candidates(nb.fwd_ids, keep_prob, generator)  # (cx,)
    bwd = sample_candidates(nb.bwd_ids, keep_prob, generator)  # (cz,)
    from_rows = torch.cat([torch.arange(len(fwd)), bwd])
    to_rows = torch.cat([fwd, torch.arange(len(bwd))])
    return torch.stack([from_rows, to_rows], 1).numpy()


def criterion_from(nb: Neighbours, n_words: int) -> float:
    """MUSE's mean-cosine criterion (S2T CSLS translations of the `n_words` most frequent words, both ranks < n_words).

    Exactly `criterion.mean_cosine` when the engine's cutoff equals the criterion's vocabulary (`max_vocab`).
    """
    n = min(n_words, nb.fwd_ids.shape[0])
    top = nb.fwd_ids[:n, 0]  # (n,)
    keep = top < n_words
    if not bool(keep.any()):
        return -1.0
    rows = torch.arange(n)[keep]
    return float(nb.sims[rows, top[keep]].mean())


def self_learning(
    engine: SimilarityEngine,
    W: np.ndarray,
    config: SelfLearningConfig,
    seed: int,
    score: Callable[[np.ndarray, Neighbours], float],
    log: Callable[[dict], None],
    monitor: Callable[[Neighbours], dict] | None = None,
    max_iterations: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Run the stochastic self-learning loop from W; returns the final W (selection is `score`'s business).

    `score(W, nb)` records the unsupervised criterion of each W (and keeps the best); `monitor(nb)` adds
    logging-only fields (e.g. P@1 on a test dictionary) and must never influence the loop.
    """
    generator = torch.Generator().manual_seed(seed)
    p = config.stochastic_initial
    limit = config.max_iterations if max_iterations is None else max_iterations
    best_objective, last_improvement, iteration, stage_start = -np.inf, 0, 0, 0

    def scored(W: np.ndarray, **extra) -> tuple[Neighbours, dict]:
        nb = engine.neighbours(W)
        entry = {"stage": "self-learning", "iteration": iteration, "keep_prob": p,
                 "objective": round(nb.objective, 5), "criterion": round(score(W, nb), 5), **extra}
        if monitor is not None:
            entry.update(monitor(nb))
        return nb, entry

    while iteration < limit:
        stalled = iteration - last_improvement > config.stochastic_interval
        capped = config.stage_iterations > 0 and iteration - stage_start >= config.stage_iterations
        if stalled or capped:
            if p >= 1.0:
                break
            p, last_improvement, stage_start = min(1.0, config.stochastic_multiplier * p), iteration, iteration
        start = time.time()
        nb, entry = scored(W)
        if nb.objective - best_objective >= config.threshold:
            best_objective, last_improvement = nb.objective, iteration
        W = procrustes(engine.x.numpy(), engine.z.numpy(), union_dictionary(nb, p, generator))
        entry["seconds"] = round(time.time() - start, 2)
        log(entry)
        iteration += 1
        if progress:
            progress(iteration)
    log(scored(W, final=True)[1])
    return W


FINALS = ("reweighted", "orthogonal")


def finish(engine: SimilarityEngine, W: np.ndarray, config: SelfLearningConfig, log: Callable[[dict], None]) -> np.ndarray:
    """VecMap's end of training on `engine` (built at `final_cutoff` words): `final_iterations` orthogonal refits
    (both directions, p = 1), then, with `final` "reweighted", the re-weighted mapping on the dictionary the last W
    induces instead of one more orthogonal Procrustes (Artetxe et al. 2018: whitening and re-weighting add P@1)."""
    if config.final not in FINALS:
        raise XnerError(f"unknown self_learning.final {config.final!r} (known: {', '.join(FINALS)})")
    no_sampling = torch.Generator()  # p = 1: the induction takes the best candidate, nothing is drawn
    x, z = engine.x.numpy(), engine.z.numpy()
    steps = ["orthogonal"] * config.final_iterations + (["reweighted"] if config.final == "reweighted" else [])
    for iteration, step in enumerate(steps):
        start = time.time()
        nb = engine.neighbours(W)
        pairs = union_dictionary(nb, 1.0, no_sampling)
        W = procrustes(x, z, pairs) if step == "orthogonal" else reweighted_mapping(x, z, pairs, config.reweight,
                                                                                   config.dewhiten)
        log({"stage": "finish", "iteration": iteration, "words": int(x.shape[0]), "mapping": step,
             "objective": round(nb.objective, 5), "dictionary": int(len(pairs)), "seconds": round(time.time() - start, 2)})
        del nb
    return W
