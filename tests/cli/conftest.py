"""Tiny self-made inputs for the bad-input suite: a CoNLL train/dev pair, a 40-word .vec table and an
(untrained) tagger folder built from them. No shared data needed, so every case runs everywhere in well
under a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

WORDS = ("Peter Blackburn visited Brussels and Paris with Maria in Madrid . The EU said on Monday that "
         "José Müller of Siemens met Anna at the UN in Berlin , London , Rome yesterday").split()
TRAIN = """Peter B-PER
Blackburn I-PER
visited O
Brussels B-LOC
. O

The O
EU B-ORG
said O
on O
Monday O
. O

José B-PER
Müller I-PER
of O
Siemens B-ORG
met O
Anna B-PER
in O
Berlin B-LOC
. O

Maria B-PER
visited O
the O
UN B-MISC
. O
"""


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    """{"train", "dev", "vec", "model", "root"}: files in a fresh folder shared by the session (read-only use)."""
    import torch

    from xner.data.conll import read_conll
    from xner.embeddings.table import EmbeddingTable
    from xner.model.config import TaggerConfig
    from xner.model.persistence import save_tagger
    from xner.model.tagger import build_tagger

    root = tmp_path_factory.mktemp("tiny")
    (root / "train.conll").write_text(TRAIN, encoding="utf-8")
    (root / "dev.conll").write_text(TRAIN, encoding="utf-8")
    words = list(dict.fromkeys(WORDS))
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(words), 8)).astype(np.float32)
    lines = [f"{len(words)} 8"] + [w + " " + " ".join(f"{x:.4f}" for x in v) for w, v in zip(words, vectors)]
    (root / "emb.vec").write_text("\n".join(lines) + "\n", encoding="utf-8")
    torch.manual_seed(1)
    table = EmbeddingTable(words, np.round(vectors, 4))
    config = TaggerConfig(char_dim=4, char_hidden=4, word_hidden=8, dense_dim=0)
    model = build_tagger(config, {"en": table}, read_conll(root / "train.conll"), "IOBES")
    save_tagger(model, root / "model")
    return {"root": root, "train": root / "train.conll", "dev": root / "dev.conll", "vec": root / "emb.vec",
            "model": root / "model"}


@pytest.fixture
def one_line_error():
    return _one_line_error


@pytest.fixture
def leftovers():
    return _leftovers


def _one_line_error(code: int, err: str, *needles: str) -> None:
    """Exit 2 and exactly one stderr line `xner: error: ...` holding every needle (no traceback)."""
    lines = [line for line in err.splitlines() if not line.startswith("xner: warning:")]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("xner: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


def _leftovers(folder: Path) -> list[Path]:
    """Temporary files (atomic writes) left anywhere under `folder`."""
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
