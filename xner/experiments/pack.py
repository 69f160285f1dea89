"""Write a trimmed copy of the data folder for a machine that cannot see ../shared/data.

NER splits plus only the embedding rows those sentences can look up (the exact word's row, else the
lower-cased word's row; first-occurrence rows in their original order), so every lookup returns the same
vector as with the full table and training/evaluation give the same results.

Table 2 (labelled train/dev/test of every language):
  xner data pack DIR --lang en --lang es --lang nl --lang ar --lang fi
A transfer grid (English train+dev; each target's dev/test and its first N unlabelled sentences, written
token-only so that no target training label travels):
  xner data pack DIR --lang en --lang es --lang nl --lang de --lang ar --lang fi --transfer --max-unlabeled 4000
Then compress for transport (`gzip -r DIR/ner DIR/unlabeled; xz DIR/emb/*.npy`) and run with XNER_DATA=DIR.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from xner.data.conll import Sentence, write_conll
from xner.data.registry import load_split, load_unlabeled, split_path, unlabeled_path
from xner.embeddings import load_embeddings
from xner.transfer.config import SOURCE_LANG


def _copy_split(lang: str, split: str, target: Path) -> list[Sentence]:
    dst = target / "ner" / lang / f"{split}.txt"
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(split_path(lang, split), dst)
    return load_split(lang, split)


def _write_unlabeled(lang: str, target: Path, max_unlabeled: int | None) -> list[Sentence]:
    """The target's unlabelled sentences, token-only (tags `O`), in the place `load_unlabeled` reads them."""
    sentences = load_unlabeled(lang)[:max_unlabeled]
    source = unlabeled_path(lang)
    if source.parent.name == "unlabeled":  # German: plain text, one tokenised sentence per line
        dst = target / "unlabeled" / f"{lang}.txt"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text("".join(" ".join(s.tokens) + "\n" for s in sentences), encoding="utf-8")
    else:
        write_conll(target / "ner" / lang / "train.txt", sentences)
    return sentences


def pack_data(target: Path, langs: tuple[str, ...], transfer: bool = False, max_unlabeled: int | None = None,
              echo=print) -> None:
    for lang in langs:
        sentences: list[Sentence] = []
        if transfer and lang == SOURCE_LANG:
            splits = ("train", "dev")
        elif transfer:
            splits = ("dev", "test")
            sentences += _write_unlabeled(lang, target, max_unlabeled)
        else:
            splits = ("train", "dev", "test")
        for split in splits:
            if split_path(lang, split).is_file():
                sentences += _copy_split(lang, split, target)
        tokens = {w for s in sentences for w in s.tokens}
        table = load_embeddings(lang)
        wanted = {table.index[w] for w in tokens if w in table.index}
        wanted |= {table.index[w.lower()] for w in tokens if w not in table.index and w.lower() in table.index}
        rows = sorted(wanted)
        (target / "emb").mkdir(parents=True, exist_ok=True)
        np.save(target / "emb" / f"{lang}.npy", np.asarray(table.vectors[rows]))
        (target / "emb" / f"{lang}.vocab").write_text("".join(table.words[i] + "\n" for i in rows), encoding="utf-8")
        echo(f"{lang}: {len(sentences)} sentences, {len(rows)} of {len(table)} embedding rows kept")
