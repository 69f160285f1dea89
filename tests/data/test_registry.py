"""Dataset registry: the shared data has the sentence counts of the issue; missing data gives clear errors."""

from __future__ import annotations

import json

import pytest

from xner.data.registry import has_split, load_split, load_unlabeled
from xner.errors import XnerError

# (train, dev, test) sentences; from the issue (Table 1 of the paper for en/es/ar/fi; nl keeps -DOCSTART- blocks).
COUNTS = {
    "en": (14041, 3250, 3453),
    "es": (8323, 1915, 1517),
    "nl": (15806, 2895, 5195),
    "de": (None, 2867, 3005),
    "ar": (2166, 267, 254),
    "fi": (13497, 986, 3512),
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_en_es_sentence_counts(shared_data, lang):
    assert tuple(len(load_split(lang, s)) for s in ("train", "dev", "test")) == COUNTS[lang]


def test_data_stats_cli_json(shared_data, run_cli):
    code, out, _ = run_cli("data", "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    for lang, expected in COUNTS.items():
        got = tuple(stats[lang][s]["sentences"] if s in stats[lang] else None for s in ("train", "dev", "test"))
        assert got == expected, lang
    assert set(stats["en"]["train"]["entities"]) == {"LOC", "MISC", "ORG", "PER"}
    assert stats["en"]["train"]["tokens"] == 203621  # official CoNLL-2003 English training token count


def test_german_has_no_train_split_but_unlabelled_text(shared_data):
    assert not has_split("de", "train")
    with pytest.raises(XnerError, match="no train split"):
        load_split("de", "train")
    german = load_unlabeled("de")
    assert len(german) == 12152
    assert all(set(s.tags) == {"O"} for s in german[:100])


def test_unlabelled_target_has_no_tags(shared_data):
    unlabeled = load_unlabeled("es")
    assert len(unlabeled) == 8323
    assert {t for s in unlabeled for t in s.tags} == {"O"}
    assert unlabeled[0].tokens == load_split("es", "train")[0].tokens


def test_missing_data_folder(tmp_path, monkeypatch, run_cli):
    monkeypatch.setenv("XNER_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(XnerError, match="no data folder"):
        load_split("en", "train")
    code, _, err = run_cli("data", "stats")
    assert code == 2 and err.startswith("xner: error: no data folder") and err.count("\n") == 1


def test_unknown_split(shared_data):
    with pytest.raises(XnerError, match="unknown split"):
        load_split("en", "validation")


def test_unknown_language_in_stats(shared_data, run_cli):
    code, out, err = run_cli("data", "stats", "--lang", "xx")
    assert code == 2 and out == ""
    assert err.startswith("xner: error: ") and "no NER data for language 'xx'" in err and err.count("\n") == 1
