"""Translate-train (BWET, Xie et al. 2018): word-by-word translation through CSLS neighbours of the cell's
mapping, labels copied 1:1, no dictionary file read; a tiny cell end to end."""

from __future__ import annotations

import builtins
import io
import json
from pathlib import Path

import pytest

from tests.transfer.test_variants import TINY, record_label_reads
from xner.transfer import translate, variants
from xner.transfer.config import SpaceConfig, TransferConfig, TranslateConfig


@pytest.fixture(scope="module")
def demo_translation():
    """The shipped bundle's 1,500 English sentences translated into Spanish in a Procrustes space fitted on its
    MUSE training pairs (a supervised stand-in for `xner align`, as tests/conftest.py's mapping folder)."""
    from xner.align.dictionary import read_dictionary
    from xner.align.mapping import Mapping, mapped_tables
    from xner.align.procrustes import procrustes
    from xner.demo import BUNDLE, load_bundle
    from xner.embeddings.normalize import normalize_embeddings

    bundle = load_bundle()
    src, tgt = bundle.embeddings["en"], bundle.embeddings["es"]
    xs, src_means = normalize_embeddings(src.float32(), "renorm,center,renorm")
    ys, tgt_means = normalize_embeddings(tgt.float32(), "renorm,center,renorm")
    pairs = read_dictionary(BUNDLE / "en-es.train.txt", src.index, tgt.index).pairs
    mapping = Mapping(W=procrustes(xs, ys, pairs), src_lang="en", tgt_lang="es", direction="s2t",
                      normalize="renorm,center,renorm", src_means=src_means, tgt_means=tgt_means)
    shared_src, shared_tgt = mapped_tables(src, tgt, mapping)
    test = {}
    for line in (BUNDLE / "en-es.test.txt").read_text(encoding="utf-8").splitlines():  # held-out pairs: test only
        en, es = line.split()
        test.setdefault(en, set()).add(es)
    sents = bundle.source_train
    with no_file_opened():
        out, stats = translate.translate_sentences(sents, shared_src, shared_tgt, TranslateConfig())
    return sents, out, stats, test


class no_file_opened:
    """Every `open` (builtins, io, hence pathlib and numpy) fails inside the block."""

    def __enter__(self):
        self.saved = builtins.open, io.open

        def refuse(path, *args, **kwargs):
            raise AssertionError(f"opened {path}")

        builtins.open = io.open = refuse

    def __exit__(self, *exc):
        builtins.open, io.open = self.saved


def test_translations_are_sensible_and_labels_copied(demo_translation):
    sents, out, stats, test = demo_translation
    assert len(out) == len(sents)
    assert all(o.tags == s.tags and len(o.tokens) == len(s.tokens) for s, o in zip(sents, out))
    table = stats["translations"]
    assert {"the": table["the"], "and": table["and"], "said": table["said"]} == {"the": "la", "and": "y",
                                                                                "said": "dijo"}
    held_out = [w for w in test if w in table]  # 5000-6500 MUSE pairs: no pair the mapping was fitted on
    correct = sum(table[w] in test[w] for w in held_out)
    assert len(held_out) >= 30 and correct / len(held_out) > 0.5  # measured 28 / 44
    # Numbers and punctuation are copied; so is every token without an English vector.
    by_token = {w: t for s, o in zip(sents, out) for w, t in zip(s.tokens, o.tokens)}
    assert by_token[","] == "," and all(by_token[w] == w for w in by_token if w.isdigit())
    outcomes = stats["tokens_by_outcome"]
    assert sum(outcomes.values()) == stats["tokens"] == sum(len(s) for s in sents)
    assert outcomes["translated"] > 0.5 * stats["tokens"]


def test_low_score_words_are_copied(demo_translation):
    sents, _, stats, _ = demo_translation
    scores = {w: score for w, _, score, _ in stats["frequent_pairs"]}
    assert min(scores.values()) >= 0.0  # the default keeps only non-negative CSLS scores
    from xner.demo import load_bundle

    english = load_bundle().embeddings["en"].head(1000)  # English into English: every word finds itself
    words = ["the", "of", ",", "xyzzyq"]
    translations, found, copied = translate.induce_translations(english, english, words, TranslateConfig())
    assert translations == {"the": "the", "of": "of"} and set(found) == {"the", "of"}
    assert copied == {",": "no letter", "xyzzyq": "no vector"}
    translations, _, copied = translate.induce_translations(english, english, words, TranslateConfig(min_score=5.0))
    assert translations == {} and copied["the"] == copied["of"] == "low score"


def opened_files(monkeypatch) -> list[str]:
    """Every path opened through builtins / io (pathlib and numpy go through them)."""
    seen: list[str] = []
    real = builtins.open

    def spy(path, *args, **kwargs):
        seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    return seen


def test_tiny_cell_runs_reads_no_dictionary_and_no_target_train_label(tiny_root: Path, align_root: Path,
                                                                     tmp_path: Path, monkeypatch):
    reads = record_label_reads(monkeypatch)
    opened = opened_files(monkeypatch)
    cfg = TransferConfig(lang="es", variant="translate-train", seed=2, modes=("src-dev", "tgt-dev"), budget=TINY,
                         space=SpaceConfig(align_root=str(align_root)))
    run = tmp_path / "run"
    body = variants.run_transfer_cell(cfg, run)
    assert not [p for p in opened if "dictionar" in p or Path(p).name.startswith("en-es.")]
    es = str(tiny_root / "ner" / "es")
    assert {Path(p).name for p, tags in reads if p.startswith(es) and tags} == {"test.txt", "dev.txt"}
    assert set(body["modes"]) == {"src-dev", "tgt-dev"} and body["progress"]["epochs_done"] == 1.0
    summary = body["data"]["translation"]
    assert summary["tokens"] == sum(summary["tokens_by_outcome"].values()) > 0
    saved = json.loads((run / translate.TRANSLATION_FILE).read_text(encoding="utf-8"))
    assert saved["translations"]["the"] in {"el", "la", "los", "las"}
    assert (run / "train" / "best-tgt-dev" / "model.safetensors").is_file()  # loadable, e.g. as a later base
    info = json.loads((run / "cell_info.json").read_text(encoding="utf-8"))
    assert info["tagger_config"]["use_char"] and not info["tagger_config"]["shared_weights"]
    assert json.loads((run / "train" / "run_config.json").read_text())["lang"] == "es"  # trained on target rows
    # Resume: the run folder's translation is reused, not searched again; the summary is the logs'.
    monkeypatch.setattr(translate, "induce_translations", lambda *a, **k: pytest.fail("searched again"))
    again = variants.run_transfer_cell(cfg, run)
    assert again["modes"] == body["modes"] and again["data"]["translation"] == summary
    assert variants.summarise_transfer_cell(cfg, run)["modes"] == body["modes"]


def test_with_source_trains_on_the_translation_and_the_english_originals(tiny_root: Path, align_root: Path,
                                                                         tmp_path: Path, monkeypatch):
    reads = record_label_reads(monkeypatch)
    opened = opened_files(monkeypatch)
    cfg = TransferConfig(lang="es", variant="translate-train", seed=2, modes=("src-dev",), budget=TINY,
                         space=SpaceConfig(align_root=str(align_root)), translate=TranslateConfig(with_source=True))
    body = variants.run_transfer_cell(cfg, tmp_path / "run")
    assert not [p for p in opened if "dictionar" in p or Path(p).name.startswith("en-es.")]
    es = str(tiny_root / "ner" / "es")
    assert {Path(p).name for p, tags in reads if p.startswith(es) and tags} == {"test.txt"}  # evaluation only
    run = json.loads((tmp_path / "run" / "train" / "run_config.json").read_text())
    n = body["data"]["sentences"]["src_train"]
    assert [s["lang"] for s in run["train_sets"]] == ["es", "en"] and run["train_sentences"] <= 2 * n
    assert run["train_sets"][0]["sentences"] == run["train_sets"][1]["sentences"]  # 1:1 translations
    assert body["data"]["train_source"].endswith("+ the English originals (translate.with_source)")
    assert body["progress"]["epochs_done"] == 1.0 and set(body["modes"]) == {"src-dev"}


def test_translate_config_is_saved_only_for_translate_train():
    cfg = TransferConfig(lang="de", variant="translate-train", translate=TranslateConfig(min_score=0.1))
    assert TransferConfig.from_dict(cfg.to_dict()) == cfg
    assert "translate" not in TransferConfig(lang="de").to_dict()  # older results of other variants stay comparable
    from xner.experiments.grid import GridConfig

    assert "translate-train" not in GridConfig().variants  # the paper's grid is unchanged
