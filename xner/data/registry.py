"""Dataset registry: languages x splits under `$XNER_DATA` (default `../shared/data`)."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

from xner.data.conll import Sentence, read_conll, read_plain_sentences
from xner.data.tags import count_entities
from xner.errors import XnerError
from xner.io import data_root

LANGUAGES = ("en", "es", "nl", "de", "ar", "fi")
SPLITS = ("train", "dev", "test")
SOURCE_LANGUAGE = "en"


def require_root(root: str | Path | None = None) -> Path:
    path = Path(root) if root is not None else data_root()
    if path is None or not path.is_dir():
        raise XnerError(
            "no data folder: set XNER_DATA to a folder holding ner/LANG/{train,dev,test}.txt "
            "(the project's shared data lives in ../shared/data)"
        )
    return path


def split_path(lang: str, split: str, root: str | Path | None = None) -> Path:
    if split not in SPLITS:
        raise XnerError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return require_root(root) / "ner" / lang / f"{split}.txt"


def has_split(lang: str, split: str, root: str | Path | None = None) -> bool:
    return split_path(lang, split, root).is_file()


def load_split(lang: str, split: str, root: str | Path | None = None) -> list[Sentence]:
    """Labelled sentences of one split. For a target language this is a label read:
    only evaluation and the `tgt-dev`/`tgt-test` selection modes may call it."""
    path = split_path(lang, split, root)
    if not path.is_file():
        raise XnerError(f"no {split} split for language {lang!r}", path)
    return _load_cached(str(path))


@lru_cache(maxsize=32)
def _load_cached(path: str) -> list[Sentence]:
    return read_conll(path)


def unlabeled_path(lang: str, root: str | Path | None = None) -> Path:
    """Where unlabelled target text comes from: the train split, or `unlabeled/LANG.txt` when there is none."""
    train = split_path(lang, "train", root)
    if train.is_file():
        return train
    return require_root(root) / "unlabeled" / f"{lang}.txt"


def load_unlabeled(lang: str, root: str | Path | None = None) -> list[Sentence]:
    """Target-side raw sentences: the train split read *token column only* (tags never parsed), or the
    unlabelled text file (German). Every returned tag is `O`."""
    path = unlabeled_path(lang, root)
    if path.suffix == ".txt" and path.parent.name == "unlabeled":
        return read_plain_sentences(path)
    return read_conll(path, require_tags=False)


def dataset_stats(sentences: list[Sentence]) -> dict:
    entities: Counter[str] = Counter()
    for sent in sentences:
        entities.update(count_entities(sent.tags))
    return {
        "sentences": len(sentences),
        "tokens": sum(len(s) for s in sentences),
        "entities": dict(sorted(entities.items())),
    }


def all_stats(root: str | Path | None = None, languages: tuple[str, ...] = LANGUAGES) -> dict:
    out: dict = {}
    for lang in languages:
        out[lang] = {}
        for split in SPLITS:
            if has_split(lang, split, root):
                out[lang][split] = dataset_stats(load_split(lang, split, root))
        if not out[lang]:
            raise XnerError(f"no NER data for language {lang!r} (expected ner/{lang}/{{train,dev,test}}.txt)", require_root(root))
    return out
