"""`xner demo`: the whole pipeline on the embedded bundle (`xner/demo_data/`), with zero downloads.

Why: a newcomer should see dictionary-free alignment -> source model -> Cross-Augmented ->
Spanish F1 -> tagged sentence in minutes, before touching the full data. The bundle is tiny
(see `demo_data/SOURCE.md`), so the scores show that the pipeline works, not what the
method reaches on the full data.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from xner.data.conll import Sentence, read_conll, read_plain_sentences
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError

BUNDLE = Path(__file__).resolve().parent / "demo_data"
SOURCE_LANG, TARGET_LANG = "en", "es"


@dataclass
class DemoBundle:
    """Everything the demo reads; no target label is here except `target_test` (evaluation only)."""

    source_train: list[Sentence]
    source_dev: list[Sentence]
    target_unlabeled: list[Sentence]  # tags all "O"
    target_test: list[Sentence]
    embeddings: dict[str, EmbeddingTable]
    dictionary: Path  # en-es test pairs in the bundle's vocabularies (for P@1 only)
    train_dictionary: Path  # en-es MUSE training pairs (only for the `supervised` reference alignment)


def bundle_path(name: str, root: Path = BUNDLE) -> Path:
    path = root / name
    if not path.is_file():
        raise XnerError("demo bundle file missing (reinstall xner, or run scripts/build_demo_data.py)", path)
    return path


def load_bundle_embeddings(lang: str, root: Path = BUNDLE) -> EmbeddingTable:
    """Dequantise the int8 table: vector = q * scale (float32)."""
    q = np.load(bundle_path(f"emb.{lang}.q8.npy", root), allow_pickle=False)  # (N, D) int8
    scale = np.load(bundle_path(f"emb.{lang}.scale.npy", root), allow_pickle=False)  # (N,)
    words = bundle_path(f"emb.{lang}.vocab", root).read_text(encoding="utf-8").split("\n")
    if words and words[-1] == "":
        words.pop()
    vectors = q.astype(np.float32) * scale[:, None]  # (N, D)
    return EmbeddingTable(words, vectors, name=f"demo:{lang}")


def load_bundle(root: Path = BUNDLE) -> DemoBundle:
    src, tgt = SOURCE_LANG, TARGET_LANG
    return DemoBundle(
        source_train=read_conll(bundle_path(f"{src}.train.conll", root)),
        source_dev=read_conll(bundle_path(f"{src}.dev.conll", root)),
        target_unlabeled=read_plain_sentences(bundle_path(f"{tgt}.unlabeled.txt", root)),
        target_test=read_conll(bundle_path(f"{tgt}.test.conll", root)),
        embeddings={lang: load_bundle_embeddings(lang, root) for lang in (src, tgt)},
        dictionary=bundle_path(f"{src}-{tgt}.test.txt", root),
        train_dictionary=bundle_path(f"{src}-{tgt}.train.txt", root),
    )


# ----------------------------------------------------------------------------------------- pipeline

DEFAULT_SENTENCE = (
    "El presidente de Telefónica , César Alierta , se reunió en Madrid con representantes "
    "de la Unión Europea y del Gobierno de Brasil ."
)  # (ours) a made-up example sentence, not from the data
VARIANT_LABELS = {"source-mono": "Source-Mono", "cross-word": "Cross-Word", "cross-augmented": "Cross-Augmented"}


@dataclass
class DemoConfig:
    """Budget of `xner demo`. The paper trains 30 epochs on 14k sentences; the demo cuts everything (ours)."""

    seed: int = 1  # (ours)
    threads: int = 1  # (ours) torch/faiss threads; 1 avoids thread oversubscription on a shared 2-core machine
    align_mode: str = "unsupervised"  # xner align's dictionary-free default; "identical" / "supervised": reference only
    align_preset: str = "cpu"  # xner.align preset (the CPU budget of the alignment stage)
    align_overrides: dict = field(default_factory=dict)  # dotted AlignConfig fields, e.g. {"refinement.n_iterations": 2}
    source_epochs: int = 3  # (ours; paper: 30) epochs of Source-Mono and of the Cross-Word source model
    augment_iterations: int = 2  # (ours; paper: until convergence) Cross-Augmented outer iterations
    max_source_sentences: int | None = None  # cap on English training sentences (None = the bundle's 1,500)
    max_unlabeled: int | None = 600  # cap on unlabelled Spanish sentences (the bundle has 1,000)
    max_test_sentences: int | None = None  # cap on Spanish test sentences (None = the bundle's 500)
    max_dev_sentences: int | None = None  # cap on English dev sentences (None = the bundle's 300)
    sentence: str = DEFAULT_SENTENCE  # Spanish text tagged at the end

    @classmethod
    def quick(cls, **changes) -> "DemoConfig":
        """A reduced budget (tests, `xner demo --quick`): same pipeline, a fraction of the data and steps."""
        base = dict(
            source_epochs=1, augment_iterations=1, max_source_sentences=300, max_unlabeled=150,
            max_test_sentences=100, max_dev_sentences=100,
            align_overrides={"max_vocab": 3000, "self_learning.cutoff": 3000, "adversarial.epoch_size": 3200,
                             "refinement.n_iterations": 1},
        )
        base.update(changes)
        return cls(**base)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class DemoReporter:
    """Progress callbacks of `run_demo` (no-ops here; the CLI draws them with rich)."""

    def start(self, stage: str, description: str, total: int | None = None) -> None:
        pass

    def advance(self, stage: str, info: str = "") -> None:
        pass

    def finish(self, stage: str, info: str = "") -> None:
        pass

    def log(self, text: str) -> None:
        pass


def _cap(items: list, n: int | None) -> list:
    return items if n is None else items[:n]


@contextlib.contextmanager
def _timed(name: str, wall: dict[str, float], cpu: dict[str, float]) -> Iterator[None]:
    """Wall and CPU seconds of one stage (CPU = this process; one thread by default, so CPU ~ a 1-core wall)."""
    t0, c0 = time.perf_counter(), time.process_time()
    yield
    wall[name] = time.perf_counter() - t0
    cpu[name] = time.process_time() - c0


def run_demo(config: DemoConfig = DemoConfig(), out_dir: str | Path = "runs/demo", reporter: DemoReporter | None = None,
             bundle_root: Path = BUNDLE, command: str = "xner demo") -> dict:
    """Align, train Source-Mono and Cross-Word, run Cross-Augmented, evaluate on Spanish, tag a sentence.

    The Cross-Augmented tagger is saved to `out_dir/model` (loadable with `xner.load`).
    Selection uses the English dev sample only (`src-dev`: no Spanish label reaches training or
    selection); the Spanish test sample is read for the reported F1. Writes `out_dir/demo_result.json`
    and returns the same dict.
    """
    from xner.threads import limited_threads

    reporter = reporter or DemoReporter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with limited_threads(config.threads):
        return _run(config, out_dir, reporter, bundle_root, command)


def _run(config: DemoConfig, out_dir: Path, reporter: DemoReporter, bundle_root: Path, command: str) -> dict:
    from xner.experiments.provenance import machine_info
    from xner.io import write_json_atomic
    from xner.model.predictor import Predictor

    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    scores: dict[str, dict] = {}
    source_info: dict[str, dict] = {}
    with _timed("total", wall, cpu):
        with _timed("load", wall, cpu):
            bundle = load_bundle(bundle_root)
            src_train = _cap(bundle.source_train, config.max_source_sentences)
            src_dev = _cap(bundle.source_dev, config.max_dev_sentences)
            unlabeled = _cap(bundle.target_unlabeled, config.max_unlabeled)
            test = _cap(bundle.target_test, config.max_test_sentences)
        with _timed("align", wall, cpu):
            alignment, mapped = _align(bundle, config, out_dir / "align", reporter)
        mono = {lang: bundle.embeddings[lang].normalized(MONO_NORMALIZE) for lang in (SOURCE_LANG, TARGET_LANG)}
        with _timed("source-mono", wall, cpu):
            mono_model, source_info["source-mono"] = _train_source(
                "source-mono", mono, src_train, src_dev, unlabeled, config, out_dir, reporter)
            scores["source-mono"] = _evaluate(mono_model, test)
            reporter.finish("source-mono", f"Spanish F1 {scores['source-mono']['f1']:.1f}")
        with _timed("cross-word", wall, cpu):
            cross_model, source_info["cross-word"] = _train_source(
                "cross-word", mapped, src_train, src_dev, unlabeled, config, out_dir, reporter)
            scores["cross-word"] = _evaluate(cross_model, test)
            reporter.finish("cross-word", f"Spanish F1 {scores['cross-word']['f1']:.1f}")
        with _timed("cross-augmented", wall, cpu):
            augmented, augment_info = _augment(cross_model, src_train, src_dev, unlabeled, test, config, out_dir,
                                               reporter)
            scores["cross-augmented"] = _evaluate(augmented, test)
            reporter.finish("cross-augmented", f"Spanish F1 {scores['cross-augmented']['f1']:.1f}")
        entities = Predictor(augmented).tag(config.sentence, lang=TARGET_LANG)

    result = {
        "command": command,
        "config": config.to_dict(),
        "out_dir": str(out_dir),
        "model": str(out_dir / "model"),  # the Cross-Augmented tagger: `xner tag`, `xner evaluate`, `xner serve` open it
        "data": {
            "bundle": str(bundle_root),
            "sentences": {"en_train": len(src_train), "en_dev": len(src_dev), "es_unlabeled": len(unlabeled),
                          "es_test": len(test)},
            "selection": "src-dev (English dev sample); no Spanish label used for training or selection",
            "evaluation": "Spanish test sample (CoNLL span F1, IOB2)",
        },
        "alignment": alignment,
        "scores": {k: {m: round(v[m], 2) for m in ("precision", "recall", "f1")} for k, v in scores.items()},
        "per_type_f1": {k: {t: round(s["f1"], 2) for t, s in v["per_type"].items()} for k, v in scores.items()},
        "source_models": source_info,  # English training per epoch: dev F1 (selection) and mean batch loss
        "cross_augmented": augment_info,
        "example": {"text": config.sentence, "entities": entities},
        "seconds": {k: round(v, 1) for k, v in wall.items()},
        "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},  # this process's CPU time (1 thread by default)
        "machine": machine_info(),
    }
    write_json_atomic(out_dir / "demo_result.json", result)
    return result


MONO_NORMALIZE = "renorm,center,renorm"  # (ours) as the shared-space tables (METHOD.md section 1)


# (ours) what the demo changes on top of the alignment stage's `cpu` preset (dictionary-free), to fit its 3-minute
# budget on the bundle's ~6k-word tables
DEMO_ALIGN_CHANGES = {
    "max_tries": 1,  # no restarts
    "max_vocab": 5_000,  # criterion vocabulary = self-learning vocabulary (read off the loop's matrix)
    "self_learning.cutoff": 5_000,  # cpu: 10,000 (the bundle keeps the ~5k most frequent words of each table)
    "self_learning.stage_iterations": 3,  # 3 iterations per keep probability (cpu: 10)
    "self_learning.final_cutoff": 5_000,  # VecMap's finish on the same 5k words as the loop (cpu: 20,000)
    "screen_iterations": 3,  # the referee's screen of each seed (cpu: 10)
    "seed_families": ("identical+numerals", "identical+numerals+orthographic"),  # the spelling seeds (the
    # similarity seed collapses on every shared pair, results/align.md, and costs the demo ~20 s)
    "adversarial.n_epochs": 1,  # for `--set method=adversarial`
    "adversarial.epoch_size": 16_000,
    "refinement.n_iterations": 3,
}
ALIGN_MODES = ("unsupervised", "identical", "supervised")


def _align(bundle: DemoBundle, config: DemoConfig, out_dir: Path, reporter: DemoReporter) -> tuple[dict, dict]:
    """Map English into the Spanish space with `xner.align` on the bundle's tables; P@1 on the bundle's test pairs.

    `unsupervised` is `xner align`'s default, dictionary-free (seeds from spelling, then self-learning; no
    dictionary file: weak supervision, not the paper's adversarial setting); `identical` (identical strings
    as seed pairs, plain Procrustes) and `supervised`
    (Procrustes on the bundle's MUSE training pairs) use bilingual signal and exist for comparison only.
    """
    from xner.align.config import preset
    from xner.align.dictionary import identical_strings, read_dictionary
    from xner.align.mapping import mapped_tables, save_mapping
    from xner.align.pipeline import align, supervised_alignment
    from xner.io import write_json_atomic, write_text_atomic

    if config.align_mode not in ALIGN_MODES:
        raise XnerError(f"unknown alignment mode {config.align_mode!r}; choose one of {', '.join(ALIGN_MODES)}")
    src, tgt = bundle.embeddings[SOURCE_LANG], bundle.embeddings[TARGET_LANG]
    align_config = preset(config.align_preset, **{"seed": config.seed, "src_lang": SOURCE_LANG, "tgt_lang": TARGET_LANG,
                                                  **DEMO_ALIGN_CHANGES, **config.align_overrides})
    out_dir.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []
    steps = None  # the loop's length depends on its keep-probability schedule
    label = {"unsupervised": "align en->es embeddings (dictionary-free: seeds from spelling)",
             "identical": "align en->es (identical strings, reference)",
             "supervised": "align en->es (supervised, reference)"}[config.align_mode]
    reporter.start("align", label, steps if config.align_mode == "unsupervised" else 1)

    def log(entry: dict) -> None:
        entries.append(entry)
        if entry.get("stage") in ("adversarial", "refinement", "init", "self-learning") and "criterion" in entry:
            reporter.advance("align", f"criterion {entry['criterion']:.3f}")

    if config.align_mode == "unsupervised":
        result = align(src, tgt, align_config, dictionary=bundle.dictionary, log=log)
    else:
        if config.align_mode == "identical":
            pairs = identical_strings(src.words, tgt.words)
        else:
            pairs = read_dictionary(bundle.train_dictionary, src.index, tgt.index).pairs
        result = supervised_alignment(src, tgt, align_config, pairs, dictionary=bundle.dictionary, mode=config.align_mode)
        entries.extend(result.log)
    save_mapping(result.mapping, out_dir)
    write_text_atomic(out_dir / "log.jsonl", "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    evaluation = result.evaluation or {}
    p1 = (evaluation.get("csls_knn_10") or {}).get("P@1")
    p1_nn = (evaluation.get("nn") or {}).get("P@1")
    info = {
        "mode": config.align_mode,
        "config": align_config.to_dict(),
        "criterion": round(float(result.criterion), 4),
        "null_criterion": _round_or_none(getattr(result, "null_criterion", None)),
        "collapsed": bool(result.collapsed),
        "p1_csls": p1,
        "p1_nn": p1_nn,
        "test_pairs": evaluation.get("pairs_in_vocab"),
        "seconds": result.seconds,
    }
    info["family"] = result.family if config.align_mode == "unsupervised" else config.align_mode
    info["summary"] = (f"{info['family']}, criterion {info['criterion']:.3f} "
                       f"({'COLLAPSED' if info['collapsed'] else 'not collapsed'}, null {info['null_criterion']}), "
                       f"P@1 {p1 if p1 is not None else '?'}% (CSLS) / {p1_nn if p1_nn is not None else '?'}% (NN) "
                       f"on {info['test_pairs']} test word pairs")
    write_json_atomic(out_dir / "result.json", info)
    reporter.finish("align", f"P@1 {p1}%")
    src_mapped, tgt_shared = mapped_tables(src, tgt, result.mapping)
    return info, {SOURCE_LANG: src_mapped, TARGET_LANG: tgt_shared}


def _round_or_none(value) -> float | None:
    return None if value is None or value != value else round(float(value), 4)  # None and NaN -> None


def _evaluate(model, sentences: list[Sentence]) -> dict:
    from xner.model.predictor import evaluate

    return evaluate(model, sentences, TARGET_LANG)


def _train_source(variant: str, tables: dict, src_train, src_dev, unlabeled, config: DemoConfig, out_dir: Path,
                  reporter: DemoReporter):
    """One English tagger (Cross-Word architecture: char + word BiLSTM-CRF), best epoch by English dev F1."""
    from xner.model.config import TaggerConfig, TrainConfig
    from xner.model.tagger import build_tagger
    from xner.training.trainer import load_best, seed_everything, train

    seed_everything(config.seed)
    model = build_tagger(TaggerConfig(), tables, src_train, "IOBES", char_texts=[unlabeled], default_lang=TARGET_LANG)
    tcfg = TrainConfig(epochs=config.source_epochs, eval_every=0, seed=config.seed, num_threads=config.threads)
    reporter.start(variant, f"train {VARIANT_LABELS[variant]} on English", config.source_epochs)

    def on_eval(record: dict) -> None:
        reporter.advance(variant, f"English dev F1 {record['scores']['src-dev']['f1']:.1f}")

    folder = out_dir / variant
    _clear(folder)
    result = train(model, src_train, tcfg, folder, eval_sets={"src-dev": (src_dev, SOURCE_LANG)}, select_on=["src-dev"],
                   lang=SOURCE_LANG, resume=False, show_progress=False, save_best=True, on_eval=on_eval)
    info = {"english_dev_f1": [round(r["scores"]["src-dev"]["f1"], 2) for r in result.history],
            "train_loss": [round(r["train_loss"], 6) for r in result.history],
            "best_epoch": result.best["src-dev"]["epoch"], "train_seconds": round(result.train_seconds, 1)}
    return load_best(model, folder, "src-dev"), info


def _augment(source, src_train, src_dev, unlabeled, test, config: DemoConfig, out_dir: Path, reporter: DemoReporter):
    """Cross-Augmented (Algorithm 1) from the Cross-Word model; best iteration by English dev F1."""
    import contextlib
    import io

    from xner.transfer.augmented import train_augmented
    from xner.transfer.cell import CellData
    from xner.transfer.config import AugmentConfig, Budget, TransferConfig

    cell = TransferConfig(
        lang=TARGET_LANG, variant="cross-augmented", seed=config.seed, modes=("src-dev",),
        augment=AugmentConfig(base="cross-word", patience=max(1, config.augment_iterations)),
        budget=Budget(epochs=config.source_epochs, augment_iterations=config.augment_iterations, eval_every=0),
        train={"num_threads": config.threads},
    )
    data = CellData(src_train=src_train, src_dev=src_dev, tgt_dev=None, tgt_test=test, unlabeled=unlabeled,
                    info={"source": "xner demo bundle"})
    folder = out_dir / "cross-augmented"
    _clear(folder)
    reporter.start("cross-augmented", "Cross-Augmented on unlabelled Spanish", config.augment_iterations)

    def on_eval(record: dict) -> None:
        if record.get("iteration_end"):
            pseudo = record.get("pseudo") or {}
            reporter.advance("cross-augmented", f"l={pseudo.get('threshold')} kept {pseudo.get('kept')} sentences; "
                             f"English dev F1 {record['scores']['src-dev']['f1']:.1f}")

    log = io.StringIO()
    with contextlib.redirect_stderr(log):  # its per-iteration lines go to train.log; the reporter shows progress
        run = train_augmented(source, data, cell, folder, ["src-dev"], on_eval=on_eval, show_progress=False)
    run.save_selected("src-dev", out_dir / "model", {"selected_on": "src-dev", "made_by": "xner demo"})
    model, seconds = run.model, run.seconds  # the selected (src-dev) weights, as saved in out_dir/model
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text(encoding="utf-8").splitlines() if line]
    best = max(records, key=lambda r: r["scores"]["src-dev"]["f1"])
    ends = [r for r in records if r.get("iteration_end")]
    info = {"iterations": len(ends), "best_iteration": best["iteration"], "train_seconds": round(seconds, 1),
            "english_dev_f1": [round(r["scores"]["src-dev"]["f1"], 2) for r in ends],
            "loss_source": [round(r["loss_source"], 6) for r in ends],
            "loss_target": [round(r["loss_target"], 6) for r in ends],
            "pseudo_labels": [r.get("pseudo") for r in ends]}
    return model, info


def _clear(folder: Path) -> None:
    """The demo always starts fresh (same seed -> same numbers), so old checkpoints must not be resumed."""
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
