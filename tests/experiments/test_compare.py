"""Table 4 of two tagged settings side by side: the difference is computed per cell from the result files."""

import json
import shutil
from pathlib import Path

from xner.experiments.compare import render_comparison

REAL = Path(__file__).resolve().parents[2] / "results" / "experiments" / "e4-a2-u2000" / "es"


def _copy(src: Path, dst: Path, tag: str, shift: float) -> None:
    data = json.loads(src.read_text(encoding="utf-8"))
    data["tag"] = tag
    for entry in (data.get("modes") or {}).values():
        if entry:
            entry["test_f1"] = float(entry["test_f1"]) + shift
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(data), encoding="utf-8")


def test_difference_per_cell_from_two_tags(tmp_path):
    for seed in (1, 2):
        src = REAL / "cross-shared+supmap" / f"seed{seed}.json"
        _copy(src, tmp_path / "a" / f"seed{seed}.json", "free", 0.0)
        _copy(src, tmp_path / "b" / f"seed{seed}.json", "ref", -1.5)
    text = render_comparison(tmp_path, ("free", "ref"), "e4-a2-u2000")
    row = next(line for line in text.splitlines() if line.startswith("| Cross-Shared | en→es"))
    assert row.count("+1.50") == 2  # both modes: free - ref = +1.5 F1
    assert "n=2" in row and "MUSE dictionary, P@1 45.4" in row
    assert "Cross-Word |" not in text  # no result of that variant: no row


def test_cli_needs_two_tags(tmp_path, run_cli):
    shutil.copytree(REAL / "cross-shared+supmap", tmp_path / "x")
    code, _, err = run_cli("experiment", "compare", "--tag", "supmap", "--results", tmp_path, "--out", tmp_path / "c.md")
    assert code == 2 and "exactly two --tag" in err and not (tmp_path / "c.md").exists()
    code, _, _ = run_cli("experiment", "compare", "--tag", "supmap", "--tag", "supmap", "--results", tmp_path,
                         "--out", tmp_path / "c.md")
    assert code == 0 and "+0.00" in (tmp_path / "c.md").read_text(encoding="utf-8")
