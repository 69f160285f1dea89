"""Table 4 under two mappings side by side: the dictionary-free one against the supervised reference.

Why a separate table: the question a user asks is "what do I lose by having no dictionary?", which is the
difference of two tagged settings (`--tag dictfree` vs `--tag supmap`) cell by cell, at one budget. Each tag's
own Table 4 (`xner experiment table --tag ...`) keeps its per-mode details and central-claim check; this one
puts the two next to each other with the mapping quality (CSLS P@1) each result was trained in.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from xner.experiments.results import load_results
from xner.experiments.tables import (
    VARIANT_LABEL,
    Group,
    _augmented_values,
    claim_lines,
    fmt_stat,
    group_results,
    lang_label,
)
from xner.io import write_text_atomic
from xner.transfer.config import BASE_VARIANTS, CROSS_AUGMENTED, TARGET_LANGS

COMPARED_MODES = ("tgt-dev", "src-dev")  # the two honest modes (tgt-test is an oracle)
MAP_KIND = {"unsupervised": "no dictionary", "supervised": "MUSE dictionary"}  # alignment record mode -> signal


def _values(group: Group | None, mode: str) -> list[float]:
    """Test F1 per seed of the model `mode` selected (Cross-Augmented: a seed that kept its start counts
    with its base's own test F1, as in Table 4's claim check)."""
    if group is None:
        return []
    return _augmented_values(group, mode) if group.results[0]["variant"] == CROSS_AUGMENTED else group.values(mode)


def _mapping(groups: dict, lang: str) -> str:
    """P@1 (and collapse) of the mapping the results of `lang` were trained in, from their alignment record."""
    seen = set()
    for (l, _), g in groups.items():
        if l != lang:
            continue
        for r in g.results:
            a = (r.get("space") or {}).get("alignment") or {}
            if a:
                p1 = a.get("P@1_csls_knn_10")
                kind = MAP_KIND.get(a.get("mode"), str(a.get("mode")))
                seen.add(f"{kind}, P@1 {p1:.1f}" if isinstance(p1, (int, float)) else kind)
    return " / ".join(sorted(seen)) or "—"


def _delta(a: list[float], b: list[float]) -> str:
    if not a or not b:
        return "—"
    return f"{statistics.fmean(a) - statistics.fmean(b):+.2f}"


def render_comparison(results_root: str | Path, tags: tuple[str, str], budget: str) -> str:
    """Markdown: per variant and language, test F1 (mean ± std over seeds) under each tag and their difference."""
    all_results = load_results(Path(results_root))
    groups = {tag: group_results([r for r in all_results if r.get("tag") == tag and r["budget"] == budget], [budget])
              for tag in tags}
    first, second = tags
    out = [
        f"# Table 4 on two mappings: `{first}` beside `{second}` ({budget})",
        "",
        f"Target test F1 (mean ± std over seeds, n = seeds) at the step each selection mode picked, for the results "
        f"tagged `{first}` and `{second}`; Δ = {first} − {second}. tgt-dev reads target dev labels (reference); "
        f"src-dev reads English dev only (label-free). Mapping columns: the bilingual signal of the mapping each tag's results were "
        f"trained in (no dictionary: `xner align`'s default, seeds from spelling; MUSE dictionary: Procrustes on "
        f"the 0-5000 training pairs) and its CSLS P@1 (en-XX test dictionary, read for evaluation only).",
        "",
        f"| model | pair | mapping {first} | mapping {second} | "
        + " | ".join(f"{m} {t}" for m in COMPARED_MODES for t in (*tags, "Δ")) + " |",
        "|" + "---|" * (4 + 3 * len(COMPARED_MODES)),
    ]
    for variant in BASE_VARIANTS + (CROSS_AUGMENTED,):
        for lang in TARGET_LANGS:
            g1, g2 = groups[first].get((lang, variant)), groups[second].get((lang, variant))
            if g1 is None and g2 is None:
                continue
            cells = []
            for mode in COMPARED_MODES:
                v1, v2 = _values(g1, mode), _values(g2, mode)
                cells += [fmt_stat(v1, g1.requested if g1 else None, with_max=False),
                          fmt_stat(v2, g2.requested if g2 else None, with_max=False), _delta(v1, v2)]
            out.append(f"| {VARIANT_LABEL[variant]} | {lang_label(lang, g1 or g2)} | {_mapping(groups[first], lang)} | "
                       f"{_mapping(groups[second], lang)} | " + " | ".join(cells) + " |")
    for tag in tags:
        out += ["", f"## Central claim check, `{tag}`", ""]
        for mode in COMPARED_MODES:
            out.append(f"Selection mode `{mode}`:")
            out.extend(claim_lines(groups[tag], mode))
            out.append("")
    n = sum(len(g.results) for tag in tags for g in groups[tag].values())
    out += [f"Rendered by `xner experiment compare --tag {first} --tag {second} --budget {budget}` from {n} result "
            f"file(s) under `{results_root}`. A `*` after n marks fewer seeds than the grid requested."]
    return "\n".join(out) + "\n"


def write_comparison(results_root: str | Path, tags: tuple[str, str], budget: str, out: str | Path) -> Path:
    out = Path(out)
    write_text_atomic(out, render_comparison(results_root, tags, budget))
    return out
