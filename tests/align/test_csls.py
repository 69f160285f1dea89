"""CSLS and NN retrieval in batches equal a dense computation on a small vocabulary."""

from __future__ import annotations

import numpy as np

from xner.align import csls
from xner.align.csls import csls_neighbourhoods, csls_search, nn_search, unit


def _dense_csls(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    sims = x @ y.T  # (Nx, Ny)
    r_x = np.sort(sims, axis=1)[:, -k:].mean(axis=1)
    r_y = np.sort(sims, axis=0)[-k:, :].mean(axis=0)
    return 2 * sims - r_x[:, None] - r_y[None, :]


def test_csls_batch_equals_dense(monkeypatch):
    rng = np.random.default_rng(0)
    x = unit(rng.standard_normal((300, 16)).astype(np.float32))
    y = unit(rng.standard_normal((250, 16)).astype(np.float32))
    monkeypatch.setattr(csls, "QUERY_BLOCK", 64)  # several blocks
    dense = _dense_csls(x, y, 10)
    r_x, r_y = csls_neighbourhoods(x, y, 10)
    np.testing.assert_allclose(r_x, np.sort(x @ y.T, axis=1)[:, -10:].mean(axis=1), atol=1e-5)
    scores, ids = csls_search(x, y, r_x, r_y, k=3)
    np.testing.assert_array_equal(ids[:, 0], dense.argmax(axis=1))
    np.testing.assert_allclose(scores, np.sort(dense, axis=1)[:, ::-1][:, :3], atol=1e-5)
    # a query subset (as in evaluation) gives the same rows
    sub = np.array([5, 17, 200])
    _, sub_ids = csls_search(x[sub], y, r_x[sub], r_y, k=1)
    np.testing.assert_array_equal(sub_ids[:, 0], dense[sub].argmax(axis=1))


def test_nn_search_matches_dense():
    rng = np.random.default_rng(1)
    x = unit(rng.standard_normal((50, 8)).astype(np.float32))
    y = unit(rng.standard_normal((40, 8)).astype(np.float32))
    scores, ids = nn_search(x, y, k=5)
    dense = x @ y.T
    np.testing.assert_array_equal(ids, np.argsort(-dense, axis=1)[:, :5])
    np.testing.assert_allclose(scores[:, 0], dense.max(axis=1), atol=1e-6)
