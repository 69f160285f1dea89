#!/usr/bin/env python
"""Speed of the base tagger on English, old vs new inference path side by side in ONE run.

    python benchmarks/bench_tagger.py [--device cpu|cuda] [--threads 1] [--repeats 3] [--profile]
                                      [--out results/bench_tagger.json]

Model: the paper's architecture (`TaggerConfig()`), seed 1, untrained (speed does not depend on the
weights), on the shared CoNLL English data and 300-d table.

Training: `--train-batches` SGD steps of batch 16 on English train, with uniformly random batches
(`length_buckets=0`) and with the default length buckets (20), after 5 untimed warm-up steps. The
inference switch does not touch training, so one path is timed.

Tagging: `Predictor.predict` on word-tokenised English dev sentences, batch 1 on the first
`--tag-sentences` sentences and batch 64 on all of dev. Each repeat times, back to back:
  old        `fast=False`: EncodedCorpus batches, char BiLSTM on every batch, torch Viterbi;
  new_cold   `fast=True` (`Tagger.decode_tokens`) with the per-type caches emptied first (every word
             type is new once: its char features and word-LSTM gate inputs are computed once);
  new_warm   `fast=True` again on the same sentences (the cache holds their types: a served model's
             steady state for vocabulary it has seen).
Reported: the median over `--repeats` of tokens per wall second and per CPU second of this process
(`time.process_time`; with 1 thread it leaves out the time other jobs on a shared machine held the
core, so its ratios are the steadier ones), the ratios to `old`, and whether all three paths gave the
same tags for every sentence. `--profile` adds cProfile summaries (percent of time per
stage) of the batch-1 path (old and new_warm) and of 60 training steps.

Evaluation: one evaluation of English dev as training runs it (eval batch size, span scores), old path
vs new path with empty caches, CPU seconds; and span scoring alone with seqeval's and xner's get_entities.

Results are merged into the output JSON under the device's key; the load average (1 min) is recorded
at start and end, since this machine's cores are shared.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Stages of the profile summaries: (label, [(file suffix, function name), ...]); cumulative times of
# disjoint calls, "other" is the rest of the total.
TAG_STAGES = [
    ("batch building", [("model/batching.py", "__init__"), ("model/batching.py", "batch"),
                        ("model/batching.py", "inference_batch")]),
    ("token inputs (word rows, char features; new: per-type gate inputs from the cache)",
     [("model/tagger.py", "token_inputs"), ("model/char_encoder.py", "features")]),
    ("word BiLSTM (new: numpy recurrence)", [("model/word_encoder.py", "forward"), ("model/sequence.py", "recurrence_numpy")]),
    ("dense + output layers", [("model/scorer.py", "forward"), ("model/tagger.py", "_numpy_scores")]),
    ("Viterbi", [("model/crf.py", "decode"), ("model/crf.py", "decode_torch")]),
    ("IOB2 conversion", [("model/vocab.py", "decode_iob2"), ("model/predictor.py", "ids_to_iob2")]),
]
CHAR_LSTM = [("model/char_encoder.py", "forward")]  # part of "token inputs"
TRAIN_STAGES = [
    ("batch building", [("model/batching.py", "batch")]),
    ("forward: token inputs (char BiLSTM)", [("model/tagger.py", "token_inputs")]),
    ("forward: word BiLSTM", [("model/word_encoder.py", "forward")]),
    ("forward: dense + output layers", [("model/scorer.py", "forward")]),
    ("forward: CRF log-likelihood", [("model/crf.py", "nll")]),
    ("backward", [("torch/_tensor.py", "backward")]),
    ("gradient clipping", [("training/loop.py", "clip_gradients")]),
    ("optimiser step", [("torch/optim/optimizer.py", "wrapper")]),
]


def summarise_profile(profile: cProfile.Profile, stages, extra=()) -> dict:
    stats = pstats.Stats(profile).stats  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}

    def cumtime(keys) -> float:
        return sum(v[3] for (f, _, name), v in stats.items() for suffix, fn in keys if f.endswith(suffix) and name == fn)

    total = sum(v[2] for v in stats.values())
    out = {label: cumtime(keys) for label, keys in stages}
    out["other (Python glue, tensor creation, module calls)"] = total - sum(out.values())
    percent = {label: round(100 * t / total, 1) for label, t in out.items()}
    for label, keys in extra:
        percent[label] = round(100 * cumtime(keys) / total, 1)
    return {"total_seconds": round(total, 3), "percent": percent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: all available cores)")
    parser.add_argument("--train-batches", type=int, default=150)
    parser.add_argument("--tag-sentences", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--shared-weights", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "results" / "bench_tagger.json"))
    args = parser.parse_args()

    import numpy as np
    import torch

    from xner.data.registry import load_split
    from xner.embeddings import load_embeddings
    from xner.experiments.provenance import git_info
    from xner.io import write_json_atomic
    from xner.model.batching import EncodedCorpus
    from xner.model.config import TaggerConfig, TrainConfig
    from xner.model.predictor import Predictor
    from xner.model.tagger import build_tagger, count_parameters
    from xner.training.trainer import epoch_order, make_optimizer, seed_everything, train_step
    from xner.threads import available_cores, configure_threads

    configure_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    train, dev = load_split("en", "train"), load_split("en", "dev")
    seed_everything(1)
    model = build_tagger(TaggerConfig(shared_weights=args.shared_weights), {"en": load_embeddings("en")}, train).to(device)
    corpus = EncodedCorpus(train, "en", model.vocab)
    result = {"command": " ".join(["python", "benchmarks/" + Path(sys.argv[0]).name] + sys.argv[1:]),
              "device": str(device), "node": platform.node(), "cpu_count": os.cpu_count(),
              "available_cores": available_cores(), "torch_threads": torch.get_num_threads(),
              "torch": torch.__version__, "python": platform.python_version(), "processor": platform.processor(),
              "parameters_without_word_embeddings": count_parameters(model), "shared_weights": args.shared_weights,
              "model": "TaggerConfig() defaults, seed 1, untrained",
              "data": "CoNLL-2003 English train/dev and the 300-d English table (shared data)",
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git": git_info()}
    if device.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(0)
    result["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]  # the CPU may be shared

    def train_steps(config, order, first: int, count: int, timed: bool) -> tuple[int, int, float]:
        optimizer = make_optimizer(model.parameters(), config)
        n_sent = n_tok = 0
        elapsed = 0.0
        for i in range(first, first + count):
            idx = order[i * 16 : (i + 1) * 16]
            sync()
            start = time.perf_counter()
            train_step(model, corpus.batch(idx, device), optimizer, config)
            sync()
            if timed:
                elapsed += time.perf_counter() - start
                n_sent += len(idx)
                n_tok += int(corpus.lengths[idx].sum())
        return n_sent, n_tok, elapsed

    model.train()
    for buckets in (0, 20):
        config = TrainConfig(device=args.device, length_buckets=buckets)
        order = epoch_order(corpus.lengths, config, np.random.default_rng(1))
        train_steps(config, order, 0, 5, timed=False)  # warm-up
        n_sent, n_tok, elapsed = train_steps(config, order, 5, args.train_batches, timed=True)
        result[f"train_length_buckets_{buckets}"] = {
            "batches": args.train_batches, "sentences_per_second": round(n_sent / elapsed, 1),
            "tokens_per_second": round(n_tok / elapsed, 1),
            "epoch_seconds_estimate": round(len(corpus) / (n_sent / elapsed), 1)}
        print(f"train (length_buckets={buckets}): {n_sent / elapsed:.1f} sentences/s", flush=True)

    model.eval()
    old, new = Predictor(model, fast=False), Predictor(model, fast=True)

    def timed_predict(predictor, tokens) -> tuple[float, float, list]:
        sync()
        wall, cpu = time.perf_counter(), time.process_time()
        tags = predictor.predict(tokens)
        sync()
        return time.perf_counter() - wall, time.process_time() - cpu, tags

    paths = ("old", "new_cold", "new_warm")
    for batch_size, sentences in ((1, dev[: args.tag_sentences]), (64, dev)):
        old.batch_size = new.batch_size = batch_size
        tokens = [list(s.tokens) for s in sentences]
        n_tok = sum(len(t) for t in tokens)
        old.predict(tokens[:8])  # warm-up of both paths (lazy setup, allocator)
        new.predict(tokens[:8])
        speeds: dict[str, dict[str, list[float]]] = {clock: {p: [] for p in paths} for clock in ("wall", "cpu")}
        identical = True
        for _ in range(args.repeats):
            runs = {"old": timed_predict(old, tokens)}
            model.char_cache.clear()
            model.gate_caches.clear()
            runs["new_cold"] = timed_predict(new, tokens)
            runs["new_warm"] = timed_predict(new, tokens)
            identical &= runs["old"][2] == runs["new_cold"][2] == runs["new_warm"][2]
            for name, (wall, cpu, _) in runs.items():
                speeds["wall"][name].append(n_tok / wall)
                speeds["cpu"][name].append(n_tok / cpu)
        entry = {"sentences": len(tokens), "tokens": n_tok, "repeats": args.repeats}
        for clock, label in (("wall", "tokens_per_second"), ("cpu", "tokens_per_cpu_second")):
            med = {p: statistics.median(v) for p, v in speeds[clock].items()}
            entry[f"{label}_median"] = {p: round(v, 1) for p, v in med.items()}
            entry[f"{label}_all"] = {p: [round(x, 1) for x in v] for p, v in speeds[clock].items()}
            entry[f"speedup_vs_old_{clock}"] = {p: round(med[p] / med["old"], 2) for p in paths[1:]}
            print(f"tag batch {batch_size} ({clock}): " + ", ".join(f"{p} {v:.0f} tokens/s" for p, v in med.items()),
                  flush=True)
        entry.update(identical_tags=identical, gate_cache_types=len(model.gate_caches["en"]))
        result[f"tag_batch_{batch_size}"] = entry
        print(f"tag batch {batch_size}: identical tags: {identical}", flush=True)

    # One evaluation as training runs it every 150 batches: English dev at the eval batch size, after a
    # weight change (so the new path starts with empty caches), with span scoring; and the span scoring alone,
    # seqeval's get_entities against xner's.
    from seqeval.metrics.sequence_labeling import get_entities as seqeval_entities

    from xner.model.predictor import evaluate, get_entities

    dev_corpus = EncodedCorpus(dev, "en", model.vocab, with_tags=False)
    eval_seconds: dict[str, list[float]] = {"old": [], "new_cold": []}
    for _ in range(args.repeats):
        for name, fast in (("old", False), ("new_cold", True)):
            model.char_cache.clear()
            model.gate_caches.clear()
            cpu = time.process_time()
            evaluate(model, dev, "en", TrainConfig().eval_batch_size, corpus=dev_corpus, fast=fast)
            eval_seconds[name].append(time.process_time() - cpu)
    gold = [list(s.tags) for s in dev]
    scoring = {}
    for name, fn in (("seqeval_get_entities", seqeval_entities), ("xner_get_entities", get_entities)):
        cpu = time.process_time()
        for tags in gold:
            fn(tags)
        scoring[name] = round(2 * (time.process_time() - cpu), 3)  # both sides (gold and predicted)
    med = {p: statistics.median(v) for p, v in eval_seconds.items()}
    result["evaluate_dev"] = {
        "what": "CPU seconds of one evaluation of English dev (eval batch size, span scores included), caches empty",
        "cpu_seconds_median": {p: round(v, 3) for p, v in med.items()},
        "cpu_seconds_all": {p: [round(x, 3) for x in v] for p, v in eval_seconds.items()},
        "speedup_vs_old_cpu": round(med["old"] / med["new_cold"], 2),
        "span_scoring_cpu_seconds_both_sides": scoring,
        "note": "both paths here score spans with xner's get_entities; before it, every evaluation also paid "
                "seqeval_get_entities instead",
    }
    print(f"evaluate dev: {result['evaluate_dev']['cpu_seconds_median']} CPU s; span scoring {scoring}", flush=True)

    if args.profile:
        tokens = [list(s.tokens) for s in dev[: args.tag_sentences]]
        old.batch_size = new.batch_size = 1
        profiles = {}
        for name, predictor in (("tag_batch_1_old", old), ("tag_batch_1_new_warm", new)):
            predictor.predict(tokens)  # new: fills the cache
            profile = cProfile.Profile()
            profile.runcall(predictor.predict, tokens)
            profiles[name] = summarise_profile(profile, TAG_STAGES, [("of which char BiLSTM runs", CHAR_LSTM)])
        model.train()
        config = TrainConfig(device=args.device, length_buckets=20)
        order = epoch_order(corpus.lengths, config, np.random.default_rng(2))
        profile = cProfile.Profile()
        profile.runcall(train_steps, config, order, 0, 60, False)
        profiles["train_60_steps_length_buckets_20"] = summarise_profile(profile, TRAIN_STAGES)
        result["profile"] = {"what": "cProfile, percent of the profiled total (profiling itself inflates Python-heavy "
                                     "stages); batch 1 on the first --tag-sentences dev sentences", **profiles}
        print(json.dumps(result["profile"], indent=2), flush=True)

    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out = Path(args.out)
    merged = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    key = device.type + ("-shared" if args.shared_weights else "")
    merged[key] = result
    write_json_atomic(out, merged)
    print(json.dumps({k: v for k, v in result.items() if k != "profile"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
