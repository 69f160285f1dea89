"""Dictionary-free seed dictionaries: weak bilingual signal from spelling, never from a dictionary file.

Each seed is a set of (source row, target row) pairs found from the two vocabularies alone; Procrustes on it
gives the start W of the stochastic self-learning loop (`selflearn.py`). The families:

- `identical`: the same string in both vocabularies (Smith et al. 2017; Artetxe et al. 2017 use it as their
  weakest seed), optionally case-folded, limited to the `max_rank` most frequent rows of each side, and to
  word-like strings (at least `min_letters` letters; punctuation and markup repeat across any two corpora and
  carry no translation signal).
- `numerals`: tokens made of digits and separators, equal after mapping Arabic-Indic (U+0660-0669) and Eastern
  Arabic (U+06F0-06F9) digits to ASCII (Artetxe et al. 2017's numeral seed; the only shared spelling en-ar has
  besides Latin-script tokens inside Arabic text, which `identical` finds).
- `orthographic`: for same-script pairs, mutual best matches between frequent words by normalised Levenshtein
  similarity (rapidfuzz) above `threshold`: cognates (`nation` / `nación`).
- `similarity`: the similarity-distribution seed of Artetxe et al. (2018, `init.similarity_init`), the only
  fully unsupervised one; it is near chance level on the shared tables (results/align.md).

These are weak supervision from spelling, not the paper's adversarial (fully unsupervised) setting: results and
output name the family ("dictionary-free (identical strings + numerals)").
"""

from __future__ import annotations

import unicodedata
import numpy as np

from xner.align.config import SeedConfig
from xner.errors import XnerError

# Arabic-Indic and Eastern Arabic (Persian / Urdu) digits -> ASCII.
DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
NUMERAL_SEPARATORS = set(".,:/-\u066b\u066c")  # plus Arabic decimal and thousands separators

# Seed families a combination may name, and their labels in the output.
FAMILIES = ("identical", "numerals", "orthographic", "similarity")
LABELS = {"identical": "identical strings", "numerals": "numerals", "orthographic": "orthographic (edit distance)",
          "similarity": "similarity distributions"}


def family_label(families: tuple[str, ...] | list[str]) -> str:
    """`dictionary-free (identical strings + numerals)`; `similarity` alone is the fully unsupervised start."""
    if tuple(families) == ("similarity",):
        return "fully unsupervised (similarity distributions)"
    return "dictionary-free (" + " + ".join(LABELS[f] for f in families) + ")"


def parse_families(spec: str) -> tuple[str, ...]:
    """`identical+numerals` -> ("identical", "numerals"); unknown names are an error."""
    families = tuple(part.strip() for part in spec.split("+") if part.strip())
    unknown = [f for f in families if f not in FAMILIES]
    if not families or unknown:
        raise XnerError(f"unknown seed family {'+'.join(unknown) or spec!r} (known: {', '.join(FAMILIES)}, joined by +)")
    return families


def _letters(word: str) -> int:
    return sum(ch.isalpha() for ch in word)


def _first_index(words: list[str], limit: int, key) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, word in enumerate(words[:limit]):
        k = key(word)
        if k is not None:
            index.setdefault(k, i)
    return index


def _limit(words: list[str], max_rank: int) -> int:
    return len(words) if max_rank <= 0 else min(max_rank, len(words))


def identical_seed(src_words: list[str], tgt_words: list[str], config: SeedConfig) -> np.ndarray:
    """Word-like strings spelt the same on both sides (exact first, then case-folded). (P, 2) [src row, tgt row]"""
    ns, nt = _limit(src_words, config.max_rank), _limit(tgt_words, config.max_rank)
    word_like = (lambda w: w if _letters(w) >= config.min_letters else None)
    exact = _first_index(tgt_words, nt, word_like)
    folded = _first_index(tgt_words, nt, lambda w: w.casefold() if _letters(w) >= config.min_letters else None)
    pairs, used_tgt = [], set()
    for i, word in enumerate(src_words[:ns]):
        if word_like(word) is None:
            continue
        j = exact.get(word)
        if j is None and config.casefold:
            j = folded.get(word.casefold())
        if j is not None and j not in used_tgt:
            used_tgt.add(j)
            pairs.append((i, j))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def normalise_numeral(token: str) -> str | None:
    """The token with Arabic digits as ASCII if it is a numeral (digits and separators, at least one digit)."""
    text = token.translate(DIGITS)
    if not any(ch.isdigit() and ch.isascii() for ch in text):
        return None
    if all((ch.isascii() and ch.isdigit()) or ch in NUMERAL_SEPARATORS for ch in text):
        return text
    return None


def numeral_seed(src_words: list[str], tgt_words: list[str], config: SeedConfig) -> np.ndarray:
    """Numerals equal after digit normalisation (`1990` / `١٩٩٠`). (P, 2)"""
    ns, nt = _limit(src_words, config.max_rank), _limit(tgt_words, config.max_rank)
    index = _first_index(tgt_words, nt, normalise_numeral)
    pairs = []
    for i, word in enumerate(src_words[:ns]):
        key = normalise_numeral(word)
        if key is not None and key in index:
            pairs.append((i, index[key]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _script(word: str) -> str:
    for ch in word:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            return name.split(" ")[0] if name else "?"
    return "?"


def orthographic_seed(src_words: list[str], tgt_words: list[str], config: SeedConfig) -> np.ndarray:
    """Mutual best normalised-Levenshtein matches between frequent alphabetic words of one script. (P, 2)"""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    def candidates(words: list[str]) -> tuple[list[int], list[str]]:
        rows = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= config.orthographic_min_length]
        rows = rows[: config.orthographic_words]
        return rows, [words[i].casefold() for i in rows]

    src_rows, src_keys = candidates(src_words)
    tgt_rows, tgt_keys = candidates(tgt_words)
    if not src_rows or not tgt_rows:
        return np.zeros((0, 2), dtype=np.int64)
    scores = process.cdist(src_keys, tgt_keys, scorer=Levenshtein.normalized_similarity, dtype=np.float32,
                           workers=1)  # (S, T)
    best_t, best_s = scores.argmax(1), scores.argmax(0)  # (S,), (T,)
    pairs = []
    for s, t in enumerate(best_t):
        if best_s[t] == s and scores[s, t] >= config.orthographic_threshold and _script(src_keys[s]) == _script(tgt_keys[t]):
            pairs.append((src_rows[s], tgt_rows[int(t)]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def combine(*seeds: np.ndarray) -> np.ndarray:
    """Union of seed dictionaries; a source row keeps its first pair (earlier seeds win). (P, 2)"""
    pairs, seen_src, seen_tgt = [], set(), set()
    for seed in seeds:
        for i, j in seed.tolist():
            if i not in seen_src and j not in seen_tgt:
                seen_src.add(i)
                seen_tgt.add(j)
                pairs.append((i, j))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def spelling_seed(families: tuple[str, ...], src_words: list[str], tgt_words: list[str], config: SeedConfig) -> np.ndarray:
    """The union of the spelling families among `families` (`similarity` is built from vectors, in the pipeline)."""
    builders = {"identical": identical_seed, "numerals": numeral_seed, "orthographic": orthographic_seed}
    return combine(*(builders[f](src_words, tgt_words, config) for f in families if f in builders))
