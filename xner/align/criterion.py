"""MUSE's unsupervised model-selection criterion: no dictionary, no labels.

Mean cosine between the `n_words` most frequent source words and their CSLS
translations (S2T, target rank below `n_words`, as MUSE's
`mean_cosine-csls_knn_10-S2T-10000`). It correlates with P@1 and is the only
signal used to keep the best W and to detect a collapsed run.
"""

from __future__ import annotations

import numpy as np

from xner.align.csls import csls_neighbourhoods
from xner.align.dictionary import induce_dictionary


def mean_cosine(
    src_mapped: np.ndarray,
    tgt: np.ndarray,
    n_words: int = 10000,
    knn: int = 10,
    r_src: np.ndarray | None = None,
    r_tgt: np.ndarray | None = None,
) -> float:
    """Criterion value for unit rows already in one space; `r_*` reuse CSLS neighbourhoods when given."""
    if r_src is None or r_tgt is None:
        r_src, r_tgt = csls_neighbourhoods(src_mapped, tgt, knn)
    pairs = induce_dictionary(
        src_mapped, tgt, method=f"csls_knn_{knn}", build="S2T", max_rank=n_words, max_size=n_words, r_src=r_src, r_tgt=r_tgt
    )
    if len(pairs) == 0:
        return -1.0
    cos = (src_mapped[pairs[:, 0]] * tgt[pairs[:, 1]]).sum(axis=1)  # (P,)
    return float(cos.mean())
