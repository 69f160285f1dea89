"""Starting points for W that use no bilingual signal: identity, adversarial (MUSE), similarity distributions.

`similarity` is the fully unsupervised initialisation of Artetxe et al. (2018,
VecMap): each word is described by its sorted similarities to the `n` most
frequent words of its own language (sqrt of the Gram matrix), which is
invariant to rotations, so such descriptors can be compared across languages;
their CSLS nearest neighbours give a seed dictionary for Procrustes. xner uses
it as the "other initialisation" of a restart (ours).
"""

from __future__ import annotations

import numpy as np
import torch

from xner.embeddings.normalize import normalize_embeddings
from xner.align.procrustes import procrustes


def _similarity_descriptor(emb: np.ndarray, n: int) -> torch.Tensor:
    u, s, _ = torch.linalg.svd(torch.from_numpy(np.ascontiguousarray(emb[:n])), full_matrices=False)  # (n, D), (D,)
    gram_sqrt = (u * s) @ u.T  # (n, n): sqrt of X X^T
    sorted_rows, _ = gram_sqrt.sort(dim=1)
    normed, _ = normalize_embeddings(sorted_rows.numpy(), "renorm,center,renorm")
    return torch.from_numpy(normed)  # (n, n)


def similarity_init(src: np.ndarray, tgt: np.ndarray, n: int = 4000, knn: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """W from the seed dictionary of similarity-distribution CSLS neighbours (both directions). Returns W, pairs."""
    n = min(n, src.shape[0], tgt.shape[0])
    sim = _similarity_descriptor(src, n) @ _similarity_descriptor(tgt, n).T  # (n, n)
    sim -= sim.topk(knn, dim=1).values.mean(1)[:, None] / 2 + sim.topk(knn, dim=0).values.mean(0)[None, :] / 2
    rows = torch.arange(n)
    pairs = torch.cat([torch.stack([rows, sim.argmax(1)], 1), torch.stack([sim.argmax(0), rows], 1)]).numpy()  # (2n, 2)
    return procrustes(src, tgt, pairs), pairs
