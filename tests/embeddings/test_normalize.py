"""MUSE normalisations: each operation does what it says, and sequences apply left to right."""

from __future__ import annotations

import numpy as np
import pytest

from xner.embeddings.normalize import normalize, parse_ops
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError


@pytest.fixture
def vectors():
    return (np.random.default_rng(0).standard_normal((50, 6)) * 3 + 2).astype(np.float16)


def test_renorm_gives_unit_rows(vectors):
    out = normalize(vectors, "renorm")
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)


def test_center_gives_zero_mean(vectors):
    out = normalize(vectors, "center")
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out - out[0], vectors.astype(np.float32) - vectors[0].astype(np.float32), atol=1e-5)


def test_sequence_renorm_center_renorm(vectors):
    out = normalize(vectors, "renorm,center,renorm")
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
    by_hand = vectors.astype(np.float32)
    by_hand /= np.linalg.norm(by_hand, axis=1, keepdims=True)
    by_hand -= by_hand.mean(axis=0)
    by_hand /= np.linalg.norm(by_hand, axis=1, keepdims=True)
    np.testing.assert_allclose(out, by_hand, rtol=1e-5, atol=1e-6)
    # order matters: center then renorm is not renorm then center
    assert not np.allclose(normalize(vectors, "center,renorm"), normalize(vectors, "renorm,center"))


def test_input_untouched_and_zero_rows_stay_zero(vectors):
    before = vectors.copy()
    normalize(vectors, "renorm,center")
    np.testing.assert_array_equal(vectors, before)
    zeros = np.zeros((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(normalize(zeros, "renorm"), zeros)


def test_parse_ops():
    assert parse_ops("renorm, center ,renorm") == ("renorm", "center", "renorm")
    assert parse_ops("") == parse_ops("none") == ()
    assert parse_ops(["center"]) == ("center",)
    with pytest.raises(XnerError, match="unknown normalisation 'mean'"):
        parse_ops("renorm,mean")


def test_table_normalized(vectors):
    table = EmbeddingTable([f"w{i}" for i in range(50)], vectors, "t")
    normed = table.normalized("renorm")
    assert normed.words == table.words and normed.vectors.dtype == np.float32
    assert table.vectors.dtype == np.float16  # the original is unchanged
