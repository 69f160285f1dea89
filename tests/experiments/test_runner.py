"""The runner: results written per cell, resume after an interruption gives the uninterrupted result, skip done
cells, parallel workers."""

from __future__ import annotations

import json

from xner.experiments.grid import GridConfig, expand, result_status
from xner.experiments.runner import run_grid
from xner.transfer.config import Budget

TINY = Budget(epochs=1, max_train_sentences=160, max_eval_sentences=40, max_vocab=3000, eval_every=4)


def _grid(tmp_path, name, **kw):
    base = dict(langs=["es"], variants=["source-mono-nochar"], seeds=[1], modes=["tgt-dev", "src-dev"], budget=TINY,
                threads=1, results_root=str(tmp_path / name / "results"), runs_root=str(tmp_path / name / "runs"))
    base.update(kw)
    return GridConfig(**base)


def test_interrupted_cell_leaves_partial_result_and_resumes_to_the_uninterrupted_result(tiny_root, tmp_path):
    full = run_grid(_grid(tmp_path, "a"), echo=lambda _: None)
    assert full.done == ["es/source-mono-nochar/seed1"]
    cut = _grid(tmp_path, "b", train={"stop_after_batches": 6})
    run_grid(cut, echo=lambda _: None)
    cell = expand(cut)[0]
    partial = json.loads(cell.result_path.read_text())
    assert result_status(cell) == "partial" and partial["complete"] is False
    assert partial["progress"]["epochs_done"] < 1 and partial["modes"]["tgt-dev"] is not None
    resumed = run_grid(_grid(tmp_path, "b"), echo=lambda _: None)  # same cell, no stop: continues the checkpoint
    assert resumed.done == ["es/source-mono-nochar/seed1"]
    a = json.loads(expand(_grid(tmp_path, "a"))[0].result_path.read_text())
    b = json.loads(cell.result_path.read_text())
    assert b["complete"] and b["modes"] == a["modes"] and b["random_target"] == a["random_target"]
    assert b["wall_s"] >= partial["wall_s"]  # total time across both calls
    for key in ("git", "machine", "data", "space", "config", "command", "budget", "seed"):
        assert key in b
    again = run_grid(_grid(tmp_path, "b"), echo=lambda _: None)
    assert again.skipped == ["es/source-mono-nochar/seed1"] and not again.done


def test_worker_processes_run_cells_and_write_logs(tiny_root, tmp_path):
    """`workers > 1` or a deadline runs each cell in a spawned process (what the GPU grid uses)."""
    grid = _grid(tmp_path, "p", workers=2, deadline_s=600, modes=["src-dev"])
    report = run_grid(grid, echo=lambda _: None)
    assert report.done == ["es/source-mono-nochar/seed1"], report
    for cell in expand(grid):
        data = json.loads(cell.result_path.read_text())
        assert data["complete"] and set(data["modes"]) == {"src-dev"}
        assert (cell.run_dir / "log.txt").is_file()


def test_reused_tag_with_other_settings_is_refused(tmp_path):
    import pytest

    from xner.errors import XnerError
    from xner.experiments.runner import _check_same_setting

    cell = expand(_grid(tmp_path, "t", tag="x"))[0]
    cell.result_path.parent.mkdir(parents=True)
    cell.result_path.write_text(json.dumps({"complete": False, "config": cell.config.to_dict()}))
    _check_same_setting(cell)  # same settings (device and modes aside): may continue
    _check_same_setting(expand(_grid(tmp_path, "t", tag="x", device="cuda", modes=["src-dev"]))[0])
    with pytest.raises(XnerError, match="--tag"):
        _check_same_setting(expand(_grid(tmp_path, "t", tag="x", space={"random_std": 0.5}))[0])
    # Cross-Augmented: adding tgt-unlab holds sentences out of pseudo-labelling, so it is another setting
    aug = expand(_grid(tmp_path, "u", tag="x", variants=["cross-augmented"], modes=["src-dev"]))[-1]
    aug.result_path.parent.mkdir(parents=True)
    aug.result_path.write_text(json.dumps({"complete": False, "config": aug.config.to_dict()}))
    _check_same_setting(expand(_grid(tmp_path, "u", tag="x", variants=["cross-augmented"], modes=["tgt-dev"]))[-1])
    with pytest.raises(XnerError, match="--tag"):
        _check_same_setting(expand(_grid(tmp_path, "u", tag="x", variants=["cross-augmented"],
                                         modes=["src-dev", "tgt-unlab"]))[-1])


def test_result_records_the_commit_the_cell_started_with(tiny_root, tmp_path, monkeypatch):
    """A cell runs for an hour; a commit made meanwhile must not be credited with its numbers."""
    import xner.experiments.runner as runner

    calls = []

    def fake_git_info():
        calls.append(1)
        return {"commit": f"c{len(calls)}", "dirty": False}

    monkeypatch.setattr(runner, "git_info", fake_git_info)
    grid = _grid(tmp_path, "g", modes=["src-dev"])
    run_grid(grid, echo=lambda _: None)
    data = json.loads(expand(grid)[0].result_path.read_text())
    assert data["git"] == {"commit": "c1", "dirty": False}
