"""`xner data pack`: the trimmed data copy used on GPU machines gives every token the same vector, and a
transfer pack carries no target training label."""

from __future__ import annotations

import numpy as np

from xner.experiments.pack import pack_data


def test_pack_data_keeps_every_lookup(shared_data, tmp_path, monkeypatch):
    from xner.data.registry import _load_cached, load_split
    from xner.embeddings import load_embeddings
    from xner.model.vocab import UNK, WordIndex

    pack_data(tmp_path, ("ar",))  # the smallest language
    full = load_embeddings("ar")
    packed = load_embeddings(tmp_path / "emb" / "ar.npy")
    assert len(packed) < len(full)
    tokens = sorted({w for split in ("train", "dev", "test") for s in load_split("ar", split) for w in s.tokens})
    rows_full = WordIndex({"ar": full.words}).rows(tokens, "ar")
    rows_packed = WordIndex({"ar": packed.words}).rows(tokens, "ar")
    assert ((rows_full == UNK) == (rows_packed == UNK)).all()
    found = rows_full != UNK
    assert np.array_equal(np.asarray(full.vectors)[rows_full[found] - 2], np.asarray(packed.vectors)[rows_packed[found] - 2])
    monkeypatch.setenv("XNER_DATA", str(tmp_path))
    _load_cached.cache_clear()
    assert [s.tokens for s in load_split("ar", "dev")] == [s.tokens for s in load_split("ar", "dev", shared_data)]
    _load_cached.cache_clear()


def test_transfer_pack_strips_target_training_labels(shared_data, tmp_path, run_cli):
    from xner.data.conll import read_conll
    from xner.data.registry import load_unlabeled

    code, _, err = run_cli("data", "pack", tmp_path, "--lang", "ar", "--transfer", "--max-unlabeled", "50")
    assert code == 0, err
    train = read_conll(tmp_path / "ner" / "ar" / "train.txt")
    assert len(train) == 50 and {t for s in train for t in s.tags} == {"O"}
    assert [s.tokens for s in train] == [s.tokens for s in load_unlabeled("ar")[:50]]
    assert (tmp_path / "ner" / "ar" / "test.txt").is_file() and (tmp_path / "emb" / "ar.npy").is_file()
