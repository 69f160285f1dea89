"""Prediction, evaluation and raw-text tagging on top of a `Tagger`.

- `predict(model, token_lists, lang=None)` -> IOB2 tags per sentence (large sorted batches, no_grad);
- `evaluate(model, sentences, lang)` -> `xner.metrics.span_scores` dict (P/R/F1 micro and per type);
  `oov_breakdown=True` adds F1 on sentences with / without embedding-OOV words and the recall of gold
  entities that contain an OOV word vs. those that do not (evidence for weak-embedding gaps);
- `tokenize(text)` (from `xner.data.tokenize`) -> normalised tokens with character offsets;
  `Predictor(model).tag(text)` -> entity spans.

`fast=True` (the default everywhere) is the inference path that reuses work: for a `Tagger` frozen on
the CPU, `Tagger.decode_tokens` (the word BiLSTM's input projection cached per word type, recurrence
and dense layers in numpy; an evaluation during training uses it too, with empty caches after each
weight change), numpy Viterbi for small batches, IOB2 conversion by a pair table, and span scoring
with `get_entities` (seqeval's rules, inlined). Other models (Cross-Augmented) get lean batches
(`inference_batch`) whose char features come from the tagger's word-type cache. `fast=False` is the
earlier path (`EncodedCorpus` batches, char BiLSTM on every batch, torch Viterbi, per-sentence scheme
conversion), kept so that `benchmarks/bench_tagger.py` and `benchmarks/bench_serve.py` measure both in
one run; both give the same tags (tested on real data) and the same selected training step (tested).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import torch

from xner.data.conll import Sentence
from xner.data.tokenize import Token, tokenize  # raw-text tokenisation lives with the data stage
from xner.model.batching import EncodedCorpus, inference_batch
from xner.model.tagger import Tagger
from xner.model.vocab import TagVocab

def get_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """seqeval's `get_entities(tags)` (conlleval mode, no suffix), the same chunks in the same order, about
    10x faster: seqeval calls two rule functions per token, ~2 s per side on English dev at every
    evaluation. The rules are seqeval's `end_of_chunk` / `start_of_chunk`, inlined; an "O" after an O-tag
    fires neither, so it is skipped (tested against seqeval on random and malformed sequences)."""
    chunks = []
    prev_tag, prev_type, begin = "O", "", 0
    for i, chunk in enumerate(list(tags) + ["O"]):
        if chunk == "O" and prev_tag == "O":
            prev_type = "_"
            continue
        tag = chunk[0]
        type_ = chunk[1:].split("-", maxsplit=1)[-1] or "_"
        if (prev_tag in ("E", "S") or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
                or (prev_tag != "O" and prev_tag != "." and prev_type != type_)):
            chunks.append((prev_type, begin, i - 1))
        if (tag in ("B", "S") or (prev_tag in ("E", "S", "O") and tag in ("E", "I"))
                or (tag != "O" and tag != "." and prev_type != type_)):
            begin = i
        prev_tag, prev_type = tag, type_
    return chunks


def fast_span_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Same numbers and layout as `xner.metrics.span_scores` (seqeval's conlleval-mode entities), computed
    from one `get_entities` pass per side: seqeval's `classification_report` takes ~6 s on English dev,
    which would dominate evaluation every 150 batches."""
    from collections import Counter

    from xner.metrics import to_iob2

    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    true_ents = {(t, i, a, b) for i, tags in enumerate(to_iob2(gold)) for t, a, b in get_entities(tags)}
    pred_ents = {(t, i, a, b) for i, tags in enumerate(to_iob2(pred)) for t, a, b in get_entities(tags)}
    n_true, n_pred = Counter(e[0] for e in true_ents), Counter(e[0] for e in pred_ents)
    n_hit = Counter(e[0] for e in true_ents & pred_ents)

    def prf(hit: int, n_p: int, n_t: int) -> tuple[float, float, float]:
        p = hit / n_p if n_p else 0.0
        r = hit / n_t if n_t else 0.0
        return 100 * p, 100 * r, (200 * p * r / (p + r) if p + r else 0.0)

    per_type = {}
    for typ in sorted(set(n_true) | set(n_pred)):
        p, r, f = prf(n_hit[typ], n_pred[typ], n_true[typ])
        per_type[typ] = {"precision": p, "recall": r, "f1": f, "support": n_true[typ]}
    p, r, f = prf(sum(n_hit.values()), len(pred_ents), len(true_ents))
    return {"precision": p, "recall": r, "f1": f, "per_type": per_type}


def predict_ids(
    model: Tagger, token_lists: Sequence[Sequence[str]], lang: str | None = None, batch_size: int = 256,
    corpus: EncodedCorpus | None = None, fast: bool = True,
) -> list[list[int]]:
    """Viterbi tag ids per sentence; empty sentences give []. `corpus`: these sentences already encoded
    (none empty), e.g. a dev set scored at every evaluation step. Batches are sorted by length (longest
    first, stable), so padding stays small; `fast`: see the module docstring."""
    lang = lang or model.default_lang
    keep = [i for i, toks in enumerate(token_lists) if len(toks) > 0]
    out: list[list[int]] = [[] for _ in token_lists]
    if not keep:
        return out
    if corpus is not None and len(corpus) != len(keep):
        raise ValueError("the encoded corpus does not match the sentences")
    if corpus is None and not fast:
        sentences = [Sentence(tuple(token_lists[i]), ("O",) * len(token_lists[i])) for i in keep]
        corpus = EncodedCorpus(sentences, lang, model.vocab, with_tags=False)
    old = {"fast": False} if not fast and isinstance(model, Tagger) else {}
    was_training = model.training
    if was_training:  # eval() and train() walk the module tree: skip both when already in eval mode
        model.eval()
    try:
        with torch.no_grad():
            if fast and isinstance(model, Tagger) and model.fast_tokens_path():
                order = sorted(keep, key=lambda i: -len(token_lists[i]))  # stable, as batches_in_order
                for start in range(0, len(order), batch_size):
                    chunk = order[start : start + batch_size]
                    for i, path in zip(chunk, model.decode_tokens([token_lists[i] for i in chunk], lang)):
                        out[i] = path
            elif corpus is not None:
                for batch in corpus.batches_in_order(batch_size, model.device):
                    for pos, path in zip(batch.indices, model.decode(batch, **old)):
                        out[keep[pos]] = path
            else:
                order = sorted(keep, key=lambda i: -len(token_lists[i]))  # stable, as batches_in_order
                device = model.device
                for start in range(0, len(order), batch_size):
                    chunk = order[start : start + batch_size]
                    batch = inference_batch([token_lists[i] for i in chunk], lang, model.vocab, device)
                    for i, path in zip(chunk, model.decode(batch)):
                        out[i] = path
    finally:
        if was_training:
            model.train()
    return out


@lru_cache(maxsize=32)
def _iob2_table(tags: tuple[str, ...], scheme: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """IOB2 tag of a predicted id given the previous id: `TagVocab.decode_iob2` is exactly such a pair
    function (S->B and E->I, then an I- that starts an entity becomes B-, which depends only on the type
    and O-ness of the previous input tag), so one table lookup per token replaces the conversion."""
    vocab = TagVocab(list(tags), scheme)
    ids = range(len(tags))
    first = tuple(vocab.decode_iob2([c])[0] for c in ids)
    after = tuple(tuple(vocab.decode_iob2([p, c])[1] for c in ids) for p in ids)
    return first, after


def ids_to_iob2(tags: TagVocab, paths: Sequence[Sequence[int]]) -> list[list[str]]:
    """Tag-id paths -> IOB2 tag lists, equal to `[tags.decode_iob2(p) for p in paths]`."""
    first, after = _iob2_table(tuple(tags.tags), tags.scheme)
    return [[first[p[0]]] + [after[a][b] for a, b in zip(p, p[1:])] if p else [] for p in paths]


def predict(
    model: Tagger, token_lists: Sequence[Sequence[str]], lang: str | None = None, batch_size: int = 256,
    corpus: EncodedCorpus | None = None, fast: bool = True,
) -> list[list[str]]:
    """IOB2 tags per sentence."""
    paths = predict_ids(model, token_lists, lang, batch_size, corpus, fast)
    if fast:
        return ids_to_iob2(model.vocab.tags, paths)
    return [model.vocab.tags.decode_iob2(ids) for ids in paths]


def evaluate(
    model: Tagger, sentences: Sequence[Sentence], lang: str | None = None, batch_size: int = 256,
    oov_breakdown: bool = False, corpus: EncodedCorpus | None = None, fast: bool = True,
) -> dict:
    """CoNLL span scores (percent) of the model's IOB2 predictions against the gold tags."""
    lang = lang or model.default_lang
    pred = predict(model, [s.tokens for s in sentences], lang, batch_size, corpus, fast)
    gold = [list(s.tags) for s in sentences]
    scores = fast_span_scores(gold, pred)
    if oov_breakdown:
        scores["oov"] = _oov_breakdown(model, sentences, lang, gold, pred)
    return scores


def _oov_breakdown(model: Tagger, sentences: Sequence[Sentence], lang: str, gold: list, pred: list) -> dict:
    from xner.metrics import to_iob2

    corpus = EncodedCorpus(sentences, lang, model.vocab, with_tags=False)
    oov = corpus.oov_token_mask()  # (total_tokens,)
    gold2 = to_iob2(gold)
    has_oov = np.add.reduceat(oov, corpus.starts) > 0 if len(sentences) else np.zeros(0, bool)  # (N,)
    out: dict = {"token_oov_rate": 100 * float(oov.mean()) if len(oov) else 0.0}
    for name, sel in (("sentences_with_oov", has_oov), ("sentences_without_oov", ~has_oov)):
        idx = np.flatnonzero(sel)
        sub = fast_span_scores([gold2[i] for i in idx], [pred[i] for i in idx]) if len(idx) else None
        out[name] = {"sentences": int(len(idx)), "f1": sub["f1"] if sub else None,
                     "precision": sub["precision"] if sub else None, "recall": sub["recall"] if sub else None}
    found = {"with_oov": [0, 0], "without_oov": [0, 0]}  # [recalled, total]
    for i, (g, p) in enumerate(zip(gold2, pred)):
        predicted = set(get_entities(p))
        start = corpus.starts[i]
        for ent in get_entities(g):
            key = "with_oov" if oov[start + ent[1] : start + ent[2] + 1].any() else "without_oov"
            found[key][0] += ent in predicted
            found[key][1] += 1
    for key, (hit, total) in found.items():
        out[f"entities_{key}"] = {"entities": total, "recall": 100 * hit / total if total else None}
    return out


class Predictor:
    """What `xner.load(path)` returns: a trained tagger ready for `predict` and `tag`.

    `fast=False` selects the old inference path (for benchmarks; same tags, see the module docstring)."""

    def __init__(self, model: Tagger, batch_size: int = 256, fast: bool = True):
        self.model = model
        self.batch_size = batch_size
        self.fast = fast
        model.eval()

    @property
    def config(self):
        return self.model.config

    @property
    def default_lang(self) -> str:
        return self.model.default_lang

    def predict(self, token_lists: Sequence[Sequence[str]], lang: str | None = None) -> list[list[str]]:
        return predict(self.model, token_lists, lang, self.batch_size, fast=self.fast)

    def evaluate(self, sentences: Sequence[Sentence], lang: str | None = None, oov_breakdown: bool = False) -> dict:
        return evaluate(self.model, sentences, lang, self.batch_size, oov_breakdown, fast=self.fast)

    def tag_tokens(self, text: str, lang: str | None = None) -> list[list[tuple[Token, str]]]:
        """Each non-empty line of `text` as one sentence: (token, IOB2 tag) pairs with offsets into `text`."""
        lines, offset = [], 0
        for line in text.splitlines(keepends=True):
            lines.append(tokenize(line, offset))
            offset += len(line)
        lines = [toks for toks in lines if toks]
        tags = self.predict([[t.text for t in toks] for toks in lines], lang)
        return [list(zip(toks, tg)) for toks, tg in zip(lines, tags)]

    def tag(self, text: str, lang: str | None = None) -> list[dict]:
        """Entity spans of raw text: [{"start", "end", "type", "text"}], offsets into `text`."""
        spans = []
        for sentence in self.tag_tokens(text, lang):
            tokens = [tok for tok, _ in sentence]
            for typ, first, last in get_entities([tag for _, tag in sentence]):
                start, end = tokens[first].start, tokens[last].end
                spans.append({"start": start, "end": end, "type": typ, "text": text[start:end]})
        return spans
