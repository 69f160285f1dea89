#!/usr/bin/env python
"""Build the embedded demo bundle `xner/demo_data/` from the shared data (deterministic).

Why a bundle: `xner demo` must run on a fresh clone with zero downloads. The bundle is a
small, seeded random sample of the shared CoNLL files plus the rows of the shared fastText
tables that the demo needs, stored as int8 with a per-row scale (half the size of float16;
cosine similarities move by well under 1%).

    python scripts/build_demo_data.py [--data ../shared/data] [--out xner/demo_data]

Running it twice gives byte-identical files (see `manifest.json` for their sha256).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xner.data.conll import Sentence, read_conll, write_conll  # noqa: E402
from xner.embeddings.io import load_binary  # noqa: E402
from xner.io import atomic_path, data_root, write_json_atomic, write_text_atomic  # noqa: E402


@dataclass(frozen=True)
class BundleConfig:
    """Sizes of the demo bundle (all ours; chosen so that `xner demo` fits 3 minutes on 2 cores)."""

    seed: int = 1
    source: str = "en"
    target: str = "es"
    en_train: int = 1500  # English training sentences (labelled source data)
    en_dev: int = 300  # English dev sentences (src-dev model selection)
    es_unlabeled: int = 1000  # Spanish *train* sentences, tokens only (labels dropped here)
    es_test: int = 500  # Spanish test sentences (evaluation only)
    top_words: int = 5000  # most frequent rows of each shared table (alignment needs frequent words)
    min_sample_count: int = 2  # plus rarer words occurring this often in the bundle's own text


def sample(sentences: list[Sentence], n: int, rng: random.Random) -> list[Sentence]:
    """`n` sentences drawn without replacement, kept in file order."""
    idx = sorted(rng.sample(range(len(sentences)), n))
    return [sentences[i] for i in idx]


def needed_rows(words: list[str], index: dict[str, int], texts: list[Sentence], cfg: BundleConfig) -> list[int]:
    """Top `top_words` rows plus rows of words (exact or lower-cased) frequent enough in `texts`.

    Rows stay in the shared table's order, i.e. corpus frequency order, which MUSE-style alignment assumes.
    """
    rows = set(range(min(cfg.top_words, len(words))))
    counts = Counter(tok for sent in texts for tok in sent.tokens)
    for tok, count in counts.items():
        if count < cfg.min_sample_count:
            continue
        for form in (tok, tok.lower()):
            row = index.get(form)
            if row is not None:
                rows.add(row)
    return sorted(rows)


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: v ~= q * scale."""
    vectors = vectors.astype(np.float32)  # (N, D)
    scale = np.abs(vectors).max(axis=1) / 127.0  # (N,)
    scale[scale == 0] = 1.0
    q = np.rint(vectors / scale[:, None]).astype(np.int8)  # (N, D)
    return q, scale.astype(np.float32)


def save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array, allow_pickle=False)


def write_plain(path: Path, sentences: list[Sentence]) -> None:
    write_text_atomic(path, "".join(" ".join(s.tokens) + "\n" for s in sentences))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(data: Path, out: Path, cfg: BundleConfig) -> dict:
    rng = random.Random(cfg.seed)
    src, tgt = cfg.source, cfg.target
    en_train = sample(read_conll(data / "ner" / src / "train.txt"), cfg.en_train, rng)
    en_dev = sample(read_conll(data / "ner" / src / "dev.txt"), cfg.en_dev, rng)
    # Only the token column of the target train split is kept: the demo never sees its labels.
    es_unlabeled = [s.without_tags() for s in sample(read_conll(data / "ner" / tgt / "train.txt"), cfg.es_unlabeled, rng)]
    es_test = sample(read_conll(data / "ner" / tgt / "test.txt"), cfg.es_test, rng)

    out.mkdir(parents=True, exist_ok=True)
    write_conll(out / f"{src}.train.conll", en_train)
    write_conll(out / f"{src}.dev.conll", en_dev)
    write_plain(out / f"{tgt}.unlabeled.txt", es_unlabeled)
    write_conll(out / f"{tgt}.test.conll", es_test)

    vocabs: dict[str, set[str]] = {}
    emb_info = {}
    for lang, texts in ((src, en_train + en_dev), (tgt, es_unlabeled + es_test)):
        table = load_binary(data / "emb" / f"{lang}.npy")
        rows = needed_rows(table.words, table.index, texts, cfg)
        words = [table.words[r] for r in rows]
        q, scale = quantise(np.asarray(table.vectors[rows]))
        save_npy(out / f"emb.{lang}.q8.npy", q)
        save_npy(out / f"emb.{lang}.scale.npy", scale)
        write_text_atomic(out / f"emb.{lang}.vocab", "".join(w + "\n" for w in words))
        vocabs[lang] = set(words)
        emb_info[lang] = {"rows": len(words), "dim": int(q.shape[1]), "from_rows_of_shared_table": len(table)}

    # MUSE dictionaries restricted to the bundle's vocabularies. Test split: P@1 of the demo's alignment.
    # Train split: only for the demo's `--align supervised` reference mode (bilingual signal; not zero-resource).
    counts = {}
    for part, name in (("5000-6500", "test"), ("0-5000", "train")):
        pairs = []
        for line in (data / "dictionaries" / f"{src}-{tgt}.{part}.txt").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in vocabs[src] and parts[1] in vocabs[tgt]:
                pairs.append(f"{parts[0]}\t{parts[1]}\n")
        write_text_atomic(out / f"{src}-{tgt}.{name}.txt", "".join(pairs))
        counts[name] = len(pairs)

    files = sorted(p for p in out.iterdir() if p.is_file() and p.name not in ("manifest.json", "SOURCE.md", "__init__.py"))
    manifest = {
        "command": "python scripts/build_demo_data.py",
        "config": asdict(cfg),
        "sentences": {
            f"{src}.train.conll": len(en_train),
            f"{src}.dev.conll": len(en_dev),
            f"{tgt}.unlabeled.txt": len(es_unlabeled),
            f"{tgt}.test.conll": len(es_test),
        },
        "tokens": {
            f"{src}.train.conll": sum(map(len, en_train)),
            f"{src}.dev.conll": sum(map(len, en_dev)),
            f"{tgt}.unlabeled.txt": sum(map(len, es_unlabeled)),
            f"{tgt}.test.conll": sum(map(len, es_test)),
        },
        "embeddings": emb_info,
        "dictionary_pairs": counts,
        "sha256": {p.name: sha256(p) for p in files},
        "bytes": sum(p.stat().st_size for p in files),
    }
    write_json_atomic(out / "manifest.json", manifest)
    for path in out.iterdir():  # temp files are created 0600; package data must be readable by everyone
        if path.is_file():
            path.chmod(0o644)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="shared data folder (default: $XNER_DATA or ../shared/data)")
    parser.add_argument("--out", type=Path, default=ROOT / "xner" / "demo_data")
    parser.add_argument("--seed", type=int, default=BundleConfig.seed)
    args = parser.parse_args(argv)
    data = args.data or data_root()
    if data is None or not (data / "ner").is_dir():
        print("error: shared data not found; pass --data or set XNER_DATA", file=sys.stderr)
        return 2
    manifest = build(data, args.out, BundleConfig(seed=args.seed))
    print(json.dumps({k: manifest[k] for k in ("sentences", "embeddings", "dictionary_pairs", "bytes")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
