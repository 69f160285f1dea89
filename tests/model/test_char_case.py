"""The case-robust char encoder (`TaggerConfig.char_case="feature"`, issue 18): lower-cased characters plus a
droppable case-pattern embedding; the default stays the paper's encoder, bit for bit and on disk."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from tests.model.conftest import build
from xner.errors import XnerError
from xner.model.char_encoder import (
    LOWER,
    MIXED,
    NO_CASE,
    TITLE,
    UNKNOWN_CASE,
    UPPER,
    CaseCharEncoder,
    CaseTable,
    CharEncoder,
    CharFeatureCache,
    build_char_encoder,
    case_patterns,
    char_ids,
)
from xner.model.config import TaggerConfig, TrainConfig
from xner.model.persistence import load_model, save_tagger
from xner.model.predictor import predict
from xner.model.vocab import CharVocab
from xner.training.trainer import train

WORDS = ["Berlin", "berlin", "BERLIN", "Straße", "STRASSE", "iPhone", "1996", "A", "(Paris", "EU-Kommission", "--"]
VOCAB = CharVocab.build(WORDS + ["straße"])


def encoder(**config) -> CaseCharEncoder:
    torch.manual_seed(0)
    enc = build_char_encoder(TaggerConfig(char_case="feature", **config), VOCAB)
    assert isinstance(enc, CaseCharEncoder)
    return enc


def test_case_patterns_of_words():
    chars, _ = char_ids(VOCAB, WORDS)
    got = case_patterns(torch.from_numpy(CaseTable(VOCAB).kind)[chars]).tolist()
    assert got == [TITLE, LOWER, UPPER, TITLE, UPPER, MIXED, NO_CASE, TITLE, TITLE, MIXED, NO_CASE]


def test_characters_are_read_lower_cased_and_dim_grows():
    enc = encoder(case_dim=3).eval()
    with torch.no_grad():
        out = enc.encode_words(VOCAB, ["Berlin", "berlin", "BERLIN"])
    assert out.shape == (3, 50 + 3) and enc.output_dim == 53
    assert torch.equal(out[0, :50], out[1, :50]) and torch.equal(out[1, :50], out[2, :50])  # the BiLSTM part
    assert not torch.equal(out[0, 50:], out[1, 50:])  # the case part tells them apart (p = 0.5, expected)


def test_case_dropout_one_makes_the_feature_case_blind_and_training_drops_per_type():
    enc = encoder(case_dropout=1.0).eval()
    with torch.no_grad():
        out = enc.encode_words(VOCAB, ["Berlin", "berlin", "BERLIN", "bErLiN"])
    assert all(torch.equal(out[0], row) for row in out[1:])
    enc = encoder(case_dropout=0.5).train()
    torch.manual_seed(3)
    chars, lengths = char_ids(VOCAB, ["Berlin"] * 400)
    case = enc(chars, lengths)[:, 50:]  # (400, case_dim)
    unknown = (case == enc.case_embedding.weight[UNKNOWN_CASE]).all(1)
    assert 150 < int(unknown.sum()) < 250  # about half of the types lose their case, the rest keep Title
    assert (case[~unknown] == enc.case_embedding.weight[TITLE]).all()
    unknown_only = encoder(case_inference="unknown").eval()
    with torch.no_grad():
        assert torch.equal(*unknown_only.encode_words(VOCAB, ["Berlin", "berlin"]))


def test_tagger_predictions_do_not_depend_on_case_with_dropout_one(en_small):
    """Words whose only table row is the lower-cased one: the word vector is the same whatever the case, so with
    case dropout 1.0 nothing in the model sees the case."""
    _, dev, table = en_small
    model = build(en_small, char_case="feature", case_dropout=1.0).eval()
    lower = [w for w in table.words[:3000] if w.isalpha() and w.islower()
             and w.title() not in table.index and w.upper() not in table.index][:40]
    sents = [lower[i : i + 8] for i in range(0, 40, 8)]
    variants = [sents, [[w.title() for w in s] for s in sents], [[w.upper() for w in s] for s in sents]]
    with torch.no_grad():
        scores = [model.emissions(model.features(_batch(model, v))) for v in variants]
    assert torch.equal(scores[0], scores[1]) and torch.equal(scores[0], scores[2])
    plain = build(en_small, char_case="feature", case_dropout=0.0).eval()
    with torch.no_grad():
        a, b = (plain.emissions(plain.features(_batch(plain, v))) for v in variants[:2])
    assert not torch.allclose(a, b)  # the case feature is seen when it is never dropped


def _batch(model, token_lists):
    from xner.model.batching import inference_batch

    return inference_batch(token_lists, "en", model.vocab)


def test_option_off_is_the_papers_encoder_with_unchanged_names():
    torch.manual_seed(0)
    old = CharEncoder(len(VOCAB), 25, 25)
    torch.manual_seed(0)
    new = build_char_encoder(TaggerConfig(), VOCAB)
    assert type(new) is CharEncoder and new.output_dim == 50
    assert list(new.state_dict()) == list(old.state_dict())
    chars, lengths = char_ids(VOCAB, WORDS)
    assert torch.equal(old(chars, lengths), new(chars, lengths))
    feature = encoder()
    assert set(feature.state_dict()) == set(old.state_dict()) | {"case_embedding.weight"}  # buffers are not saved


def test_cache_follows_the_case_settings():
    enc = encoder().eval()
    cache = CharFeatureCache()
    with torch.no_grad():
        first = cache.features(enc, VOCAB, WORDS)
        assert torch.equal(first, enc.encode_words(VOCAB, WORDS))
        enc.case_inference = "unknown"  # same parameters, other output: the cache must not answer from before
        again = cache.features(enc, VOCAB, WORDS)
        assert torch.equal(again, enc.encode_words(VOCAB, WORDS)) and not torch.equal(again, first)


def test_case_model_trains_saves_and_loads_identically(en_small, tmp_path):
    train_s, dev, _ = en_small
    model = build(en_small, char_case="feature", case_dim=4, case_dropout=0.3)
    assert model.word_encoder.lstm.forward_lstm.input_size == 300 + 50 + 4  # read from the encoder
    train(model, train_s[:64], TrainConfig(epochs=1, eval_every=0, num_threads=1), tmp_path / "run",
          {"dev": (dev[:20], "en")}, show_progress=False, save_best=False)
    save_tagger(model, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded.config == model.config and loaded.config.char_case == "feature"
    tokens = [s.tokens for s in dev]
    model.eval()
    assert predict(loaded, tokens) == predict(model, tokens)


def test_old_folder_without_the_fields_loads_as_the_plain_encoder(trained_model, tmp_path):
    model, folder = trained_model
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    config = json.loads((old / "config.json").read_text())
    for name in ("char_case", "case_dim", "case_dropout", "case_inference"):
        config["tagger"].pop(name)
    (old / "config.json").write_text(json.dumps(config))
    loaded = load_model(old)
    assert loaded.config.char_case == "plain" and type(loaded.char_encoder) is CharEncoder
    tokens = [["Peter", "Blackburn", "visited", "Berlin", "."], ["EU", "rejects", "German", "call"]]
    assert predict(loaded, tokens) == predict(load_model(folder), tokens)


def test_bad_case_settings_are_config_errors():
    with pytest.raises(XnerError, match="char_case"):
        TaggerConfig(char_case="lower")
    with pytest.raises(XnerError, match="case_dropout"):
        TaggerConfig(case_dropout=1.5)
    with pytest.raises(XnerError, match="never trained"):
        TaggerConfig(char_case="feature", case_dropout=0.0, case_inference="unknown")


def test_cache_filled_under_inference_mode_serves_no_grad_calls():
    """Training evaluates under `torch.inference_mode`; a later `no_grad` prediction adds its new words to the
    same cache (this used to fail: rows made in inference mode are read-only outside it)."""
    enc = CharEncoder(len(VOCAB), 25, 25).eval()
    cache = CharFeatureCache()
    with torch.inference_mode():
        cache.features(enc, VOCAB, WORDS[:3])
    with torch.no_grad():
        got = cache.features(enc, VOCAB, WORDS)
        assert torch.equal(got, enc.encode_words(VOCAB, WORDS))
