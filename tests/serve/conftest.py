"""A real, small Spanish tagger for the serving tests, trained once per session with xner's trainer.

Trained on the 500 labelled Spanish sentences that xner ships (`xner/demo_data/es.test.conll`, a sample of
CoNLL-2002 Spanish testb) with the bundle's Spanish table (6,861 rows), so that these tests need no shared data.
These labels serve here only to make a real supervised model to serve; nothing is evaluated on them.
The paper's architecture with a smaller word LSTM, no dense layer and summed loss, 2 epochs (about 15 s on
2 cores), so that it finds names in its training sentences; the tests need a real trained model, not a good one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Sentence 8 of the shipped labelled Spanish sentences, detokenised (`test_serve_app.py` checks that it is):
# gold entities Oceanía, Australia, Sudamérica (LOC), Corea-Japón 2002 (MISC).
SPANISH = ("El ganador de la zona de Oceanía, donde Australia es amplio favorito, deberá disputar una eliminatoria "
           "con el quinto clasificado de Sudamérica para Corea-Japón 2002.")
SPANISH_INDEX = 7  # 0-based position in the bundle's es.test.conll


@pytest.fixture(scope="session")
def spanish() -> tuple[str, int]:
    """(a real Spanish sentence as a person would paste it, its index in the bundle's labelled Spanish sentences)."""
    return SPANISH, SPANISH_INDEX


@pytest.fixture(scope="session")
def es_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from xner.demo import load_bundle
    from xner.model.config import TaggerConfig, TrainConfig
    from xner.model.persistence import save_tagger
    from xner.model.tagger import build_tagger
    from xner.training.trainer import train

    torch.set_num_threads(1)
    bundle = load_bundle()
    sentences = bundle.target_test
    torch.manual_seed(1)
    model = build_tagger(TaggerConfig(word_hidden=50, dense_dim=0), {"es": bundle.embeddings["es"]}, sentences, "IOBES")
    out = tmp_path_factory.mktemp("es_model")
    config = TrainConfig(epochs=2, eval_every=10**6, batch_size=8, loss_reduction="sum", seed=1)
    train(model, sentences, config, out / "run", eval_sets={"train": (sentences[:50], "es")}, show_progress=False)
    return save_tagger(model, out / "model")


@pytest.fixture(scope="session")
def es_tagger(es_model_dir: Path):
    import xner

    return xner.load(es_model_dir)
