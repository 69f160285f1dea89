"""Word-translation precision (P@1/5/10, NN and CSLS) on a bilingual test dictionary.

As MUSE: queries are the distinct in-vocabulary source words of the
dictionary; a query is correct at k when any of its gold translations is among
its k best target words (retrieved from the whole target table).
"""

from __future__ import annotations

import numpy as np

from xner.align.csls import csls_search, knn_mean_similarity, nn_search
from xner.align.dictionary import DictionaryFile


def translation_precision(
    src: np.ndarray,
    tgt: np.ndarray,
    dictionary: DictionaryFile,
    methods: tuple[str, ...] = ("nn", "csls_knn_10"),
    ks: tuple[int, ...] = (1, 5, 10),
) -> dict:
    """`src`, `tgt`: unit rows in the shared space. Returns {method: {"P@k": percent}} plus coverage counts."""
    pairs = dictionary.pairs
    queries, inverse = np.unique(pairs[:, 0], return_inverse=True)  # (Q,), (P,)
    result: dict = {
        "dictionary": dictionary.path,
        "pairs_total": dictionary.total_pairs,
        "pairs_in_vocab": int(len(pairs)),
        "pairs_missing": dictionary.missing_pairs,
        "queries": int(len(queries)),
    }
    if len(queries) == 0:
        return result
    max_k = max(ks)
    r_queries: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for method in methods:
        if method == "nn":
            _, top = nn_search(src[queries], tgt, max_k)  # (Q, k)
        else:
            knn = int(method[len("csls_knn_"):])
            if knn not in r_queries:  # r_T only for the queries; r_S for every target (all sources)
                r_queries[knn] = (knn_mean_similarity(src[queries], tgt, knn), knn_mean_similarity(tgt, src, knn))
            r_q, r_t = r_queries[knn]
            _, top = csls_search(src[queries], tgt, r_q, r_t, max_k)  # (Q, k)
        hit = top[inverse] == pairs[:, 1][:, None]  # (P, k): gold target of each pair found at rank j
        scores = {}
        for k in ks:
            correct = np.zeros(len(queries), dtype=bool)
            np.logical_or.at(correct, inverse, hit[:, :k].any(axis=1))
            scores[f"P@{k}"] = round(100.0 * float(correct.mean()), 2)
        result[method] = scores
    return result
