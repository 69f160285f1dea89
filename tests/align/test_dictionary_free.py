"""The dictionary-free default (issue 16): seeds from spelling, a label-free referee, no dictionary before selection."""

from __future__ import annotations

import builtins
import io
import pathlib

import numpy as np
import pytest

from xner.align.config import SeedConfig, preset
from xner.align.fingerprint import check_tables, table_fingerprint
from xner.align.mapping import load_mapping, mapped_tables, save_mapping
from xner.align.pipeline import align, random_rotation
from xner.align.seeds import family_label, identical_seed, normalise_numeral, numeral_seed, orthographic_seed, parse_families
from xner.demo import bundle_path, load_bundle_embeddings
from xner.embeddings import EmbeddingTable
from xner.errors import XnerError

N_WORDS = 1000


def transliterate(word: str) -> str:
    """ASCII letters -> mathematical bold letters, digits -> Arabic-Indic digits, other ASCII -> fullwidth forms,
    anything else gets a combining mark."""
    out = []
    for ch in word:
        if "A" <= ch <= "Z":
            out.append(chr(0x1D400 + ord(ch) - ord("A")))
        elif "a" <= ch <= "z":
            out.append(chr(0x1D41A + ord(ch) - ord("a")))
        elif "0" <= ch <= "9":
            out.append(chr(0x0660 + ord(ch) - ord("0")))
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch + "\u0332")  # + combining low line
    return "".join(out)


def small_config(**changes):
    config = preset("cpu", **{"tgt_lang": "xx", "direction": "s2t", "max_vocab": N_WORDS, "similarity_words": N_WORDS,
                              **changes})
    config.self_learning.cutoff = N_WORDS
    config.self_learning.stage_iterations = 2
    config.screen_iterations = 2
    return config


@pytest.fixture(scope="module")
def transliterated_pair():
    """The demo bundle's English table and a rotated, row-shuffled, noisy copy whose words share no string."""
    src = load_bundle_embeddings("en").head(N_WORDS)
    src = EmbeddingTable(list(src.words), src.float32(), name="demo:en")
    rng = np.random.default_rng(5)
    order = rng.permutation(N_WORDS)
    vectors = src.float32()
    noisy = vectors @ random_rotation(src.dim, seed=4).T
    noisy += 0.01 * rng.standard_normal(vectors.shape).astype(np.float32) * np.linalg.norm(vectors, axis=1, keepdims=True)
    tgt = EmbeddingTable([transliterate(src.words[i]) for i in order], noisy[order], name="transliterated")
    assert not set(src.words) & set(tgt.words)  # no identical string at all
    return src, tgt


def test_transliterated_rotation_is_recovered_or_reported(transliterated_pair, tmp_path):
    src, tgt = transliterated_pair
    dictionary = tmp_path / "test.txt"
    dictionary.write_text("".join(f"{src.words[i]}\t{transliterate(src.words[i])}\n" for i in range(250, 750)),
                          encoding="utf-8")
    result = align(src, tgt, small_config(), dictionary)
    screened = {c["seeds"]: c for c in result.candidates}
    assert screened["identical+numerals"]["pairs"] > 0  # numerals still match after digit normalisation
    assert screened["identical+numerals+orthographic"]["skipped"] == "same pairs as identical+numerals"  # no cognate
    assert result.tries and result.family.startswith(("dictionary-free", "fully unsupervised"))
    p1 = result.evaluation["csls_knn_10"]["P@1"]
    # never a silent wrong mapping: either the rotation is found or the run says it collapsed
    assert result.collapsed or p1 >= 95.0, (p1, result.tries)
    assert not result.collapsed and p1 >= 95.0, (p1, result.tries, result.candidates)


def test_reanneal_keeps_the_best_criterion(transliterated_pair):
    """`self_learning.reanneal`: another loop from the kept W's dictionary; the criterion keeps the better W."""
    src, tgt = transliterated_pair
    config = small_config(max_tries=1)
    config.self_learning.reanneal = 1
    config.self_learning.final, config.self_learning.final_iterations = "orthogonal", 0  # the loop's own W
    entries: list[dict] = []
    result = align(src, tgt, config, log=entries.append)
    before = next(e["criterion"] for e in entries if e["stage"] == "try")
    after = [e for e in entries if e["stage"] == "reanneal" and "round" in e]
    assert len(after) == 1 and any(e["stage"] == "reanneal" and "iteration" in e for e in entries)
    assert round(result.criterion, 5) >= before and after[0]["criterion"] == round(result.criterion, 5)


def test_unrelated_tables_are_reported_collapsed():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(600)]
    src = EmbeddingTable(words, rng.standard_normal((600, 24)).astype(np.float32), "a")
    tgt = EmbeddingTable(words, rng.standard_normal((600, 24)).astype(np.float32), "b")  # same strings, no signal
    config = preset("cpu", tgt_lang="xx", direction="s2t", max_vocab=600, similarity_words=600, max_tries=2)
    config.self_learning.cutoff, config.self_learning.stage_iterations, config.screen_iterations = 600, 2, 2
    result = align(src, tgt, config)
    assert result.collapsed and len(result.tries) == 2 and all(t["collapsed"] for t in result.tries)


def test_default_pipeline_opens_no_dictionary_before_selection(monkeypatch, tmp_path):
    src = load_bundle_embeddings("en").head(N_WORDS)
    tgt = load_bundle_embeddings("es").head(N_WORDS)
    dictionary = tmp_path / "en-es.test.txt"
    dictionary.write_bytes(bundle_path("en-es.test.txt").read_bytes())
    entries: list[dict] = []
    opened: list[tuple[str, int]] = []  # (path, log entries written before the open)
    real_open, real_path_open = builtins.open, pathlib.Path.open

    def spy_open(file, *args, **kwargs):
        opened.append((str(file), len(entries)))
        return real_open(file, *args, **kwargs)

    def spy_path_open(self, *args, **kwargs):
        opened.append((str(self), len(entries)))
        return real_path_open(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(pathlib.Path, "open", spy_path_open)
    config = small_config(tgt_lang="es", max_tries=1)
    assert config.method == "dictionary-free"
    result = align(src, tgt, config, dictionary, log=entries.append)
    selected = next(i for i, e in enumerate(entries) if e["stage"] == "selected")
    reads = [n for path, n in opened if path == str(dictionary)]
    assert reads, "the evaluation reads the test dictionary"
    assert min(reads) > selected  # only after the mapping was chosen
    assert not any("dictionar" in path or path.endswith(".txt") for path, n in opened if n <= selected)
    assert result.evaluation is not None


def test_seed_families():
    src = ["the", "Europa", "1990", "nation", "police", ",", "xyzzy"]
    tgt = ["el", "europa", "١٩٩٠", "nación", "policía", ",", "qqqq"]
    cfg = SeedConfig(orthographic_threshold=0.6)
    assert identical_seed(src, tgt, cfg).tolist() == [[1, 1]]  # case-folded; "," is not word-like
    assert identical_seed(src, tgt, SeedConfig(casefold=False)).tolist() == []
    assert numeral_seed(src, tgt, cfg).tolist() == [[2, 2]]
    assert normalise_numeral("۱۲,۵") == "12,5" and normalise_numeral("abc") is None and normalise_numeral("-") is None
    assert [3, 3] in orthographic_seed(src, tgt, cfg).tolist() and [4, 4] in orthographic_seed(src, tgt, cfg).tolist()
    assert parse_families("identical+numerals") == ("identical", "numerals")
    assert family_label(("identical", "numerals")) == "dictionary-free (identical strings + numerals)"
    with pytest.raises(XnerError):
        parse_families("identical+gold")


def test_mapping_refuses_other_tables(tmp_path):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(1200)]
    src = EmbeddingTable(words, rng.standard_normal((1200, 8)).astype(np.float32), "en")
    tgt = EmbeddingTable(words, rng.standard_normal((1200, 8)).astype(np.float32), "fi")
    from xner.align.mapping import Mapping

    mapping = Mapping(W=np.eye(8), src_lang="en", tgt_lang="fi", direction="t2s", normalize="renorm",
                      tables={"src": table_fingerprint(src), "tgt": table_fingerprint(tgt)})
    save_mapping(mapping, tmp_path)
    loaded = load_mapping(tmp_path)
    mapped_tables(src, tgt, loaded)  # the same tables pass
    mapped_tables(src.head(1100), tgt.head(1100), loaded)  # so does a max_vocab cut of them
    changed = EmbeddingTable(words, tgt.float32() + 1e-3, "fi")
    with pytest.raises(XnerError) as err:
        mapped_tables(src, changed, loaded)
    message = str(err.value)
    assert "\n" not in message and "tgt table" in message and f"xner align --src en --tgt fi --out {tmp_path}" in message
    check_tables(None, {"tgt": changed}, tmp_path, "-")  # a folder from before fingerprints passes
