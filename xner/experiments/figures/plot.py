"""Drawing the figures (matplotlib, Agg backend) from their data rows, as read back from the CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from xner.errors import XnerError
from xner.experiments.figures.analysis import LENGTH_BINS, bin_label
from xner.io import atomic_path

ENTITY_COLOURS = {"PER": "tab:red", "LOC": "tab:green", "ORG": "tab:blue", "MISC": "tab:orange", "O": "lightgrey"}
LANG_MARKERS = ("o", "^", "s", "D", "v", "P")
LANG_COLOURS = {"es": "tab:red", "nl": "tab:orange", "de": "tab:grey", "ar": "tab:green", "fi": "tab:blue"}
MIN_BIN_SENTENCES = 10  # (ours) bins with fewer sentences are listed in the CSV but not drawn
PANEL_TITLES = {
    "mono": "(a) monolingual embeddings",
    "mapped": "(b) mapped embeddings",
    "encoder": "(c) Cross-Augmented encoder outputs",
}


def _num(value: Any) -> float | None:
    """A number from a data row or a CSV cell (where a missing value is the empty string)."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None", "nan")):
        return None
    return float(value)


def _wrap(text: str, width: int = 130) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def _save_png(fig, path: str | Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)


def _new_figure(*args, **kwargs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def plot_fig2(rows: Sequence[dict], path: str | Path, title_note: str = "") -> None:
    """Two panels: all tokens, entity tokens; one line per target language over length bins."""
    fig, axes = _new_figure(1, 2, figsize=(12, 5.4), sharex=True)
    labels = [bin_label(lo, hi) for lo, hi in LENGTH_BINS]
    langs = list(dict.fromkeys(r["lang"] for r in rows))
    for ax, key, name in ((axes[0], "ratio", "all target tokens"), (axes[1], "entity_ratio", "entity tokens (gold or predicted not O)")):
        for i, lang in enumerate(langs):
            xs, ys = [], []
            for r in rows:
                if r["lang"] != lang or r[key] in (None, "") or int(r["sentences"]) < MIN_BIN_SENTENCES:
                    continue
                xs.append(labels.index(r["bin"]))
                ys.append(float(r[key]))
            ax.plot(xs, ys, marker=LANG_MARKERS[i % len(LANG_MARKERS)], color=LANG_COLOURS.get(lang), label=f"en-{lang}")
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=45)
        ax.set_xlabel("target sentence length (tokens)")
        ax.set_ylabel("ratio correctly tagged")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(
        "Fig. 2: source model's pseudo-labels on the target training split vs sentence length\n"
        "(analysis only: reads target gold labels; bins with < %d sentences not drawn)%s"
        % (MIN_BIN_SENTENCES, f"\n{_wrap(title_note)}" if title_note else ""),
        fontsize=10,
    )
    fig.tight_layout()  # leaves room for the suptitle itself
    _save_png(fig, path)


def plot_fig3(rows: Sequence[dict], path: str | Path, title_note: str = "") -> None:
    """Three panels (mono, mapped, encoder); colour = entity type, marker = language."""
    panels = [p for p in PANEL_TITLES if any(r["panel"] == p for r in rows)]
    fig, axes = _new_figure(1, len(panels), figsize=(6 * len(panels), 5.6))
    if len(panels) == 1:
        axes = [axes]
    langs = list(dict.fromkeys(r["lang"] for r in rows))
    for ax, panel in zip(axes, panels):
        for li, lang in enumerate(langs):
            for etype, colour in ENTITY_COLOURS.items():
                pts = [r for r in rows if r["panel"] == panel and r["lang"] == lang and r["entity"] == etype]
                if not pts:
                    continue
                ax.scatter(
                    [float(r["x"]) for r in pts],
                    [float(r["y"]) for r in pts],
                    s=10,
                    c=colour,
                    marker=LANG_MARKERS[li % len(LANG_MARKERS)],
                    alpha=0.75,
                    linewidths=0,
                    label=f"{lang} {etype}",
                )
        ax.set_title(PANEL_TITLES[panel])
        ax.set_xticks([])
        ax.set_yticks([])
    handles, labels = axes[-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(10, len(labels)), fontsize=8, markerscale=2)
    fig.suptitle("Fig. 3: t-SNE of NER-tagged words (colour: entity type, marker: language)"
                 + (f"\n{_wrap(title_note, 170)}" if title_note else ""), fontsize=10, y=0.995)
    fig.subplots_adjust(bottom=0.14, top=0.84)
    _save_png(fig, path)


def _is_true(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def plot_align_curve(rows: Sequence[dict], path: str | Path, title_note: str = "") -> None:
    """One panel per language pair: criterion (left axis) and P@1 (right axis) over the steps; one line per try."""
    pairs = list(dict.fromkeys(r["pair"] for r in rows))
    if not pairs:
        raise XnerError("no alignment log rows to plot")
    ncols = min(3, len(pairs))
    nrows = (len(pairs) + ncols - 1) // ncols
    fig, axes = _new_figure(nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows + 0.8), squeeze=False)
    short = {"adversarial": "adv", "init": "init", "refinement": "ref", "self-learning": "sl"}
    legend: dict[str, Any] = {}
    for k, pair in enumerate(pairs):
        ax = axes[k // ncols][k % ncols]
        pts = [r for r in rows if r["pair"] == pair]
        xs = list(range(len(pts)))
        tries = list(dict.fromkeys(str(r.get("try", 0)) for r in pts))
        ticks = [(f"t{r.get('try', 0)}:" if len(tries) > 1 else "") + short.get(r["phase"], r["phase"])
                 + (str(r["step"]) if r["phase"] != "init" else "") for r in pts]
        ax2 = ax.twinx()
        for t in tries:  # a restart starts a new line
            idx = [i for i, r in enumerate(pts) if str(r.get("try", 0)) == t]
            crit = [_num(pts[i]["criterion"]) for i in idx]
            legend["criterion (mean cos of CSLS translations)"] = ax.plot(
                idx, [c if c is not None else float("nan") for c in crit], "o-", color="tab:blue", ms=4)[0]
            for key, style, colour, label in (("p1_csls", "s--", "tab:red", "P@1 CSLS"), ("p1_nn", "^:", "tab:orange", "P@1 NN")):
                vals = [_num(pts[i].get(key)) for i in idx]
                if any(v is not None for v in vals):
                    legend[label] = ax2.plot(idx, [v if v is not None else float("nan") for v in vals], style,
                                             color=colour, ms=4)[0]
        null = _num(pts[0].get("null_criterion"))
        if null is not None:
            legend["null model: random rotation, refined the same way"] = ax.axhline(null, color="tab:blue", lw=0.8, ls=":")
        collapse = _num(pts[0].get("collapse_below"))
        if collapse is not None:
            legend["collapse threshold (null + margin)"] = ax.axhline(collapse, color="tab:purple", lw=0.8, ls="-.")
        chosen = [i for i, r in enumerate(pts) if _is_true(r.get("selected"))]
        for i in chosen:
            legend["kept W (best criterion)"] = ax.axvline(i, color="tab:green", lw=4, alpha=0.25)
        final = _num(pts[-1].get("final_p1_csls"))
        if not any(_num(r.get("p1_csls")) is not None for r in pts) and final is not None and chosen:
            legend["P@1 CSLS of the kept W (P@1 not logged per step)"] = ax2.plot(
                chosen, [final], "*", color="tab:red", ms=12, clip_on=False)[0]
        p1_values = [v for r in pts for v in (_num(r.get("p1_csls")), _num(r.get("p1_nn")), final) if v is not None]
        ax2.set_ylim(0, max(5.0, 1.15 * max(p1_values, default=0.0)))
        ax2.set_ylabel("P@1 (%)", color="tab:red")
        ax.set_ylabel("unsupervised criterion", color="tab:blue")
        for i in range(1, len(pts)):
            if pts[i]["phase"] != pts[i - 1]["phase"]:
                ax.axvline(i - 0.5, color="k", lw=0.6, ls="--")
        every = max(1, len(xs) // 16)  # long self-learning runs: label about 16 steps
        ax.set_xticks(xs[::every])
        ax.set_xticklabels(ticks[::every], rotation=60, fontsize=7)
        ax.set_title(pair + (f" (kept W: P@1 CSLS {final:.1f}%)" if final is not None else ""), fontsize=10)
        ax.grid(alpha=0.3)
    for k in range(len(pairs), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    fig.legend(list(legend.values()), list(legend.keys()), loc="lower center", ncol=3, fontsize=8)
    fig.suptitle("Unsupervised alignment: criterion and P@1 over adversarial epochs (adv), refinement (ref) or "
                 "self-learning (sl) iterations; tN = try N (restart)" + (f"\n{title_note}" if title_note else ""), fontsize=10)
    fig.tight_layout(rect=(0, 0.07 if nrows > 1 else 0.12, 1, 0.95))
    _save_png(fig, path)
