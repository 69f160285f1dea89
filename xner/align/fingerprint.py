"""Content fingerprints of the embedding tables an artefact was fitted on, and the check that refuses a mismatch.

A mapping folder (and any model folder that calls these) records, per table role ("src", "tgt"), the sha256 of
the words and the float32 vectors, of the whole table and of its first `HEAD_ROWS` rows (the transfer stage
may read only the head of a table). When a shared table is replaced (the Finnish one was), loading the old
artefact with the new table is refused with one line that says what to rerun, instead of mapping new vectors
with an old W.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError

HEAD_ROWS = 1000  # (ours) rows of the head fingerprint


def _digest(words: list[str], vectors: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(f"{len(words)}x{vectors.shape[1]}\n".encode())
    digest.update("\n".join(words).encode("utf-8", "surrogatepass"))
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


def table_fingerprint(table: EmbeddingTable) -> dict:
    """{"name", "rows", "dim", "sha256_16", "head_rows", "head_sha256_16"} of a table's content."""
    head = min(HEAD_ROWS, len(table))
    return {"name": table.name, "rows": len(table), "dim": table.dim,
            "sha256_16": _digest(table.words, table.vectors),
            "head_rows": head, "head_sha256_16": _digest(table.words[:head], table.vectors[:head])}


def check_tables(recorded: dict | None, tables: dict[str, EmbeddingTable], where: str | Path, rerun: str) -> None:
    """Refuse tables that differ from the ones `recorded` (role -> `table_fingerprint`) was made from.

    A table with fewer rows than recorded is checked on its head (the first `head_rows` rows), so a
    `max_vocab` cut of the same table passes. `recorded=None` (an artefact older than fingerprints) passes.
    """
    if not recorded:
        return
    for role, table in tables.items():
        want = recorded.get(role)
        if not want:
            continue
        if len(table) == want["rows"]:
            same = _digest(table.words, table.vectors) == want["sha256_16"]
        elif want["head_rows"] <= len(table) < want["rows"]:
            n = want["head_rows"]
            same = _digest(table.words[:n], table.vectors[:n]) == want["head_sha256_16"]
        else:
            same = False
        if not same:
            raise XnerError(f"fitted on another {role} table ({want['name'] or role}: {want['rows']} rows, "
                            f"fingerprint {want['sha256_16']}; given {table.name or 'table'}: {len(table)} rows); "
                            f"rerun {rerun}", where)
