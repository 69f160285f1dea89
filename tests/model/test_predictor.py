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


def test_fast_path_gives_the_old_paths_tags_on_real_data(trained_model, en_small):
    """Cached per-type gate inputs and char features, the numpy recurrence and scorer, numpy Viterbi and
    the IOB2 table change no tag (batch 1 and 64, cold and warm caches), and the caches really are used:
    each word type is computed once, the second pass computes none."""
    model, _ = trained_model
    train, dev, _ = en_small
    tokens = [list(s.tokens) for s in dev] + [list(s.tokens) for s in train[:100]]
    n_types = len({w for t in tokens for w in t})
    for batch_size in (1, 64):
        old = Predictor(model, batch_size, fast=False).predict(tokens)
        model.char_cache.clear()
        model.gate_caches.clear()
        model.char_cache.misses = 0
        new = Predictor(model, batch_size)
        cold = new.predict(tokens)
        gates = model.gate_caches["en"]
        assert gates.misses == n_types  # each type computed once
        warm = new.predict(tokens)
        assert gates.misses == n_types
        assert cold == old and warm == old


@pytest.mark.parametrize("config", [{"shared_weights": True}, {"use_char": False}, {"dense_dim": 0}])
def test_fast_path_other_architectures(en_small, config):
    """The fast path on the other architectures (one LSTM both ways, no char LSTM, no dense layer) gives
    the old path's tags; untrained models, whose near-uniform scores make ties likelier than a trained one's."""
    from tests.model.conftest import build

    model = build(en_small, **config).eval()
    train, dev, _ = en_small
    tokens = [list(s.tokens) for s in dev]
    for batch_size in (1, 64):
        assert Predictor(model, batch_size).predict(tokens) == Predictor(model, batch_size, fast=False).predict(tokens)



def test_char_cache_features_equal_the_encoder_and_follow_weight_changes(trained_model):
    import torch

    model, _ = trained_model
    model.eval()
    words = ["Germany", "said", "John", "Smith", "of", "Reuters", "in", "London", "."]
    vocab, encoder, cache = model.vocab.chars, model.char_encoder, model.char_cache
    with torch.no_grad():
        cache.features(encoder, vocab, words[:4])  # some cached, some not
        assert torch.allclose(cache.features(encoder, vocab, words), encoder.encode_words(vocab, words), atol=1e-6)
        saved = encoder.state_dict()
        saved = {k: v.clone() for k, v in saved.items()}
        encoder.lstm.forward_lstm.weight_hh_l0.add_(0.5)  # an in-place update, as an optimiser step does
        changed = cache.features(encoder, vocab, words)
        assert len(cache) == len(words)  # the old rows were dropped
        assert torch.allclose(changed, encoder.encode_words(vocab, words), atol=1e-6)
        encoder.load_state_dict(saved)
        assert torch.allclose(cache.features(encoder, vocab, words), encoder.encode_words(vocab, words), atol=1e-6)


def test_char_cache_is_bounded_and_unused_while_training(trained_model, en_small):
    import torch

    from xner.model.batching import make_batch
    from xner.model.char_encoder import CharFeatureCache

    model, _ = trained_model
    encoder, vocab = model.char_encoder, model.vocab.chars
    cache = CharFeatureCache(capacity=3)
    with torch.no_grad():
        cache.features(encoder, vocab, ["a", "b"])
        cache.features(encoder, vocab, ["c", "a"])  # "a" is now the most recent
        out = cache.features(encoder, vocab, ["d"])  # evicts "b", the least recently used
        assert len(cache) == 3 and cache.misses == 4
        assert torch.allclose(out, encoder.encode_words(vocab, ["d"]), atol=1e-6)
        cache.features(encoder, vocab, ["a", "c"])
        assert cache.misses == 4  # both still held
        cache.features(encoder, vocab, ["w", "x", "y", "z"])  # more than the capacity: computed, not stored
        assert cache.misses == 8 and len(cache) == 3
    model.train()
    hits, misses = model.char_cache.hits, model.char_cache.misses
    model.loss(make_batch(en_small[0][:4], "en", model.vocab)).backward()  # training: the char BiLSTM runs
    assert (model.char_cache.hits, model.char_cache.misses) == (hits, misses)
    model.zero_grad(set_to_none=True)
    model.eval()


def test_iob2_table_equals_the_scheme_conversion():
    from xner.model.predictor import ids_to_iob2
    from xner.model.vocab import TagVocab

    rng = random.Random(0)
    for scheme, prefixes in (("IOBES", "BIES"), ("IOB2", "BI")):
        tags = TagVocab(["O"] + [f"{p}-{t}" for t in ("LOC", "PER") for p in prefixes], scheme)
        paths = [[rng.randrange(len(tags)) for _ in range(rng.randrange(0, 12))] for _ in range(500)]
        assert ids_to_iob2(tags, paths) == [tags.decode_iob2(p) for p in paths]


@pytest.mark.parametrize("shared", [False, True])
def test_numpy_recurrence_matches_the_torch_bilstm(shared):
    """`recurrence_numpy` on `recurrence_weights` pre-activations gives `BiLSTM`'s outputs on real positions
    (padded batch of unequal lengths, and one unpadded sequence), within float32 rounding."""
    import numpy as np
    import torch

    from xner.model.sequence import BiLSTM, recurrence_numpy

    torch.manual_seed(0)
    lstm = BiLSTM(7, 5, shared).eval()
    for lengths in ([6, 3, 1, 6, 2], [4]):
        x = torch.randn(len(lengths), max(lengths), 7)
        lengths_t = torch.tensor(lengths)
        with torch.no_grad():
            ref, _ = lstm(x, lengths_t)  # (B, T, 2H)
            w_ih, bias, w_hh = lstm.recurrence_weights()
            pre = (x @ w_ih.t() + bias).numpy()  # (B, T, 8H)
        steps = np.stack([pre[:, :, :20].transpose(1, 0, 2), pre[:, ::-1, 20:].transpose(1, 0, 2)], axis=1)
        out = recurrence_numpy(np.ascontiguousarray(steps), np.array(lengths), w_hh.numpy()).transpose(1, 0, 2)
        for b, n in enumerate(lengths):
            np.testing.assert_allclose(out[b, :n], ref[b, :n].numpy(), atol=1e-6)


def test_fast_path_falls_back_to_a_char_encoder_that_computes_something_else(en_small):
    """The numpy char features are checked against `CharEncoder.encode_words` once per weights version: a char
    encoder whose output differs (here: doubled) is used as it is, and the tags stay the old path's."""
    from tests.model.conftest import build

    model = build(en_small).eval()
    forward = model.char_encoder.forward
    model.char_encoder.forward = lambda chars, lengths: 2.0 * forward(chars, lengths)
    tokens = [list(s.tokens) for s in en_small[1]]
    new = Predictor(model, 64).predict(tokens)
    assert model.__dict__["_gate_inputs"]._char_tables is None  # the check failed: reference features from then on
    assert new == Predictor(model, 64, fast=False).predict(tokens)


def test_get_entities_is_seqevals():
    """`predictor.get_entities` gives seqeval's chunks on random sequences of well-formed, malformed and odd tags."""
    from seqeval.metrics.sequence_labeling import get_entities as seqeval_entities

    from xner.model.predictor import get_entities

    rng = random.Random(3)
    tags = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "I-MISC", "B", "I", "E", "S",
            ".", "O-PER", "B-A-B", "I-"]
    for _ in range(3000):
        seq = [rng.choice(tags) if rng.random() < 0.6 else "O" for _ in range(rng.randrange(0, 15))]
        assert get_entities(seq) == seqeval_entities(seq), seq


def test_fast_path_cache_filled_in_inference_mode_serves_later_calls(trained_model):
    """Training evaluates under torch.inference_mode; the per-type cache filled there must still take new
    words in a later call under no_grad (an inference tensor cannot be updated in place outside that mode)."""
    import torch

    model, _ = trained_model
    model.gate_caches.clear()
    with torch.inference_mode():
        first = predict(model, [["Germany", "said"]])
    with torch.no_grad():
        later = predict(model, [["John", "Smith", "said"], ["Germany", "said"]])
    assert later[1] == first[0] and later == predict(model, [["John", "Smith", "said"], ["Germany", "said"]], fast=False)
