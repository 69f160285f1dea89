"""An embedding table: words in frequency order and their vectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xner.errors import XnerError


@dataclass
class EmbeddingTable:
    """Rows are in corpus frequency order (most frequent first), as MUSE assumes."""

    words: list[str]
    vectors: np.ndarray  # (N, D), float16 memmap or float32
    name: str = ""
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.words) != self.vectors.shape[0]:
            raise XnerError(
                f"vocabulary has {len(self.words)} words but the matrix has {self.vectors.shape[0]} rows",
                self.name or None,
            )
        self.index = {}
        for i, w in enumerate(self.words):
            self.index.setdefault(w, i)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def float32(self) -> np.ndarray:
        return np.asarray(self.vectors, dtype=np.float32)
