"""Shared fixtures: the shared data folder (skipped with a printed reason when absent), and data folders built from
the bundle xner ships (`xner/demo_data`: real en/es slices), so that tests needing only English and Spanish run on a
clone without ../shared/data."""

from __future__ import annotations

import importlib.util
import random
import sys
from functools import partial
from pathlib import Path

import pytest

from xner.data.conll import read_conll, write_conll
from xner.io import data_root


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = data_root()
    if root is None or not (root / "ner").is_dir():
        reason = "shared data not found (set XNER_DATA or place it at ../shared/data)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return root


@pytest.fixture(scope="session")
def shipped_data(tmp_path_factory) -> Path:
    """An XNER_DATA folder made from the shipped demo bundle only (no shared data needed):

    - `ner/en/train.txt`, `ner/en/dev.txt`: the bundle's 1,500 and 300 English sentences (CoNLL-2003 samples);
    - `ner/es/train.txt`: its 1,000 unlabelled Spanish sentences, tags all `O` (the token column is what
      transfer reads; no Spanish training label exists here);
    - `ner/es/dev.txt`, `ner/es/test.txt`: the first and second 250 of its 500 Spanish test sentences;
    - `emb/{en,es}.npy` + `.vocab`: its tables, dequantised (5,903 and 6,861 rows, 300-d);
    - `dictionaries/en-es.0-5000.txt`, `en-es.5000-6500.txt`: its MUSE train and test pairs.
    """
    import numpy as np

    from xner.data.conll import Sentence
    from xner.demo import BUNDLE, load_bundle

    root = tmp_path_factory.mktemp("shipped_data")
    bundle = load_bundle()
    half = len(bundle.target_test) // 2
    for lang, split, sents in (("en", "train", bundle.source_train), ("en", "dev", bundle.source_dev),
                               ("es", "train", [Sentence(s.tokens, ("O",) * len(s)) for s in bundle.target_unlabeled]),
                               ("es", "dev", bundle.target_test[:half]), ("es", "test", bundle.target_test[half:])):
        write_conll(root / "ner" / lang / f"{split}.txt", sents)
    (root / "emb").mkdir()
    for lang, table in bundle.embeddings.items():
        np.save(root / "emb" / f"{lang}.npy", np.asarray(table.vectors, dtype=np.float32))
        (root / "emb" / f"{lang}.vocab").write_text("".join(w + "\n" for w in table.words), encoding="utf-8")
    (root / "dictionaries").mkdir()
    for name, shipped in (("en-es.0-5000.txt", "en-es.train.txt"), ("en-es.5000-6500.txt", "en-es.test.txt")):
        (root / "dictionaries" / name).write_bytes((BUNDLE / shipped).read_bytes())
    return root


@pytest.fixture(scope="session")
def ner_data(request) -> Path:
    """The shared data folder when there is one, else `shipped_data`: for tests that need only en/es sentences and
    tables (no particular sentence, no other language)."""
    root = data_root()
    if root is not None and (root / "ner").is_dir():
        return root
    return request.getfixturevalue("shipped_data")


@pytest.fixture
def load_script(monkeypatch):
    """Import `scripts/NAME.py` as module NAME, listed in sys.modules for the test (dataclasses look it up there)."""
    scripts = Path(__file__).resolve().parents[1] / "scripts"

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, scripts / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run `xner ARGS...` in-process through `xner.cli.main` (the real entry point); return (exit code, stdout, stderr)."""
    import sys
    import warnings

    from xner.cli import main

    def run(*args: object) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["xner", *map(str, args)])
        monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it; restore after
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


# Tiny real data folders (slices of the shared CoNLL files, or of the shipped bundle without them) for transfer and
# experiment tests.
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
def tiny_root(ner_data: Path, tmp_path: Path, monkeypatch) -> Path:
    root = make_root(ner_data, tmp_path / "data")
    monkeypatch.setenv("XNER_DATA", str(root))
    return root


@pytest.fixture
def make_data_root(ner_data: Path):
    """`make_data_root(dest, garbage_target_train=False)`: a tiny XNER_DATA folder at `dest`."""
    return partial(make_root, ner_data)


@pytest.fixture(scope="session")
def ner_align_root(ner_data: Path, tmp_path_factory) -> Path:
    """An en-es mapping folder (`en-es/`) for `ner_data`'s tables: orthogonal Procrustes on its MUSE training pairs
    (a supervised stand-in for `xner align`, saved through the alignment stage's own API)."""
    from xner.align.dictionary import read_dictionary
    from xner.align.mapping import Mapping, save_mapping
    from xner.align.procrustes import procrustes
    from xner.embeddings.io import load_embeddings
    from xner.embeddings.normalize import normalize_embeddings

    root = tmp_path_factory.mktemp("ner_align")
    src, tgt = (load_embeddings(str(ner_data / "emb" / f"{lang}.npy")) for lang in ("en", "es"))
    xs, src_means = normalize_embeddings(src.float32(), "renorm,center,renorm")
    ys, tgt_means = normalize_embeddings(tgt.float32(), "renorm,center,renorm")
    pairs = read_dictionary(ner_data / "dictionaries" / "en-es.0-5000.txt", src.index, tgt.index).pairs
    mapping = Mapping(W=procrustes(xs, ys, pairs), src_lang="en", tgt_lang="es", direction="s2t",
                      normalize="renorm,center,renorm", src_means=src_means, tgt_means=tgt_means)
    save_mapping(mapping, root / "en-es")
    return root
