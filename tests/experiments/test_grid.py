"""Grid expansion: dependencies of Cross-Augmented, result paths, automatic tags, resume status."""

from __future__ import annotations

import json

import pytest

from xner.errors import XnerError
from xner.experiments.grid import GridConfig, dependencies, expand, result_status
from xner.transfer.config import Budget


def test_augmented_pulls_in_its_bases_first(tmp_path):
    grid = GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[1, 2], budget=Budget(epochs=1),
                      results_root=str(tmp_path / "r"), runs_root=str(tmp_path / "w"))
    cells = expand(grid)
    names = [c.name for c in cells]
    assert len(cells) == 8  # 3 bases x 2 seeds + 2 augmented
    assert names[-2:] == ["es/cross-augmented/seed1", "es/cross-augmented/seed2"]
    aug = cells[-2]
    assert {d.config.variant for d in dependencies(aug, cells)} == {"cross-word-nochar", "cross-word", "cross-shared"}
    assert all(d.config.seed == 1 for d in dependencies(aug, cells))
    assert all(c.dependency for c in cells[:-2])
    assert aug.result_path == tmp_path / "r" / "e1" / "es" / "cross-augmented" / "seed1.json"
    fixed = GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[2], augment={"base": "cross-shared",
                       "base_seed": 1}, results_root=str(tmp_path / "r"))
    cells = expand(fixed)
    assert [c.name for c in cells][0] == "es/cross-shared/seed1"
    assert cells[-1].tag is not None and cells[-1].tag.startswith("cfg")  # non-default augment settings
    assert cells[0].tag is None  # ... which do not change the base cell


def test_result_status_and_grid_file(tmp_path):
    grid = GridConfig(langs=["nl"], variants=["cross-word"], seeds=[1], modes=["tgt-dev", "src-dev"],
                      results_root=str(tmp_path))
    cell = expand(grid)[0]
    assert result_status(cell) == "todo"
    cell.result_path.parent.mkdir(parents=True)
    cell.result_path.write_text(json.dumps({"complete": False, "modes": {}}))
    assert result_status(cell) == "partial"
    cell.result_path.write_text(json.dumps({"complete": True, "modes": {"tgt-dev": {}}}))
    assert result_status(cell) == "todo"  # src-dev missing
    cell.result_path.write_text(json.dumps({"complete": True, "modes": {"tgt-dev": {}, "src-dev": {}}}))
    assert result_status(cell) == "done"

    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"langs": ["ar"], "variants": ["cross-shared"], "seeds": [1, 2], "budget": "smoke"}))
    loaded = GridConfig.from_file(path, workers=3)
    assert loaded.budget.name != "full" and loaded.workers == 3 and loaded.seeds == [1, 2]
    path.write_text(json.dumps({"langs": ["ar"], "colour": 1}))
    with pytest.raises(XnerError, match="colour"):
        GridConfig.from_file(path)
    with pytest.raises(XnerError):
        GridConfig(langs=["en"])


def test_settings_are_typed_validated_and_saved_as_the_fields_they_change(tmp_path):
    from xner.model.config import TrainConfig
    from xner.transfer.config import SpaceConfig

    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"langs": ["es"], "train": {"length_buckets": 20}, "space": {"align_suffix": ".s"}}))
    grid = GridConfig.from_file(path).with_overrides({"augment": {"base_seed": 1}})
    assert isinstance(grid.train, TrainConfig) and grid.train.length_buckets == 20 and grid.train.lr == 0.1
    assert isinstance(grid.space, SpaceConfig) and grid.augment.base_seed == 1
    saved = grid.to_dict()
    assert (saved["train"], saved["space"], saved["augment"], saved["tagger"]) == (
        {"length_buckets": 20}, {"align_suffix": ".s"}, {"base_seed": 1}, {})
    assert GridConfig(**{**saved, "budget": grid.budget}) == grid  # a result's record rebuilds the grid
    assert grid.set_items() == ["space.align_suffix=.s", "augment.base_seed=1", "train.length_buckets=20"]
    cell = [c for c in expand(grid) if c.config.variant == "cross-word"][0]
    assert cell.config.train.to_dict() == {"length_buckets": 20} and cell.tag.startswith("cfg")
    assert expand(grid.with_overrides({"train": {"num_threads": 3}}))[0].tag == expand(grid)[0].tag  # result-neutral
    with pytest.raises(XnerError, match="init"):
        grid.with_overrides({"augment": {"target_init": "zeros"}})  # a bad choice fails when the grid is built
    with pytest.raises(XnerError, match="colour"):
        grid.with_overrides({"train": {"colour": 1}})
    with pytest.raises(XnerError, match="model"):
        grid.with_overrides({"model": {"x": 1}})


def test_a_recipe_runs_phases_with_command_line_overrides_under_each_phases_own_fields(tmp_path):
    from xner.experiments.grid import load_recipe

    path = tmp_path / "recipe.json"
    path.write_text(json.dumps({
        "about": "two phases",
        "common": {"budget": "smoke", "tag": "t", "seeds": [1], "train": {"length_buckets": 20}},
        "phases": [{"variants": ["cross-shared"], "seeds": [1]},
                   {"variants": ["cross-augmented"], "train": {"lr": 0.05}}],
        "table": {"tag": "t", "only": ["smoke"]},
    }))
    recipe = load_recipe(path, langs=["nl"], seeds=[2, 3], workers=None)
    first, second = recipe.phases
    assert first.seeds == [1] and second.seeds == [2, 3]  # a phase that fixes its seeds keeps them
    assert first.langs == second.langs == ["nl"] and first.budget.name == "smoke"
    assert second.train.length_buckets == 20 and second.train.lr == 0.05  # sections merge field by field
    assert recipe.table.only == ["smoke"] and recipe.about == "two phases"
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"langs": ["es"]}))
    assert [g.langs for g in load_recipe(plain, seeds=[4]).phases] == [["es"]]  # a plain grid file: one phase
    for bad, match in (({"phases": []}, "non-empty"), ({"phases": [{"colour": 1}]}, "phase 1.*colour"),
                       ({"phases": [{"langs": ["xx"]}]}, "phase 1.*xx"), ({"phases": [{}], "steps": 1}, "steps"),
                       ({"phases": [{}], "table": {"colour": 1}}, "table")):
        path.write_text(json.dumps(bad))
        with pytest.raises(XnerError, match=match):
            load_recipe(path)


def test_the_shipped_recipes_name_the_committed_cells():
    """Every cell of the recipes behind results/table3-5.md and results/supplementary/full has its committed result."""
    from pathlib import Path

    from xner.experiments.grid import load_recipe

    root = Path(__file__).resolve().parents[2]
    grids = root / "xner" / "experiments" / "grids"
    for name, langs, seeds in (("e1-supmap", None, None), ("full-supmap", ["es", "nl", "de", "ar", "fi"], [1])):
        for phase in load_recipe(grids / f"{name}.json", langs=langs, seeds=seeds).phases:
            phase.results_root = str(root / phase.results_root)
            assert {result_status(c) for c in expand(phase)} == {"done"}, (name, phase.langs, phase.variants)


def test_grid_command_lists_each_phase_and_refuses_a_bad_recipe(tmp_path, run_cli):
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps({"common": {"budget": "smoke", "results_root": str(tmp_path / "r")},
                                "phases": [{"variants": ["cross-word"]}, {"variants": ["cross-shared"], "seeds": [3]}]}))
    code, _, err = run_cli("experiment", "grid", path, "--lang", "nl", "--seed", "1", "--dry-run")
    assert code == 0, err
    assert "phase 1/2: nl x cross-word x seeds 1" in err and "phase 2/2: nl x cross-shared x seeds 3" in err
    assert "todo     nl/cross-word/seed1" in err and "todo     nl/cross-shared/seed3" in err
    path.write_text(json.dumps({"phases": [{"variants": ["cross-wrod"]}]}))
    code, _, err = run_cli("experiment", "grid", path, "--dry-run")
    assert code == 2 and err.startswith("xner: error: ") and "cross-wrod" in err and err.count("\n") == 1


def test_tgt_unlab_keeps_base_cells_on_the_paper_modes_and_tags_the_augmented_cell():
    from xner.experiments.grid import GridConfig, expand

    plain = expand(GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[1], modes=["src-dev"]))
    unlab = expand(GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[1], modes=["src-dev", "tgt-unlab"]))
    only = expand(GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[1], modes=["tgt-unlab"]))
    for cells in (unlab, only):
        bases = [c for c in cells if c.config.variant != "cross-augmented"]
        assert bases and all(c.config.modes == ("src-dev",) for c in bases)  # base results stay valid
        assert [c.result_path for c in bases] == [c.result_path for c in plain if c.config.variant != "cross-augmented"]
    # holding sentences out of pseudo-labelling changes every mode's result: a new folder
    assert unlab[-1].result_path != plain[-1].result_path and unlab[-1].tag


def test_beyond_recipe_reuses_the_dictfree_base_cells_and_names_each_setting():
    from pathlib import Path

    from xner.experiments.grid import expand, load_recipe

    root = Path(__file__).resolve().parents[2] / "xner" / "experiments" / "grids"
    recipe = load_recipe(root / "e4-beyond.json", langs=["es"])
    base_paths = {Path(f"results/experiments/e4-a2-u2000/es/{v}+dictfree/seed1.json")  # e4-dictfree.json's bases
                  for v in ("cross-word-nochar", "cross-word", "cross-shared")}
    tags = []
    for phase in recipe.phases:
        cells = expand(phase)
        assert {c.result_path for c in cells if c.config.variant != "cross-augmented"} <= base_paths
        tags.append({c.tag for c in cells if c.config.variant == "cross-augmented"}.pop())
        assert all("tgt-unlab" in c.config.modes for c in cells if c.config.variant == "cross-augmented")
    assert len(set(tags)) == len(tags) == 5
    assert recipe.phases[1].augment.target_loss == "soft" and recipe.phases[1].augment.base_seed == 1


def test_a_signal_ends_the_whole_recipe_not_just_its_phase(tmp_path, run_cli, monkeypatch):
    """SIGTERM/Ctrl-C stops the running phase's cells (partial results); the recipe must not go on to the next
    phase (it did: a `kill` of `xner experiment grid` started phase 2 behind the user's back)."""
    import xner.experiments.runner as runner

    phases_run = []

    def fake_run_grid(grid, command="", echo=print):
        phases_run.append(grid.variants)
        return runner.GridReport(stopped="SIGTERM")

    monkeypatch.setattr(runner, "run_grid", fake_run_grid)
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps({"common": {"budget": "smoke", "results_root": str(tmp_path / "r")},
                                "phases": [{"variants": ["cross-word"]}, {"variants": ["cross-shared"]}]}))
    code, _, err = run_cli("experiment", "grid", path, "--lang", "nl", "--seed", "1")
    assert code == 143 and phases_run == [["cross-word"]] and "phase(s) 2-2 not started" in err
    monkeypatch.setattr(runner, "run_grid", lambda grid, command="", echo=print:
                        phases_run.append(grid.variants) or runner.GridReport(stopped="deadline"))
    phases_run.clear()
    code, _, _ = run_cli("experiment", "grid", path, "--lang", "nl", "--seed", "1")
    assert phases_run == [["cross-word"], ["cross-shared"]]  # a deadline ends one phase only
