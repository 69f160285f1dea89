"""Table 2 of the paper: monolingual supervised NER F1 (upper bound) per language, with the shared embeddings.

One language:   xner experiment table2 --lang en --device cuda --out results/table2/en.json
All, parallel:  xner experiment table2 --lang all --jobs 5 --device cuda     (one process per language)
Render only:    xner experiment table2 --render                             (results/table2/*.json ->
                                                                             results/table2.md + .json)
Evidence for a row far below the paper:
  --embeddings random   the same model with random, fine-tuned word vectors (Lample et al.'s baseline)
  every run also reports F1 on test sentences with / without embedding-OOV words and the recall of
  gold entities that contain an OOV word (`oov` in the JSON).
Ship data to a machine without ../shared/data: `xner data pack DIR` (NER files + only the embedding rows the
  NER data looks up; results are identical) then run with XNER_DATA=DIR.

Model selection: best English/target *dev* F1 (evaluated every 150 batches); the reported number is
test F1 at that step. The per-language JSON is rewritten (atomically) after every evaluation, so a run
that is stopped early still leaves its best-so-far numbers, marked "complete": false.
Checkpoints go to runs/table2/<lang>[.<variant>]/ (git-ignored); `--resume` continues a stopped run.

Recipe used for results/table2 on a borrowed GPU machine (H200, 16 CPUs; only the repo travels, at most
64 MiB, and its image lacks seqeval), with `scripts/table2.py` and `scripts/pack_data.py`, this module's and
`xner data pack`'s former places (same options):
  xner data pack .gpu/data && gzip -r .gpu/data/ner && xz -6 .gpu/data/emb/*.npy
  cp -r $(python -c "import seqeval, os; print(os.path.dirname(seqeval.__file__))") .gpu/site/   # pure Python
  # on the machine (carry .gpu, ignored via .git/info/exclude):
  export PYTHONPATH=$PWD/.gpu/site XNER_DATA=$PWD/.gpu/data; gunzip -r .gpu/data/ner; xz -d .gpu/data/emb/*.xz
  timeout 430 xner experiment table2 --lang all --jobs 5 --device cuda --threads 3 --out-dir /tmp/t2
      --results-dir /tmp/t2 --runs-dir /tmp/runs   (one line; then the same with --resume until complete)
  5 processes share the GPU at ~700-1000 train sentences/s each; all 30 epochs took ~600 s wall (nl, the
  largest, ~20 s/epoch including evaluating dev and test every 150 batches).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from xner.errors import XnerError

PAPER = {"en": 89.77, "es": 84.71, "nl": 85.16, "ar": 75.49, "fi": 84.21}  # paper Table 2, "Our fasttext"
FLOORS = {"en": 86, "es": 79, "nl": 79, "fi": 77, "ar": 65}  # issue 3: below these, suspect a bug
LANGS = tuple(PAPER)
EMBEDDINGS = ("fasttext", "random")


@dataclass
class Table2Config:
    """One Table 2 training run (per language)."""

    device: str = "cpu"  # cpu or cuda
    epochs: int = 30  # paper: 30 epochs
    seed: int = 1  # (ours)
    embeddings: str = "fasttext"  # "fasttext" (the shared tables) or "random" (Lample et al.'s baseline)
    no_char: bool = False  # (ours, diagnosis) no char BiLSTM
    threads: int = 0  # torch CPU threads per process (0: torch's default)
    length_buckets: int = 20  # (ours) TrainConfig.length_buckets the committed rows were made with (0: random batches)
    max_train: int = 0  # first N training sentences (smoke tests); 0 = all
    resume: bool = False  # continue from runs-dir checkpoints
    track_test: bool = True  # score test at every evaluation (for the curve)
    quiet: bool = False  # no progress bar / log lines on stderr
    runs_dir: str = "runs/table2"  # checkpoints and models

    def __post_init__(self) -> None:
        if self.embeddings not in EMBEDDINGS:
            raise XnerError(f"--embeddings must be one of {', '.join(EMBEDDINGS)}, not {self.embeddings!r}")

    def flags(self) -> list[str]:
        """These settings as `xner experiment table2` options (what each per-language process is given)."""
        out = ["--device", self.device, "--epochs", str(self.epochs), "--seed", str(self.seed), "--runs-dir",
               self.runs_dir, "--embeddings", self.embeddings, "--threads", str(self.threads), "--length-buckets",
               str(self.length_buckets)]
        for flag, on in (("--resume", self.resume), ("--no-char", self.no_char), ("--no-track-test", not self.track_test)):
            if on:
                out.append(flag)
        if self.max_train:
            out += ["--max-train", str(self.max_train)]
        return out


def result_name(lang: str, variant: str) -> str:
    return lang if variant == "fasttext" else f"{lang}.{variant}"


def machine() -> dict:
    import torch

    info = {"node": platform.node(), "cpu_count": os.cpu_count(), "torch": torch.__version__,
            "python": platform.python_version()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def random_table(table, seed: int):
    """Same words as `table`, N(0, sigma) vectors with the real table's overall standard deviation."""
    import numpy as np

    from xner.embeddings import EmbeddingTable

    sigma = float(np.asarray(table.vectors[: min(len(table), 20000)], dtype=np.float32).std())
    rng = np.random.default_rng(seed)
    vectors = rng.normal(0.0, sigma, size=(len(table), table.dim)).astype(np.float32)
    return EmbeddingTable(list(table.words), vectors, name=f"random({table.name}, sigma={sigma:.4f})")


def run_language(lang: str, config: Table2Config, out: Path, command: str) -> dict:
    """Train and evaluate one language; writes `out` after every evaluation and at the end."""
    import torch

    from xner.data.registry import load_split, split_path
    from xner.embeddings import load_embeddings
    from xner.io import write_json_atomic
    from xner.model.config import TaggerConfig, TrainConfig, default_tag_scheme
    from xner.model.predictor import evaluate
    from xner.model.tagger import build_tagger, count_parameters
    from xner.training.trainer import load_best, seed_everything, train

    if lang not in PAPER:
        raise XnerError(f"Table 2 has no row for {lang!r}; choose from {', '.join(LANGS)}")
    variant = config.embeddings
    run_dir = Path(config.runs_dir) / result_name(lang, variant)
    train_s, dev, test = (load_split(lang, s) for s in ("train", "dev", "test"))
    if config.max_train:
        train_s = train_s[: config.max_train]
    table = load_embeddings(lang)
    tagger_cfg = TaggerConfig(use_char=not config.no_char)
    if variant == "random":
        table = random_table(table, config.seed)
        tagger_cfg.finetune_embeddings = True  # Lample et al.'s random baseline learns its vectors
    train_cfg = TrainConfig(
        epochs=config.epochs, seed=config.seed, device=config.device, tag_scheme=default_tag_scheme(lang),
        num_threads=config.threads, length_buckets=config.length_buckets,
    )
    seed_everything(config.seed)
    model = build_tagger(tagger_cfg, {lang: table}, train_s, train_cfg.tag_scheme)
    eval_sets = {"dev": (dev, lang)}
    if config.track_test:
        eval_sets["test"] = (test, lang)
    started = time.time()
    base = {
        "table": 2, "lang": lang, "variant": variant, "paper_f1": PAPER.get(lang), "floor_f1": FLOORS.get(lang),
        "command": command,
        "selection": "best dev F1 (evaluated every eval_every batches and at each epoch end); test F1 at that step",
        "seed": config.seed, "machine": machine(), "device": config.device,
        "data": {s: str(split_path(lang, s)) for s in ("train", "dev", "test")},
        "train_sentences": len(train_s),
        "embeddings": {"name": table.name, "rows": len(table), "dim": table.dim},
        "tagger_config": tagger_cfg.to_dict(), "train_config": train_cfg.to_dict(),
        "parameters_without_word_embeddings": count_parameters(model),
        "parameters_paper_convention": count_parameters(model, merge_lstm_biases=True),
        "run_dir": str(run_dir),
    }

    n_batches = max(1, -(-len(train_s) // train_cfg.batch_size))

    def point(record: dict) -> list:  # [epochs done, dev F1, test F1] of one evaluation
        return [round(record["epoch"] + record["batch"] / n_batches, 3), record["scores"]["dev"]["f1"],
                record["scores"].get("test", {}).get("f1")]

    state = {"best": None, "curve": []}
    metrics = run_dir / "metrics.jsonl"
    if config.resume and metrics.is_file():  # best so far from the interrupted run (lines past its checkpoint are
        for line in metrics.read_text(encoding="utf-8").splitlines():  # dropped by train() and re-done)
            record = json.loads(line)
            state["curve"].append(point(record))
            if state["best"] is None or record["scores"]["dev"]["f1"] > state["best"]["scores"]["dev"]["f1"]:
                state["best"] = record

    def on_eval(record: dict) -> None:
        dev_f1 = record["scores"]["dev"]["f1"]
        if state["best"] is None or dev_f1 > state["best"]["scores"]["dev"]["f1"]:
            state["best"] = record
        state["curve"] = [p for p in state["curve"] if p[0] < point(record)[0]] + [point(record)]
        epochs_done = point(record)[0]
        best = state["best"]
        write_json_atomic(out, base | {
            "complete": False, "epochs_done": round(epochs_done, 3), "epochs_budget": config.epochs,
            "wall_seconds": round(time.time() - started, 1),
            "train_sentences_per_second": record["sentences_per_second"],
            "best_step": best["step"], "dev_f1": best["scores"]["dev"]["f1"],
            "test_f1": best["scores"].get("test", {}).get("f1"),
            "test": best["scores"].get("test"), "dev": best["scores"]["dev"], "curve": state["curve"],
        })

    result = train(model, train_s, train_cfg, run_dir, eval_sets, select_on=["dev"], lang=lang,
                   resume=config.resume, show_progress=not config.quiet, on_eval=on_eval)
    load_best(model, run_dir, "dev")
    test_scores = evaluate(model, test, lang, train_cfg.eval_batch_size, oov_breakdown=True)
    dev_scores = evaluate(model, dev, lang, train_cfg.eval_batch_size)
    final = base | {
        "complete": not result.interrupted and result.epochs_done >= config.epochs,
        "epochs_done": round(result.epochs_done, 3), "epochs_budget": config.epochs,
        "wall_seconds": round(time.time() - started, 1),
        "train_seconds": round(result.train_seconds, 1),
        "train_sentences_per_second": round(result.sentences_per_second, 1),
        "best_step": result.best["dev"]["step"], "best_epoch": result.best["dev"]["epoch"],
        "dev_f1": dev_scores["f1"], "test_f1": test_scores["f1"],
        "dev": dev_scores, "test": test_scores, "model": str(run_dir / "best-dev"),
        "curve": [point(r) for r in result.history],  # every evaluation: [epochs, dev F1, test F1]
    }
    if torch.cuda.is_available() and config.device.startswith("cuda"):
        final["max_gpu_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    write_json_atomic(out, final)
    print(f"{lang} ({variant}): test F1 {test_scores['f1']:.2f} (paper {PAPER.get(lang)}), dev F1 {dev_scores['f1']:.2f}"
          f" -> {out}", flush=True)
    return final


def run_parallel(langs: list[str], config: Table2Config, jobs: int, out_dir: Path, log_dir: Path,
                 results_dir: Path) -> int:
    """One `xner experiment table2` process per language, at most `jobs` at a time; each writes its own JSON and
    log; then render. Returns 1 if a language failed or was stopped."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    pending, running, failed = list(langs), [], []

    def stop(signum, frame):  # e.g. `timeout`: stop the children, keep their partial JSON, render
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # `timeout` signals us and our process group
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        _supervise(config, jobs, pending, running, failed, out_dir, log_dir)
    except KeyboardInterrupt:
        for lang, proc, log in running:
            proc.terminate()
        for lang, proc, log in running:
            proc.wait()
            log.close()
            failed.append(lang)
        print(f"stopped; unfinished: {', '.join(lang for lang, _, _ in running) or 'none'}", flush=True)
    render(out_dir, results_dir)
    return 1 if failed else 0


def _supervise(config, jobs, pending, running, failed, out_dir, log_dir) -> None:
    while pending or running:
        while pending and len(running) < jobs:
            lang = pending.pop(0)
            name = result_name(lang, config.embeddings)
            log = open(log_dir / f"{name}.log", "w", encoding="utf-8")
            cmd = [sys.executable, "-c", "from xner.cli import main; main()", "experiment", "table2", "--lang", lang,
                   "--out", str(out_dir / f"{name}.json")] + config.flags()
            running.append((lang, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log))
            print(f"started {lang}: {' '.join(cmd)}", flush=True)
        time.sleep(2)
        for item in list(running):
            lang, proc, log = item
            if proc.poll() is not None:
                log.close()
                running.remove(item)
                print(f"{lang} finished with exit code {proc.returncode}", flush=True)
                if proc.returncode:
                    failed.append(lang)


def render(in_dir: Path, results: Path) -> None:
    """results/table2.md + results/table2.json from the per-language JSON files."""
    from xner.io import write_json_atomic, write_text_atomic

    rows = {}
    for path in sorted(Path(in_dir).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("table") == 2:
            rows[result_name(data["lang"], data["variant"])] = data
    if not rows:
        raise XnerError("no Table 2 result (*.json with \"table\": 2) to render", in_dir)
    lines = [
        "# Table 2: monolingual supervised NER (test F1, CoNLL span F1 via seqeval)",
        "",
        "Rendered by `xner experiment table2 --render` from `results/table2/*.json`; each row: one seed, model",
        "selected on dev F1, test F1 at that step. Paper = Bari et al. (2020) Table 2, fastText wiki vectors;",
        "ours = the shared 300-d fastText vectors trained on far smaller corpora (see shared/data/README.md).",
        "",
        "| lang | variant | paper F1 | our test F1 | diff | dev F1 | epochs | complete | OOV tokens % | F1 sents w/ OOV | F1 sents w/o OOV | recall ents w/ OOV | recall ents w/o OOV | machine |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]

    def fmt(x, digits=2):
        return "" if x is None else f"{x:.{digits}f}"

    for name, d in sorted(rows.items(), key=lambda kv: (LANGS.index(kv[1]["lang"]) if kv[1]["lang"] in LANGS else 99, kv[0])):
        oov = (d.get("test") or {}).get("oov", {})
        paper = d.get("paper_f1")
        diff = d["test_f1"] - paper if (paper is not None and d.get("test_f1") is not None) else None
        where = d["machine"].get("gpu") or f"{d['machine']['node']} ({d['machine']['cpu_count']} CPUs)"
        lines.append(
            f"| {d['lang']} | {d['variant']} | {fmt(paper)} | {fmt(d.get('test_f1'))} | {fmt(diff)} | {fmt(d.get('dev_f1'))} "
            f"| {d.get('epochs_done')}/{d.get('epochs_budget')} | {'yes' if d.get('complete') else 'NO'} "
            f"| {fmt(oov.get('token_oov_rate'), 1)} | {fmt((oov.get('sentences_with_oov') or {}).get('f1'))} "
            f"| {fmt((oov.get('sentences_without_oov') or {}).get('f1'))} "
            f"| {fmt((oov.get('entities_with_oov') or {}).get('recall'))} "
            f"| {fmt((oov.get('entities_without_oov') or {}).get('recall'))} | {where} |"
        )
    lines += ["", "Rows more than 3 F1 below the paper: compare with the `random` variant (same model, random",
              "fine-tuned vectors) and with the OOV columns (entities whose words have no vector).", "",
              "How each row was made (the command, machine and data root; `--resume` = continued from the",
              "checkpoint of a run stopped by a time limit, which gives the same weights as an uninterrupted run;",
              "a data root other than ../shared/data is a `xner data pack` (formerly `scripts/pack_data.py`) copy of it: the same NER files and only the",
              "embedding rows those files look up, so every lookup returns the same vector):", ""]
    for name, d in rows.items():
        where = d["machine"].get("gpu") or d["machine"]["node"]
        root = str(Path(d["data"]["train"]).parent.parent.parent)
        lines.append(f"- {name}: `{d['command']}` on {where} ({d['machine']['cpu_count']} CPUs), data root `{root}`, "
                     f"seed {d['seed']}, {d.get('train_sentences_per_second')} train sentences/s")
    write_text_atomic(results / "table2.md", "\n".join(lines) + "\n")
    write_json_atomic(results / "table2.json", {"rendered_from": str(in_dir), "rows": rows})
    print(f"wrote {results / 'table2.md'} and {results / 'table2.json'} ({len(rows)} rows)")
