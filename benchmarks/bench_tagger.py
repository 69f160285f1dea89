#!/usr/bin/env python
"""Speed of the base tagger on English: training sentences/s and tagging tokens/s (batch 1 and 64).

    python benchmarks/bench_tagger.py [--device cpu|cuda] [--threads 1] [--out results/bench_tagger.json]

Training: `--train-batches` SGD steps of batch 16 on CoNLL English train, both with uniformly random
batches (`length_buckets=0`) and with the default length buckets (20), after a few warm-up steps.
Tagging: `Predictor.predict` on English dev sentences (word-tokenised input), batch 1 on the first
`--tag-sentences` sentences and batch 64 on all of dev. Results are merged into the output JSON under
the device's key, so CPU and GPU figures can sit side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    parser.add_argument("--train-batches", type=int, default=150)
    parser.add_argument("--tag-sentences", type=int, default=300)
    parser.add_argument("--shared-weights", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "results" / "bench_tagger.json"))
    args = parser.parse_args()

    import numpy as np
    import torch

    from xner.data.registry import load_split
    from xner.embeddings import load_embeddings
    from xner.io import write_json_atomic
    from xner.model.batching import EncodedCorpus
    from xner.model.config import TaggerConfig, TrainConfig
    from xner.model.predictor import Predictor
    from xner.model.tagger import build_tagger, count_parameters
    from xner.model.trainer import epoch_order, make_optimizer, seed_everything, train_step

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    train, dev = load_split("en", "train"), load_split("en", "dev")
    seed_everything(1)
    model = build_tagger(TaggerConfig(shared_weights=args.shared_weights), {"en": load_embeddings("en")}, train).to(device)
    corpus = EncodedCorpus(train, "en", model.vocab)
    result = {"command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]), "device": str(device),
              "node": platform.node(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
              "torch": torch.__version__, "parameters_without_word_embeddings": count_parameters(model),
              "shared_weights": args.shared_weights, "data": "CoNLL-2003 English train/dev (shared data)"}
    if device.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(0)
    result["load_average_at_start"] = os.getloadavg()[0]  # the CPU may be shared with other jobs

    for buckets in (0, 20):
        config = TrainConfig(device=args.device, length_buckets=buckets)
        optimizer = make_optimizer(model.parameters(), config)
        order = epoch_order(corpus.lengths, config, np.random.default_rng(1))
        model.train()
        n_sent, n_tok, elapsed = 0, 0, 0.0
        for i in range(args.train_batches + 5):
            idx = order[i * 16 : (i + 1) * 16]
            sync()
            start = time.perf_counter()
            batch = corpus.batch(idx, device)
            train_step(model, batch, optimizer, config)
            sync()
            if i >= 5:  # warm-up steps not timed
                elapsed += time.perf_counter() - start
                n_sent += len(idx)
                n_tok += int(corpus.lengths[idx].sum())
        result[f"train_length_buckets_{buckets}"] = {
            "batches": args.train_batches, "sentences_per_second": round(n_sent / elapsed, 1),
            "tokens_per_second": round(n_tok / elapsed, 1),
            "epoch_seconds_estimate": round(len(corpus) / (n_sent / elapsed), 1)}
        print(f"train (length_buckets={buckets}): {n_sent / elapsed:.1f} sentences/s", flush=True)

    predictor = Predictor(model)
    for batch_size, sentences in ((1, dev[: args.tag_sentences]), (64, dev)):
        predictor.batch_size = batch_size
        tokens = [list(s.tokens) for s in sentences]
        predictor.predict(tokens[:8])  # warm-up
        sync()
        start = time.perf_counter()
        predictor.predict(tokens)
        sync()
        elapsed = time.perf_counter() - start
        n_tok = sum(len(t) for t in tokens)
        result[f"tag_batch_{batch_size}"] = {"sentences": len(tokens), "tokens": n_tok,
                                             "tokens_per_second": round(n_tok / elapsed, 1),
                                             "sentences_per_second": round(len(tokens) / elapsed, 1)}
        print(f"tag batch {batch_size}: {n_tok / elapsed:.0f} tokens/s", flush=True)

    result["load_average_at_end"] = os.getloadavg()[0]
    out = Path(args.out)
    merged = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    key = device.type + ("-shared" if args.shared_weights else "")
    merged[key] = result
    write_json_atomic(out, merged)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
