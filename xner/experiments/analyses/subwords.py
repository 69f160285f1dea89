"""`xner analyse subwords`: results/subword.md + .json, fi NER-token coverage and Cross-Shared F1 with and
without subword (floret) vectors for the tokens outside the shared table (issue 20).

Reads only committed files under `results/subword/`: the two coverage reports (`xner embed coverage`), the cell
results of the two tagged settings (`xner experiment run ... --tag floret-supmap` / `--tag floret-subword-supmap`)
and their copied per-evaluation logs (`metrics/TAG-seedN.jsonl`). Target labels enter only through those
results' test F1 (evaluation), never here.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from xner.io import write_json_atomic, write_text_atomic

BUDGET = "e4-a2-u2000"
SETTINGS = {"without": "floret-supmap", "with": "floret-subword-supmap"}
MODES = ("tgt-dev", "src-dev", "tgt-test")


def cells(results: Path, tag: str) -> dict[int, dict]:
    folder = results / "experiments" / BUDGET / "fi" / f"cross-shared+{tag}"
    out = {}
    for path in sorted(folder.glob("seed*.json")):
        cell = json.loads(path.read_text(encoding="utf-8"))
        if cell.get("complete"):
            out[cell["seed"]] = cell
    return out


def selected_at(records: list[dict], max_step: int) -> dict[str, dict]:
    """Per mode: the test F1 of the first evaluation with the best selection F1 among steps <= max_step
    (the trainer's rule: strictly better replaces)."""
    out = {}
    for mode in MODES:
        best = None
        for rec in records:
            if rec["step"] <= max_step and (best is None or rec["scores"][mode]["f1"] > best["scores"][mode]["f1"]):
                best = rec
        out[mode] = {"step": best["step"], "test_f1": round(best["scores"]["tgt-test"]["f1"], 2)}
    return out


def paired(results: Path, seed: int) -> dict | None:
    logs = {setting: results / "metrics" / f"{tag}-seed{seed}.jsonl" for setting, tag in SETTINGS.items()}
    if not all(p.is_file() for p in logs.values()):
        return None
    records = {k: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line] for k, p in logs.items()}
    common = min(max(r["step"] for r in recs) for recs in records.values())
    # English training sees only English rows: with the same seed both runs should be the same up to the fi vectors
    same = [(a["step"], a["scores"]["src-dev"]["f1"]) == (b["step"], b["scores"]["src-dev"]["f1"])
            for a, b in zip(records["without"], records["with"])]  # fmt: skip
    return {"common_step": common, "src_dev_identical_evals": f"{sum(same)}/{len(same)}",
            **{k: selected_at(recs, common) for k, recs in records.items()}}  # fmt: skip


def render(results: str | Path = "results/subword") -> list[Path]:
    """Write the .md and .json named like the folder `results`, beside it (default results/subword.{md,json})."""
    results = Path(results)
    coverage = {name: json.loads((results / f"coverage-{name}.json").read_text(encoding="utf-8"))["languages"]["fi"]
                for name in ("shared", "subword")}  # fmt: skip
    data: dict = {"budget": BUDGET, "coverage": coverage, "f1": {}}
    for setting, tag in SETTINGS.items():
        found = cells(results, tag)
        data["f1"][setting] = {
            "tag": tag,
            "seeds": sorted(found),
            "per_seed": {seed: {m: round(c["modes"][m]["test_f1"], 2) for m in MODES} for seed, c in found.items()},
            "table_rows": {seed: c["space"]["tables"]["fi"] for seed, c in found.items()},
            "alignment": next(iter(found.values()))["space"]["alignment"] if found else None,
            "train_seconds": {seed: c["train_seconds"] for seed, c in found.items()},
            "device": {seed: c["config"]["device"] for seed, c in found.items()},
        }
    lines = [
        "# Finnish: subword (floret) vectors for every NER token",
        "",
        "Made by `xner analyse subwords` from committed files only. Cells: `xner experiment run --lang fi "
        "--variant cross-shared --seed N --budget e4-a2-u2000 --set space.align_suffix=.supervised --tag TAG "
        "--results results/subword/experiments --runs RUNS --threads 1 --workers 1` (each cell's JSON keeps its exact "
        "command) on the 2-CPU VM (CPU, 1 torch thread, "
        "shared with other jobs), TAG `floret-supmap` with the shared tables, `floret-subword-supmap` with "
        "`XNER_DATA` pointing at a copy of the shared data whose `emb/fi.npy` is the imported table below.",
        "",
        "- **without**: the shared fi table (41,161 words; every row a floret vector of spacy-fi-experimental-web-md "
        "0.15.0); NER tokens outside it get the UNK vector.",
        "- **with**: `xner embed import spacy_fi_experimental_web_md --out runs/xdata-subword/emb/fi --vocab "
        "../shared/data/emb/fi.vocab --include fi/train.txt --include fi/dev.txt --include fi/test.txt`: the same "
        "41,161 rows first (byte-identical), then every other token of the fi NER files (token column only, no "
        "labels) with its floret subword vector: 71,941 rows. Test tokens are used as a tagger sees them at tag "
        "time; no target label is read.",
        "- Seed 1 ran in RUNS = `runs/experiments`, seed 2 in `runs/experiments-s2` (started later, in parallel). The "
        "seed-1 *with* run was stopped once by mistake and resumed from its checkpoint at step 1,350 (exact "
        "mid-epoch resume: its English dev F1 still matches the *without* run at every evaluation, below). "
        "Load average 9-19 on the 2 CPUs during the runs (other helpers' jobs), so train seconds are inflated.",
        "- **Mapping: a supervised reference** (`xner align --tgt fi --mode supervised --out "
        "runs/align/en-fi.supervised`, Procrustes on `en-fi.0-5000.txt`, CSLS P@1 42.9 / NN 41.0 on 676 test "
        "words), NOT the dictionary-free mapping: helper align's fi mapping had not appeared in "
        "`/work/coord/maps/en-fi` when the runs started. Both settings use the same W and the same saved centring "
        "means, so the 30,780 added rows land in exactly the space of the first 41,161.",
        "",
        "## NER-token coverage (fi), `xner embed coverage --lang fi`",
        "",
        "| split | tokens | without: exact | without: after lower-casing | with: exact | with: after lower-casing |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for split, cov in coverage["shared"]["splits"].items():
        sub = coverage["subword"]["splits"][split]
        lines.append(f"| {split} | {cov['tokens']:,} | {cov['tokens_exact']:.2f}% | {cov['tokens_lower']:.2f}% | "
                     f"{sub['tokens_exact']:.2f}% | {sub['tokens_lower']:.2f}% |")  # fmt: skip
    lines += [
        "",
        f"## Cross-Shared, fi test F1, budget {BUDGET} (4 epochs, paper 30; all 14,041 English sentences)",
        "",
        "Selection modes: tgt-dev = checkpoint chosen on fi dev F1 (reads target dev labels); "
        "src-dev = chosen on English dev (label-free for the target); tgt-test = oracle.",
        "",
        "| setting | seed | tgt-dev | src-dev | tgt-test (oracle) | train s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for setting, entry in data["f1"].items():
        for seed, scores in entry["per_seed"].items():
            lines.append(f"| {setting} | {seed} | {scores['tgt-dev']:.2f} | {scores['src-dev']:.2f} | "
                         f"{scores['tgt-test']:.2f} | {entry['train_seconds'][seed]} |")  # fmt: skip
        if len(entry["per_seed"]) > 1:
            means = {m: statistics.mean(s[m] for s in entry["per_seed"].values()) for m in MODES}
            entry["mean"] = {m: round(v, 2) for m, v in means.items()}
            lines.append(f"| {setting} | mean | {means['tgt-dev']:.2f} | {means['src-dev']:.2f} | {means['tgt-test']:.2f} | |")
    if all("mean" in e for e in data["f1"].values()):
        w, s_ = data["f1"]["without"]["mean"], data["f1"]["with"]["mean"]
        data["difference"] = {m: round(s_[m] - w[m], 2) for m in MODES}
        d = data["difference"]
        lines.append(f"| with - without | mean | {d['tgt-dev']:+.2f} | {d['src-dev']:+.2f} | {d['tgt-test']:+.2f} | |")
    data["paired"] = {seed: p for seed in (1, 2) if (p := paired(results, seed)) is not None}
    if data["paired"]:
        lines += [
            "",
            "## Paired, at equal training steps (from the per-evaluation logs; an evaluation every 150 batches)",
            "",
            "Each pair of runs cut at the last step both reached (3,512 = 4 epochs = the complete cells above); "
            "test F1 of the checkpoint each mode selects among the evaluations up to that step.",
            "",
            "*English dev F1 identical in both settings at* "
            + ", ".join(f"seed {k}: {p['src_dev_identical_evals']}" for k, p in data["paired"].items())
            + " *evaluations*: the English training is the same run; only the Finnish word vectors differ "
            "(UNK vs floret subword vectors for the 18-19% of fi tokens outside the shared table).",
            "",
            "| seed | steps (epochs) | without: tgt-dev | with: tgt-dev | without: src-dev | with: src-dev | "
            "without: tgt-test | with: tgt-test |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for seed, p in data["paired"].items():
            w, s_ = p["without"], p["with"]
            lines.append(f"| {seed} | {p['common_step']} ({p['common_step'] / 878:.2f}) | {w['tgt-dev']['test_f1']:.2f} | "
                         f"{s_['tgt-dev']['test_f1']:.2f} | {w['src-dev']['test_f1']:.2f} | {s_['src-dev']['test_f1']:.2f} | "
                         f"{w['tgt-test']['test_f1']:.2f} | {s_['tgt-test']['test_f1']:.2f} |")  # fmt: skip
    missing = [s for s, e in data["f1"].items() if len(e["seeds"]) < 2]
    if missing:
        lines += ["", f"Incomplete: {', '.join(missing)} has fewer than 2 finished seeds."]
    out_json, out_md = results.with_suffix(".json"), results.with_suffix(".md")
    write_json_atomic(out_json, data)
    write_text_atomic(out_md, "\n".join(lines) + "\n")
    return [out_md, out_json]
