"""Beyond the paper (issue 18): soft-label teacher-student loss, confidence selection of pseudo-labels, and the
label-free `tgt-unlab` selection mode; the paper's Algorithm 1 stays the default."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from xner.errors import XnerError
from xner.model.augmented import soft_label_loss
from xner.model.crf import CRF, marginals
from xner.transfer.augmented import augment_fingerprint
from xner.transfer.config import AugmentConfig, TransferConfig
from xner.transfer.pseudo_labels import confidence_margin, entity_spans, keep_confident
from xner.transfer.selection import holdout_split

from .test_transfer_api import _augmented_inputs, _log, demo, mapping_dir  # noqa: F401 (fixtures)


def test_soft_loss_is_zero_for_the_teacher_itself_and_training_moves_a_student_to_it():
    torch.manual_seed(0)
    crf = CRF(5)
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    teacher = marginals(crf, torch.randn(2, 6, 5) * 3, mask).detach()
    for kind in ("kl", "mse"):
        assert float(soft_label_loss(teacher, teacher, mask, kind)) == pytest.approx(0.0, abs=1e-6)
    student = torch.zeros(2, 6, 5, requires_grad=True)  # the student's emissions, same CRF
    opt = torch.optim.SGD([student], lr=0.5)
    losses = []
    for _ in range(200):
        loss = soft_label_loss(marginals(crf, student, mask), teacher, mask, "kl")
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.05 * losses[0]
    assert torch.allclose(marginals(crf, student, mask), teacher, atol=0.05)


def test_entity_spans_and_confidence_rules():
    tags = ("B-PER", "I-PER", "O", "B-LOC", "I-ORG")
    assert entity_spans(tags) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 5, "ORG")]
    conf = np.array([0.9, 0.7, 0.99, 0.95, 0.6])
    assert confidence_margin(conf, tags, "sentence-min", 0.5) == pytest.approx(0.1)
    assert confidence_margin(conf, tags, "sentence-mean", 0.8) == pytest.approx(conf.mean() - 0.8)
    assert confidence_margin(conf, tags, "entity-min", 0.5) == pytest.approx(0.1)  # ORG, 0.6
    assert confidence_margin(conf, tags, "entity-min", 0.5, {"ORG": 0.7}) == pytest.approx(-0.1)
    # no predicted entity: entity-min falls back to the least sure token (a possibly missed entity)
    assert confidence_margin(np.array([0.99, 0.4]), ("O", "O"), "entity-min", 0.5) == pytest.approx(-0.1)


def test_confident_pseudo_labels_are_more_precise_on_a_toy_teacher():
    """A noisy teacher CRF tags toy sentences; the sentences it is sure about carry more precise entities."""
    from xner.model.predictor import fast_span_scores

    names = ["O", "B-PER", "I-PER"]
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    crf = CRF(3, boundary=False)
    with torch.no_grad():
        crf.transitions.zero_()
        crf.transitions[0, 2] = -8.0  # O -> I-PER is (almost) impossible
    gold, pred, conf = [], [], []
    for _ in range(300):
        n = int(rng.integers(3, 9))
        g = [0] * n
        for start in rng.choice(n - 1, size=int(rng.integers(0, 2)), replace=False):
            g[start], g[start + 1] = 1, 2
        clean = torch.nn.functional.one_hot(torch.tensor(g), 3).float() * 3.0  # (n, 3)
        em = (clean + torch.from_numpy(rng.normal(0, rng.uniform(0.3, 2.5), (n, 3))).float())[None]
        mask = torch.ones(1, n, dtype=torch.bool)
        path = crf.decode(em, mask)[0]
        p = marginals(crf, em, mask)[0].detach().numpy()
        gold.append([names[t] for t in g])
        pred.append([names[t] for t in path])
        conf.append(p[np.arange(n), path])
    everything = fast_span_scores(gold, pred)
    for rule in ("sentence-min", "entity-min"):
        keep = keep_confident(conf, pred, rule, 0.8)
        assert 20 < len(keep) < 300
        kept = fast_span_scores([gold[i] for i in keep], [pred[i] for i in keep])
        assert kept["precision"] > everything["precision"] + 5, rule


def test_config_checks_and_the_paper_fingerprint_is_unchanged():
    for bad in ({"target_loss": "soft-ish"}, {"pseudo_select": "random"}, {"confidence_rule": "max"},
                {"unlab_criterion": "vibes"}, {"confidence_threshold": 1.5}, {"confidence_per_type": {"PER": -1}},
                {"soft_temperature": 0.0}):
        with pytest.raises(XnerError):
            AugmentConfig(**bad)
    assert AugmentConfig().target_loss == "hard" and AugmentConfig().pseudo_select == "length"  # the paper
    assert TransferConfig().modes == ("tgt-dev", "src-dev", "tgt-test")  # the paper's three by default
    fp = augment_fingerprint(AugmentConfig(), ("src-dev",))
    assert not {"target_loss", "pseudo_select", "unlab_holdout", "unlab_criterion"} & set(fp)  # old runs resume
    assert augment_fingerprint(AugmentConfig(target_loss="soft"), ("src-dev",))["target_loss"] == "soft"
    assert "unlab_criterion" in augment_fingerprint(AugmentConfig(unlab_criterion="agreement"), ("tgt-unlab",))


def test_holdout_is_at_most_a_quarter():
    sents = list(range(40))
    rest, held = holdout_split(sents, 500)
    assert held == sents[-10:] and rest == sents[:-10]
    assert holdout_split(sents, 3)[1] == sents[-3:]
    with pytest.raises(XnerError, match="too few"):
        holdout_split(sents[:3], 500)


BEYOND = {"target_loss": "hard+soft", "pseudo_select": "length+confidence", "confidence_rule": "sentence-mean",
          "confidence_threshold": 0.0, "soft_temperature": 2.0}


@pytest.mark.parametrize("criterion", ["confidence", "agreement", "entity-rate"])
def test_tgt_unlab_selects_a_checkpoint_with_no_labelled_target_set(demo, mapping_dir, tmp_path,  # noqa: F811
                                                                    criterion):
    """No target dev or test set at all: the mode still scores every evaluation and keeps its best weights."""
    from xner.transfer.augmented import train_augmented
    from xner.transfer.cell import CellData

    config, data, source = _augmented_inputs(demo, mapping_dir)
    config = config.replace(modes=("tgt-unlab",), augment=config.augment.replace(unlab_criterion=criterion, **BEYOND))
    data = CellData(data.src_train, None, None, None, data.unlabeled)  # nothing labelled in the target language
    run = train_augmented(source, data, config, tmp_path / "a", ["tgt-unlab"], show_progress=False)
    log = _log(tmp_path / "a")
    assert all(set(r["scores"]) == {"tgt-unlab"} for r in log) and len(log) > 3
    assert run.best["tgt-unlab"]["f1"] == max(r["scores"]["tgt-unlab"]["f1"] for r in log)
    assert (tmp_path / "a" / "best-tgt-unlab.safetensors").is_file()
    info = json.loads((tmp_path / "a" / "run_config.json").read_text())
    assert info["held_out_unlabeled"] == len(data.unlabeled) // 4  # at most a quarter, out of pseudo-labelling
    assert info["unlabeled_sentences"] == len(data.unlabeled) - info["held_out_unlabeled"]
    if criterion == "agreement":  # theta_t starts as theta_s (copied scorer): full agreement at iteration 0
        assert log[0]["scores"]["tgt-unlab"]["f1"] == pytest.approx(100.0)
    assert all(0.0 <= r["scores"]["tgt-unlab"]["f1"] <= 100.0 for r in log)


def test_killed_run_with_soft_labels_and_confidence_selection_resumes_bit_identically(demo, mapping_dir,  # noqa: F811
                                                                                      tmp_path):
    from xner.transfer.augmented import train_augmented

    def inputs(stop_after=0):
        config, data, source = _augmented_inputs(demo, mapping_dir, stop_after)
        return config.replace(modes=("src-dev", "tgt-unlab"), augment=config.augment.replace(**BEYOND)), data, source

    config, data, source = inputs()
    straight = train_augmented(source, data, config, tmp_path / "a", ["src-dev", "tgt-unlab"], show_progress=False)
    log = _log(tmp_path / "a")
    assert log[-1]["pseudo"]["before_confidence"] >= log[-1]["pseudo"]["kept"]
    mid = next(r["step"] for r in log if not r.get("iteration_end") and not r.get("initial"))
    config, data, source = inputs(stop_after=mid + 1)
    assert train_augmented(source, data, config, tmp_path / "b", ["src-dev", "tgt-unlab"],
                           show_progress=False).interrupted
    ckpt = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)
    assert ckpt["procedure"]["round"]["soft"].dtype == torch.float16  # the round's soft labels are checkpointed
    config, data, fresh = inputs()
    torch.manual_seed(99)
    resumed = train_augmented(fresh, data, config, tmp_path / "b", ["src-dev", "tgt-unlab"], show_progress=False)
    a, b = straight.model.trainable_state(), resumed.model.trainable_state()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert _log(tmp_path / "a") == _log(tmp_path / "b")


def test_soft_only_changes_theta_t_and_not_theta_s_through_a_target_term(demo, mapping_dir, tmp_path):  # noqa: F811
    """target_loss=soft: theta_s learns from English only (plus eq. 7's feature path), so with detached source
    features and no source batches theta_s must not move at all, while theta_t does."""
    from xner.transfer.augmented import train_augmented

    config, data, source = _augmented_inputs(demo, mapping_dir)
    config = config.replace(augment=config.augment.replace(target_loss="soft", source_per_target=0,
                                                           detach_source_features=True))
    before = {k: v.clone() for k, v in source.state_dict().items()}
    run = train_augmented(source, data, config, tmp_path / "a", ["src-dev"], show_progress=False)
    after = run.model.source.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    target_before = run.model.source.scorer.output.weight  # theta_t's copied scorer started from theta_s's
    assert not torch.equal(run.model.target.scorer.output.weight, target_before)


def test_new_options_and_mode_read_no_target_label_but_the_test_split(make_data_root, align_root, tmp_path,
                                                                      monkeypatch):
    """Leakage, through the grid: with every new option on and only label-free modes, the one target label file
    opened is the test split (evaluation); never the dev split, never the training split's tag column. (Every
    tgt-unlab criterion runs with no labelled target set at all above.)"""
    from xner.experiments.grid import GridConfig, expand
    from xner.experiments.runner import run_grid

    from .test_augmented import TINY
    from .test_variants import record_label_reads

    reads = record_label_reads(monkeypatch)
    root = make_data_root(tmp_path / "data")
    monkeypatch.setenv("XNER_DATA", str(root))
    augment = {"base": "cross-shared", "target_loss": "hard+soft", "pseudo_select": "length+confidence",
               "confidence_rule": "entity-min", "confidence_threshold": 0.1, "confidence_per_type": {"MISC": 0.3},
               "unlab_criterion": "entity-rate"}
    grid = GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[1], modes=["src-dev", "tgt-unlab"],
                      budget=TINY, threads=1, space={"align_root": str(align_root)}, augment=augment,
                      results_root=str(tmp_path / "results"), runs_root=str(tmp_path / "runs"))
    assert not run_grid(grid, echo=lambda _: None).failed
    es = str(root / "ner" / "es")
    assert {Path(p).name for p, tags in reads if p.startswith(es) and tags} == {"test.txt"}
    assert (str(root / "ner" / "es" / "train.txt"), False) in reads  # unlabelled text, token column only
    cells = expand(grid)
    assert [c.config.modes for c in cells] == [("src-dev",), ("src-dev", "tgt-unlab")]  # base cells: paper modes
    result = json.loads(cells[-1].result_path.read_text())
    assert result["modes"]["tgt-unlab"]["selection_set"] == "tgt-unlab" and result["complete"]
    assert result["base"]["tgt-unlab"]["variant"] == "cross-shared"  # its base: as src-dev picks it
    log = _log(next(cells[-1].run_dir.rglob("metrics.jsonl")).parent)
    assert all("tgt-unlab" in r["scores"] for r in log)
    assert all(p["before_confidence"] >= p["kept"] for p in next(iter(result["pseudo_labels"].values())))
