"""Shared fixtures: the shared data folder, skipped with a printed reason when absent."""

from __future__ import annotations

import importlib.util
import random
import sys
from functools import partial
from pathlib import Path

import pytest

from xner.data.conll import read_conll, write_conll
from xner.io import data_root


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = data_root()
    if root is None or not (root / "ner").is_dir():
        reason = "shared data not found (set XNER_DATA or place it at ../shared/data)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return root


@pytest.fixture
def load_script(monkeypatch):
    """Import `scripts/NAME.py` as module NAME, listed in sys.modules for the test (dataclasses look it up there)."""
    scripts = Path(__file__).resolve().parents[1] / "scripts"

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, scripts / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run `xner ARGS...` in-process through `xner.cli.main` (the real entry point); return (exit code, stdout, stderr)."""
    import sys
    import warnings

    from xner.cli import main

    def run(*args: object) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["xner", *map(str, args)])
        monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it; restore after
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


# Tiny real data folders (slices of the shared CoNLL files) for transfer and experiment tests.
SIZES = {("en", "train"): 160, ("en", "dev"): 40, ("es", "train"): 120, ("es", "dev"): 40, ("es", "test"): 40}


def make_root(shared: Path, dest: Path, garbage_target_train: bool = False) -> Path:
    """`dest` as an XNER_DATA folder holding the first sentences of each split; optionally the target training
    split's tags replaced by random (valid IOB2) garbage, to show that no target training label is used."""
    for (lang, split), n in SIZES.items():
        sents = read_conll(shared / "ner" / lang / f"{split}.txt")[:n]
        if garbage_target_train and lang == "es" and split == "train":
            rng = random.Random(0)
            types = ["PER", "LOC", "ORG", "MISC"]
            sents = [type(s)(s.tokens, tuple(rng.choice(["O", f"B-{rng.choice(types)}"]) for _ in s.tokens))
                     for s in sents]
        write_conll(dest / "ner" / lang / f"{split}.txt", sents)
    (dest / "emb").symlink_to(shared / "emb")
    return dest


@pytest.fixture
def tiny_root(shared_data: Path, tmp_path: Path, monkeypatch) -> Path:
    root = make_root(shared_data, tmp_path / "data")
    monkeypatch.setenv("XNER_DATA", str(root))
    return root


@pytest.fixture
def make_data_root(shared_data: Path):
    """`make_data_root(dest, garbage_target_train=False)`: a tiny XNER_DATA folder at `dest`."""
    return partial(make_root, shared_data)
