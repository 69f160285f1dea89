"""The computations behind the figures: length bins (Fig. 2), word samples, encoder features, t-SNE and
neighbourhoods (Fig. 3), and the alignment logs read into curve rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

from xner.errors import XnerError

# Sentence-length bins of Fig. 2: (low, high) inclusive; the last is open (ours).
LENGTH_BINS: tuple[tuple[int, int | None], ...] = (
    (1, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, 40), (41, 50), (51, 60), (61, 80), (81, 100), (101, 150), (151, None),
)


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


def tsne_2d(matrix, seed: int = 1, max_iter: int = 1000):
    """2-d t-SNE of the rows (scikit-learn, PCA init, fixed seed)."""
    import numpy as np
    from sklearn.manifold import TSNE

    matrix = np.asarray(matrix, dtype=np.float64)  # (N, D)
    perplexity = min(30.0, max(2.0, (len(matrix) - 1) / 3))
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max_iter).fit_transform(matrix)


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


def rows_of(table, words: list[str]):
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
