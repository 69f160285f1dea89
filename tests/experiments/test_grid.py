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
    assert cell.config.train == {"length_buckets": 20} and cell.tag.startswith("cfg")
    assert expand(grid.with_overrides({"train": {"num_threads": 3}}))[0].tag == expand(grid)[0].tag  # result-neutral
    with pytest.raises(XnerError, match="init"):
        grid.with_overrides({"augment": {"target_init": "zeros"}})  # a bad choice fails when the grid is built
    with pytest.raises(XnerError, match="colour"):
        grid.with_overrides({"train": {"colour": 1}})
    with pytest.raises(XnerError, match="model"):
        grid.with_overrides({"model": {"x": 1}})
