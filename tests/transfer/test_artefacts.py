"""A grid cell keeps its selected model as a loadable folder; `xner experiment model` prints it and rebuilds it
from the kept weights when it is missing (run folders made before cells kept their models)."""

from __future__ import annotations

import shutil

from xner.experiments.grid import GridConfig, expand
from xner.experiments.runner import run_grid
from xner.transfer.config import Budget

TINY = Budget(epochs=1, max_train_sentences=160, max_eval_sentences=40, max_vocab=3000, eval_every=4)


def test_cell_model_is_kept_and_rematerialised_identically(tiny_root, align_root, tmp_path, run_cli):
    import torch

    import xner
    from xner.model.persistence import load_model

    grid = GridConfig(langs=["es"], variants=["cross-word"], seeds=[1], modes=["src-dev"], budget=TINY, threads=1,
                      space={"align_root": str(align_root)}, results_root=str(tmp_path / "results"),
                      runs_root=str(tmp_path / "runs"))
    assert not run_grid(grid, echo=lambda _: None).failed
    cell = expand(grid)[0]
    kept = cell.run_dir / "train" / "best-src-dev"
    assert (kept / "config.json").is_file()  # the selected model stays in the run folder
    args = ["experiment", "model", "--lang", "es", "--variant", "cross-word", "--seed", "1", "--mode", "src-dev",
            "--budget", TINY.name, "--set", f"space.align_root={align_root}", "--results", tmp_path / "results",
            "--runs", tmp_path / "runs"]
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert out.strip() == str(kept)
    tokens = [["El", "Real", "Madrid", "ganó", "en", "Sevilla", "."], ["La", "ONU", "se", "reunió", "."]]
    before = xner.load(kept).predict(tokens, "es")
    weights = load_model(kept).state_dict()
    shutil.rmtree(kept)  # as in a run folder from before cells kept their models
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert xner.load(out.strip()).predict(tokens, "es") == before
    again = load_model(out.strip()).state_dict()
    assert weights.keys() == again.keys() and all(torch.equal(weights[k], again[k]) for k in weights)
