"""Load check of `xner serve` on loopback: a bounded number of requests at a fixed concurrency.

    python benchmarks/bench_serve.py [--model DIR] [--requests 2000] [--concurrency 8]

Starts the real server (`xner serve`, 127.0.0.1 only) once with request batching and once without,
sends each the same `--requests` POST /tag requests (one real Spanish dev sentence each, as raw text),
`--concurrency` at a time, after `--warmup` unmeasured ones, and writes requests/s, latency
percentiles, error count and model calls to `results/bench_serve.json`. Client and server share this
machine's CPUs, so the numbers are a lower bound for a server with cores of its own.

    python benchmarks/bench_serve.py --memory [--model DIR] [--memory-requests 20000] [--concurrency 8]

`--memory` instead runs the bounded memory check (issue 19 item 10): one server (batching on),
`--memory-requests` POST /tag requests of random Spanish-word texts (random lengths 1-60 tokens, seeded)
from `--concurrency` client threads, stopping by itself; the server's RSS (from /proc) is sampled every
500 requests. It reports the 5xx count and the final RSS against the RSS after the first 2,000 requests
(bounded: within 20%), under the key "memory" of `results/bench_serve.json` (other keys are kept).

Without `--model`, the script first trains the model it serves: the paper's architecture
(`TaggerConfig()` defaults) on the first 1,000 Spanish training sentences, 1 epoch, 20,000 embedding
rows. Latency depends on the architecture and vocabulary, not on how well the weights were trained.

    python benchmarks/bench_serve.py --latency-old-vs-new [--model DIR] [--requests 1000]

measures instead the latency of one-sentence requests, one at a time, with the old and the new
path side by side in one run: two `xner serve` processes of the same model, one started with the
hidden `--old-path` switch (the path before issue 21: `Predictor(fast=False)`, every request through a
worker thread, the answer re-validated by FastAPI against `TagResponse`), one with the defaults (fast
inference, short requests to an idle model tagged on the event loop, the answer built as JSON at once,
and a listening socket whose connections have Nagle off: the old one made every answer wait ~40 ms for the
client's delayed ACK), and requests sent alternately to each; both must answer identically. GET /health
(no model) on each shows the transport's share. Then the same sentences through
`Predictor.tag` alone (no HTTP), to show the model's share. Writes p50/p90/mean per path and the p50
ratio to `results/bench_serve_latency.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np


def train_model(out: Path, sentences: int, max_vocab: int) -> dict:
    import torch

    from xner.data.registry import load_split
    from xner.embeddings.io import load_embeddings
    from xner.model.config import TaggerConfig, TrainConfig
    from xner.model.persistence import save_tagger
    from xner.model.tagger import build_tagger
    from xner.training.trainer import train

    train_set = list(load_split("es", "train"))[:sentences]
    torch.manual_seed(1)
    model = build_tagger(TaggerConfig(), {"es": load_embeddings("es", max_vocab=max_vocab)}, train_set, "IOBES")
    config = TrainConfig(epochs=1, seed=1, eval_every=10**6)
    train(model, train_set, config, out / "run", eval_sets={"train-head": (train_set[:100], "es")}, show_progress=False)
    save_tagger(model, out / "model")
    return {"trained_by": "benchmarks/bench_serve.py", "architecture": "TaggerConfig() defaults (paper)",
            "train": f"es train, first {sentences} sentences, 1 epoch, seed 1", "max_vocab": max_vocab}


async def load(url: str, texts: list[str], n: int, concurrency: int) -> dict:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    next_index = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while next_index < n:  # bounded: exactly n requests in all
            i = next_index
            next_index += 1
            t = time.perf_counter()
            try:
                r = await client.post("/tag", json={"text": texts[i % len(texts)], "lang": "es"})
                ok = r.status_code == 200 and isinstance(r.json().get("entities"), list)
                key = None if ok else f"http {r.status_code}"
            except httpx.HTTPError as err:
                key = type(err).__name__
            latencies.append(time.perf_counter() - t)
            if key:
                errors[key] = errors.get(key, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0, trust_env=False) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {
        "requests": n,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "wall_s": round(wall, 3),
        "requests_per_s": round(n / wall, 1),
        "latency_ms": {"p50": round(float(np.percentile(ms, 50)), 2), "p90": round(float(np.percentile(ms, 90)), 2),
                       "p99": round(float(np.percentile(ms, 99)), 2), "mean": round(float(ms.mean()), 2),
                       "max": round(float(ms.max()), 2)},
    }


def run_one(model_dir: Path, texts: list[str], args, batching: bool) -> dict:
    import httpx

    from xner.serve.process import serve_process

    extra = ["--threads", str(args.server_threads)] + ([] if batching else ["--no-batching"])
    with serve_process([f"es={model_dir}"], extra) as url:
        asyncio.run(load(url, texts, args.warmup, args.concurrency))
        calls_before = httpx.get(url + "/health", trust_env=False).json()["models"]["es"]["model_calls"]
        result = asyncio.run(load(url, texts, args.requests, args.concurrency))
        calls = httpx.get(url + "/health", trust_env=False).json()["models"]["es"]["model_calls"] - calls_before
    result["model_calls"] = calls
    result["requests_per_model_call"] = round(args.requests / calls, 2) if calls else None
    return {"url": url, "batching": batching, **result}


def benchmark_model(args, tmp: Path) -> tuple[Path, dict]:
    """`--model DIR` as given, else a model trained for the benchmark in `tmp` (1 epoch, 1,000 Spanish sentences)."""
    if args.model:
        return args.model, {"path": str(args.model)}
    print("training the benchmark model (1 epoch on 1,000 Spanish sentences)...", file=sys.stderr)
    return tmp / "model", train_model(tmp, 1000, 20000)


def latency_old_vs_new(args) -> None:
    """p50 latency of one-sentence requests, old vs new inference path, alternating, in one run."""
    import httpx

    from xner.data.registry import load_split, split_path
    from xner.experiments.provenance import git_info, machine_info
    from xner.io import write_json_atomic
    from xner.model.persistence import load_model
    from xner.model.predictor import Predictor
    from xner.serve.process import serve_process
    from xner.threads import configure_threads

    configure_threads(args.server_threads)
    answers: dict[str, list] = {"old": [], "new": []}
    load_before = os.getloadavg()
    texts = [" ".join(s.tokens) for s in list(load_split("es", "dev"))[: args.sentences]]
    paths = ("old", "new")
    order = lambda i: paths if i % 2 == 0 else paths[::-1]  # noqa: E731 - alternate who goes first
    latencies: dict[str, list[float]] = {p: [] for p in paths}
    health: dict[str, list[float]] = {p: [] for p in paths}
    with tempfile.TemporaryDirectory(prefix="xner-bench-latency-") as tmp, contextlib.ExitStack() as servers:
        model_dir, model_info = benchmark_model(args, Path(tmp))
        extra = ["--threads", str(args.server_threads)]
        urls = {p: servers.enter_context(serve_process([f"es={model_dir}"], extra + (["--old-path"] if p == "old" else [])))
                for p in paths}
        with httpx.Client(timeout=60.0, trust_env=False) as client:
            for i in range(args.warmup + args.requests):
                text = texts[i % len(texts)]
                for p in order(i):
                    t = time.perf_counter()
                    r = client.post(urls[p] + "/tag", json={"text": text, "lang": "es"})
                    elapsed = time.perf_counter() - t
                    if r.status_code != 200:
                        raise RuntimeError(f"{p} server answered {r.status_code}: {r.text[:200]}")
                    if i >= args.warmup:
                        latencies[p].append(elapsed)
                    answers[p].append(r.json()["sentences"])
            for i in range(args.warmup + args.requests // 4):  # the transport's share: GET /health runs no model
                for p in order(i):
                    t = time.perf_counter()
                    client.get(urls[p] + "/health").raise_for_status()
                    if i >= args.warmup:
                        health[p].append(time.perf_counter() - t)
        servers.close()
        # The model's share: the same sentences through `Predictor.tag` alone, alternating, no HTTP.
        direct = {p: Predictor(load_model(model_dir), fast=p == "new") for p in paths}
        model_only: dict[str, list[float]] = {p: [] for p in paths}
        for i in range(args.warmup + args.requests):
            for p in order(i):
                t = time.perf_counter()
                direct[p].tag(texts[i % len(texts)], lang="es")
                if i >= args.warmup:
                    model_only[p].append(time.perf_counter() - t)

    def summary(values: list[float]) -> dict:
        ms = np.array(values) * 1000
        return {"requests": len(ms), "p50": round(float(np.percentile(ms, 50)), 3),
                "p90": round(float(np.percentile(ms, 90)), 3), "mean": round(float(ms.mean()), 3)}

    first = max(0, min(args.requests, len(texts) - args.warmup))  # requests whose sentence was not sent before
    runs = {p: {"all": summary(latencies[p]), "first_sight_of_each_sentence": summary(latencies[p][:first]) if first else None}
            for p in paths}
    for p in paths:
        runs[p]["model_only_Predictor_tag"] = summary(model_only[p])
        runs[p]["GET_health_no_model"] = summary(health[p])
    ratio = round(runs["old"]["all"]["p50"] / runs["new"]["all"]["p50"], 2)
    same = answers["old"] == answers["new"]
    print(f"identical tags and offsets from both servers: {same}", file=sys.stderr)
    for p in paths:
        print(f"{p}: p50 {runs[p]['all']['p50']} ms, p90 {runs[p]['all']['p90']} ms; model alone p50 "
              f"{runs[p]['model_only_Predictor_tag']['p50']} ms; GET /health p50 {runs[p]['GET_health_no_model']['p50']} ms",
              file=sys.stderr)
    print(f"p50 old / new: {ratio}", file=sys.stderr)
    out = args.out if args.out != Path("results/bench_serve.json") else Path("results/bench_serve_latency.json")
    write_json_atomic(out, {
        "what": "latency of one-sentence POST /tag requests, one at a time, old vs new path, alternating "
                "between two `xner serve` processes of the same model (`--old-path` and the default; client on the "
                "same machine)",
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "requests_per_path": args.requests, "warmup_requests_per_path": args.warmup,
        "p50_ratio_old_over_new": ratio, "identical_answers": same, "runs": runs,
        "payload": {"data": str(split_path("es", "dev")), "sentences": len(texts), "as": "raw text, one sentence per request",
                    "cycled": "request i sends sentence i mod sentences, so later requests repeat earlier ones (as a "
                              "served model sees repeated vocabulary); first_sight_of_each_sentence covers the first pass"},
        "model": model_info,
        "server": {"torch_threads": args.server_threads, "host": "127.0.0.1"},
        "machine": machine_info("cpu"),
        "load_average_1_5_15m": {"before": [round(x, 2) for x in load_before],
                                 "after": [round(x, 2) for x in os.getloadavg()]},
        "python": platform.python_version(),
        "git": git_info(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    print(f"wrote {out}", file=sys.stderr)


def _rss_bytes(pid: int) -> int:
    """Resident set size of process `pid` (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def random_texts(words: list[str], n: int, seed: int) -> list[str]:
    """`n` texts of 1-60 random words each: varied lengths and words, as arbitrary users would send."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(words, size=int(rng.integers(1, 61)))) for _ in range(n)]


def memory_check(model_dir: Path, words: list[str], args) -> dict:
    """The bounded load loop: `args.memory_requests` requests from `args.concurrency` threads, RSS sampled."""
    import threading

    import httpx

    from xner.serve.process import serve_process

    n, every = args.memory_requests, 500
    texts = random_texts(words, 5000, seed=1)
    counter = iter(range(n))
    lock = threading.Lock()
    statuses: dict[str, int] = {}
    samples: list[dict] = []
    done = [0]

    with serve_process([f"es={model_dir}"], ["--threads", str(args.server_threads)]) as url:
        pid = httpx.get(url + "/health", trust_env=False).json()["pid"]
        samples.append({"requests": 0, "rss_mb": round(_rss_bytes(pid) / 2**20, 1)})

        def worker() -> None:
            with httpx.Client(base_url=url, timeout=60.0, trust_env=False) as client:
                for i in counter:  # bounded: the shared iterator hands out exactly n request numbers
                    try:
                        key = str(client.post("/tag", json={"text": texts[i % len(texts)], "lang": "es"}).status_code)
                    except httpx.HTTPError as err:
                        key = type(err).__name__
                    with lock:
                        statuses[key] = statuses.get(key, 0) + 1
                        done[0] += 1
                        if done[0] % every == 0:
                            samples.append({"requests": done[0], "rss_mb": round(_rss_bytes(pid) / 2**20, 1)})

        start = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        if samples[-1]["requests"] != n:
            samples.append({"requests": n, "rss_mb": round(_rss_bytes(pid) / 2**20, 1)})
    after_2000 = next(s["rss_mb"] for s in samples if s["requests"] >= min(2000, n))
    final = samples[-1]["rss_mb"]
    server_errors = sum(v for k, v in statuses.items() if k.startswith("5"))
    return {
        "what": "bounded memory check: RSS of `xner serve` under random texts (issue 19 item 10)",
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "requests": n, "client_threads": args.concurrency, "wall_s": round(wall, 1),
        "requests_per_s": round(n / wall, 1), "statuses": statuses, "server_errors_5xx": server_errors,
        "rss_mb_start": samples[0]["rss_mb"], "rss_mb_after_2000": after_2000, "rss_mb_final": final,
        "final_over_after_2000": round(final / after_2000, 3),
        "bounded": server_errors == 0 and final <= 1.2 * after_2000,
        "payload": "random words of the Spanish dev split, 1-60 tokens per text (numpy seed 1, 5,000 texts cycled)",
        "rss_samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="A saved tagger folder (default: train one, see above).")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--sentences", type=int, default=500, help="Distinct Spanish dev sentences cycled through.")
    parser.add_argument("--server-threads", type=int, default=1, help="torch threads of the server.")
    parser.add_argument("--out", type=Path, default=Path("results/bench_serve.json"))
    parser.add_argument("--latency-old-vs-new", action="store_true",
                        help="Only the one-sentence latency of the old vs the new inference path (see above).")
    parser.add_argument("--memory", action="store_true", help="Run the bounded memory check instead (see above).")
    parser.add_argument("--memory-requests", type=int, default=20000)
    args = parser.parse_args()
    if args.latency_old_vs_new:
        latency_old_vs_new(args)
        return
    if args.memory:
        main_memory(args)
        return

    from xner.data.registry import load_split, split_path
    from xner.experiments.provenance import git_info, machine_info
    from xner.io import write_json_atomic

    load_before = os.getloadavg()
    texts = [" ".join(s.tokens) for s in list(load_split("es", "dev"))[: args.sentences]]
    tokens = [len(t.split()) for t in texts]
    with tempfile.TemporaryDirectory(prefix="xner-bench-serve-") as tmp:
        model_dir, model_info = benchmark_model(args, Path(tmp))
        runs = {}
        for batching in (True, False):
            name = "batching" if batching else "no_batching"
            print(f"{name}: {args.requests} requests, {args.concurrency} concurrent...", file=sys.stderr)
            runs[name] = run_one(model_dir, texts, args, batching)
            r = runs[name]
            print(f"  {r['requests_per_s']} req/s, p50 {r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms, "
                  f"{r['errors']} errors, {r['requests_per_model_call']} requests per model call", file=sys.stderr)
    best = runs["batching"]
    write_json_atomic(args.out, {
        "what": "POST /tag load check of `xner serve` on 127.0.0.1 (client and server on one machine)",
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "warmup_requests": args.warmup,
        "requests_per_s": best["requests_per_s"],
        "latency_ms": best["latency_ms"],
        "errors": sum(r["errors"] for r in runs.values()),
        "runs": runs,
        "payload": {"data": str(split_path("es", "dev")), "sentences": len(texts), "as": "raw text, one sentence per request",
                    "tokens_per_request_mean": round(float(np.mean(tokens)), 1)},
        "model": model_info,
        "server": {"torch_threads": args.server_threads, "host": "127.0.0.1"},
        "machine": machine_info("cpu"),
        "load_average_1_5_15m": {"before": [round(x, 2) for x in load_before],
                                 "after": [round(x, 2) for x in os.getloadavg()],
                                 "note": "the machine is shared; load from other jobs slows both client and server"},
        "python": platform.python_version(),
        "git": git_info(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    print(f"wrote {args.out}", file=sys.stderr)


def main_memory(args) -> None:
    """`--memory`: run `memory_check` and store it under "memory" in `--out`, keeping the file's other keys."""
    import json

    from xner.data.registry import load_split
    from xner.experiments.provenance import git_info, machine_info
    from xner.io import write_json_atomic

    load_before = os.getloadavg()
    words = sorted({w for s in load_split("es", "dev") for w in s.tokens})
    with tempfile.TemporaryDirectory(prefix="xner-bench-serve-") as tmp:
        model_dir, model_info = benchmark_model(args, Path(tmp))
        print(f"memory: {args.memory_requests} requests from {args.concurrency} threads...", file=sys.stderr)
        result = memory_check(model_dir, words, args)
    cache = os.environ.get("ONEDNN_PRIMITIVE_CACHE_CAPACITY")
    result.update({
        "model": model_info, "server": {"torch_threads": args.server_threads, "host": "127.0.0.1",
                                        "onednn_primitive_cache": f"{cache} (from the environment)" if cache
                                        else "xner serve's default (xner.cli.serve.ONEDNN_PRIMITIVE_CACHE)"},
        "machine": machine_info("cpu"),
        "load_average_1_5_15m": {"before": [round(x, 2) for x in load_before],
                                 "after": [round(x, 2) for x in os.getloadavg()]},
        "git": git_info(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    print(f"  RSS {result['rss_mb_after_2000']} MB after 2,000 requests, {result['rss_mb_final']} MB after "
          f"{args.memory_requests} ({result['final_over_after_2000']}x); {result['server_errors_5xx']} 5xx", file=sys.stderr)
    existing = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    write_json_atomic(args.out, {**existing, "memory": result})
    print(f"wrote {args.out} (key \"memory\")", file=sys.stderr)


if __name__ == "__main__":
    main()
