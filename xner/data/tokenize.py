"""Raw text -> tokens with character offsets, as `xner tag`, `Predictor.tag` and `xner serve` read it.

Close to CoNLL tokenisation: numbers keep inner . , : (3.5, 1,000, 12:30); dotted abbreviations stay
whole (U.S.); words keep inner hyphens/apostrophes; any other visible character is a token of its own,
where "character" is a user-perceived one (an extended grapheme cluster: an emoji ZWJ sequence, a flag,
a base letter with its combining marks).

What a user types is not always what the CoNLL data and the embedding tables hold (NFC text):
- combining marks belong to the word they follow (NFD `José` is one word), and every token's `text` is
  NFC (`José`), which is what the model looks up;
- format characters (Unicode Cf: zero-width space, word joiner, soft hyphen, bidi marks, BOM) inside a
  word do not split it and are dropped from the token's `text` (`Pe<ZWSP>ter` -> `Peter`); emoji keep
  their zero-width joiners;
- control characters (Unicode Cc: NUL, escape, ...) separate tokens like spaces and are never tokens.

`start`/`end` are always offsets into the text as given (Python code points), so spans can be cut out of
the original text even where a token's normalised `text` differs from it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

_START = r"[\p{L}\p{N}_]"
_CONTINUE = r"(?:[\p{L}\p{N}_\p{M}]|\p{Cf}+(?=[\p{L}\p{N}_\p{M}]))"  # marks and inner format characters
_WORD = rf"{_START}{_CONTINUE}*(?:[-'’]{_START}{_CONTINUE}*)*"
_NUMBER = r"\d+(?:[.,:]\d+)*"
_ABBREVIATION = r"(?:\p{L}\p{M}*\.){2,}"
_OTHER = r"(?![\s\p{Cc}\p{Cf}])\X"  # one grapheme cluster that is neither space, control nor format
TOKEN_RE = regex.compile(f"{_NUMBER}|{_ABBREVIATION}|{_WORD}|{_OTHER}")
_FORMAT = regex.compile(r"\p{Cf}")
_WORDLIKE = regex.compile(r"[\p{L}\p{N}]")


@dataclass(frozen=True)
class Token:
    text: str  # normalised (see `normalize_token`)
    start: int  # character offset in the tagged text
    end: int


def normalize_token(text: str) -> str:
    """NFC; a token holding letters or digits also loses its format characters (emoji keep their ZWJs)."""
    if text.isascii():
        return text
    if _WORDLIKE.search(text):
        text = _FORMAT.sub("", text)
    return unicodedata.normalize("NFC", text)


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Tokens of one line of raw text; offsets are shifted by `offset` (the line's position in a longer text)."""
    return [Token(normalize_token(m.group()), m.start() + offset, m.end() + offset) for m in TOKEN_RE.finditer(text)]
