"""A learned mapping: W (and W^-1), the languages, the direction, and the normalisation that defines the space.

`load_mapping(dir)` reads what `xner align --out DIR` wrote; `mapped_tables`
puts a source and a target table into one shared space, either the space W
was trained into (default) or the other one through W^-1, after checking that
they are the tables W was fitted on (`fingerprint.py`; issue 19 item 8).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xner.align.fingerprint import check_tables
from xner.embeddings.normalize import normalize_embeddings
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError
from xner.io import atomic_path, write_json_atomic

MAPPING_FILE = "mapping.safetensors"
MAPPING_META = "mapping.json"


@dataclass
class Mapping:
    """`W` maps the *from* language (src for s2t, tgt for t2s) into the other language's space."""

    W: np.ndarray  # (D, D): y ~ W x, rows act on column vectors
    src_lang: str
    tgt_lang: str
    direction: str  # "s2t": en -> XX space; "t2s": XX -> en space
    normalize: str
    src_means: list[np.ndarray] = field(default_factory=list)  # (D,) per `center` step, from the full table
    tgt_means: list[np.ndarray] = field(default_factory=list)
    W_inv: np.ndarray | None = None  # (D, D); computed when absent
    tables: dict | None = None  # role ("src", "tgt") -> `fingerprint.table_fingerprint` of the tables W was fitted on
    family: str = ""  # what started W (e.g. "dictionary-free (identical strings + numerals)")
    source: str | None = None  # the folder it was loaded from (for error messages)

    def __post_init__(self) -> None:
        if self.direction not in ("s2t", "t2s"):
            raise XnerError(f"direction must be s2t or t2s, not {self.direction!r}")
        self.W = np.asarray(self.W, dtype=np.float32)
        if self.W_inv is None:
            self.W_inv = np.linalg.inv(self.W.astype(np.float64)).astype(np.float32)

    @property
    def orthogonality_error(self) -> float:
        """max |W W^T - I|: 0 after Procrustes, small after adversarial training."""
        return float(np.abs(self.W @ self.W.T - np.eye(self.W.shape[0], dtype=np.float32)).max())


def save_mapping(mapping: Mapping, out_dir: str | Path) -> None:
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    tensors = {"W": mapping.W, "W_inv": mapping.W_inv}
    for side, means in (("src", mapping.src_means), ("tgt", mapping.tgt_means)):
        for i, mean in enumerate(means):
            tensors[f"{side}_mean_{i}"] = np.asarray(mean, dtype=np.float32)
    meta = {
        "src_lang": mapping.src_lang,
        "tgt_lang": mapping.tgt_lang,
        "direction": mapping.direction,
        "normalize": mapping.normalize,
        "orthogonality_error": mapping.orthogonality_error,
        "family": mapping.family,
        "tables": mapping.tables,
    }
    with atomic_path(out_dir / MAPPING_FILE) as tmp:
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp), metadata={k: v if isinstance(v, str) else json.dumps(v) for k, v in meta.items()})
    write_json_atomic(out_dir / MAPPING_META, meta)


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping folder (or its `mapping.safetensors`) written by `xner align`."""
    from safetensors import safe_open

    path = Path(path)
    file = path / MAPPING_FILE if path.is_dir() else path
    if not file.is_file():
        raise XnerError(f"no {MAPPING_FILE} here (run `xner align ... --out DIR` first)", path)
    try:
        with safe_open(str(file), framework="numpy") as handle:
            meta = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except Exception as err:  # safetensors raises its own error types
        raise XnerError(f"cannot read mapping: {err}", file) from None
    missing = {"src_lang", "tgt_lang", "direction", "normalize"} - set(meta)
    if missing or "W" not in tensors:
        raise XnerError(f"mapping file lacks {', '.join(sorted(missing)) or 'W'}", file)

    try:
        tables = json.loads(meta["tables"]) if meta.get("tables") else None
    except json.JSONDecodeError:
        raise XnerError("mapping file has a damaged `tables` fingerprint entry", file) from None

    def means(side: str) -> list[np.ndarray]:
        return [tensors[f"{side}_mean_{i}"] for i in range(sum(k.startswith(f"{side}_mean_") for k in tensors))]

    return Mapping(
        W=tensors["W"],
        W_inv=tensors.get("W_inv"),
        src_lang=meta["src_lang"],
        tgt_lang=meta["tgt_lang"],
        direction=meta["direction"],
        normalize=meta["normalize"],
        src_means=means("src"),
        tgt_means=means("tgt"),
        tables=tables if isinstance(tables, dict) else None,
        family=meta.get("family", ""),
        source=str(file.parent),
    )


def normalized(table: EmbeddingTable, mapping: Mapping, side: str) -> np.ndarray:
    """The table's float32 vectors normalised as during training (same centring means). (N, D)"""
    means = mapping.src_means if side == "src" else mapping.tgt_means
    matrix, _ = normalize_embeddings(table.float32(), mapping.normalize, means or None)
    return matrix


def mapped_tables(
    src_table: EmbeddingTable, tgt_table: EmbeddingTable, mapping: Mapping, direction: str | None = None
) -> tuple[EmbeddingTable, EmbeddingTable]:
    """Source and target tables in one shared space (float32, same words and order as the inputs).

    direction "s2t": the shared space is the target's (source rows mapped);
    "t2s": the English space (target rows mapped). None: the direction the
    mapping was trained in; the other one uses W^-1.
    """
    direction = direction or mapping.direction
    if direction not in ("s2t", "t2s"):
        raise XnerError(f"direction must be s2t or t2s, not {direction!r}")
    folder = mapping.source or f"runs/align/{mapping.src_lang}-{mapping.tgt_lang}"
    check_tables(mapping.tables, {"src": src_table, "tgt": tgt_table}, Path(folder) / MAPPING_FILE,
                 f"`xner align --src {mapping.src_lang} --tgt {mapping.tgt_lang} --out {folder}`")
    src = normalized(src_table, mapping, "src")  # (Ns, D)
    tgt = normalized(tgt_table, mapping, "tgt")  # (Nt, D)
    forward = mapping.W if direction == mapping.direction else mapping.W_inv  # maps the side named by `direction`
    if direction == "s2t":
        src = src @ forward.T  # (Ns, D) in target space
    else:
        tgt = tgt @ forward.T  # (Nt, D) in English space
    name = f"{mapping.src_lang}-{mapping.tgt_lang}:{direction}"
    return (
        EmbeddingTable(list(src_table.words), src.astype(np.float32), name=f"{src_table.name}@{name}"),
        EmbeddingTable(list(tgt_table.words), tgt.astype(np.float32), name=f"{tgt_table.name}@{name}"),
    )
