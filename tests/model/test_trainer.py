"""Training loop: an interrupted run resumed from its checkpoint ends with the same weights as an
uninterrupted one; metrics.jsonl, best checkpoints and the lr schedule."""

from __future__ import annotations

import json

import pytest
import torch

from tests.model.conftest import build
from xner.errors import XnerError
from xner.model.config import TrainConfig
from xner.model.persistence import load_tagger
from xner.training.trainer import train


def test_resume_after_interruption_gives_identical_weights(en_small, tmp_path):
    train_s, dev, _ = en_small
    train_s, dev = train_s[:96], dev[:30]  # 6 batches per epoch
    config = dict(epochs=2, eval_every=4, num_threads=1, length_buckets=2)
    sets = {"dev": (dev, "en")}

    straight = build(en_small)
    full = train(straight, train_s, TrainConfig(**config), tmp_path / "a", sets, show_progress=False)
    assert full.steps == 12 and not full.interrupted

    resumed = build(en_small)
    # "Crash" after 7 batches: the last checkpoint is at step 6 (end of epoch 0), so batch 7 is redone.
    part = train(resumed, train_s, TrainConfig(stop_after_batches=7, **config), tmp_path / "b", sets, show_progress=False)
    assert part.interrupted and part.steps == 7
    fresh = build(en_small, seed=99)  # a new process would rebuild the model; its init must not matter
    rest = train(fresh, train_s, TrainConfig(**config), tmp_path / "b", sets, resume=True, show_progress=False)
    assert rest.steps == 12 and not rest.interrupted
    for (name, a), b in zip(straight.named_parameters(), fresh.parameters()):
        assert torch.equal(a, b), name
    assert rest.best == full.best
    steps = [r["step"] for r in rest.history]
    assert steps == [r["step"] for r in full.history] == [4, 6, 8, 12]  # eval every 4 batches and at epoch ends
    assert (tmp_path / "b" / "best-dev" / "config.json").is_file()
    load_tagger(tmp_path / "b" / "best-dev")  # the kept best model loads


def test_resume_refuses_other_settings(en_small, tmp_path):
    train_s, dev, _ = en_small
    model = build(en_small)
    train(model, train_s[:32], TrainConfig(epochs=1, eval_every=0, num_threads=1), tmp_path, {"dev": (dev[:10], "en")},
          show_progress=False)
    with pytest.raises(XnerError, match="other data"):
        train(build(en_small), train_s[:32], TrainConfig(epochs=1, lr=0.5, num_threads=1), tmp_path,
              {"dev": (dev[:10], "en")}, resume=True, show_progress=False)


def test_metrics_log_and_schedule(en_small, tmp_path):
    train_s, dev, _ = en_small
    config = TrainConfig(epochs=1, eval_every=2, num_threads=1, max_train_len=20)
    assert config.learning_rate(0) == 0.1 and abs(config.learning_rate(10) - 0.1 / 1.1) < 1e-12
    assert TrainConfig(min_lr=0.05).learning_rate(1000) == 0.05
    result = train(build(en_small), train_s[:64], config, tmp_path, {"dev": (dev[:10], "en"), "test": (dev[10:20], "en")},
                   select_on=["dev", "test"], show_progress=False)
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines and set(lines[0]["scores"]) == {"dev", "test"}
    assert {"f1", "precision", "recall", "per_type"} <= set(lines[0]["scores"]["dev"])
    assert set(result.best) == {"dev", "test"}
    run = json.loads((tmp_path / "run_config.json").read_text())
    assert run["dropped_long"] == sum(len(s) > 20 for s in train_s[:64]) > 0
    with pytest.raises(XnerError, match="select_on"):
        train(build(en_small), train_s[:8], config, tmp_path / "x", {"dev": (dev[:5], "en")}, select_on=["tgt-dev"])


def test_fast_evaluation_selects_the_old_paths_step(en_small, tmp_path, monkeypatch):
    """Training evaluates with the fast inference path; with the old one (`fast=False`) the same seed gives
    the same scores at every evaluation, hence the same selected step and the same final weights."""
    import functools

    import xner.training.trainer as trainer
    from xner.model.predictor import evaluate

    train_s, dev, _ = en_small
    config = TrainConfig(epochs=1, eval_every=2, num_threads=1)
    sets = {"dev": (dev[:60], "en"), "test": (train_s[150:], "en")}
    fast = train(build(en_small), train_s[:96], config, tmp_path / "fast", sets, show_progress=False)
    monkeypatch.setattr(trainer, "evaluate", functools.partial(evaluate, fast=False))
    old = train(build(en_small), train_s[:96], config, tmp_path / "old", sets, show_progress=False)
    assert [r["scores"] for r in fast.history] == [r["scores"] for r in old.history]
    assert fast.best == old.best and len(fast.history) == 3


def test_mixed_epoch_order_covers_every_sentence_once_in_one_language_batches():
    import numpy as np

    from xner.training.trainer import mixed_epoch_order

    lengths = [np.arange(1, 38), np.arange(5, 26)]  # 37 and 21 sentences: 3 + 2 batches of 16, 2 short ones
    config = TrainConfig(batch_size=16, length_buckets=2)
    order, starts = mixed_epoch_order(lengths, config, np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(58))
    batches = [order[a:b] for a, b in zip(starts[:-1], starts[1:])]
    assert [len(b) for b in batches] == [16, 16, 16, 5, 5]  # full batches first, each corpus's short one last
    assert all(((b < 37).all() or (b >= 37).all()) for b in batches)  # one corpus (language) per batch
    assert {bool((b >= 37).all()) for b in batches[:3]} == {True, False}  # the corpora's batches are mixed
    again, _ = mixed_epoch_order(lengths, config, np.random.default_rng(0))
    assert np.array_equal(order, again)


def test_training_on_two_languages_resumes_to_identical_weights(en_small, tmp_path):
    """`more_train`: a second labelled set in its own language's word rows (translate-train with the English
    originals); every sentence of both is trained on, and an interrupted run resumes exactly."""
    from xner.model.config import TaggerConfig
    from xner.model.tagger import build_tagger
    from xner.training.trainer import seed_everything

    train_s, dev, table = en_small

    def two_language_model(seed=1):
        seed_everything(seed)
        return build_tagger(TaggerConfig(), {"en": table, "es": table}, train_s)

    config = dict(epochs=2, eval_every=3, num_threads=1, length_buckets=2)
    sets = {"dev": (dev[:20], "en")}
    more = [(train_s[48:80], "es")]
    straight = two_language_model()
    full = train(straight, train_s[:48], TrainConfig(**config), tmp_path / "a", sets, more_train=more,
                 show_progress=False)
    assert full.steps == 10 and not full.interrupted  # (3 + 2 batches) x 2 epochs
    run = json.loads((tmp_path / "a" / "run_config.json").read_text())
    assert run["train_sets"] == [{"lang": "en", "sentences": 48}, {"lang": "es", "sentences": 32}]
    assert run["train_sentences"] == 80 and run["batches_per_epoch"] == 5
    part = train(two_language_model(), train_s[:48], TrainConfig(stop_after_batches=7, **config), tmp_path / "b",
                 sets, more_train=more, show_progress=False)
    assert part.interrupted
    fresh = two_language_model(seed=99)
    rest = train(fresh, train_s[:48], TrainConfig(**config), tmp_path / "b", sets, resume=True, more_train=more,
                 show_progress=False)
    for (name, a), b in zip(straight.named_parameters(), fresh.parameters()):
        assert torch.equal(a, b), name
    assert rest.best == full.best
    with pytest.raises(XnerError, match="other data"):  # the second set is part of the run's identity
        train(two_language_model(), train_s[:48], TrainConfig(**config), tmp_path / "b", sets, resume=True,
              more_train=[(train_s[48:70], "es")], show_progress=False)
