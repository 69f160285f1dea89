"""Word lookup (exact -> lower-cased -> UNK) over a multi-language matrix; chars shared; tags in a scheme."""

from __future__ import annotations

import numpy as np
import pytest

from xner.data.conll import Sentence
from xner.embeddings import EmbeddingTable
from xner.errors import XnerError
from xner.model.vocab import PAD, UNK, CharVocab, TagVocab, TaggerVocab, build_word_matrix


def table(words, value):
    return EmbeddingTable(list(words), np.full((len(words), 2), value, dtype=np.float16), name="t")


def test_multilanguage_matrix_and_lookup():
    index, matrix = build_word_matrix({"en": table(["the", "paris", "Paris"], 1.0), "es": table(["el", "the"], 2.0)})
    assert matrix.shape == (2 + 3 + 2, 2) and matrix.dtype == np.float32
    assert (matrix[PAD] == 0).all() and (matrix[UNK] == 0).all()
    en = index.rows(["the", "Paris", "PARIS", "The", "zzz"], "en").tolist()
    assert en == [2, 4, 3, 2, UNK]  # exact, exact (not lowered), lower-cased, lower-cased, unknown
    es = index.rows(["the", "el"], "es").tolist()
    assert es == [6, 5] and (matrix[5:] == 2).all()  # the same word maps to each language's own row
    with pytest.raises(XnerError, match="no word vectors for language"):
        index.rows(["x"], "de")
    exact, _ = build_word_matrix({"en": table(["the"], 1.0)}, strategy="exact")
    assert exact.rows(["The"], "en").tolist() == [UNK]


def test_char_and_tag_vocab_round_trip():
    chars = CharVocab.build(["abc", "Äb"])
    assert chars.encode("aÄz")[-1] == UNK and len(chars) == 4 + 2
    assert CharVocab.from_dict(chars.to_dict()).encode("abcÄ") == chars.encode("abcÄ")
    train = [Sentence(("John", "Smith", "visited", "Rome"), ("B-PER", "I-PER", "O", "B-LOC"))]
    tags = TagVocab.build([s.tags for s in train], "IOBES")
    assert tags.tags == ["O"] + [f"{p}-{t}" for t in ("LOC", "PER") for p in "BIES"]
    ids = tags.encode(train[0].tags)
    assert [tags.tags[i] for i in ids] == ["B-PER", "E-PER", "O", "S-LOC"]
    assert tags.decode_iob2(ids) == list(train[0].tags)
    with pytest.raises(XnerError, match="not in the model's tag set"):
        tags.encode(["B-ORG"])
    vocab, _ = TaggerVocab.build({"en": table(["John"], 1.0)}, train, "IOB2")
    again = TaggerVocab.from_dict(vocab.to_dict())
    assert again.to_dict() == vocab.to_dict() and again.tags.scheme == "IOB2"
