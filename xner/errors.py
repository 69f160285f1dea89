"""One error type for everything a user can get wrong, so the CLI can print one line."""

from __future__ import annotations

from pathlib import Path


class XnerError(Exception):
    """A user-facing error; `str()` names the file and line when they are known."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{self.message}"


class XnerWarning(UserWarning):
    """Something a user should know that does not stop the run (e.g. duplicate words in an embedding file)."""


def warn(message: str, path: str | Path | None = None, line: int | None = None) -> None:
    """Issue an `XnerWarning` whose text names the file and line like `XnerError` does."""
    import warnings

    warnings.warn(str(XnerError(message, path, line)), XnerWarning, stacklevel=3)
