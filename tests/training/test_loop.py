"""The one training loop: evaluation of only the needed sets selects what scoring every set selects,
early stopping replayed from a log equals the live decision, one clipping rule."""

from __future__ import annotations

import json

import torch

from tests.training.conftest import build
from xner.model.config import TrainConfig
from xner.training.early_stopping import EarlyStopping, replay
from xner.training.loop import clip_gradients
from xner.training.trainer import train


def _log(path):
    return [json.loads(x) for x in (path / "metrics.jsonl").read_text().splitlines()]


def test_needed_sets_only_select_the_same_steps_and_weights_as_scoring_every_set(demo_bits, tmp_path):
    bundle, _ = demo_bits
    sets = {"dev": (bundle.source_dev[:40], "en"), "test": (bundle.source_dev[40:80], "en")}
    runs = {}
    for policy in (True, False):
        model = build(demo_bits)
        config = TrainConfig(epochs=2, eval_every=2, num_threads=1, eval_all_sets=policy)
        result = train(model, bundle.source_train[:96], config, tmp_path / str(policy), sets, select_on=["dev"],
                       show_progress=False)
        runs[policy] = (model, result, _log(tmp_path / str(policy)))
    (old_model, old, old_log), (new_model, new, new_log) = runs[True], runs[False]
    assert new.best["dev"]["step"] == old.best["dev"]["step"]  # same selected step
    assert new.best["dev"]["scores"]["test"] == old.best["dev"]["scores"]["test"]  # test scored where it is reported
    for (name, a), b in zip(old_model.named_parameters(), new_model.parameters()):
        assert torch.equal(a, b), name  # evaluating fewer sets does not change the trajectory
    assert [r["scores"]["dev"] for r in old_log] == [r["scores"]["dev"] for r in new_log]
    assert all("test" in r["scores"] for r in old_log)
    scored = [r["step"] for r in new_log if "test" in r["scores"]]
    improved = [r["step"] for i, r in enumerate(new_log)
                if r["scores"]["dev"]["f1"] > max([-1.0] + [p["scores"]["dev"]["f1"] for p in new_log[:i]])]
    assert scored == improved and len(scored) < len(new_log)


def test_replayed_early_stopping_is_the_live_rule():
    f1s = [10, 12, 12, 11, 13, 13, 13, 13]  # initial, then one evaluation per round end
    records = [{"step": i, "initial": i == 0, "iteration_end": i > 0, "scores": {"dev": {"f1": f}}}
               for i, f in enumerate(f1s)]
    live = EarlyStopping(["dev"], patience=2)
    stopped_at = None
    for r in records:
        live.observe({"dev": r["scores"]["dev"]["f1"]})
        if r["initial"]:
            live.initial_done()
            continue
        live.round_end()
        if live.should_stop():
            stopped_at = r["step"]
            break
    seen, ran_out = replay(records, "dev", 2)
    assert ran_out and seen[-1]["step"] == stopped_at == 3  # rounds 2 and 3 did not beat 12
    assert replay(records, "dev", 10) == (records, False)


def test_clipping_bounds_the_global_norm_of_dense_and_sparse_gradients():
    dense = torch.nn.Parameter(torch.zeros(3))
    sparse = torch.nn.Embedding(5, 2, sparse=True)
    dense.grad = torch.tensor([3.0, 0.0, 0.0])
    sparse(torch.tensor([1])).sum().mul(4.0).backward()  # grad rows: [4, 4]
    total = clip_gradients([dense, sparse.weight], 1.0)
    assert abs(float(total) - (9 + 32) ** 0.5) < 1e-5
    norm = (dense.grad.pow(2).sum() + sparse.weight.grad.coalesce().values().pow(2).sum()).sqrt()
    assert abs(float(norm) - 1.0) < 1e-4
