"""Monolingual embedding tables: load (binary form or .vec), normalise, look up NER vocabularies, train."""

from xner.embeddings.io import load_embeddings, save_binary
from xner.embeddings.lookup import OOV_STRATEGIES, LookupStats, coverage, embedding_matrix, lookup_rows
from xner.embeddings.neighbours import nearest_neighbours
from xner.embeddings.normalize import normalize
from xner.embeddings.table import EmbeddingTable

__all__ = [
    "EmbeddingTable",
    "LookupStats",
    "OOV_STRATEGIES",
    "coverage",
    "embedding_matrix",
    "load_embeddings",
    "lookup_rows",
    "nearest_neighbours",
    "normalize",
    "save_binary",
]
