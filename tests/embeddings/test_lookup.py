"""NER vocabulary lookup: exact, then lower-cased, then the OOV strategy; coverage counts by hand."""

from __future__ import annotations

import numpy as np
import pytest

from xner.embeddings.io import load_embeddings
from xner.embeddings.lookup import coverage, embedding_matrix, lookup_rows
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError


@pytest.fixture
def table():
    words = ["the", "madrid", "Madrid", "EU", "de", "the"]  # a duplicate: first row wins
    vectors = np.arange(12, dtype=np.float16).reshape(6, 2) + 1
    return EmbeddingTable(words, vectors, "toy")


def test_lookup_rows_exact_then_lower(table):
    rows, stats = lookup_rows(table, ["Madrid", "MADRID", "The", "EU", "eu", "zzz"])
    assert rows.tolist() == [2, 1, 0, 3, -1, -1]
    assert (stats.words, stats.exact, stats.lower, stats.oov, stats.covered) == (6, 2, 2, 2, 4)
    rows, stats = lookup_rows(table, ["Madrid", "MADRID"], lowercase=False)
    assert rows.tolist() == [2, -1] and stats.oov == 1
    assert lookup_rows(table, [])[0].shape == (0,)


def test_embedding_matrix_zero(table):
    matrix, rows, stats = embedding_matrix(table, ["de", "The", "nope"], oov="zero")
    assert matrix.dtype == np.float32 and matrix.shape == (3, 2)
    np.testing.assert_array_equal(matrix, [[9, 10], [1, 2], [0, 0]])
    assert rows.tolist() == [4, 0, -1] and stats.oov == 1


def test_embedding_matrix_random_and_unk(table):
    words = ["de", "x1", "x2", "x3"]
    rand, _, _ = embedding_matrix(table, words, oov="random", seed=3)
    again, _, _ = embedding_matrix(table, words, oov="random", seed=3)
    np.testing.assert_array_equal(rand, again)  # seeded
    assert not np.allclose(rand[1], rand[2])  # one vector per OOV word
    np.testing.assert_array_equal(rand[0], [9, 10])
    unk, _, _ = embedding_matrix(table, words, oov="unk", seed=3)
    np.testing.assert_array_equal(unk[1], unk[2])  # one shared UNK vector
    np.testing.assert_array_equal(unk[2], unk[3])
    assert np.abs(unk[1]).sum() > 0
    with pytest.raises(XnerError, match="unknown OOV strategy"):
        embedding_matrix(table, words, oov="mean")


def test_coverage_by_hand(table):
    tokens = ["the", "the", "The", "Madrid", "MADRID", "zzz", "zzz", "zzz"]
    # tokens: exact = the x2 + Madrid = 3/8; after lower-casing also The, MADRID = 5/8
    # types (the, The, Madrid, MADRID, zzz): exact 2/5, after lower-casing 4/5
    cov = coverage(table, tokens)
    assert cov == {
        "tokens": 8,
        "types": 5,
        "tokens_exact": 37.5,
        "tokens_lower": 62.5,
        "types_exact": 40.0,
        "types_lower": 80.0,
    }


def test_coverage_on_real_spanish(ner_data):
    from xner.data.conll import read_conll

    table = load_embeddings(str(ner_data / "emb" / "es.npy"))  # the shared table, else the shipped bundle's
    tokens = [t for s in read_conll(ner_data / "ner" / "es" / "dev.txt", require_tags=False) for t in s.tokens]
    cov = coverage(table, tokens)
    assert cov["tokens"] == len(tokens) > 5_000
    assert 50 < cov["tokens_exact"] <= cov["tokens_lower"] <= 100
