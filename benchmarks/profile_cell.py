#!/usr/bin/env python
"""Where the time of one base training run goes, at a small budget: cProfile (CPU time) of
`xner.training.trainer.train` on English train/dev (TaggerConfig() defaults, seed 1, 1 thread,
evaluation every 150 batches, stopped after BATCHES batches), summarised in disjoint parts (percent of
the profiled CPU total; "other" is the rest: encoding the sets, loop glue, metrics).

    python benchmarks/profile_cell.py CODE_DIR RUN_DIR BATCHES > result.json

CODE_DIR is the checkout whose `xner` is profiled, so the old code can be profiled side by side, e.g.
`mkdir -p runs/base && git archive 5776850 xner | tar -x -C runs/base` then
`PYTHONPATH=runs/base python benchmarks/profile_cell.py runs/base runs/cell_old 300`.
cProfile inflates Python-heavy parts (span scoring, vocabulary lookups) more than torch calls.
"""
import cProfile, json, os, pstats, shutil, sys, time
code = sys.argv[1]; out = sys.argv[2]; batches = int(sys.argv[3])
sys.path.insert(0, code)
import torch
torch.set_num_threads(1)
from xner.data.registry import load_split
from xner.embeddings import load_embeddings
from xner.model.config import TaggerConfig, TrainConfig
from xner.model.tagger import build_tagger
from xner.training.trainer import seed_everything, train
assert os.path.abspath(sys.modules["xner"].__file__).startswith(os.path.abspath(code)), sys.modules["xner"].__file__
train_s, dev = load_split("en", "train"), load_split("en", "dev")
seed_everything(1)
model = build_tagger(TaggerConfig(), {"en": load_embeddings("en")}, train_s)
shutil.rmtree(out, ignore_errors=True)
cfg = TrainConfig(epochs=1, eval_every=150, num_threads=1, stop_after_batches=batches)
pr = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
wall = time.perf_counter(); cpu = time.process_time()
res = pr.runcall(train, model, train_s, cfg, out, {"dev": (dev, "en")}, show_progress=False)
wall = time.perf_counter() - wall; cpu = time.process_time() - cpu
stats = pstats.Stats(pr).stats
def cum(keys):
    return sum(v[3] for (f, _, n), v in stats.items() for suf, fn in keys if f.endswith(suf) and n == fn)
total = sum(v[2] for v in stats.values())
def cum_from(name_keys, caller_keys):
    """cumulative time of functions name_keys when called from caller_keys"""
    t = 0.0
    for (f, _, n), v in stats.items():
        if any(f.endswith(suf) and n == fn for suf, fn in name_keys):
            for (cf, _, cn), cv in v[4].items():
                if any(cf.endswith(suf) and cn == fn for suf, fn in caller_keys):
                    t += cv[3]
    return t
evaluation = cum([("training/trainer.py", "run")])
scores = cum([("model/predictor.py", "fast_span_scores")])
loss = cum([("model/tagger.py", "loss")])
nll = cum_from([("model/crf.py", "nll")], [("model/tagger.py", "loss")])
sec = {
    "evaluation: model": evaluation - scores,
    "evaluation: span scores": scores,
    "batch building": cum([("model/batching.py", "batch")]) - cum_from([("model/batching.py", "batch")], [("model/batching.py", "batches_in_order")]),
    "forward: char + word BiLSTM, dense (Tagger.features, emissions)": loss - nll,
    "forward: CRF NLL": nll,
    "backward": cum([("torch/_tensor.py", "backward")]),
    "gradient clipping": cum([("training/loop.py", "clip_gradients")]),
    "optimiser step": cum([("torch/optim/optimizer.py", "wrapper")]),
    "checkpoints and best weights": cum([("training/checkpoint.py", "save_checkpoint"), ("training/checkpoint.py", "save_weights"), ("model/persistence.py", "save_tagger")]),
}
sec["other"] = total - sum(sec.values())
print(json.dumps({"code": code, "command": " ".join(["python", "benchmarks/profile_cell.py"] + sys.argv[1:]), "batches": batches, "steps": res.steps, "best": {k: {"step": v["step"], "f1": v["f1"]} for k, v in res.best.items()},
                  "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "profiled_total_s": round(total, 1),
                  "percent": {k: round(100 * v / total, 1) for k, v in sec.items()}, "seconds": {k: round(v, 2) for k, v in sec.items()},
                  "load": os.getloadavg()}, indent=1))
