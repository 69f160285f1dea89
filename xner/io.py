"""Small file helpers shared by every stage: atomic writes and paths."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only if the block succeeds.

    A crash or a bad input never leaves a half-written output file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    mode = 0o666 & ~_umask()  # mkstemp creates 0600; give the file the usual permissions
    os.chmod(tmp_path, mode)
    try:
        yield tmp_path
        os.chmod(tmp_path, mode)  # again: a writer may have replaced the file (safetensors writes 0600)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: str | Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_json_file(path: str | Path, missing: str = "no such file") -> Any:
    """The JSON value in `path`; a missing file or invalid JSON is an `XnerError` naming the file (and line)."""
    from xner.errors import XnerError

    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise XnerError(missing, path) from None
    except json.JSONDecodeError as err:
        raise XnerError(f"not valid JSON: {err.msg}", path, err.lineno) from None


def data_root() -> Path | None:
    """`$XNER_DATA`, else `../shared/data` next to the checkout or the working directory."""
    env = os.environ.get("XNER_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def cache_dir() -> Path:
    """`$XNER_CACHE`, default `~/.cache/xner`."""
    path = Path(os.environ.get("XNER_CACHE", Path.home() / ".cache" / "xner"))
    path.mkdir(parents=True, exist_ok=True)
    return path
