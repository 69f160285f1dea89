"""`xner experiment merge-modes`: Cross-Augmented cells run one selection mode per process merge into one cell folder
with every run, the union of the plans and data records, and all modes; a run two modes share is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xner.errors import XnerError
from xner.experiments.merge_modes import merge_cell


def _mode_cell(root: Path, mode: str, run: str, files: dict, sentences: dict) -> Path:
    cell = root / mode / "seed1"
    (cell / run).mkdir(parents=True)
    (cell / run / "metrics.jsonl").write_text(f'{{"mode": "{mode}"}}\n', encoding="utf-8")
    info = {"config": {"modes": [mode], "seed": 1}, "plan": {run: {"modes": [mode]}},
            "data": {"files": files, "sentences": sentences}}
    (cell / "cell_info.json").write_text(json.dumps(info), encoding="utf-8")
    (cell / "log.txt").write_text(f"{mode} log\n", encoding="utf-8")
    return cell


def test_merge_keeps_every_run_and_unites_plans_and_data(tmp_path):
    test = {"fi/test": "t"}
    sources = {
        "tgt-dev": _mode_cell(tmp_path, "tgt-dev", "cross-word-step1", test | {"fi/dev": "d"},
                              {"tgt_dev": 9, "src_dev": None, "tgt_test": 5}),
        "src-dev": _mode_cell(tmp_path, "src-dev", "cross-shared-step2", test | {"en/dev": "e"},
                              {"tgt_dev": None, "src_dev": 7, "tgt_test": 5}),
    }
    merged = merge_cell(sources, tmp_path / "out")
    assert merged["config"]["modes"] == ["tgt-dev", "src-dev"]
    assert set(merged["plan"]) == {"cross-word-step1", "cross-shared-step2"}
    assert merged["data"]["files"] == {"fi/test": "t", "fi/dev": "d", "en/dev": "e"}
    assert merged["data"]["sentences"] == {"tgt_dev": 9, "src_dev": 7, "tgt_test": 5}
    on_disk = json.loads((tmp_path / "out" / "cell_info.json").read_text(encoding="utf-8"))
    assert on_disk == merged
    assert (tmp_path / "out" / "cross-shared-step2" / "metrics.jsonl").read_text() == '{"mode": "src-dev"}\n'
    assert (tmp_path / "out" / "log.txt").read_text() == "tgt-dev log\nsrc-dev log\n"


def test_a_run_planned_by_two_modes_is_refused_and_leaves_nothing(tmp_path):
    sources = {m: _mode_cell(tmp_path, m, "cross-word-step1", {}, {}) for m in ("tgt-dev", "tgt-test")}
    with pytest.raises(XnerError, match="planned by two modes"):
        merge_cell(sources, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tgt-dev", "tgt-test"]  # no (half-)merged folder


def test_the_cli_merges_each_seed_from_the_mode_roots(tmp_path, run_cli):
    cell = "full/fi/cross-augmented+supmap"
    for mode in ("tgt-dev", "src-dev", "tgt-test"):
        built = _mode_cell(tmp_path / "built", mode, f"run-{mode}", {}, {})
        (tmp_path / "gpu" / mode / cell).mkdir(parents=True)
        built.rename(tmp_path / "gpu" / mode / cell / "seed2")
    code, out, err = run_cli("experiment", "merge-modes", "--lang", "fi", "--seed", "2", "--from", tmp_path / "gpu",
                             "--out", tmp_path / "runs")
    assert code == 0, err
    merged = json.loads((tmp_path / "runs" / cell / "seed2" / "cell_info.json").read_text(encoding="utf-8"))
    assert merged["config"]["modes"] == ["tgt-dev", "src-dev", "tgt-test"] and len(merged["plan"]) == 3
    code, out, err = run_cli("experiment", "merge-modes", "--lang", "fi", "--seed", "2", "--from", tmp_path / "gpu",
                             "--out", tmp_path / "runs")
    assert code == 2 and err.startswith("xner: error: ") and "already exists" in err
