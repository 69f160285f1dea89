"""CRF log-likelihood, Viterbi and tag marginals (forward-backward) against brute-force enumeration of every tag path."""

from __future__ import annotations

import itertools

import pytest
import torch

from xner.model.crf import CRF, marginals


def brute_force(crf: CRF, emissions: torch.Tensor, length: int, temperature: float = 1.0):
    """All n^length paths of one sequence: (log Z, best path, score function, per-position tag marginals (length, n))."""
    n = emissions.shape[-1]

    def score(path):
        s = sum(emissions[t, path[t]] for t in range(length))
        s = s + sum(crf.transitions[path[t - 1], path[t]] for t in range(1, length))
        if crf.start is not None:
            s = s + crf.start[path[0]] + crf.end[path[-1]]
        return s

    paths = list(itertools.product(range(n), repeat=length))
    scores = torch.stack([score(p) for p in paths])
    probs = torch.softmax(scores / temperature, 0)
    tag_marginals = torch.zeros(length, n)
    for p, path in zip(probs, paths):
        for t, tag in enumerate(path):
            tag_marginals[t, tag] += p
    return torch.logsumexp(scores, 0), list(paths[int(scores.argmax())]), score, tag_marginals


def random_problem(seed: int, boundary: bool):
    """A CRF with well-separated scores and a padded batch of 4 sequences: (crf, lengths, emissions, mask)."""
    torch.manual_seed(seed)
    n_tags, width = 3, 4
    crf = CRF(n_tags, boundary=boundary)
    with torch.no_grad():  # larger scores than the init, so paths are well separated
        crf.transitions.normal_(0, 1)
        if boundary:
            crf.start.normal_(0, 1)
            crf.end.normal_(0, 1)
    lengths = torch.tensor([4, 1, 3, 2])
    emissions = torch.randn(len(lengths), width, n_tags) * 2  # (B, T, n)
    mask = torch.arange(width)[None, :] < lengths[:, None]  # (B, T)
    return crf, lengths, emissions, mask


@pytest.mark.parametrize("boundary", [True, False])
def test_log_likelihood_and_viterbi_match_enumeration(boundary):
    crf, lengths, emissions, mask = random_problem(0, boundary)
    tags = torch.randint(0, crf.transitions.shape[0], mask.shape) * mask  # (B, T)
    log_z = crf.log_partition(emissions, mask)
    log_lik = crf.log_likelihood(emissions, tags, mask)
    paths = crf.decode(emissions, mask)
    for b, length in enumerate(lengths.tolist()):
        ref_z, ref_best, score, _ = brute_force(crf, emissions[b], length)
        assert torch.allclose(log_z[b], ref_z, atol=1e-5)
        gold = tags[b, :length].tolist()
        assert torch.allclose(log_lik[b], score(gold) - ref_z, atol=1e-5)
        assert paths[b] == ref_best
        assert len(paths[b]) == length


@pytest.mark.parametrize("boundary,temperature", [(True, 1.0), (False, 1.0), (True, 2.5)])
def test_marginals_match_enumeration(boundary, temperature):
    crf, lengths, emissions, mask = random_problem(1, boundary)
    got = marginals(crf, emissions, mask, temperature)  # (B, T, n)
    for b, length in enumerate(lengths.tolist()):
        ref = brute_force(crf, emissions[b], length, temperature)[3]
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


def test_nll_gradient_flows_and_probabilities_sum_to_one():
    torch.manual_seed(1)
    crf = CRF(2)
    emissions = torch.randn(1, 3, 2, requires_grad=True)
    mask = torch.ones(1, 3, dtype=torch.bool)
    total = torch.logsumexp(
        torch.stack([crf.log_likelihood(emissions, torch.tensor([p]), mask)[0]
                     for p in itertools.product(range(2), repeat=3)]), 0)
    assert abs(float(total.detach())) < 1e-5  # log of the sum of all path probabilities = 0
    crf.nll(emissions, torch.zeros(1, 3, dtype=torch.long), mask).backward()
    assert emissions.grad is not None and crf.transitions.grad is not None


def test_numpy_viterbi_equals_torch_viterbi():
    torch.manual_seed(3)
    for boundary, integer in ((True, False), (False, False), (True, True)):
        crf = CRF(9, boundary=boundary)
        if integer:  # integer scores: many exact ties, which both must break the same way
            with torch.no_grad():
                for p in crf.parameters():
                    p.copy_(torch.randint(-2, 3, p.shape))
        for lengths in ([7, 1, 5, 7, 2], [6, 6, 6], [1], [4]):  # all at most NUMPY_VITERBI_MAX_BATCH
            lengths = torch.tensor(lengths)
            width = int(lengths.max())
            emissions = torch.randn(len(lengths), width, 9)
            if integer:
                emissions = emissions.round()
            mask = torch.arange(width)[None, :] < lengths[:, None]
            assert crf.decode(emissions, mask) == crf.decode_torch(emissions, mask)
