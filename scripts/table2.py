#!/usr/bin/env python
"""Table 2 of the paper: monolingual supervised NER F1 (upper bound) per language, with the shared embeddings.

One language:   python scripts/table2.py --lang en --device cuda --out results/table2/en.json
All, parallel:  python scripts/table2.py --lang all --jobs 5 --device cuda     (one process per language)
Render only:    python scripts/table2.py --render                             (results/table2/*.json ->
                                                                               results/table2.md + .json)
Evidence for a row far below the paper:
  --embeddings random   the same model with random, fine-tuned word vectors (Lample et al.'s baseline)
  every run also reports F1 on test sentences with / without embedding-OOV words and the recall of
  gold entities that contain an OOV word (`oov` in the JSON).
Ship data to a machine without ../shared/data: `python scripts/pack_data.py DIR` (NER files + only the
  embedding rows the NER data looks up; results are identical) then run with XNER_DATA=DIR.

Recipe used for results/table2 on a borrowed GPU machine (H200, 16 CPUs; only the repo travels, at most
64 MiB, and its image lacks seqeval):
  python scripts/pack_data.py .gpu/data && gzip -r .gpu/data/ner && xz -6 .gpu/data/emb/*.npy
  cp -r $(python -c "import seqeval, os; print(os.path.dirname(seqeval.__file__))") .gpu/site/   # pure Python
  # on the machine (carry .gpu, ignored via .git/info/exclude):
  export PYTHONPATH=$PWD/.gpu/site XNER_DATA=$PWD/.gpu/data; gunzip -r .gpu/data/ner; xz -d .gpu/data/emb/*.xz
  timeout 430 python3 scripts/table2.py --lang all --jobs 5 --device cuda --threads 3 --out-dir /tmp/t2
      --results-dir /tmp/t2 --runs-dir /tmp/runs   (one line; then the same with --resume until complete)
  5 processes share the GPU at ~700-1000 train sentences/s each; all 30 epochs took ~600 s wall (nl, the
  largest, ~20 s/epoch including evaluating dev and test every 150 batches).

Model selection: best English/target *dev* F1 (evaluated every 150 batches); the reported number is
test F1 at that step. The per-language JSON is rewritten (atomically) after every evaluation, so a run
that is stopped early still leaves its best-so-far numbers, marked "complete": false.
Checkpoints go to runs/table2/<lang>[.<variant>]/ (git-ignored); `--resume` continues a stopped run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAPER = {"en": 89.77, "es": 84.71, "nl": 85.16, "ar": 75.49, "fi": 84.21}  # paper Table 2, "Our fasttext"
FLOORS = {"en": 86, "es": 79, "nl": 79, "fi": 77, "ar": 65}  # issue 3: below these, suspect a bug
LANGS = tuple(PAPER)


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


def run_language(args) -> dict:
    import torch

    from xner.data.registry import load_split, split_path
    from xner.embeddings import load_embeddings
    from xner.io import write_json_atomic
    from xner.model.config import TaggerConfig, TrainConfig, default_tag_scheme
    from xner.model.predictor import evaluate
    from xner.model.tagger import build_tagger, count_parameters
    from xner.model.trainer import load_best, seed_everything, train

    lang, variant = args.lang, args.embeddings
    out = Path(args.out) if args.out else ROOT / "results" / "table2" / f"{result_name(lang, variant)}.json"
    run_dir = Path(args.runs_dir) / result_name(lang, variant)
    train_s, dev, test = (load_split(lang, s) for s in ("train", "dev", "test"))
    if args.max_train:
        train_s = train_s[: args.max_train]
    table = load_embeddings(lang)
    tagger_cfg = TaggerConfig(use_char=not args.no_char)
    if variant == "random":
        table = random_table(table, args.seed)
        tagger_cfg.finetune_embeddings = True  # Lample et al.'s random baseline learns its vectors
    train_cfg = TrainConfig(
        epochs=args.epochs, seed=args.seed, device=args.device, tag_scheme=default_tag_scheme(lang),
        num_threads=args.threads, length_buckets=args.length_buckets,
    )
    seed_everything(args.seed)
    model = build_tagger(tagger_cfg, {lang: table}, train_s, train_cfg.tag_scheme)
    eval_sets = {"dev": (dev, lang)}
    if not args.no_track_test:
        eval_sets["test"] = (test, lang)
    started = time.time()
    base = {
        "table": 2, "lang": lang, "variant": variant, "paper_f1": PAPER.get(lang), "floor_f1": FLOORS.get(lang),
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "selection": "best dev F1 (evaluated every eval_every batches and at each epoch end); test F1 at that step",
        "seed": args.seed, "machine": machine(), "device": args.device,
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
    if args.resume and metrics.is_file():  # best so far from the interrupted run (lines past its checkpoint are
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
            "complete": False, "epochs_done": round(epochs_done, 3), "epochs_budget": args.epochs,
            "wall_seconds": round(time.time() - started, 1),
            "train_sentences_per_second": record["sentences_per_second"],
            "best_step": best["step"], "dev_f1": best["scores"]["dev"]["f1"],
            "test_f1": best["scores"].get("test", {}).get("f1"),
            "test": best["scores"].get("test"), "dev": best["scores"]["dev"], "curve": state["curve"],
        })

    result = train(model, train_s, train_cfg, run_dir, eval_sets, select_on=["dev"], lang=lang,
                   resume=args.resume, show_progress=not args.quiet, on_eval=on_eval)
    load_best(model, run_dir, "dev")
    test_scores = evaluate(model, test, lang, train_cfg.eval_batch_size, oov_breakdown=True)
    dev_scores = evaluate(model, dev, lang, train_cfg.eval_batch_size)
    final = base | {
        "complete": not result.interrupted and result.epochs_done >= args.epochs,
        "epochs_done": round(result.epochs_done, 3), "epochs_budget": args.epochs,
        "wall_seconds": round(time.time() - started, 1),
        "train_seconds": round(result.train_seconds, 1),
        "train_sentences_per_second": round(result.sentences_per_second, 1),
        "best_step": result.best["dev"]["step"], "best_epoch": result.best["dev"]["epoch"],
        "dev_f1": dev_scores["f1"], "test_f1": test_scores["f1"],
        "dev": dev_scores, "test": test_scores, "model": str(run_dir / "best-dev"),
        "curve": [point(r) for r in result.history],  # every evaluation: [epochs, dev F1, test F1]
    }
    if torch.cuda.is_available() and args.device.startswith("cuda"):
        final["max_gpu_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    write_json_atomic(out, final)
    print(f"{lang} ({variant}): test F1 {test_scores['f1']:.2f} (paper {PAPER.get(lang)}), dev F1 {dev_scores['f1']:.2f}"
          f" -> {out}", flush=True)
    return final


def run_parallel(args) -> int:
    """One subprocess per language, at most `--jobs` at a time; each writes its own JSON and log."""
    langs = LANGS if args.lang == "all" else tuple(args.lang.split(","))
    out_dir = Path(args.out_dir) if args.out_dir else ROOT / "results" / "table2"
    out_dir.mkdir(parents=True, exist_ok=True)
    log_dir = Path(args.log_dir) if args.log_dir else out_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    passthrough = ["--device", args.device, "--epochs", str(args.epochs), "--seed", str(args.seed),
                   "--runs-dir", str(args.runs_dir), "--embeddings", args.embeddings, "--threads", str(args.threads),
                   "--length-buckets", str(args.length_buckets)]
    for flag in ("resume", "no_char", "no_track_test"):
        if getattr(args, flag):
            passthrough.append("--" + flag.replace("_", "-"))
    if args.max_train:
        passthrough += ["--max-train", str(args.max_train)]
    pending, running, failed = list(langs), [], []

    def stop(signum, frame):  # e.g. `timeout`: stop the children, keep their partial JSON, render
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # `timeout` signals us and our process group
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        _supervise(args, pending, running, failed, out_dir, log_dir, passthrough)
    except KeyboardInterrupt:
        for lang, proc, log in running:
            proc.terminate()
        for lang, proc, log in running:
            proc.wait()
            log.close()
            failed.append(lang)
        print(f"stopped; unfinished: {', '.join(lang for lang, _, _ in running) or 'none'}", flush=True)
    render(out_dir, Path(args.results_dir))
    return 1 if failed else 0


def _supervise(args, pending, running, failed, out_dir, log_dir, passthrough) -> None:
    while pending or running:
        while pending and len(running) < args.jobs:
            lang = pending.pop(0)
            name = result_name(lang, args.embeddings)
            log = open(log_dir / f"{name}.log", "w", encoding="utf-8")
            cmd = [sys.executable, str(Path(__file__).resolve()), "--lang", lang,
                   "--out", str(out_dir / f"{name}.json")] + passthrough
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
        print(f"nothing to render in {in_dir}", file=sys.stderr)
        return
    lines = [
        "# Table 2: monolingual supervised NER (test F1, CoNLL span F1 via seqeval)",
        "",
        "Rendered by `python scripts/table2.py --render` from `results/table2/*.json`; each row: one seed, model",
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
              "a data root other than ../shared/data is a `scripts/pack_data.py` copy of it: the same NER files and only the",
              "embedding rows those files look up, so every lookup returns the same vector):", ""]
    for name, d in rows.items():
        where = d["machine"].get("gpu") or d["machine"]["node"]
        root = str(Path(d["data"]["train"]).parent.parent.parent)
        lines.append(f"- {name}: `{d['command']}` on {where} ({d['machine']['cpu_count']} CPUs), data root `{root}`, "
                     f"seed {d['seed']}, {d.get('train_sentences_per_second')} train sentences/s")
    write_text_atomic(results / "table2.md", "\n".join(lines) + "\n")
    write_json_atomic(results / "table2.json", {"rendered_from": str(in_dir), "rows": rows})
    print(f"wrote {results / 'table2.md'} and {results / 'table2.json'} ({len(rows)} rows)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", default="en", help="en, es, nl, ar, fi, a comma list, or all")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--epochs", type=int, default=30, help="epoch budget (paper: 30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--embeddings", default="fasttext", choices=("fasttext", "random"))
    parser.add_argument("--no-char", action="store_true", help="no char BiLSTM")
    parser.add_argument("--out", help="result JSON of one language (default results/table2/<lang>.json)")
    parser.add_argument("--out-dir", help="with several languages: folder of the per-language JSON files")
    parser.add_argument("--log-dir", help="with several languages: folder of per-language logs (default --out-dir)")
    parser.add_argument("--results-dir", default=str(ROOT / "results"), help="where table2.md/.json are rendered")
    parser.add_argument("--runs-dir", default=str(ROOT / "runs" / "table2"), help="checkpoints and models")
    parser.add_argument("--jobs", type=int, default=1, help="languages trained in parallel processes")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads per process (0: default)")
    parser.add_argument("--length-buckets", type=int, default=20, help="TrainConfig.length_buckets (0: random batches)")
    parser.add_argument("--max-train", type=int, default=0, help="use only the first N training sentences (smoke tests)")
    parser.add_argument("--resume", action="store_true", help="continue from runs-dir checkpoints")
    parser.add_argument("--no-track-test", action="store_true", help="do not score test at every evaluation")
    parser.add_argument("--quiet", action="store_true", help="no progress bar / log lines on stderr")
    parser.add_argument("--render", action="store_true", help="only render results/table2.md from results/table2/")
    args = parser.parse_args()

    from xner.errors import XnerError

    try:
        if args.render:
            render(Path(args.out_dir) if args.out_dir else ROOT / "results" / "table2", Path(args.results_dir))
            return 0
        if args.lang == "all" or "," in args.lang:
            return run_parallel(args)
        if args.lang not in PAPER:
            raise XnerError(f"Table 2 has no row for {args.lang!r}; choose from {', '.join(LANGS)}")
        run_language(args)
        if not args.out:
            render(ROOT / "results" / "table2", Path(args.results_dir))
        return 0
    except XnerError as err:
        print(f"table2: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
