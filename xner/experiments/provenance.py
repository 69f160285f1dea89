"""Where a result came from: git commit and machine (content fingerprints: `xner.transfer.fingerprint`)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


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
