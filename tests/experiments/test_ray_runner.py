"""A 2-worker local Ray run of a small grid writes the same results as the sequential runner.

Grid: es x seeds 1, 2 (Source-Mono, the variant that needs no alignment) on `tiny_root` (160 English training
sentences of the shared data, else of the shipped bundle), 1 epoch, 40 eval sentences, 2,000 embedding rows, one
torch thread per cell. The two runs happen in
two folders with the same relative paths, so every field but the timings (and the grid's `workers`)
must be identical; each
cell's training-loss curve (metrics.jsonl) must be identical too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[ray]'")

SEEDS = [1, 2]
TIMING = {"started", "finished", "wall_s", "train_seconds", "sentences_per_second", "train_seconds_total"}


def _grid(workers: int):
    from xner.experiments.grid import GridConfig
    from xner.transfer.config import Budget

    budget = Budget(epochs=1, max_train_sentences=200, max_eval_sentences=50, max_vocab=2000,
                    max_unlabeled=100, eval_every=5)
    return GridConfig(langs=["es"], variants=["source-mono"], seeds=SEEDS, budget=budget,
                      workers=workers, threads=1, results_root="results", runs_root="runs")


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in TIMING}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _results(root: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((root / "results").rglob("*.json")):
        result = _strip(json.loads(path.read_text(encoding="utf-8")))
        del result["grid"]["workers"]  # how many cells ran at once: 1 sequentially, 2 on Ray
        out[str(path.relative_to(root))] = result
    for path in sorted((root / "runs").rglob("metrics.jsonl")):
        out[str(path.relative_to(root))] = [_strip(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    return out


@pytest.mark.slow
def test_ray_grid_equals_sequential_grid(tiny_root, tmp_path, monkeypatch):
    import ray

    from xner.experiments.ray_runner import run_grid_ray
    from xner.experiments.runner import run_grid

    command = "xner experiment run (test_ray_runner)"
    seq, par = tmp_path / "sequential", tmp_path / "ray"
    seq.mkdir()
    par.mkdir()

    monkeypatch.chdir(seq)
    report = run_grid(_grid(workers=1), command=command, echo=print)
    assert len(report.done) == len(SEEDS) and not report.failed

    monkeypatch.chdir(par)
    lines: list[str] = []
    report = run_grid_ray(_grid(workers=2), command=command, echo=lines.append)
    print("\n".join(lines))
    assert sorted(report.done) == [f"es/source-mono/seed{s}" for s in SEEDS]
    assert not report.failed and not report.not_started
    assert not ray.is_initialized()  # the private local instance was shut down

    a, b = _results(seq), _results(par)
    assert len([k for k in a if k.endswith(".json")]) == len([k for k in a if k.endswith(".jsonl")]) == len(SEEDS)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], key
    losses = {k: [r["train_loss"] for r in v] for k, v in a.items() if k.endswith(".jsonl")}
    assert len({json.dumps(v) for v in losses.values()}) == len(SEEDS), "each cell trained differently (its seed)"

    # Done cells are skipped without starting Ray at all.
    report = run_grid_ray(_grid(workers=2), command=command, echo=print)
    assert len(report.skipped) == len(SEEDS) and not report.done
    assert not ray.is_initialized()
