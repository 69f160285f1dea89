"""MUSE's embedding normalisations (`--normalize_embeddings`): `renorm`, `center`, in any sequence.

MUSE normalises source and target tables before mapping; METHOD.md asks for
`renorm,center,renorm` by default (unit length, mean-centred, unit length again).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from xner.errors import XnerError

OPERATIONS = ("renorm", "center")


def parse_ops(ops: str | Sequence[str]) -> tuple[str, ...]:
    """`"renorm,center,renorm"` -> ("renorm", "center", "renorm"); `""` or `"none"` -> ()."""
    items = ops.split(",") if isinstance(ops, str) else list(ops)
    out = tuple(op.strip() for op in items if op.strip() and op.strip() != "none")
    for op in out:
        if op not in OPERATIONS:
            raise XnerError(f"unknown normalisation {op!r}; use a comma-separated sequence of {', '.join(OPERATIONS)}")
    return out


def renorm(vectors: np.ndarray) -> np.ndarray:
    """Scale every row to unit L2 norm, in place; all-zero rows stay zero (MUSE would divide by 0)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)  # (N, 1)
    vectors /= np.maximum(norms, np.finfo(vectors.dtype).tiny)
    return vectors


def normalize(vectors: np.ndarray, ops: str | Sequence[str]) -> np.ndarray:
    """A float32 copy of `vectors` (N, D) with `ops` applied left to right."""
    return normalize_embeddings(vectors, ops)[0]


def normalize_embeddings(
    vectors: np.ndarray, ops: str | Sequence[str], means: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, list[np.ndarray]]:
    """`normalize`, also returning the mean subtracted by each `center` step.

    A saved mapping keeps those means: passing them back (`means`) puts a subset
    or a re-load of the table into exactly the same space.
    """
    out = np.array(vectors, dtype=np.float32, copy=True)  # (N, D)
    used: list[np.ndarray] = []
    for op in parse_ops(ops):
        if op == "renorm":
            renorm(out)
            continue
        mean = out.mean(axis=0) if means is None else np.asarray(means[len(used)], dtype=np.float32)  # (D,)
        out -= mean[None, :]
        used.append(mean.astype(np.float32))
    return out, used
