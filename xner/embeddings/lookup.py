"""Look up a NER vocabulary in an embedding table: exact word, then lower-cased, then an OOV strategy.

`lookup_rows` is the small pure function the tagger uses to build its frozen word
embedding matrix; `coverage` measures how much of a dataset a table covers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np

from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError

OOV_STRATEGIES = ("zero", "random", "unk")


@dataclass(frozen=True)
class LookupStats:
    """How the words of a vocabulary were found."""

    words: int
    exact: int
    lower: int  # found only after lower-casing
    oov: int

    @property
    def covered(self) -> int:
        return self.exact + self.lower

    def to_dict(self) -> dict:
        return asdict(self)


def lookup_rows(table: EmbeddingTable, words: Sequence[str], lowercase: bool = True) -> tuple[np.ndarray, LookupStats]:
    """Row of each word in `table`: the exact word, else (with `lowercase`) the lower-cased word, else -1."""
    index = table.index
    exact = np.fromiter((index.get(w, -1) for w in words), dtype=np.int64, count=len(words))  # (V,)
    rows = exact.copy()
    if lowercase:
        missing = np.flatnonzero(exact < 0)
        rows[missing] = np.fromiter((index.get(words[i].lower(), -1) for i in missing), dtype=np.int64, count=len(missing))
    n_exact = int((exact >= 0).sum())
    n_covered = int((rows >= 0).sum())
    return rows, LookupStats(len(words), n_exact, n_covered - n_exact, len(words) - n_covered)


def embedding_matrix(
    table: EmbeddingTable,
    words: Sequence[str],
    oov: str = "zero",
    seed: int = 0,
    lowercase: bool = True,
) -> tuple[np.ndarray, np.ndarray, LookupStats]:
    """A float32 (V, D) matrix for `words`, OOV rows filled by `oov`; also the rows (-1 = OOV) and stats.

    `zero`: zero vectors; `random`: an independent Gaussian vector per OOV word; `unk`: one shared
    Gaussian vector for every OOV word. Gaussians use the standard deviation of the table's 10,000
    most frequent rows so OOV vectors have the scale of real ones (ours).
    """
    if oov not in OOV_STRATEGIES:
        raise XnerError(f"unknown OOV strategy {oov!r}; choose one of {', '.join(OOV_STRATEGIES)}")
    rows, stats = lookup_rows(table, words, lowercase)
    found = rows >= 0  # (V,)
    matrix = np.zeros((len(words), table.dim), dtype=np.float32)  # (V, D)
    matrix[found] = np.asarray(table.vectors[rows[found]], dtype=np.float32)
    n_oov = int((~found).sum())
    if n_oov and oov != "zero":
        rng = np.random.default_rng(seed)
        scale = float(np.asarray(table.vectors[:10_000], dtype=np.float32).std()) or 1.0
        shape = (n_oov, table.dim) if oov == "random" else (1, table.dim)
        matrix[~found] = rng.normal(0.0, scale, size=shape).astype(np.float32)  # broadcast (1, D) for unk
    return matrix, rows, stats


def coverage(table: EmbeddingTable, tokens: Iterable[str]) -> dict:
    """Share of tokens and of distinct word types found exactly / after lower-casing, in percent."""
    counts = Counter(tokens)
    types = list(counts)
    rows, _ = lookup_rows(table, types, lowercase=False)
    lower_rows, _ = lookup_rows(table, types, lowercase=True)
    freq = np.fromiter(counts.values(), dtype=np.int64, count=len(types))  # (types,)
    n_tokens, n_types = int(freq.sum()), len(types)

    def pct(part: float, whole: int) -> float:
        return round(100.0 * part / whole, 2) if whole else 0.0

    return {
        "tokens": n_tokens,
        "types": n_types,
        "tokens_exact": pct(freq[rows >= 0].sum(), n_tokens),
        "tokens_lower": pct(freq[lower_rows >= 0].sum(), n_tokens),
        "types_exact": pct((rows >= 0).sum(), n_types),
        "types_lower": pct((lower_rows >= 0).sum(), n_types),
    }
