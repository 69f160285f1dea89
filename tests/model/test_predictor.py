"""Prediction and raw-text tagging: save -> load identical, empty and very long lines, offsets, scores."""

from __future__ import annotations

import random

import pytest

import xner
from xner.data.conll import Sentence
from xner.metrics import span_scores
from xner.model.predictor import Predictor, fast_span_scores, predict, tokenize


def test_tokenize_offsets():
    text = "Mr. Smith paid $3,500.50 in the U.S. (New-York), didn't he?"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["Mr", ".", "Smith", "paid", "$", "3,500.50", "in", "the", "U.S.", "(",
                                        "New-York", ")", ",", "didn't", "he", "?"]
    assert all(text[t.start : t.end] == t.text for t in tokens)


def test_save_load_identical_predictions(trained_model, en_small):
    model, path = trained_model
    _, dev, _ = en_small
    tokens = [s.tokens for s in dev]
    loaded = xner.load(path)
    assert loaded.predict(tokens) == predict(model, tokens)
    assert loaded.predict(tokens, lang="en") == Predictor(model).predict(tokens)
    assert loaded.evaluate(dev)["f1"] == Predictor(model).evaluate(dev)["f1"]


def test_tag_empty_long_and_offsets(trained_model):
    model, path = trained_model
    tagger = xner.load(path)
    assert tagger.tag("") == [] and tagger.tag("\n\n") == [] and tagger.predict([[]]) == [[]]
    words = ["Germany", "said", "John", "Smith", "of", "Reuters", "in", "London", "."]
    long_tokens = [words[i % len(words)] for i in range(1000)]
    tags = tagger.predict([long_tokens])[0]
    assert len(tags) == 1000
    # The model reads each repetition in its own context; far from the ends, the 9-token pattern
    # must come out the same way in every period, and equal to tagging the pattern inside a shorter line.
    periods = {tuple(tags[i : i + 9]) for i in range(450, 540, 9)}
    assert len(periods) == 1
    text = " ".join(long_tokens[:90])
    spans = tagger.tag("\n" + text + "\n")
    for span in spans:
        assert ("\n" + text)[span["start"] : span["end"]] == span["text"]
    pair = tagger.predict([long_tokens[:9], long_tokens[:9] + ["x"]])
    assert tagger.predict([long_tokens[:9]]) == [pair[0]]  # batching with other sentences changes nothing


def test_unknown_language_is_a_clear_error(trained_model):
    from xner.errors import XnerError

    with pytest.raises(XnerError, match="no word vectors for language 'es'"):
        xner.load(trained_model[1]).predict([["hola"]], lang="es")


def test_fast_span_scores_equal_seqeval_report(en_small):
    _, dev, _ = en_small
    gold = [list(s.tags) for s in dev]
    rng = random.Random(0)
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-MISC", "S-PER", "E-LOC"]
    pred = [[t if rng.random() < 0.7 else rng.choice(tags) for t in g] for g in gold]
    fast, ref = fast_span_scores(gold, pred), span_scores(gold, pred)
    assert fast["f1"] == pytest.approx(ref["f1"], abs=1e-9) and fast["f1"] > 0
    assert fast["precision"] == pytest.approx(ref["precision"]) and fast["recall"] == pytest.approx(ref["recall"])
    assert set(fast["per_type"]) == set(ref["per_type"])
    for typ, scores in ref["per_type"].items():
        assert fast["per_type"][typ] == pytest.approx({k: float(v) for k, v in scores.items()}, abs=1e-9)
    assert fast_span_scores([["O"]], [["O"]])["f1"] == 0.0


def test_oov_breakdown_counts(trained_model, en_small):
    _, dev, _ = en_small
    scores = xner.load(trained_model[1]).evaluate(dev, oov_breakdown=True)["oov"]
    n_entities = sum(t.startswith("B-") for s in dev for t in s.tags)
    assert scores["entities_with_oov"]["entities"] + scores["entities_without_oov"]["entities"] == n_entities
    assert scores["sentences_with_oov"]["sentences"] + scores["sentences_without_oov"]["sentences"] == len(dev)
    assert scores["token_oov_rate"] > 0  # a 5,000-row table misses some dev words
    oov_only = Sentence(("Qwxzzy",), ("B-PER",))
    assert xner.load(trained_model[1]).evaluate([oov_only], oov_breakdown=True)["oov"]["token_oov_rate"] == 100.0
