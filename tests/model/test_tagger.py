"""Architecture checks: Table 4 parameter counts, shared weights, no-char model, seeded determinism."""

from __future__ import annotations

import torch

from tests.model.conftest import build
from xner.data.conll import Sentence
from xner.embeddings import EmbeddingTable
from xner.model.batching import make_batch
from xner.model.config import TaggerConfig, TrainConfig
from xner.model.predictor import evaluate, predict
from xner.model.tagger import Tagger, count_parameters
from xner.training.trainer import train
from xner.model.vocab import CharVocab, TaggerVocab, build_word_matrix


def paper_sized_model(**config) -> Tagger:
    """en-es-like model: 99 characters (incl. padding/unknown), 17 IOBES tags, 300-d vectors, no start/end scores."""
    import numpy as np

    train = [Sentence(("a",), ("B-PER",)), Sentence(("b",), ("B-LOC",)), Sentence(("c",), ("B-ORG",)),
             Sentence(("d",), ("B-MISC",))]
    _, matrix = build_word_matrix({"en": EmbeddingTable(["a"], np.zeros((1, 300), np.float32))})
    vocab, _ = TaggerVocab.build({"en": EmbeddingTable(["a"], np.zeros((1, 300), np.float32))}, train, "IOBES")
    vocab.chars = CharVocab([chr(0x100 + i) for i in range(97)])
    return Tagger(TaggerConfig(crf_boundary=False, **config), vocab, matrix)


def test_parameter_counts_match_paper_table4():
    # Paper Table 4 (parameters excluding word embeddings). PyTorch keeps two bias vectors per LSTM
    # (bias_ih + bias_hh act only as their sum); the paper's counts have one.
    assert count_parameters(paper_sized_model(), merge_lstm_biases=True) == 395_581  # Cross-Word
    assert count_parameters(paper_sized_model(use_char=False), merge_lstm_biases=True) == 342_906  # no char
    assert count_parameters(paper_sized_model(shared_weights=True), merge_lstm_biases=True) == 210_081  # Cross-Shared


def test_shared_weights_fewer_parameters_and_different_outputs(en_small):
    train, _, _ = en_small
    unshared, shared = build(en_small), build(en_small, shared_weights=True)
    lstm = lambda m: sum(p.numel() for n, p in m.named_parameters() if "lstm" in n)  # noqa: E731
    assert lstm(shared) * 2 == lstm(unshared)
    assert count_parameters(shared) < 0.55 * count_parameters(unshared)
    batch = make_batch(train[:8], "en", unshared.vocab)
    unshared.eval(), shared.eval()
    with torch.no_grad():
        f_u, f_s = unshared.features(batch), shared.features(batch)
    assert f_u.shape == f_s.shape == (8, batch.mask.shape[1], 200)
    assert not torch.allclose(f_u, f_s)
    assert torch.isfinite(shared.loss(batch))


def test_no_char_model_trains(en_small, tmp_path):
    train_s, dev, _ = en_small
    model = build(en_small, use_char=False)
    assert model.char_encoder is None
    result = train(model, train_s[:64], TrainConfig(epochs=1, eval_every=0, num_threads=1), tmp_path,
                   {"dev": (dev[:20], "en")}, show_progress=False)
    assert result.steps == 4 and "dev" in result.best
    assert (tmp_path / "best-dev" / "model.safetensors").is_file()


def test_same_seed_same_predictions_and_f1(en_small, tmp_path):
    train_s, dev, _ = en_small
    runs = []
    for i in range(2):
        model = build(en_small, seed=3)
        train(model, train_s, TrainConfig(epochs=1, eval_every=0, seed=3, num_threads=1), tmp_path / str(i),
              {"dev": (dev, "en")}, show_progress=False, save_best=False)
        runs.append((predict(model, [s.tokens for s in dev]), evaluate(model, dev)["f1"],
                     [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))
    other = build(en_small, seed=4)
    assert not torch.equal(other.scorer.output.weight, build(en_small, seed=3).scorer.output.weight)


def test_finetuned_embeddings_update_only_seen_rows(en_small, tmp_path):
    import torch

    from xner.training.loop import clip_gradients

    train_s, _, _ = en_small
    model = build(en_small, finetune_embeddings=True)
    before = model.word_embedding.weight.detach().clone()
    train(model, train_s[:32], TrainConfig(epochs=1, eval_every=0, num_threads=1), tmp_path, {}, show_progress=False)
    changed = (model.word_embedding.weight != before).any(1)
    seen = set(model.vocab.words.rows([w for s in train_s[:32] for w in s.tokens], "en").tolist())
    assert changed.any() and set(torch.nonzero(changed)[:, 0].tolist()) <= seen
    # the sparse-aware clipping matches torch's on dense gradients
    ps = [torch.nn.Parameter(torch.randn(4, 3)) for _ in range(2)]
    qs = [torch.nn.Parameter(p.detach().clone()) for p in ps]
    for p, q in zip(ps, qs):
        p.grad = torch.randn_like(p) * 10
        q.grad = p.grad.clone()
    assert torch.allclose(clip_gradients(ps, 5.0), torch.nn.utils.clip_grad_norm_(qs, 5.0))
    assert all(torch.allclose(p.grad, q.grad) for p, q in zip(ps, qs))
