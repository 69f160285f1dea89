"""`xner demo`: the embedded bundle is intact and reproducible, and the reduced pipeline is deterministic."""

from __future__ import annotations

import hashlib
import json

import pytest

from xner.demo import BUNDLE, DemoConfig, load_bundle, run_demo


def _manifest() -> dict:
    return json.loads((BUNDLE / "manifest.json").read_text(encoding="utf-8"))


def test_bundle_matches_its_manifest_and_is_small():
    manifest = _manifest()
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((BUNDLE / name).read_bytes()).hexdigest() == digest, name
    assert manifest["bytes"] < 6_000_000  # "a few MB at most"
    assert (BUNDLE / "SOURCE.md").is_file()
    bundle = load_bundle()
    assert len(bundle.source_train) == manifest["sentences"]["en.train.conll"]
    assert all(set(s.tags) == {"O"} for s in bundle.target_unlabeled)  # no Spanish training label in the bundle
    assert bundle.embeddings["es"].dim == 300 and len(bundle.embeddings["en"]) == manifest["embeddings"]["en"]["rows"]


def test_bundle_rebuilds_byte_identically(shared_data, tmp_path, load_script):
    module = load_script("build_demo_data")
    rebuilt = module.build(shared_data, tmp_path, module.BundleConfig())
    assert rebuilt["sha256"] == _manifest()["sha256"]


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """The reduced demo twice with one seed: once through the CLI, once through the Python API."""
    from typer.testing import CliRunner

    from xner.cli import app

    first = tmp_path_factory.mktemp("demo1")
    second = tmp_path_factory.mktemp("demo2")
    empty = tmp_path_factory.mktemp("no_shared_data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XNER_DATA", str(empty))  # the demo needs nothing but the bundle
        cli = CliRunner().invoke(app, ["demo", "--quick", "--seed", "3", "--out", str(first)])
        assert cli.exit_code == 0, cli.output
        api = run_demo(DemoConfig.quick(seed=3), second)
    return cli, json.loads((first / "demo_result.json").read_text(encoding="utf-8")), api


@pytest.mark.slow
def test_quick_demo_is_deterministic(quick_runs):
    _, a, b = quick_runs
    assert a["scores"] == b["scores"]
    assert a["per_type_f1"] == b["per_type_f1"]
    assert a["example"] == b["example"]
    assert a["source_models"]["cross-word"]["train_loss"] == b["source_models"]["cross-word"]["train_loss"]
    assert a["source_models"]["source-mono"]["train_loss"] == b["source_models"]["source-mono"]["train_loss"]
    assert a["cross_augmented"]["loss_target"] == b["cross_augmented"]["loss_target"]
    assert a["cross_augmented"]["pseudo_labels"] == b["cross_augmented"]["pseudo_labels"]
    assert a["alignment"]["criterion"] == b["alignment"]["criterion"]
    assert a["alignment"]["p1_csls"] == b["alignment"]["p1_csls"]


@pytest.mark.slow
def test_quick_demo_outputs(quick_runs):
    cli, result, _ = quick_runs
    assert set(result["scores"]) == {"source-mono", "cross-word", "cross-augmented"}
    for scores in result["scores"].values():
        assert 0.0 <= scores["f1"] <= 100.0
    assert result["data"]["sentences"] == {"en_train": 300, "en_dev": 100, "es_unlabeled": 150, "es_test": 100}
    assert result["alignment"]["mode"] == "unsupervised" and result["alignment"]["test_pairs"] == 214
    text = result["example"]["text"]
    for ent in result["example"]["entities"]:
        assert text[ent["start"] : ent["end"]] == ent["text"] and ent["type"] in ("PER", "LOC", "ORG", "MISC")
    assert result["cross_augmented"]["iterations"] == 1
    assert len(result["source_models"]["cross-word"]["train_loss"]) == 1  # one epoch
    assert result["source_models"]["cross-word"]["train_loss"][0] > 0
    for name in ("Source-Mono", "Cross-Word", "Cross-Augmented", "Tagged with Cross-Augmented"):
        assert name in cli.output
    assert result["machine"]["cpu_count"] >= 1 and result["command"].startswith("xner demo --quick --seed 3 --out ")
