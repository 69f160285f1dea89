"""Procrustes recovers a known rotation; dictionaries read, filter and fail with a file:line error."""

from __future__ import annotations

import numpy as np
import pytest

from xner.align.criterion import mean_cosine
from xner.align.csls import unit
from xner.align.dictionary import identical_strings, induce_dictionary, read_dictionary
from xner.align.evaluate import translation_precision
from xner.align.pipeline import random_rotation
from xner.align.procrustes import procrustes, reweighted_mapping
from xner.errors import XnerError


def test_procrustes_recovers_rotation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 20)).astype(np.float32)
    rotation = random_rotation(20, seed=1)
    y = x @ rotation.T
    pairs = np.stack([np.arange(100), np.arange(100)], axis=1)
    W = procrustes(x, y, pairs)
    np.testing.assert_allclose(W, rotation, atol=1e-4)
    np.testing.assert_allclose(W @ W.T, np.eye(20), atol=1e-5)


def test_induced_dictionary_and_criterion_on_a_rotation():
    rng = np.random.default_rng(2)
    x = unit(rng.standard_normal((400, 32)).astype(np.float32))
    y = x[::-1].copy()  # target row i is source row 399 - i
    for build in ("S2T", "T2S", "both", "either"):
        pairs = induce_dictionary(x, y, build=build, max_rank=0)
        assert len(pairs) == 400
        assert (pairs[:, 1] == 399 - pairs[:, 0]).all()
    assert len(induce_dictionary(x, y, build="S2T", max_rank=100)) < 100  # only pairs with both ranks < 100
    assert mean_cosine(x, y, n_words=400) == pytest.approx(1.0, abs=1e-5)
    assert mean_cosine(x, unit(y @ random_rotation(32, 0).T), n_words=400) < 0.6


def test_read_dictionary_filters_and_counts(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("house\tcasa\nhouse casona\ncat\tgato\nzzz\tgato\n\nhouse\tcasa\n", encoding="utf-8")
    src = {"house": 0, "cat": 1}
    tgt = {"casa": 5, "gato": 7}
    d = read_dictionary(path, src, tgt)
    assert d.pairs.tolist() == [[0, 5], [1, 7]]
    assert d.total_pairs == 5 and d.missing_pairs == 2
    assert d.n_unique_sources == 2


def test_read_dictionary_bad_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("a\tb\nonlyone\n", encoding="utf-8")
    with pytest.raises(XnerError, match=r"bad.txt:2: expected 2 words"):
        read_dictionary(path, {"a": 0}, {"b": 0})


def test_translation_precision_counts_any_gold(tmp_path):
    src = unit(np.eye(4, dtype=np.float32))
    tgt = unit(np.eye(4, dtype=np.float32)[[1, 0, 2, 3]])  # src 0 -> tgt 1, src 1 -> tgt 0
    path = tmp_path / "t.txt"
    path.write_text("a\tx\na\ty\nb\tx\n", encoding="utf-8")  # a: {x, y}; b: {x}
    d = read_dictionary(path, {"a": 0, "b": 1}, {"x": 0, "y": 1})
    result = translation_precision(src, tgt, d, ks=(1,))
    assert result["queries"] == 2
    assert result["nn"]["P@1"] == 100.0  # a -> y (gold), b -> x (gold)


def test_identical_strings():
    assert identical_strings(["a", "b", "c"], ["c", "x", "a"]).tolist() == [[0, 2], [2, 0]]
    assert identical_strings(["a", "b", "c"], ["c", "x", "a"], max_rank=2).tolist() == []


@pytest.fixture(scope="module")
def demo_slice():
    """1,500 rows of the demo bundle's English table, normalised as the pipeline does (real, anisotropic vectors)."""
    from xner.demo import load_bundle_embeddings
    from xner.embeddings.normalize import normalize

    return normalize(load_bundle_embeddings("en").head(1500).float32(), "renorm,center,renorm")


def test_reweighted_mapping_recovers_a_rotation_on_real_vectors(demo_slice):
    x = demo_slice
    rng = np.random.default_rng(3)
    rotation = random_rotation(x.shape[1], seed=7)
    z = unit(x @ rotation.T + 0.02 * rng.standard_normal(x.shape).astype(np.float32))
    pairs = np.stack([np.arange(1000), np.arange(1000)], axis=1)  # the dictionary: the first 1,000 rows
    W = reweighted_mapping(x, z, pairs, reweight=0.5, dewhiten="from")
    mapped = x @ W.T  # (N, D) in z's own space
    held_out = slice(1000, 1500)
    assert (unit(mapped[held_out]) @ z.T).argmax(1).__eq__(np.arange(1000, 1500)).mean() >= 0.95
    # one scale: mapped rows as long as the to side's on average (the transfer stage uses them as they are)
    assert abs(np.linalg.norm(mapped[:1000], axis=1).mean() - 1.0) < 1e-3
    with pytest.raises(XnerError):
        reweighted_mapping(x, z, pairs, dewhiten="both")


def test_dewhitening_with_the_other_side_recovers_a_linear_map(demo_slice):
    """z = x A with A not orthogonal (a rotation, then dimensions stretched 0.5-2x): Procrustes cannot fit it;
    whitening, rotation and de-whitening with z's covariance give A itself (up to the overall scale)."""
    x = demo_slice.astype(np.float64)
    rng = np.random.default_rng(4)
    A = random_rotation(x.shape[1], seed=8).astype(np.float64) * rng.uniform(0.5, 2.0, x.shape[1])[None, :]
    z = (x @ A).astype(np.float32)
    pairs = np.stack([np.arange(1000), np.arange(1000)], axis=1)
    W = reweighted_mapping(x.astype(np.float32), z, pairs, reweight=0.5, dewhiten="to")
    scale = np.linalg.norm(A) / np.linalg.norm(W)
    np.testing.assert_allclose(W.T * scale, A, atol=1e-3 * np.abs(A).max())
    orthogonal = procrustes(x.astype(np.float32), z, pairs)
    assert np.abs(x[1000:] @ orthogonal.T - z[1000:]).max() > 10 * np.abs(x[1000:] @ W.T * scale - z[1000:]).max()
