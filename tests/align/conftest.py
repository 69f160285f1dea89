"""One torch / faiss thread in alignment tests: the machine has 2 shared cores, and spinning threads cost more than they give."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
