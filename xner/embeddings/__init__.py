"""Monolingual embedding tables: load, normalise, look up NER vocabularies."""

from xner.embeddings.io import load_embeddings
from xner.embeddings.table import EmbeddingTable

__all__ = ["EmbeddingTable", "load_embeddings"]
