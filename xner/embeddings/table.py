"""An embedding table: words in frequency order and their vectors."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from xner.errors import XnerError


@dataclass
class EmbeddingTable:
    """Rows are in corpus frequency order (most frequent first), as MUSE assumes.

    `vectors` may be a read-only float16 memmap (the shared tables) or a float32
    array (after normalisation); `float32()` gives a float32 copy either way.
    """

    words: list[str]
    vectors: np.ndarray  # (N, D), float16 memmap or float32
    name: str = ""
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2:
            raise XnerError(f"expected a 2-d matrix, found shape {self.vectors.shape}", self.name or None)
        if len(self.words) != self.vectors.shape[0]:
            raise XnerError(
                f"vocabulary has {len(self.words)} words but the matrix has {self.vectors.shape[0]} rows",
                self.name or None,
            )
        # First occurrence wins: build from the end so earlier rows overwrite later duplicates (C speed).
        n = len(self.words)
        self.index = dict(zip(reversed(self.words), range(n - 1, -1, -1)))

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def duplicates(self) -> int:
        """Rows whose word already occurred earlier (unreachable through `index`)."""
        return len(self.words) - len(self.index)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def float32(self) -> np.ndarray:
        return np.asarray(self.vectors, dtype=np.float32)  # (N, D)

    def vector(self, word: str) -> np.ndarray:
        """The float32 vector of `word` (exact match); KeyError when absent."""
        return np.asarray(self.vectors[self.index[word]], dtype=np.float32)  # (D,)

    def head(self, max_vocab: int) -> "EmbeddingTable":
        """The `max_vocab` most frequent rows (a view, no copy)."""
        if max_vocab < 1:
            raise XnerError(f"max_vocab must be at least 1, got {max_vocab}")
        if max_vocab >= len(self.words):
            return self
        return EmbeddingTable(self.words[:max_vocab], self.vectors[:max_vocab], self.name)

    def normalized(self, ops: str) -> "EmbeddingTable":
        """A float32 copy normalised by MUSE-style operations, e.g. `"renorm,center,renorm"`."""
        from xner.embeddings.normalize import normalize

        return EmbeddingTable(self.words, normalize(self.vectors, ops), self.name)
