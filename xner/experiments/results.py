"""The cell result files of `xner experiment run`: their schema tag, the notes they carry, and how they are read.

The runner writes results and the table renderer reads them; both import this module, so the runner does not
depend on the renderer.
"""

from __future__ import annotations

import json
from pathlib import Path

from xner.errors import XnerError

RESULT_SCHEMA = "xner.experiment.cell/1"
GERMAN_NOTE = (
    "de: German has no CoNLL training split here; its unlabelled target text is `unlabeled/de.txt` "
    "(12,152 German corpus sentences), not the paper's de train split."
)


def load_results(root: str | Path) -> list[dict]:
    """Every cell result under `root` (recursively), validated lightly; each gets `_path` (where it was read)."""
    root = Path(root)
    out = []
    for path in sorted(root.rglob("seed*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise XnerError(f"not valid JSON: {err.msg}", path, err.lineno) from None
        if data.get("schema") != RESULT_SCHEMA:
            continue
        data["_path"] = str(path)
        out.append(data)
    return out
