"""Stochastic self-learning: the sampled induction, the criterion read off its matrix, a rotation it must undo, and
VecMap's finish (refits, then the re-weighted mapping)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xner.align.config import SelfLearningConfig
from xner.align.criterion import mean_cosine
from xner.align.csls import csls_neighbourhoods, csls_search, unit
from xner.align.pipeline import random_rotation
from xner.align.selflearn import (SimilarityEngine, criterion_from, finish, sample_candidates, self_learning,
                                  union_dictionary)
from xner.errors import XnerError


def _unit_rows(rng, n, d):
    return unit(rng.standard_normal((n, d)).astype(np.float32))


def test_engine_candidates_and_criterion_match_faiss_csls(monkeypatch):
    from xner.align import selflearn

    monkeypatch.setattr(selflearn, "ROW_BLOCK", 64)  # several blocks
    rng = np.random.default_rng(0)
    x, z = _unit_rows(rng, 300, 16), _unit_rows(rng, 260, 16)
    engine = SimilarityEngine(x, z, cutoff=1000, knn=10, candidates=5)
    nb = engine.neighbours(np.eye(16, dtype=np.float32))
    r_x, r_z = csls_neighbourhoods(x, z, 10)
    _, fwd = csls_search(x, z, r_x, r_z, k=5)
    _, bwd = csls_search(z, x, r_z, r_x, k=5)
    assert (nb.fwd_ids[:, 0].numpy() == fwd[:, 0]).mean() > 0.99  # ties in float32 aside
    assert (nb.bwd_ids[:, 0].numpy() == bwd[:, 0]).mean() > 0.99
    np.testing.assert_allclose(nb.best_fwd.numpy(), (x @ z.T).max(1), atol=1e-5)
    # MUSE's criterion, read off the matrix, equals the batched faiss computation on the same vocabulary
    assert abs(criterion_from(nb, 200) - mean_cosine(x, z, 200, 10)) < 1e-4


def test_stochastic_induction_keeps_the_first_kept_candidate():
    ids = torch.arange(40).repeat(2000, 1)  # (N, K): candidate j has rank j
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(sample_candidates(ids, 1.0, gen), ids[:, 0])
    picked = sample_candidates(ids, 0.5, gen).float()
    assert abs(float((picked == 0).float().mean()) - 0.5) < 0.05  # geometric: P(rank 0) = p
    assert abs(float((picked == 1).float().mean()) - 0.25) < 0.05


def test_union_dictionary_has_both_directions():
    rng = np.random.default_rng(1)
    x = _unit_rows(rng, 50, 8)
    engine = SimilarityEngine(x, x.copy(), cutoff=50, knn=5, candidates=4)
    pairs = union_dictionary(engine.neighbours(np.eye(8, dtype=np.float32)), 1.0, torch.Generator().manual_seed(0))
    assert pairs.shape == (100, 2)
    assert (pairs[:, 0] == pairs[:, 1]).all()  # identical spaces: every word is its own CSLS neighbour


def test_self_learning_undoes_a_rotation_from_a_weak_seed():
    """A noisy rotated copy and a seed W that translates only ~7% of the words right: the loop must find the rotation."""
    rng = np.random.default_rng(2)
    x = _unit_rows(rng, 1500, 32)
    rotation = random_rotation(32, seed=5)
    z = unit(x @ rotation.T + 0.05 * rng.standard_normal(x.shape).astype(np.float32))
    config = SelfLearningConfig(cutoff=1500, stochastic_interval=3, max_iterations=60)
    engine = SimilarityEngine(x, z, config.cutoff, config.csls_knn, config.candidates)
    seen: list[dict] = []
    u, _, vt = np.linalg.svd(rotation + 1.5 * random_rotation(32, seed=6))
    start = (u @ vt).astype(np.float32)  # (D, D) orthogonal, far from the truth
    assert ((x @ start.T) @ z.T).argmax(1).__eq__(np.arange(len(x))).mean() < 0.2
    W = self_learning(engine, start, config, 0, lambda W, nb: criterion_from(nb, 1500), seen.append)
    assert np.abs(W - rotation).max() < 0.05
    probs = [e["keep_prob"] for e in seen]
    assert probs[0] == 0.1 and probs[-1] == 1.0 and probs == sorted(probs)  # the stochastic schedule ran to p = 1
    assert seen[-1]["final"] and seen[-1]["criterion"] > 0.9


def test_finish_refits_then_reweights_and_keeps_the_translation():
    rng = np.random.default_rng(3)
    x = _unit_rows(rng, 800, 24)
    rotation = random_rotation(24, seed=9)
    z = unit(x @ rotation.T + 0.05 * rng.standard_normal(x.shape).astype(np.float32))
    engine = SimilarityEngine(x, z, 800)
    start = (random_rotation(24, seed=10) * 0.3 + rotation).astype(np.float32)
    u, _, vt = np.linalg.svd(start)
    start = (u @ vt).astype(np.float32)  # orthogonal, near the truth
    seen: list[dict] = []
    W = finish(engine, start, SelfLearningConfig(final_iterations=2), seen.append)
    assert [e["mapping"] for e in seen] == ["orthogonal", "orthogonal", "reweighted"]
    assert seen[-1]["dictionary"] == 1600  # both directions
    assert ((x @ W.T) @ z.T).argmax(1).__eq__(np.arange(800)).mean() > 0.99
    assert np.abs(W @ W.T - np.eye(24)).max() > 1e-3  # re-weighted: no longer orthogonal
    same = finish(engine, start, SelfLearningConfig(final="orthogonal", final_iterations=0), seen.append)
    assert same is start
    with pytest.raises(XnerError):
        finish(engine, start, SelfLearningConfig(final="whitened"), seen.append)
