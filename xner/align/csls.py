"""Nearest-neighbour and CSLS retrieval in batches (faiss inner-product search; never a V x V matrix).

CSLS(x, y) = 2 cos(x, y) - r_T(x) - r_S(y) (Conneau et al. 2018), where r is the
mean cosine to the k nearest neighbours in the other language. For a fixed
query x, argmax_y [2 x.y - r_S(y)] is an inner-product search of [2x, -1]
against keys [y, r_S(y)], so faiss finds exact CSLS neighbours without ever
holding more than one query block against the keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    import faiss  # imported where searched: applying a saved mapping (the transfer stage) needs no faiss

QUERY_BLOCK = 4096  # queries per faiss call: bounds memory and feeds the progress callback (ours)


def _sync_threads() -> None:
    import faiss

    faiss.omp_set_num_threads(max(1, torch.get_num_threads()))


def _index(keys: np.ndarray) -> faiss.Index:
    import faiss

    keys = np.ascontiguousarray(keys, dtype=np.float32)  # (K, D)
    index = faiss.IndexFlatIP(keys.shape[1])
    index.add(keys)
    return index


def _search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    queries = np.ascontiguousarray(queries, dtype=np.float32)  # (Q, D)
    scores = np.empty((queries.shape[0], k), dtype=np.float32)
    ids = np.empty((queries.shape[0], k), dtype=np.int64)
    for start in range(0, queries.shape[0], QUERY_BLOCK):
        block = slice(start, start + QUERY_BLOCK)
        scores[block], ids[block] = index.search(queries[block], k)  # (B, k)
    return scores, ids


def unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)  # (N, 1)
    return (matrix / np.maximum(norms, 1e-8)).astype(np.float32)


def knn_mean_similarity(queries: np.ndarray, keys: np.ndarray, k: int = 10) -> np.ndarray:
    """Mean inner product of each query with its k nearest keys: r in the CSLS formula. (Q,)"""
    _sync_threads()
    scores, _ = _search(_index(keys), queries, min(k, keys.shape[0]))
    return scores.mean(axis=1)


def nn_search(queries: np.ndarray, keys: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Top-k keys by inner product (cosine for unit rows): scores and ids, each (Q, k)."""
    _sync_threads()
    return _search(_index(keys), queries, min(k, keys.shape[0]))


def csls_search(
    queries: np.ndarray,
    keys: np.ndarray,
    r_queries: np.ndarray,
    r_keys: np.ndarray,
    k: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k keys by CSLS: scores 2 q.y - r_q - r_y and ids, each (Q, k)."""
    _sync_threads()
    aug_keys = np.concatenate([keys, r_keys[:, None]], axis=1)  # (K, D+1)
    aug_queries = np.concatenate([2.0 * queries, -np.ones((queries.shape[0], 1), np.float32)], axis=1)  # (Q, D+1)
    scores, ids = _search(_index(aug_keys), aug_queries, min(k, keys.shape[0]))
    return scores - r_queries[:, None], ids


def csls_neighbourhoods(src: np.ndarray, tgt: np.ndarray, knn: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """r_T(x) for every source row and r_S(y) for every target row (both inputs unit rows, same space)."""
    return knn_mean_similarity(src, tgt, knn), knn_mean_similarity(tgt, src, knn)
