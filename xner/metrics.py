"""CoNLL span precision / recall / F1 (seqeval, conlleval mode), in percent."""

from __future__ import annotations

from typing import Sequence

from xner.data.tags import detect_scheme, iob1_to_iob2, iobes_to_iob2


def to_iob2(tag_seqs: Sequence[Sequence[str]]) -> list[list[str]]:
    """Convert predictions in any scheme to IOB2 (IOBES and IOB1 are detected)."""
    scheme = detect_scheme(tag_seqs)
    if scheme == "IOBES":
        return [iobes_to_iob2(t) for t in tag_seqs]
    if scheme == "IOB1":
        return [iob1_to_iob2(t) for t in tag_seqs]
    return [list(t) for t in tag_seqs]


def parse_labels(spec: str) -> tuple[str, ...]:
    """`"PER,LOC,ORG"` -> ("PER", "LOC", "ORG"); names must be entity types (no spaces, no "-" prefix)."""
    from xner.errors import XnerError

    labels = tuple(dict.fromkeys(part.strip() for part in spec.split(",")))
    bad = [label for label in labels if not label or any(c.isspace() for c in label) or label == "O"]
    if bad or not labels:
        raise XnerError(f"--labels must be entity types separated by commas (e.g. PER,LOC,ORG), not {spec!r}")
    return labels


def keep_labels(tag_seqs: Sequence[Sequence[str]], labels: Sequence[str]) -> list[list[str]]:
    """IOB2 tags (any scheme in) with every entity whose type is not in `labels` turned into O."""
    keep = set(labels)
    return [[t if t == "O" or t[2:] in keep else "O" for t in tags] for tags in to_iob2(tag_seqs)]


def span_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str] | None = None) -> dict:
    """Micro P/R/F1 and per-type P/R/F1/support, all in percent (0-100). With `labels`, other types are O on
    both sides (a reduced label set: neither missed nor false-positive)."""
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    if labels is not None:
        gold, pred = keep_labels(gold, labels), keep_labels(pred, labels)
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")
    y_true, y_pred = to_iob2(gold), to_iob2(pred)
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    per_type = {
        name: {
            "precision": 100 * vals["precision"],
            "recall": 100 * vals["recall"],
            "f1": 100 * vals["f1-score"],
            "support": int(vals["support"]),
        }
        for name, vals in report.items()
        if not name.endswith(" avg")
    }
    return {
        "precision": 100 * precision_score(y_true, y_pred, zero_division=0),
        "recall": 100 * recall_score(y_true, y_pred, zero_division=0),
        "f1": 100 * f1_score(y_true, y_pred, zero_division=0),
        "per_type": per_type,
    }
