"""Tag schemes: conversions on hand-made cases and the identity IOB2 -> IOBES -> IOB2 on all six datasets."""

from __future__ import annotations

import pytest

from xner.data.registry import LANGUAGES, SPLITS, has_split, load_split
from xner.data.tags import convert, detect_scheme, is_valid_tag, split_tag, validate
from xner.errors import XnerError

IOB2 = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC", "O", "B-ORG"]
IOBES = ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "I-LOC", "E-LOC", "O", "S-ORG"]
IOB1 = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-LOC", "O", "I-ORG"]


@pytest.mark.parametrize(
    ("source", "target", "tags", "expected"),
    [
        ("IOB2", "IOBES", IOB2, IOBES),
        ("IOBES", "IOB2", IOBES, IOB2),
        ("IOB1", "IOB2", IOB1, IOB2),
        ("IOB2", "IOB1", IOB2, IOB1),
        ("IOB1", "IOBES", IOB1, IOBES),
        ("IOBES", "IOB1", IOBES, IOB1),
        ("IOB2", "IOB2", IOB2, IOB2),
    ],
)
def test_convert(source, target, tags, expected):
    assert convert(tags, source, target) == expected


def test_iob1_to_iob2_follows_conlleval():
    # An I-X after O, at the start, or after another type starts an entity.
    assert convert(["I-PER", "I-LOC", "I-LOC", "O", "I-MISC"], "IOB1", "IOB2") == [
        "B-PER", "B-LOC", "I-LOC", "O", "B-MISC",
    ]  # fmt: skip


def test_detect_and_validate():
    assert detect_scheme([IOB2]) == "IOB2"
    assert detect_scheme([IOBES]) == "IOBES"
    assert detect_scheme([IOB1]) == "IOB1"
    assert validate(IOB2, "IOB2") is None
    assert validate(IOBES, "IOBES") is None
    assert validate(["O", "I-PER"], "IOB2") == 1
    assert validate(["B-PER", "I-LOC"], "IOBES") == 1
    assert validate(["B-PER"], "IOBES") == 0  # an entity left open
    assert validate(["B-PER", "I-PER", "S-LOC"], "IOBES") == 2


def test_tag_helpers_and_unknown_scheme():
    assert split_tag("B-PER") == ("B", "PER")
    assert split_tag("O") == ("O", None)
    assert is_valid_tag("S-MISC") and not is_valid_tag("B_PER") and not is_valid_tag("X-PER")
    with pytest.raises(XnerError, match="unknown tag scheme"):
        convert(IOB2, "BILOU", "IOB2")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_iob2_iobes_identity_on_dataset(request, lang):
    """Every split of every language: the files are IOB2, and IOB2 -> IOBES -> IOB2 changes nothing.

    en/es read `ner_data` (the shared files, else the shipped bundle's); the other four only the shared data."""
    root = request.getfixturevalue("ner_data" if lang in ("en", "es") else "shared_data")
    checked = 0
    for split in SPLITS:
        if not has_split(lang, split, root):
            continue
        tag_seqs = [s.tags for s in load_split(lang, split, root)]
        assert detect_scheme(tag_seqs) == "IOB2", (lang, split)
        for tags in tag_seqs:
            iobes = convert(tags, "IOB2", "IOBES")
            assert validate(iobes, "IOBES") is None
            assert convert(iobes, "IOBES", "IOB2") == list(tags)
        checked += len(tag_seqs)
    assert checked > 500
