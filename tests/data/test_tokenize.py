"""Raw-text tokenisation (issue 19 item 6): NFD accents, zero-width and control characters, emoji."""

from __future__ import annotations

import unicodedata

import pytest

from xner.data.tokenize import normalize_token, tokenize


def _texts(text):
    return [t.text for t in tokenize(text)]


@pytest.mark.parametrize("lang", ["es", "de"])
def test_real_nfd_text_tokenises_like_nfc(request, lang):
    """Real Spanish and German sentences, decomposed (as macOS file names and some editors write them): the first
    dev sentence with at least two accented words. Spanish reads `ner_data` (the shared files, else the shipped
    bundle's), German only the shared data."""
    from xner.data.conll import read_conll

    root = request.getfixturevalue("ner_data" if lang == "es" else "shared_data")
    tokens = next(list(s.tokens) for s in read_conll(root / "ner" / lang / "dev.txt")
                  if sum(unicodedata.normalize("NFD", t) != t for t in s.tokens) >= 2)
    nfc = " ".join(tokens)
    nfd = unicodedata.normalize("NFD", nfc)
    assert _texts(nfc) == tokens
    assert _texts(nfd) == tokens  # each token is NFC again: the model looks up the table's spelling
    for token in tokenize(nfd):
        assert unicodedata.normalize("NFC", nfd[token.start : token.end]) == token.text  # offsets into the NFD text


def test_spanish_and_german_nfd_names():
    text = unicodedata.normalize("NFD", "José Müller und Björn Ångström in Málaga")
    assert text != unicodedata.normalize("NFC", text)
    assert _texts(text) == ["José", "Müller", "und", "Björn", "Ångström", "in", "Málaga"]


@pytest.mark.parametrize("zero_width", ["\u200b", "\u2060", "\u00ad", "\ufeff", "\u200e", "\u200d"])
def test_zero_width_characters_do_not_split_words(zero_width):
    text = f"Pe{zero_width}ter Blackburn{zero_width} visited {zero_width}Brussels"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["Peter", "Blackburn", "visited", "Brussels"]
    assert text[tokens[0].start : tokens[0].end] == f"Pe{zero_width}ter"


def test_emoji_sequences_and_flags_are_one_token_each():
    family, flag, thumbs = "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001F1EA\U0001F1F8", "\U0001F44D\U0001F3FD"
    text = f"{family} Peter {flag}{thumbs} Madrid"
    assert _texts(text) == [family, "Peter", flag, thumbs, "Madrid"]


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x9b"])
def test_control_characters_separate_and_are_never_tokens(control):
    assert _texts(f"Peter{control}Blackburn {control} visited") == ["Peter", "Blackburn", "visited"]


def test_conll_style_tokens_unchanged():
    text = "U.S. stocks rose 3.5 % to 1,000 at 12:30 ; don't e-mail Reuters ( AP ) ."
    assert _texts(text) == text.split()
    assert normalize_token("Reuters") == "Reuters"
