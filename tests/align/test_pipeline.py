"""End to end: a real table and a rotated, row-shuffled, noisy copy of it must be re-aligned without supervision."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from xner.align.config import preset
from xner.align.mapping import mapped_tables
from xner.align.pipeline import align
from xner.align.pipeline import random_rotation
from xner.embeddings import EmbeddingTable, load_embeddings

N_WORDS = 4000


@pytest.fixture(scope="module")
def rotated_pair(ner_data, tmp_path_factory):
    src = load_embeddings(str(ner_data / "emb" / "en.npy"), max_vocab=N_WORDS)  # shared table, else the shipped one
    vectors = src.float32()  # (N, D)
    rng = np.random.default_rng(7)
    rotation = random_rotation(src.dim, seed=3)
    order = rng.permutation(N_WORDS)
    noisy = vectors @ rotation.T + 0.01 * rng.standard_normal(vectors.shape).astype(np.float32) * np.linalg.norm(vectors, axis=1, keepdims=True)
    tgt_words = [f"rot:{src.words[i]}" for i in order]
    tgt = EmbeddingTable(tgt_words, noisy[order].astype(np.float32), name="rotated")
    folder = tmp_path_factory.mktemp("align")
    dictionary = folder / "test.txt"
    test_rows = range(1000, 2500)  # mid-frequency words, like MUSE's 5000-6500 split
    dictionary.write_text("".join(f"{src.words[i]}\trot:{src.words[i]}\n" for i in test_rows), encoding="utf-8")
    return src, tgt, dictionary


def test_unsupervised_alignment_recovers_a_rotation(rotated_pair):
    src, tgt, dictionary = rotated_pair
    torch.set_num_threads(1)
    # The fully unsupervised method: similarity-distribution init, then stochastic self-learning; rows are shuffled,
    # so the descriptors cover the whole table. Fewer iterations per keep probability keep the test fast.
    config = preset("cpu", "similarity", tgt_lang="xx", direction="s2t", max_tries=2, similarity_words=N_WORDS,
                    log_test_precision=True)
    assert config.method == "selflearning" and config.init == "similarity"
    config.self_learning.stage_iterations = 2
    config.collapse_null = "random"  # the refined null costs another loop; tested below on small data
    start = time.time()
    result = align(src, tgt, config, dictionary)
    seconds = time.time() - start
    print(f"rotation test: {seconds:.1f}s, tries {result.tries}, eval {result.evaluation}")
    assert result.evaluation["csls_knn_10"]["P@1"] >= 95.0
    assert not result.collapsed
    loop = [e for e in result.log if e["stage"] == "self-learning"]
    assert loop[0]["keep_prob"] == 0.1 and loop[-1]["keep_prob"] == 1.0 and loop[-1]["final"]
    assert loop[-1]["test_p1_csls_cutoff"] >= 95.0  # the logging-only monitor agrees with the evaluation
    # the shared-space tables put each word next to its rotated copy
    en, xx = mapped_tables(src, tgt, result.mapping)
    row = src.index["city"]
    cos = en.vectors[row] @ xx.vectors[tgt.index["rot:city"]]
    assert cos > 0.95


@pytest.mark.parametrize("method", ["selflearning", "adversarial"])
def test_collapse_is_detected_and_restarted(method):
    """Two unrelated tables: no W can align them, the criterion says so, and every try is used."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(600)]
    src = EmbeddingTable(words, rng.standard_normal((600, 24)).astype(np.float32), "a")
    tgt = EmbeddingTable(words, rng.standard_normal((600, 24)).astype(np.float32), "b")
    config = preset("cpu", method, tgt_lang="xx", direction="s2t", init="identity", restart_inits=("similarity",),
                    max_tries=3, similarity_words=600)
    config.refinement.n_iterations = 2
    config.self_learning.stage_iterations = 2
    result = align(src, tgt, config)
    assert result.collapsed
    assert [t["init"] for t in result.tries] == ["identity", "similarity", "similarity"]
    assert [t["seed"] for t in result.tries] == [0, 1, 2]
    assert all(t["collapsed"] for t in result.tries)
    stages = {e["stage"] for e in result.log}
    assert {"baseline", "null-refinement", "refinement" if method == "adversarial" else "self-learning", "try"} <= stages
