"""Provenance: the git state is read when asked, so each cell of a long grid records its own commit."""

from __future__ import annotations

import subprocess

from xner.experiments.provenance import git_info


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
