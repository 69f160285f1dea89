"""How much of the target's text word-by-word translation can produce: why BWET loses on Finnish.

Translate-train (`xner.transfer.translate`) trains the target tagger on English sentences whose words are
replaced one by one by their CSLS nearest target word. Each English word gets ONE target form, so a
language that marks case and number with endings (Finnish: "Helsinki", "Helsingissä", "Helsingin") sees
only a fraction of its real word forms in that text. Measured per target language, on the dictionary-free
shared space (`runs/align/en-XX`, as the e4 grids; no dictionary file read):

- the share of the target test split's word tokens (tokens with a letter, lower-cased) that occur anywhere
  in the translated English training text, for gold-O tokens and for tokens inside gold entities;
- what happened to the English training tokens: translated to another word, translated to itself, or
  copied (no English vector, no letter, low score), for entity and O tokens.

ANALYSIS ONLY: the target test tags split tokens into entity / O here; they never reach training or
model selection.

    xner analyse translation

writes results/translation_coverage.json and .md (`--from-json` rewrites the Markdown only).
"""

from __future__ import annotations

import time
from collections import Counter

from xner.experiments.provenance import analysis_header, write_analysis
from xner.transfer.config import SOURCE_LANG
from xner.transfer.translate import has_letter


def coverage(translated_tokens, test_sentences) -> dict:
    """Share (%) of the test split's word tokens, lower-cased, seen in the translated training text; gold O
    tokens and tokens inside gold entities apart."""
    seen = {w.lower() for w in translated_tokens}
    counts = Counter()
    for sentence in test_sentences:
        for token, tag in zip(sentence.tokens, sentence.tags):
            if has_letter(token):
                kind = "O" if tag == "O" else "entity"
                counts[kind] += 1
                counts[kind, "seen"] += token.lower() in seen
    return {f"{kind}_tokens_seen_pct": round(100 * counts[kind, "seen"] / max(counts[kind], 1), 1)
            for kind in ("O", "entity")} | {"O_tokens": counts["O"], "entity_tokens": counts["entity"]}


def outcomes(source_sentences, translations: dict[str, str]) -> dict:
    """Share (%) of English training tokens translated to another word / to themselves / copied, for entity
    and O tokens."""
    counts = Counter()
    for sentence in source_sentences:
        for token, tag in zip(sentence.tokens, sentence.tags):
            kind = "O" if tag == "O" else "entity"
            target = translations.get(token)
            counts[kind] += 1
            counts[kind, "copied" if target is None else "identical" if target == token else "translated"] += 1
    return {kind: {o: round(100 * counts[kind, o] / max(counts[kind], 1), 1)
                   for o in ("translated", "identical", "copied")} for kind in ("entity", "O")}


def translation_coverage(langs: list[str], command: str, out_prefix: str, echo=print) -> dict:
    """Coverage and translation outcomes per target language; write OUT_PREFIX.json and OUT_PREFIX.md."""
    from xner.data.registry import load_split
    from xner.transfer.cell import build_space
    from xner.transfer.config import TRANSLATE_TRAIN, TransferConfig
    from xner.transfer.translate import translate_sentences

    started = time.time()
    source = load_split(SOURCE_LANG, "train")
    out: dict = {
        "command": command,
        "analysis_only": "ANALYSIS ONLY: the target test tags only split tokens into entity / O here; they never "
                         "reach training or model selection",
        "space": "dictionary-free shared space runs/align/en-XX (xner align's default; no dictionary file read)",
        "langs": {},
    }
    for lang in langs:
        config = TransferConfig(lang=lang, variant=TRANSLATE_TRAIN)
        space = build_space(config)
        translated, stats = translate_sentences(source, space.tables[SOURCE_LANG], space.tables[lang],
                                                config.translate)
        test = load_split(lang, "test")  # analysis-only label read
        out["langs"][lang] = {
            "coverage": coverage((w for s in translated for w in s.tokens), test),
            "english_tokens": outcomes(source, stats["translations"]),
            "target_types_produced": len(set(stats["translations"].values())),
        }
        echo(f"{lang}: {out['langs'][lang]}")
    write_analysis(out, started, out_prefix, markdown)
    return out


def markdown(data: dict) -> str:
    lines = analysis_header(
        data, "What word-by-word translation covers of the target's text (BWET translate-train)",
        "English train (14,041 sentences) translated word by word as `--variant translate-train` does (CSLS top-1 "
        "in the shared space, words without a vector or a letter copied), compared with the target test split's "
        "word tokens (those with a letter, lower-cased).", f"- space: {data['space']}") + [
        "| lang | test O tokens seen in the translated text % | test entity tokens seen % | target types produced "
        "| English entity tokens translated / identical / copied % | English O tokens translated / identical / "
        "copied % |",
        "|---|---|---|---|---|---|",
    ]
    for lang, d in data["langs"].items():
        c, e, o = d["coverage"], d["english_tokens"]["entity"], d["english_tokens"]["O"]
        lines.append(f"| {lang} | {c['O_tokens_seen_pct']} (of {c['O_tokens']}) | {c['entity_tokens_seen_pct']} "
                     f"(of {c['entity_tokens']}) | {d['target_types_produced']} | {e['translated']} / "
                     f"{e['identical']} / {e['copied']} | {o['translated']} / {o['identical']} / {o['copied']} |")
    return "\n".join(lines) + "\n"

