"""Orthogonal Procrustes: the closed-form W that maps dictionary sources onto their targets.

Used by the refinement loop (dictionary induced from the mapping itself) and by
the supervised reference modes (a dictionary file, or identical strings), which
are upper-bound / baseline comparisons, never the unsupervised default.
"""

from __future__ import annotations

import numpy as np

from xner.errors import XnerError


def procrustes(src: np.ndarray, tgt: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """W = U V^T from SVD(Y_d^T X_d): the orthogonal W minimising ||W x_i - y_i|| over the pairs. (D, D)"""
    if len(pairs) == 0:
        raise XnerError("Procrustes needs at least one dictionary pair")
    a = src[pairs[:, 0]].astype(np.float64)  # (P, D)
    b = tgt[pairs[:, 1]].astype(np.float64)  # (P, D)
    u, _, vt = np.linalg.svd(b.T @ a)  # (D, D) each
    return (u @ vt).astype(np.float32)
