"""Vocabularies of the tagger: characters (shared across languages), tags, and a multi-language word index.

- `CharVocab`: one character inventory for all languages (METHOD.md section 2: "character vocabulary is
  shared across languages"); index 0 = padding, 1 = unknown character.
- `TagVocab`: the tag set in the training scheme (IOBES or IOB2); converts predictions back to IOB2.
- `WordIndex`: rows of ONE frozen matrix that holds several languages' embedding tables
  (row 0 = padding, row 1 = the shared UNK row, then each language's rows in table order). Lookup is
  exact word, then lower-cased word (`word_lookup="lower"`), then UNK.
- `TaggerVocab`: the three together, JSON-serialisable (saved as `vocab.json` next to a model).
- `SubwordOov` / `load_subwords`: tag-time vectors for words outside a language's rows (`xner embed attach`
  wrote `subwords.json` into the model folder): the word's floret / fastText `.bin` vector, normalised and
  mapped exactly as the language's table was for training, appended to the model's matrix on first sight.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from xner.data.conll import Sentence
from xner.data.tags import convert, detect_scheme, split_tag
from xner.errors import XnerError

PAD = 0
UNK = 1
SUBWORDS_FILE = "subwords.json"  # in a model folder: tag-time subword vectors per language (`xner embed attach`)
SUBWORDS_TENSORS = "subwords.safetensors"  # their mapping W and centring means


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
        self._saved_rows = row
        # Tag time only (never saved): lang -> grow(new words) appending their vectors to the model's matrix.
        self.growers: dict[str, Callable[[list[str]], None]] = {}

    @property
    def languages(self) -> list[str]:
        return list(self.words)

    def has(self, lang: str) -> bool:
        return lang in self._index

    def rows(self, words: Sequence[str], lang: str) -> np.ndarray:
        if lang not in self._index:
            raise XnerError(f"the model has no word vectors for language {lang!r} (it has: {', '.join(self.words)})")
        rows = lookup_rows(words, self._index[lang], self.strategy)
        grow = self.growers.get(lang)
        if grow is not None and (rows == UNK).any():
            new = list(dict.fromkeys(w for w, r in zip(words, rows) if r == UNK))  # first appearance order
            grow(new)  # the model's matrix now has rows n_rows .. n_rows + len(new) - 1 for them
            self._index[lang].update((w, self.n_rows + i) for i, w in enumerate(new))
            self.n_rows += len(new)
            rows = lookup_rows(words, self._index[lang], self.strategy)
        return rows

    def to_dict(self) -> dict:
        if self.n_rows != self._saved_rows:
            raise XnerError("this model grew tag-time subword rows, which are not saved; save it before tagging, "
                            "or load it again from its folder")  # fmt: skip
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


@dataclass
class SubwordOov:
    """Vectors for any word of `lang` from its subword source, in the space the model's `lang` rows are in.

    raw source vector -> `normalize` with the mapping's saved centring `means` (none: raw) -> `W` applied
    when the language's table was mapped (t2s target, s2t source), as `xner.align.mapping.mapped_tables` does.
    """

    lang: str
    source: str  # a fastText .bin, a spaCy vectors folder or an installed spaCy package (`open_source`)
    normalize: str = ""  # e.g. "renorm,center,renorm"; "" = the table was used as is (`xner train`)
    means: list[np.ndarray] = field(default_factory=list)  # (D,) per `center` step
    W: np.ndarray | None = None  # (D, D) or None when the language's rows were not mapped
    info: dict = field(default_factory=dict)  # where it came from (mapping folder, direction, fingerprints)
    _source: object = field(default=None, repr=False)

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """float32 (N, D); a word the source has no vector for (plain tables) stays a zero vector, like UNK."""
        from xner.embeddings.normalize import normalize_embeddings
        from xner.embeddings.subword import open_source

        if self._source is None:
            self._source = open_source(self.source)
        raw, found = self._source.vectors(list(words))  # (N, D), (N,)
        out = raw
        if self.normalize:
            out, _ = normalize_embeddings(raw, self.normalize, self.means or None)
        if self.W is not None:
            out = out @ self.W.T  # (N, D)
        out[~found] = 0.0
        return out.astype(np.float32)

    def to_files(self) -> tuple[dict, dict[str, np.ndarray]]:
        tensors = {f"{self.lang}.mean_{i}": np.asarray(m, dtype=np.float32) for i, m in enumerate(self.means)}
        if self.W is not None:
            tensors[f"{self.lang}.W"] = np.asarray(self.W, dtype=np.float32)
        entry = {"source": self.source, "normalize": self.normalize, "means": len(self.means),
                 "mapped": self.W is not None, **self.info}  # fmt: skip
        return entry, tensors


def save_subwords(directory: str | Path, oov: SubwordOov) -> None:
    """Add (or replace) `oov.lang`'s entry in the model folder's `subwords.json` (+ tensors), atomically."""
    from safetensors.numpy import load_file, save_file

    from xner.io import atomic_path, write_json_atomic

    directory = Path(directory)
    meta_path, tensor_path = directory / SUBWORDS_FILE, directory / SUBWORDS_TENSORS
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    tensors = load_file(str(tensor_path)) if tensor_path.is_file() else {}
    tensors = {k: v for k, v in tensors.items() if not k.startswith(f"{oov.lang}.")}
    entry, own = oov.to_files()
    meta[oov.lang] = entry
    with atomic_path(tensor_path) as tmp:
        save_file({**tensors, **own}, str(tmp))
    write_json_atomic(meta_path, meta)


def attach_subwords(
    model,
    directory: str | Path,
    source: str | Path,
    lang: str | None = None,
    align: str | Path | None = None,
    direction: str | None = None,
) -> SubwordOov:
    """Record in the tagger folder `directory` (holding `model`) that `lang`'s OOV words get `source`'s subword
    vectors: raw without `align`; else normalised with that mapping's saved means and, when `lang`'s rows were
    mapped in `direction` (default: the direction W was trained in), mapped by W (or W^-1)."""
    from xner.embeddings.subword import open_source

    lang = lang or model.default_lang
    if not model.vocab.words.has(lang):
        have = ", ".join(model.vocab.words.languages)
        raise XnerError(f"the model has no word rows for {lang!r} (it has: {have})", directory)
    src = open_source(source)
    if not src.subwords:
        raise XnerError(f"{src.kind} vectors give no vector to out-of-vocabulary words; nothing to attach", src.path)
    dim = int(model.word_embedding.weight.shape[1])
    if src.dim != dim:
        raise XnerError(f"the source has {src.dim}-d vectors, the model {dim}-d", src.path)
    oov = SubwordOov(lang, str(source), info={"kind": src.kind, "source_path": str(src.path)})
    if align is not None:
        from xner.align.mapping import load_mapping

        mapping = load_mapping(align)
        if lang not in (mapping.src_lang, mapping.tgt_lang):
            raise XnerError(f"this mapping is {mapping.src_lang}-{mapping.tgt_lang}, it does not map {lang!r}", align)
        direction = direction or mapping.direction
        if direction not in ("s2t", "t2s"):
            raise XnerError(f"direction must be s2t or t2s, not {direction!r}")
        side = "src" if lang == mapping.src_lang else "tgt"
        oov.normalize = mapping.normalize
        oov.means = mapping.src_means if side == "src" else mapping.tgt_means
        if (side, direction) in (("tgt", "t2s"), ("src", "s2t")):  # this side's rows were mapped
            oov.W = mapping.W if direction == mapping.direction else mapping.W_inv
        oov.info.update(align_dir=str(Path(align).resolve()), direction=direction)
    save_subwords(directory, oov)
    return oov


def load_subwords(model, directory: str | Path) -> dict[str, SubwordOov]:
    """When the folder has `subwords.json`: every word of those languages that the model's index lacks gets
    its subword vector, appended to `model.word_embedding` the first time it is looked up (tag time)."""
    import torch
    from safetensors.numpy import load_file

    directory = Path(directory)
    meta_path = directory / SUBWORDS_FILE
    if not meta_path.is_file():
        return {}
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        tensors = load_file(str(directory / SUBWORDS_TENSORS))
    except (OSError, ValueError) as err:
        raise XnerError(f"unreadable subword record: {err}", meta_path) from None
    out: dict[str, SubwordOov] = {}
    for lang, entry in meta.items():
        if not model.vocab.words.has(lang):
            raise XnerError(f"subword vectors for {lang!r}, but the model has no rows for it", meta_path)
        means = [tensors[f"{lang}.mean_{i}"] for i in range(int(entry["means"]))]
        W = tensors.get(f"{lang}.W") if entry["mapped"] else None
        info = {k: v for k, v in entry.items() if k not in ("source", "normalize", "means", "mapped")}
        oov = SubwordOov(lang, entry["source"], entry["normalize"], means, W, info)

        def grow(words: list[str], oov: SubwordOov = oov) -> None:
            emb = model.word_embedding
            new = torch.as_tensor(oov.vectors(words), dtype=emb.weight.dtype, device=emb.weight.device)  # (n, D)
            emb.weight = torch.nn.Parameter(torch.cat([emb.weight.detach(), new]), requires_grad=False)
            emb.num_embeddings = emb.weight.shape[0]

        model.vocab.words.growers[lang] = grow
        out[lang] = oov
    return out
