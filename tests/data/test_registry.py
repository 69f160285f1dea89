"""Dataset registry: the shared data has the sentence counts of the issue; the registry reads any data folder
(the shared one, else the shipped bundle's en/es); missing data gives clear errors."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from xner.data.conll import write_conll
from xner.data.registry import SPLITS, has_split, load_split, load_unlabeled
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


def test_shared_data_is_as_described(shared_data, run_cli):
    """Facts of the shared folder itself (the behaviour behind each runs on shipped data below): the sentence
    counts of every language and split, English's training tokens, the unlabelled Spanish and German text."""
    code, out, _ = run_cli("data", "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    for lang, expected in COUNTS.items():
        got = tuple(stats[lang][s]["sentences"] if s in stats[lang] else None for s in ("train", "dev", "test"))
        assert got == expected, lang
    assert set(stats["en"]["train"]["entities"]) == {"LOC", "MISC", "ORG", "PER"}
    assert stats["en"]["train"]["tokens"] == 203621  # official CoNLL-2003 English training token count
    spanish = load_unlabeled("es")
    assert len(spanish) == 8323 and {t for s in spanish for t in s.tags} == {"O"}
    assert spanish[0].tokens == load_split("es", "train")[0].tokens
    assert not has_split("de", "train")
    with pytest.raises(XnerError, match="no train split"):
        load_split("de", "train")
    german = load_unlabeled("de")
    assert len(german) == 12152
    assert all(set(s.tags) == {"O"} for s in german[:100])


def test_data_stats_cli_json_counts_what_the_files_hold(ner_data, run_cli):
    """On any data folder (the shared one, else the shipped bundle's en/es): the counts are those of the files."""
    from xner.data.tags import count_entities

    code, out, _ = run_cli("data", "stats", "--json", "--data", ner_data, "--lang", "en", "--lang", "es")
    assert code == 0
    stats = json.loads(out)
    assert set(stats) == {"en", "es"}
    for lang in ("en", "es"):
        assert set(stats[lang]) == {s for s in SPLITS if has_split(lang, s, ner_data)} >= {"train", "dev"}
        for split, got in stats[lang].items():
            sents = load_split(lang, split, ner_data)
            entities = Counter(e for s in sents for e in count_entities(s.tags))
            assert got == {"sentences": len(sents), "tokens": sum(len(s.tokens) for s in sents),
                           "entities": dict(sorted(entities.items()))}, (lang, split)
    assert set(stats["en"]["train"]["entities"]) == {"LOC", "MISC", "ORG", "PER"}


def test_a_language_without_train_split_reads_its_unlabelled_text(tmp_path):
    """German's case on shipped files: Spanish test sentences as the only split, the bundle's raw Spanish text
    (one sentence per line) as `unlabeled/es.txt`."""
    from xner.demo import BUNDLE, load_bundle

    bundle = load_bundle()
    write_conll(tmp_path / "ner" / "es" / "test.txt", bundle.target_test[:20])
    (tmp_path / "unlabeled").mkdir()
    (tmp_path / "unlabeled" / "es.txt").write_bytes((BUNDLE / "es.unlabeled.txt").read_bytes())
    assert has_split("es", "test", tmp_path) and not has_split("es", "train", tmp_path)
    with pytest.raises(XnerError, match="no train split"):
        load_split("es", "train", tmp_path)
    raw = load_unlabeled("es", tmp_path)
    assert [s.tokens for s in raw] == [s.tokens for s in bundle.target_unlabeled]
    assert {t for s in raw for t in s.tags} == {"O"}


def test_unlabelled_target_has_no_tags(ner_data, tmp_path):
    """The train split is read token column only: its labels never come back (a labelled file as es/train.txt)."""
    labelled = load_split("es", "test", ner_data)
    assert {t for s in labelled for t in s.tags} != {"O"}
    write_conll(tmp_path / "ner" / "es" / "train.txt", labelled)
    unlabeled = load_unlabeled("es", tmp_path)
    assert len(unlabeled) == len(labelled)
    assert {t for s in unlabeled for t in s.tags} == {"O"}
    assert [s.tokens for s in unlabeled] == [s.tokens for s in labelled]


def test_missing_data_folder(tmp_path, monkeypatch, run_cli):
    monkeypatch.setenv("XNER_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(XnerError, match="no data folder"):
        load_split("en", "train")
    code, _, err = run_cli("data", "stats")
    assert code == 2 and err.startswith("xner: error: no data folder") and err.count("\n") == 1


def test_unknown_split(ner_data):
    with pytest.raises(XnerError, match="unknown split"):
        load_split("en", "validation", ner_data)


def test_unknown_language_in_stats(ner_data, run_cli):
    code, out, err = run_cli("data", "stats", "--data", ner_data, "--lang", "xx")
    assert code == 2 and out == ""
    assert err.startswith("xner: error: ") and "no NER data for language 'xx'" in err and err.count("\n") == 1
