"""Measure the alignment stage for en-es/nl/de/ar/fi and write results/align.json + results/align.md.

For each pair: the unsupervised pipeline (`--preset`, default cpu), supervised
Procrustes on the MUSE 0-5000 dictionary (upper bound) and identical-strings
Procrustes (baseline). Mapping folders go to runs/align/en-XX[.mode] and are
reused by the transfer stage; finished runs are skipped (resumable).

    nohup nice -n 5 python scripts/align_table.py --threads 1 &
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from xner.align.config import PRESET_CHANGES, preset
from xner.align.run import machine, run_alignment
from xner.io import write_json_atomic, write_text_atomic

LANGS = ("es", "nl", "de", "ar", "fi")
COLLAPSE_MARGIN = preset("cpu").collapse_margin
MODES = ("supervised", "identical", "unsupervised")
# README of the shared data: supervised Procrustes, CSLS (NN) P@1 on in-vocabulary 5000-6500 test words.
README_SUPERVISED = {"es": (45.4, 39.1), "nl": (36.6, 29.7), "de": (28.1, 27.5), "ar": (20.3, 16.4), "fi": (19.5, 16.9)}


def run_dir(root: Path, lang: str, mode: str) -> Path:
    return root / f"en-{lang}" if mode == "unsupervised" else root / f"en-{lang}.{mode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--langs", nargs="+", default=list(LANGS))
    parser.add_argument("--modes", nargs="+", default=list(MODES))
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=Path, default=Path("runs/align"))
    parser.add_argument("--out", type=Path, default=Path("results/align"))
    parser.add_argument("--render-only", action="store_true", help="Only rebuild the tables from finished runs.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    command = "python " + " ".join(sys.argv)
    if not args.render_only:
        for lang in args.langs:
            for mode in args.modes:
                folder = run_dir(args.runs, lang, mode)
                if (folder / "result.json").is_file():
                    print(f"skip {folder} (done)", flush=True)
                    continue
                config = preset(args.preset, tgt_lang=lang, seed=args.seed)
                start = time.time()
                print(f"run en-{lang} {mode} ...", flush=True)
                result = run_alignment(config, folder, mode, echo=lambda e: print("   ", json.dumps(e)[:300], flush=True))
                summary = json.loads((folder / "result.json").read_text(encoding="utf-8"))
                write_json_atomic(folder / "result.json", {**summary, "command": command})
                ev = result.evaluation or {}
                print(f"done en-{lang} {mode}: CSLS {ev.get('csls_knn_10')} NN {ev.get('nn')} {time.time() - start:.0f}s", flush=True)
                render(args, command)
    render(args, command)


def render(args, command: str) -> None:
    rows = []
    for lang in args.langs:
        row = {"pair": f"en-{lang}"}
        for mode in MODES:
            path = run_dir(args.runs, lang, mode) / "result.json"
            if path.is_file():
                row[mode] = json.loads(path.read_text(encoding="utf-8"))
        rows.append(row)
    commands = sorted({r[m]["command"] for r in rows for m in MODES if m in r and "command" in r[m]})
    data = {"command": command, "run_commands": commands, "machine": machine(), "seed": args.seed, "preset": args.preset,
            "preset_changes": PRESET_CHANGES[args.preset], "readme_supervised_csls_nn": README_SUPERVISED, "rows": rows}
    write_json_atomic(args.out.with_suffix(".json"), data)
    write_text_atomic(args.out.with_suffix(".md"), markdown(data))


def _p1(result: dict | None, method: str) -> str:
    if not result or not result.get("evaluation") or method not in result["evaluation"]:
        return "-"
    return f"{result['evaluation'][method]['P@1']:.1f}"


def markdown(data: dict) -> str:
    m = data["machine"]
    lines = [
        "# Cross-lingual embedding mapping (METHOD.md section 1)",
        "",
        "Runs made by " + ", ".join(f"`{c}`" for c in data["run_commands"]) + f"; table rendered by `{data['command']}` on `{m['node']}` ({m['cpus']} CPUs, {m['torch_threads']} torch thread(s)), "
        f"seed {data['seed']}, unsupervised preset `{data['preset']}`. Data: the shared fastText tables "
        "`emb/*.npy`; test dictionary `dictionaries/en-XX.5000-6500.txt` (in-vocabulary pairs only).",
        "",
        "P@1 in percent, CSLS (NN in brackets), English -> XX retrieval in the shared space. *Supervised* "
        "is orthogonal Procrustes on `en-XX.0-5000.txt`: the upper bound for any unsupervised mapping on these "
        "tables (README of the data: " + ", ".join(f"{k} {v[0]} ({v[1]})" for k, v in data["readme_supervised_csls_nn"].items())
        + "). *Identical* is Procrustes on identical strings. Neither is used by the unsupervised pipeline.",
        "",
        "| pair | dir | unsupervised | upper bound (supervised) | gap | identical strings | criterion unsup / sup | tries (init/seed: criterion) | unsup wall s (CPU s) | test words |",
        "|---|---|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for row in data["rows"]:
        uns, sup, ident = row.get("unsupervised"), row.get("supervised"), row.get("identical")
        gap = "-"
        if uns and sup and uns.get("evaluation") and sup.get("evaluation"):
            gap = f"{sup['evaluation']['csls_knn_10']['P@1'] - uns['evaluation']['csls_knn_10']['P@1']:.1f}"
        tries = "; ".join(f"{t['init']}/s{t['seed']}: {t['criterion']:.3f}{' collapsed' if t['collapsed'] else ''}"
                          for t in (uns or {}).get("tries", []))
        crit = f"{uns['criterion']:.3f}" if uns else "-"
        crit += f" / {sup['criterion']:.3f}" if sup else " / -"
        direction = (uns or sup or ident or {}).get("direction", "-")
        wall = f"{uns['seconds']:.0f} ({uns.get('cpu_seconds', 0):.0f})" if uns else "-"
        queries = next((r["evaluation"]["queries"] for r in (uns, sup, ident) if r and r.get("evaluation")), "-")
        lines.append(
            f"| {row['pair']} | {direction} | {_p1(uns, 'csls_knn_10')} ({_p1(uns, 'nn')}) | "
            f"{_p1(sup, 'csls_knn_10')} ({_p1(sup, 'nn')}) | {gap} | {_p1(ident, 'csls_knn_10')} ({_p1(ident, 'nn')}) | "
            f"{crit} | {tries or '-'} | {wall} | {queries} |"
        )
    lines += [
        "",
        f"Preset `{data['preset']}` changes vs MUSE defaults: "
        + (", ".join(f"`{k}`={v}" for k, v in data["preset_changes"].items()) or "none") + ".",
        "",
        "Criterion: MUSE's unsupervised mean cosine of CSLS translations of the 10k most frequent words "
        "(used for model selection and collapse detection; a try is *collapsed* when its best criterion is below "
        "the null, the criterion reached by a random rotation after the same Procrustes refinement, plus "
        "`collapse_margin` = 0.03). Supervised and identical rows report the criterion of their W for comparison.",
    ]
    lines += ["", "## What happened", ""]
    for row in data["rows"]:
        uns, sup = row.get("unsupervised"), row.get("supervised")
        if not uns:
            lines.append(f"- {row['pair']}: unsupervised run not finished.")
            continue
        verdict = "collapsed on every try" if uns["collapsed"] else "accepted by the criterion"
        null = uns.get("null_criterion")
        lines.append(
            f"- {row['pair']} ({uns['direction']}): {len(uns['tries'])} tr{'y' if len(uns['tries']) == 1 else 'ies'}, "
            f"best criterion {uns['criterion']:.3f} vs null {null:.3f} (refined random rotation) -> {verdict}; "
            f"the supervised W scores {sup['criterion']:.3f} on the same criterion (without refinement), which the "
            f"collapse test would {'accept' if sup['criterion'] >= null + COLLAPSE_MARGIN else 'also call collapsed'}; "
            f"wall {uns['seconds']:.0f} s, "
            f"CPU {uns.get('cpu_seconds', float('nan')):.0f} s." if sup and null is not None else
            f"- {row['pair']}: best criterion {uns['criterion']:.3f} -> {verdict}."
        )
    lines += ["", EXPLANATION]
    return "\n".join(lines) + "\n"


EXPLANATION = """Why the distance to the upper bound. MUSE reports 81.7 (en-es) and 74.0 (en-de) with
Wikipedia-scale fastText vectors, where the two spaces are close to isometric. The shared tables here come
from 8-51M-token corpora of different genres per language (English Wikipedia + news + novels, Spanish and
German 19th-century literature, Dutch legal text, Arabic and Finnish news), so even a rotation fitted on
5,000 gold pairs retrieves only 20-45% of the test words: the spaces are far from isometric. Adversarial
training and the similarity-distribution restart both rely on the two distributions matching up to a
rotation; when they do not, Procrustes refinement locks onto a self-consistent but wrong dictionary and the
criterion rises for it too (the same happens from a random rotation: that is the null the collapse test
compares with). The criterion separates the supervised W from the null by about 0.08 for es, nl and ar but
not for de (and only by 0.04 for fi), so on these tables it is a weak referee even for a good mapping.
Wall times were measured with the five pairs running at once, one thread each, at `nice 5`, on 2 cores
shared with other jobs; CPU seconds are the better measure of cost (a pair needs about 5 CPU minutes).

Consequence for the transfer stage: every unsupervised mapping in `runs/align/en-XX` is flagged
`collapsed` in its `result.json` and retrieves no test word; the supervised-Procrustes folders
`runs/align/en-XX.supervised` hold the best mappings these tables allow, but they use the MUSE training
dictionary, i.e. a bilingual signal the paper does not use."""


if __name__ == "__main__":
    main()
