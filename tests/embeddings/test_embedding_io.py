"""Loading embedding tables: shared binary form, word2vec text with its cache, and every malformed case."""

from __future__ import annotations

import gzip
import os
import time

import numpy as np
import pytest

from xner.embeddings import io as emb_io
from xner.embeddings.io import load_binary, load_embeddings, read_vec, save_binary
from xner.errors import XnerError, XnerWarning


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own $XNER_CACHE so no test sees another's converted files."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XNER_CACHE", str(cache))
    return cache


def write_vec(path, words, vectors, header=True):
    lines = [f"{len(words)} {vectors.shape[1]}"] if header else []
    lines += [w + " " + " ".join(f"{x:.5f}" for x in row) + " " for w, row in zip(words, vectors)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shared_table_is_memory_mapped_float16(shared_data):
    table = load_embeddings("es")
    assert isinstance(table.vectors, np.memmap) and table.vectors.dtype == np.float16
    assert table.dim == 300 and len(table) == 36220
    assert table.words[0] in {",", "."}  # rows in frequency order
    assert "Madrid" in table
    small = load_embeddings("es", max_vocab=1000)
    assert len(small) == 1000 and small.words == table.words[:1000]


def test_vec_round_trip_and_cache(tmp_path, private_cache, monkeypatch):
    rng = np.random.default_rng(0)
    words = ["de", "la", "Madrid", "año", "3,5"]
    vectors = rng.standard_normal((5, 8)).astype(np.float32)
    path = write_vec(tmp_path / "wiki.xx.vec", words, vectors)

    table = load_embeddings(path)
    assert table.words == words
    np.testing.assert_allclose(table.float32(), vectors, atol=2e-3)  # float16 storage
    cached = list((private_cache / "vec").glob("wiki.xx-*.npy"))
    assert len(cached) == 1

    def no_parse(*args, **kwargs):
        raise AssertionError("the .vec was parsed again instead of served from the cache")

    monkeypatch.setattr(emb_io, "read_vec", no_parse)
    again = load_embeddings(path)
    assert again.words == words and isinstance(again.vectors, np.memmap)
    # max_vocab is part of the key: a new conversion is needed
    with pytest.raises(AssertionError, match="parsed again"):
        load_embeddings(path, max_vocab=2)
    # a changed file (size/mtime) invalidates the cache
    write_vec(path, words[:4], vectors[:4])
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    with pytest.raises(AssertionError, match="parsed again"):
        load_embeddings(path)


def test_vec_max_vocab_and_gzip(tmp_path):
    vectors = np.arange(20, dtype=np.float32).reshape(5, 4)
    path = write_vec(tmp_path / "a.vec", list("abcde"), vectors)
    table = load_embeddings(path, max_vocab=3)
    assert table.words == ["a", "b", "c"] and table.vectors.shape == (3, 4)
    gz = tmp_path / "b.vec.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    np.testing.assert_array_equal(load_embeddings(gz).float32(), vectors)


def test_vec_without_trailing_space_or_with_double_spaces(tmp_path):
    path = tmp_path / "odd.vec"
    path.write_text("2 3\nx 1 2 3\ny  4\t5 6  \n", encoding="utf-8")
    np.testing.assert_array_equal(load_embeddings(path).float32(), [[1, 2, 3], [4, 5, 6]])


def test_vec_duplicates_first_kept_with_counting_warning(tmp_path):
    path = tmp_path / "dup.vec"
    path.write_text("5 2\na 1 1\nb 2 2\na 3 3\nc 4 4\nb 5 5\n", encoding="utf-8")
    with pytest.warns(XnerWarning, match=r"dup\.vec:4: 2 duplicate word\(s\) ignored \(first occurrence kept\)"):
        table = load_embeddings(path)
    assert table.words == ["a", "b", "c"]
    np.testing.assert_array_equal(table.float32(), [[1, 1], [2, 2], [4, 4]])
    with pytest.warns(XnerWarning, match="2 duplicate"):  # repeated when served from the cache
        load_embeddings(path)


# (file text, line named in the error, part of the message)
BAD_VEC = {
    "empty": ("", 1, "expected a header line 'N D'"),
    "missing_header": ("a 0.1 0.2\nb 0.3 0.4\n", 1, "expected a header line 'N D'"),
    "header_one_number": ("2\na 0.1 0.2\n", 1, "expected a header line 'N D'"),
    "header_not_numbers": ("two 2\na 0.1 0.2\n", 1, "expected a header line 'N D'"),
    "header_zero_dim": ("2 0\na\n", 1, "must be positive"),
    "short_row": ("3 3\na 1 2 3\nb 1 2\nc 1 2 3\n", 3, "row has 2 values, the header says dimension 3"),
    "long_row_cancelling_a_short_one": ("2 2\na 1 2 3\nb 1\n", 2, "row has 3 values"),
    "word_only": ("2 2\na 1 2\nb\n", 3, "expected 'word v1 ... vD'"),
    "nan": ("3 2\na 1 2\nb nan 2\nc 1 2\n", 3, "NaN or inf"),
    "inf": ("2 2\na 1 2\nb 1 -inf\n", 3, "NaN or inf"),
    "not_a_number": ("2 2\na 1 2\nb 1 0,5\n", 3, "not a number: '0,5'"),
    "beyond_float16": ("1 2\na 1 1e6\n", 2, "float16 range"),
    "fewer_rows_than_header": ("4 2\na 1 2\nb 1 2\n", 4, "header says 4 rows but the file ends after 2"),
    "more_rows_than_header": ("1 2\na 1 2\nb 1 2\n", 3, "more rows than the header's 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_VEC))
def test_bad_vec_names_file_and_line(tmp_path, case):
    text, line, message = BAD_VEC[case]
    path = tmp_path / f"{case}.vec"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(XnerError) as err:
        load_embeddings(path)
    assert (err.value.path, err.value.line) == (str(path), line)
    assert message in err.value.message


def test_bad_vec_undecodable_bytes(tmp_path):
    path = tmp_path / "latin.vec"
    path.write_bytes(b"2 2\na 1 2\nna\xefve 1 2\n")
    with pytest.raises(XnerError, match=r"latin\.vec:3: cannot decode byte 0xef"):
        load_embeddings(path)


def test_bad_vec_leaves_no_cache(tmp_path, private_cache):
    path = tmp_path / "bad.vec"
    path.write_text("2 2\na 1 2\nb 1\n", encoding="utf-8")
    with pytest.raises(XnerError):
        load_embeddings(path)
    assert not list(private_cache.rglob("*.npy"))


def test_bad_vec_through_cli(tmp_path, run_cli):
    path = tmp_path / "bad.vec"
    path.write_text("2 3\na 1 2 3\nb 1 2\n", encoding="utf-8")
    code, out, err = run_cli("embed", "info", path)
    assert code == 2 and out == ""
    assert err == f"xner: error: {path}:3: row has 2 values, the header says dimension 3\n"


def test_duplicate_warning_through_cli_is_one_line(tmp_path, run_cli):
    path = tmp_path / "dup.vec"
    path.write_text("3 2\na 1 1\na 2 2\nb 3 3\n", encoding="utf-8")
    code, out, err = run_cli("embed", "info", path)
    assert code == 0 and "2 words x 2 d" in out
    assert err == f"xner: warning: {path}:3: 1 duplicate word(s) ignored (first occurrence kept); first duplicate here\n"


# ------------------------------------------------------------- binary form


def test_binary_round_trip(tmp_path):
    vectors = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    npy = save_binary(tmp_path / "t", ["w", "x", "y", "z"], vectors, {"how": "test"})
    assert npy.name == "t.npy" and (tmp_path / "t.vocab").is_file() and (tmp_path / "t.json").is_file()
    table = load_binary(npy)
    assert table.words == ["w", "x", "y", "z"]
    np.testing.assert_allclose(table.float32(), vectors, atol=2e-3)


def test_binary_vocab_shorter_than_matrix(tmp_path):
    save_binary(tmp_path / "t", ["a", "b", "c"], np.ones((3, 2)))
    (tmp_path / "t.vocab").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(XnerError) as err:
        load_embeddings(tmp_path / "t.npy")
    assert str(err.value) == f"{tmp_path / 't.vocab'}:3: vocabulary ends after 2 words but t.npy has 3 rows"


def test_binary_vocab_longer_than_matrix(tmp_path):
    save_binary(tmp_path / "t", ["a", "b"], np.ones((2, 2)))
    (tmp_path / "t.vocab").write_text("a\nb\nc\nd\n", encoding="utf-8")
    with pytest.raises(XnerError, match=r"t\.vocab:3: vocabulary has 4 words but t\.npy has only 2 rows"):
        load_embeddings(tmp_path / "t.npy")


def test_binary_nan_names_the_word(tmp_path):
    np.save(tmp_path / "t.npy", np.array([[1, 2], [np.nan, 0], [3, 4]], dtype=np.float16))
    (tmp_path / "t.vocab").write_text("a\nb\nc\n", encoding="utf-8")
    with pytest.raises(XnerError, match=r"t\.vocab:2: vector of 'b' \(row 2 of t\.npy\) holds NaN or inf"):
        load_embeddings(tmp_path / "t.npy")


def test_binary_duplicates_warn(tmp_path):
    save_binary(tmp_path / "t", ["a", "b", "a"], np.arange(6).reshape(3, 2))
    with pytest.warns(XnerWarning, match=r"t\.vocab:3: 1 duplicate"):
        table = load_embeddings(tmp_path / "t.npy")
    assert table.index["a"] == 0


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: (d / "t.npy").write_bytes(b"not numpy"), "not a numpy matrix file"),
        (lambda d: np.save(d / "t.npy", np.ones(3)), "expected a 2-d matrix"),
        (lambda d: np.save(d / "t.npy", np.ones((1, 2), dtype=np.int32)), "expected a float matrix"),
    ],
)
def test_binary_not_a_matrix(tmp_path, setup, message):
    setup(tmp_path)
    (tmp_path / "t.vocab").write_text("a\n", encoding="utf-8")
    with pytest.raises(XnerError, match=message):
        load_embeddings(tmp_path / "t.npy")


def test_binary_missing_vocab_and_unknown_spec(tmp_path):
    np.save(tmp_path / "t.npy", np.ones((1, 2), dtype=np.float16))
    with pytest.raises(XnerError, match="missing vocabulary"):
        load_embeddings(tmp_path / "t.npy")
    with pytest.raises(XnerError, match="no embedding table 'xx'"):
        load_embeddings("xx")
    (tmp_path / "t.txt").write_text("x", encoding="utf-8")
    with pytest.raises(XnerError, match="unsupported embedding file type"):
        load_embeddings(tmp_path / "t.txt")


def test_save_refuses_values_beyond_float16(tmp_path):
    with pytest.raises(XnerError, match="beyond float16 range"):
        save_binary(tmp_path / "t", ["a"], np.array([[1e6, 0.0]]))
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------- speed at realistic size


def test_second_load_of_200k_vec_is_fast(tmp_path):
    """A 200,000-word .vec is parsed once; later loads come from the cache in well under a second.

    Dimension 16 keeps the one-off parse quick; the cached load does not depend on the dimension
    (the matrix is memory-mapped), which `test_200k_x_300_binary_loads_fast` checks at 300 d.
    """
    n, dim = 200_000, 16
    rows = [" ".join(f"{v:.4f}" for v in r) for r in np.random.default_rng(0).standard_normal((1000, dim))]
    path = tmp_path / "big.vec"
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{n} {dim}\n")
        out.writelines(f"w{i} {rows[i % 1000]} \n" for i in range(n))
    first = load_embeddings(path)
    started = time.perf_counter()
    second = load_embeddings(path)
    seconds = time.perf_counter() - started
    assert len(second) == n and second.words[-1] == f"w{n - 1}"
    np.testing.assert_array_equal(second.vectors[123_456], first.vectors[123_456])
    assert seconds < 1.0, f"cached load took {seconds:.2f} s"


def test_200k_x_300_binary_loads_fast(tmp_path):
    n = 200_000
    vectors = np.tile(np.random.default_rng(0).standard_normal((1000, 300)).astype(np.float16), (n // 1000, 1))
    save_binary(tmp_path / "big", [f"w{i}" for i in range(n)], vectors)
    started = time.perf_counter()
    table = load_embeddings(tmp_path / "big.npy")
    seconds = time.perf_counter() - started
    assert table.vectors.shape == (n, 300)
    assert seconds < 1.0, f"load took {seconds:.2f} s"


def test_read_vec_reports_metadata(tmp_path):
    path = write_vec(tmp_path / "m.vec", ["a", "b"], np.ones((2, 3)))
    words, matrix, meta = read_vec(path)
    assert matrix.dtype == np.float16 and matrix.shape == (2, 3)
    assert meta["rows"] == 2 and meta["dim"] == 3 and meta["duplicates"] == 0
