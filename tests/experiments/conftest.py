"""Tiny real data folders for transfer tests: slices of the shared CoNLL files, the shared embedding tables."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from xner.data.conll import read_conll, write_conll

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

