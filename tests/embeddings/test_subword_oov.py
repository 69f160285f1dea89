"""Tag-time subword vectors (`xner embed attach`): an OOV word of the target language gets the vector the
shared space would have given it (the library's subword vector, normalised with the mapping's means and mapped
by the same W), and `xner tag` uses it; without the record it stays UNK."""

from __future__ import annotations

import numpy as np
import pytest

from xner.align.mapping import Mapping, mapped_tables, save_mapping
from xner.data.conll import Sentence
from xner.embeddings.io import load_binary
from xner.embeddings.normalize import normalize_embeddings
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError
from xner.model.vocab import UNK, load_subwords

OOV = ["Helsingissä", "Koiraset"]  # not in the fastText model's word list


@pytest.fixture
def cross_model(fasttext_bin, tmp_path, run_cli):
    """A Cross-Shared-like tagger: en rows + fi rows (from the .bin) mapped t2s by a random orthogonal W."""
    from xner.model.config import TaggerConfig
    from xner.model.persistence import save_tagger
    from xner.model.tagger import build_tagger
    from xner.training.trainer import seed_everything

    assert run_cli("embed", "import", fasttext_bin, "--out", tmp_path / "fi", "--top", 10)[0] == 0
    fi = load_binary(tmp_path / "fi.npy")
    rng = np.random.default_rng(0)
    en = EmbeddingTable(["John", "lives", "in", "London"], rng.normal(size=(4, 8)).astype(np.float32))
    ops = "renorm,center,renorm"
    W = np.linalg.qr(rng.normal(size=(8, 8)))[0].astype(np.float32)
    mapping = Mapping(W, "en", "fi", "t2s", ops, normalize_embeddings(en.float32(), ops)[1],
                      normalize_embeddings(fi.float32(), ops)[1])  # fmt: skip
    save_mapping(mapping, tmp_path / "align")
    en_m, fi_m = mapped_tables(en, fi, mapping, "t2s")
    seed_everything(1)
    train = [Sentence(("John", "lives", "in", "London"), ("B-PER", "O", "O", "B-LOC"))]
    model = build_tagger(TaggerConfig(char_dim=4, char_hidden=4, word_hidden=4, dense_dim=4), {"en": en_m, "fi": fi_m},
                         train, char_texts=[[Sentence(tuple(OOV), ("O", "O"))]])  # fmt: skip
    save_tagger(model, tmp_path / "model")
    return tmp_path, fi, en, mapping


def test_attached_oov_word_gets_the_mapped_library_vector(cross_model, fasttext_bin, run_cli):
    from gensim.models.fasttext import load_facebook_vectors

    from xner.model.persistence import load_model, save_tagger

    folder, fi, en, mapping = cross_model
    before = load_model(folder / "model")
    assert before.vocab.words.rows(OOV, "fi").tolist() == [UNK, UNK]  # no record: UNK
    code, out, err = run_cli("embed", "attach", folder / "model", "--source", fasttext_bin, "--lang", "fi",
                             "--align", folder / "align")  # fmt: skip
    assert code == 0, err
    model = load_model(folder / "model")
    n_rows = model.vocab.words.n_rows
    rows = model.vocab.words.rows([*OOV, fi.words[0], OOV[0]], "fi")
    assert rows.tolist() == [n_rows, n_rows + 1, before.vocab.words.rows([fi.words[0]], "fi")[0], n_rows]
    kv = load_facebook_vectors(str(fasttext_bin))
    expected = mapped_tables(en, EmbeddingTable(OOV, np.stack([kv[w] for w in OOV])), mapping, "t2s")[1].vectors
    got = model.word_embedding.weight[rows[:2]].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-3)  # gensim's vector -> the mapping's means -> W
    # an in-vocabulary word computed the same way lands on its trained row: the same space
    again = load_subwords(model, folder / "model")["fi"]
    np.testing.assert_allclose(again.vectors([fi.words[3]])[0], model.word_embedding.weight[rows[2] + 3].numpy(), atol=2e-3)
    with pytest.raises(XnerError, match="grew tag-time subword rows"):  # the grown rows are never saved
        save_tagger(model, folder / "copy")


def test_xner_tag_uses_the_record_and_bad_attach_is_one_line(cross_model, fasttext_bin, run_cli, tmp_path):
    folder, *_ = cross_model
    text = tmp_path / "fi.txt"
    text.write_text("Koiraset asuvat Helsingissä .\n", encoding="utf-8")
    assert run_cli("embed", "attach", folder / "model", "--source", fasttext_bin, "--lang", "fi",
                   "--align", folder / "align")[0] == 0  # fmt: skip
    code, out, err = run_cli("tag", folder / "model", text, "--lang", "fi")
    assert code == 0 and [line.split()[0] for line in out.split("\n") if line] == ["Koiraset", "asuvat", "Helsingissä", "."]
    for args in (("--lang", "de"), ("--source", tmp_path / "nothing.txt")):
        code, _, err = run_cli("embed", "attach", folder / "model", "--source", fasttext_bin, *args)
        assert code == 2 and err.startswith("xner: error:") and len(err.strip().splitlines()) == 1, err
