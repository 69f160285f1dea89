"""Pseudo-label quality by target sentence length: the evidence behind Algorithm 1's length threshold.

For each target language, the model Cross-Augmented starts from (the base checkpoint that
`augment.base` picks for a selection mode, exactly as `xner.transfer.augmented.plan_runs` does)
pseudo-labels target sentences; the pseudo-labels are then scored against the gold tags per
sentence-length bucket: CoNLL span P/R/F1, share of sentences whose tags are all correct, token
accuracy, and how many sentences fall in each bucket. Also: F1 on the set Algorithm 1 keeps for a
few thresholds l (sentences with <= l tokens) and the expected share kept when l ~ U(min, max).

ANALYSIS ONLY: the gold tags read here never reach training or model selection; the base models
are read from finished grid runs and nothing is written next to them. Sentences are the target
training split (its token column is what Cross-Augmented pseudo-labels); German has no training
split here (its unlabelled text, unlabeled/de.txt, has no tags), so German uses its dev split.

    xner analyse pseudo-labels --budget e1-a2-u2000 --tag supmap \\
        --set space.align_suffix=.supervised --set augment.base_seed=1

writes results/pseudo_labels.json and results/pseudo_labels.md (`--from-json` rewrites the Markdown only).

Also (issue 18) the confidence rules of `augment.pseudo_select = "confidence"`: for each rule and threshold
of `CONFIDENCE_RULES`, the share of sentences it keeps and the span P/R/F1 of their pseudo-labels
(`analyse_rules`), the confidences being the base model's CRF marginals of its own Viterbi tags.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xner.experiments.provenance import write_analysis
from xner.transfer.config import CROSS_AUGMENTED

BUCKETS = ((1, 5), (6, 10), (11, 20), (21, 40), (41, None))  # tokens, inclusive; the last is open
THRESHOLDS = (10, 20, 40)  # Algorithm 1 keeps sentences with <= l tokens; F1 of the kept set for these l
LANGS = ("es", "nl", "de", "ar", "fi")
# (rule, threshold) pairs scored by `analyse_rules` (AugmentConfig.confidence_rule / confidence_threshold)
CONFIDENCE_RULES = (("sentence-min", 0.5), ("sentence-min", 0.7), ("sentence-min", 0.9), ("sentence-mean", 0.9),
                    ("sentence-mean", 0.97), ("entity-min", 0.7), ("entity-min", 0.9))


def bucket_label(low: int, high: int | None) -> str:
    return f"{low}-{high}" if high is not None else f"{low}+"


def score_subset(gold: list[list[str]], pred: list[list[str]], idx: np.ndarray) -> dict:
    """Span P/R/F1 (conlleval entities), all-correct sentence share, token accuracy on sentences `idx`."""
    from seqeval.metrics.sequence_labeling import get_entities

    from xner.model.predictor import fast_span_scores

    g = [gold[i] for i in idx]
    p = [pred[i] for i in idx]
    if not g:
        return {"sentences": 0}
    spans = fast_span_scores(g, p)
    exact = np.array([a == b for a, b in zip(g, p)])  # (n,) every tag of the sentence right
    with_ent = np.array([bool(get_entities(a)) for a in g])  # (n,) sentence has a gold entity
    flat_g = np.concatenate([np.asarray(a) for a in g])
    flat_p = np.concatenate([np.asarray(a) for a in p])
    return {
        "sentences": int(len(g)),
        "tokens": int(len(flat_g)),
        "gold_entities": int(sum(len(get_entities(a)) for a in g)),
        "pred_entities": int(sum(len(get_entities(a)) for a in p)),
        "precision": round(spans["precision"], 2),
        "recall": round(spans["recall"], 2),
        "f1": round(spans["f1"], 2),
        "all_correct_pct": round(100 * float(exact.mean()), 2),
        "with_entity_pct": round(100 * float(with_ent.mean()), 2),
        "all_correct_with_entity_pct": round(100 * float(exact[with_ent].mean()), 2) if with_ent.any() else None,
        "token_accuracy_pct": round(100 * float((flat_g == flat_p).mean()), 2),
    }


def analyse(gold: list[list[str]], pred: list[list[str]], max_len: int = 250) -> dict:
    lengths = np.array([len(g) for g in gold])  # (N,)
    buckets = []
    for low, high in BUCKETS:
        idx = np.flatnonzero((lengths >= low) & ((lengths <= high) if high is not None else True))
        buckets.append({"bucket": bucket_label(low, high), **score_subset(gold, pred, idx)})
    # Cross-Augmented first drops sentences over max_train_len (250) and draws l ~ U(min, max) over the rest.
    usable = np.sort(lengths[lengths <= max_len])  # (M,)
    lo, hi = int(usable.min()), int(usable.max())
    draws = np.arange(lo, hi + 1)  # l ~ U(lo, hi), integers (xner.transfer.pseudo_labels.sample_threshold)
    kept_share = np.searchsorted(usable, draws, side="right") / len(usable)  # (hi-lo+1,)
    kept = [{"l": int(l), **score_subset(gold, pred, np.flatnonzero(lengths <= l))} for l in THRESHOLDS if l < hi]
    kept.append({"l": hi, **score_subset(gold, pred, np.flatnonzero(lengths <= hi))})
    return {
        "buckets": buckets,
        "all": score_subset(gold, pred, np.arange(len(gold))),
        "kept_at_threshold": kept,
        "over_max_train_len": int((lengths > max_len).sum()),
        "length_min": lo,
        "length_max": hi,
        "length_median": float(np.median(usable)),
        "expected_kept_share_pct": round(100 * float(kept_share.mean()), 2),
    }


def analyse_rules(gold: list[list[str]], pred: list[list[str]], confidences: list[np.ndarray],
                  rules=CONFIDENCE_RULES) -> list[dict]:
    """Per (rule, threshold): the sentences `xner.transfer.pseudo_labels.keep_confident` keeps, as a share, and
    their pseudo-labels' span P/R/F1 against `gold` (ANALYSIS ONLY: the gold tags never reach training)."""
    from xner.transfer.pseudo_labels import keep_confident

    rows = []
    for rule, threshold in rules:
        keep = keep_confident(confidences, pred, rule, threshold)
        rows.append({"rule": rule, "threshold": threshold, "kept_pct": round(100 * len(keep) / max(1, len(gold)), 2),
                     **score_subset(gold, pred, keep)})
    return rows


def base_confidences(model, sentences, lang: str, batch_size: int = 256) -> list[np.ndarray]:
    """The model's marginal of each of its Viterbi tags, per sentence (what the confidence rules read)."""
    from xner.model.batching import EncodedCorpus
    from xner.transfer.soft_labels import teacher_view

    corpus = EncodedCorpus(sentences, lang, model.vocab, with_tags=False)
    conf = teacher_view(model, corpus, batch_size).confidence()
    return [conf[a : a + n] for a, n in zip(corpus.starts, corpus.lengths)]


@dataclass
class PseudoLabelConfig:
    """Which finished grid runs to read (the defaults are those of `results/pseudo_labels.md`)."""

    langs: list[str] = field(default_factory=lambda: list(LANGS))
    modes: list[str] = field(default_factory=lambda: ["tgt-dev", "src-dev"])  # whose base checkpoint pseudo-labels
    seed: int = 1  # Cross-Augmented seed whose base is used
    budget: str = "e1-a2-u2000"  # budget tag of the finished grid runs
    tag: str = "supmap"  # result tag of the grid runs
    sets: dict[str, dict] = field(default_factory=dict)  # {section: {field: value}}, as `xner experiment run --set`
    results_root: str = "results/experiments"
    runs_root: str = "runs/experiments"
    max_sentences: int | None = None  # first N target sentences per language


def pseudo_label_quality(config: PseudoLabelConfig, command: str, out_prefix: str, echo=print) -> dict:
    """Score each language's Cross-Augmented base model's pseudo-labels by sentence length; write
    OUT_PREFIX.json and OUT_PREFIX.md."""
    from xner.data.registry import load_split, split_path
    from xner.experiments.grid import GridConfig, base_cells, expand
    from xner.experiments.models import load_cell_model, require_results
    from xner.metrics import to_iob2
    from xner.model.config import TrainConfig
    from xner.model.predictor import predict
    from xner.transfer.augmented import plan_runs
    from xner.transfer.config import budget_from_name
    from xner.transfer.fingerprint import file_fingerprint

    grid = GridConfig(langs=config.langs, variants=["cross-augmented"], seeds=[config.seed], modes=config.modes,
                      budget=budget_from_name(config.budget), tag=config.tag, results_root=config.results_root,
                      runs_root=config.runs_root).with_overrides(config.sets)
    cells = expand(grid)
    require_results(grid, [c for c in cells if c.config.variant != CROSS_AUGMENTED])  # the pseudo-labellers
    started = time.time()
    out: dict = {
        "command": command,
        "what": "pseudo-labels of the Cross-Augmented base model vs gold tags, by sentence length",
        "analysis_only": "ANALYSIS ONLY: gold target tags are read here to score pseudo-labels; they never reach "
                         "training or model selection",
        "budget": config.budget, "tag": config.tag, "seed": config.seed, "modes": config.modes,
        "buckets": [bucket_label(*b) for b in BUCKETS],
        "max_sentences": config.max_sentences,
        "languages": {},
    }
    for lang in config.langs:
        split = "train" if lang != "de" else "dev"
        sentences = load_split(lang, split)[: config.max_sentences]  # analysis-only label read
        sentences = [s for s in sentences if len(s)]
        gold = to_iob2([list(s.tags) for s in sentences])
        aug_cell = next(c for c in cells if c.key == (lang, "cross-augmented", config.seed))
        bases = base_cells(aug_cell, cells)
        plan = plan_runs(aug_cell.config, bases)
        entry = {"split": split, "file": str(split_path(lang, split)),
                 "sha256_16": file_fingerprint(split_path(lang, split)), "sentences": len(sentences), "by_mode": {}}
        if lang == "de":
            entry["note"] = ("German: unlabeled/de.txt (what Cross-Augmented pseudo-labels) has no tags, so the "
                             "German dev split is pseudo-labelled here instead")
        for (variant, step), run in plan.items():
            t0 = time.time()
            mode = run["modes"][0]
            model = load_cell_model(bases[variant], mode)
            pred = predict(model, [s.tokens for s in sentences], lang)
            result = analyse(gold, pred, TrainConfig().max_train_len)
            result["by_rule"] = analyse_rules(gold, pred, base_confidences(model, sentences, lang))
            for m in run["modes"]:
                entry["by_mode"][m] = {"base": f"{bases[variant].name} step {step}", "base_variant": variant,
                                       "base_checkpoint": str(Path(bases[variant].run_dir) / "train" /
                                                              f"best-{mode}.safetensors"),
                                       "base_selection_f1": run["choice"][m]["selection_f1"],
                                       "seconds": round(time.time() - t0, 1), **result}
            echo(f"{lang} {','.join(run['modes'])}: {variant} step {step}: F1 by bucket "
                 + " ".join(f"{b['bucket']}={b.get('f1')}" for b in result["buckets"]))
        out["languages"][lang] = entry
    write_analysis(out, started, out_prefix, markdown)
    return out


def _fmt(value) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def markdown(data: dict) -> str:
    lines = [
        "# Pseudo-label quality by sentence length (Cross-Augmented base models)",
        "",
        f"**{data['analysis_only']}.**",
        "",
        "Each language's pseudo-labeller is the base checkpoint Cross-Augmented starts from for the selection "
        "mode shown (`augment.base` = best of Cross-Word no char / Cross-Word / Cross-Shared by that mode's own "
        "metric). It tags the target training split (the text Cross-Augmented pseudo-labels; German: dev split, "
        "see note), and its tags are scored against the gold tags. Span F1 = CoNLL entity F1 (conlleval rules); "
        "all-correct = every tag of the sentence right (short sentences and sentences without entities make this "
        "easy, hence also the column restricted to sentences with >= 1 gold entity).",
        "",
        f"- command: `{data['command']}`",
        f"- grid runs: budget `{data['budget']}`, tag `{data['tag']}`, seed {data['seed']}; "
        f"sentences per language: {'all' if data['max_sentences'] is None else 'first ' + str(data['max_sentences'])}",
        f"- machine: {data['machine']['summary']}, torch threads {data['machine'].get('torch_threads')}; "
        f"git {data['git'].get('commit', '?')[:12]}{' (dirty)' if data['git'].get('dirty') else ''}; "
        f"{data['date']}; {data['seconds']} s",
        "",
    ]
    labels = data["buckets"]
    lines += [
        "## Summary: span F1 of the pseudo-labels by sentence length (tokens)",
        "",
        "| lang | base (mode) | " + " | ".join(labels) + " | all | P / R (all) | token acc. 1-5 vs 21-40 "
        "| short (1-5) F1 > long (21-40) F1? | kept per draw of l |",
        "|---|---|" + "---|" * (len(labels) + 5),
    ]
    for lang, entry in data["languages"].items():
        for mode, res in entry["by_mode"].items():
            by = {b["bucket"]: b for b in res["buckets"]}
            short, long_ = by.get("1-5", {}), by.get("21-40", {})
            verdict = "-" if "f1" not in short or "f1" not in long_ else ("yes" if short["f1"] > long_["f1"] else "no")
            lines.append(
                f"| {lang}{'*' if entry.get('note') else ''} | {res['base_variant']} ({mode}) | "
                + " | ".join(_fmt(by[b].get("f1")) for b in labels)
                + f" | {_fmt(res['all']['f1'])} | {_fmt(res['all']['precision'])} / {_fmt(res['all']['recall'])} "
                f"| {_fmt(short.get('token_accuracy_pct'))} vs {_fmt(long_.get('token_accuracy_pct'))} | {verdict} "
                f"| {res['expected_kept_share_pct']}% |")
    lines += ["", "\\* German: dev split (no labelled German training text here).", ""]
    if any("by_rule" in res for entry in data["languages"].values() for res in entry["by_mode"].values()):
        lines += [
            "## Confidence rules (`augment.pseudo_select = \"confidence\"`): kept share and span P / R / F1",
            "",
            "Confidence = the base model's CRF marginal of its own Viterbi tag (`xner.transfer.soft_labels`); a "
            "rule keeps a sentence when its confidence is >= the threshold (`xner.transfer.pseudo_labels`). "
            "Compare with the `all` column above (no selection).",
            "",
            "| lang | base (mode) | rule | threshold | kept % | P | R | span F1 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for lang, entry in data["languages"].items():
            for mode, res in entry["by_mode"].items():
                for row in res.get("by_rule", []):
                    lines.append(f"| {lang} | {res['base_variant']} ({mode}) | {row['rule']} | {row['threshold']} "
                                 f"| {row['kept_pct']} | {_fmt(row.get('precision'))} | {_fmt(row.get('recall'))} "
                                 f"| {_fmt(row.get('f1'))} |")
        lines.append("")
    for lang, entry in data["languages"].items():
        for mode, res in entry["by_mode"].items():
            lines += [
                f"## {lang} — {mode} base: {res['base']} ({entry['split']} split, {entry['sentences']} sentences)",
                "",
            ]
            if entry.get("note"):
                lines += [f"Note: {entry['note']}.", ""]
            lines += [
                "| length | sentences | with entity % | gold ent. | pred ent. | P | R | span F1 | all-correct % "
                "| all-correct % (with entity) | token acc. % |",
                "|---|---|---|---|---|---|---|---|---|---|---|",
            ]
            for b in res["buckets"] + [{"bucket": "all", **res["all"]}]:
                if not b.get("sentences"):
                    lines.append(f"| {b['bucket']} | 0 | | | | | | | | | |")
                    continue
                lines.append(
                    f"| {b['bucket']} | {b['sentences']} | {_fmt(b['with_entity_pct'])} | {b['gold_entities']} "
                    f"| {b['pred_entities']} | {_fmt(b['precision'])} | {_fmt(b['recall'])} | **{_fmt(b['f1'])}** "
                    f"| {_fmt(b['all_correct_pct'])} | {_fmt(b['all_correct_with_entity_pct'])} "
                    f"| {_fmt(b['token_accuracy_pct'])} |")
            kept = ", ".join(f"l={k['l']}: {k['sentences']} sent., F1 {_fmt(k.get('f1'))}"
                             for k in res["kept_at_threshold"])
            lines += ["", f"Kept set (<= l tokens): {kept}. Lengths {res['length_min']}-{res['length_max']} "
                          f"(median {res['length_median']:g}); with l ~ U(min, max) a draw keeps "
                          f"{res['expected_kept_share_pct']}% of the sentences on average"
                          + (f" ({res['over_max_train_len']} sentence(s) over 250 tokens, which Cross-Augmented "
                             "drops, are left out of these two figures)" if res["over_max_train_len"] else "")
                          + ".", ""]
    return "\n".join(lines) + "\n"

