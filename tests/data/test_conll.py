"""CoNLL reader/writer: tolerant of real-world variants, exact on round trips, precise on bad input."""

from __future__ import annotations

import subprocess
import sys
from itertools import islice

import pytest

from xner.data.conll import Sentence, read_conll, read_plain_sentences, write_conll
from xner.errors import XnerError


def test_reads_bom_crlf_docstart_and_extra_columns(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(
        "\ufeff-DOCSTART- -X- O O\r\n\r\nEU NNP B-NP B-ORG\r\nrejects VBZ B-VP O\r\n\r\n"
        "-DOCSTART- -X- O O\r\nPeter NNP B-NP B-PER\r\n".encode("utf-8")
    )
    assert read_conll(path) == [
        Sentence(("EU", "rejects"), ("B-ORG", "O")),
        Sentence(("Peter",), ("B-PER",)),
    ]


def test_configurable_columns_and_encoding(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("B-LOC Córdoba x\nO está x\n".encode("latin-1"))
    sents = read_conll(path, token_column=1, tag_column=0, encoding="latin-1")
    assert sents == [Sentence(("Córdoba", "está"), ("B-LOC", "O"))]
    with pytest.raises(XnerError, match=r"latin\.txt:1: cannot decode byte 0xf3 as utf-8"):
        read_conll(path, token_column=1, tag_column=0)


def test_tokens_only_mode(tmp_path):
    path = tmp_path / "raw.txt"
    path.write_text("a\nb\n\nc B-PER\n", encoding="utf-8")
    assert [s.tokens for s in read_conll(path, require_tags=False)] == [("a", "b"), ("c",)]
    assert all(set(s.tags) == {"O"} for s in read_conll(path, require_tags=False))


def test_round_trip_synthetic(tmp_path):
    sents = [Sentence(("Ünïcode", "«quotes»", "a-b"), ("S-MISC", "O", "S-ORG")), Sentence(("x",), ("O",))]
    write_conll(tmp_path / "out.txt", sents)
    assert read_conll(tmp_path / "out.txt") == sents
    preds = [["B-MISC", "O", "O"], ["B-PER"]]
    write_conll(tmp_path / "pred.txt", sents, preds)
    assert [s.tags for s in read_conll(tmp_path / "pred.txt", tag_column=2)] == [tuple(p) for p in preds]
    assert read_conll(tmp_path / "pred.txt", tag_column=1) == sents


@pytest.mark.parametrize("lang", ["en", "es", "nl", "de", "ar", "fi"])
def test_round_trip_real_slices(request, tmp_path, lang):
    """en/es: `ner_data` (the shared files, else the shipped bundle's); the other four only in the shared data."""
    root = request.getfixturevalue("ner_data" if lang in ("en", "es") else "shared_data")
    source = root / "ner" / lang / "dev.txt"
    head = tmp_path / "head.txt"
    with open(source, encoding="utf-8") as f:
        head.write_text("".join(islice(f, 3000)), encoding="utf-8")
    first = read_conll(head)
    write_conll(tmp_path / "copy.txt", first)
    assert read_conll(tmp_path / "copy.txt") == first
    assert len(first) > 50


@pytest.mark.parametrize(
    "bad",
    [
        Sentence((), ()),
        Sentence(("two words",), ("O",)),
        Sentence(("",), ("O",)),
        Sentence(("-DOCSTART-",), ("O",)),
        Sentence(("a",), ("PER",)),
        Sentence(("a", "b"), ("O",)),
    ],
)
def test_writer_refuses_what_cannot_round_trip(tmp_path, bad):
    out = tmp_path / "out.txt"
    with pytest.raises(XnerError):
        write_conll(out, [Sentence(("ok",), ("O",)), bad])
    assert not out.exists()  # atomic: no half-written file
    assert list(tmp_path.iterdir()) == []  # and no temp file left behind


# (file bytes, line named in the error, part of the message)
BAD_INPUTS = {
    "one_column": (b"EU B-ORG\nrejects\n", 2, "found one column"),
    "bad_tag": (b"EU B-ORG\n\nrejects B_ORG\n", 3, "invalid tag 'B_ORG'"),
    "bad_tag_no_type": (b"EU B-\n", 1, "invalid tag 'B-'"),
    "empty": (b"", 1, "holds no sentences"),
    "whitespace_only": (b"\n  \n\t\n\n", 4, "holds no sentences"),
    "docstart_only": (b"-DOCSTART- O\n\n", 2, "holds no sentences"),
    "binary": (b"EU B-ORG\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 2, "binary file"),
    "undecodable": (b"EU B-ORG\n\nna\xefve O\n", 3, "cannot decode byte 0xef"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_names_file_and_line(tmp_path, case):
    content, line, message = BAD_INPUTS[case]
    path = tmp_path / f"{case}.txt"
    path.write_bytes(content)
    with pytest.raises(XnerError) as err:
        read_conll(path)
    assert err.value.path == str(path)
    assert err.value.line == line
    assert message in err.value.message
    assert str(err.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_through_cli(tmp_path, run_cli, case):
    content, line, message = BAD_INPUTS[case]
    path = tmp_path / f"{case}.txt"
    path.write_bytes(content)
    code, out, err = run_cli("data", "check", path)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"xner: error: {path}:{line}: ")
    assert message in err


def test_cli_subprocess_prints_one_line_no_traceback(tmp_path):
    """The installed entry point, as a user runs it."""
    path = tmp_path / "bad.txt"
    path.write_bytes(b"EU B-ORG\nrejects\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from xner.cli import main; main()", "data", "check", str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"xner: error: {path}:2: expected a token and a tag, found one column: 'rejects'\n"
    assert "Traceback" not in proc.stdout + proc.stderr


def test_cli_check_good_file(tmp_path, run_cli):
    path = tmp_path / "good.txt"
    path.write_text("EU B-ORG\nrejects O\nGerman B-MISC\n\nPeter B-PER\nBlackburn I-PER\n", encoding="utf-8")
    code, out, _ = run_cli("data", "check", path)
    assert code == 0
    assert "2 sentences, 5 tokens, scheme IOB2, entities MISC:1 ORG:1 PER:1" in out


def test_missing_file(tmp_path):
    with pytest.raises(XnerError, match="no such file"):
        read_conll(tmp_path / "nope.txt")


def test_plain_sentences(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("Das ist gut .\n\n  \nNoch einer\n", encoding="utf-8")
    assert [s.tokens for s in read_plain_sentences(path)] == [("Das", "ist", "gut", "."), ("Noch", "einer")]
    path.write_text("\n \n", encoding="utf-8")
    with pytest.raises(XnerError, match=r"plain\.txt:2: file holds no sentences"):
        read_plain_sentences(path)
