"""Table 2 (`xner experiment table2`): the table renders from per-language result files; the committed rows keep
their numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

from xner.experiments.monolingual import Table2Config

RESULTS = Path(__file__).resolve().parents[2] / "results"


def _numbers(markdown: str) -> list[list[str]]:
    """The table rows (cells), without the text around them."""
    return [re.split(r"\s*\|\s*", line) for line in markdown.splitlines() if line.startswith("| ")]


def test_committed_table2_rerenders_with_the_same_numbers(tmp_path, run_cli):
    code, _, err = run_cli("experiment", "table2", "--render", "--out-dir", RESULTS / "table2", "--results-dir", tmp_path)
    assert code == 0, err
    new = (tmp_path / "table2.md").read_text(encoding="utf-8")
    assert _numbers(new) == _numbers((RESULTS / "table2.md").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "table2.json").read_text())["rows"] == json.loads(
        (RESULTS / "table2.json").read_text())["rows"]


def test_render_without_results_is_an_error(tmp_path, run_cli):
    code, _, err = run_cli("experiment", "table2", "--render", "--out-dir", tmp_path, "--results-dir", tmp_path)
    assert code == 2 and err.startswith("xner: error: ") and "no Table 2 result" in err and not list(tmp_path.iterdir())


def test_each_language_process_gets_the_same_settings():
    config = Table2Config(epochs=2, resume=True, track_test=False, max_train=50)
    flags = config.flags()
    assert flags[flags.index("--epochs") + 1] == "2" and "--resume" in flags and "--no-track-test" in flags
    assert flags[flags.index("--max-train") + 1] == "50" and "--no-char" not in flags
    assert flags[flags.index("--length-buckets") + 1] == "20"  # the committed rows' setting
