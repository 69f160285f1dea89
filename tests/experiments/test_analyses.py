"""The analyses behind committed results: their numbers on hand-checked inputs, and their Markdown re-rendered from
the committed JSON unchanged (`xner analyse ... --from-json`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xner.experiments.analyses import capitalisation, pseudo_labels, translation

RESULTS = Path(__file__).resolve().parents[2] / "results"


def test_pseudo_label_scores_by_length_bucket():
    gold = [["B-PER", "O"], ["O"] * 7, ["B-LOC", "I-LOC", "O", "O", "O", "O", "O", "O"]]
    pred = [["B-PER", "O"], ["O"] * 7, ["B-PER", "I-PER", "O", "O", "O", "O", "O", "O"]]
    out = pseudo_labels.analyse(gold, pred, max_len=250)
    by = {b["bucket"]: b for b in out["buckets"]}
    assert by["1-5"]["f1"] == 100.0 and by["1-5"]["all_correct_pct"] == 100.0
    assert by["6-10"]["sentences"] == 2 and by["6-10"]["f1"] == 0.0 and by["6-10"]["all_correct_pct"] == 50.0
    assert by["6-10"]["token_accuracy_pct"] == round(100 * 13 / 15, 2) and by["11-20"] == {"bucket": "11-20", "sentences": 0}
    assert out["all"]["f1"] == 50.0 and (out["length_min"], out["length_max"]) == (2, 8)
    # l ~ U(2, 8): a draw keeps the sentences with <= l tokens (1/3 for l < 7, 2/3 for l = 7, all for l = 8)
    assert out["expected_kept_share_pct"] == round(100 * (5 / 3 + 2 / 3 + 1) / 7, 2)


def test_confidence_rules_report_kept_share_and_pseudo_label_precision():
    import numpy as np

    gold = [["B-PER", "O"], ["B-LOC", "O", "O"], ["O", "O"]]
    pred = [["B-PER", "O"], ["B-ORG", "O", "O"], ["O", "B-MISC"]]
    conf = [np.array([0.95, 0.99]), np.array([0.6, 0.99, 0.99]), np.array([0.99, 0.55])]
    rows = {(r["rule"], r["threshold"]): r for r in pseudo_labels.analyse_rules(
        gold, pred, conf, (("sentence-min", 0.9), ("sentence-min", 0.5), ("entity-min", 0.9)))}
    assert rows[("sentence-min", 0.9)]["kept_pct"] == round(100 / 3, 2)
    assert rows[("sentence-min", 0.9)]["precision"] == 100.0  # the wrong entities were the unsure ones
    assert rows[("sentence-min", 0.5)]["precision"] == round(100 / 3, 2) and rows[("sentence-min", 0.5)]["kept_pct"] == 100.0
    assert rows[("entity-min", 0.9)]["sentences"] == 1


def test_capitalised_non_initial_tokens_and_false_alarms():
    tokens = [["Der", "Hund", "sieht", "Berlin"], ["Ein", "Haus"]]
    gold = [["O", "O", "O", "B-LOC"], ["O", "O"]]
    pred = [["O", "B-ORG", "O", "B-LOC"], ["B-MISC", "O"]]
    assert capitalisation.case_stats(tokens, gold) == {"capitalised_non_initial": 3, "in_gold_entity_pct": 33.33}
    stats = capitalisation.case_stats(tokens, gold, pred)
    assert stats == {"gold_o": 2, "tagged_as_entity_pct": 50.0, "false_positive_tokens": 2,
                     "capitalised_share_of_false_positives_pct": 50.0}


def test_translation_coverage_and_outcomes_on_a_hand_checked_toy():
    from xner.data.conll import Sentence

    english = [Sentence(("John", "lives", "in", "Paris", "."), ("B-PER", "O", "O", "B-LOC", "O"))]
    table = {"lives": "asuu", "in": "in", "Paris": "Pariisi"}  # "John" and "." copied
    assert translation.outcomes(english, table) == {"entity": {"translated": 50.0, "identical": 0.0, "copied": 50.0},
                                                    "O": {"translated": 33.3, "identical": 33.3,
                                                          "copied": 33.3}}
    translated = ["John", "asuu", "in", "Pariisi", "."]
    test = [Sentence(("Pariisissa", "asuu", "John", "2"), ("B-LOC", "O", "B-PER", "O"))]  # "2" has no letter
    assert translation.coverage(translated, test) == {"O_tokens_seen_pct": 100.0, "entity_tokens_seen_pct": 50.0,
                                                      "O_tokens": 1, "entity_tokens": 2}


@pytest.mark.parametrize("command, prefix", [
    ("translation", "translation_coverage"),
    ("pseudo-labels", "pseudo_labels"),
    ("pseudo-labels", "supplementary/full/pseudo_labels"),
    ("capitalisation", "supplementary/full/capitalisation"),
])
def test_committed_markdown_rerenders_unchanged_from_its_json(command, prefix, tmp_path, run_cli):
    shutil.copy(RESULTS / f"{prefix}.json", tmp_path / "a.json")
    code, _, err = run_cli("analyse", command, "--from-json", "--out", tmp_path / "a")
    assert code == 0, err
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == (RESULTS / f"{prefix}.md").read_text(encoding="utf-8")


def test_from_json_without_the_json_is_one_line_error(tmp_path, run_cli):
    code, _, err = run_cli("analyse", "capitalisation", "--from-json", "--out", tmp_path / "none")
    assert code == 2 and err.startswith("xner: error: ") and err.count("\n") == 1 and "none.json" in err
    assert not list(tmp_path.iterdir())


def test_analyses_name_missing_models_instead_of_training(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no results/ here
    code, _, err = run_cli("analyse", "pseudo-labels", "--lang", "es", "--out", tmp_path / "pl")
    assert code == 2 and "no complete result for es/cross-word-nochar+supmap/seed1" in err
    assert "xner experiment run --budget e1-a2-u2000" in err and not list(tmp_path.iterdir())


def test_subword_table_rerenders_unchanged_from_its_committed_inputs(tmp_path):
    from xner.experiments.analyses import subwords

    root = Path(__file__).resolve().parents[2] / "results"
    shutil.copytree(root / "subword", tmp_path / "subword")
    written = subwords.render(tmp_path / "subword")
    assert [p.name for p in written] == ["subword.md", "subword.json"]
    assert (tmp_path / "subword.md").read_text(encoding="utf-8") == (root / "subword.md").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "subword.json").read_text(encoding="utf-8")) == \
        json.loads((root / "subword.json").read_text(encoding="utf-8"))
