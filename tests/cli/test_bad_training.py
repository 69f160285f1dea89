"""Issue 19 items 4 and 5: training edge cases through `xner train`.

Every refused case: exit 2, one line `xner: error: ...`, no traceback, nothing half-written left behind.
"""

from __future__ import annotations

import json

import pytest


def _train_args(tiny, out, *extra):
    return ("train", "--train", tiny["train"], "--dev", tiny["dev"], "--lang", "en", "--embeddings", tiny["vec"],
            "--out", out, "--epochs", "1", "--eval-every", "0", "--threads", "1", *extra)


@pytest.mark.parametrize("extra, needle", [
    (("--lr", "-1"), "--lr must be a positive finite number, not -1.0"),
    (("--lr", "nan"), "--lr must be a positive finite number, not nan"),
    (("--lr", "inf"), "--lr must be a positive finite number"),
    (("--epochs", "0"), "--epochs must be at least 1"),
    (("--max-train-len", "0"), "--max-train-len must be at least 1"),
])
def test_bad_training_numbers(tiny, tmp_path, run_cli, one_line_error, extra, needle):
    code, _, err = run_cli(*_train_args(tiny, tmp_path / "run", *extra))
    one_line_error(code, err, needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run folder, nothing half-written


def test_out_naming_a_file(tiny, tmp_path, run_cli, one_line_error):
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me\n", encoding="utf-8")
    for out in (taken, taken / "sub"):
        code, _, err = run_cli(*_train_args(tiny, out))
        one_line_error(code, err, str(taken), "exists and is not a folder")
    assert taken.read_text(encoding="utf-8") == "keep me\n"


@pytest.mark.parametrize("damage, needle", [
    ("none", "nothing to resume: no checkpoint.pt here"),
    ("truncated", "damaged checkpoint"),
    ("junk", "damaged checkpoint"),
    ("foreign", "not an xner training checkpoint"),
])
def test_resume_needs_a_sound_checkpoint(tiny, tmp_path, run_cli, one_line_error, leftovers, damage, needle):
    import torch

    run = tmp_path / "run"
    run.mkdir()
    ckpt = run / "checkpoint.pt"
    if damage == "truncated":
        torch.save({"model": {"w": torch.zeros(1000)}, "step": 1}, ckpt)
        ckpt.write_bytes(ckpt.read_bytes()[:500])
    elif damage == "junk":
        ckpt.write_bytes(b"not a checkpoint at all\n")
    elif damage == "foreign":
        torch.save({"weights": torch.zeros(3)}, ckpt)
    code, _, err = run_cli(*_train_args(tiny, run, "--resume"))
    one_line_error(code, err, needle)
    assert sorted(p.name for p in run.iterdir()) == (["checkpoint.pt"] if damage != "none" else [])
    assert leftovers(tmp_path) == []


def test_long_sentences_are_dropped_with_a_warning_naming_the_limit(tiny, tmp_path, run_cli):
    long_file = tmp_path / "long.conll"
    long_file.write_text(tiny["train"].read_text(encoding="utf-8") + "\n" + "Paris B-LOC\n" * 12, encoding="utf-8")
    args = list(_train_args(tiny, tmp_path / "run"))
    args[args.index(tiny["train"])] = long_file
    code, _, err = run_cli(*args, "--max-train-len", "10")
    assert code == 0, err
    assert "xner: warning:" in err and "1 training sentence(s) longer than 10 tokens are dropped" in err
    assert "--max-train-len" in err
    config = json.loads((tmp_path / "run" / "run_config.json").read_text(encoding="utf-8"))
    assert config["dropped_long"] == 1 and config["train"]["max_train_len"] == 10


def test_cli_train_defaults_are_the_dataclass_defaults():
    import inspect

    from xner.cli.model import train_command
    from xner.model.config import TrainConfig

    params = inspect.signature(train_command).parameters
    for name in ("epochs", "batch_size", "lr", "eval_every", "length_buckets", "seed", "max_train_len"):
        assert params[name].default.default == getattr(TrainConfig, name), name


def test_ctrl_c_during_training_exits_130(tiny, tmp_path, run_cli, monkeypatch):
    """A real SIGINT inside the real training loop: typer turns it into code 130, which `main` used to drop
    (exit 0, so `xner train ... && xner evaluate ...` went on as if training had finished)."""
    import os
    import signal

    from xner.training.trainer import SupervisedProcedure

    real_step = SupervisedProcedure.step

    def step_then_ctrl_c(self, *args, **kwargs):
        size = real_step(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return size

    monkeypatch.setattr(SupervisedProcedure, "step", step_then_ctrl_c)
    # Ctrl-C as a terminal delivers it: a process started in the background of a non-interactive shell
    # inherits SIGINT ignored, where Python would never raise KeyboardInterrupt.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code, out, err = run_cli(*_train_args(tiny, tmp_path / "run", "--epochs", "3"))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130, err
    assert "xner: interrupted" in err and "Traceback" not in err and "model saved" not in out
    assert "interrupted at step 0; resuming continues from the last checkpoint" in (tmp_path / "run" / "train.log").read_text(encoding="utf-8")
