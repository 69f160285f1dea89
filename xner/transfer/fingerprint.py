"""Content fingerprints of data, embedding and alignment files (recorded in every result)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime: float) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_fingerprint(path: str | Path) -> str:
    """sha256 of a file's bytes (first 16 hex digits), cached by (path, size, mtime)."""
    path = Path(path)
    if not path.is_file():
        return "missing"
    st = path.stat()
    return _sha256(str(path.resolve()), st.st_size, st.st_mtime)[:16]


def dir_fingerprint(path: str | Path, pattern: str = "*") -> dict[str, str]:
    path = Path(path)
    if not path.is_dir():
        return {}
    return {p.name: file_fingerprint(p) for p in sorted(path.glob(pattern)) if p.is_file()}
