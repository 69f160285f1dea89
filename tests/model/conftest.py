"""Tiny real slices of `ner_data` (the shared data, else the shipped demo bundle): 200 English training sentences,
100 dev, a 5,000-row embedding table."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def en_small(ner_data):
    from xner.data.registry import load_split
    from xner.embeddings import load_embeddings

    train = load_split("en", "train", ner_data)[:200]
    dev = load_split("en", "dev", ner_data)[:100]
    table = load_embeddings(str(ner_data / "emb" / "en.npy"), max_vocab=5000)
    return train, dev, table


def build(en_small, seed: int = 1, **config):
    from xner.model.config import TaggerConfig
    from xner.model.tagger import build_tagger
    from xner.training.trainer import seed_everything

    train, _, table = en_small
    seed_everything(seed)
    return build_tagger(TaggerConfig(**config), {"en": table}, train)


@pytest.fixture(scope="session")
def trained_model(en_small, tmp_path_factory):
    """One epoch on 200 sentences (a couple of seconds), saved; shared by several tests."""
    from xner.model.config import TrainConfig
    from xner.model.persistence import save_tagger
    from xner.training.trainer import train

    model = build(en_small)
    train_s, dev, _ = en_small
    out = tmp_path_factory.mktemp("trained")
    train(model, train_s, TrainConfig(epochs=1, eval_every=0, num_threads=1), out / "run", {"dev": (dev, "en")},
          show_progress=False)
    save_tagger(model, out / "model")
    return model, out / "model"
