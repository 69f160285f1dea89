"""A real, small Spanish tagger for the serving tests, trained once per session with xner's trainer.

800 sentences of the Spanish training split, 5,000 embedding rows, 1 epoch (about 10 s on 2 cores).
The paper's architecture with a smaller word LSTM, no dense layer and summed loss, so that one epoch
learns enough to find the names in a training sentence (span F1 about 38 on the first 300 dev
sentences); the tests need a real trained model, not a good one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Sentence 6 of the Spanish CoNLL-2002 training split, detokenised (`test_serve_app.py` checks that it is):
# gold entities Abogado General (PER), Victoria (LOC), Rob Hulls (PER), CrimeNet (MISC).
SPANISH = ("Por su parte, el Abogado General de Victoria, Rob Hulls, indicó que no hay nadie que controle "
           "que las informaciones contenidas en CrimeNet son veraces.")
SPANISH_INDEX = 5  # 0-based position in es/train.txt


@pytest.fixture(scope="session")
def spanish() -> tuple[str, int]:
    """(a real Spanish sentence as a person would paste it, its index in es/train.txt)."""
    return SPANISH, SPANISH_INDEX


@pytest.fixture(scope="session")
def es_model_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from xner.data.conll import read_conll
    from xner.embeddings.io import load_embeddings
    from xner.model.config import TaggerConfig, TrainConfig
    from xner.model.persistence import save_tagger
    from xner.model.tagger import build_tagger
    from xner.training.trainer import train

    torch.set_num_threads(1)
    sentences = read_conll(shared_data / "ner" / "es" / "train.txt")[:800]
    table = load_embeddings(shared_data / "emb" / "es.npy", max_vocab=5000)
    torch.manual_seed(1)
    model = build_tagger(TaggerConfig(word_hidden=50, dense_dim=0), {"es": table}, sentences, "IOBES")
    out = tmp_path_factory.mktemp("es_model")
    config = TrainConfig(epochs=1, eval_every=10**6, batch_size=8, loss_reduction="sum", seed=1)
    train(model, sentences, config, out / "run", eval_sets={"train": (sentences[:50], "es")}, show_progress=False)
    return save_tagger(model, out / "model")


@pytest.fixture(scope="session")
def es_tagger(es_model_dir: Path):
    import xner

    return xner.load(es_model_dir)
