"""Nearest neighbours by cosine similarity: a quick sanity check that a table means something."""

from __future__ import annotations

import numpy as np

from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError


def find_word(table: EmbeddingTable, word: str) -> int:
    """Row of `word` (exact, else lower-cased); XnerError when the table has neither."""
    row = table.index.get(word, table.index.get(word.lower(), -1))
    if row < 0:
        raise XnerError(f"{word!r} is not in the embedding table ({len(table)} words), nor lower-cased", table.name or None)
    return row


def nearest_neighbours(table: EmbeddingTable, word: str, k: int = 10, chunk: int = 100_000) -> list[tuple[str, float]]:
    """The `k` words with the highest cosine similarity to `word`, best first, excluding the word itself."""
    if k < 1:
        raise XnerError(f"k must be at least 1, got {k}")
    row = find_word(table, word)
    query = table.vector(table.words[row])  # (D,)
    query = query / max(float(np.linalg.norm(query)), 1e-12)  # not in place: a float32 table is memory-mapped read-only
    sims = np.empty(len(table), dtype=np.float32)  # (N,)
    for start in range(0, len(table), chunk):  # chunked so a large memmap is never copied whole
        block = np.asarray(table.vectors[start : start + chunk], dtype=np.float32)  # (chunk, D)
        norms = np.maximum(np.linalg.norm(block, axis=1), 1e-12)  # (chunk,)
        sims[start : start + len(block)] = block @ query / norms
    sims[row] = -np.inf
    k = min(k, len(table) - 1)
    top = np.argpartition(-sims, k - 1)[:k] if k > 0 else np.array([], dtype=np.int64)
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(table.words[i], float(sims[i])) for i in top]
