"""Vectors users already have: spaCy vectors (floret or plain) and fastText `.bin` models.

Read with their own libraries (spaCy's `Vectors`, gensim's `load_facebook_vectors`; no hashing is
re-implemented here) and written into xner's binary form (`xner.embeddings.io`) with a vocabulary the
user chooses, most frequent first, so that alignment (which uses the most frequent rows) still works.

What each format gives:
- spaCy floret vectors (`mode = floret`, e.g. the `*_md` pipelines of spacy-fi): hashed character
  n-grams only, no word list; ANY string gets a vector. The vocabulary must come from the user.
- spaCy plain vectors (`mode = default`, e.g. `en_core_web_md`): a word list with one row each
  (rows in the order they were added, usually corpus frequency); a word outside it gets nothing.
- fastText `.bin` (`fasttext.cc` models, or gensim `save_facebook_model`): a frequency-ordered word list
  AND character n-gram buckets, so out-of-vocabulary words get a vector too (unless trained with
  `-bucket 0`). A `.vec` is words only: load it directly (`xner.embeddings.io.load_vec`).
"""

from __future__ import annotations

import gzip
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from xner.errors import XnerError, warn

KIND_FLORET = "spacy-floret"
KIND_SPACY = "spacy-vectors"
KIND_FASTTEXT = "fasttext-bin"


@dataclass
class VectorSource:
    """An opened vector model: its own word list (when it has one) and a lookup for any list of words."""

    kind: str  # KIND_FLORET, KIND_SPACY or KIND_FASTTEXT
    path: Path  # the folder or file read
    dim: int
    words: list[str] | None  # the source's word list, most frequent first; None for floret (it has none)
    subwords: bool  # True: every string gets a vector (floret, fastText .bin with n-gram buckets)
    _lookup: Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]] = field(repr=False)
    info: dict = field(default_factory=dict)  # settings read from the source (n-gram sizes, buckets, ...)

    def vectors(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """float32 (N, D) vectors of `words` and a bool (N,) mask of those that got one (zeros elsewhere)."""
        if not words:
            return np.zeros((0, self.dim), dtype=np.float32), np.zeros(0, dtype=bool)
        return self._lookup(list(words))

    def describe(self) -> dict:
        return {"kind": self.kind, "path": str(self.path), "dim": self.dim, "subwords": self.subwords,
                "source_words": None if self.words is None else len(self.words), **self.info}  # fmt: skip


def open_source(spec: str | Path) -> VectorSource:
    """A fastText `.bin` file, a spaCy vectors / vocab / pipeline folder, or an installed spaCy package name."""
    path = Path(spec)
    if path.is_file():
        if path.suffix != ".bin":
            raise XnerError(
                "expected a fastText .bin model, a spaCy vectors or pipeline folder, or an installed spaCy package "
                "(a .vec or .npy table is read directly, without import)",
                path,
            )
        return _fasttext_bin(path)
    if path.is_dir():
        return _spacy_vectors(_vectors_folder(path))
    return _spacy_vectors(_vectors_folder(_package_path(str(spec))))


# ---------------------------------------------------------------- spaCy


def _require_spacy():
    try:
        import spacy
    except ImportError:
        raise XnerError("reading spaCy vectors needs spaCy: pip install 'xner[spacy]'") from None
    return spacy


def _package_path(name: str) -> Path:
    spacy = _require_spacy()
    if not spacy.util.is_package(name):
        raise XnerError(
            f"{name!r} is neither a file, a folder nor an installed spaCy package "
            "(install one with pip, e.g. pip install spacy-fi-experimental-web-md==0.15.0)"
        )
    return Path(spacy.util.get_package_path(name))


def _vectors_folder(folder: Path) -> Path:
    """The folder holding `vectors.cfg`: the folder itself, its `vocab/`, or a package's `<name>-<version>/vocab/`."""
    for candidate in (folder, folder / "vocab", *sorted(folder.glob("*/vocab"))):
        if (candidate / "vectors.cfg").is_file() and (candidate / "vectors").is_file():
            return candidate
    raise XnerError("no spaCy vectors here (expected vectors + vectors.cfg, in the folder or its vocab/)", folder)


def _spacy_vectors(folder: Path) -> VectorSource:
    _require_spacy()
    from spacy.vectors import Vectors

    try:
        vectors = Vectors().from_disk(folder)  # also reads the folder's strings.json (words of the keys)
    except (OSError, ValueError) as err:
        raise XnerError(f"spaCy cannot read these vectors: {err}", folder) from None
    dim = int(vectors.shape[1])
    if vectors.mode == "floret":

        def floret(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
            return np.asarray(vectors.get_batch(words), dtype=np.float32), np.ones(len(words), dtype=bool)

        info = {"hashed_rows": int(vectors.shape[0])}
        info.update((k, int(getattr(vectors, k))) for k in ("minn", "maxn", "hash_count"))
        return VectorSource(KIND_FLORET, folder, dim, None, True, floret, info)

    # Plain table: words in row order (first key of a row wins); keys without a string are skipped.
    by_row: dict[int, str] = {}
    for key, row in sorted(vectors.key2row.items(), key=lambda kv: kv[1]):
        if row not in by_row and key in vectors.strings:
            by_row[row] = vectors.strings[key]
    data = vectors.data

    def plain(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray(vectors.find(keys=list(words)), dtype=np.int64)  # (N,), -1 = not in the table
        found = rows >= 0
        out = np.zeros((len(words), dim), dtype=np.float32)  # (N, D)
        out[found] = np.asarray(data[rows[found]], dtype=np.float32)
        return out, found

    return VectorSource(KIND_SPACY, folder, dim, list(by_row.values()), False, plain, {"rows": int(vectors.shape[0])})


# ---------------------------------------------------------------- fastText .bin


def _fasttext_bin(path: Path) -> VectorSource:
    from gensim.models.fasttext import load_facebook_vectors

    try:
        kv = load_facebook_vectors(str(path))
    except (OSError, ValueError, EOFError, NotImplementedError, AssertionError) as err:
        raise XnerError(f"gensim cannot read this as a fastText .bin model: {err}", path) from None
    buckets = int(kv.bucket)
    dim = int(kv.vector_size)

    def lookup(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        out = np.zeros((len(words), dim), dtype=np.float32)  # (N, D)
        found = np.zeros(len(words), dtype=bool)
        for i, word in enumerate(words):
            if buckets or word in kv.key_to_index:  # gensim computes OOV vectors from the n-gram buckets
                out[i] = kv.get_vector(word)
                found[i] = not np.all(out[i] == 0)  # a word with no n-gram of the trained lengths gets zeros
        return out, found

    info = {"min_n": int(kv.min_n), "max_n": int(kv.max_n), "buckets": buckets}
    return VectorSource(KIND_FASTTEXT, path, dim, list(kv.index_to_key), buckets > 0, lookup, info)


# ---------------------------------------------------------------- vocabulary


def file_tokens(path: str | Path) -> Iterable[str]:
    """Tokens of a CoNLL file (first column) or of text (`.gz` too), tokenised as `xner embed train` does.

    A file is CoNLL when every non-blank line holds at least two fields and ends in a tag (O, B-, I-, E-, S-).
    """
    path = Path(path)
    try:
        raw = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
    except OSError as err:
        raise XnerError(f"cannot read: {err.strerror or err}", path) from None
    from xner.embeddings.io import decode_utf8

    text = decode_utf8(raw, path)
    lines = [line.split() for line in text.splitlines()]
    if _looks_conll(lines):
        return [fields[0] for fields in lines if fields and fields[0] != "-DOCSTART-"]
    from xner.embeddings.train import tokenize

    return [tok for line in text.splitlines() for tok in tokenize(line)]


def _looks_conll(lines: list[list[str]]) -> bool:
    rows = [f for f in lines if f]
    tags = ("B-", "I-", "E-", "S-")
    return bool(rows) and all(len(f) >= 2 and (f[-1] == "O" or f[-1][:2] in tags) for f in rows)


def choose_vocabulary(
    source: VectorSource,
    keep: Sequence[str] = (),
    include: Iterable[str] = (),
    top: int | None = None,
    corpus: Iterable[str] = (),
) -> tuple[list[str], dict]:
    """The words to write, most frequent first, and how they were chosen.

    1. `keep`: words first, in this order (e.g. an existing table's `.vocab`, so rows and a fitted
       mapping stay valid);
    2. the `top` most frequent words: of `corpus` tokens when given, else of the source's own list
       (floret has none: then `corpus` is required);
    3. every token of `include` (the user's NER files and unlabelled text), most frequent first
       (counted over `include` and `corpus`), ties in order of first appearance.
    """
    words: list[str] = []
    seen: set[str] = set()

    def add(candidates: Iterable[str]) -> int:
        before = len(words)
        for w in candidates:
            if w not in seen:
                seen.add(w)
                words.append(w)
        return len(words) - before

    counts = Counter(corpus)
    included = Counter(include)
    from_keep = add(keep)
    from_top = 0
    if top:
        if counts:
            ranked = [w for w, _ in counts.most_common(top)]
        elif source.words is not None:
            ranked = source.words[:top]
        else:
            raise XnerError("floret vectors have no word list: give a corpus (--corpus) to rank the top words by")
        from_top = add(ranked)
    total = counts + included
    order = {w: i for i, w in enumerate(included)}  # Counter keeps first-appearance order
    from_include = add(sorted(included, key=lambda w: (-total[w], order[w])))
    if not words:
        raise XnerError("no words chosen: give --vocab, --top and/or --include files")
    made = {"from_vocab": from_keep, "from_top": from_top, "from_include": from_include, "include_types": len(included)}
    return words, made


def import_table(
    source: str | Path,
    out: str | Path,
    vocab_file: str | Path | None = None,
    top: int | None = None,
    corpus: Sequence[str | Path] = (),
    include: Sequence[str | Path] = (),
    command: str = "",
) -> dict:
    """Open `source`, choose the vocabulary (`choose_vocabulary`), write `out.npy/.vocab/.json`; return the json."""
    from xner.embeddings.io import read_vocab, save_binary

    if top is not None and top < 1:
        raise XnerError(f"top must be at least 1, got {top}")
    src = open_source(source)
    keep = read_vocab(Path(vocab_file)) if vocab_file is not None else []
    included = [tok for path in include for tok in file_tokens(path)]
    counted = [tok for path in corpus for tok in file_tokens(path)]
    chosen, counts = choose_vocabulary(src, keep, included, top, counted)
    words, vectors, dropped = import_vectors(src, chosen)
    meta = {
        "source": str(source),
        **src.describe(),
        "vocabulary": {"vocab_file": str(vocab_file) if vocab_file else None, "top": top,
                       "corpus": [str(p) for p in corpus], "include": [str(p) for p in include],
                       **counts, "dropped_without_vector": dropped},
        "written": len(words),
        "dtype": "float16",
        "command": command,
    }  # fmt: skip
    save_binary(out, words, vectors, meta)
    return meta


def import_vectors(source: VectorSource, words: Sequence[str]) -> tuple[list[str], np.ndarray, int]:
    """(words that got a vector, their float32 (N, D) vectors, how many were dropped for having none)."""
    vectors, found = source.vectors(words)
    dropped = int((~found).sum())
    if dropped:
        first = next(w for w, ok in zip(words, found) if not ok)
        warn(f"{dropped} chosen word(s) have no vector in {source.kind} {source.path}; left out (first: {first!r})")
    kept = [w for w, ok in zip(words, found) if ok]
    return kept, vectors[found], dropped
