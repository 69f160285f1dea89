"""`xner data pack`: the trimmed data copy used on GPU machines gives every token the same vector, and a
transfer pack carries no target training label. Runs on the shipped bundle's data folder (`shipped_data`)."""

from __future__ import annotations

import numpy as np
import pytest

from xner.experiments.pack import pack_data


@pytest.fixture
def source(shipped_data, monkeypatch):
    from xner.data.registry import _load_cached

    monkeypatch.setenv("XNER_DATA", str(shipped_data))
    _load_cached.cache_clear()
    yield shipped_data
    _load_cached.cache_clear()


def test_shipped_data_is_a_data_folder(source):
    from xner.data.registry import load_split, load_unlabeled
    from xner.embeddings import load_embeddings

    assert [len(load_split("en", s)) for s in ("train", "dev")] == [1500, 300]
    assert [len(load_split("es", s)) for s in ("dev", "test")] == [250, 250] and len(load_unlabeled("es")) == 1000
    assert {t for s in load_split("es", "train") for t in s.tags} == {"O"}  # no Spanish training label shipped
    assert (len(load_embeddings("en")), len(load_embeddings("es"))) == (5903, 6861)


def test_pack_data_keeps_every_lookup(source, tmp_path, monkeypatch):
    from xner.data.registry import _load_cached, load_split
    from xner.embeddings import load_embeddings
    from xner.model.vocab import UNK, WordIndex

    pack_data(tmp_path, ("es",), echo=lambda _: None)
    full = load_embeddings("es")
    packed = load_embeddings(tmp_path / "emb" / "es.npy")
    assert len(packed) < len(full)
    tokens = sorted({w for split in ("train", "dev", "test") for s in load_split("es", split) for w in s.tokens})
    rows_full = WordIndex({"es": full.words}).rows(tokens, "es")
    rows_packed = WordIndex({"es": packed.words}).rows(tokens, "es")
    assert ((rows_full == UNK) == (rows_packed == UNK)).all()
    found = rows_full != UNK
    assert np.array_equal(np.asarray(full.vectors)[rows_full[found] - 2], np.asarray(packed.vectors)[rows_packed[found] - 2])
    monkeypatch.setenv("XNER_DATA", str(tmp_path))
    _load_cached.cache_clear()
    assert [s.tokens for s in load_split("es", "dev")] == [s.tokens for s in load_split("es", "dev", source)]


def test_transfer_pack_strips_target_training_labels(make_data_root, tmp_path, monkeypatch, run_cli):
    from xner.data.conll import read_conll
    from xner.data.registry import _load_cached, load_unlabeled

    labelled = make_data_root(tmp_path / "src", garbage_target_train=True)  # Spanish training tags that are not O
    assert {t for s in read_conll(labelled / "ner" / "es" / "train.txt") for t in s.tags} != {"O"}
    monkeypatch.setenv("XNER_DATA", str(labelled))
    _load_cached.cache_clear()
    code, _, err = run_cli("data", "pack", tmp_path / "out", "--lang", "es", "--transfer", "--max-unlabeled", "50")
    assert code == 0, err
    tmp_path = tmp_path / "out"
    train = read_conll(tmp_path / "ner" / "es" / "train.txt")
    assert len(train) == 50 and {t for s in train for t in s.tags} == {"O"}
    assert [s.tokens for s in train] == [s.tokens for s in load_unlabeled("es")[:50]]
    assert (tmp_path / "ner" / "es" / "test.txt").is_file() and (tmp_path / "emb" / "es.npy").is_file()
    _load_cached.cache_clear()
