"""`xner embed train`: tokenisation, a fast small training run on real Spanish text, determinism, errors."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from itertools import islice

import numpy as np
import pytest

from xner.embeddings.io import load_embeddings
from xner.embeddings.train import FastTextConfig, tokenize, train_fasttext
from xner.errors import XnerError

SMALL = dict(dim=16, epochs=1, min_count=3, bucket=5000)  # fast settings for tests only


@pytest.fixture(scope="module")
def spanish_lines(tmp_path_factory):
    from xner.io import data_root

    root = data_root()
    sample = root / "corpora" / "es.sample.txt.gz" if root else None
    if sample is None or not sample.is_file():
        reason = "shared corpora/es.sample.txt.gz not found (set XNER_DATA or place it at ../shared/data)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    path = tmp_path_factory.mktemp("corpus") / "es300.txt.gz"
    with gzip.open(sample, "rt", encoding="utf-8") as src:
        path.write_bytes(gzip.compress("".join(islice(src, 300)).encode("utf-8")))
    return path


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Dijo: «3,5 millones» (1.000.000).", ["Dijo", ":", "«", "3,5", "millones", "»", "(", "1.000.000", ")", "."]),
        ("-¿Qué? -añadió doña Beatriz-", ["-", "¿", "Qué", "?", "-", "añadió", "doña", "Beatriz", "-"]),
        ("don't so-called U.S. 19th", ["don't", "so-called", "U", ".", "S", ".", "19", "th"]),
        ("1,5 %  Ägypten", ["1,5", "%", "Ägypten"]),
    ],
)
def test_tokenize_like_conll(text, tokens):
    assert tokenize(text) == tokens


def test_train_small_and_load_back(spanish_lines, tmp_path):
    out = tmp_path / "es_small"
    meta = train_fasttext(spanish_lines, out, FastTextConfig(**SMALL), show_progress=False)
    table = load_embeddings(tmp_path / "es_small.npy")
    assert table.dim == 16 and table.vectors.dtype == np.float16
    assert len(table) == meta["written"] == meta["model_vocab"] > 300
    # rows in corpus frequency order, all words seen at least min_count times
    with gzip.open(spanish_lines, "rt", encoding="utf-8") as f:
        counts = Counter(t for line in f for t in tokenize(line))
    freqs = [counts[w] for w in table.words]
    assert freqs == sorted(freqs, reverse=True) and min(freqs) >= 3
    assert meta["tokens"] == sum(counts.values())
    saved = json.loads((tmp_path / "es_small.json").read_text(encoding="utf-8"))
    assert saved["params"]["dim"] == 16 and saved["params"]["sg"] == 1 and saved["lines"] == 300


def test_training_is_deterministic_and_max_vocab_keeps_words(spanish_lines, tmp_path):
    config = FastTextConfig(**SMALL, max_vocab=50)
    a = train_fasttext(spanish_lines, tmp_path / "a", config, keep_words=["Beatriz", "notaword"], show_progress=False)
    train_fasttext(spanish_lines, tmp_path / "b", config, show_progress=False)
    ta, tb = load_embeddings(tmp_path / "a.npy"), load_embeddings(tmp_path / "b.npy")
    np.testing.assert_array_equal(ta.vectors[:50], tb.vectors)
    assert len(tb) == 50 and ta.words[:50] == tb.words
    assert ta.words[50:] == ["Beatriz"] and a["kept_extra"] == 1


def test_cli_train(spanish_lines, tmp_path, run_cli):
    out = tmp_path / "cli"
    code, stdout, err = run_cli(
        "embed", "train", spanish_lines, "--out", out, "--dim", 8, "--epochs", 1, "--min-count", 3,
        "--bucket", 2000, "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    assert "x 8 d" in stdout
    assert load_embeddings(tmp_path / "cli.npy").dim == 8
    assert json.loads((tmp_path / "cli.json").read_text())["command"].startswith("xner embed train")


def test_bad_corpora(tmp_path, run_cli):
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"hola mundo\n\x00\x01\x02")
    with pytest.raises(XnerError, match=r"bin\.txt:2: looks like a binary file"):
        train_fasttext(binary, tmp_path / "x", FastTextConfig(**SMALL), show_progress=False)
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"hola\nna\xefve\n")
    code, _, err = run_cli("embed", "train", latin, "--out", tmp_path / "x", "--no-progress")
    assert code == 2 and err == f"xner: error: {latin}:2: cannot decode byte 0xef as utf-8\n"
    rare = tmp_path / "rare.txt"
    rare.write_text("uno dos tres\n", encoding="utf-8")
    with pytest.raises(XnerError, match="no word occurs at least min_count=3 times"):
        train_fasttext(rare, tmp_path / "x", FastTextConfig(**SMALL), show_progress=False)
    with pytest.raises(XnerError, match="min_n"):
        train_fasttext(rare, tmp_path / "x", FastTextConfig(min_n=5, max_n=4), show_progress=False)
    assert not list(tmp_path.glob("x*"))
