"""The `tgt-unlab` selection mode (ours, issue 18): label-free, yet looking at the target language.

With `src-dev` (English dev F1) Cross-Augmented never selected an augmented model: English dev peaks
before the first pseudo-label update, whatever happens on the target side. `tgt-unlab` scores each
evaluation on held-out *unlabelled* target sentences (the last `augment.unlab_holdout` sentences of the
unlabelled text, at most a quarter of it, kept out of pseudo-labelling), by `augment.unlab_criterion`:

- "confidence": mean over the tokens of theta_t's CRF marginal of its own Viterbi tag (how sure the final
  tagger is on target text);
- "agreement": span F1 of theta_t's Viterbi tags against theta_s's (theta_s, trained on English
  throughout, as a reference that does not drift with the pseudo-labels). With the default copied scorer
  (`target_scorer_init="copy"`) theta_t starts as theta_s, so the initial evaluation scores 100;
- "entity-rate": 100 - 100 * |r_t / r_en - 1| (at least 0), r_t = theta_t's entity-token share on the
  held-out sentences, r_en = the English training labels' share: self-training that teaches the tagger to
  miss entities (pseudo-label recall is far below precision, results/pseudo_labels.md) drifts from it.

The score goes in the log as an eval set named `tgt-unlab` with its value as "f1" (so the loop keeps its
best checkpoint and early stopping counts it like any other set); precision/recall are set for
"agreement" only. Nothing here reads a target label: the sentences come from `load_unlabeled`.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from xner.data.conll import Sentence
from xner.errors import XnerError
from xner.transfer.soft_labels import teacher_view

UNLAB_SET = "tgt-unlab"  # the eval-set name of the mode (= its name, MODE_EVAL_SET)
MAX_HOLDOUT_SHARE = 4  # at most 1/4 of the unlabelled sentences are held out


def holdout_split(sentences: Sequence[Sentence], size: int) -> tuple[list[Sentence], list[Sentence]]:
    """(sentences left for pseudo-labelling, the held-out last ones): `size`, at most a quarter of them."""
    k = min(size, len(sentences) // MAX_HOLDOUT_SHARE)
    if k < 1:
        raise XnerError(f"tgt-unlab needs held-out unlabelled target sentences; {len(sentences)} are too few")
    return list(sentences[:-k]), list(sentences[-k:])


def entity_token_share(tag_seqs: Sequence[Sequence[str]]) -> float:
    """Share of tokens with a tag other than O (any scheme)."""
    tokens = sum(len(t) for t in tag_seqs)
    return sum(tag != "O" for seq in tag_seqs for tag in seq) / max(1, tokens)


def unlabelled_scorer(model, sentences: Sequence[Sentence], lang: str, criterion: str, source_entity_share: float,
                      batch_size: int) -> Callable[[], dict]:
    """`score()` -> span-score-like dict {"precision", "recall", "f1", "per_type"} of `criterion` for the
    current weights of `model` (an `AugmentedTagger`) on the held-out `sentences` (tokens only)."""
    from xner.model.batching import EncodedCorpus
    from xner.model.predictor import fast_span_scores, ids_to_iob2

    corpus = EncodedCorpus([s for s in sentences if len(s)], lang, model.vocab, with_tags=False)
    tags = model.vocab.tags
    o_id = tags.tags.index("O")

    def paths(view) -> list[list[int]]:
        return [view.viterbi[s : s + n].tolist() for s, n in zip(corpus.starts, corpus.lengths)]

    def score() -> dict:
        view = teacher_view(model, corpus, batch_size)  # theta_t, the final tagger
        precision = recall = None
        if criterion == "confidence":
            value = 100.0 * float(view.confidence().mean())
        elif criterion == "agreement":
            reference = teacher_view(model.source, corpus, batch_size)
            spans = fast_span_scores(ids_to_iob2(tags, paths(reference)), ids_to_iob2(tags, paths(view)))
            value, precision, recall = spans["f1"], spans["precision"], spans["recall"]
        elif criterion == "entity-rate":
            share = float((view.viterbi != o_id).mean())
            value = max(0.0, 100.0 - 100.0 * abs(share / max(source_entity_share, 1e-9) - 1.0))
        else:
            raise XnerError(f"unknown tgt-unlab criterion {criterion!r}")
        return {"precision": precision, "recall": recall, "f1": float(np.round(value, 4)), "per_type": {}}

    return score
