"""The teacher's view of unlabelled target text: CRF tag marginals (issue 18, beyond the paper).

Teacher-student transfer (Wu et al. 2020, "Single-/Multi-Source Cross-Lingual NER via Teacher-Student
Learning on Unlabeled Data in Target Language") trains the student on the teacher's per-token label
distribution instead of its argmax; with a CRF tagger that distribution is the forward-backward marginal
(`xner.model.crf.marginals`). The same marginals give the teacher's confidence in each Viterbi tag, which
`xner.transfer.pseudo_labels` uses to select pseudo-labelled sentences.

Input is target text only (an `EncodedCorpus` built with `with_tags=False`); nothing here reads a label.
Marginals are kept flat, one row per token in corpus order (`corpus.starts` / `corpus.lengths` index them),
so a round's soft labels are one array that a checkpoint stores and a batch gathers from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from xner.model.crf import marginals


@dataclass
class TeacherView:
    """Per token of a corpus (flat, corpus order): marginals (N_tokens, n_tags) and the Viterbi tag ids."""

    probs: np.ndarray  # (N_tokens, n_tags) float32
    viterbi: np.ndarray  # (N_tokens,) int64

    def confidence(self) -> np.ndarray:
        """(N_tokens,) the teacher's marginal probability of its own Viterbi tag."""
        return self.probs[np.arange(len(self.viterbi)), self.viterbi]


def _scorer(model):
    """(batch -> emissions, CRF) of a `Tagger`, or of theta_t for an `AugmentedTagger` (the final tagger)."""
    if hasattr(model, "target_emissions"):
        return model.target_emissions, model.target.crf
    return (lambda batch: model.emissions(model.features(batch))), model.crf


@torch.no_grad()
def teacher_view(model, corpus, batch_size: int, temperature: float = 1.0) -> TeacherView:
    """Marginals (at `temperature`) and Viterbi tags of `model` (a `Tagger` or an `AugmentedTagger`, in eval
    mode for the pass) on every sentence of `corpus`."""
    emit, crf = _scorer(model)
    n_tags = len(model.vocab.tags)
    total = int(corpus.lengths.sum())
    probs = np.zeros((total, n_tags), dtype=np.float32)
    viterbi = np.zeros(total, dtype=np.int64)
    was_training = model.training
    model.eval()
    try:
        for batch in corpus.batches_in_order(batch_size, model.device):
            emissions = emit(batch)  # (B, T, n)
            p = marginals(crf, emissions, batch.mask, temperature).float().cpu().numpy()  # (B, T, n)
            paths = crf.decode(emissions, batch.mask)
            for row, (i, path) in enumerate(zip(batch.indices.tolist(), paths)):
                start, length = int(corpus.starts[i]), int(corpus.lengths[i])
                probs[start : start + length] = p[row, :length]
                viterbi[start : start + length] = path
    finally:
        if was_training:
            model.train()
    return TeacherView(probs, viterbi)


def slice_sentences(flat: np.ndarray, starts: np.ndarray, lengths: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The rows of sentences `keep` (in that order), flat again: what a corpus of just those sentences indexes."""
    if len(keep) == 0:
        return flat[:0]
    return np.concatenate([flat[starts[i] : starts[i] + lengths[i]] for i in keep])


def gather_batch(flat: torch.Tensor, corpus, batch) -> torch.Tensor:
    """(B, T, n) rows of `flat` (corpus-order tokens x n) for `batch` of `corpus`; zeros on padding."""
    lengths = corpus.lengths[batch.indices]  # (B,)
    width = int(lengths.max())
    steps = np.arange(width)
    mask = steps[None, :] < lengths[:, None]  # (B, T)
    pos = np.where(mask, corpus.starts[batch.indices][:, None] + steps[None, :], 0)  # (B, T)
    out = flat[torch.from_numpy(pos)].float() * torch.from_numpy(mask)[:, :, None]
    return out.to(batch.mask.device)
