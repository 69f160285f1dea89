"""Provenance: the git state is read when asked, so each cell of a long grid records its own commit."""

from __future__ import annotations

import json
import shlex
import subprocess

from xner.experiments.provenance import command_line, git_info, write_analysis


def _git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                   capture_output=True)


def test_git_info_sees_a_commit_made_after_the_first_call(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("1")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-qm", "one")
    first = git_info(tmp_path)
    (tmp_path / "a.txt").write_text("2")
    assert git_info(tmp_path) == {"commit": first["commit"], "dirty": True}
    _git(tmp_path, "commit", "-qam", "two")
    second = git_info(tmp_path)
    assert second["commit"] != first["commit"] and second["dirty"] is False


def test_command_line_can_be_pasted_back_into_a_shell(monkeypatch):
    monkeypatch.setattr("sys.argv", ["/usr/bin/xner", "analyse", "--out", "ignored"])
    command = command_line(["analyse", "--lang", "es", "--set", "a=b c"])
    assert shlex.split(command) == ["xner", "analyse", "--lang", "es", "--set", "a=b c"]
    assert shlex.split(command_line()) == ["xner", "analyse", "--out", "ignored"]


def test_write_analysis_stamps_and_writes_both_files(tmp_path):
    prefix = str(tmp_path / "analysis")
    write_analysis({"value": 1}, started=0.0, prefix=prefix, markdown=lambda d: f"value {d['value']}\n")
    data = json.loads((tmp_path / "analysis.json").read_text())
    assert data["value"] == 1 and {"seconds", "git", "machine", "date"} <= set(data)
    assert (tmp_path / "analysis.md").read_text() == "value 1\n"
    assert not [p for p in tmp_path.iterdir() if p.name not in ("analysis.json", "analysis.md")]  # no temp left
