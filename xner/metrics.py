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


def span_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Micro P/R/F1 and per-type P/R/F1/support, all in percent (0-100)."""
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

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
