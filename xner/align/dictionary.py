"""Bilingual dictionaries: read MUSE files, and induce one from a mapping (MUSE's `build_dictionary`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xner.align.csls import csls_neighbourhoods, csls_search, nn_search
from xner.errors import XnerError

# Accepted names for the dictionary build: MUSE's spelling and the plain words.
BUILDS = {"S2T": "S2T", "T2S": "T2S", "S2T&T2S": "both", "both": "both", "S2T|T2S": "either", "either": "either"}


@dataclass
class DictionaryFile:
    """Word pairs of a dictionary file that are in both vocabularies (row ids), plus what was dropped."""

    pairs: np.ndarray  # (P, 2) int64: source row, target row
    total_pairs: int
    missing_pairs: int
    path: str

    @property
    def n_unique_sources(self) -> int:
        return int(len(np.unique(self.pairs[:, 0]))) if len(self.pairs) else 0


def read_dictionary(
    path: str | Path, src_index: dict[str, int], tgt_index: dict[str, int], lowercase: bool = False
) -> DictionaryFile:
    """Read `source<whitespace>target` lines; keep pairs whose two words are in the vocabularies.

    `lowercase=True` follows MUSE's loader, which lowercases both words; the
    shared tables are cased, so xner keeps the words as written by default (ours).
    """
    path = Path(path)
    if not path.is_file():
        raise XnerError("dictionary file not found", path)
    pairs: list[tuple[int, int]] = []
    total = missing = 0
    seen: set[tuple[int, int]] = set()
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) != 2:
                raise XnerError(f"expected 2 words (source, target), found {len(fields)}", path, line_no)
            src, tgt = (f.lower() for f in fields) if lowercase else fields
            total += 1
            if src in src_index and tgt in tgt_index:
                pair = (src_index[src], tgt_index[tgt])
                if pair not in seen:
                    seen.add(pair)
                    pairs.append(pair)
            else:
                missing += 1
    if total == 0:
        raise XnerError("dictionary file has no word pairs", path)
    array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return DictionaryFile(pairs=array, total_pairs=total, missing_pairs=missing, path=str(path))


def identical_strings(src_words: list[str], tgt_words: list[str], max_rank: int = 0) -> np.ndarray:
    """Pairs of identical strings in both vocabularies (a weak supervision signal, never the unsupervised default)."""
    src_limit = len(src_words) if max_rank <= 0 else min(max_rank, len(src_words))
    tgt_limit = len(tgt_words) if max_rank <= 0 else min(max_rank, len(tgt_words))
    tgt_index: dict[str, int] = {}
    for i, w in enumerate(tgt_words[:tgt_limit]):
        tgt_index.setdefault(w, i)
    pairs = [(i, tgt_index[w]) for i, w in enumerate(src_words[:src_limit]) if w in tgt_index]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _candidates(
    queries: np.ndarray, keys: np.ndarray, method: str, max_rank: int, r_queries: np.ndarray, r_keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Best two keys for each of the first `max_rank` queries: MUSE's `get_candidates`.

    Returns pairs (Q, 2) [query row, key row] and their top-2 scores (Q, 2).
    """
    n_queries = queries.shape[0] if max_rank <= 0 else min(max_rank, queries.shape[0])
    if method == "nn":
        scores, ids = nn_search(queries[:n_queries], keys, k=2)
    elif method.startswith("csls_knn_"):
        scores, ids = csls_search(queries[:n_queries], keys, r_queries[:n_queries], r_keys, k=2)
    else:
        raise XnerError(f"unknown dictionary method {method!r} (nn or csls_knn_K)")
    pairs = np.stack([np.arange(n_queries), ids[:, 0]], axis=1)  # (Q, 2)
    return pairs, scores


def _filter(pairs: np.ndarray, scores: np.ndarray, max_rank: int, max_size: int, min_size: int, threshold: float) -> np.ndarray:
    """Sort by confidence (best minus second best), then MUSE's rank / size / threshold filters."""
    order = np.argsort(-(scores[:, 0] - scores[:, 1]), kind="stable")
    pairs, scores = pairs[order], scores[order]
    if max_rank > 0:
        keep = pairs.max(axis=1) < max_rank
        pairs, scores = pairs[keep], scores[keep]
    if max_size > 0:
        pairs, scores = pairs[:max_size], scores[:max_size]
    if threshold > 0:
        margin = scores[:, 0] - scores[:, 1]
        if min_size > 0:
            margin[:min_size] = np.inf
        pairs = pairs[margin > threshold]
    return pairs


def induce_dictionary(
    src: np.ndarray,
    tgt: np.ndarray,
    method: str = "csls_knn_10",
    build: str = "S2T&T2S",
    max_rank: int = 15000,
    max_size: int = 0,
    min_size: int = 0,
    threshold: float = 0.0,
    r_src: np.ndarray | None = None,
    r_tgt: np.ndarray | None = None,
) -> np.ndarray:
    """Dictionary (P, 2) [source row, target row] from unit vectors already in one space.

    `build`: S2T, T2S, both (S2T&T2S: mutual neighbours) or either (S2T|T2S).
    `r_src` / `r_tgt`: CSLS neighbourhood means of the rows (computed when absent).
    """
    if build not in BUILDS:
        raise XnerError(f"unknown dictionary build {build!r} (known: {', '.join(BUILDS)})")
    build = BUILDS[build]
    if method.startswith("csls_knn_") and (r_src is None or r_tgt is None):
        r_src, r_tgt = csls_neighbourhoods(src, tgt, int(method[len("csls_knn_"):]))
    s2t = t2s = None
    if build in ("S2T", "both", "either"):
        pairs, scores = _candidates(src, tgt, method, max_rank, r_src, r_tgt)
        s2t = _filter(pairs, scores, max_rank, max_size, min_size, threshold)
    if build in ("T2S", "both", "either"):
        pairs, scores = _candidates(tgt, src, method, max_rank, r_tgt, r_src)
        t2s = _filter(pairs, scores, max_rank, max_size, min_size, threshold)[:, ::-1]
    if build == "S2T":
        return np.ascontiguousarray(s2t)
    if build == "T2S":
        return np.ascontiguousarray(t2s)
    s2t_set = {tuple(p) for p in s2t.tolist()}
    t2s_set = {tuple(p) for p in t2s.tolist()}
    chosen = s2t_set & t2s_set if build == "both" else s2t_set | t2s_set
    return np.array(sorted(chosen), dtype=np.int64).reshape(-1, 2)
