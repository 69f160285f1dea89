"""Translate-train (BWET, Xie et al. 2018): English training data translated word by word, labels copied.

Xie et al. ("Neural Cross-Lingual Named Entity Recognition with Minimal Resources", EMNLP 2018) translate
each English word by its CSLS nearest neighbour in the shared bilingual space, keep the English tags 1:1
and train a target tagger on the result; words they cannot translate are copied. It is a peer of the paper
(Table 5), so having it here compares the two on the same vectors. The dictionary is INDUCED from the
cell's mapping (`xner align`'s W): no dictionary file is ever read.

Our rule (`TranslateConfig`): a token is replaced by the CSLS top-1 target word when (1) it has an English
vector (exact, then lower-cased: the tagger's lookup), (2) it holds a letter (numbers and punctuation are
written alike in every target language), and (3) that neighbour's CSLS score is at least `min_score`;
otherwise the English token is copied (names without a confident translation stay as written). The
neighbour keeps the target table's spelling, so translated German nouns arrive capitalised and tagged O.

- `translate_sentences(sentences, src, tgt, config)` -> (translated sentences, statistics): pure, in memory;
- `train_translated(config, data, space, run_dir, ...)`: translate `data`'s English training sentences in
  `space`, then train the target tagger (`train_base` on the translated sentences, target language; with
  `translate.with_source` also on the English originals, ours); selection modes and the summary are the base
  cells' (`summarise_base_cell`). `run_translate_cell(config, run_dir, ...)` runs it on a grid cell's data and
  shared space; `xner transfer --method translate-train` on the user's.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Callable, Mapping, Sequence

from xner.data.conll import Sentence
from xner.embeddings.table import EmbeddingTable
from xner.io import write_json_atomic
from xner.transfer.cell import CellData
from xner.transfer.config import SOURCE_LANG, TransferConfig, TranslateConfig
from xner.transfer.spaces import Space

TRANSLATION_FILE = "translation.json"  # in the cell's run folder: statistics and the most frequent word pairs
SAMPLE_PAIRS = 200  # most frequent translated English types listed there (ours)


def has_letter(word: str) -> bool:
    return any(c.isalpha() for c in word)


def induce_translations(src: EmbeddingTable, tgt: EmbeddingTable, words: Sequence[str],
                        config: TranslateConfig) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    """For distinct English `words`: {word: target word} of those translated, {word: CSLS score} of every word
    searched, {word: why copied} of the rest ("no vector", "no letter", "low score").

    Both tables must be in one space (a cell's shared space). CSLS as in the alignment stage
    (`xner.align.csls`): r_T over the target table for each query, r_S over the whole English table for each
    target word."""
    from xner.align.csls import csls_search, knn_mean_similarity, unit
    from xner.model.vocab import lookup_rows

    rows = lookup_rows(words, src.index, "lower", unk=-1)  # (W,) English row or -1
    copied: dict[str, str] = {}
    queries: list[int] = []
    for i, (word, row) in enumerate(zip(words, rows)):
        if row < 0:
            copied[word] = "no vector"
        elif not has_letter(word):
            copied[word] = "no letter"
        else:
            queries.append(i)
    translations: dict[str, str] = {}
    scores: dict[str, float] = {}
    if queries:
        keys = unit(tgt.float32())  # (Nt, D)
        src_all = unit(src.float32())  # (Ns, D)
        q = src_all[rows[queries]]  # (Q, D)
        r_q = knn_mean_similarity(q, keys, config.knn)  # (Q,)
        r_keys = knn_mean_similarity(keys, src_all, config.knn)  # (Nt,)
        best, ids = csls_search(q, keys, r_q, r_keys, k=1)  # (Q, 1) each
        for i, score, target in zip(queries, best[:, 0].tolist(), ids[:, 0].tolist()):
            word = words[i]
            scores[word] = round(float(score), 4)
            if score >= config.min_score:
                translations[word] = tgt.words[target]
            else:
                copied[word] = "low score"
    return translations, scores, copied


def apply_translations(sentences: Sequence[Sentence], translations: Mapping[str, str]) -> list[Sentence]:
    """Each token replaced by its translation (untranslated tokens copied); tags copied 1:1."""
    return [Sentence(tuple(translations.get(w, w) for w in s.tokens), tuple(s.tags)) for s in sentences]


def translate_sentences(sentences: Sequence[Sentence], src: EmbeddingTable, tgt: EmbeddingTable,
                        config: TranslateConfig) -> tuple[list[Sentence], dict]:
    """Word-by-word translations of `sentences` with their tags copied 1:1, and statistics (token and type
    counts per outcome, the `SAMPLE_PAIRS` most frequent translated types with their CSLS scores, and the
    whole word -> translation table under "translations")."""
    counts = Counter(w for s in sentences for w in s.tokens)
    words = list(counts)  # first-occurrence order (deterministic)
    translations, scores, copied = induce_translations(src, tgt, words, config)
    reasons = Counter()
    for word, n in counts.items():
        reasons["translated" if word in translations else copied[word]] += n
    frequent = sorted(translations, key=lambda w: (-counts[w], w))[:SAMPLE_PAIRS]
    stats = {
        "rule": "CSLS top-1 in the shared space when the word has a vector, a letter and score >= min_score; "
                "else copied (ours, after Xie et al. 2018)",
        "config": config.to_dict(),
        "types": len(words),
        "types_translated": len(translations),
        "tokens": int(sum(counts.values())),
        "tokens_by_outcome": dict(sorted(reasons.items())),
        "identical_translations": sum(1 for w, t in translations.items() if w == t),
        "frequent_pairs": [[w, translations[w], scores[w], counts[w]] for w in frequent],
        "translations": translations,
    }
    return apply_translations(sentences, translations), stats


def _saved_translation(path: Path, key: dict) -> dict | None:
    """What an earlier run of this cell with the same key wrote (resume: the search is not redone)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) and saved.get("key") == key else None


def run_translate_cell(config: TransferConfig, run_dir: str | Path, base_cells: Mapping | None = None,
                       on_progress: Callable[[dict], None] | None = None) -> dict:
    """`train_translated` on the cell's data and shared space (`xner experiment`'s translate-train cells)."""
    from xner.transfer.cell import build_space, load_cell_data

    return train_translated(config, load_cell_data(config), build_space(config), run_dir, on_progress)


def train_translated(config: TransferConfig, data: CellData, space: Space, run_dir: str | Path,
                     on_progress: Callable[[dict], None] | None = None, show_progress: bool | None = None) -> dict:
    """Translate `data.src_train` in `space` (or reuse the run folder's translation of the same setting), then
    train the target tagger on it (the target language, its own char model; with `translate.with_source`
    also on the English originals); every selection mode as in a base cell. Grid cells and `xner transfer`
    both train translate-train here."""
    from xner.transfer.base import train_base

    run_dir = Path(run_dir)
    key = {"translate": config.translate.to_dict(), "space": space.info, "source": data.info["files"],
           "sentences": len(data.src_train)}
    path = run_dir / TRANSLATION_FILE
    stats = _saved_translation(path, key)
    if stats is None:
        translated, stats = translate_sentences(data.src_train, space.tables[SOURCE_LANG],
                                                space.tables[config.lang], config.translate)
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, {"key": key, **stats})
    else:
        translated = apply_translations(data.src_train, stats["translations"])
    summary = {k: v for k, v in stats.items() if k not in ("key", "frequent_pairs", "translations")}
    info = {**data.info, "train_source": f"English train translated word by word into {config.lang} "
                                          f"({TRANSLATION_FILE})", "translation": summary}
    more = [(data.src_train, SOURCE_LANG)] if config.translate.with_source else []
    if more:
        info["train_source"] += " + the English originals (translate.with_source)"
    data = dataclasses.replace(data, src_train=translated, info=info)
    return train_base(config, data, space, run_dir, on_progress, show_progress, train_lang=config.lang,
                      more_train=more)
