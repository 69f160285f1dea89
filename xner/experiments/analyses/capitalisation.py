"""Capitalised words inside and outside entities: why German transfer has low precision.

English marks few words but names with a capital letter; German capitalises every noun. A tagger
that learns "capitalised, not sentence-initial => entity" from English (its char LSTM sees the case)
should therefore over-predict on German. Two measurements test that:

1. Gold data only: of the tokens that start with an upper-case letter and are not the first token of
   their sentence, the share inside a gold entity, per language (test split).
2. The full-budget base taggers (seed 1, the checkpoint tgt-dev selection picked) tag the English
   and the target test split: the share of capitalised non-initial gold-O tokens they put inside an
   entity (false alarms on capitalised words), and span precision and recall on the target.

ANALYSIS ONLY: the gold target tags read here never reach training or model selection; the models
are read from finished grid runs and nothing is written next to them.

    xner analyse capitalisation --lang es --lang nl --lang de

writes results/supplementary/full/capitalisation.json and .md (`--from-json` rewrites the Markdown only).
"""

from __future__ import annotations

import time

from xner.experiments.provenance import analysis_header, write_analysis
from xner.transfer.config import BASE_VARIANTS

# The full-budget grid the models come from (xner/experiments/grids/full-supmap.json)
FULL_SETS = {"space": {"align_suffix": ".supervised"}, "train": {"length_buckets": 20}, "augment": {"base_seed": 1}}


def capitalised_non_initial(tokens) -> list[bool]:
    return [i > 0 and tok[:1].isupper() for i, tok in enumerate(tokens)]


def case_stats(token_lists, gold, pred=None) -> dict:
    """Gold entity share of capitalised non-initial tokens; with `pred` instead the tagger's side only (the gold
    side is already under "gold"): false-alarm rate on the gold-O ones, their share of all false-positive tokens."""
    caps = in_entity = gold_o = alarms = false_pos = 0
    for i, tokens in enumerate(token_lists):
        for j, cap in enumerate(capitalised_non_initial(tokens)):
            false_pos += pred is not None and gold[i][j] == "O" and pred[i][j] != "O"
            if not cap:
                continue
            caps += 1
            if gold[i][j] != "O":
                in_entity += 1
                continue
            gold_o += 1
            alarms += pred is not None and pred[i][j] != "O"
    if pred is None:
        return {"capitalised_non_initial": caps, "in_gold_entity_pct": round(100 * in_entity / max(caps, 1), 2)}
    return {"gold_o": gold_o, "tagged_as_entity_pct": round(100 * alarms / max(gold_o, 1), 2),
            "false_positive_tokens": false_pos,  # gold O, predicted inside an entity
            "capitalised_share_of_false_positives_pct": round(100 * alarms / max(false_pos, 1), 2)}


def capitalisation(langs: list[str], command: str, out_prefix: str, split: str = "test", echo=print) -> dict:
    """Gold case statistics of English and `langs`, and those of the full-budget base taggers' predictions;
    write OUT_PREFIX.json and OUT_PREFIX.md."""
    from xner.data.registry import load_split
    from xner.experiments.grid import GridConfig, expand
    from xner.experiments.models import load_cell_model, require_results
    from xner.metrics import to_iob2
    from xner.model.predictor import fast_span_scores, predict
    from xner.transfer.config import budget_from_name

    grid = GridConfig(langs=langs, variants=list(BASE_VARIANTS), seeds=[1], modes=["tgt-dev"],
                      budget=budget_from_name("full"), tag="supmap").with_overrides(FULL_SETS)
    require_results(grid)
    cells = {c.key: c for c in expand(grid)}
    started = time.time()

    def split_of(lang: str):
        sentences = [s for s in load_split(lang, split) if len(s)]  # analysis-only label read
        return [list(s.tokens) for s in sentences], to_iob2([list(s.tags) for s in sentences])

    en_tokens, en_gold = split_of("en")
    out: dict = {
        "command": command,
        "analysis_only": "ANALYSIS ONLY: gold target tags are read here to score predictions; they never reach "
                         "training or model selection",
        "split": split, "grid": "budget full, tag supmap, seed 1, " + " ".join(grid.set_items()),
        "gold": {"en": case_stats(en_tokens, en_gold)}, "models": {},
    }
    for lang in langs:
        tokens, gold = split_of(lang)
        out["gold"][lang] = case_stats(tokens, gold)
        for variant in BASE_VARIANTS:
            model = load_cell_model(cells[(lang, variant, 1)], "tgt-dev")
            pred = predict(model, tokens, lang)
            spans = fast_span_scores(gold, pred)
            out["models"][f"{lang}/{variant}"] = {
                "target": {**case_stats(tokens, gold, pred), "precision": round(spans["precision"], 2),
                           "recall": round(spans["recall"], 2), "f1": round(spans["f1"], 2)},
                "english": case_stats(en_tokens, en_gold, predict(model, en_tokens, "en")),
            }
            echo(f"{lang} {variant}: {out['models'][f'{lang}/{variant}']}")
    write_analysis(out, started, out_prefix, markdown)
    return out


def markdown(data: dict) -> str:
    lines = analysis_header(
        data, "Capitalised words and entities (full-budget base taggers)",
        "A token counts as capitalised when it starts with an upper-case letter and is not its sentence's first "
        "token. German capitalises every noun, English almost only names.",
        f"- models: {data['grid']}, checkpoint selected by tgt-dev; split: {data['split']}") + [
        "## Gold tags: share of capitalised non-initial tokens inside an entity",
        "",
        "| lang | capitalised non-initial tokens | inside a gold entity % |",
        "|---|---|---|",
    ]
    lines += [f"| {lang} | {g['capitalised_non_initial']} | {g['in_gold_entity_pct']} |" for lang, g in data["gold"].items()]
    lines += [
        "",
        "## Taggers: capitalised gold-O tokens tagged as part of an entity (false alarms)",
        "",
        "| lang / base | target: false alarms % (of gold-O capitalised) | target: capitalised share of false-positive "
        "tokens % | English: false alarms % | target span P / R / F1 |",
        "|---|---|---|---|---|",
    ]
    for name, m in data["models"].items():
        t, e = m["target"], m["english"]
        lines.append(f"| {name} | {t['tagged_as_entity_pct']} (of {t['gold_o']}) | {t['capitalised_share_of_false_positives_pct']} "
                     f"(of {t['false_positive_tokens']}) | {e['tagged_as_entity_pct']} "
                     f"(of {e['gold_o']}) | {t['precision']} / {t['recall']} / {t['f1']} |")
    return "\n".join(lines) + "\n"

