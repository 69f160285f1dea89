"""Cross-Augmented: no target training label is ever used, base choice per mode, the eq. 7 architecture."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from xner.experiments.grid import GridConfig, expand
from xner.experiments.runner import run_grid
from xner.transfer.augmented import AugmentedTagger, plan_runs
from xner.transfer.config import Budget

from .test_variants import record_label_reads

TINY = Budget(epochs=1, max_train_sentences=160, max_eval_sentences=40, max_vocab=3000, augment_iterations=2,
              max_unlabeled=120, eval_every=4)


def _run(root: Path, align: Path, out: Path, monkeypatch) -> dict:
    monkeypatch.setenv("XNER_DATA", str(root))
    grid = GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[2], modes=["tgt-dev", "src-dev"],
                      budget=TINY, threads=1, space={"align_root": str(align)}, augment={"base": "cross-shared"},
                      results_root=str(out / "results"), runs_root=str(out / "runs"))
    report = run_grid(grid, echo=lambda _: None)
    assert not report.failed, report
    cell = expand(grid)[-1]
    result = json.loads(cell.result_path.read_text())
    logs = sorted(cell.run_dir.rglob("metrics.jsonl"))
    result["_logs"] = [[{k: v for k, v in r.items() if k not in ("train_seconds", "sentences_per_second")} for r in map(json.loads, p.read_text().splitlines())]
                       for p in logs]
    return result


def test_garbage_target_training_labels_give_identical_results(make_data_root, align_root, tmp_path, monkeypatch):
    reads = record_label_reads(monkeypatch)
    clean_root = make_data_root(tmp_path / "clean")
    clean = _run(clean_root, align_root, tmp_path / "a", monkeypatch)
    es = str(clean_root / "ner" / "es")
    assert {Path(p).name for p, tags in reads if p.startswith(es) and tags} == {"dev.txt", "test.txt"}
    garbage = _run(make_data_root(tmp_path / "garbage", garbage_target_train=True), align_root,
                   tmp_path / "b", monkeypatch)
    assert (tmp_path / "clean" / "ner" / "es" / "train.txt").read_text() != \
        (tmp_path / "garbage" / "ner" / "es" / "train.txt").read_text()
    assert clean["modes"] == garbage["modes"]
    assert clean["pseudo_labels"] == garbage["pseudo_labels"]
    assert clean["_logs"] == garbage["_logs"] and len(clean["_logs"]) == 1  # one shared run for both modes
    assert [p["kept"] > 0 for p in next(iter(clean["pseudo_labels"].values()))] == [True, True]
    assert clean["base"]["tgt-dev"]["variant"] == "cross-shared" and clean["complete"]
    detail = clean["params_detail"]
    assert detail["params"] == detail["params_source"] + detail["params_target"]


class _Cell:
    def __init__(self, path: Path, name: str):
        self.result_path, self.name, self.run_dir = path, name, path.parent


def test_best_base_is_chosen_by_each_modes_own_metric(tmp_path):
    from xner.transfer.config import TransferConfig

    def base(variant, tgt_dev, src_dev, test):
        path = tmp_path / f"{variant}.json"
        modes = {"tgt-dev": {"selection_f1": tgt_dev, "step": 10, "test_f1": test, "selection_set": "tgt-dev"},
                 "src-dev": {"selection_f1": src_dev, "step": 20, "test_f1": test, "selection_set": "src-dev"}}
        path.write_text(json.dumps({"complete": True, "modes": modes}))
        return _Cell(path, variant)

    cells = {"cross-word-nochar": base("cross-word-nochar", 50, 70, 99),  # best test F1: must not matter
             "cross-word": base("cross-word", 60, 60, 1),
             "cross-shared": base("cross-shared", 60, 80, 1)}
    plan = plan_runs(TransferConfig(lang="es", variant="cross-augmented", modes=("tgt-dev", "src-dev")), cells)
    assert plan == {("cross-word", 10): plan[("cross-word", 10)], ("cross-shared", 20): plan[("cross-shared", 20)]}
    assert plan[("cross-word", 10)]["modes"] == ["tgt-dev"]  # tie 60/60: the earlier variant in the paper's order
    assert plan[("cross-shared", 20)]["modes"] == ["src-dev"]


def test_target_scorer_reads_both_encoders_and_detach_option(tiny_root, align_root):
    from xner.model.batching import make_batch
    from xner.transfer import cell as variants
    from xner.transfer.config import SpaceConfig, TransferConfig

    cfg = TransferConfig(lang="es", variant="cross-shared", budget=TINY, space=SpaceConfig(align_root=str(align_root)))
    data = variants.load_cell_data(cfg)
    source = variants.build_model(cfg, variants.build_space(cfg), data)
    aug = AugmentedTagger.from_source(source, "copy", detach_source_features=True)
    assert aug.target.scorer.dense.in_features == 2 * source.feature_dim  # [theta_t ; theta_s] (eq. 7)
    assert aug.target.word_embedding is aug.source.word_embedding
    batch = make_batch(data.src_train[:4], "es", aug.vocab)  # any tagged sentences will do for shapes
    aug.target_loss(batch).backward()
    assert all(p.grad is not None for p in aug.source.word_encoder.parameters())  # L_t(theta_s) trains theta_s
    aug.zero_grad()
    loss = aug.target.crf.nll(aug.target_emissions(batch), batch.tags, batch.mask)
    loss.backward()
    assert all(p.grad is None for p in aug.source.word_encoder.parameters())  # detached: theta_t's loss leaves theta_s
    assert all(p.grad is not None for p in aug.target.word_encoder.parameters())
    assert len(aug.decode(batch)) == 4 and torch.is_tensor(loss)


def test_copied_scorer_makes_theta_t_decode_exactly_like_theta_s(tiny_root, align_root):
    from xner.model.batching import make_batch
    from xner.transfer import cell as variants
    from xner.transfer.config import SpaceConfig, TransferConfig

    cfg = TransferConfig(lang="es", variant="cross-word", budget=TINY, space=SpaceConfig(align_root=str(align_root)))
    data = variants.load_cell_data(cfg)
    source = variants.build_model(cfg, variants.build_space(cfg), data).eval()
    batch = make_batch(data.tgt_test[:8], "es", source.vocab)
    want = source.emissions(source.features(batch))  # (B, T, n_tags)
    for init in ("copy", "random"):
        aug = AugmentedTagger.from_source(source, init, scorer_init="copy").eval()
        assert torch.allclose(aug.target_emissions(batch), want, atol=1e-5)
        assert aug.decode(batch) == source.decode(batch)
    fresh = AugmentedTagger.from_source(source, "copy").eval()
    assert not torch.allclose(fresh.target_emissions(batch), want, atol=1e-3)


def test_first_evaluation_precedes_any_update_and_reproduces_the_base(make_data_root, align_root, tmp_path,
                                                                      monkeypatch):
    """Regression: theta_s must be the base run's best checkpoint (same scores at iteration 0), and with
    target_scorer_init=copy the final tagger theta_t must start as that base tagger."""
    monkeypatch.setenv("XNER_DATA", str(make_data_root(tmp_path / "data")))
    grid = GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[1], modes=["tgt-dev", "src-dev"],
                      budget=TINY, threads=1, space={"align_root": str(align_root)},
                      augment={"base": "cross-shared", "target_scorer_init": "copy"},
                      results_root=str(tmp_path / "results"), runs_root=str(tmp_path / "runs"))
    assert not run_grid(grid, echo=lambda _: None).failed
    cells = expand(grid)
    base = next(c for c in cells if c.config.variant == "cross-shared")
    base_log = [json.loads(line) for line in (base.run_dir / "train" / "metrics.jsonl").read_text().splitlines()]
    result = json.loads(cells[-1].result_path.read_text())
    for mode in ("tgt-dev", "src-dev"):
        step = result["base"][mode]["step"]
        run = cells[-1].run_dir / f"cross-shared-step{step}"
        first = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
        assert first["initial"] and first["step"] == 0 and "pseudo" not in first
        at_step = next(r for r in base_log if r["step"] == step)["scores"]
        for name, f1 in first["source_scores"].items():
            assert abs(f1 - at_step[name]["f1"]) < 1e-3, (mode, name)  # theta_s = the base's best checkpoint
            assert abs(first["scores"][name]["f1"] - at_step[name]["f1"]) < 1e-3  # theta_t starts as theta_s
