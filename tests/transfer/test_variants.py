"""Source-Mono end to end on a tiny slice, post-hoc selection, and the src-dev leakage rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import xner.data.registry as registry
from xner.transfer import cell, variants
from xner.transfer.config import Budget, TransferConfig

TINY = Budget(epochs=1, max_train_sentences=160, max_eval_sentences=40, max_vocab=3000, eval_every=4)


def record_label_reads(monkeypatch) -> list[tuple[str, bool]]:
    """Every file the registry opens, with whether its tag column was parsed (a label read)."""
    reads: list[tuple[str, bool]] = []
    real_conll, real_plain = registry.read_conll, registry.read_plain_sentences

    def conll(path, *args, require_tags=True, **kwargs):
        reads.append((str(path), require_tags))
        return real_conll(path, *args, require_tags=require_tags, **kwargs)

    def plain(path, *args, **kwargs):
        reads.append((str(path), False))
        return real_plain(path, *args, **kwargs)

    registry._load_cached.cache_clear()
    monkeypatch.setattr(registry, "read_conll", conll)
    monkeypatch.setattr(registry, "read_plain_sentences", plain)
    return reads


def test_select_is_first_argmax_and_reports_test_at_that_step():
    recs = [
        {"step": 1, "epoch": 0, "batch": 1, "scores": {"tgt-dev": {"f1": 10.0}, "tgt-test": {"f1": 5.0}}},
        {"step": 2, "epoch": 0, "batch": 2, "scores": {"tgt-dev": {"f1": 30.0}, "tgt-test": {"f1": 7.0}}},
        {"step": 3, "epoch": 0, "batch": 3, "scores": {"tgt-dev": {"f1": 30.0}, "tgt-test": {"f1": 9.0}}},
        {"step": 4, "epoch": 1, "batch": 0, "scores": {"tgt-dev": {"f1": 20.0}, "tgt-test": {"f1": 40.0}}},
    ]
    got = cell.select(recs, "tgt-dev", "tgt-test")
    assert (got["step"], got["selection_f1"], got["test_f1"]) == (2, 30.0, 7.0)
    assert cell.select(recs, "tgt-test", "tgt-test")["step"] == 4
    assert cell.select(recs, "src-dev", "tgt-test") is None


def test_source_mono_tiny_run_and_src_dev_never_reads_target_labels(tiny_root: Path, tmp_path: Path, monkeypatch):
    reads = record_label_reads(monkeypatch)
    cfg = TransferConfig(lang="es", variant="source-mono-nochar", seed=3, modes=("src-dev",), budget=TINY)
    body = variants.run_transfer_cell(cfg, tmp_path / "run")
    es = str(tiny_root / "ner" / "es")
    label_reads = {Path(p).name for p, tags in reads if p.startswith(es) and tags}
    assert label_reads == {"test.txt"}  # evaluation only; never dev.txt, never train.txt's tag column
    assert (str(tiny_root / "ner" / "es" / "train.txt"), False) in reads  # unlabelled text, token column only
    assert set(body["modes"]) == {"src-dev"} and body["modes"]["src-dev"]["selection_set"] == "src-dev"
    assert set(body["random_target"]["modes"]) == {"src-dev"}
    assert body["progress"]["epochs_done"] == 1.0
    log = [json.loads(x) for x in (tmp_path / "run" / "train" / "metrics.jsonl").read_text().splitlines()]
    assert all("tgt-dev" not in r["scores"] for r in log)
    assert {"src-dev", "tgt-test", "tgt-test@random"} <= set(log[0]["scores"])
    # The summary is a pure function of the logs (what partial results are made from).
    again = variants.summarise_transfer_cell(cfg, tmp_path / "run")
    assert again["modes"] == body["modes"]
    # No-char model: word LSTM over 300-d vectors, paper Table 4 lists 342,906 parameters for this architecture.
    assert abs(body["params_merged_biases"] - 342906) / 342906 < 0.01


def test_train_overrides_cannot_bypass_the_budget():
    from xner.errors import XnerError

    cfg = TransferConfig(lang="es", variant="cross-word", train={"epochs": 3})
    with pytest.raises(XnerError, match="budget"):
        cell.train_config(cfg)
    assert cell.train_config(TransferConfig(lang="ar")).tag_scheme == "IOB2"  # paper: Arabic in IOB2
    assert cell.train_config(TransferConfig(lang="es")).tag_scheme == "IOBES"
