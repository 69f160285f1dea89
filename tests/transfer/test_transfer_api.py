"""`xner transfer` and the Cross-Augmented artefact on the shipped demo bundle (no shared data needed):
a killed Cross-Augmented run resumes to bit-identical weights, the saved tagger predicts like the model in
memory, and `xner tag` / `xner evaluate` / the served API open it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from xner.data.conll import write_conll
from xner.transfer.cell import CellData
from xner.transfer.config import AugmentConfig, Budget, TransferConfig

D = Path(__file__).resolve().parents[2] / "xner" / "demo_data"


@pytest.fixture(scope="module")
def demo():
    from xner.demo import load_bundle

    bundle = load_bundle()
    bundle.embeddings = {lang: t.head(3000) for lang, t in bundle.embeddings.items()}
    return bundle


@pytest.fixture(scope="module")
def mapping_dir(demo, tmp_path_factory) -> Path:
    """A stand-in for `xner align` (identity W after the mapping's normalisation), saved by the align stage's API;
    these tests check the machinery, not transfer quality."""
    from xner.align.mapping import Mapping, save_mapping
    from xner.embeddings.normalize import normalize_embeddings

    src, tgt = demo.embeddings["en"], demo.embeddings["es"]
    _, src_means = normalize_embeddings(src.vectors.astype(np.float32), "renorm,center,renorm")
    _, tgt_means = normalize_embeddings(tgt.vectors.astype(np.float32), "renorm,center,renorm")
    folder = tmp_path_factory.mktemp("align") / "en-es"
    save_mapping(Mapping(W=np.eye(src.vectors.shape[1], dtype=np.float32), src_lang="en", tgt_lang="es",
                         direction="s2t", normalize="renorm,center,renorm", src_means=src_means, tgt_means=tgt_means),
                 folder)
    return folder


def _augmented_inputs(demo, mapping_dir, stop_after: int = 0):
    from xner.model.tagger import build_tagger
    from xner.transfer.spaces import shared_space_of
    from xner.training.trainer import seed_everything

    config = TransferConfig(lang="es", variant="cross-augmented", modes=("src-dev",),
                            budget=Budget(epochs=1, augment_iterations=2, eval_every=1),
                            augment=AugmentConfig(base="cross-word", patience=5),
                            train={"num_threads": 1, "stop_after_batches": stop_after})
    space = shared_space_of(demo.embeddings["en"], demo.embeddings["es"], "es", mapping_dir, "s2t")
    data = CellData(demo.source_train[:48], demo.source_dev[:20], None, demo.target_test[:20],
                    demo.target_unlabeled[:48])
    seed_everything(1)
    source = build_tagger(config_for_base(), space.tables, data.src_train, "IOBES", char_texts=[data.unlabeled],
                          default_lang="es")  # an untrained theta_s: the loop, not the model, is under test
    return config, data, source


def config_for_base():
    from xner.model.config import TaggerConfig

    return TaggerConfig(char_dim=8, char_hidden=8, word_hidden=16, dense_dim=16)


def _log(path: Path) -> list[dict]:
    return [{k: v for k, v in json.loads(x).items() if k not in ("train_seconds", "sentences_per_second")}
            for x in (path / "metrics.jsonl").read_text().splitlines()]


def test_killed_cross_augmented_run_resumes_to_bit_identical_weights_and_its_artefact_loads(demo, mapping_dir,
                                                                                         tmp_path):
    import xner
    from xner.transfer.augmented import train_augmented

    config, data, source = _augmented_inputs(demo, mapping_dir)
    straight = train_augmented(source, data, config, tmp_path / "a", ["src-dev"], show_progress=False)
    log = _log(tmp_path / "a")
    mid = next(r["step"] for r in log if not r.get("iteration_end") and not r.get("initial"))
    assert not straight.interrupted and log[-1]["iteration"] == 2

    config_kill, data, source = _augmented_inputs(demo, mapping_dir, stop_after=mid + 1)
    part = train_augmented(source, data, config_kill, tmp_path / "b", ["src-dev"], show_progress=False)
    assert part.interrupted
    ckpt = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)
    assert json.loads(ckpt["loop"])["steps_in_round"] is not None  # the kill came in the middle of an iteration
    config, data, fresh = _augmented_inputs(demo, mapping_dir)
    torch.manual_seed(99)  # a new process: whatever the RNG says now must not matter
    resumed = train_augmented(fresh, data, config, tmp_path / "b", ["src-dev"], show_progress=False)
    assert not resumed.interrupted
    a, b = straight.model.trainable_state(), resumed.model.trainable_state()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert _log(tmp_path / "a") == _log(tmp_path / "b")

    folder = straight.save_selected("src-dev", tmp_path / "model")
    assert json.loads((folder / "config.json").read_text())["kind"] == "xner-augmented-tagger"
    tokens = [list(s.tokens) for s in demo.target_test[:30]]
    from xner.model.predictor import predict

    assert xner.load(folder).predict(tokens, "es") == predict(straight.model, tokens, "es")


def test_transfer_command_writes_one_model_that_tag_evaluate_and_serve_open(demo, mapping_dir, tmp_path, run_cli):
    src = tmp_path / "en.train.conll"
    write_conll(src, demo.source_train[:120])
    text = tmp_path / "es.txt"
    text.write_text("\n".join(" ".join(s.tokens) for s in demo.target_unlabeled[:80]) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    args = ["transfer", "--source", src, "--target-text", text, "--target-lang", "es", "--source-emb", "demo:en",
            "--target-emb", "demo:es", "--method", "cross-augmented", "--base", "cross-word", "--mapping", mapping_dir,
            "--epochs", "1", "--iterations", "1", "--eval-every", "0", "--max-vocab", "3000", "--out", out,
            "--target-test", D / "es.test.conll", "--json"]
    code, stdout, stderr = run_cli(*args)
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["method"] == "cross-augmented" and report["chosen_base"]["variant"] == "cross-word"
    assert "no target-language label" in report["selection"] and report["data"]["src_dev_source"].startswith("last")
    assert json.loads((out / "config.json").read_text())["kind"] == "xner-augmented-tagger"
    assert (out / "report.json").is_file()

    sentence = tmp_path / "s.txt"
    sentence.write_text("El presidente de Telefónica , César Alierta , viajó a Madrid .\n", encoding="utf-8")
    code, stdout, stderr = run_cli("tag", out, sentence)
    assert code == 0, stderr
    assert [line.split()[0] for line in stdout.splitlines() if line][:3] == ["El", "presidente", "de"]
    code, stdout, stderr = run_cli("evaluate", out, D / "es.test.conll", "--json")
    assert code == 0, stderr
    scores = json.loads(stdout)
    assert 0.0 <= scores["f1"] <= 100.0 and set(scores) >= {"precision", "recall", "per_type"}

    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    from xner.serve.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    import xner

    client = TestClient(create_app({"es": out}))
    tokens = ["César", "Alierta", "viajó", "a", "Madrid", "."]
    r = client.post("/tag", json={"tokens": [tokens], "lang": "es"})
    assert r.status_code == 200, r.text
    assert r.json()["sentences"][0]["tags"] == xner.load(out).predict([tokens], "es")[0]

    code, stdout, _ = run_cli(*args)  # a second call finds everything done and resumes to the same model
    assert code == 0 and json.loads(stdout)["augmented"] == report["augmented"]

    # a damaged Cross-Augmented folder is refused like a plain one: one line naming the file, exit 2
    import shutil

    config = json.loads((out / "config.json").read_text())
    for name, change, message in [
        ("newer format", {**config, "format": 99}, "newer than this xner reads"),
        ("wrong field type", {**config, "target": {**config["target"], "word_hidden": "lots"}}, "target.word_hidden"),
        ("no architecture", {k: v for k, v in config.items() if k != "source"}, "'source' architecture"),
    ]:
        broken = tmp_path / name.replace(" ", "-")
        shutil.copytree(out, broken)
        (broken / "config.json").write_text(json.dumps(change), encoding="utf-8")
        code, _, stderr = run_cli("evaluate", broken, D / "es.test.conll")
        assert code == 2 and message in stderr and stderr.count("\n") == 1 and "Traceback" not in stderr, (name, stderr)


def test_base_method_transfer_saves_the_english_dev_selected_tagger(demo, mapping_dir, tmp_path):
    import xner
    from xner.transfer.api import TransferInputs, transfer

    inputs = TransferInputs(demo.source_train[:80], demo.target_unlabeled[:40], demo.embeddings["en"],
                            demo.embeddings["es"], "es")
    report = transfer(inputs, tmp_path / "m", "cross-word", mapping_dir, Budget(epochs=1, eval_every=2),
                      show_progress=False)
    assert report["selected"]["variant"] == "cross-word" and set(report["bases"]) == {"cross-word"}
    assert report["data"]["sentences"]["src_dev"] == 8  # no dev file: the last 10% of the English file
    log = [json.loads(x) for x in (tmp_path / "m" / "run" / "cross-word" / "train" / "metrics.jsonl").read_text()
           .splitlines()]
    best = max(log, key=lambda r: r["scores"]["src-dev"]["f1"])
    assert report["selected"]["step"] == best["step"] and all("tgt-dev" not in r["scores"] for r in log)
    tagger = xner.load(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "config.json").read_text())["kind"] == "xner-tagger"
    assert len(tagger.predict([["Madrid", "es", "bonita", "."]], "es")[0]) == 4


def test_translate_train_transfer_trains_on_the_translation_and_english_and_saves_one_tagger(demo, mapping_dir,
                                                                                            tmp_path):
    import xner

    from xner.transfer.api import TransferInputs, transfer

    inputs = TransferInputs(demo.source_train[:80], demo.target_unlabeled[:40], demo.embeddings["en"],
                            demo.embeddings["es"], "es")
    report = transfer(inputs, tmp_path / "m", "translate-train", mapping_dir, Budget(epochs=1, eval_every=2),
                      show_progress=False)
    assert report["selected"]["variant"] == "translate-train"
    run = json.loads((tmp_path / "m" / "run" / "translate-train" / "train" / "run_config.json").read_text())
    assert run["train_sets"] == [{"lang": "es", "sentences": 72}, {"lang": "en", "sentences": 72}]
    assert report["translation"]["tokens"] == sum(report["translation"]["tokens_by_outcome"].values()) > 0
    saved = json.loads((tmp_path / "m" / "run" / "translate-train" / "translation.json").read_text())
    assert saved["translations"] and set(saved["translations"].values()) <= set(demo.embeddings["es"].words)
    tagger = xner.load(tmp_path / "m")
    assert len(tagger.predict([["Madrid", "es", "bonita", "."]], "es")[0]) == 4


def test_sigkilled_transfer_command_resumes_to_the_same_model(demo, mapping_dir, tmp_path):
    """A real kill (SIGKILL) in the middle of Cross-Augmented, then the same command again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from safetensors.torch import load_file

    src = tmp_path / "en.conll"
    write_conll(src, demo.source_train[:120])
    text = tmp_path / "es.txt"
    text.write_text("\n".join(" ".join(s.tokens) for s in demo.target_unlabeled[:80]) + "\n", encoding="utf-8")

    def command(out: Path) -> list[str]:
        return [sys.executable, "-c", "from xner.cli import main; main()", "transfer", "--source", str(src),
                "--target-text", str(text), "--target-lang", "es", "--source-emb", "demo:en", "--target-emb",
                "demo:es", "--method", "cross-augmented", "--base", "cross-word", "--mapping", str(mapping_dir),
                "--epochs", "1", "--iterations", "2", "--eval-every", "1", "--max-vocab", "3000", "--out", str(out)]

    env = {**os.environ, "PYTHONPATH": str(D.parents[1]), "OMP_NUM_THREADS": "1"}
    subprocess.run(command(tmp_path / "a"), env=env, check=True, capture_output=True)
    proc = subprocess.Popen(command(tmp_path / "b"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = tmp_path / "b" / "run" / "cross-augmented"
    while proc.poll() is None:
        logs = list(log.glob("*/metrics.jsonl"))
        if logs and len(logs[0].read_text().splitlines()) >= 4:  # initial evaluation + 3 steps of iteration 1
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (tmp_path / "b" / "config.json").exists()  # no half-made model folder
    subprocess.run(command(tmp_path / "b"), env=env, check=True, capture_output=True)
    a, b = load_file(str(tmp_path / "a" / "model.safetensors")), load_file(str(tmp_path / "b" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    (ckpt_a,), (ckpt_b,) = [list((tmp_path / x / "run" / "cross-augmented").glob("*/checkpoint.pt")) for x in "ab"]
    last_a, last_b = (torch.load(p, weights_only=True)["model"] for p in (ckpt_a, ckpt_b))
    assert all(torch.equal(last_a[k], last_b[k]) for k in last_a)  # the final weights, not only the selected ones
    report_a = json.loads((tmp_path / "a" / "report.json").read_text())
    report_b = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report_a["augmented"] == report_b["augmented"]


def test_align_set_overrides_are_checked_before_any_work(tmp_path, run_cli):
    args = ["transfer", "--source", D / "en.train.conll", "--target-text", D / "es.unlabeled.txt", "--target-lang",
            "es", "--source-emb", "demo:en", "--target-emb", "demo:es", "--out", tmp_path / "model"]
    code, _, stderr = run_cli(*args, "--align-set", "no-equals-sign")
    assert code == 2 and "--align-set expects key=value" in stderr and "Traceback" not in stderr
    code, _, stderr = run_cli(*args, "--align-set", "self_learning.no_such_field=3")
    assert code == 2 and "no_such_field" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "model" / "config.json").exists()
