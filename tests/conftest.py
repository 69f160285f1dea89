"""Shared fixtures: the shared data folder, skipped with a printed reason when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from xner.io import data_root


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = data_root()
    if root is None or not (root / "ner").is_dir():
        reason = "shared data not found (set XNER_DATA or place it at ../shared/data)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return root


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run `xner ARGS...` in-process through `xner.cli.main` (the real entry point); return (exit code, stdout, stderr)."""
    import sys
    import warnings

    from xner.cli import main

    def run(*args: object) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["xner", *map(str, args)])
        monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it; restore after
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
