"""Transfer tests: a real en-es mapping folder (the tiny data folders are in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def align_root(ner_align_root: Path) -> Path:
    """A real en-es mapping folder for `ner_data`'s tables (see `tests/conftest.py::ner_align_root`)."""
    return ner_align_root
