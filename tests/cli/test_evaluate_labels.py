"""Issue 19 item 9: `xner evaluate --labels PER,LOC,ORG` scores a reduced label set and says which."""

from __future__ import annotations

import json

import pytest

from xner.metrics import keep_labels, span_scores


def test_keep_labels_maps_other_types_to_o_in_any_scheme():
    assert keep_labels([["B-PER", "I-PER", "S-MISC", "O", "B-LOC", "E-LOC"]], ["PER", "LOC"]) == [
        ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"]]
    assert keep_labels([["I-MISC", "I-ORG"]], ["ORG"]) == [["O", "B-ORG"]]  # IOB1 in, IOB2 out


def test_a_missing_type_is_neither_missed_nor_false_positive():
    gold = [["B-PER", "O", "B-LOC"]]
    pred = [["B-PER", "B-MISC", "B-LOC"]]
    assert span_scores(gold, pred)["precision"] == pytest.approx(200 / 3)
    reduced = span_scores(gold, pred, labels=["PER", "LOC", "ORG"])
    assert reduced["precision"] == reduced["recall"] == 100 and "MISC" not in reduced["per_type"]


def test_evaluate_labels_through_the_cli(tiny, tmp_path, run_cli):
    import xner
    from xner.data.conll import read_conll

    no_misc = tmp_path / "no-misc.conll"
    no_misc.write_text(tiny["dev"].read_text(encoding="utf-8").replace("B-MISC", "O"), encoding="utf-8")
    code, out, err = run_cli("evaluate", tiny["model"], no_misc, "--json", "--lang", "en", "--labels", "PER,LOC,ORG")
    assert code == 0, err
    result = json.loads(out)
    assert result["labels"] == ["PER", "LOC", "ORG"] and set(result["per_type"]) <= {"PER", "LOC", "ORG"}
    sentences = read_conll(no_misc)
    pred = xner.load(tiny["model"]).predict([s.tokens for s in sentences], "en")
    expected = span_scores([s.tags for s in sentences], pred, labels=["PER", "LOC", "ORG"])
    for key in ("precision", "recall", "f1"):
        assert result[key] == pytest.approx(expected[key])
    code, out, _ = run_cli("evaluate", tiny["model"], no_misc, "--lang", "en", "--labels", "PER,LOC,ORG")
    assert code == 0 and "label set: PER, LOC, ORG (--labels; other types scored as O)" in out
    code, out, _ = run_cli("evaluate", tiny["model"], no_misc, "--lang", "en")
    assert code == 0 and "label set: " in out and "every type" in out


@pytest.mark.parametrize("labels, needle", [
    ("PER,LCO", "--labels names LCO, a type of neither the model nor the data"),
    (",", "--labels must be entity types separated by commas"),
    ("PER,O", "--labels must be entity types"),
])
def test_bad_labels(tiny, run_cli, one_line_error, labels, needle):
    code, _, err = run_cli("evaluate", tiny["model"], tiny["dev"], "--lang", "en", "--labels", labels)
    one_line_error(code, err, needle)
