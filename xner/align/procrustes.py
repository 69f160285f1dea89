"""Orthogonal Procrustes: the closed-form W that maps dictionary sources onto their targets; and VecMap's
re-weighted mapping (whitening, orthogonal mapping, re-weighting, de-whitening) for the last step.

Used by the refinement loop (dictionary induced from the mapping itself) and by
the supervised reference modes (a dictionary file, or identical strings), which
are upper-bound / baseline comparisons, never the unsupervised default.
"""

from __future__ import annotations

import numpy as np

from xner.errors import XnerError

DEWHITEN = ("from", "to")


def procrustes(src: np.ndarray, tgt: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """W = U V^T from SVD(Y_d^T X_d): the orthogonal W minimising ||W x_i - y_i|| over the pairs. (D, D)"""
    if len(pairs) == 0:
        raise XnerError("Procrustes needs at least one dictionary pair")
    a = src[pairs[:, 0]].astype(np.float64)  # (P, D)
    b = tgt[pairs[:, 1]].astype(np.float64)  # (P, D)
    u, _, vt = np.linalg.svd(b.T @ a)  # (D, D) each
    return (u @ vt).astype(np.float32)


def whitening(rows: np.ndarray) -> np.ndarray:
    """(R^T R)^(-1/2) from the SVD of R (VecMap's `whitening_transformation`): R @ it has identity covariance. (D, D)"""
    _, s, vt = np.linalg.svd(rows, full_matrices=False)
    return (vt.T / s) @ vt


def reweighted_mapping(src: np.ndarray, tgt: np.ndarray, pairs: np.ndarray, reweight: float = 1.0,
                       dewhiten: str = "from") -> np.ndarray:
    """VecMap's advanced mapping (Artetxe et al. 2018, AAAI) in the form a single W can hold. (D, D), y ~ W x

    Both sides are whitened on the dictionary rows, rotated onto each other (SVD of the whitened cross-covariance,
    singular values s), the mapped side is re-weighted by s^`reweight` (dimensions the two languages share get more
    weight) and de-whitened with the covariance of `dewhiten` ("from": its own, VecMap's `src_dewhiten src`; "to":
    the other side's). The *to* side takes VecMap's `trg_reweight 0, trg_dewhiten trg`, which leaves it rotated only:
    undoing that rotation puts the mapped rows in the to side's own space, so W is one linear map (not orthogonal)
    and the to side's vectors stay as they are (what `Mapping` and the transfer stage expect). VecMap's
    `--unsupervised` re-weights both sides by s^0.5 instead; that needs a second matrix on the to side.
    """
    if dewhiten not in DEWHITEN:
        raise XnerError(f"dewhiten must be one of {', '.join(DEWHITEN)}, not {dewhiten!r}")
    if len(pairs) == 0:
        raise XnerError("the re-weighted mapping needs at least one dictionary pair")
    x = src[pairs[:, 0]].astype(np.float64)  # (P, D)
    z = tgt[pairs[:, 1]].astype(np.float64)  # (P, D)
    wx, wz = whitening(x), whitening(z)  # (D, D) each
    u, s, vt = np.linalg.svd((x @ wx).T @ (z @ wz))  # rotations of the whitened sides onto each other
    back = u.T @ np.linalg.inv(wx) @ u if dewhiten == "from" else vt @ np.linalg.inv(wz) @ vt.T  # de-whitening
    rows = wx @ u @ np.diag(s**reweight) @ back @ vt  # (D, D): x -> x @ rows, in the to side's space
    rows *= np.linalg.norm(z, axis=1).mean() / np.linalg.norm(x @ rows, axis=1).mean()  # (ours) mapped rows as long
    # as the to side's on average: cosines do not change, and the transfer stage, which uses the vectors as they are,
    # sees one scale
    return rows.T.astype(np.float32)
