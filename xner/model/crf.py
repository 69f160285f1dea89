"""Linear-chain CRF (paper eq. 1-2): log-likelihood by the forward algorithm, Viterbi decoding.

Vectorised over the batch and the tag set; the only Python loop is over time steps, which the
recursions need. Masks are left-aligned (every sequence starts at position 0, length >= 1).
`decode` runs Viterbi in numpy on the CPU for small batches (a numpy op on a (B, n, n) array costs a
few microseconds, a torch op several times that, and one sentence needs ~4 per token) and in torch ops
(`decode_torch`, also the "old path" of `xner.model.predictor`) for batches over
`NUMPY_VITERBI_MAX_BATCH`, where torch's one-pass max over the tag axis wins. Both give the same paths
(same float32 sums; ties go to the lowest tag id in both; tested).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

NUMPY_VITERBI_MAX_BATCH = 16  # (ours) about where torch became faster on the 2-core machine


class CRF(nn.Module):
    """Transition scores A[i, j] (tag i followed by tag j); optional start/end scores (`boundary`)."""

    def __init__(self, n_tags: int, boundary: bool = True):
        super().__init__()
        self.n_tags = n_tags
        self.transitions = nn.Parameter(torch.empty(n_tags, n_tags).uniform_(-0.1, 0.1))  # (from, to)
        if boundary:
            self.start = nn.Parameter(torch.empty(n_tags).uniform_(-0.1, 0.1))
            self.end = nn.Parameter(torch.empty(n_tags).uniform_(-0.1, 0.1))
        else:
            self.register_parameter("start", None)
            self.register_parameter("end", None)

    def _numpy_scores(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """float32 numpy copies of transitions (transposed: [to, from]), start, end; rebuilt when any changes."""
        params = [p for p in (self.transitions, self.start, self.end) if p is not None]
        key = tuple((p.data_ptr(), p._version) for p in params)
        if self.__dict__.get("_numpy_key") != key:
            arrays = [p.detach().float().cpu().numpy().copy() for p in params] + [None, None]
            arrays[0] = np.ascontiguousarray(arrays[0].T)
            self.__dict__["_numpy"] = (arrays[0], arrays[1], arrays[2])
            self.__dict__["_numpy_key"] = key
        return self.__dict__["_numpy"]

    def _start(self, emissions: torch.Tensor) -> torch.Tensor:
        return emissions if self.start is None else emissions + self.start  # (B, n)

    def _end(self, scores: torch.Tensor) -> torch.Tensor:
        return scores if self.end is None else scores + self.end  # (B, n)

    def gold_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Score of the given tag paths: emissions (B, T, n), tags (B, T), mask (B, T) -> (B,)."""
        maskf = mask.to(emissions.dtype)  # (B, T)
        emit = emissions.gather(2, tags[:, :, None]).squeeze(2)  # (B, T)
        score = (emit * maskf).sum(1)  # (B,)
        trans = self.transitions[tags[:, :-1], tags[:, 1:]]  # (B, T-1)
        score = score + (trans * maskf[:, 1:]).sum(1)
        if self.start is not None:
            last = mask.sum(1) - 1  # (B,)
            last_tags = tags.gather(1, last[:, None]).squeeze(1)  # (B,)
            score = score + self.start[tags[:, 0]] + self.end[last_tags]
        return score

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z by the forward algorithm: (B, T, n), (B, T) -> (B,)."""
        alpha = self._start(emissions[:, 0])  # (B, n)
        trans = self.transitions[None]  # (1, n, n)
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha[:, :, None] + trans, dim=1) + emissions[:, t]  # (B, n)
            alpha = torch.where(mask[:, t, None], step, alpha)
        return torch.logsumexp(self._end(alpha), dim=1)  # (B,)

    def log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log p(tags | x) per sequence (B,)."""
        return self.gold_score(emissions, tags, mask) - self.log_partition(emissions, mask)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        """Negative log-likelihood, averaged (or summed) over the batch."""
        nll = -self.log_likelihood(emissions, tags, mask)  # (B,)
        return nll.mean() if reduction == "mean" else nll.sum()

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """Viterbi: best tag path of each sequence, as lists cut to each length."""
        if emissions.shape[0] > NUMPY_VITERBI_MAX_BATCH:
            return self.decode_torch(emissions, mask)
        em = emissions.detach().float().cpu().numpy()  # (B, T, n)
        lengths = mask.sum(1).cpu().numpy()  # (B,)
        trans_to, start, end = self._numpy_scores()
        batch, width, n = em.shape
        score = em[:, 0] if start is None else em[:, 0] + start  # (B, n)
        padded = bool((lengths < width).any())
        back = np.empty((max(width - 1, 0), batch, n), dtype=np.int64)  # backpointers
        keep = np.broadcast_to(np.arange(n), (batch, n)) if padded else None  # on padding: stay
        for t in range(1, width):
            cand = score[:, None, :] + trans_to  # (B, n, n): [b, to j, from i], reduced over the last axis
            arg = cand.argmax(axis=2)  # (B, n)
            best = cand.max(axis=2) + em[:, t]  # (B, n)
            if padded:
                on = (t < lengths)[:, None]  # (B, 1)
                score = np.where(on, best, score)
                back[t - 1] = np.where(on, arg, keep)
            else:
                score, back[t - 1] = best, arg
        if end is not None:
            score = score + end
        current = score.argmax(axis=1)  # (B,)
        path = np.empty((batch, width), dtype=np.int64)
        path[:, width - 1] = current
        rows = np.arange(batch)
        for t in range(width - 2, -1, -1):
            current = back[t, rows, current]
            path[:, t] = current
        # Padding kept the tag fixed, so the final tag sits at every padded position; cut at each length.
        return [path[b, : lengths[b]].tolist() for b in range(batch)]

    @torch.no_grad()
    def decode_torch(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """The same Viterbi in torch ops (large batches, and the old path; see the module docstring)."""
        batch, width, n = emissions.shape
        score = self._start(emissions[:, 0])  # (B, n)
        trans = self.transitions[None]  # (1, n, n)
        keep = torch.arange(n, device=emissions.device).expand(batch, n)  # backpointer on padding: stay
        pointers = []
        for t in range(1, width):
            best, arg = (score[:, :, None] + trans).max(dim=1)  # (B, n), (B, n)
            on = mask[:, t, None]  # (B, 1)
            score = torch.where(on, best + emissions[:, t], score)
            pointers.append(torch.where(on, arg, keep))
        last = self._end(score).argmax(dim=1)  # (B,)
        # Backtrack on the CPU in numpy: T small gathers over the whole batch.
        lengths = mask.sum(1).cpu().numpy()
        path = np.empty((batch, width), dtype=np.int64)
        current = last.cpu().numpy()
        path[:, width - 1] = current
        if pointers:
            back = torch.stack(pointers, dim=0).cpu().numpy()  # (T-1, B, n)
            rows = np.arange(batch)
            for t in range(width - 2, -1, -1):
                current = back[t, rows, current]
                path[:, t] = current
        # Padding kept the tag fixed, so the final tag sits at every padded position; cut at each length.
        return [path[b, : lengths[b]].tolist() for b in range(batch)]


def marginals(crf: CRF, emissions: torch.Tensor, mask: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Per-token tag marginals p(y_t = j | x) by the forward-backward algorithm: (B, T, n), (B, T) -> (B, T, n).

    Differentiable (a student's marginals are trained towards a teacher's, `xner.transfer.soft_labels`);
    `temperature` divides every potential (emissions, transitions, start/end) before normalising, so T > 1
    flattens the distribution. Rows on padding are zero. Same masks as the rest of this module (left-aligned).
    """
    em = emissions / temperature  # (B, T, n)
    trans = (crf.transitions / temperature)[None]  # (1, n, n) [from, to]
    start = crf.start / temperature if crf.start is not None else torch.zeros_like(em[0, 0])
    end = crf.end / temperature if crf.end is not None else torch.zeros_like(em[0, 0])
    width = em.shape[1]
    alphas = [em[:, 0] + start]  # alpha_t(j): log-sum of the paths ending in j at t, emission of t included
    for t in range(1, width):
        step = torch.logsumexp(alphas[-1][:, :, None] + trans, dim=1) + em[:, t]  # (B, n)
        alphas.append(torch.where(mask[:, t, None], step, alphas[-1]))
    betas = [end.expand_as(alphas[0])]  # beta_t(i): log-sum of the continuations after t, end score included
    for t in range(width - 2, -1, -1):
        step = torch.logsumexp(trans + (em[:, t + 1] + betas[-1])[:, None, :], dim=2)  # (B, n)
        # t + 1 on padding: t is the last real token (or padding itself), so only the end score follows
        betas.append(torch.where(mask[:, t + 1, None], step, end.expand_as(step)))
    betas.reverse()
    alpha, beta = torch.stack(alphas, dim=1), torch.stack(betas, dim=1)  # (B, T, n)
    log_z = torch.logsumexp(alphas[-1] + end, dim=1)  # (B,)
    probs = torch.exp(alpha + beta - log_z[:, None, None])
    return probs * mask[:, :, None].to(probs.dtype)
