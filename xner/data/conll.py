"""CoNLL column files: read (with clear errors) and write (atomically, round-trip exact)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from xner.data.tags import is_valid_tag, mixed_schemes
from xner.errors import XnerError, warn
from xner.io import atomic_path


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.tokens)

    def without_tags(self) -> "Sentence":
        return Sentence(self.tokens, ("O",) * len(self.tokens))


def _read_bytes(path: Path) -> bytes:
    check_input_file(path)
    try:
        return path.read_bytes()
    except OSError as err:
        raise XnerError(f"cannot read file: {err.strerror}", path) from None


def check_input_file(path: Path) -> None:
    """An `XnerError` unless `path` can be read as a file: a regular file, or a pipe (`<(zcat f.gz)`) or
    character device (/dev/stdin); a directory or a socket says what it is."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise XnerError("no such file", path) from None
    except OSError as err:
        raise XnerError(f"cannot read file: {err.strerror}", path) from None
    if stat.S_ISDIR(mode):
        raise XnerError("is a directory, not a file", path)
    if stat.S_ISSOCK(mode):
        raise XnerError("is a socket, not a file", path)


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    """Text of `raw`; a NUL byte anywhere means a binary file (named with its line, like a decode error)."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw[:nul].count(b"\n") + 1
        raise XnerError("looks like a binary file (NUL byte), not a text file", path, line)
    try:
        text = raw.decode(encoding)
    except LookupError:
        raise XnerError(f"unknown encoding {encoding!r}", path) from None
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise XnerError(
            f"cannot decode byte 0x{raw[err.start]:02x} as {encoding}; pass --encoding (e.g. latin-1)",
            path,
            line,
        ) from None
    # universal newlines: CRLF and CR-only files (old Mac) read like LF files
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


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
    text = _decode(path, _read_bytes(path), encoding)
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if tokens:
            sentences.append(Sentence(tuple(tokens), tuple(tags)))
            tokens.clear()
            tags.clear()

    # split on "\n" only: str.splitlines() also breaks at \x0b, \x1c, \x85, U+2028 ..., shifting line numbers
    lines = text.split("\n")
    starts: list[int] = []  # first line of each sentence, for the scheme check
    for lineno, line in enumerate(lines, start=1):
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
        if not tokens:
            starts.append(lineno)
        tokens.append(token)
        tags.append(tag)
    flush()
    if not sentences:
        raise XnerError("file holds no sentences (empty or only blank/-DOCSTART- lines)", path, _last_line(lines))
    if require_tags:
        mixed = mixed_schemes(s.tags for s in sentences)
        if mixed:
            where = ", ".join(f"{scheme} from line {starts[i]}" for scheme, i in mixed.items())
            warn(f"mixed tag schemes in one file ({where}); entities are read as conlleval reads them", path)
    return sentences


def _last_line(lines: list[str]) -> int:
    """Line number of the last line (a trailing newline does not start a new line); 1 for an empty file."""
    n = len(lines) - (1 if lines and lines[-1] == "" else 0)
    return max(n, 1)


def write_conll(path: str | Path, sentences: Iterable[Sentence], predicted: Sequence[Sequence[str]] | None = None) -> None:
    """Write `TOKEN TAG` (or `TOKEN GOLD PRED`) lines; atomically.

    Refuses what `read_conll` could not read back identically (empty sentences, tokens
    with whitespace, `-DOCSTART-` tokens), so read -> write -> read is the identity.
    """
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            for i, sent in enumerate(sentences):
                pred = None if predicted is None else predicted[i]
                _check_writable(sent, pred, i)
                for j, (tok, tag) in enumerate(zip(sent.tokens, sent.tags)):
                    cols = [tok, tag] if pred is None else [tok, tag, pred[j]]
                    out.write(" ".join(cols) + "\n")
                out.write("\n")


_WHITESPACE = re.compile(r"\s")


def _check_writable(sent: Sentence, pred: Sequence[str] | None, index: int) -> None:
    where = f"sentence {index + 1}"
    if not sent.tokens:
        raise XnerError(f"{where} is empty; an empty sentence cannot be written as CoNLL")
    if len(sent.tags) != len(sent.tokens) or (pred is not None and len(pred) != len(sent.tokens)):
        raise XnerError(f"{where}: number of tokens and tags differ")
    for tok in sent.tokens:
        if not tok or _WHITESPACE.search(tok) or tok == "-DOCSTART-":
            raise XnerError(f"{where}: token {tok!r} cannot be written as one CoNLL column")
    for tag in sent.tags if pred is None else (*sent.tags, *pred):
        if not is_valid_tag(tag):
            raise XnerError(f"{where}: invalid tag {tag!r}")


def read_plain_sentences(path: str | Path, encoding: str = "utf-8") -> list[Sentence]:
    """One tokenised sentence per line (space separated), no tags; e.g. unlabelled target text."""
    path = Path(path)
    text = _decode(path, _read_bytes(path), encoding)
    lines = text.split("\n")
    out = []
    for line in lines:
        toks = line.split()
        if toks:
            out.append(Sentence(tuple(toks), ("O",) * len(toks)))
    if not out:
        raise XnerError("file holds no sentences (empty or only blank lines)", path, _last_line(lines))
    return out
