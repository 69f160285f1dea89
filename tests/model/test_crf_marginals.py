"""CRF tag marginals (forward-backward) against brute-force enumeration of every tag path."""

from __future__ import annotations

import itertools

import pytest
import torch

from xner.model.crf import CRF, marginals


def enumerated_marginals(crf: CRF, emissions: torch.Tensor, length: int, temperature: float) -> torch.Tensor:
    """p(y_t = j) of one sequence by summing the probabilities of all n^length paths: (length, n)."""
    n = emissions.shape[-1]
    paths = list(itertools.product(range(n), repeat=length))

    def score(path):
        s = sum(emissions[t, path[t]] for t in range(length))
        s = s + sum(crf.transitions[path[t - 1], path[t]] for t in range(1, length))
        if crf.start is not None:
            s = s + crf.start[path[0]] + crf.end[path[-1]]
        return s / temperature

    probs = torch.softmax(torch.stack([score(p) for p in paths]), 0)
    out = torch.zeros(length, n)
    for p, path in zip(probs, paths):
        for t, tag in enumerate(path):
            out[t, tag] += p
    return out


@pytest.mark.parametrize("boundary,temperature", [(True, 1.0), (False, 1.0), (True, 2.5)])
def test_marginals_match_enumeration(boundary, temperature):
    torch.manual_seed(1)
    n_tags, width = 3, 4
    crf = CRF(n_tags, boundary=boundary)
    with torch.no_grad():
        crf.transitions.normal_(0, 1)
        if boundary:
            crf.start.normal_(0, 1)
            crf.end.normal_(0, 1)
    lengths = torch.tensor([4, 1, 3, 2])
    emissions = torch.randn(len(lengths), width, n_tags) * 2  # (B, T, n)
    mask = torch.arange(width)[None, :] < lengths[:, None]
    got = marginals(crf, emissions, mask, temperature)  # (B, T, n)
    for b, length in enumerate(lengths.tolist()):
        ref = enumerated_marginals(crf, emissions[b], length, temperature)
        assert torch.allclose(got[b, :length], ref, atol=1e-5)
        assert torch.all(got[b, length:] == 0)  # padding rows are zero


def test_marginals_are_differentiable():
    torch.manual_seed(2)
    crf = CRF(4)
    emissions = torch.randn(2, 3, 4, requires_grad=True)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    marginals(crf, emissions, mask)[:, :, 0].sum().backward()
    assert emissions.grad is not None and emissions.grad.abs().sum() > 0
    assert crf.transitions.grad is not None
