"""A saved mapping loads back and maps tables in both directions; the CLI writes its folder and fails cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from xner.align.mapping import Mapping, load_mapping, mapped_tables, save_mapping
from xner.align.pipeline import random_rotation
from xner.embeddings import EmbeddingTable
from xner.errors import XnerError


def _tables():
    rng = np.random.default_rng(0)
    src = EmbeddingTable([f"s{i}" for i in range(30)], rng.standard_normal((30, 8)).astype(np.float16), "src")
    tgt = EmbeddingTable([f"t{i}" for i in range(20)], rng.standard_normal((20, 8)).astype(np.float16), "tgt")
    return src, tgt


def test_save_load_and_both_directions(tmp_path):
    src, tgt = _tables()
    W = random_rotation(8, 0)
    mapping = Mapping(W=W, src_lang="en", tgt_lang="ar", direction="t2s", normalize="renorm,center,renorm",
                      src_means=[np.full(8, 0.1, np.float32)], tgt_means=[np.full(8, -0.2, np.float32)])
    save_mapping(mapping, tmp_path)
    loaded = load_mapping(tmp_path)
    assert loaded.direction == "t2s" and loaded.tgt_lang == "ar"
    np.testing.assert_allclose(loaded.W, W)
    np.testing.assert_allclose(loaded.W_inv @ loaded.W, np.eye(8), atol=1e-5)
    en_a, xx_a = mapped_tables(src, tgt, loaded)  # English space (t2s, as trained)
    en_b, xx_b = mapped_tables(src, tgt, loaded, "s2t")  # Arabic space via W^-1
    # the same geometry either way: cross-lingual cosines agree
    np.testing.assert_allclose(en_a.vectors @ xx_a.vectors.T, en_b.vectors @ xx_b.vectors.T, atol=1e-4)
    assert en_a.words == src.words and len(xx_a) == 20


def test_load_mapping_missing(tmp_path):
    with pytest.raises(XnerError, match="no mapping.safetensors"):
        load_mapping(tmp_path)


def test_cli_supervised_writes_folder(ner_data, tmp_path):
    out = tmp_path / "en-es"
    proc = subprocess.run(
        [sys.executable, "-c", "from xner.cli import main; main()", "align", "--tgt", "es", "--out", str(out),
         "--mode", "identical", "--set", "max_vocab=5000", "--set", "eval_vocab=8000"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "XNER_DATA": str(ner_data)},
    )
    assert proc.returncode == 0, proc.stderr
    for name in ("mapping.safetensors", "config.json", "log.jsonl", "eval.json", "result.json"):
        assert (out / name).is_file(), name
    result = json.loads((out / "result.json").read_text())
    assert result["mode"] == "identical" and result["direction"] == "s2t"
    assert result["evaluation"]["queries"] > 150  # the shipped test dictionary has 214 pairs


def test_cli_bad_input_one_line_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "from xner.cli import main; main()", "align", "--tgt", "es", "--out", str(tmp_path),
         "--set", "nonsense=1"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("xner: error: unknown alignment config field")


def test_align_table_renders_from_run_folders(tmp_path, run_cli):
    code, _, stderr = run_cli("align", "table", "--render-only", "--langs", "es", "--runs", tmp_path / "runs",
                              "--out", tmp_path / "align")
    assert code == 0, stderr
    text = (tmp_path / "align.md").read_text(encoding="utf-8")
    assert "| en-es |" in text and "not run" in text and "xner align table --render-only" in text
    assert json.loads((tmp_path / "align.json").read_text(encoding="utf-8"))
