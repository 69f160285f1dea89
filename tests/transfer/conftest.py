"""Transfer tests: a real en-es mapping folder (the tiny data folders are in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def align_root(ner_data: Path, tmp_path_factory) -> Path:
    """A real en-es mapping folder for tests: orthogonal Procrustes on the MUSE training dictionary
    (a supervised stand-in for `xner align`, saved and loaded through the alignment stage's own API)."""
    from xner.align.dictionary import read_dictionary
    from xner.align.mapping import Mapping, save_mapping
    from xner.embeddings.normalize import normalize_embeddings
    from xner.align.procrustes import procrustes
    from xner.embeddings.io import load_embeddings

    root = tmp_path_factory.mktemp("align")
    src, tgt = load_embeddings(str(ner_data / "emb" / "en.npy")), load_embeddings(str(ner_data / "emb" / "es.npy"))
    xs, src_means = normalize_embeddings(src.float32(), "renorm,center,renorm")
    ys, tgt_means = normalize_embeddings(tgt.float32(), "renorm,center,renorm")
    pairs = read_dictionary(ner_data / "dictionaries" / "en-es.0-5000.txt", src.index, tgt.index).pairs
    mapping = Mapping(W=procrustes(xs, ys, pairs), src_lang="en", tgt_lang="es", direction="s2t",
                      normalize="renorm,center,renorm", src_means=src_means, tgt_means=tgt_means)
    save_mapping(mapping, root / "en-es")
    return root
