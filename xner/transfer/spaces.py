"""Word-embedding tables a transfer cell trains and tests with, one per language key.

- Source-Mono (`monolingual_space`): English and target tables, each normalised on its own, no
  mapping; plus `<lang>-random`, random vectors for the target vocabulary (paper Table 3 rows
  "Random word-emb").
- Cross-* (`shared_space`): both tables in ONE space, from the mapping `xner align` saved in
  `runs/align/en-XX/`, projected source -> target (es, nl, de) or target -> source (ar, fi) as in
  the paper, or as `SpaceConfig.direction` says.

The tagger stacks the tables into one frozen matrix (`xner.model.vocab.build_word_matrix`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xner.embeddings.io import load_embeddings, resolve
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError
from xner.transfer.fingerprint import dir_fingerprint, file_fingerprint
from xner.transfer.config import SOURCE_LANG, SpaceConfig

MONO_NORMALIZE = "renorm,center,renorm"  # (ours) the same normalisation the mapping uses (METHOD.md section 1)


def random_key(lang: str) -> str:
    """Language key of the random-vector target table (Source-Mono, Table 3)."""
    return f"{lang}-random"


@dataclass
class Space:
    tables: dict[str, EmbeddingTable]  # language key -> table, all of one dimension
    info: dict = field(default_factory=dict)  # kind, direction, normalisation, fingerprints (goes into results)


def _table_fingerprint(spec: str) -> dict:
    path = resolve(spec)
    return {"path": str(path), "sha256_16": file_fingerprint(path),
            "vocab_sha256_16": file_fingerprint(Path(path).with_suffix(".vocab"))}


def _head(table: EmbeddingTable, max_vocab: int | None) -> EmbeddingTable:
    return table.head(max_vocab) if max_vocab else table


def monolingual_space(lang: str, config: SpaceConfig, seed: int, max_vocab: int | None = None) -> Space:
    """English and target tables, each in its own monolingual space; plus random target vectors."""
    src = load_embeddings(SOURCE_LANG).normalized(MONO_NORMALIZE)
    tgt = load_embeddings(lang).normalized(MONO_NORMALIZE)
    src, tgt = _head(src, max_vocab), _head(tgt, max_vocab)
    std = config.random_std if config.random_std is not None else float(np.std(src.vectors))
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, std, size=tgt.vectors.shape).astype(np.float32)  # (N, D)
    tables = {SOURCE_LANG: src, lang: tgt, random_key(lang): EmbeddingTable(tgt.words, noise, f"random:{lang}")}
    info = {
        "kind": "monolingual",
        "normalize": MONO_NORMALIZE,
        "max_vocab": max_vocab,
        "random_std": std,
        "random_seed": seed,
        "tables": {SOURCE_LANG: _table_fingerprint(SOURCE_LANG), lang: _table_fingerprint(lang)},
    }
    return Space(tables, info)


def align_dir(lang: str, config: SpaceConfig) -> Path:
    return Path(config.align_root) / f"{SOURCE_LANG}-{lang}{config.align_suffix}"


def shared_space(lang: str, config: SpaceConfig, max_vocab: int | None = None) -> Space:
    """English and target tables in the shared space of the saved mapping, in the configured direction.

    The mapping folder (`xner align`) holds W, W^-1 and the normalisation (with its centring means); the
    other direction than the one W was trained in goes through W^-1 (`xner.align.mapping.mapped_tables`).
    """
    directory = align_dir(lang, config)
    if not directory.is_dir():
        raise XnerError(
            f"no alignment for en-{lang}: run `xner align` for en-{lang} with `--out {directory}` first "
            "(or point space.align_root elsewhere)",
            directory,
        )
    space = shared_space_of(load_embeddings(SOURCE_LANG), load_embeddings(lang), lang, directory,
                            config.resolved_direction(lang), max_vocab)
    space.info["tables"] = {SOURCE_LANG: _table_fingerprint(SOURCE_LANG), lang: _table_fingerprint(lang)}
    return space


def shared_space_of(src: EmbeddingTable, tgt: EmbeddingTable, lang: str, directory: Path, direction: str,
                    max_vocab: int | None = None) -> Space:
    """`shared_space` for given tables (e.g. `xner transfer`'s own files) and a mapping folder."""
    from xner.align.mapping import load_mapping, mapped_tables

    mapping = load_mapping(directory)
    if (mapping.src_lang, mapping.tgt_lang) != (SOURCE_LANG, lang):
        raise XnerError(f"this mapping is {mapping.src_lang}-{mapping.tgt_lang}, not {SOURCE_LANG}-{lang}", directory)
    src, tgt = mapped_tables(_head(src, max_vocab), _head(tgt, max_vocab), mapping, direction)
    info = {
        "kind": "shared",
        "alignment": alignment_summary(directory),
        "direction": direction,
        "trained_direction": mapping.direction,
        "normalize": mapping.normalize,
        "orthogonality_error": mapping.orthogonality_error,
        "align_dir": str(directory),
        "align_files": dir_fingerprint(directory),
        "max_vocab": max_vocab,
        "tables": {SOURCE_LANG: src.name, lang: tgt.name},
    }
    return Space({SOURCE_LANG: src, lang: tgt}, info)


def alignment_summary(directory: Path) -> dict:
    """How good the mapping is, as `xner align` recorded it (mode, collapse flag, P@1): context for every F1."""
    import json

    out: dict = {}
    for name, keys in (("result.json", ("mode", "preset", "collapsed", "criterion", "seed", "command")),
                       ("eval.json", ("queries",))):
        try:
            data = json.loads((directory / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.update({k: data[k] for k in keys if k in data})
        for method in ("csls_knn_10", "nn"):
            if isinstance(data.get(method), dict) and "P@1" in data[method]:
                out[f"P@1_{method}"] = data[method]["P@1"]
    return out
