"""MUSE-style embedding normalisation (`renorm`, `center`, chained with commas).

Private to the alignment stage until `xner.embeddings` offers the same; the
centring means are returned so a saved mapping can reproduce the exact space.
"""

from __future__ import annotations

import numpy as np

from xner.errors import XnerError

STEPS = ("renorm", "center", "none", "")


def parse_steps(spec: str) -> list[str]:
    steps = [s.strip() for s in spec.split(",") if s.strip() and s.strip() != "none"]
    for step in steps:
        if step not in STEPS:
            raise XnerError(f"unknown normalisation step {step!r} (known: renorm, center)")
    return steps


def _renorm(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)  # (N, 1)
    return matrix / np.maximum(norms, 1e-8)


def normalize_embeddings(
    matrix: np.ndarray, spec: str, means: list[np.ndarray] | None = None
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Apply `spec` to a float32 (N, D) matrix; returns the matrix and the mean of each `center` step.

    With `means` given (from an earlier call on the full table), those means are
    reused, so a subset or a re-load of the table lands in the same space.
    """
    out = np.array(matrix, dtype=np.float32, copy=True)
    used: list[np.ndarray] = []
    centre = 0
    for step in parse_steps(spec):
        if step == "renorm":
            out = _renorm(out)
        elif step == "center":
            mean = out.mean(axis=0) if means is None else np.asarray(means[centre], dtype=np.float32)  # (D,)
            out -= mean[None, :]
            used.append(mean.astype(np.float32))
            centre += 1
    return out, used
