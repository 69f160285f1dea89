"""Where a result came from: git commit and machine (content fingerprints: `xner.transfer.fingerprint`)."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable


def git_info(repo: str | Path | None = None) -> dict:
    """Commit and dirty flag of the checkout now (not cached: a long grid sees commits made while it runs);
    `$XNER_GIT_COMMIT` stands in where `.git` was not copied."""
    repo = Path(repo) if repo else Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", None
    if not commit:
        return {"commit": os.environ.get("XNER_GIT_COMMIT", "unknown"), "dirty": None,
                "note": "no .git in this checkout; commit from $XNER_GIT_COMMIT if set"}
    return {"commit": commit, "dirty": dirty}


def machine_info(device: str = "cpu") -> dict:
    info = {
        "node": platform.node(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        if device.startswith("cuda") and torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:  # pragma: no cover
        pass
    info["summary"] = f"{info['node']} ({info['cpu_count']} CPUs" + (f", {info['gpu']}" if "gpu" in info else "") + ")"
    return info


def command_line(argv: list[str] | None = None) -> str:
    """The `xner` command line that is running (or `xner ARGV`), quoted so it can be pasted back into a shell."""
    return "xner " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))


def write_analysis(out: dict, started: float, prefix: str, markdown: Callable[[dict], str]) -> None:
    """Stamp an analysis's result (wall time, git, machine, date), then write PREFIX.json and PREFIX.md
    atomically."""
    from xner.io import write_json_atomic, write_text_atomic

    out.update(seconds=round(time.time() - started, 1), git=git_info(), machine=machine_info(),
               date=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    write_json_atomic(Path(prefix + ".json"), out)
    write_text_atomic(Path(prefix + ".md"), markdown(out))
    print(f"wrote {prefix}.json and {prefix}.md in {out['seconds']} s")


def rewrite_markdown(prefix: str, markdown: Callable[[dict], str]) -> Path:
    """PREFIX.md again from the committed PREFIX.json (computes nothing); returns the Markdown's path."""
    from xner.io import read_json_file, write_text_atomic

    data = read_json_file(Path(prefix + ".json"))
    out = Path(prefix + ".md")
    write_text_atomic(out, markdown(data))
    return out


def analysis_header(data: dict, title: str, intro: str, inputs: str) -> list[str]:
    """The Markdown head of an analysis written by `write_analysis`: title, its analysis-only warning, what it
    measures, the command, its inputs (`inputs`, one "- ..." line) and the stamp (machine, git, date, time)."""
    git = data["git"]
    return [f"# {title}", "", f"**{data['analysis_only']}.**", "", intro, "", f"- command: `{data['command']}`",
            inputs, f"- machine: {data['machine']['summary']}; git {git.get('commit', '?')[:12]}"
            f"{' (dirty)' if git.get('dirty') else ''}; {data['date']}; {data['seconds']} s", ""]
