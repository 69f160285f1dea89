"""Fixtures from the shipped demo bundle (`xner/demo_data`): these tests need no shared data."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_bits():
    from xner.demo import load_bundle

    bundle = load_bundle()
    tables = {lang: table.head(2000) for lang, table in bundle.embeddings.items()}
    return bundle, tables


def build(demo_bits, seed: int = 1, n_train: int = 96, **config):
    from xner.model.config import TaggerConfig
    from xner.model.tagger import build_tagger
    from xner.training.trainer import seed_everything

    bundle, tables = demo_bits
    seed_everything(seed)
    return build_tagger(TaggerConfig(**config), {"en": tables["en"]}, bundle.source_train[:n_train])
