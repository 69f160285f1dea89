"""CoNLL column files: read (with clear errors) and write (atomically, round-trip exact)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from xner.data.tags import is_valid_tag
from xner.errors import XnerError
from xner.io import atomic_path


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.tokens)

    def without_tags(self) -> "Sentence":
        return Sentence(self.tokens, ("O",) * len(self.tokens))


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    if b"\x00" in raw[:8192]:
        raise XnerError("looks like a binary file, not a CoNLL text file", path, 1)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise XnerError(
            f"cannot decode byte 0x{raw[err.start]:02x} as {encoding}; pass --encoding (e.g. latin-1)",
            path,
            line,
        ) from None
    return text.lstrip("\ufeff")


def read_conll(
    path: str | Path,
    token_column: int = 0,
    tag_column: int = -1,
    encoding: str = "utf-8",
    require_tags: bool = True,
) -> list[Sentence]:
    """Read sentences from a column file.

    Token from `token_column`, tag from `tag_column`; blank lines separate
    sentences; `-DOCSTART-` lines are skipped. With `require_tags=False` a
    one-column file is accepted and every tag is `O` (raw tokenised text).
    """
    path = Path(path)
    if not path.is_file():
        raise XnerError("no such file", path)
    text = _decode(path, path.read_bytes(), encoding)
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if tokens:
            sentences.append(Sentence(tuple(tokens), tuple(tags)))
            tokens.clear()
            tags.clear()

    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            flush()
            continue
        columns = line.split()
        if columns[0] == "-DOCSTART-":
            flush()
            continue
        if require_tags:
            if len(columns) < 2:
                raise XnerError(f"expected a token and a tag, found one column: {line.strip()!r}", path, lineno)
            try:
                token, tag = columns[token_column], columns[tag_column]
            except IndexError:
                raise XnerError(
                    f"line has {len(columns)} columns; token column {token_column} / tag column {tag_column} missing",
                    path,
                    lineno,
                ) from None
            if not is_valid_tag(tag):
                raise XnerError(f"invalid tag {tag!r} (expected O, B-X, I-X, E-X or S-X)", path, lineno)
        else:
            token, tag = columns[token_column if len(columns) > token_column else 0], "O"
        tokens.append(token)
        tags.append(tag)
    flush()
    if not sentences:
        raise XnerError("file holds no sentences", path)
    return sentences


def write_conll(path: str | Path, sentences: Iterable[Sentence], predicted: Sequence[Sequence[str]] | None = None) -> None:
    """Write `TOKEN TAG` (or `TOKEN GOLD PRED`) lines; atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as out:
            for i, sent in enumerate(sentences):
                for j, (tok, tag) in enumerate(zip(sent.tokens, sent.tags)):
                    cols = [tok, tag] if predicted is None else [tok, tag, predicted[i][j]]
                    out.write(" ".join(cols) + "\n")
                out.write("\n")


def read_plain_sentences(path: str | Path, encoding: str = "utf-8") -> list[Sentence]:
    """One tokenised sentence per line (space separated), no tags; e.g. unlabelled target text."""
    path = Path(path)
    if not path.is_file():
        raise XnerError("no such file", path)
    text = _decode(path, path.read_bytes(), encoding)
    out = []
    for line in text.splitlines():
        toks = line.split()
        if toks:
            out.append(Sentence(tuple(toks), ("O",) * len(toks)))
    if not out:
        raise XnerError("file holds no sentences", path)
    return out
