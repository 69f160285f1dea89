"""Vocabularies of the tagger: characters (shared across languages), tags, and a multi-language word index.

- `CharVocab`: one character inventory for all languages (METHOD.md section 2: "character vocabulary is
  shared across languages"); index 0 = padding, 1 = unknown character.
- `TagVocab`: the tag set in the training scheme (IOBES or IOB2); converts predictions back to IOB2.
- `WordIndex`: rows of ONE frozen matrix that holds several languages' embedding tables
  (row 0 = padding, row 1 = the shared UNK row, then each language's rows in table order). Lookup is
  exact word, then lower-cased word (`word_lookup="lower"`), then UNK.
- `TaggerVocab`: the three together, JSON-serialisable (saved as `vocab.json` next to a model).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from xner.data.conll import Sentence
from xner.data.tags import convert, detect_scheme, split_tag
from xner.errors import XnerError

PAD = 0
UNK = 1


class CharVocab:
    """Characters seen at build time; anything else maps to UNK (1)."""

    def __init__(self, chars: Sequence[str]):
        self.chars = list(chars)  # index = id - 2
        self.index = {c: i + 2 for i, c in enumerate(self.chars)}

    @classmethod
    def build(cls, words: Iterable[str], min_count: int = 1) -> "CharVocab":
        counts = Counter(c for w in words for c in w)
        # Deterministic order: frequency, then code point.
        chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
        return cls(chars)

    def __len__(self) -> int:
        return len(self.chars) + 2

    def encode(self, word: str) -> list[int]:
        get = self.index.get
        return [get(c, UNK) for c in word]

    def to_dict(self) -> dict:
        return {"chars": "".join(self.chars)} if all(len(c) == 1 for c in self.chars) else {"chars": self.chars}

    @classmethod
    def from_dict(cls, data: dict) -> "CharVocab":
        return cls(list(data["chars"]))


class TagVocab:
    """Tag strings in the training scheme; `encode` takes tags in any scheme (detected per sentence)."""

    def __init__(self, tags: Sequence[str], scheme: str):
        if scheme not in ("IOBES", "IOB2"):
            raise XnerError(f"tag scheme must be IOBES or IOB2, not {scheme!r}")
        self.tags = list(tags)
        self.scheme = scheme
        self.index = {t: i for i, t in enumerate(self.tags)}

    @classmethod
    def build(cls, tag_seqs: Iterable[Sequence[str]], scheme: str) -> "TagVocab":
        seen: set[str] = set()
        for tags in tag_seqs:
            seen.update(_to_scheme(tags, scheme))
        types = sorted({split_tag(t)[1] for t in seen if t != "O"})
        prefixes = "BIES" if scheme == "IOBES" else "BI"
        # Every prefix of every seen type, so the tag set does not depend on which combinations occurred.
        return cls(["O"] + [f"{p}-{t}" for t in types for p in prefixes], scheme)

    def __len__(self) -> int:
        return len(self.tags)

    @property
    def entity_types(self) -> list[str]:
        return sorted({split_tag(t)[1] for t in self.tags if t != "O"})

    def encode(self, tags: Sequence[str]) -> list[int]:
        out = []
        for tag in _to_scheme(tags, self.scheme):
            idx = self.index.get(tag)
            if idx is None:
                raise XnerError(f"tag {tag!r} is not in the model's tag set ({', '.join(self.tags)})")
            out.append(idx)
        return out

    def decode_iob2(self, ids: Sequence[int]) -> list[str]:
        """Predicted ids -> IOB2 tags (invalid IOBES sequences are repaired the conlleval way)."""
        tags = [self.tags[i] for i in ids]
        return convert(tags, self.scheme, "IOB2")

    def to_dict(self) -> dict:
        return {"tags": self.tags, "scheme": self.scheme}

    @classmethod
    def from_dict(cls, data: dict) -> "TagVocab":
        return cls(data["tags"], data["scheme"])


def _to_scheme(tags: Sequence[str], scheme: str) -> list[str]:
    source = detect_scheme([tags])
    return list(tags) if source == scheme else convert(tags, source, scheme)


def lookup_rows(words: Sequence[str], index: Mapping[str, int], strategy: str = "lower", unk: int = UNK) -> np.ndarray:
    """Row of each word: exact match, then (strategy "lower") the lower-cased word, else `unk`.

    Small local version of the embeddings stage's OOV strategy, kept here so the tagger has no
    dependency on how a table was built.
    """
    get = index.get
    if strategy == "exact":
        rows = [get(w, unk) for w in words]
    else:
        rows = [r if (r := get(w)) is not None else get(w.lower(), unk) for w in words]
    return np.asarray(rows, dtype=np.int64)


class WordIndex:
    """Per-language word -> row of one shared matrix (row 0 padding, row 1 shared UNK)."""

    def __init__(self, languages: Mapping[str, Sequence[str]], strategy: str = "lower"):
        self.strategy = strategy
        self.words: dict[str, list[str]] = {}
        self.offsets: dict[str, int] = {}
        self._index: dict[str, dict[str, int]] = {}
        row = 2
        for lang, words in languages.items():
            self.words[lang] = list(words)
            self.offsets[lang] = row
            index: dict[str, int] = {}
            for i, w in enumerate(self.words[lang]):
                index.setdefault(w, row + i)  # first occurrence wins, as in EmbeddingTable
            self._index[lang] = index
            row += len(self.words[lang])
        self.n_rows = row

    @property
    def languages(self) -> list[str]:
        return list(self.words)

    def has(self, lang: str) -> bool:
        return lang in self._index

    def rows(self, words: Sequence[str], lang: str) -> np.ndarray:
        if lang not in self._index:
            raise XnerError(f"the model has no word vectors for language {lang!r} (it has: {', '.join(self.words)})")
        return lookup_rows(words, self._index[lang], self.strategy)

    def to_dict(self) -> dict:
        return {"strategy": self.strategy, "languages": self.words}

    @classmethod
    def from_dict(cls, data: dict) -> "WordIndex":
        return cls(data["languages"], data.get("strategy", "lower"))


def build_word_matrix(tables: Mapping, strategy: str = "lower") -> tuple[WordIndex, np.ndarray]:
    """Stack several languages' tables (`{"en": EmbeddingTable, ...}`) into one float32 matrix.

    Rows 0 (padding) and 1 (UNK) are zero vectors.
    """
    if not tables:
        raise XnerError("at least one embedding table is needed")
    dims = {lang: t.dim for lang, t in tables.items()}
    if len(set(dims.values())) != 1:
        raise XnerError(f"embedding tables have different dimensions: {dims}")
    dim = next(iter(dims.values()))
    index = WordIndex({lang: t.words for lang, t in tables.items()}, strategy)
    matrix = np.zeros((index.n_rows, dim), dtype=np.float32)  # (rows, dim)
    for lang, table in tables.items():
        start = index.offsets[lang]
        matrix[start : start + len(table)] = np.asarray(table.vectors, dtype=np.float32)
    return index, matrix


@dataclass
class TaggerVocab:
    chars: CharVocab
    tags: TagVocab
    words: WordIndex
    default_lang: str

    @classmethod
    def build(
        cls,
        tables: Mapping,
        train: Sequence[Sentence],
        scheme: str,
        char_texts: Iterable[Sequence[Sentence]] = (),
        word_lookup: str = "lower",
        default_lang: str | None = None,
    ) -> tuple["TaggerVocab", np.ndarray]:
        """Vocabulary + word matrix. Characters come from `train` and every sentence list in `char_texts`
        (e.g. unlabelled target text), so one inventory serves all languages."""
        words = [w for s in train for w in s.tokens]
        for sents in char_texts:
            words.extend(w for s in sents for w in s.tokens)
        chars = CharVocab.build(words)
        tags = TagVocab.build((s.tags for s in train), scheme)
        index, matrix = build_word_matrix(tables, word_lookup)
        lang = default_lang or next(iter(tables))
        if not index.has(lang):
            raise XnerError(f"default language {lang!r} has no embedding table")
        return cls(chars, tags, index, lang), matrix

    def to_dict(self) -> dict:
        return {
            "default_lang": self.default_lang,
            "chars": self.chars.to_dict(),
            "tags": self.tags.to_dict(),
            "words": self.words.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "TaggerVocab":
        return cls(
            CharVocab.from_dict(data["chars"]),
            TagVocab.from_dict(data["tags"]),
            WordIndex.from_dict(data["words"]),
            data["default_lang"],
        )
