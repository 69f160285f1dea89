"""CoNLL span F1 (seqeval): perfect on gold, hand-computed on a wrong boundary, IOBES predictions accepted."""

from __future__ import annotations

import pytest

from xner.data.registry import load_split
from xner.data.tags import convert
from xner.metrics import span_scores

GOLD = [
    ["B-PER", "I-PER", "O", "B-LOC", "O"],
    ["B-ORG", "I-ORG", "I-ORG", "O", "B-MISC"],
]


def test_gold_against_itself_is_100():
    scores = span_scores(GOLD, GOLD)
    assert scores["precision"] == scores["recall"] == scores["f1"] == 100.0
    assert {k: v["support"] for k, v in scores["per_type"].items()} == {"PER": 1, "LOC": 1, "ORG": 1, "MISC": 1}


def test_real_dev_against_itself_is_100(ner_data):
    tags = [list(s.tags) for s in load_split("es", "dev", ner_data)]
    scores = span_scores(tags, tags)
    assert scores["f1"] == pytest.approx(100.0)
    assert set(scores["per_type"]) == {"LOC", "MISC", "ORG", "PER"}


def test_one_wrong_boundary_by_hand():
    # The ORG span ends one token early: 4 gold entities, 4 predicted, 3 correct.
    # P = 3/4, R = 3/4, F1 = 75. Per type: ORG 0/1 -> 0, the others 100.
    pred = [
        ["B-PER", "I-PER", "O", "B-LOC", "O"],
        ["B-ORG", "I-ORG", "O", "O", "B-MISC"],
    ]
    scores = span_scores(GOLD, pred)
    assert scores["precision"] == pytest.approx(75.0)
    assert scores["recall"] == pytest.approx(75.0)
    assert scores["f1"] == pytest.approx(75.0)
    assert scores["per_type"]["ORG"]["f1"] == 0.0
    assert scores["per_type"]["PER"]["f1"] == 100.0


def test_boundary_error_plus_missed_entity_by_hand():
    # PER span too long (wrong) and MISC missed: 4 gold, 3 predicted, 2 correct.
    # P = 2/3, R = 2/4, F1 = 2PR/(P+R) = 2 * (2/3) * (1/2) / (7/6) = 4/7.
    pred = [
        ["B-PER", "I-PER", "I-PER", "B-LOC", "O"],
        ["B-ORG", "I-ORG", "I-ORG", "O", "O"],
    ]
    scores = span_scores(GOLD, pred)
    assert scores["precision"] == pytest.approx(200 / 3)
    assert scores["recall"] == pytest.approx(50.0)
    assert scores["f1"] == pytest.approx(400 / 7)


def test_iobes_predictions_are_accepted():
    iobes = [convert(t, "IOB2", "IOBES") for t in GOLD]
    assert iobes[0] == ["B-PER", "E-PER", "O", "S-LOC", "O"]
    assert span_scores(GOLD, iobes)["f1"] == 100.0
    wrong = [["B-PER", "E-PER", "O", "S-LOC", "O"], ["B-ORG", "E-ORG", "O", "O", "S-MISC"]]
    assert span_scores(GOLD, wrong)["f1"] == pytest.approx(75.0)


def test_invalid_iobes_prediction_read_like_conlleval():
    # A stray I-/E- without B- starts an entity, as conlleval reads it: E-LOC alone = one-token LOC.
    pred = [["B-PER", "E-PER", "O", "E-LOC", "O"], ["B-ORG", "I-ORG", "E-ORG", "O", "S-MISC"]]
    assert span_scores(GOLD, pred)["f1"] == 100.0


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        span_scores(GOLD, GOLD[:1])
    with pytest.raises(ValueError):
        span_scores(GOLD, [GOLD[0], GOLD[1][:-1]])
