"""The files behind a figure: the CSV of its numbers (`# ` header lines first) and its provenance JSON."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Sequence

from xner.errors import XnerError
from xner.io import write_json_atomic, write_text_atomic


def write_csv(path: str | Path, rows: Sequence[dict[str, Any]], header: str | None = None) -> None:
    """Rows of dicts -> CSV (atomic). `header` lines go first, each prefixed with '# '."""
    if not rows:
        raise XnerError("no rows to write", path)
    buffer = io.StringIO()
    if header:
        for line in header.strip().splitlines():
            buffer.write(f"# {line}\n")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _fmt(v) for k, v in row.items()})
    write_text_atomic(path, buffer.getvalue())


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


def read_csv(path: str | Path) -> list[dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        raise XnerError("no such file", path)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def write_provenance(path: str | Path, **info: Any) -> None:
    """`<figure>.json`: the command, data and machine behind a figure."""
    from xner.experiments.provenance import git_info, machine_info

    write_json_atomic(path, {**info, "git": git_info(), "machine": machine_info()})
