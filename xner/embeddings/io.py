"""Load and save embedding tables.

Two formats:
- xner's binary form: `NAME.npy` (float16 matrix, memory-mapped) + `NAME.vocab` (one word a
  line, same order) + optional `NAME.json` (how it was made). The shared tables use it.
- word2vec / fastText text `.vec` (header `N D`, then `word v1 ... vD` per line; `.vec.gz` too),
  so real `wiki.XX.vec` files work unchanged. A `.vec` is parsed once and cached in the binary
  form under `$XNER_CACHE/vec/`, keyed by absolute path, size, mtime and `max_vocab`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import IO, Iterator, Sequence

import numpy as np

from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError, warn
from xner.io import atomic_path, cache_dir, data_root, write_json_atomic

FLOAT16_MAX = float(np.finfo(np.float16).max)
_CHUNK_ROWS = 8192  # rows parsed per numpy call when reading a .vec


def resolve(spec: str | Path) -> Path:
    """A language code names the shared table (`$XNER_DATA/emb/LANG.npy`); anything else is a path."""
    path = Path(spec)
    if path.is_file():
        return path
    root = data_root()
    if root is not None and (root / "emb" / f"{spec}.npy").is_file():
        return root / "emb" / f"{spec}.npy"
    raise XnerError(f"no embedding table {str(spec)!r}: not a file, and not a language under $XNER_DATA/emb", spec)


def load_embeddings(spec: str | Path, max_vocab: int | None = None) -> EmbeddingTable:
    """Load a table by language code or path (`.npy` binary form, `.vec` / `.vec.gz` text)."""
    if max_vocab is not None and max_vocab < 1:
        raise XnerError(f"max_vocab must be at least 1, got {max_vocab}")
    path = resolve(spec)
    if path.suffix == ".npy":
        return load_binary(path, max_vocab)
    if path.suffix == ".vec" or path.name.endswith(".vec.gz"):
        return load_vec(path, max_vocab)
    raise XnerError(f"unsupported embedding file type {path.suffix!r} (expected .npy, .vec or .vec.gz)", path)


# ---------------------------------------------------------------- binary form


def decode_utf8(raw: bytes, path: Path) -> str:
    """`raw` as UTF-8 text; an undecodable byte is an `XnerError` naming the file and its line."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise XnerError(f"cannot decode byte 0x{raw[err.start]:02x} as utf-8", path, line) from None


def read_vocab(vocab_path: Path) -> list[str]:
    try:
        raw = vocab_path.read_bytes()
    except OSError as err:
        raise XnerError(f"cannot read vocabulary: {err.strerror}", vocab_path) from None
    words = decode_utf8(raw, vocab_path).split("\n")
    if words and words[-1] == "":
        words.pop()
    if "" in words:
        raise XnerError("empty line in the vocabulary (one word per line expected)", vocab_path, words.index("") + 1)
    return words


def load_binary(npy_path: str | Path, max_vocab: int | None = None, check_values: bool = True) -> EmbeddingTable:
    """Memory-map `NAME.npy` and read `NAME.vocab`; errors name the file and the vocabulary line."""
    npy_path = Path(npy_path)
    vocab_path = npy_path.with_suffix(".vocab")
    if not vocab_path.is_file():
        raise XnerError("missing vocabulary file next to the matrix", vocab_path)
    try:
        matrix = np.load(npy_path, mmap_mode="r")
    except (ValueError, OSError, EOFError) as err:
        raise XnerError(f"not a numpy matrix file: {err}", npy_path) from None
    if matrix.ndim != 2:
        raise XnerError(f"expected a 2-d matrix, found shape {matrix.shape}", npy_path)
    if not np.issubdtype(matrix.dtype, np.floating):
        raise XnerError(f"expected a float matrix, found dtype {matrix.dtype}", npy_path)
    words = read_vocab(vocab_path)
    rows = matrix.shape[0]
    if len(words) < rows:
        raise XnerError(
            f"vocabulary ends after {len(words)} words but {npy_path.name} has {rows} rows", vocab_path, len(words) + 1
        )
    if len(words) > rows:
        raise XnerError(f"vocabulary has {len(words)} words but {npy_path.name} has only {rows} rows", vocab_path, rows + 1)
    if max_vocab is not None:
        words, matrix = words[:max_vocab], matrix[:max_vocab]
    table = EmbeddingTable(words, matrix, name=str(npy_path))
    if check_values:
        bad = first_nonfinite_row(matrix)
        if bad is not None:
            raise XnerError(f"vector of {words[bad]!r} (row {bad + 1} of {npy_path.name}) holds NaN or inf", vocab_path, bad + 1)
    if table.duplicates:
        _warn_duplicates(table.duplicates, vocab_path, _first_duplicate(words) + 1)
    return table


def first_nonfinite_row(matrix: np.ndarray, chunk: int = 65536) -> int | None:
    """Index of the first row holding NaN or +-inf, or None; chunked so a memmap is never copied whole."""
    for start in range(0, matrix.shape[0], chunk):
        ok = np.isfinite(matrix[start : start + chunk]).all(axis=1)  # (chunk,)
        if not ok.all():
            return start + int(np.argmin(ok))
    return None


def save_binary(prefix: str | Path, words: Sequence[str], vectors: np.ndarray, meta: dict | None = None) -> Path:
    """Write `prefix.vocab`, `prefix.json` (when `meta`) and, last, `prefix.npy` as float16; each atomically.

    The `.npy` is renamed into place last, so its presence means the table is complete.
    """
    npy_path = npy_path_for(prefix)
    if len(words) != vectors.shape[0]:
        raise XnerError(f"{len(words)} words but {vectors.shape[0]} vectors", npy_path)
    for i, word in enumerate(words):
        if not word or "\n" in word or "\r" in word:
            raise XnerError(f"word {i + 1} ({word!r}) cannot be written as one vocabulary line", npy_path)
    with np.errstate(over="ignore"):  # overflow to inf is reported below with the word
        half = np.asarray(vectors, dtype=np.float16)  # (N, D); no copy when already float16
    bad = first_nonfinite_row(half)
    if bad is not None:
        raise XnerError(f"vector of {words[bad]!r} (row {bad + 1}) is NaN/inf or beyond float16 range", npy_path)
    with atomic_path(npy_path.with_suffix(".vocab")) as tmp:
        tmp.write_text("".join(w + "\n" for w in words), encoding="utf-8")
    if meta is not None:
        write_json_atomic(npy_path.with_suffix(".json"), meta)
    with atomic_path(npy_path) as tmp:
        with open(tmp, "wb") as out:
            np.save(out, half)
    return npy_path


def npy_path_for(prefix: str | Path) -> Path:
    """`out/es.v2` -> `out/es.v2.npy` (dots in the prefix are kept); a `.npy` path is returned as is."""
    prefix = Path(prefix)
    return prefix if prefix.suffix == ".npy" else prefix.with_name(prefix.name + ".npy")


# ---------------------------------------------------------------- word2vec / fastText text


def vec_cache_prefix(path: Path, max_vocab: int | None) -> Path:
    """Cache location for a `.vec`: changes whenever the file (path, size, mtime) or `max_vocab` does."""
    path = path.resolve()
    st = path.stat()
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}|{max_vocab}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    stem = path.name.removesuffix(".gz").removesuffix(".vec")
    return cache_dir() / "vec" / f"{stem}-{digest}"


def load_vec(path: str | Path, max_vocab: int | None = None, use_cache: bool = True) -> EmbeddingTable:
    """A text `.vec` table; parsed once, then served from the binary cache (memory-mapped)."""
    path = Path(path)
    if not path.is_file():
        raise XnerError("no such file", path)
    if not use_cache:
        words, vectors, _ = read_vec(path, max_vocab)
        return EmbeddingTable(words, vectors, name=str(path))
    npy = npy_path_for(vec_cache_prefix(path, max_vocab))
    meta_path = npy.with_suffix(".json")
    if npy.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("duplicates"):  # read_vec warned at conversion; say it again on every load
            _warn_duplicates(meta["duplicates"], path, meta["first_duplicate_line"])
    else:
        words, vectors, meta = read_vec(path, max_vocab)
        save_binary(npy, words, vectors, meta)
    table = load_binary(npy, check_values=False)
    table.name = str(path)
    return table


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _numbered_lines(path: Path, handle: IO[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, decoded line without the newline); undecodable bytes name their line."""
    for lineno, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
            yield lineno, line.lstrip("\ufeff") if lineno == 1 else line  # a BOM, as CoNLL files allow
        except UnicodeDecodeError as err:
            raise XnerError(f"cannot decode byte 0x{raw[err.start]:02x} as utf-8", path, lineno) from None


def _parse_header(path: Path, line: str | None) -> tuple[int, int]:
    parts = (line or "").split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        shown = (line or "")[:60]
        raise XnerError(
            f"expected a header line 'N D' (number of words, dimension), found {shown!r}; "
            "word2vec/fastText text files start with one",
            path,
            1,
        )
    n, d = int(parts[0]), int(parts[1])
    if n < 1 or d < 1:
        raise XnerError(f"header says {n} words of dimension {d}; both must be positive", path, 1)
    return n, d


def read_vec(path: str | Path, max_vocab: int | None = None) -> tuple[list[str], np.ndarray, dict]:
    """Parse a word2vec/fastText text file into (words, float16 (N, D) matrix, metadata).

    Keeps the first `max_vocab` distinct words (all when None). Duplicate words keep their
    first row and are counted in a warning. A wrong/missing header, a row of the wrong
    dimension, a non-number, NaN or inf raises `XnerError` with the line.
    """
    path = Path(path)
    try:
        with _open_binary(path) as handle:
            lines = _numbered_lines(path, handle)
            first = next(lines, None)
            n, dim = _parse_header(path, first[1] if first else None)
            limit = n if max_vocab is None else min(n, max_vocab)
            words: list[str] = []
            seen: set[str] = set()
            blocks: list[np.ndarray] = []  # float16 (rows, D) each; grown as parsed, so a lying header costs nothing
            chunk: list[tuple[int, str]] = []  # (line number, vector text)
            duplicates, first_dup, rows_in_file, lineno = 0, 0, 0, 1
            for lineno, line in lines:
                rows_in_file += 1
                if rows_in_file > n:
                    raise XnerError(f"more rows than the header's {n}", path, lineno)
                word, _, rest = line.rstrip(" ").partition(" ")
                if not word or not rest:
                    raise XnerError("expected 'word v1 ... vD' (a word, a space, then its vector)", path, lineno)
                if word in seen:
                    duplicates += 1
                    first_dup = first_dup or lineno
                    continue
                seen.add(word)
                words.append(word)
                chunk.append((lineno, rest))
                if len(chunk) == _CHUNK_ROWS:
                    blocks.append(_parse_rows(path, chunk, dim))
                    chunk = []
                if len(words) == limit:
                    break
            if chunk:
                blocks.append(_parse_rows(path, chunk, dim))
            if len(words) < limit and rows_in_file < n:
                raise XnerError(f"header says {n} rows but the file ends after {rows_in_file}", path, lineno + 1)
            if limit == n:  # everything the header announced was read: nothing may follow
                extra = next(lines, None)
                if extra is not None:
                    raise XnerError(f"more rows than the header's {n}", path, extra[0])
    except (OSError, EOFError) as err:
        raise XnerError(f"cannot read embedding file: {err}", path) from None
    matrix = np.concatenate(blocks) if blocks else np.empty((0, dim), dtype=np.float16)  # (N, D)
    meta = {
        "source": str(path.resolve()),
        "format": "word2vec text",
        "header_rows": n,
        "rows": len(words),
        "dim": dim,
        "max_vocab": max_vocab,
        "duplicates": duplicates,
        "first_duplicate_line": first_dup,
    }
    if duplicates:
        _warn_duplicates(duplicates, path, first_dup)
    return words, matrix, meta


def _parse_rows(path: Path, chunk: list[tuple[int, str]], dim: int) -> np.ndarray:
    """Vector texts -> float16 (rows, D) with one numpy parse; on any problem, find and name the bad line.

    The fast path needs exactly D-1 single spaces per row, so a short row next to a long one
    cannot cancel out; anything else (double spaces, tabs, errors) goes row by row.
    """
    if all(text.count(" ") == dim - 1 for _, text in chunk):
        try:
            flat = np.fromstring(" ".join(text for _, text in chunk), dtype=np.float32, sep=" ")  # (rows*D,)
        except ValueError:
            flat = None
        if flat is not None and flat.size == len(chunk) * dim:
            block = flat.reshape(len(chunk), dim)  # (rows, D)
            if first_nonfinite_row(block) is None and np.abs(block).max(initial=0.0) <= FLOAT16_MAX:
                return block.astype(np.float16)
    block = np.empty((len(chunk), dim), dtype=np.float16)  # (rows, D)
    for i, (lineno, text) in enumerate(chunk):
        values = text.split()
        if len(values) != dim:
            raise XnerError(f"row has {len(values)} values, the header says dimension {dim}", path, lineno)
        if not all(_is_float(v) for v in values):
            bad_value = next(v for v in values if not _is_float(v))
            raise XnerError(f"not a number: {bad_value[:30]!r}", path, lineno)
        row = np.array([float(v) for v in values], dtype=np.float32)  # (D,)
        if not np.isfinite(row).all():
            raise XnerError("vector holds NaN or inf", path, lineno)
        if np.abs(row).max() > FLOAT16_MAX:
            raise XnerError(f"value beyond the float16 range (+-{FLOAT16_MAX:g}) of xner's binary form", path, lineno)
        block[i] = row
    return block


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_duplicate(words: Sequence[str]) -> int:
    seen: set[str] = set()
    for i, w in enumerate(words):
        if w in seen:
            return i
        seen.add(w)
    return -1


def _warn_duplicates(count: int, path: Path, line: int) -> None:
    warn(f"{count} duplicate word(s) ignored (first occurrence kept); first duplicate here", path, line)
