"""Tag schemes IOB1, IOB2 and IOBES: detect, validate, convert.

IOB1 -> IOB2 follows conlleval: an I-X that starts an entity (sentence start,
after O, or after a tag of another type) becomes B-X.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from xner.errors import XnerError

TAG_PATTERN = re.compile(r"^(O|[BIES]-\S+)$")
SCHEMES = ("IOB1", "IOB2", "IOBES")


def is_valid_tag(tag: str) -> bool:
    return bool(TAG_PATTERN.match(tag))


def split_tag(tag: str) -> tuple[str, str | None]:
    """`B-PER` -> (`B`, `PER`); `O` -> (`O`, None)."""
    if tag == "O":
        return "O", None
    return tag[0], tag[2:]


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    prev = "O"
    for tag in tags:
        prefix, typ = split_tag(tag)
        if prefix == "I":
            p_prefix, p_typ = split_tag(prev)
            if p_prefix == "O" or p_typ != typ:
                tag = f"B-{typ}"
        out.append(tag)
        prev = tag
    return out


def iob2_to_iobes(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, tag in enumerate(tags):
        prefix, typ = split_tag(tag)
        nxt = tags[i + 1] if i + 1 < len(tags) else "O"
        continues = nxt == f"I-{typ}"
        if prefix == "B":
            out.append(tag if continues else f"S-{typ}")
        elif prefix == "I":
            out.append(tag if continues else f"E-{typ}")
        elif prefix == "O":
            out.append("O")
        else:
            raise ValueError(f"not an IOB2 tag: {tag!r}")
    return out


def iobes_to_iob2(tags: Sequence[str]) -> list[str]:
    """Also repairs invalid IOBES (e.g. a predicted I- without B-) the way conlleval would read it."""
    mapped = []
    for tag in tags:
        prefix, typ = split_tag(tag)
        if prefix == "S":
            mapped.append(f"B-{typ}")
        elif prefix == "E":
            mapped.append(f"I-{typ}")
        else:
            mapped.append(tag)
    return iob1_to_iob2(mapped)


def detect_scheme(sentences_tags: Iterable[Sequence[str]]) -> str:
    """IOBES if any S-/E- tag occurs; IOB1 if some I-X starts an entity; else IOB2."""
    iob1 = False
    for tags in sentences_tags:
        prev = "O"
        for tag in tags:
            prefix, typ = split_tag(tag)
            if prefix in ("S", "E"):
                return "IOBES"
            if prefix == "I":
                p_prefix, p_typ = split_tag(prev)
                if p_prefix == "O" or p_typ != typ:
                    iob1 = True
            prev = tag
    return "IOB1" if iob1 else "IOB2"


def mixed_schemes(sentences_tags: Iterable[Sequence[str]]) -> dict[str, int]:
    """{scheme: index of the first sentence that shows it} when one file mixes schemes, else {}.

    Evidence: S-/E- tags are IOBES; an I-X that starts an entity is IOB1; a B-X that starts an entity
    after O or another type is IOB2 when the file also holds IOB1 evidence; a single-token B-X or an
    entity ending in I-X is IOB2 when the file also holds IOBES evidence.
    """
    first: dict[str, int] = {}
    for n, tags in enumerate(sentences_tags):
        prev = "O"
        for i, tag in enumerate(tags):
            prefix, typ = split_tag(tag)
            p_prefix, p_typ = split_tag(prev)
            nxt_prefix, nxt_typ = split_tag(tags[i + 1]) if i + 1 < len(tags) else ("O", None)
            continues = nxt_prefix in ("I", "E") and nxt_typ == typ
            found = []
            if prefix in ("S", "E"):
                found.append("IOBES")
            if prefix == "I" and (p_prefix == "O" or p_typ != typ):
                found.append("IOB1")
            if prefix == "B" and (p_prefix == "O" or p_typ != typ):
                found.append("B-after-O")
            if (prefix == "B" or prefix == "I") and not continues:
                found.append("not-IOBES")
            for key in found:
                first.setdefault(key, n)
            prev = tag
    mixed: dict[str, int] = {}
    if "IOBES" in first and ("IOB1" in first or "not-IOBES" in first):
        mixed["IOBES"] = first["IOBES"]
        other = "IOB1" if "IOB1" in first else "IOB2"
        mixed[other] = first["IOB1" if other == "IOB1" else "not-IOBES"]
    elif "IOB1" in first and "B-after-O" in first:
        mixed["IOB1"], mixed["IOB2"] = first["IOB1"], first["B-after-O"]
    return dict(sorted(mixed.items(), key=lambda kv: kv[1]))


def count_entities(tags: Sequence[str]) -> list[str]:
    """Types of the entities in one sentence's tags, in any scheme, read the way conlleval reads them
    (an I-X after O or another type starts an entity, as does B-X or S-X)."""
    return [split_tag(t)[1] for t in iobes_to_iob2(tags) if t.startswith("B-")]


def validate(tags: Sequence[str], scheme: str) -> int | None:
    """Index of the first tag that breaks `scheme`, or None when the sequence is valid."""
    prev = "O"
    for i, tag in enumerate(tags):
        if not is_valid_tag(tag):
            return i
        prefix, typ = split_tag(tag)
        p_prefix, p_typ = split_tag(prev)
        if scheme in ("IOB1", "IOB2") and prefix in ("S", "E"):
            return i
        if scheme == "IOB2" and prefix == "I" and (p_prefix == "O" or p_typ != typ):
            return i
        if scheme == "IOBES":
            inside = p_prefix in ("B", "I")
            if prefix in ("I", "E") and not (inside and p_typ == typ):
                return i
            if prefix in ("B", "S", "O") and inside:
                return i
        prev = tag
    if scheme == "IOBES" and split_tag(prev)[0] in ("B", "I"):
        return len(tags) - 1
    return None


def convert(tags: Sequence[str], source: str, target: str) -> list[str]:
    """Convert one sentence's tags between any two schemes."""
    for scheme in (source, target):
        if scheme not in SCHEMES:
            raise XnerError(f"unknown tag scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if source == "IOBES":
        iob2 = iobes_to_iob2(tags)
    elif source == "IOB1":
        iob2 = iob1_to_iob2(tags)
    else:
        iob2 = list(tags)
    if target == "IOBES":
        return iob2_to_iobes(iob2)
    if target == "IOB1":
        return iob2_to_iob1(iob2)
    return iob2


def iob2_to_iob1(tags: Sequence[str]) -> list[str]:
    """B-X is kept only where it separates two adjacent entities of the same type."""
    out: list[str] = []
    prev = "O"
    for tag in tags:
        prefix, typ = split_tag(tag)
        if prefix == "B" and split_tag(prev)[1] != typ:
            out.append(f"I-{typ}")
        else:
            out.append(tag)
        prev = tag
    return out


def entity_types(tags: Iterable[str]) -> list[str]:
    return sorted({split_tag(t)[1] for t in tags if t != "O"})
