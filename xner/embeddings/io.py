"""Load embedding tables: xner's binary form (`.npy` float16 + `.vocab`) or word2vec text `.vec`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError
from xner.io import data_root


def resolve(spec: str | Path) -> Path:
    """A language code names the shared table (`$XNER_DATA/emb/LANG.npy`); anything else is a path."""
    path = Path(spec)
    if path.exists():
        return path
    root = data_root()
    if root is not None and (root / "emb" / f"{spec}.npy").is_file():
        return root / "emb" / f"{spec}.npy"
    raise XnerError(f"no embedding table {spec!r}: not a file, and not a language under $XNER_DATA/emb", spec)


def load_binary(npy_path: str | Path, max_vocab: int | None = None) -> EmbeddingTable:
    npy_path = Path(npy_path)
    vocab_path = npy_path.with_suffix(".vocab")
    if not vocab_path.is_file():
        raise XnerError("missing vocabulary file next to the matrix", vocab_path)
    try:
        matrix = np.load(npy_path, mmap_mode="r")
    except ValueError as err:
        raise XnerError(f"not a numpy matrix: {err}", npy_path) from None
    words = vocab_path.read_text(encoding="utf-8").split("\n")
    if words and words[-1] == "":
        words.pop()
    if matrix.ndim != 2:
        raise XnerError(f"expected a 2-d matrix, found shape {matrix.shape}", npy_path)
    if len(words) != matrix.shape[0]:
        raise XnerError(f"vocabulary has {len(words)} words but the matrix has {matrix.shape[0]} rows", vocab_path)
    if max_vocab is not None:
        words, matrix = words[:max_vocab], matrix[:max_vocab]
    return EmbeddingTable(words, matrix, name=str(npy_path))


def load_embeddings(spec: str | Path, max_vocab: int | None = None) -> EmbeddingTable:
    path = resolve(spec)
    if path.suffix == ".npy":
        return load_binary(path, max_vocab)
    raise XnerError(f"unsupported embedding file type {path.suffix!r} (expected .npy or .vec)", path)
