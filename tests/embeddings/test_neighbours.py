"""Cosine nearest neighbours, on a toy table and as the sanity check on the shared Spanish table."""

from __future__ import annotations

import numpy as np
import pytest

from xner.embeddings.io import load_embeddings
from xner.embeddings.neighbours import nearest_neighbours
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError

SPANISH_PLACES = {
    "Sevilla", "París", "Lisboa", "Barcelona", "Valencia", "Badajoz", "Coruña", "Habana", "Londres",
    "Granada", "Cádiz", "Toledo", "Zaragoza", "Bilbao", "Roma", "Luxemburgo", "Biarritz", "Málaga",
}  # fmt: skip


def test_toy_neighbours_order_and_cosine():
    vectors = np.array([[1, 0], [10, 1], [0, 1], [-1, 0], [1, 1]], dtype=np.float32)
    table = EmbeddingTable(["q", "near", "ortho", "opposite", "diag"], vectors)
    result = nearest_neighbours(table, "q", k=4, chunk=2)  # small chunks exercise the chunked path
    assert [w for w, _ in result] == ["near", "diag", "ortho", "opposite"]
    assert result[1][1] == pytest.approx(1 / np.sqrt(2))
    assert result[3][1] == pytest.approx(-1.0)
    assert [w for w, _ in nearest_neighbours(table, "Q", k=10)][:1] == ["near"]  # lower-cased fallback, k capped
    with pytest.raises(XnerError, match="'absent' is not in the embedding table"):
        nearest_neighbours(table, "absent")


def test_madrid_neighbours_are_places(ner_data, run_cli, monkeypatch):
    monkeypatch.setenv("XNER_DATA", str(ner_data))  # the shared table, else the shipped bundle's Spanish one
    words = [w for w, _ in nearest_neighbours(load_embeddings("es"), "Madrid", k=10)]
    assert len(SPANISH_PLACES & set(words)) >= 4, words
    code, out, _ = run_cli("embed", "neighbours", "es", "Madrid")
    assert code == 0 and words[0] in out and out.count("│") >= 30
