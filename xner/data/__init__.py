"""CoNLL IO, tag schemes and the dataset registry."""

from xner.data.conll import Sentence, read_conll, read_plain_sentences, write_conll
from xner.data.registry import LANGUAGES, SPLITS, load_split, load_unlabeled

__all__ = [
    "Sentence",
    "read_conll",
    "read_plain_sentences",
    "write_conll",
    "LANGUAGES",
    "SPLITS",
    "load_split",
    "load_unlabeled",
]
