"""The paper's figures, rendered from data files: `xner plot fig2|fig3|align|all`.

Each figure is two files in `results/`: the PNG and the CSV of the numbers behind it (plus a
`.json` with the command, data, seed and machine that made them). Collecting the numbers
(`*_data`) is separate from drawing them (`plot_*`), so a figure can be redrawn from its CSV
without retraining anything.

- Fig. 2 (`fig2_length`): share of target tokens the *source* model tags correctly, by sentence
  length, on the target training split. Analysis only: it reads target gold labels.
- Fig. 3 (`fig3_tsne`): t-SNE of 1000 NER-tagged words of English and a target language:
  monolingual embeddings, mapped embeddings, Cross-Augmented encoder outputs.
- `align_curve`: unsupervised criterion and P@1 over adversarial epochs and refinement iterations.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterable, Sequence

from xner.errors import XnerError
from xner.io import atomic_path, write_json_atomic, write_text_atomic

ENTITY_COLOURS = {"PER": "tab:red", "LOC": "tab:green", "ORG": "tab:blue", "MISC": "tab:orange", "O": "lightgrey"}
LANG_MARKERS = ("o", "^", "s", "D", "v", "P")
LANG_COLOURS = {"es": "tab:red", "nl": "tab:orange", "de": "tab:grey", "ar": "tab:green", "fi": "tab:blue"}

# Sentence-length bins of Fig. 2: (low, high) inclusive; the last is open (ours).
LENGTH_BINS: tuple[tuple[int, int | None], ...] = (
    (1, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, 40), (41, 50), (51, 60), (61, 80), (81, 100), (101, 150), (151, None),
)
MIN_BIN_SENTENCES = 10  # (ours) bins with fewer sentences are listed in the CSV but not drawn


# ----------------------------------------------------------------------------------------- CSV

def write_csv(path: str | Path, rows: Sequence[dict[str, Any]], header: str | None = None) -> None:
    """Rows of dicts -> CSV (atomic). `header` lines go first, each prefixed with '# '."""
    if not rows:
        raise XnerError("no rows to write", path)
    buffer = io.StringIO()
    if header:
        for line in header.strip().splitlines():
            buffer.write(f"# {line}\n")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _fmt(v) for k, v in row.items()})
    write_text_atomic(path, buffer.getvalue())


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


def read_csv(path: str | Path) -> list[dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        raise XnerError("no such file", path)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


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


# ----------------------------------------------------------------------------------- Figure 2

def length_bin(length: int) -> tuple[int, int | None]:
    for low, high in LENGTH_BINS:
        if length >= low and (high is None or length <= high):
            return (low, high)
    raise ValueError(length)


def bin_label(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else f"{low}-{high}"


def length_accuracy_rows(lang: str, gold: Iterable[Sequence[str]], pred: Iterable[Sequence[str]]) -> list[dict]:
    """Per length bin: sentences, tokens, correctly tagged tokens (IOB2 tag equal), and the same for
    entity tokens (gold or predicted tag not O), so a mostly-O bin cannot look good by tagging O."""
    import numpy as np

    stats: dict[tuple[int, int | None], list[int]] = {b: [0, 0, 0, 0, 0] for b in LENGTH_BINS}
    for gold_tags, pred_tags in zip(gold, pred):
        g = np.asarray(gold_tags)
        p = np.asarray(pred_tags)
        if g.shape != p.shape:
            raise XnerError(f"gold and predicted tags differ in length ({len(g)} vs {len(p)})")
        ent = (g != "O") | (p != "O")  # (T,)
        s = stats[length_bin(len(g))]
        s[0] += 1
        s[1] += len(g)
        s[2] += int((g == p).sum())
        s[3] += int(ent.sum())
        s[4] += int(((g == p) & ent).sum())
    rows = []
    for (low, high), (sents, toks, correct, ent_toks, ent_correct) in stats.items():
        rows.append({
            "lang": lang,
            "bin": bin_label(low, high),
            "len_min": low,
            "len_max": high,
            "sentences": sents,
            "tokens": toks,
            "correct": correct,
            "ratio": correct / toks if toks else None,
            "entity_tokens": ent_toks,
            "entity_correct": ent_correct,
            "entity_ratio": ent_correct / ent_toks if ent_toks else None,
        })
    return rows


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


# ----------------------------------------------------------------------------------- Figure 3

PANEL_TITLES = {
    "mono": "(a) monolingual embeddings",
    "mapped": "(b) mapped embeddings",
    "encoder": "(c) Cross-Augmented encoder outputs",
}


def tsne_2d(matrix, seed: int = 1, max_iter: int = 1000):
    """2-d t-SNE of the rows (scikit-learn, PCA init, fixed seed)."""
    import numpy as np
    from sklearn.manifold import TSNE

    matrix = np.asarray(matrix, dtype=np.float64)  # (N, D)
    perplexity = min(30.0, max(2.0, (len(matrix) - 1) / 3))
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max_iter).fit_transform(matrix)


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


# ------------------------------------------------------------------------------ align curve

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


def write_provenance(path: str | Path, **info: Any) -> None:
    """`<figure>.json`: the command, data and machine behind a figure."""
    from xner.experiments.provenance import git_info, machine_info

    write_json_atomic(path, {**info, "git": git_info(), "machine": machine_info()})


# ------------------------------------------------------------------- models of the experiment grid

FIG2_LANGS = ("es", "nl", "ar", "fi")  # every target with a labelled training split (German has none here)


def figure_grid(base=None, *, langs: Sequence[str], variants: Sequence[str], seed: int, mode: str,
                budget: str | None = None):
    """The experiment grid a figure reads its models from: `base` (a `GridConfig`, e.g. from the grid file the
    results were made with; default: `GridConfig()`) narrowed to the figure's languages, variants, seed and mode.
    Same paths as `xner experiment run`, so finished cells are reused."""
    from xner.experiments.grid import GridConfig
    from xner.transfer.config import budget_from_name

    data = dict((base or GridConfig()).__dict__)
    modes = list(data["modes"]) if mode in data["modes"] else list(data["modes"]) + [mode]
    # The grid's own modes are kept, so cells trained here are the same cells `xner experiment run` makes.
    data.update(langs=list(langs), variants=list(variants), seeds=[seed], modes=modes)
    if budget is not None:
        data["budget"] = budget_from_name(budget)
    return GridConfig(**data)


def ensure_trained(grid, train_missing: bool, echo=print) -> None:
    """Train the grid's missing cells (resuming partial ones) when allowed; otherwise say how."""
    from xner.experiments.grid import expand, result_status
    from xner.experiments.runner import run_grid

    missing = [c.name for c in expand(grid) if result_status(c) != "done"]
    if not missing:
        return
    if not train_missing:
        raise XnerError(
            f"no complete result for {', '.join(missing)} (budget {grid.budget.name}) under {grid.results_root}; "
            f"run `xner experiment run --budget {grid.budget.name} ...` first, or pass --train to let `xner plot` "
            "train them"
        )
    echo(f"training {len(missing)} missing cell(s) with budget {grid.budget.name}: {grid.budget.describe()}")
    report = run_grid(grid, command="xner plot (training the models a figure needs)", echo=echo)
    if report.failed or report.not_started:
        raise XnerError(f"could not train {', '.join(report.failed + report.not_started)}; see their run logs")


def _mapping_name(cell) -> str:
    """Which saved mapping a cell's shared space comes from, e.g. `en-es` (unsupervised) or `en-es.supervised`."""
    from xner.transfer.spaces import align_dir

    return align_dir(cell.config.lang, cell.config.space).name


def _check_vocab(model, train_dir: Path) -> None:
    import torch

    from xner.model.trainer import hash_text

    ckpt = torch.load(train_dir / "checkpoint.pt", map_location="cpu", weights_only=True)
    if ckpt["fingerprint"]["vocab_hash"] != hash_text(json.dumps(model.vocab.to_dict(), sort_keys=True)):
        raise XnerError("rebuilt model's vocabulary differs from the trained one (data or tables changed)", train_dir)


def load_cell_tagger(cell, mode: str = "src-dev"):
    """The trained tagger of a base cell (Cross-Word / Cross-Shared / ...), best checkpoint of `mode`."""
    from xner.model.trainer import load_best
    from xner.transfer.config import MODE_EVAL_SET
    from xner.transfer.variants import TRAIN_SUBDIR, build_model, build_space, load_cell_data

    config = cell.config.replace(modes=(mode,))
    model = build_model(config, build_space(config), load_cell_data(config))
    train_dir = Path(cell.run_dir) / TRAIN_SUBDIR
    _check_vocab(model, train_dir)
    load_best(model, train_dir, MODE_EVAL_SET[mode])
    model.eval()
    return model


def load_augmented_tagger(cell, base_cells: dict, mode: str = "src-dev"):
    """The Cross-Augmented model (theta_s + theta_t) of a finished cell, best weights of `mode`."""
    from safetensors.torch import load_file

    from xner.transfer.augmented import AugmentedTagger
    from xner.transfer.variants import TRAIN_SUBDIR, build_model, build_space, load_cell_data

    info = json.loads((Path(cell.run_dir) / "cell_info.json").read_text(encoding="utf-8"))
    run_name, run = next(((n, r) for n, r in info["plan"].items() if mode in r["modes"]), (None, None))
    if run_name is None:
        raise XnerError(f"Cross-Augmented cell {cell.name} has no run for mode {mode}", Path(cell.run_dir))
    variant = run["choice"][mode]["variant"]
    base_cfg = base_cells[variant].config.replace(modes=(mode,))
    source = build_model(base_cfg, build_space(base_cfg), load_cell_data(cell.config.replace(modes=(mode,))), variant)
    _check_vocab(source, Path(run["choice"][mode]["base_run_dir"]) / TRAIN_SUBDIR)
    aug = cell.config.augment
    model = AugmentedTagger.from_source(source, aug.target_init, aug.detach_source_features)
    model.load_trainable_state(load_file(str(Path(cell.run_dir) / run_name / f"best-{mode}.safetensors")))
    model.eval()
    return model, variant


# ------------------------------------------------------------------------------ Figure 2 data

def fig2_data(base_grid=None, langs: Sequence[str] = FIG2_LANGS, variant: str = "cross-shared", seed: int = 1,
              mode: str = "src-dev", train_missing: bool = False, echo=print, budget: str | None = None) -> list[dict]:
    """Pseudo-labels of each language's source model on its target training split vs the gold tags.

    The sentences are read token-column only (`load_unlabeled`, as pseudo-labelling does); the gold
    tags are read separately (`load_split(lang, "train")`), for this analysis only.
    """
    from xner.data.registry import has_split, load_split, load_unlabeled
    from xner.experiments.grid import make_cell
    from xner.model.predictor import predict

    langs = [lang for lang in langs if has_split(lang, "train")]
    if not langs:
        raise XnerError("none of the languages has a labelled training split (German has none here)")
    grid = figure_grid(base_grid, langs=langs, variants=[variant], seed=seed, mode=mode, budget=budget)
    ensure_trained(grid, train_missing, echo)
    rows: list[dict] = []
    for lang in langs:
        cell = make_cell(grid, lang, variant, seed)
        model = load_cell_tagger(cell, mode)
        sentences = load_unlabeled(lang)
        echo(f"fig2: {lang}: pseudo-labelling {len(sentences)} target training sentences with {cell.name}")
        pred = predict(model, [s.tokens for s in sentences], lang)
        gold = [s.tags for s in load_split(lang, "train")]  # analysis-only label read
        if [len(g) for g in gold] != [len(p) for p in pred]:
            raise XnerError(f"{lang} train split and its unlabelled view differ in sentence lengths")
        for row in length_accuracy_rows(lang, gold, pred):
            rows.append({**row, "model": cell.name, "selection": mode, "mapping": _mapping_name(cell),
                         "result": str(cell.result_path)})
    return rows


# ------------------------------------------------------------------------------ Figure 3 data

def sample_tagged_words(sentences, lang: str, table, n: int, seed: int, o_share: float = 0.2) -> list[dict]:
    """`n` distinct words of one language with their gold entity type (O included, `o_share` of them), each
    with one occurrence (sentence index, position) for the encoder panel; only words in `table`
    (exact or lower-cased), so the embedding panels show real vectors."""
    import numpy as np

    from xner.data.tags import split_tag

    by_type: dict[str, list[tuple[str, int, int]]] = {}
    seen: set[str] = set()
    for si, sent in enumerate(sentences):
        for ti, (tok, tag) in enumerate(zip(sent.tokens, sent.tags)):
            if tok in seen or not (tok in table.index or tok.lower() in table.index) or not any(c.isalpha() for c in tok):
                continue
            seen.add(tok)
            etype = "O" if tag == "O" else split_tag(tag)[1]
            by_type.setdefault(etype, []).append((tok, si, ti))
    rng = np.random.default_rng(seed)
    n_o = int(round(n * o_share))
    types = sorted(t for t in by_type if t != "O")
    quota = {t: (n - n_o) // max(1, len(types)) for t in types}
    quota["O"] = n_o
    # types with too few words give their share to the others
    spare = sum(max(0, quota[t] - len(by_type.get(t, []))) for t in quota)
    for t in sorted(types, key=lambda t: -len(by_type[t])):
        extra = min(spare, len(by_type[t]) - quota[t]) if len(by_type[t]) > quota[t] else 0
        quota[t] += extra
        spare -= extra
    out = []
    for etype, quota_n in quota.items():
        pool = by_type.get(etype, [])
        take = rng.choice(len(pool), size=min(quota_n, len(pool)), replace=False) if pool else []
        for k in sorted(int(i) for i in take):
            tok, si, ti = pool[k]
            out.append({"lang": lang, "word": tok, "entity": etype, "sentence": si, "position": ti})
    return out


def _rows_of(table, words: list[str]):
    import numpy as np

    idx = [table.index[w] if w in table.index else table.index[w.lower()] for w in words]
    return np.asarray(table.vectors[idx], dtype=np.float32)  # (n, D)


def encoder_features(module, sentences, picks: list[dict], lang: str):
    """Word-BiLSTM outputs of `module` (a Tagger) at the picked (sentence, position) tokens. (n, 2H)"""
    import numpy as np
    import torch

    from xner.model.batching import make_batch

    order = sorted({p["sentence"] for p in picks})
    feats = []
    module.eval()
    with torch.no_grad():
        for start in range(0, len(order), 64):
            chunk = order[start : start + 64]
            batch = make_batch([sentences[s] for s in chunk], lang, module.vocab, module.device, with_tags=False)
            feats.append((chunk, module.features(batch).cpu().numpy()))  # (B, T, 2H)
    table = {}
    for chunk, f in feats:
        for i, s in enumerate(chunk):
            table[s] = f[i]
    return np.stack([table[p["sentence"]][p["position"]] for p in picks]).astype(np.float32)


def fig3_data(base_grid=None, lang: str = "es", seed: int = 1, mode: str = "src-dev", n_words: int = 1000,
              train_missing: bool = False, echo=print, budget: str | None = None) -> list[dict]:
    """t-SNE coordinates of `n_words` NER-tagged words (half English, half `lang`) in three spaces.

    Words and their types come from each language's dev split (the target's gold tags are read to
    colour the points: analysis only). (a) the monolingual tables, each normalised alone; (b) the two
    tables in the shared space of the alignment the experiments use; (c) the encoder theta_s of the
    trained Cross-Augmented model (the encoder both languages go through), at one occurrence per word.
    """
    import numpy as np

    from xner.data.registry import load_split
    from xner.embeddings.io import load_embeddings
    from xner.experiments.grid import base_cells, expand, make_cell
    from xner.transfer.config import CROSS_AUGMENTED, SOURCE_LANG
    from xner.transfer.spaces import MONO_NORMALIZE, shared_space

    grid = figure_grid(base_grid, langs=[lang], variants=[CROSS_AUGMENTED], seed=seed, mode=mode, budget=budget)
    ensure_trained(grid, train_missing, echo)
    cells = expand(grid)
    cell = make_cell(grid, lang, CROSS_AUGMENTED, seed)
    bases = base_cells(cell, cells)
    model, base_variant = load_augmented_tagger(cell, bases, mode)
    max_vocab = cell.config.budget.max_vocab
    space = shared_space(lang, cell.config.space, max_vocab)  # the tables the model was trained with

    half = n_words // 2
    picks: list[dict] = []
    dev: dict[str, list] = {}
    for k, code in enumerate((SOURCE_LANG, lang)):
        dev[code] = load_split(code, "dev")  # English dev; target dev read for colours only (analysis)
        picks += sample_tagged_words(dev[code], code, space.tables[code], half if k == 0 else n_words - half, seed + k)
    rows: list[dict] = []
    mono_tables = {code: load_embeddings(code, max_vocab).normalized(MONO_NORMALIZE) for code in (SOURCE_LANG, lang)}
    panels = {}
    for panel, tables in (("mono", mono_tables), ("mapped", space.tables)):
        panels[panel] = np.concatenate([_rows_of(tables[code], [p["word"] for p in picks if p["lang"] == code])
                                        for code in (SOURCE_LANG, lang)])
    panels["encoder"] = np.concatenate([
        encoder_features(model.source, dev[code], [p for p in picks if p["lang"] == code], code)
        for code in (SOURCE_LANG, lang)
    ])
    ordered = [p for code in (SOURCE_LANG, lang) for p in picks if p["lang"] == code]
    stats = {panel: neighbourhood_stats(matrix, [p["lang"] for p in ordered], [p["entity"] for p in ordered])
             for panel, matrix in panels.items()}
    for panel, matrix in panels.items():
        echo(f"fig3: t-SNE of {len(matrix)} points, panel {panel}")
        xy = tsne_2d(matrix, seed)
        for p, (x, y) in zip(ordered, xy):
            rows.append({"panel": panel, "lang": p["lang"], "word": p["word"], "entity": p["entity"],
                         "x": float(x), "y": float(y), "model": cell.name, "encoder_base": base_variant,
                         "mapping": _mapping_name(cell), "result": str(cell.result_path)})
    return rows, stats


def neighbourhood_stats(matrix, langs: Sequence[str], types: Sequence[str], k: int = 10) -> dict:
    """In the panel's own space (cosine, before t-SNE): of each point's k nearest neighbours, the share from the
    other language and the share with the same entity type (entity words only; chance levels given too)."""
    import numpy as np

    x = np.asarray(matrix, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)  # (N, D)
    sim = x @ x.T  # (N, N); N = 1000
    np.fill_diagonal(sim, -np.inf)
    nn = np.argsort(-sim, axis=1)[:, :k]  # (N, k)
    langs_a, types_a = np.asarray(langs), np.asarray(types)
    other_lang = (langs_a[nn] != langs_a[:, None]).mean()
    ent = types_a != "O"
    same_type = (types_a[nn][ent] == types_a[ent][:, None]).mean() if ent.any() else float("nan")
    _, counts = np.unique(types_a[ent], return_counts=True)
    _, lang_counts = np.unique(langs_a, return_counts=True)
    return {
        "k": k,
        "other_language_share": round(float(other_lang), 4),
        "other_language_chance": round(float(1 - ((lang_counts / lang_counts.sum()) ** 2).sum()), 4),
        "same_type_share_entity_words": round(float(same_type), 4),
        "same_type_chance": round(float(((counts / len(types_a)) ** 2).sum() / (counts.sum() / len(types_a))), 4),
    }


# --------------------------------------------------------------------------- align curve data

def _p1(entry: dict, method: str) -> float | None:
    """P@1 of `method` ("csls_knn_10" or "nn") if the log entry carries an evaluation."""
    for holder in (entry, entry.get("evaluation") or {}, entry.get("eval") or {}):
        value = holder.get(method)
        if isinstance(value, dict) and value.get("P@1") is not None:
            return float(value["P@1"])
    return None


def align_curve_data(align_root: str | Path = "runs/align", pairs: Sequence[str] | None = None) -> list[dict]:
    """Criterion (and P@1 where logged) per adversarial epoch / refinement or self-learning iteration from
    `log.jsonl` files.

    The kept W is the step with the best criterion (the pipeline's own selection rule), marked `selected`.
    The final P@1 of the kept W (from the `evaluation` entry) goes on every row as `final_p1_csls`.
    """
    align_root = Path(align_root)
    folders = sorted(p for p in align_root.glob("en-*") if (p / "log.jsonl").is_file())
    if pairs:
        folders = [f for f in folders if f.name in pairs]
    else:  # reference runs (en-es.supervised, en-es.identical, ...) only when asked for by name
        folders = [f for f in folders if "." not in f.name]
    if not folders:
        raise XnerError("no alignment logs (en-XX/log.jsonl); run `xner align` first", align_root)
    rows: list[dict] = []
    for folder in folders:
        entries = []
        for lineno, line in enumerate((folder / "log.jsonl").read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise XnerError(f"bad JSON line: {err.msg}", folder / "log.jsonl", lineno) from None
        final = next((e for e in reversed(entries) if e.get("stage") == "evaluation"), {})
        baseline = next((e for e in entries if e.get("stage") == "baseline"), {})
        null = baseline.get("null_criterion", baseline.get("random_rotation_criterion"))
        steps = []
        for e in entries:
            stage = e.get("stage")
            if stage == "adversarial":
                steps.append(("adversarial", e.get("try", 0), int(e["epoch"]) + 1, e))
            elif stage == "init":
                steps.append(("init", e.get("try", 0), 0, e))
            elif stage in ("refinement", "self-learning") and "criterion" in e:
                steps.append((stage, e.get("try", 0), int(e["iteration"]) + 1, e))
        scored = [s for s in steps if s[3].get("criterion") is not None]
        best = max(scored, key=lambda s: s[3]["criterion"]) if scored else None
        for phase, try_no, step, e in steps:
            rows.append({
                "pair": folder.name,
                "try": try_no,
                "phase": phase,
                "step": step,
                "criterion": e.get("criterion"),
                # self-learning logs P@1 on the test pairs inside its vocabulary cutoff (logging only)
                "p1_csls": _p1(e, "csls_knn_10") if phase != "self-learning" else e.get("test_p1_csls_cutoff"),
                "p1_nn": _p1(e, "nn"),
                "dictionary_pairs": e.get("dictionary"),
                "selected": best is not None and (phase, try_no, step) == best[:3],
                "final_p1_csls": _p1(final, "csls_knn_10"),
                "final_p1_nn": _p1(final, "nn"),
                "null_criterion": null,
                "collapse_below": baseline.get("collapse_below"),
                "source": str(folder / "log.jsonl"),
            })
    return rows
