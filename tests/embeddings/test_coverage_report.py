"""`xner embed coverage`: the report is data first, rendered to Markdown that says how it was made."""

from __future__ import annotations

import json


def test_coverage_cli_writes_markdown_and_json(shared_data, tmp_path, run_cli):
    out = tmp_path / "results" / "embeddings.md"
    code, stdout, err = run_cli("embed", "coverage", "--lang", "es", "--lang", "de", "--out", out)
    assert code == 0, err
    report = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert set(report["languages"]) == {"es", "de"}
    es = report["languages"]["es"]
    assert es["rows"] == 36220 and es["dim"] == 300
    assert set(es["splits"]) == {"train", "dev", "test"} and set(report["languages"]["de"]["splits"]) == {"dev", "test"}
    assert es["splits"]["train"]["tokens"] == 264715  # CoNLL-2002 Spanish training tokens
    for cov in es["splits"].values():
        assert 0 < cov["tokens_exact"] <= cov["tokens_lower"] <= 100
    text = out.read_text(encoding="utf-8")
    assert "`xner embed coverage --lang es --lang de --out" in text
    assert f"{es['splits']['dev']['tokens_exact']:.2f}%" in text
