"""`xner embed import`: a tiny fastText .bin (gensim) and tiny spaCy floret / plain vectors, read back through
xner's binary form; an out-of-vocabulary word must get exactly the vector the library computes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from xner.embeddings.io import load_binary

NER = "Helsingissä B-LOC\nkissa O\n\nthe O\nKoiranen B-PER\n"
OOV = ("Helsingissä", "Koiranen", "kissa")  # none of them is in the fastText word list


def _ner_file(tmp_path):
    path = tmp_path / "fi.train.txt"
    path.write_text(NER, encoding="utf-8")
    return path


def test_fasttext_bin_oov_words_get_the_gensim_vector(fasttext_bin, tmp_path, run_cli):
    from gensim.models.fasttext import load_facebook_vectors

    code, out, err = run_cli("embed", "import", fasttext_bin, "--out", tmp_path / "t", "--top", 3,
                             "--include", _ner_file(tmp_path))  # fmt: skip
    assert code == 0, err
    table = load_binary(tmp_path / "t.npy")
    kv = load_facebook_vectors(str(fasttext_bin))
    # the 3 most frequent words of the model first, in its order; then the NER words not yet there
    assert table.words[:3] == kv.index_to_key[:3] and table.words[0] == "the"
    assert table.words[3:] == ["Helsingissä", "kissa", "Koiranen"]
    for word in (*OOV, "the"):
        assert word not in kv.key_to_index or word == "the"
        np.testing.assert_allclose(table.vector(word), kv[word], rtol=1e-3, atol=1e-3)  # float16 storage
    assert np.abs(table.vector("Koiranen") - table.vector("kissa")).max() > 1e-2  # not one shared UNK vector
    meta = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "fasttext-bin" and meta["subwords"] and meta["written"] == 6
    assert meta["vocabulary"]["from_top"] == 3 and meta["vocabulary"]["from_include"] == 3


def _floret(tmp_path):
    pytest.importorskip("spacy")
    from spacy.vectors import Vectors

    data = np.random.default_rng(0).normal(size=(64, 6)).astype(np.float32)  # 64 hashed n-gram rows
    vectors = Vectors(mode="floret", data=data, minn=2, maxn=3, hash_count=2)
    folder = tmp_path / "floret"
    vectors.to_disk(folder)
    return folder, vectors


def test_floret_vectors_any_word_gets_the_spacy_vector(tmp_path, run_cli):
    folder, vectors = _floret(tmp_path)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("kissa istui\nkissa juoksi\nkoira\n", encoding="utf-8")
    code, _, err = run_cli("embed", "import", folder, "--out", tmp_path / "f", "--top", 2, "--corpus", corpus,
                           "--include", _ner_file(tmp_path))  # fmt: skip
    assert code == 0, err
    table = load_binary(tmp_path / "f.npy")
    assert table.words == ["kissa", "istui", "Helsingissä", "the", "Koiranen"]  # top 2 of the corpus, then the rest
    expected = vectors.get_batch(table.words)  # (5, 6)
    np.testing.assert_allclose(np.asarray(table.vectors, dtype=np.float32), expected, rtol=1e-3, atol=1e-3)


def test_floret_needs_a_corpus_to_rank_top_words(tmp_path, run_cli):
    folder, _ = _floret(tmp_path)
    code, _, err = run_cli("embed", "import", folder, "--out", tmp_path / "f", "--top", 2)
    assert code == 2 and err.strip().startswith("xner: error:") and "--corpus" in err and "Traceback" not in err
    assert not (tmp_path / "f.npy").exists()


def test_plain_spacy_vectors_drop_words_outside_the_table(tmp_path, run_cli):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("fi")
    for i, word in enumerate(["the", "kissa", "Helsinki"]):
        nlp.vocab.set_vector(word, np.full(4, i + 1.0, dtype=np.float32))
    nlp.to_disk(tmp_path / "pipe")
    code, _, err = run_cli("embed", "import", tmp_path / "pipe", "--out", tmp_path / "p", "--top", 2,
                           "--include", _ner_file(tmp_path))  # fmt: skip
    assert code == 0 and "2 chosen word(s) have no vector" in err
    table = load_binary(tmp_path / "p.npy")
    assert table.words == ["the", "kissa"]  # Helsingissä and Koiranen have no row in a plain table
    assert table.vector("kissa").tolist() == [2.0] * 4


def test_not_a_vector_model_is_one_line_error(tmp_path, run_cli):
    bad = tmp_path / "words.txt"
    bad.write_text("hello\n", encoding="utf-8")
    for source in (bad, tmp_path, "no_such_package_xyz"):
        code, _, err = run_cli("embed", "import", source, "--out", tmp_path / "x", "--top", 1)
        assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("xner: error:"), err
